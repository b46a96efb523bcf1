// Sealer: AES-256-GCM for canonical values kept at rest (re-keying only; they
// never leave the node). Sealed form: 12-byte random nonce || ciphertext ||
// 16-byte tag. The associated data binds a sealed value to its record.
#ifndef IFED_CRYPTO_SEALER_H_
#define IFED_CRYPTO_SEALER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "node/crypto/secret.h"

namespace ifed::crypto {

// Thread-safe (no shared mutable state).
class Sealer {
 public:
  static absl::StatusOr<std::unique_ptr<Sealer>> Create(SecretBytes key);

  absl::StatusOr<std::string> Seal(std::string_view plaintext,
                                   std::string_view aad) const;
  // DataLoss if the sealed value was altered or belongs to other `aad`.
  absl::StatusOr<std::string> Open(std::string_view sealed,
                                   std::string_view aad) const;
  // Issue 10: an opaque token for a local name (a case reference) that may
  // leave the node: hex of HMAC-SHA256 under a key derived from this key and
  // `label`, truncated to 16 bytes. Equal names give equal tokens on this
  // node; nobody without the local key can link a token to its name, and
  // other nodes' tokens for the same name differ.
  absl::StatusOr<std::string> Token(std::string_view label, std::string_view name) const;

 private:
  explicit Sealer(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

}  // namespace ifed::crypto

#endif  // IFED_CRYPTO_SEALER_H_
