#include "node/taxii/page_token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "node/common/status_matchers.h"

namespace ifed::taxii {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;

std::unique_ptr<PageTokens> Tokens(uint8_t fill) {
  std::vector<uint8_t> key(32, fill);
  auto t = PageTokens::WithKey(crypto::SecretBytes(key));
  EXPECT_THAT(t, IsOk());
  return std::move(*t);
}

std::string Binding(const std::string& client = "opencti", const std::string& collection = "c1") {
  Filter f;
  f.types = {"sighting"};
  return BindingOf(client, "objects", collection, "", f);
}

TEST(PageTokens, RoundTrip) {
  auto t = Tokens(1);
  const std::string token = t->Mint(Binding(), {1796601600000123, "sighting--x"});
  auto c = t->Verify(Binding(), token);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->added_us, 1796601600000123);
  EXPECT_EQ(c->id, "sighting--x");
  // URL-safe: nothing to escape in a query string.
  EXPECT_EQ(token.find_first_of("+/=&?# "), std::string::npos) << token;
}

TEST(PageTokens, BoundToClientCollectionAndFilters) {
  auto t = Tokens(1);
  const std::string token = t->Mint(Binding(), {5, "a"});
  EXPECT_THAT(t->Verify(Binding("misp"), token), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(t->Verify(Binding("opencti", "c2"), token),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Filter other;
  EXPECT_THAT(t->Verify(BindingOf("opencti", "objects", "c1", "", other), token),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Filter same;
  same.types = {"sighting"};
  EXPECT_THAT(t->Verify(BindingOf("opencti", "manifest", "c1", "", same), token),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Tokens(2)->Verify(Binding(), token), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PageTokens, EveryFlippedBitIsRefused) {
  auto t = Tokens(1);
  const std::string token = t->Mint(Binding(), {1796601600000123, "sighting--x"});
  const size_t dot = token.find('.');
  std::string payload, tag;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token.substr(0, dot), &payload));
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token.substr(dot + 1), &tag));
  for (std::string* part : {&payload, &tag}) {
    for (size_t i = 0; i < part->size() * 8; ++i) {
      (*part)[i / 8] = static_cast<char>((*part)[i / 8] ^ (1 << (i % 8)));
      const std::string edited =
          absl::WebSafeBase64Escape(payload) + "." + absl::WebSafeBase64Escape(tag);
      EXPECT_THAT(t->Verify(Binding(), edited), StatusIs(absl::StatusCode::kInvalidArgument))
          << "bit " << i;
      (*part)[i / 8] = static_cast<char>((*part)[i / 8] ^ (1 << (i % 8)));
    }
  }
}

TEST(PageTokens, GarbageIsRefused) {
  auto t = Tokens(1);
  for (const std::string& bad :
       std::vector<std::string>{"", ".", "abc", "a.b.c", "!!!.???", std::string(600, 'A')}) {
    EXPECT_THAT(t->Verify(Binding(), bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(PageTokens, ShortKeyIsRefusedAndRandomKeysDiffer) {
  EXPECT_THAT(PageTokens::WithKey(crypto::SecretBytes(std::vector<uint8_t>(16, 1))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto a = PageTokens::Create();
  auto b = PageTokens::Create();
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_NE((*a)->Mint(Binding(), {1, "x"}), (*b)->Mint(Binding(), {1, "x"}));
}

}  // namespace
}  // namespace ifed::taxii
