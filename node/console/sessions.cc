#include "node/console/sessions.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"

namespace ifed::console {

absl::StatusOr<std::string> RandomToken() {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1) return absl::UnavailableError("no randomness");
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(b), sizeof b));
}

bool TokensEqual(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

SessionStore::SessionStore(SessionLimits limits, std::function<int64_t()> now_ms)
    : limits_(limits), now_ms_(std::move(now_ms)) {}

bool SessionStore::Expired(const Session& s, int64_t now) const {
  return now - s.last_used_ms >= limits_.idle_ms || now - s.created_ms >= limits_.absolute_ms;
}

void SessionStore::DropExpired(int64_t now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = Expired(it->second, now) ? sessions_.erase(it) : std::next(it);
  }
}

absl::StatusOr<Session> SessionStore::Create(Staff staff) {
  absl::StatusOr<std::string> id = RandomToken();
  if (!id.ok()) return id.status();
  absl::StatusOr<std::string> csrf = RandomToken();
  if (!csrf.ok()) return csrf.status();
  const int64_t now = now_ms_();
  Session s{.id = *id, .csrf = *csrf, .staff = std::move(staff), .created_ms = now,
            .last_used_ms = now};
  std::lock_guard<std::mutex> lock(mu_);
  DropExpired(now);
  while (sessions_.size() >= limits_.max_sessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.last_used_ms < oldest->second.last_used_ms) oldest = it;
    }
    sessions_.erase(oldest);
  }
  sessions_[s.id] = s;
  return s;
}

std::optional<Session> SessionStore::Touch(const std::string& id) {
  if (id.empty()) return std::nullopt;
  const int64_t now = now_ms_();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (Expired(it->second, now)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used_ms = now;
  return it->second;
}

void SessionStore::Remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(id);
}

size_t SessionStore::RemoveStaff(const std::string& staff_id) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.staff.id == staff_id) {
      it = sessions_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

size_t SessionStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

}  // namespace ifed::console
