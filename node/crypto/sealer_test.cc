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

// A reference is per partner: deterministic for one partner, unrelated
// across partners, and opens only for the partner it was made for.
TEST(Sealer, ReferenceIsPerPartnerAndResolvesForThatPartnerOnly) {
  auto s = MakeSealer(7);
  const std::string id = "0123456789abcdef0123456789abcdef";
  auto a = s->Reference("at", id);
  auto b = s->Reference("hu", id);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 45u) << *a;
  EXPECT_EQ(a->front(), 'r');
  EXPECT_EQ(*s->Reference("at", id), *a);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->find(id), std::string::npos);
  EXPECT_EQ(*s->ResolveReference("at", *a), id);
  EXPECT_EQ(*s->ResolveReference("hu", *b), id);
  EXPECT_TRUE(absl::IsNotFound(s->ResolveReference("hu", *a).status()));
  EXPECT_TRUE(absl::IsNotFound(s->ResolveReference("at", *b).status()));
  // Another node's token for the same partner and record.
  EXPECT_TRUE(absl::IsNotFound(MakeSealer(8)->ResolveReference("at", *a).status()));
  // Other record ids round-trip too (ids that are not 32 hex digits).
  auto odd = s->Reference("at", "r2");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(*s->ResolveReference("at", *odd), "r2");
  EXPECT_LE(s->Reference("at", std::string(30, 'x'))->size(), 64u);
}

TEST(Sealer, ReferenceRefusesEveryAlteredOrMalformedToken) {
  auto s = MakeSealer(7);
  const std::string a = *s->Reference("at", "0123456789abcdef0123456789abcdef");
  for (size_t i = 1; i < a.size(); ++i) {
    std::string t = a;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_TRUE(absl::IsNotFound(s->ResolveReference("at", t).status())) << i;
  }
  for (const std::string& bad : {std::string(), std::string("r"), std::string("x") + a.substr(1),
                                a.substr(0, 20), std::string("r!!!"), std::string(200, 'r'),
                                std::string("0123456789abcdef0123456789abcdef")}) {
    EXPECT_TRUE(absl::IsNotFound(s->ResolveReference("at", bad).status())) << bad;
  }
}

}  // namespace
}  // namespace ifed::crypto
