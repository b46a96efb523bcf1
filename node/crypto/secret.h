// SecretBytes: key material that cannot be printed and is wiped when it goes
// away. There is deliberately no operator<< and no implicit conversion to a
// string.
#ifndef IFED_CRYPTO_SECRET_H_
#define IFED_CRYPTO_SECRET_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace ifed::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(absl::Span<const uint8_t> bytes);
  SecretBytes(const SecretBytes& other) : SecretBytes(other.span()) {}
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  absl::Span<const uint8_t> span() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  void Wipe();
  std::vector<uint8_t> bytes_;
};

// Constant-time equality of two byte strings of equal length (false on a
// length mismatch, which is not secret).
bool ConstantTimeEquals(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b);

}  // namespace ifed::crypto

#endif  // IFED_CRYPTO_SECRET_H_
