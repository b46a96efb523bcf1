// Derived indicators, the warning list and its data file, the
// canonicalisation version.
#include <gtest/gtest.h>

#include "node/normalize/normalizer.h"
#include "node/normalize/test_util.h"
#include "node/normalize/warnings.h"

namespace ifed::normalize {
namespace {

using ::ifed::normalize::testing::OnPlatform;
using ::ifed::normalize::testing::Region;
using ::ifed::normalize::testing::TheNormalizer;

// "type value" of each derived indicator, in order.
std::vector<std::string> Derived(IndicatorType type, std::string_view raw,
                                 const Options& options = {}) {
  absl::StatusOr<Canonical> c = TheNormalizer().Normalize(type, raw, options);
  EXPECT_TRUE(c.ok()) << c.status();
  std::vector<std::string> out;
  if (!c.ok()) return out;
  for (const Canonical& d : c->derived) {
    out.push_back(std::string(TypeName(d.type)) + " " + d.value);
    EXPECT_TRUE(d.derived.empty());
  }
  return out;
}

using V = std::vector<std::string>;

TEST(DeriveTest, UrlsYieldTheHandleOrPhoneTheyName) {
  EXPECT_EQ(Derived(IndicatorType::kUrl, "wa.me/4917612345678"),
            V{"phone +4917612345678"});
  EXPECT_EQ(Derived(IndicatorType::kUrl,
                    "https://m.facebook.com/Some.Page/?ref=share#x"),
            V{"handle facebook:somepage"});
  EXPECT_EQ(Derived(IndicatorType::kUrl, "t.me/name_here"),
            V{"handle telegram:name_here"});
  EXPECT_EQ(Derived(IndicatorType::kUrl, "https://www.facebook.com/groups/123"),
            V{"handle facebook:group/123"});
  EXPECT_EQ(Derived(IndicatorType::kUrl, "https://www.instagram.com/some_user/"),
            V{"handle instagram:some_user"});
  EXPECT_EQ(Derived(IndicatorType::kUrl,
                    "https://api.whatsapp.com/send?phone=4917612345678"),
            V{"phone +4917612345678"});
  // Not a profile: nothing derived.
  EXPECT_EQ(Derived(IndicatorType::kUrl, "https://news.example.org/a/b"), V{});
  EXPECT_EQ(Derived(IndicatorType::kUrl, "https://facebook.com/share/abc"), V{});
}

TEST(DeriveTest, LinksGivenAsHandlesOrPhonesYieldTheUrl) {
  EXPECT_EQ(Derived(IndicatorType::kHandle, "https://t.me/s/Name_Here"),
            V{"url https://t.me/s/Name_Here"});
  EXPECT_EQ(Derived(IndicatorType::kPhone, "wa.me/4917612345678"),
            V{"url https://wa.me/4917612345678"});
  // Plain spellings name nothing else.
  EXPECT_EQ(Derived(IndicatorType::kHandle, "@some.page", OnPlatform("facebook")), V{});
  EXPECT_EQ(Derived(IndicatorType::kHandle, "some.page", OnPlatform("facebook")), V{});
  EXPECT_EQ(Derived(IndicatorType::kPhone, "0176 1234 5678", Region("DE")), V{});
  EXPECT_EQ(Derived(IndicatorType::kPhone, "whatsapp://send?phone=4917612345678"), V{});
}

TEST(DeriveTest, UrlAndHandleSpellingsMeet) {
  // both print the same handle.
  auto url = TheNormalizer().Normalize(
      IndicatorType::kUrl, "https://m.facebook.com/Some.Page/?ref=share#x", {});
  auto handle = TheNormalizer().Normalize(IndicatorType::kHandle, "@some.page",
                                          OnPlatform("facebook"));
  ASSERT_TRUE(url.ok() && handle.ok());
  ASSERT_EQ(url->derived.size(), 1u);
  EXPECT_EQ(url->derived[0].value, handle->value);
}

TEST(WarningTest, DefaultListFlagsFictionalAndExampleValues) {
  struct Row {
    IndicatorType type;
    std::string raw;
    Options options;
    bool warned;
  };
  const Row rows[] = {
      {IndicatorType::kPhone, "(201) 555-0123", Region("US"), true},
      {IndicatorType::kPhone, "(201) 555-0200", Region("US"), false},
      {IndicatorType::kPhone, "020 7946 0958", Region("GB"), true},
      {IndicatorType::kPhone, "020 7946 1958", Region("GB"), false},
      {IndicatorType::kPhone, "0176 1234 5678", Region("DE"), false},
      {IndicatorType::kUrl, "https://www.example.com/x", {}, true},
      {IndicatorType::kUrl, "https://shop.test/x", {}, true},
      {IndicatorType::kUrl, "https://notexample.com/x", {}, false},
      {IndicatorType::kUrl, "https://bit.ly/", {}, true},
      {IndicatorType::kUrl, "https://bit.ly/3abcDEF", {}, false},
      {IndicatorType::kUrl, "https://www.facebook.com/", {}, true},
      {IndicatorType::kUrl, "https://x.com/home", {}, true},
      {IndicatorType::kUrl, "https://www.facebook.com/help", {}, true},
      {IndicatorType::kUrl, "https://www.facebook.com/help/contact/1", {}, true},
      // A page whose name starts like a system page is an ordinary page.
      {IndicatorType::kUrl, "https://www.facebook.com/help.samir1", {}, false},
      {IndicatorType::kUrl, "https://www.instagram.com/explorer_bob/", {}, false},
      {IndicatorType::kUrl, "wa.me/12015550123", {}, true},  // derived phone
      {IndicatorType::kEmail, "someone@example.org", {}, true},
      {IndicatorType::kEmail, "someone@mail.invalid", {}, true},
      {IndicatorType::kEmail, "someone@example.de", {}, false},
      {IndicatorType::kHandle, "x:@Home", {}, true},
      {IndicatorType::kIban, "DE89 3704 0044 0532 0130 00", {}, true},
      {IndicatorType::kImei, "49-015420-323751-8", {}, true},
  };
  for (const Row& r : rows) {
    auto c = TheNormalizer().Normalize(r.type, r.raw, r.options);
    ASSERT_TRUE(c.ok()) << r.raw << ": " << c.status();
    EXPECT_EQ(c->AnyWarning() != nullptr, r.warned) << r.raw;
    if (c->AnyWarning()) {
      EXPECT_EQ(c->AnyWarning()->find(c->value), std::string::npos);
    }
  }
}

TEST(WarningTest, ParseErrorsNameTheLine) {
  auto bad = WarningList::Parse("version: 1\nentries:\n  - type: phone\n    regex: x\n", "w.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("w.yaml:4"), std::string::npos)
      << bad.status();
  EXPECT_FALSE(WarningList::Parse("version: 2\nentries: []\n", "w").ok());
  EXPECT_FALSE(WarningList::Parse("entries:\n  - {type: phone, exact: x}\n", "w").ok());
  EXPECT_FALSE(
      WarningList::Parse("entries:\n  - {type: phone, domain: x, reason: r}\n", "w").ok());
  EXPECT_FALSE(WarningList::Parse("entries: [", "w").ok());
  auto ok = WarningList::Parse(
      "version: 1\nentries:\n  - {type: wallet, exact: 'eth:0x1', reason: r}\n", "w");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->Check(IndicatorType::kCryptoWallet, "eth:0x1"), "r");
}

TEST(WarningTest, ShippedFileParsesAndIsNotEmpty) {
  EXPECT_GT(WarningList::Default().size(), 50u);
}

TEST(WarningTest, CustomListReplacesTheDefault) {
  auto list = WarningList::Parse(
      "entries:\n  - {type: phone, pattern: '+4917612345*', reason: test range}\n", "t");
  ASSERT_TRUE(list.ok());
  auto n = Normalizer::Create(*list);
  ASSERT_TRUE(n.ok());
  auto c = (*n)->Normalize(IndicatorType::kPhone, "+49 176 12345678", {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->warning, "test range");
  auto ex = (*n)->Normalize(IndicatorType::kUrl, "https://example.com/", {});
  ASSERT_TRUE(ex.ok());
  EXPECT_EQ(ex->AnyWarning(), nullptr);
}

TEST(GlobTest, Basics) {
  EXPECT_TRUE(GlobMatch("+1???55501??", "+12015550123"));
  EXPECT_FALSE(GlobMatch("+1???55501??", "+120155501234"));
  EXPECT_TRUE(GlobMatch("http*://a.b/", "https://a.b/"));
  EXPECT_TRUE(GlobMatch("http*://a.b/", "http://a.b/"));
  EXPECT_FALSE(GlobMatch("http*://a.b/", "https://a.b/x"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYbc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
}

TEST(DeriveTest, EmailAddressesYieldTheirProviderMailbox) {
  // Gmail: dots and +tag dropped, googlemail.com is gmail.com.
  EXPECT_EQ(Derived(IndicatorType::kEmail, "John.Doe+travel@gmail.com"),
            V{"email johndoe@gmail.com"});
  EXPECT_EQ(Derived(IndicatorType::kEmail, "john.doe@GoogleMail.com"),
            V{"email johndoe@gmail.com"});
  // The mailbox itself derives nothing; nor does an address at a provider
  // without a documented rule (the tag may be part of the name there).
  EXPECT_EQ(Derived(IndicatorType::kEmail, "johndoe@gmail.com"), V{});
  EXPECT_EQ(Derived(IndicatorType::kEmail, "john.doe+x@example.org"), V{});
  EXPECT_EQ(Derived(IndicatorType::kEmail, "john.doe+x@yahoo.com"), V{});
  EXPECT_EQ(Derived(IndicatorType::kEmail, "john.doe+x@icloud.com"), V{});
  // "+tag" only (dots are part of the name) at Microsoft, Fastmail, Proton.
  EXPECT_EQ(Derived(IndicatorType::kEmail, "john.doe+x@outlook.com"),
            V{"email john.doe@outlook.com"});
  EXPECT_EQ(Derived(IndicatorType::kEmail, "a.b+shop@hotmail.com"), V{"email a.b@hotmail.com"});
  EXPECT_EQ(Derived(IndicatorType::kEmail, "a.b+shop@fastmail.com"), V{"email a.b@fastmail.com"});
  EXPECT_EQ(Derived(IndicatorType::kEmail, "a.b+shop@pm.me"), V{"email a.b@pm.me"});
  EXPECT_EQ(Derived(IndicatorType::kEmail, "a.b@proton.me"), V{});
  // A leading "+" is a name, not a tag.
  EXPECT_EQ(Derived(IndicatorType::kEmail, "+ab@outlook.com"), V{});
}

TEST(DeriveTest, LiteralAddressStaysTheMainValue) {
  auto c = TheNormalizer().Normalize(IndicatorType::kEmail, "John.Doe+travel@gmail.com", {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->value, "john.doe+travel@gmail.com");
  // Two spellings of one mailbox share the derived form.
  auto d = TheNormalizer().Normalize(IndicatorType::kEmail, "johndoe@googlemail.com", {});
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(c->derived.size(), 1u);
  ASSERT_EQ(d->derived.size(), 1u);
  EXPECT_EQ(c->derived[0].value, d->derived[0].value);
}

TEST(VersionTest, IsSet) {
  // 2: provider mailbox forms (a rule change every node must share).
  EXPECT_EQ(kCanonicalVersion, 2u);
}

}  // namespace
}  // namespace ifed::normalize
