// Sign-in. Three ways, each for a reason (docs/console.md):
//  - an authenticating reverse proxy names the person in a header; the
//    header is believed only on a connection that presents the proxy's own
//    client certificate (CA tls.proxy_ca, CN tls.proxy_cn), so a browser
//    talking to the console directly cannot forge it;
//  - a client certificate from the agency's staff CA (tls.staff_ca): the
//    person is the staff member whose cert_cn (or id) is its subject CN;
//  - a local account: id and password, checked against the scrypt hash in
//    the staff file (demo and small units).
// Roles always come from the staff file, never from the proxy or the
// certificate. Thread-safe.
#ifndef IFED_CONSOLE_AUTH_H_
#define IFED_CONSOLE_AUTH_H_

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "node/console/config.h"
#include "node/console/http.h"
#include "node/console/sessions.h"

namespace ifed::console {

struct AuthOptions {
  bool local_accounts = true;
  bool staff_certificates = false;  // tls.staff_ca is set.
  std::string proxy_cn;             // empty: no proxy.
  std::string proxy_header = "x-remote-user";  // lower case.
  int max_failures = 5;             // password failures before a lockout...
  int64_t lockout_ms = 60 * 1000;   // ...of this long, per staff id.
};

class Authenticator {
 public:
  Authenticator(AuthOptions options, const StaffDirectory* staff, SessionStore* sessions,
                std::function<int64_t()> now_ms);

  // The session `request` belongs to: the one its cookie names, else (when
  // configured) a new one for a verified staff certificate or for the
  // identity a verified proxy asserts; `*created` tells the caller to set
  // the cookie. nullopt: not signed in.
  std::optional<Session> SessionOf(const Request& request, bool* created);

  // Local account sign-in. Unauthenticated for an unknown id, a wrong
  // password or an account without one (one message for all, so ids cannot
  // be probed); ResourceExhausted while the id is locked out after repeated
  // failures; FailedPrecondition when local accounts are off.
  absl::StatusOr<Session> SignInWithPassword(const std::string& id, const std::string& password);

  void SignOut(const std::string& session_id) { sessions_->Remove(session_id); }

  // "__Host-ifed_session=<id>; Path=/; Secure; HttpOnly; SameSite=Strict", and the
  // header that clears it.
  static std::string SessionCookie(const std::string& session_id);
  static std::string ClearedCookie();

 private:
  std::optional<Session> FromCertificate(const Request& request);

  const AuthOptions options_;
  const StaffDirectory* const staff_;
  SessionStore* const sessions_;
  const std::function<int64_t()> now_ms_;
  std::mutex mu_;
  struct Failures {
    int count = 0;
    int64_t locked_until_ms = 0;
  };
  std::map<std::string, Failures> failures_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ifed::console

#endif  // IFED_CONSOLE_AUTH_H_
