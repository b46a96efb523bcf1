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

 private:
  explicit Sealer(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

}  // namespace ifed::crypto

#endif  // IFED_CRYPTO_SEALER_H_
