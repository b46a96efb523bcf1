#include "node/crypto/filter/binary_fuse.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace ifed::crypto::filter {
namespace {

std::vector<Key> RandomKeys(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Key> keys(n);
  for (Key& k : keys) {
    for (size_t i = 0; i < k.size(); i += 8) {
      const uint64_t v = rng();
      for (int b = 0; b < 8; ++b) k[i + b] = static_cast<uint8_t>(v >> (8 * b));
    }
  }
  return keys;
}

TEST(BinaryFuse, NoFalseNegativesAllWidths) {
  for (uint32_t bits : {1u, 8u, 12u, 16u, 20u, 32u}) {
    for (size_t n : {1u, 2u, 3u, 10u, 1000u, 100000u}) {
      auto keys = RandomKeys(n, n * 31 + bits);
      auto f = BinaryFuseFilter::Build(keys, {.fingerprint_bits = bits});
      ASSERT_TRUE(f.ok()) << f.status();
      EXPECT_EQ(f->size(), n);
      for (const Key& k : keys) ASSERT_TRUE(f->Contains(k)) << bits << " " << n;
    }
  }
}

TEST(BinaryFuse, EmptyFilterContainsNothing) {
  auto f = BinaryFuseFilter::Build({});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->Contains(RandomKeys(1, 1)[0]));
  auto g = BinaryFuseFilter::Deserialize(f->Serialize());
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->size(), 0u);
}

TEST(BinaryFuse, DuplicatesAndOrderDoNotMatter) {
  auto keys = RandomKeys(5000, 7);
  auto a = BinaryFuseFilter::Build(keys);
  std::vector<Key> shuffled = keys;
  shuffled.insert(shuffled.end(), keys.begin(), keys.begin() + 100);
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(3));
  auto b = BinaryFuseFilter::Build(shuffled);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b->size(), 5000u);
  EXPECT_EQ(a->Serialize(), b->Serialize());
  EXPECT_EQ(a->digest(), b->digest());
}

TEST(BinaryFuse, SeedChangesFilter) {
  auto keys = RandomKeys(1000, 9);
  auto a = BinaryFuseFilter::Build(keys, {.seed = 1});
  auto b = BinaryFuseFilter::Build(keys, {.seed = 2});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->digest(), b->digest());
}

TEST(BinaryFuse, FalsePositiveRateAt8Bits) {
  auto keys = RandomKeys(100000, 11);
  auto f = BinaryFuseFilter::Build(keys, {.fingerprint_bits = 8});
  ASSERT_TRUE(f.ok());
  auto probes = RandomKeys(1000000, 12);
  size_t fp = 0;
  for (const Key& k : probes) fp += f->Contains(k);
  // Expected 3906 (2^-8); 6 sigma is ~375.
  EXPECT_NEAR(static_cast<double>(fp), 1e6 / 256, 400);
}

TEST(BinaryFuse, SpaceWithinBoundForLargeSets) {
  auto keys = RandomKeys(1000000, 13);
  auto f = BinaryFuseFilter::Build(keys, {.fingerprint_bits = 32});
  ASSERT_TRUE(f.ok());
  const double bits_per_item = 8.0 * f->serialized_size() / keys.size();
  EXPECT_LE(bits_per_item, 1.25 * 32);  // Within 1.25 x log2(1/FPR)
}

TEST(BinaryFuse, RoundTrip) {
  for (uint32_t bits : {8u, 12u, 16u, 32u}) {
    auto keys = RandomKeys(3000, bits);
    auto f = BinaryFuseFilter::Build(keys, {.fingerprint_bits = bits});
    ASSERT_TRUE(f.ok());
    auto g = BinaryFuseFilter::Deserialize(f->Serialize());
    ASSERT_TRUE(g.ok()) << g.status();
    EXPECT_EQ(g->digest(), f->digest());
    EXPECT_EQ(g->fingerprint_bits(), bits);
    for (const Key& k : keys) ASSERT_TRUE(g->Contains(k));
  }
}

TEST(BinaryFuse, RejectsEveryByteFlipAndTruncation) {
  auto f = BinaryFuseFilter::Build(RandomKeys(200, 5), {.fingerprint_bits = 16});
  ASSERT_TRUE(f.ok());
  const std::string s = f->Serialize();
  for (size_t i = 0; i < s.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string t = s;
      t[i] = static_cast<char>(t[i] ^ (1 << bit));
      auto g = BinaryFuseFilter::Deserialize(t);
      ASSERT_FALSE(g.ok()) << "byte " << i << " bit " << bit;
      EXPECT_EQ(g.status().code(), absl::StatusCode::kDataLoss);
    }
  }
  for (size_t len : {size_t{0}, size_t{10}, s.size() - 1}) {
    EXPECT_FALSE(BinaryFuseFilter::Deserialize(s.substr(0, len)).ok());
  }
  EXPECT_FALSE(BinaryFuseFilter::Deserialize(s + "x").ok());
}

TEST(BinaryFuse, RejectsBadOptions) {
  EXPECT_FALSE(BinaryFuseFilter::Build({}, {.fingerprint_bits = 0}).ok());
  EXPECT_FALSE(BinaryFuseFilter::Build({}, {.fingerprint_bits = 33}).ok());
}

}  // namespace
}  // namespace ifed::crypto::filter
