#include "node/crypto/sealer.h"

#include <gtest/gtest.h>

namespace ifed::crypto {
namespace {

std::unique_ptr<Sealer> MakeSealer(uint8_t fill) {
  auto s = Sealer::Create(SecretBytes(std::vector<uint8_t>(32, fill)));
  EXPECT_TRUE(s.ok());
  return std::move(*s);
}

TEST(Sealer, RoundTripAndFreshNonce) {
  auto s = MakeSealer(7);
  auto a = s->Seal("+49301234567", "rec-1");
  auto b = s->Seal("+49301234567", "rec-1");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->find("+49301234567"), std::string::npos);
  auto opened = s->Open(*a, "rec-1");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "+49301234567");
}

TEST(Sealer, EveryBitFlipIsDetected) {
  auto s = MakeSealer(7);
  auto sealed = s->Seal("value", "aad");
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size() * 8; ++i) {
    std::string t = *sealed;
    t[i / 8] = static_cast<char>(t[i / 8] ^ (1 << (i % 8)));
    EXPECT_EQ(s->Open(t, "aad").status().code(), absl::StatusCode::kDataLoss) << i;
  }
}

TEST(Sealer, RefusesWrongKeyAadAndTruncation) {
  auto s = MakeSealer(7);
  auto sealed = s->Seal("value", "aad");
  ASSERT_TRUE(sealed.ok());
  EXPECT_FALSE(MakeSealer(8)->Open(*sealed, "aad").ok());
  EXPECT_FALSE(s->Open(*sealed, "other").ok());
  EXPECT_FALSE(s->Open(sealed->substr(0, 10), "aad").ok());
  EXPECT_FALSE(Sealer::Create(SecretBytes(std::vector<uint8_t>(16, 1))).ok());
}

// The token is HMAC-SHA256(HMAC-SHA256(key, label), name), first 16 bytes
// in hex (expected value computed independently with Python's hmac module).
TEST(Sealer, TokenIsAKeyedOneWayNameForALocalReference) {
  auto s = MakeSealer(7);
  auto t = s->Token("ifed-case-token-v1", "CASE-2026-17");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "f4750b56a761b5455ff966de99b7d953");
  EXPECT_EQ(*s->Token("ifed-case-token-v1", "CASE-2026-17"), *t);
  EXPECT_NE(*s->Token("ifed-case-token-v1", "CASE-2026-18"), *t);
  EXPECT_NE(*s->Token("other-label", "CASE-2026-17"), *t);
  EXPECT_NE(*MakeSealer(8)->Token("ifed-case-token-v1", "CASE-2026-17"), *t);
}

}  // namespace
}  // namespace ifed::crypto
