#include "node/policy/outbound_plan.h"

#include <gtest/gtest.h>

namespace ifed::policy {
namespace {

using ifed::v1::HANDLE;
using ifed::v1::PHONE;
using ifed::v1::URL;

constexpr char kRules[] = R"(defaults:
  legal_basis: test
  purposes: [migrant_smuggling]
partners:
  - partner: all
    types: [url, phone, handle]
  - partner: urls
    types: [url]
  - partner: phones
    types: [phone]
  - partner: handles
    types: [url, handle]
)";

Query UrlQuery() {
  // A url value (a wa.me link) and the phone and handle forms derived from links.
  return Query{.direction = Direction::kOutbound,
               .purpose = ifed::v1::MIGRANT_SMUGGLING,
               .types = {URL, PHONE, HANDLE},
               .now = 1700000000};
}

TEST(OutboundPlan, ADerivedFormOfATypeNotAllowedIsSkippedNotTheWholeQuery) {
  auto policy = Policy::LoadTexts({{"p.yaml", kRules}});
  ASSERT_TRUE(policy.ok()) << policy.status();
  const OutboundPlan plan =
      PlanOutbound(**policy, UrlQuery(), {"all", "urls", "phones", "handles", "nobody"}, {URL});
  EXPECT_EQ(plan.peers, (std::vector<std::string>{"all", "urls", "handles"}));
  EXPECT_EQ(plan.skipped.count("all"), 0u);
  ASSERT_EQ(plan.skipped.count("urls"), 1u);
  EXPECT_EQ(plan.skipped.at("urls").size(), 2u);
  EXPECT_EQ(plan.skipped.at("urls").count(PHONE), 1u);
  EXPECT_EQ(plan.skipped.at("urls").count(HANDLE), 1u);
  EXPECT_NE(plan.skipped.at("urls").at(PHONE).find("phone"), std::string::npos)
      << plan.skipped.at("urls").at(PHONE);
  ASSERT_EQ(plan.skipped.count("handles"), 1u);
  EXPECT_EQ(plan.skipped.at("handles").size(), 1u);
  EXPECT_EQ(plan.skipped.at("handles").count(PHONE), 1u);
  // The value's own type is not allowed: refused as a whole, as before.
  EXPECT_EQ(plan.refused.count("phones"), 1u);
  EXPECT_EQ(plan.refused.count("nobody"), 1u);
  EXPECT_EQ(plan.skipped.count("phones"), 0u);
}

TEST(OutboundPlan, ATypeAskedAsAValueIsNeverSkipped) {
  auto policy = Policy::LoadTexts({{"p.yaml", kRules}});
  ASSERT_TRUE(policy.ok());
  // A phone value asked along with the url: a peer without phone is refused.
  const OutboundPlan plan = PlanOutbound(**policy, UrlQuery(), {"urls", "all"}, {URL, PHONE});
  EXPECT_EQ(plan.peers, std::vector<std::string>{"all"});
  EXPECT_EQ(plan.refused.count("urls"), 1u);
  EXPECT_TRUE(plan.skipped.empty());
}

TEST(OutboundPlan, OtherRefusalsStayRefusals) {
  auto policy = Policy::LoadTexts({{"p.yaml", kRules}});
  ASSERT_TRUE(policy.ok());
  Query q = UrlQuery();
  q.purpose = ifed::v1::TRAFFICKING_IN_HUMAN_BEINGS;  // no rule allows it
  const OutboundPlan plan = PlanOutbound(**policy, q, {"all", "urls"}, {URL});
  EXPECT_TRUE(plan.peers.empty());
  EXPECT_EQ(plan.refused.size(), 2u);
  // Only derived types (no value type known): nothing to fall back on.
  const OutboundPlan none = PlanOutbound(**policy, UrlQuery(), {"urls"}, {});
  EXPECT_EQ(none.refused.count("urls"), 1u);
}

}  // namespace
}  // namespace ifed::policy
