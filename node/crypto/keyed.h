// Keyed pseudonymisation: pseudonym = HMAC-SHA256(K_epoch,
// type-name || 0x00 || canonical). Deterministic across the federation for
// holders of the epoch's key; anyone holding the key can brute-force
// low-entropy values, so the scheme is for partners that trust each other.
#ifndef IFED_CRYPTO_KEYED_H_
#define IFED_CRYPTO_KEYED_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "node/common/indicator_type.h"
#include "node/crypto/secret.h"

typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace ifed::crypto {

inline constexpr size_t kPseudonymSize = 32;
using Pseudonym = std::array<uint8_t, kPseudonymSize>;

// Thread-safe: each call works on a copy of a keyed template context, so the
// key schedule is built once per epoch, not per call. The key set can be
// replaced while calls run (a rotation at run time): a call uses
// the set it started with.
class KeyedPseudonymizer {
 public:
  // `keys`: epoch -> 32-byte key (at least one). The highest epoch is current.
  static absl::StatusOr<std::unique_ptr<KeyedPseudonymizer>> Create(
      const std::map<uint32_t, SecretBytes>& keys);
  ~KeyedPseudonymizer() = default;

  // Replaces the key set (same rules as Create); on error nothing changes.
  absl::Status Replace(const std::map<uint32_t, SecretBytes>& keys);

  uint32_t current_epoch() const { return Get()->current; }
  bool HasEpoch(uint32_t epoch) const { return Get()->templates.count(epoch) > 0; }
  // Every epoch of the key set, ascending.
  std::vector<uint32_t> epochs() const {
    std::vector<uint32_t> out;
    for (const auto& [epoch, ctx] : Get()->templates) out.push_back(epoch);
    return out;
  }

  // NotFound if the epoch is unknown.
  absl::StatusOr<Pseudonym> Pseudonymize(uint32_t epoch, IndicatorType type,
                                         std::string_view canonical) const;

 private:
  struct KeySet {
    std::map<uint32_t, EVP_MAC_CTX*> templates;
    uint32_t current = 0;
    ~KeySet();
  };
  static absl::StatusOr<std::shared_ptr<const KeySet>> Build(
      const std::map<uint32_t, SecretBytes>& keys);
  std::shared_ptr<const KeySet> Get() const {
    std::lock_guard<std::mutex> l(mu_);
    return set_;
  }
  KeyedPseudonymizer() = default;
  mutable std::mutex mu_;
  std::shared_ptr<const KeySet> set_;
};

}  // namespace ifed::crypto

#endif  // IFED_CRYPTO_KEYED_H_
