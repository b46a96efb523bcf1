// Static membership filter over 32-byte keys (OPRF outputs): a 3-wise binary
// fuse filter (Graf & Lemire, "Binary Fuse Filters: Fast and Smaller Than Xor
// Filters", JEA 2022).
//
// Why this one (numbers from ifed-filter-bench, see README.md): at the
// production setting (32-bit fingerprints, FPR 2^-32 <= 2^-30) it takes
// ~1.13 x 32 = 36 bits per item for large sets, under the 1.25 x log2(1/FPR)
// = 40 bits (at 2^-32) the issue allows; a lookup is three memory reads and
// construction is linear and deterministic. Xor filters need 1.23 x;
// a Bloom filter 1.44 x; ribbon and GCS are smaller but slower to build or
// query and far more code to get right.
//
// Contract.
//   * A key that was given to Build is always found (no false negatives).
//   * A key that was not is found with probability 2^-fingerprint_bits
//     (over the keys, which are assumed uniformly random, as OPRF outputs
//     are).
//   * Build is a function of (set of distinct keys, options): the input order
//     and duplicates do not matter, so two nodes with the same records and
//     seed publish byte-identical filters.
//   * Serialize() embeds a SHA-256 digest of everything before it;
//     Deserialize() rejects any other length, header or digest (DataLoss) and
//     never reads out of bounds.
//
// Thread safety: immutable after Build/Deserialize; Contains is const.
// Pure: links OpenSSL's libcrypto (SHA-256) only.
#ifndef IFED_CRYPTO_FILTER_BINARY_FUSE_H_
#define IFED_CRYPTO_FILTER_BINARY_FUSE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ifed::crypto::filter {

inline constexpr size_t kKeySize = 32;
using Key = std::array<uint8_t, kKeySize>;
using Digest = std::array<uint8_t, 32>;

struct FilterOptions {
  // Bits per fingerprint, 1..32: the false-positive rate is 2^-bits. Stored in
  // 8-, 16- or 32-bit slots (the smallest that fits), so 8, 16 and 32 are the
  // space-efficient settings; others are for tests (e.g. 12 -> 2^-12).
  // Production: 32 (FPR 2^-32 <= 2^-30).
  uint32_t fingerprint_bits = 32;
  // Seed of the hash; construction retries derive further seeds from it
  // deterministically (splitmix64).
  uint64_t seed = 0x6966656466696c74;  // "ifedfilt"
};

class BinaryFuseFilter {
 public:
  // InvalidArgument for fingerprint_bits outside 1..32 or more than 2^31
  // keys; Internal if no seed works within the retry budget (for distinct
  // keys practically impossible: probability < 2^-100).
  static absl::StatusOr<BinaryFuseFilter> Build(absl::Span<const Key> keys,
                                                const FilterOptions& options = {});

  // DataLoss for a truncated, altered or foreign serialisation.
  static absl::StatusOr<BinaryFuseFilter> Deserialize(std::string_view bytes);

  bool Contains(const Key& key) const;

  // Header || fingerprints || SHA-256(header || fingerprints).
  std::string Serialize() const;
  // The digest Serialize() ends with (identifies this filter's content).
  const Digest& digest() const { return digest_; }

  uint64_t size() const { return items_; }  // distinct keys (after dedup on 64-bit hashes)
  uint32_t fingerprint_bits() const { return bits_; }
  size_t size_in_bytes() const { return fp_.size(); }  // fingerprint array only
  size_t serialized_size() const;

 private:
  BinaryFuseFilter() = default;
  void ComputeDigest();
  uint64_t FingerprintAt(uint32_t i) const;
  void SetFingerprint(uint32_t i, uint64_t v);

  uint32_t bits_ = 32;
  uint32_t slot_bytes_ = 4;
  uint64_t seed_ = 0;        // options.seed
  uint64_t hash_seed_ = 0;   // the seed that succeeded
  uint32_t segment_length_ = 0;
  uint32_t segment_count_ = 0;
  uint32_t array_length_ = 0;
  uint64_t items_ = 0;
  std::vector<uint8_t> fp_;  // array_length_ * slot_bytes_, little-endian slots
  Digest digest_{};
};

}  // namespace ifed::crypto::filter

#endif  // IFED_CRYPTO_FILTER_BINARY_FUSE_H_
