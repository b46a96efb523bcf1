#include "node/policy/quota.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ifed::policy {

DailyLedger MemoryLedger() {
  struct State {
    std::mutex mu;
    std::map<std::string, uint64_t> counters;
  };
  auto state = std::make_shared<State>();
  return [state](const std::string& key, uint64_t n, uint64_t limit) -> absl::StatusOr<uint64_t> {
    std::lock_guard<std::mutex> l(state->mu);
    uint64_t& c = state->counters[key];
    if (c + n > limit) return absl::ResourceExhaustedError("daily quota exhausted");
    c += n;
    return c;
  };
}

std::string QuotaKeeper::DayKey(const std::string& partner, int64_t now_ms) {
  return absl::StrCat("quota/day/", partner, "/", now_ms / 86'400'000);
}

absl::Status QuotaKeeper::Take(const std::string& partner, const ifed::v1::Quota& q,
                               uint64_t items, int64_t now_ms) {
  const uint32_t rate = q.items_per_second();
  if (rate > 0) {
    const double burst = std::max<uint32_t>(q.burst(), 1);
    if (items > burst) {
      return absl::InvalidArgumentError(absl::StrCat(
          "batch of ", items, " items exceeds the quota burst of ", q.burst(), "; split it"));
    }
    std::lock_guard<std::mutex> l(mu_);
    Bucket& b = buckets_[partner];
    if (b.fresh) {
      b.tokens = burst;
      b.last_ms = now_ms;
      b.fresh = false;
    }
    if (now_ms > b.last_ms) {
      b.tokens = std::min(burst, b.tokens + (now_ms - b.last_ms) * rate / 1000.0);
      b.last_ms = now_ms;
    }
    b.tokens = std::min(b.tokens, burst);  // the rule may have shrunk on reload.
    if (b.tokens < items) {
      const double wait_s = (items - b.tokens) / rate;
      return absl::ResourceExhaustedError(absl::StrFormat(
          "quota of %u items per second exceeded; retry after %.1f s", rate, wait_s));
    }
    b.tokens -= items;
  }
  if (q.items_per_day() > 0) {
    auto used = ledger_(DayKey(partner, now_ms), items, q.items_per_day());
    if (!used.ok()) {
      if (used.status().code() != absl::StatusCode::kResourceExhausted) return used.status();
      const int64_t next_day_s = (now_ms / 86'400'000 + 1) * 86'400 - now_ms / 1000;
      return absl::ResourceExhaustedError(absl::StrCat("quota of ", q.items_per_day(),
                                                       " items per day exhausted; retry after ",
                                                       next_day_s, " s"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ifed::policy
