// Who a TAXII request comes from. TAXII 2.1 asks servers to support HTTP
// Basic authentication (over HTTPS): a CTI platform (OpenCTI, MISP) is
// given an account, an id and a password, of which the console keeps only
// an scrypt hash. A client certificate from the agency's staff CA, whose
// subject CN is the account's cert_cn, is accepted in its place.
//
// A password check costs tens of milliseconds by design; a platform that
// pulls page after page would pay it on every request. So after a success
// the authenticator remembers an HMAC of (id, password) under a random
// per-process key for `remember_ms`: the same credentials within that time
// are checked by one HMAC, a changed password by the full check. After
// `max_failures` failed attempts an id is locked for `lockout_ms`.
// Thread-safe. Pure: the hash check comes in through the constructor.
#ifndef IFED_TAXII_CLIENT_AUTH_H_
#define IFED_TAXII_CLIENT_AUTH_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "node/crypto/secret.h"
#include "node/taxii/server.h"

namespace ifed::taxii {

struct ClientAccount {
  std::string id;             // [a-z0-9][a-z0-9._-]{0,63}: the Basic user name.
  std::string password_hash;  // empty: no password sign-in.
  std::string cert_cn;        // empty: no certificate sign-in.
  std::vector<std::string> collections;  // aliases; empty: all.
};

struct ClientAuthOptions {
  int64_t remember_ms = 5 * 60 * 1000;
  int max_failures = 10;
  int64_t lockout_ms = 60 * 1000;
};

class ClientAuthenticator {
 public:
  // OK when `password` matches `hash`, an error otherwise.
  using VerifyFn = std::function<absl::Status(const std::string& password, const std::string& hash)>;

  // InvalidArgument for a malformed or repeated id, an unknown collection
  // alias, or an account with neither a password hash nor a cert_cn.
  static absl::StatusOr<std::unique_ptr<ClientAuthenticator>> Create(
      std::vector<ClientAccount> accounts, VerifyFn verify, std::function<int64_t()> now_ms,
      ClientAuthOptions options = {});

  // The client of an Authorization header ("Basic base64(id:password)").
  // Unauthenticated when absent, malformed, unknown or wrong (one message
  // for all); ResourceExhausted while the id is locked out.
  absl::StatusOr<Client> FromBasic(const std::string& authorization);
  // The client whose cert_cn is `subject_cn` (a certificate the TLS layer
  // verified against the staff CA); Unauthenticated when none.
  absl::StatusOr<Client> FromCertificate(const std::string& subject_cn) const;

 private:
  ClientAuthenticator(std::vector<ClientAccount> accounts, VerifyFn verify,
                      std::function<int64_t()> now_ms, ClientAuthOptions options,
                      crypto::SecretBytes key);
  std::string Remembered(const std::string& id, const std::string& password) const;
  static Client ClientOf(const ClientAccount& a) { return {a.id, a.collections}; }

  const std::vector<ClientAccount> accounts_;
  const VerifyFn verify_;
  const std::function<int64_t()> now_ms_;
  const ClientAuthOptions options_;
  const crypto::SecretBytes key_;
  std::mutex mu_;
  struct State {
    std::string remembered;  // HMAC of the last good (id, password).
    int64_t remembered_until_ms = 0;
    int failures = 0;
    int64_t locked_until_ms = 0;
  };
  std::map<std::string, State> state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ifed::taxii

#endif  // IFED_TAXII_CLIENT_AUTH_H_
