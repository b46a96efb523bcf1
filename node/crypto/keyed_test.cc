#include "node/crypto/keyed.h"

#include <gtest/gtest.h>

#include "node/crypto/test_util.h"

namespace ifed::crypto {
namespace {

using testing::Hex;

std::map<uint32_t, SecretBytes> Keys() {
  std::map<uint32_t, SecretBytes> keys;
  keys.emplace(1, SecretBytes(Hex(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")));
  keys.emplace(2, SecretBytes(std::vector<uint8_t>(32, 0x42)));
  return keys;
}

TEST(KeyedPseudonymizer, KnownAnswer) {
  // openssl dgst -sha256 -mac HMAC -macopt hexkey:00..1f over
  // "phone" 0x00 "+49301234567".
  auto p = KeyedPseudonymizer::Create(Keys());
  ASSERT_TRUE(p.ok());
  auto ps = (*p)->Pseudonymize(1, IndicatorType::kPhone, "+49301234567");
  ASSERT_TRUE(ps.ok());
  EXPECT_EQ(std::vector<uint8_t>(ps->begin(), ps->end()),
            Hex("d3fa3afd780cdb13df5a7d030e410a72e25b679cb500e0fae6f3fdf3ceaef966"));
}

TEST(KeyedPseudonymizer, TypeAndEpochSeparateDomains) {
  auto p = KeyedPseudonymizer::Create(Keys());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->current_epoch(), 2u);
  auto a = (*p)->Pseudonymize(1, IndicatorType::kPhone, "x");
  auto b = (*p)->Pseudonymize(1, IndicatorType::kEmail, "x");
  auto c = (*p)->Pseudonymize(2, IndicatorType::kPhone, "x");
  auto d = (*p)->Pseudonymize(1, IndicatorType::kPhone, "x");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_NE(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_EQ(*a, *d);
}

TEST(KeyedPseudonymizer, UnknownEpochIsNotFound) {
  auto p = KeyedPseudonymizer::Create(Keys());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->Pseudonymize(7, IndicatorType::kPhone, "x").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(KeyedPseudonymizer, RefusesBadKeys) {
  EXPECT_FALSE(KeyedPseudonymizer::Create({}).ok());
  std::map<uint32_t, SecretBytes> short_key;
  short_key.emplace(1, SecretBytes(std::vector<uint8_t>(16, 1)));
  EXPECT_FALSE(KeyedPseudonymizer::Create(short_key).ok());
}

}  // namespace
}  // namespace ifed::crypto
