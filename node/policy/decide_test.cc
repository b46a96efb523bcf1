// Decisions, record visibility, explain, diff, and atomic reload.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "node/policy/policy.h"

namespace ifed::policy {
namespace {

using ifed::v1::IndicatorType;
using ifed::v1::Purpose;
using ifed::v1::Tlp;
using absl::StatusCode;

constexpr int64_t k2028 = 1830297600;  // 2028-01-01T00:00:00Z

constexpr char kSet[] = R"(defaults:
  legal_basis: "Prüm Decision 2008/615/JHA, art. 3"
  purposes: [migrant_smuggling, trafficking_in_human_beings]
  max_batch: 100
partners:
  - partner: at
    types: [phone, handle]
    max_tlp: amber
    disclosure: hit_with_contact
    crime_areas: [migrant_smuggling]
  - partner: hu
    direction: inbound
    types: [url]
    purposes: [migrant_smuggling]
  - partner: hu
    direction: outbound
    types: [url, phone]
  - partner: ua
    types: [url]
    scheme: oprf
  - partner: rs
    types: [phone]
    valid_from: 2027-01-01
    valid_until: 2029-01-01
)";

std::shared_ptr<const Policy> Set() {
  auto p = Policy::LoadTexts({{"set.yaml", kSet}});
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

struct DecideCase {
  const char* name;
  Query q;
  StatusCode code;
  const char* reason;  // substring of Decision::reason.
};

class DecideTable : public ::testing::TestWithParam<DecideCase> {};

TEST_P(DecideTable, Decides) {
  const DecideCase& c = GetParam();
  Decision d = Set()->Decide(c.q);
  EXPECT_EQ(d.status.code(), c.code) << c.name << ": " << d.status << " / " << d.reason;
  EXPECT_NE(d.reason.find(c.reason), std::string::npos) << c.name << ": " << d.reason;
}

Query Q(std::string partner, Purpose p, std::vector<IndicatorType> types,
        Direction dir = Direction::kInbound, size_t items = 1, int64_t now = k2028,
        ifed::v1::PseudonymScheme scheme = ifed::v1::KEYED) {
  return Query{std::move(partner), dir, p, std::move(types), scheme, items, now};
}

INSTANTIATE_TEST_SUITE_P(
    Fields, DecideTable,
    ::testing::Values(
        DecideCase{"allowed", Q("at", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE}),
                   StatusCode::kOk, "set.yaml:6"},
        DecideCase{"no_rule", Q("xx", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE}),
                   StatusCode::kPermissionDenied, "default deny"},
        DecideCase{"purpose_inherited", Q("at", ifed::v1::TRAFFICKING_IN_HUMAN_BEINGS, {ifed::v1::PHONE}),
                   StatusCode::kOk, ""},
        DecideCase{"purpose_denied", Q("at", ifed::v1::TERRORISM, {ifed::v1::PHONE}),
                   StatusCode::kPermissionDenied, "purpose terrorism is not in purposes"},
        DecideCase{"purpose_unspecified", Q("at", ifed::v1::PURPOSE_UNSPECIFIED, {ifed::v1::PHONE}),
                   StatusCode::kPermissionDenied, "purpose unspecified"},
        DecideCase{"purpose_overridden", Q("hu", ifed::v1::TRAFFICKING_IN_HUMAN_BEINGS, {ifed::v1::URL}),
                   StatusCode::kPermissionDenied, "(set.yaml:14)"},
        DecideCase{"type_denied", Q("at", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE, ifed::v1::URL}),
                   StatusCode::kPermissionDenied, "type url is not in types [phone, handle] (set.yaml:7)"},
        DecideCase{"asymmetric_inbound", Q("hu", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE}),
                   StatusCode::kPermissionDenied, "type phone"},
        DecideCase{"asymmetric_outbound",
                   Q("hu", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE}, Direction::kOutbound),
                   StatusCode::kOk, "set.yaml:15"},
        DecideCase{"outbound_default_both",
                   Q("at", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::HANDLE}, Direction::kOutbound),
                   StatusCode::kOk, ""},
        DecideCase{"batch_limit", Q("at", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE}, Direction::kInbound, 101),
                   StatusCode::kInvalidArgument, "max_batch 100 (set.yaml:4)"},
        DecideCase{"scheme_required", Q("ua", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::URL}),
                   StatusCode::kPermissionDenied, "requires oprf"},
        DecideCase{"scheme_ok",
                   Q("ua", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::URL}, Direction::kInbound, 1, k2028, ifed::v1::OPRF),
                   StatusCode::kOk, ""},
        DecideCase{"validity_in", Q("rs", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE}),
                   StatusCode::kOk, ""},
        DecideCase{"validity_before",
                   Q("rs", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE}, Direction::kInbound, 1, k2028 - 400 * 86400),
                   StatusCode::kPermissionDenied, "not in force"},
        DecideCase{"validity_after",
                   Q("rs", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE}, Direction::kInbound, 1, k2028 + 400 * 86400),
                   StatusCode::kPermissionDenied, "not in force"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Decide, PartnerMessageCarriesNoRuleDetail) {
  Decision d = Set()->Decide(Q("at", ifed::v1::TERRORISM, {ifed::v1::PHONE}));
  EXPECT_EQ(d.status.message(), "purpose terrorism is not allowed for this partner");
  d = Set()->Decide(Q("xx", ifed::v1::TERRORISM, {ifed::v1::PHONE}));
  EXPECT_EQ(d.status.message(), "no sharing rule for this partner");
}

TEST(Decide, RuleCarriesEveryField) {
  auto p = Set();
  const EffectiveRule* at = p->Find("at", Direction::kInbound, k2028);
  ASSERT_NE(at, nullptr);
  EXPECT_EQ(at->rule.disclosure(), ifed::v1::HIT_WITH_CONTACT);
  EXPECT_EQ(at->rule.query_retention_days(), 30u);
  EXPECT_FALSE(at->rule.watches().allowed());
  EXPECT_FALSE(at->rule.follow_ups().allowed());
  EXPECT_EQ(at->rule.legal_basis(), "Prüm Decision 2008/615/JHA, art. 3");
}

ifed::v1::Record Rec(Tlp tlp, std::string area = "migrant_smuggling") {
  ifed::v1::Record r;
  r.set_tlp(tlp);
  r.set_crime_area(std::move(area));
  return r;
}

TEST(RecordVisible, EachRestriction) {
  auto p = Set();
  const EffectiveRule& at = *p->Find("at", Direction::kInbound, k2028);
  const EffectiveRule& hu = *p->Find("hu", Direction::kInbound, k2028);
  EXPECT_TRUE(Policy::RecordVisible(at, "at", Rec(ifed::v1::TLP_AMBER), k2028));
  EXPECT_FALSE(Policy::RecordVisible(at, "at", Rec(ifed::v1::TLP_AMBER_STRICT), k2028));
  EXPECT_FALSE(Policy::RecordVisible(at, "at", Rec(ifed::v1::TLP_RED), k2028));
  EXPECT_FALSE(Policy::RecordVisible(at, "at", Rec(ifed::v1::TLP_UNSPECIFIED), k2028));
  EXPECT_FALSE(Policy::RecordVisible(hu, "hu", Rec(ifed::v1::TLP_AMBER), k2028));  // default green
  EXPECT_TRUE(Policy::RecordVisible(hu, "hu", Rec(ifed::v1::TLP_CLEAR, "fraud"), k2028));  // any area
  EXPECT_FALSE(Policy::RecordVisible(at, "at", Rec(ifed::v1::TLP_GREEN, "fraud"), k2028));
  auto national = Rec(ifed::v1::TLP_GREEN);
  national.set_national_only(true);
  EXPECT_FALSE(Policy::RecordVisible(at, "at", national, k2028));
  auto not_for = Rec(ifed::v1::TLP_GREEN);
  not_for.add_not_for("at");
  EXPECT_FALSE(Policy::RecordVisible(at, "at", not_for, k2028));
  EXPECT_TRUE(Policy::RecordVisible(hu, "hu", not_for, k2028));
  auto expired = Rec(ifed::v1::TLP_GREEN);
  expired.set_expires(k2028);
  EXPECT_FALSE(Policy::RecordVisible(at, "at", expired, k2028));
}

// Property: whatever the rule and the record, a record above the partner's
// ceiling, RED, national-only or not-for the partner is never visible.
TEST(RecordVisible, NothingAboveCeilingOrRestrictedEverHits) {
  std::mt19937 rng(42);
  const char* tlps[] = {"clear", "green", "amber", "amber_strict"};
  for (int i = 0; i < 300; ++i) {
    const int ceiling = 1 + rng() % 4;
    const std::string text = std::string("partners:\n  - partner: p\n    types: [phone]\n") +
                             "    purposes: [terrorism]\n    legal_basis: x\n    max_tlp: " +
                             tlps[ceiling - 1] + "\n";
    auto p = Policy::LoadTexts({{"p.yaml", text}});
    ASSERT_TRUE(p.ok()) << p.status();
    const EffectiveRule& e = (*p)->rules()[0];
    ifed::v1::Record r;
    r.set_tlp(static_cast<Tlp>(rng() % 6));
    r.set_national_only(rng() % 4 == 0);
    if (rng() % 4 == 0) r.add_not_for(rng() % 2 ? "p" : "q");
    const bool restricted =
        r.national_only() || (r.not_for_size() > 0 && r.not_for(0) == "p");
    const bool visible = Policy::RecordVisible(e, "p", r, 0);
    if (r.tlp() == ifed::v1::TLP_UNSPECIFIED || r.tlp() == ifed::v1::TLP_RED ||
        r.tlp() > ceiling || restricted) {
      EXPECT_FALSE(visible) << "tlp " << r.tlp() << " ceiling " << ceiling;
    } else {
      EXPECT_TRUE(visible);
    }
  }
}

TEST(Explain, AllowNamesRuleFieldsAndSources) {
  auto p = Set();
  const std::string out =
      Explain(*p, Q("at", ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE}), ifed::v1::TLP_RED);
  EXPECT_EQ(out.rfind("allow\n", 0), 0u) << out;
  EXPECT_NE(out.find("rule: set.yaml:6 (partner at, direction both)"), std::string::npos) << out;
  EXPECT_NE(out.find("record at TLP:RED: invisible: a TLP:RED record is never shared"),
            std::string::npos) << out;
  EXPECT_NE(out.find("purposes: [migrant_smuggling, trafficking_in_human_beings]  (set.yaml:3)"),
            std::string::npos) << out;
  EXPECT_NE(out.find("scheme: keyed  (built-in default)"), std::string::npos) << out;
  EXPECT_NE(out.find("policy version: " + p->version()), std::string::npos) << out;
}

TEST(Explain, DenyNamesReason) {
  const std::string out = Explain(*Set(), Q("at", ifed::v1::TERRORISM, {ifed::v1::PHONE}),
                                  ifed::v1::TLP_UNSPECIFIED);
  EXPECT_EQ(out.rfind("deny: purpose terrorism is not in purposes", 0), 0u) << out;
  EXPECT_NE(out.find("answer to the partner: PERMISSION_DENIED"), std::string::npos) << out;
}

TEST(Diff, GainsAndLosses) {
  auto a = Set();
  std::string next = kSet;
  next.replace(next.find("types: [phone, handle]"), 22, "types: [phone, url]");
  next.replace(next.find("max_tlp: amber"), 14, "max_tlp: green");
  next += "  - partner: ch\n    types: [email]\n";
  next.erase(next.find("  - partner: ua"), next.find("  - partner: rs") - next.find("  - partner: ua"));
  auto b = Policy::LoadTexts({{"set.yaml", next}});
  ASSERT_TRUE(b.ok()) << b.status();
  const auto lines = Diff(*a, **b);
  const std::vector<std::string> expected = {
      "at both: + type url",
      "at both: - type handle",
      "at both: - max_tlp: amber -> green",
      "ch both: + new rule (set.yaml:22): types [email], purposes [migrant_smuggling, "
      "trafficking_in_human_beings], max_tlp green, disclosure hit_only",
      "ua both: - rule removed (set.yaml:18): loses all access",
  };
  for (const auto& e : expected) {
    EXPECT_NE(std::find(lines.begin(), lines.end(), e), lines.end()) << e << "\n"
        << ::testing::PrintToString(lines);
  }
  EXPECT_TRUE(Diff(*a, *a).empty());
}

// Reload under load: each decision is made under one snapshot, so the pair
// (phone allowed, url allowed) always matches that snapshot's version.
TEST(PolicyHolderTest, NoDecisionUnderHalfLoadedPolicy) {
  const std::string base = "defaults:\n  legal_basis: x\n  purposes: [terrorism]\n";
  auto a = *Policy::LoadTexts({{"p.yaml", base + "partners:\n  - partner: p\n    types: [phone, url]\n"}});
  auto b = *Policy::LoadTexts({{"p.yaml", base + "partners:\n  - partner: p\n    types: [email]\n"}});
  PolicyHolder holder(a);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, seen_a{0}, seen_b{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        auto snap = holder.Get();
        const bool phone = snap->Decide(Q("p", ifed::v1::TERRORISM, {ifed::v1::PHONE})).status.ok();
        const bool url = snap->Decide(Q("p", ifed::v1::TERRORISM, {ifed::v1::URL})).status.ok();
        const bool email = snap->Decide(Q("p", ifed::v1::TERRORISM, {ifed::v1::EMAIL})).status.ok();
        if (snap->version() == a->version()) {
          ++seen_a;
          if (!(phone && url && !email)) ++bad;
        } else {
          ++seen_b;
          if (phone || url || !email) ++bad;
        }
      }
    });
  }
  // Swap at least 2000 times and until the readers made 1000 decisions (on a
  // loaded machine they may not be scheduled at once); bounded by 20 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int i = 0; (i < 2000 || seen_a + seen_b < 1000) &&
                  std::chrono::steady_clock::now() < deadline;
       ++i) {
    holder.Set(i % 2 ? a : b);
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad, 0);
  EXPECT_GT(seen_a + seen_b, 0);
}

}  // namespace
}  // namespace ifed::policy
