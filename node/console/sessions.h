// Server-side sessions of signed-in staff. The browser holds only a random
// 256-bit id (cookie "__Host-ifed_session": HttpOnly, Secure,
// SameSite=Strict, Path=/; the __Host- prefix makes the browser refuse it
// otherwise, or with a Domain); everything else stays here. Each session
// has its own CSRF token (256 bits), required on every state-changing
// request. A session ends after `idle` without use, after `absolute` since
// sign-in, or on sign-out.
// Thread-safe.
#ifndef IFED_CONSOLE_SESSIONS_H_
#define IFED_CONSOLE_SESSIONS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"

namespace ifed::console {

inline constexpr char kSessionCookie[] = "__Host-ifed_session";

// A signed-in person, as the handlers see them.
struct Staff {
  std::string id;    // the audit names staff:<id>.
  std::string name;
  std::set<std::string> roles;  // "analyst", "approver", "admin", "dpo", "hub-operator".
  std::string method;  // how they signed in: "password", "certificate", "proxy".
  bool Has(const std::string& role) const { return roles.count(role) != 0; }
};

struct Session {
  std::string id;
  std::string csrf;
  Staff staff;
  int64_t created_ms = 0;
  int64_t last_used_ms = 0;
};

struct SessionLimits {
  int64_t idle_ms = 15 * 60 * 1000;
  int64_t absolute_ms = 8 * 3600 * 1000;
  size_t max_sessions = 10000;  // oldest dropped beyond this.
};

class SessionStore {
 public:
  // `now_ms` is the clock (unix milliseconds); tests pass a fake.
  SessionStore(SessionLimits limits, std::function<int64_t()> now_ms);

  // A new session for `staff` with fresh random id and CSRF token.
  // Unavailable if the random generator fails.
  absl::StatusOr<Session> Create(Staff staff);

  // The live session of `id` (its idle timer restarted), or nullopt when
  // unknown or expired (an expired one is dropped).
  std::optional<Session> Touch(const std::string& id);

  // Ends the session; unknown ids are ignored.
  void Remove(const std::string& id);

  // Ends every session of staff member `staff_id` (e.g. removed from the
  // staff file); returns how many.
  size_t RemoveStaff(const std::string& staff_id);

  size_t size() const;

 private:
  void DropExpired(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Expired(const Session& s, int64_t now) const;

  const SessionLimits limits_;
  const std::function<int64_t()> now_ms_;
  mutable std::mutex mu_;
  std::map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

// A random token: 32 bytes from OpenSSL's CSPRNG, base64url without padding.
absl::StatusOr<std::string> RandomToken();

// Constant-time equality of two tokens (false when the sizes differ).
bool TokensEqual(const std::string& a, const std::string& b);

}  // namespace ifed::console

#endif  // IFED_CONSOLE_SESSIONS_H_
