#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/ingest/misp.h"
#include "node/ingest/stix.h"

namespace ifed::ingest {
namespace {

using ::testing::HasSubstr;

struct Collected {
  std::vector<Row> rows;
  std::vector<Refusal> refusals;
  Sinks sinks() {
    return Sinks{[this](Row&& r) { rows.push_back(std::move(r)); },
                 [this](Refusal&& r) { refusals.push_back(std::move(r)); }};
  }
  const Refusal* RefusalFor(const std::string& source) const {
    for (const Refusal& r : refusals) {
      if (r.source == source) return &r;
    }
    return nullptr;
  }
};

std::ifstream TestFile(const std::string& name) {
  const char* root = std::getenv("IFED_SOURCE_DIR");
  return std::ifstream(std::string(root ? root : ".") + "/node/ingest/testdata/" + name);
}

constexpr int64_t kNow = 1'750'000'000;  // 2025-06-15

TEST(StixPattern, SingleComparisons) {
  auto v = ParseStixPattern("[url:value = 'https://a.example/x']");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0].type, IndicatorType::kUrl);
  EXPECT_EQ((*v)[0].value, "https://a.example/x");
  v = ParseStixPattern("[email-addr:value = 'o\\'brien@example.org' OR phone-number:value = '+431']");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 2u);
  EXPECT_EQ((*v)[0].value, "o'brien@example.org");
  EXPECT_EQ((*v)[1].type, IndicatorType::kPhone);
  v = ParseStixPattern("[domain-name:value = 'boat.example']");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)[0].value, "https://boat.example/");
}

TEST(StixPattern, UserAccountNeedsType) {
  auto v = ParseStixPattern(
      "[(user-account:account_type = 'Instagram' AND user-account:account_login = 'x.y')]");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)[0].type, IndicatorType::kHandle);
  EXPECT_EQ((*v)[0].value, "instagram:x.y");
  EXPECT_FALSE(ParseStixPattern("[user-account:account_login = 'x']").ok());
}

TEST(StixPattern, RefusesOutsideTheSubsetWithoutQuotingValues) {
  for (const char* p : {"[url:value LIKE '%secret%']", "[url:value = 'a'] FOLLOWEDBY [url:value = 'b']",
                        "[url:value = 'a' AND email-addr:value = 'b']", "[url:value = 'a'",
                        "[url:value = 'a' OR url:value = 'b' AND url:value = 'c']",
                        "[ipv4-addr:value = '192.0.2.1']", "[url:value = 12345]",
                        "[url:value = 'a'] WITHIN 5 SECONDS", "[url:value = 'a' secretword]",
                        "url:value = 'a'", ""}) {
    auto v = ParseStixPattern(p);
    ASSERT_FALSE(v.ok()) << p;
    EXPECT_THAT(std::string(v.status().message()), ::testing::Not(HasSubstr("secret"))) << p;
    EXPECT_THAT(std::string(v.status().message()), ::testing::Not(HasSubstr("12345"))) << p;
  }
}

TEST(StixBundle, MapsIndicatorsMarkingsAndExpiry) {
  auto in = TestFile("bundle.json");
  ASSERT_TRUE(in);
  Collected c;
  ASSERT_TRUE(ReadStixBundle(in, ReadOptions{kNow}, c.sinks()).ok());
  ASSERT_EQ(c.rows.size(), 4u);
  // 1: url, TLP:AMBER (2.0 standard id), valid_until -> expiry.
  EXPECT_EQ(c.rows[0].type, IndicatorType::kUrl);
  EXPECT_EQ(c.rows[0].tlp, Tlp::kAmber);
  EXPECT_EQ(c.rows[0].expires, 4070908800);
  EXPECT_EQ(c.rows[0].source, "indicator--00000000-0000-4000-8000-000000000001");
  // 2: TLP:RED, two observations -> handle and e-mail.
  EXPECT_EQ(c.rows[1].type, IndicatorType::kHandle);
  EXPECT_EQ(c.rows[1].value, "telegram:Crossing_Fast");
  EXPECT_EQ(c.rows[1].tlp, Tlp::kRed);
  EXPECT_EQ(c.rows[2].type, IndicatorType::kEmail);
  EXPECT_EQ(c.rows[2].tlp, Tlp::kRed);
  // 3: phone whose marking definition comes at the end of the bundle.
  EXPECT_EQ(c.rows[3].type, IndicatorType::kPhone);
  EXPECT_EQ(c.rows[3].tlp, Tlp::kGreen);
  EXPECT_EQ(c.rows[3].ordinal, 4u);
  EXPECT_EQ(c.rows[3].expires, 0);

  const Refusal* r = c.RefusalFor("indicator--00000000-0000-4000-8000-000000000004");
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->skipped);
  EXPECT_THAT(r->reason, HasSubstr("revoked"));
  r = c.RefusalFor("indicator--00000000-0000-4000-8000-000000000005");
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->skipped);
  EXPECT_THAT(r->reason, HasSubstr("unsupported property ipv4-addr:value"));
  r = c.RefusalFor("indicator--00000000-0000-4000-8000-000000000006");
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(r->skipped);
  EXPECT_THAT(r->reason, HasSubstr("no pattern"));
  r = c.RefusalFor("indicator--00000000-0000-4000-8000-000000000007");
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->skipped);
  EXPECT_THAT(r->reason, HasSubstr("expired"));
  EXPECT_NE(c.RefusalFor("indicator--00000000-0000-4000-8000-000000000008"), nullptr);
  r = c.RefusalFor("indicator--00000000-0000-4000-8000-000000000009");
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(r->reason, HasSubstr("pattern_type"));
  r = c.RefusalFor("x-unknown-thing--1");
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->skipped);
  r = c.RefusalFor("object without a type");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->ordinal, 12u);
  EXPECT_EQ(c.RefusalFor("indicator--00000000-0000-4000-8000-000000000002"), nullptr);
}

TEST(StixBundle, RejectsNonBundlesAndBrokenJsonWithoutQuotingIt) {
  Collected c;
  std::istringstream a(R"({"type":"report","objects":[]})");
  EXPECT_FALSE(ReadStixBundle(a, {}, c.sinks()).ok());
  std::istringstream b(R"({"type":"bundle","objects":[{"type":"indicator", secretvalue}]})");
  auto s = ReadStixBundle(b, {}, c.sinks());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr("secretvalue")));
  std::istringstream d("[1,2]");
  EXPECT_FALSE(ReadStixBundle(d, {}, c.sinks()).ok());
}

TEST(MispEvent, MapsAttributesObjectsAndTags) {
  auto in = TestFile("event.json");
  ASSERT_TRUE(in);
  Collected c;
  ASSERT_TRUE(ReadMispEvents(in, {}, c.sinks()).ok());
  std::vector<std::pair<IndicatorType, std::string>> got;
  for (const Row& r : c.rows) got.emplace_back(r.type, r.value);
  using P = std::pair<IndicatorType, std::string>;
  EXPECT_THAT(got, ::testing::ElementsAre(
                       P{IndicatorType::kPhone, "+43 660 7654321"},
                       P{IndicatorType::kUrl, "https://boats.example/book"},
                       P{IndicatorType::kCryptoWallet, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"},
                       P{IndicatorType::kHandle, "telegram:fast_crossing"},
                       P{IndicatorType::kPhone, "+43 660 1111111"},
                       P{IndicatorType::kHandle, "facebook:cheap.crossings"},
                       P{IndicatorType::kUrl, "https://www.facebook.com/cheap.crossings"}));
  // Event tag tlp:amber; the attribute's own tlp:red wins.
  EXPECT_EQ(c.rows[0].tlp, Tlp::kAmber);
  EXPECT_EQ(c.rows[1].tlp, Tlp::kRed);
  EXPECT_EQ(c.rows[0].case_ref, "misp:5f6a0b1c-0000-4000-8000-00000000e001");
  EXPECT_EQ(c.rows[0].source, "attribute a0000000-0000-4000-8000-000000000001");
  const Refusal* r = c.RefusalFor("attribute a0000000-0000-4000-8000-000000000003");
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->skipped);
  EXPECT_THAT(r->reason, HasSubstr("ip-dst"));
  EXPECT_THAT(r->reason, ::testing::Not(HasSubstr("192.0.2.1")));
  r = c.RefusalFor("attribute a0000000-0000-4000-8000-000000000004");
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(r->reason, HasSubstr("deleted"));
  r = c.RefusalFor("attribute a0000000-0000-4000-8000-000000000006");
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(r->skipped);
  EXPECT_THAT(r->reason, HasSubstr("malformed"));
  r = c.RefusalFor("attribute a0000000-0000-4000-8000-000000000009");
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(r->reason, HasSubstr("in object telegram-account"));
}

TEST(MispEvent, ResponseListAndNoEvent) {
  Collected c;
  std::istringstream a(R"({"response":[{"Event":{"uuid":"u1","Attribute":[{"type":"url","value":"https://x.example/"}],"Tag":[{"name":"TLP:GREEN"}]}},
                                        {"Event":{"uuid":"u2","Attribute":[{"type":"email","value":"a@example.org"}]}}]})");
  ASSERT_TRUE(ReadMispEvents(a, {}, c.sinks()).ok());
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[0].tlp, Tlp::kGreen);
  EXPECT_EQ(c.rows[1].tlp, Tlp::kUnspecified);
  EXPECT_EQ(c.rows[1].case_ref, "misp:u2");
  std::istringstream b(R"({"foo": 1})");
  EXPECT_FALSE(ReadMispEvents(b, {}, c.sinks()).ok());
}

TEST(Timestamps, Rfc3339) {
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimestamp("2099-01-01T00:00:00.123Z"), 4070908800);
  EXPECT_FALSE(ParseTimestamp("yesterday").has_value());
}

}  // namespace
}  // namespace ifed::ingest
