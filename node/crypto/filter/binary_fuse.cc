#include "node/crypto/filter/binary_fuse.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ifed::crypto::filter {
namespace {

constexpr char kMagic[4] = {'I', 'F', 'B', 'F'};
constexpr uint8_t kVersion = 1;
// magic 4, version 1, bits 1, reserved 2, seed 8, hash_seed 8,
// segment_length 4, segment_count 4, array_length 4, items 8.
constexpr size_t kHeaderSize = 44;
constexpr int kMaxIterations = 100;
constexpr uint32_t kMaxSegmentLength = 262144;

uint64_t Murmur64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Load64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void Store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t Load32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// 32 uniformly random bytes -> 64 bits; all four words count, so keys that
// share a prefix still differ.
uint64_t KeyWord(const Key& k) {
  return Load64(k.data()) ^ Murmur64(Load64(k.data() + 8) ^
                                     Murmur64(Load64(k.data() + 16) ^ Load64(k.data() + 24)));
}

uint64_t MulHi(uint64_t a, uint64_t b) {
  return static_cast<uint64_t>((static_cast<__uint128_t>(a) * b) >> 64);
}

struct Geometry {
  uint32_t segment_length, segment_count, array_length;
  uint32_t segment_count_length() const { return segment_count * segment_length; }
};

// Parameters of the reference implementation (xor_singleheader), arity 3.
Geometry ComputeGeometry(uint32_t size) {
  Geometry g{};
  g.segment_length =
      size == 0 ? 4
                : uint32_t{1} << static_cast<int>(std::floor(std::log(double(size)) /
                                                                 std::log(3.33) +
                                                             2.25));
  g.segment_length = std::min(g.segment_length, kMaxSegmentLength);
  const double factor =
      size <= 1 ? 0 : std::max(1.125, 0.875 + 0.25 * std::log(1000000.0) / std::log(double(size)));
  const uint32_t capacity = size <= 1 ? 0 : static_cast<uint32_t>(std::round(size * factor));
  const int64_t init_segments =
      (int64_t{capacity} + g.segment_length - 1) / g.segment_length - 2;
  int64_t array_length = (std::max<int64_t>(init_segments, 0) + 2) * g.segment_length;
  int64_t segments = (array_length + g.segment_length - 1) / g.segment_length;
  segments = segments <= 2 ? 1 : segments - 2;
  g.segment_count = static_cast<uint32_t>(segments);
  g.array_length = (g.segment_count + 2) * g.segment_length;
  return g;
}

struct Hashes {
  uint32_t h[3];
};

Hashes HashesOf(uint64_t hash, const Geometry& g) {
  const uint32_t mask = g.segment_length - 1;
  Hashes r;
  r.h[0] = static_cast<uint32_t>(MulHi(hash, g.segment_count_length()));
  r.h[1] = r.h[0] + g.segment_length;
  r.h[2] = r.h[1] + g.segment_length;
  r.h[1] ^= static_cast<uint32_t>(hash >> 18) & mask;
  r.h[2] ^= static_cast<uint32_t>(hash) & mask;
  return r;
}

uint64_t FingerprintOf(uint64_t hash, uint32_t bits) {
  const uint64_t f = hash ^ (hash >> 32);
  return bits >= 64 ? f : f & ((uint64_t{1} << bits) - 1);
}

uint32_t SlotBytes(uint32_t bits) { return bits <= 8 ? 1 : bits <= 16 ? 2 : 4; }

}  // namespace

uint64_t BinaryFuseFilter::FingerprintAt(uint32_t i) const {
  const uint8_t* p = fp_.data() + size_t{i} * slot_bytes_;
  switch (slot_bytes_) {
    case 1:
      return p[0];
    case 2:
      return p[0] | (p[1] << 8);
    default:
      return Load32(p);
  }
}

void BinaryFuseFilter::SetFingerprint(uint32_t i, uint64_t v) {
  uint8_t* p = fp_.data() + size_t{i} * slot_bytes_;
  for (uint32_t b = 0; b < slot_bytes_; ++b) p[b] = static_cast<uint8_t>(v >> (8 * b));
}

namespace {

// Sorted distinct 64-bit key words: the result depends on the set only.
std::vector<uint64_t> DistinctWords(absl::Span<const Key> keys) {
  std::vector<uint64_t> words(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) words[i] = KeyWord(keys[i]);
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

}  // namespace

absl::StatusOr<BinaryFuseFilter> BinaryFuseFilter::Build(absl::Span<const Key> keys,
                                                         const FilterOptions& options) {
  if (options.fingerprint_bits < 1 || options.fingerprint_bits > 32) {
    return absl::InvalidArgumentError("fingerprint_bits must be 1..32");
  }
  if (keys.size() > (size_t{1} << 31)) {
    return absl::InvalidArgumentError("more than 2^31 keys");
  }
  const std::vector<uint64_t> words = DistinctWords(keys);
  const uint32_t size = static_cast<uint32_t>(words.size());

  BinaryFuseFilter f;
  f.bits_ = options.fingerprint_bits;
  f.slot_bytes_ = SlotBytes(f.bits_);
  f.seed_ = options.seed;
  f.items_ = size;
  const Geometry g = ComputeGeometry(size);
  f.segment_length_ = g.segment_length;
  f.segment_count_ = g.segment_count;
  f.array_length_ = g.array_length;
  f.fp_.assign(size_t{g.array_length} * f.slot_bytes_, 0);

  uint64_t rng = options.seed;
  if (size == 0) {
    f.hash_seed_ = SplitMix64(&rng);
    f.ComputeDigest();
    return f;
  }
  const uint32_t capacity = g.array_length;
  std::vector<uint64_t> reverse_order(size_t{size} + 1);
  std::vector<uint32_t> alone(capacity);
  std::vector<uint8_t> t2count(capacity);
  std::vector<uint8_t> reverse_h(size);
  std::vector<uint64_t> t2hash(capacity);
  uint32_t block_bits = 1;
  while ((uint32_t{1} << block_bits) < g.segment_count) ++block_bits;
  const uint32_t block = uint32_t{1} << block_bits;
  std::vector<uint32_t> start_pos(block);

  bool done = false;
  for (int loop = 0; loop < kMaxIterations && !done; ++loop) {
    f.hash_seed_ = SplitMix64(&rng);
    std::fill(reverse_order.begin(), reverse_order.end(), 0);
    std::fill(t2count.begin(), t2count.end(), 0);
    std::fill(t2hash.begin(), t2hash.end(), 0);
    reverse_order[size] = 1;  // sentinel
    // Bucket the hashes by their top bits (roughly sorted: cache-friendly).
    for (uint32_t i = 0; i < block; ++i) {
      start_pos[i] = static_cast<uint32_t>((uint64_t{i} * size) >> block_bits);
    }
    bool zero_hash = false;
    for (uint32_t i = 0; i < size; ++i) {
      const uint64_t hash = Murmur64(words[i] + f.hash_seed_);
      zero_hash |= hash == 0;
      uint64_t seg = hash >> (64 - block_bits);
      while (reverse_order[start_pos[seg]] != 0) seg = (seg + 1) & (block - 1);
      reverse_order[start_pos[seg]] = hash;
      start_pos[seg]++;
    }
    if (zero_hash) continue;  // 0 marks an empty slot above
    bool error = false;
    for (uint32_t i = 0; i < size; ++i) {
      const uint64_t hash = reverse_order[i];
      const Hashes hs = HashesOf(hash, g);
      for (uint32_t j = 0; j < 3; ++j) {
        t2count[hs.h[j]] += 4;
        t2count[hs.h[j]] ^= static_cast<uint8_t>(j);
        t2hash[hs.h[j]] ^= hash;
        error |= t2count[hs.h[j]] < 4;  // 6-bit counter overflowed
      }
    }
    if (error) continue;
    // Peel: repeatedly take a slot that a single key maps to.
    uint32_t qsize = 0;
    for (uint32_t i = 0; i < capacity; ++i) {
      alone[qsize] = i;
      qsize += (t2count[i] >> 2) == 1 ? 1 : 0;
    }
    uint32_t stack = 0;
    while (qsize > 0) {
      --qsize;
      const uint32_t index = alone[qsize];
      if ((t2count[index] >> 2) != 1) continue;
      const uint64_t hash = t2hash[index];
      const Hashes hs = HashesOf(hash, g);
      const uint32_t h012[5] = {hs.h[0], hs.h[1], hs.h[2], hs.h[0], hs.h[1]};
      const uint8_t found = t2count[index] & 3;
      reverse_h[stack] = found;
      reverse_order[stack] = hash;
      ++stack;
      for (uint32_t k = 1; k <= 2; ++k) {
        const uint32_t other = h012[found + k];
        alone[qsize] = other;
        qsize += (t2count[other] >> 2) == 2 ? 1 : 0;
        t2count[other] -= 4;
        t2count[other] ^= static_cast<uint8_t>((found + k) % 3);
        t2hash[other] ^= hash;
      }
    }
    done = stack == size;
  }
  if (!done) {
    return absl::InternalError(
        absl::StrCat("binary fuse construction failed after ", kMaxIterations, " seeds"));
  }
  for (uint32_t i = size; i-- > 0;) {
    const uint64_t hash = reverse_order[i];
    const Hashes hs = HashesOf(hash, g);
    const uint32_t h012[5] = {hs.h[0], hs.h[1], hs.h[2], hs.h[0], hs.h[1]};
    const uint8_t found = reverse_h[i];
    f.SetFingerprint(h012[found], FingerprintOf(hash, f.bits_) ^
                                      f.FingerprintAt(h012[found + 1]) ^
                                      f.FingerprintAt(h012[found + 2]));
  }
  f.ComputeDigest();
  return f;
}

bool BinaryFuseFilter::Contains(const Key& key) const {
  if (items_ == 0) return false;
  const uint64_t hash = Murmur64(KeyWord(key) + hash_seed_);
  const Geometry g{segment_length_, segment_count_, array_length_};
  const Hashes hs = HashesOf(hash, g);
  const uint64_t f = FingerprintOf(hash, bits_) ^ FingerprintAt(hs.h[0]) ^
                     FingerprintAt(hs.h[1]) ^ FingerprintAt(hs.h[2]);
  return f == 0;
}

namespace {

std::string Header(uint32_t bits, uint64_t seed, uint64_t hash_seed, uint32_t seg_len,
                   uint32_t seg_count, uint32_t array_len, uint64_t items) {
  std::string h(kHeaderSize, '\0');
  auto* p = reinterpret_cast<uint8_t*>(h.data());
  std::memcpy(p, kMagic, 4);
  p[4] = kVersion;
  p[5] = static_cast<uint8_t>(bits);
  Store64(p + 8, seed);
  Store64(p + 16, hash_seed);
  Store32(p + 24, seg_len);
  Store32(p + 28, seg_count);
  Store32(p + 32, array_len);
  Store64(p + 36, items);
  return h;
}

}  // namespace

void BinaryFuseFilter::ComputeDigest() {
  const std::string h = Header(bits_, seed_, hash_seed_, segment_length_, segment_count_,
                               array_length_, items_);
  // SHA-256 cannot fail on valid buffers; a failure leaves a zero digest,
  // which no serialisation verifies against.
  digest_.fill(0);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return;
  unsigned int len = 0;
  if (EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, h.data(), h.size()) != 1 ||
      EVP_DigestUpdate(ctx, fp_.data(), fp_.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, digest_.data(), &len) != 1) {
    digest_.fill(0);
  }
  EVP_MD_CTX_free(ctx);
}

size_t BinaryFuseFilter::serialized_size() const {
  return kHeaderSize + fp_.size() + digest_.size();
}

std::string BinaryFuseFilter::Serialize() const {
  std::string out = Header(bits_, seed_, hash_seed_, segment_length_, segment_count_,
                           array_length_, items_);
  out.reserve(serialized_size());
  out.append(reinterpret_cast<const char*>(fp_.data()), fp_.size());
  out.append(reinterpret_cast<const char*>(digest_.data()), digest_.size());
  return out;
}

absl::StatusOr<BinaryFuseFilter> BinaryFuseFilter::Deserialize(std::string_view bytes) {
  if (bytes.size() < kHeaderSize + 32) return absl::DataLossError("filter: truncated");
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  if (std::memcmp(p, kMagic, 4) != 0) return absl::DataLossError("filter: not a filter");
  if (p[4] != kVersion) return absl::DataLossError("filter: unsupported version");
  BinaryFuseFilter f;
  f.bits_ = p[5];
  if (f.bits_ < 1 || f.bits_ > 32 || p[6] != 0 || p[7] != 0) {
    return absl::DataLossError("filter: bad header");
  }
  f.slot_bytes_ = SlotBytes(f.bits_);
  f.seed_ = Load64(p + 8);
  f.hash_seed_ = Load64(p + 16);
  f.segment_length_ = Load32(p + 24);
  f.segment_count_ = Load32(p + 28);
  f.array_length_ = Load32(p + 32);
  f.items_ = Load64(p + 36);
  // The geometry must be exactly what Build makes for this many items, so a
  // crafted header cannot send a lookup out of bounds.
  if (f.items_ > (uint64_t{1} << 31)) return absl::DataLossError("filter: bad header");
  const Geometry g = ComputeGeometry(static_cast<uint32_t>(f.items_));
  if (g.segment_length != f.segment_length_ || g.segment_count != f.segment_count_ ||
      g.array_length != f.array_length_) {
    return absl::DataLossError("filter: inconsistent geometry");
  }
  const size_t fp_bytes = size_t{f.array_length_} * f.slot_bytes_;
  if (bytes.size() != kHeaderSize + fp_bytes + 32) {
    return absl::DataLossError("filter: wrong length");
  }
  f.fp_.assign(p + kHeaderSize, p + kHeaderSize + fp_bytes);
  f.ComputeDigest();
  if (CRYPTO_memcmp(f.digest_.data(), p + kHeaderSize + fp_bytes, 32) != 0) {
    return absl::DataLossError("filter: digest mismatch");
  }
  // Unused high bits of a slot must be zero (canonical encoding).
  if (f.bits_ < 8 * f.slot_bytes_) {
    for (uint32_t i = 0; i < f.array_length_; ++i) {
      if (f.FingerprintAt(i) >> f.bits_) return absl::DataLossError("filter: bad slot");
    }
  }
  return f;
}

}  // namespace ifed::crypto::filter
