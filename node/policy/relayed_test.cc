// Relays widen nothing: the intersection of the querier's and the hub's rule.
#include <gtest/gtest.h>

#include "node/policy/policy.h"

namespace ifed::policy {
namespace {

constexpr int64_t kNow = 1830297600;  // 2028-01-01T00:00:00Z

constexpr char kSet[] = R"(defaults:
  legal_basis: "test"
  purposes: [migrant_smuggling, trafficking_in_human_beings]
  max_batch: 100
partners:
  - partner: eu
    types: [phone, url, handle]
    max_tlp: amber
    disclosure: hit_with_contact
    crime_areas: [migrant_smuggling, fraud]
    watches: {allowed: true, max_active: 500}
    query_retention_days: 30
  - partner: hu
    types: [url, email]
    max_tlp: green
    disclosure: hit_with_reference
    purposes: [migrant_smuggling]
    crime_areas: [migrant_smuggling]
    watches: {allowed: true, max_active: 50}
    query_retention_days: 90
  - partner: cz
    types: [url]
    crime_areas: [drugs]
  - partner: ua
    types: [url]
    scheme: oprf
  - partner: hub2
    types: [url]
    scheme: keyed_or_oprf
)";

std::shared_ptr<const Policy> Set() {
  auto p = Policy::LoadTexts({{"set.yaml", kSet}});
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

ifed::v1::Record Rec(ifed::v1::Tlp tlp, const std::string& area = "migrant_smuggling") {
  ifed::v1::Record r;
  r.set_tlp(tlp);
  r.set_crime_area(area);
  return r;
}

TEST(IntersectRules, EveryDimensionTakesTheNarrowerRule) {
  auto p = Set();
  const EffectiveRule* eu = p->Find("eu", Direction::kInbound, kNow);
  const EffectiveRule* hu = p->Find("hu", Direction::kInbound, kNow);
  ASSERT_NE(eu, nullptr);
  ASSERT_NE(hu, nullptr);
  for (const EffectiveRule& r : {IntersectRules(*hu, *eu), IntersectRules(*eu, *hu)}) {
    ASSERT_EQ(r.rule.types_size(), 1);
    EXPECT_EQ(r.rule.types(0), ifed::v1::URL);
    ASSERT_EQ(r.rule.purposes_size(), 1);
    EXPECT_EQ(r.rule.purposes(0), ifed::v1::MIGRANT_SMUGGLING);
    ASSERT_EQ(r.rule.crime_areas_size(), 1);
    EXPECT_EQ(r.rule.crime_areas(0), "migrant_smuggling");
    EXPECT_EQ(r.rule.max_tlp(), ifed::v1::TLP_GREEN);
    EXPECT_EQ(r.rule.disclosure(), ifed::v1::HIT_WITH_REFERENCE);
    EXPECT_TRUE(r.rule.watches().allowed());
    EXPECT_EQ(r.rule.watches().max_active(), 50u);
    EXPECT_EQ(r.rule.query_retention_days(), 30u);
    EXPECT_EQ(r.rule.scheme(), ifed::v1::KEYED);
    EXPECT_FALSE(r.rule.follow_ups().allowed());
  }
}

TEST(IntersectRules, RecordsVisibleOnlyToBoth) {
  auto p = Set();
  const EffectiveRule r = IntersectRules(*p->Find("hu", Direction::kInbound, kNow),
                                         *p->Find("eu", Direction::kInbound, kNow));
  EXPECT_TRUE(RecordVisibleToAll(r, {"hu", "eu"}, Rec(ifed::v1::TLP_GREEN), kNow));
  EXPECT_FALSE(RecordVisibleToAll(r, {"hu", "eu"}, Rec(ifed::v1::TLP_AMBER), kNow));
  EXPECT_FALSE(RecordVisibleToAll(r, {"hu", "eu"}, Rec(ifed::v1::TLP_GREEN, "fraud"), kNow));
  for (const char* who : {"hu", "eu"}) {
    ifed::v1::Record not_for = Rec(ifed::v1::TLP_GREEN);
    not_for.add_not_for(who);
    EXPECT_FALSE(RecordVisibleToAll(r, {"hu", "eu"}, not_for, kNow)) << who;
  }
  ifed::v1::Record national = Rec(ifed::v1::TLP_GREEN);
  national.set_national_only(true);
  EXPECT_FALSE(RecordVisibleToAll(r, {"hu", "eu"}, national, kNow));
}

TEST(IntersectRules, DisjointCrimeAreasShowNothing) {
  auto p = Set();
  const EffectiveRule r = IntersectRules(*p->Find("cz", Direction::kInbound, kNow),
                                         *p->Find("hu", Direction::kInbound, kNow));
  EXPECT_FALSE(RecordVisibleToAll(r, {"cz"}, Rec(ifed::v1::TLP_GREEN, "drugs"), kNow));
  EXPECT_FALSE(RecordVisibleToAll(r, {"cz"}, Rec(ifed::v1::TLP_GREEN), kNow));
  EXPECT_FALSE(RecordVisibleToAll(r, {"cz"}, Rec(ifed::v1::TLP_GREEN, ""), kNow));
}

TEST(IntersectRules, SchemesMustAgree) {
  auto p = Set();
  const EffectiveRule r = IntersectRules(*p->Find("ua", Direction::kInbound, kNow),
                                         *p->Find("eu", Direction::kInbound, kNow));
  EXPECT_EQ(r.rule.scheme(), ifed::v1::PSEUDONYM_SCHEME_UNSPECIFIED);
  // A hub rule for either scheme keeps the querier's.
  const EffectiveRule* hub2 = p->Find("hub2", Direction::kInbound, kNow);
  EXPECT_EQ(IntersectRules(*p->Find("ua", Direction::kInbound, kNow), *hub2).rule.scheme(),
            ifed::v1::OPRF);
  EXPECT_EQ(IntersectRules(*p->Find("eu", Direction::kInbound, kNow), *hub2).rule.scheme(),
            ifed::v1::KEYED);
}

TEST(DecideRelayed, BothRulesMustAllow) {
  auto p = Set();
  Query q{.partner = "hu",
          .purpose = ifed::v1::MIGRANT_SMUGGLING,
          .types = {ifed::v1::URL},
          .scheme = ifed::v1::KEYED,
          .items = 1,
          .now = kNow};
  RelayedDecision ok = DecideRelayed(*p, q, "eu");
  ASSERT_TRUE(ok.status.ok()) << ok.status;
  EXPECT_EQ(ok.querier_rule, p->Find("hu", Direction::kInbound, kNow));
  EXPECT_EQ(ok.hub_rule, p->Find("eu", Direction::kInbound, kNow));
  EXPECT_EQ(ok.rule.rule.max_tlp(), ifed::v1::TLP_GREEN);

  Query phone = q;  // the hub may, the querier may not.
  phone.types = {ifed::v1::PHONE};
  EXPECT_EQ(DecideRelayed(*p, phone, "eu").status.code(), absl::StatusCode::kPermissionDenied);
  Query email = q;  // the querier may, the hub may not.
  email.types = {ifed::v1::EMAIL};
  RelayedDecision hub_no = DecideRelayed(*p, email, "eu");
  EXPECT_EQ(hub_no.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(hub_no.reason.find("for the hub"), std::string::npos) << hub_no.reason;
  Query purpose = q;  // the hub may, the querier may not.
  purpose.purpose = ifed::v1::TRAFFICKING_IN_HUMAN_BEINGS;
  EXPECT_FALSE(DecideRelayed(*p, purpose, "eu").status.ok());
  Query nobody = q;  // no rule for the querier: nothing, whatever the hub's rule.
  nobody.partner = "pl";
  EXPECT_EQ(DecideRelayed(*p, nobody, "eu").status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(DecideRelayed(*p, q, "pl").status.ok());  // no rule for the hub.
  Query oprf = q;  // the querier's scheme, not the hub's.
  oprf.partner = "ua";
  oprf.scheme = ifed::v1::OPRF;
  EXPECT_FALSE(DecideRelayed(*p, oprf, "eu").status.ok());
  EXPECT_TRUE(DecideRelayed(*p, oprf, "hub2").status.ok());  // keyed_or_oprf
  Query keyed_url = q;
  EXPECT_TRUE(DecideRelayed(*p, keyed_url, "hub2").status.ok());
}

}  // namespace
}  // namespace ifed::policy
