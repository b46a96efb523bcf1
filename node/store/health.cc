#include "node/store/health.h"

#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ifed::store {

absl::Status StoreHealth::Observe(absl::Status s, absl::string_view where) {
  if (!absl::IsDataLoss(s)) return s;
  MarkDamaged(where, s.message());
  if (absl::StrContains(s.message(), kStoreDamageAdvice)) return s;
  return absl::DataLossError(absl::StrCat(s.message(), ". The store is damaged: ",
                                          kStoreDamageAdvice));
}

void StoreHealth::MarkDamaged(absl::string_view where, absl::string_view detail) {
  Listener listener;
  StoreDamage first;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (damaged_.load(std::memory_order_relaxed)) return;
    damage_.where = std::string(where);
    damage_.detail = std::string(detail);
    damage_.at_unix = now_ ? now_()
                           : std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    damaged_.store(true, std::memory_order_release);
    listener = listener_;
    first = damage_;
  }
  if (listener) listener(first);
}

absl::Status StoreHealth::Check() const {
  if (!damaged()) return absl::OkStatus();
  const StoreDamage d = damage();
  return absl::DataLossError(absl::StrCat("the store met damaged data (", d.where,
                                          ") and answers nothing more: ", kStoreDamageAdvice));
}

StoreDamage StoreHealth::damage() const {
  std::lock_guard<std::mutex> l(mu_);
  return damage_;
}

void StoreHealth::OnDamage(Listener fn) {
  std::lock_guard<std::mutex> l(mu_);
  listener_ = std::move(fn);
}

void StoreHealth::SetClock(std::function<int64_t()> now) {
  std::lock_guard<std::mutex> l(mu_);
  now_ = std::move(now);
}

}  // namespace ifed::store
