// Local-account passwords: scrypt (RFC 7914) through OpenSSL's EVP_KDF,
// stored as
//
//   scrypt$<log2 N>$<r>$<p>$<salt, base64>$<32-byte key, base64>
//
// The staff file holds only this string; `ifed-console hash-password`
// prints one. Verification recomputes the key with the stored parameters
// and compares in constant time.
#ifndef IFED_CONSOLE_PASSWORD_H_
#define IFED_CONSOLE_PASSWORD_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ifed::console {

struct ScryptParams {
  int log2_n = 15;  // N = 32768: ~32 MiB and tens of milliseconds per check.
  int r = 8;
  int p = 1;
};

// A new hash string for `password` with a fresh 16-byte random salt.
// InvalidArgument for an empty password or parameters out of range
// (log2_n 10..20, r 1..32, p 1..16).
absl::StatusOr<std::string> HashPassword(const std::string& password,
                                         ScryptParams params = {});

// OK when `password` matches `hash`; PermissionDenied when it does not;
// InvalidArgument when `hash` is not a well-formed hash string.
absl::Status VerifyPassword(const std::string& password, const std::string& hash);

// InvalidArgument (with the reason) unless `hash` is well formed.
absl::Status CheckHashFormat(const std::string& hash);

}  // namespace ifed::console

#endif  // IFED_CONSOLE_PASSWORD_H_
