// Loading: schema, inheritance, precedence, and every malformed-file class
// with its file:line error.
#include "node/policy/policy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ifed::policy {
namespace {

namespace fs = std::filesystem;
using ifed::v1::Tlp;

constexpr char kDefaults[] = R"(defaults:
  legal_basis: "Prüm Decision 2008/615/JHA"
  purposes: [migrant_smuggling]
  max_tlp: green
  quota: {items_per_second: 100, items_per_day: 100000}
jurisdictions:
  - jurisdiction: AT
    max_tlp: amber
    disclosure: hit_with_contact
)";

constexpr char kAt[] = R"(partners:
  - partner: at
    jurisdiction: AT
    types: [phone, handle]
    disclosure: hit_with_reference
    quota: {items_per_day: 5000}
)";

absl::StatusOr<std::shared_ptr<const Policy>> Load(std::vector<PolicyText> files) {
  return Policy::LoadTexts(std::move(files));
}

std::string Error(std::vector<PolicyText> files) {
  auto p = Load(std::move(files));
  return p.ok() ? "OK" : std::string(p.status().message());
}

TEST(PolicyLoad, InheritsPartnerOverJurisdictionOverDefaults) {
  auto p = Load({{"defaults.yaml", kDefaults}, {"at.yaml", kAt}});
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ((*p)->size(), 1u);
  const EffectiveRule& e = (*p)->rules()[0];
  EXPECT_EQ(e.rule.max_tlp(), ifed::v1::TLP_AMBER);                 // jurisdiction
  EXPECT_EQ(e.rule.disclosure(), ifed::v1::HIT_WITH_REFERENCE);     // partner over jurisdiction
  EXPECT_EQ(e.rule.purposes_size(), 1);                             // defaults
  EXPECT_EQ(e.rule.quota().items_per_day(), 5000u);                 // partner
  EXPECT_EQ(e.rule.quota().items_per_second(), 100u);               // defaults, field by field
  EXPECT_EQ(e.rule.quota().burst(), 100u);                          // built-in: = rate
  EXPECT_EQ(e.rule.direction(), ifed::v1::BOTH);                    // built-in
  EXPECT_EQ(e.rule.scheme(), ifed::v1::KEYED);                      // built-in
  EXPECT_EQ(e.rule.max_batch(), 10000u);                            // built-in
  EXPECT_DOUBLE_EQ(e.rule.enumeration_share(), 0.8);                // built-in
  EXPECT_EQ(e.rule.enumeration_window_seconds(), 3600u);            // built-in
  EXPECT_FALSE(e.rule.enumeration_block());                         // built-in
  EXPECT_EQ(e.FieldSource("max_tlp").ToString(), "defaults.yaml:8");
  EXPECT_EQ(e.FieldSource("disclosure").ToString(), "at.yaml:5");
  EXPECT_EQ(e.FieldSource("legal_basis").ToString(), "defaults.yaml:2");
  EXPECT_EQ(e.FieldSource("quota.items_per_second").ToString(), "defaults.yaml:5");
  EXPECT_EQ(e.FieldSource("scheme").ToString(), "built-in default");
  EXPECT_EQ(e.source.ToString(), "at.yaml:2");
  EXPECT_EQ((*p)->version().size(), 16u);
}

TEST(PolicyLoad, ListsReplaceNotMerge) {
  auto p = Load({{"d.yaml", "defaults:\n  legal_basis: x\n  types: [phone, url]\n  purposes: [terrorism]\n"},
                 {"at.yaml", "partners:\n  - partner: at\n    types: [email]\n    purposes: [migrant_smuggling]\n"}});
  ASSERT_TRUE(p.ok()) << p.status();
  const auto& r = (*p)->rules()[0].rule;
  ASSERT_EQ(r.types_size(), 1);
  EXPECT_EQ(r.types(0), ifed::v1::EMAIL);
  ASSERT_EQ(r.purposes_size(), 1);
  EXPECT_EQ(r.purposes(0), ifed::v1::MIGRANT_SMUGGLING);
}

TEST(PolicyLoad, MinimalFormOfTheDemo) {
  auto p = Load({{"at.yaml", "partners:\n  - partner: at\n    types: [phone, handle, url, email]\n"
                             "    disclosure: hit_with_reference\n    max_tlp: amber\n"
                             "    purposes: [migrant_smuggling]\n    legal_basis: demo\n"}});
  ASSERT_TRUE(p.ok()) << p.status();
}

TEST(PolicyLoad, VersionChangesWithContentOnly) {
  auto a = Load({{"at.yaml", kAt}, {"d.yaml", kDefaults}});
  auto b = Load({{"d.yaml", kDefaults}, {"at.yaml", kAt}});
  auto c = Load({{"d.yaml", kDefaults}, {"at.yaml", std::string(kAt) + "# comment\n"}});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ((*a)->version(), (*b)->version());
  EXPECT_NE((*a)->version(), (*c)->version());
}

// Each malformed-file class gives its file and line.
struct BadCase {
  const char* name;
  std::vector<PolicyText> files;
  const char* expect;  // substring of the error.
};

class PolicyBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(PolicyBad, NamesFileLineAndReason) {
  const BadCase& c = GetParam();
  const std::string err = Error(c.files);
  EXPECT_NE(err.find(c.expect), std::string::npos) << c.name << ": " << err;
}

const std::string kD = "defaults:\n  legal_basis: x\n  purposes: [migrant_smuggling]\n";

INSTANTIATE_TEST_SUITE_P(
    Classes, PolicyBad,
    ::testing::Values(
        BadCase{"unknown_field", {{"a.yaml", "partners:\n  - partner: at\n    typos: [phone]\n"}},
                "a.yaml:3: field 'partners[0].typos': unknown field"},
        BadCase{"wrong_type", {{"a.yaml", kD + "partners:\n  - partner: at\n    types: phone\n"}},
                "a.yaml:6: field 'partners[0].types': expected a sequence"},
        BadCase{"unknown_enum", {{"a.yaml", kD + "partners:\n  - partner: at\n    types: [fax]\n"}},
                "a.yaml:6: field 'partners[0].types[0]'"},
        BadCase{"unknown_purpose",
                {{"a.yaml", "partners:\n  - partner: at\n    types: [phone]\n    purposes: [smuggling]\n"}},
                "a.yaml:4: field 'partners[0].purposes[0]'"},
        BadCase{"duplicate_partner",
                {{"d.yaml", kD}, {"a.yaml", "partners:\n  - partner: at\n    types: [phone]\n"},
                 {"b.yaml", "\npartners:\n  - partner: at\n    types: [url]\n"}},
                "b.yaml:3: partner 'at' already has a rule at a.yaml:2"},
        BadCase{"overlapping_direction",
                {{"d.yaml", kD},
                 {"a.yaml", "partners:\n  - partner: at\n    types: [phone]\n    direction: inbound\n"
                            "  - partner: at\n    types: [url]\n"}},
                "a.yaml:5: partner 'at' already has a rule at a.yaml:2 for the same direction"},
        BadCase{"overlapping_validity",
                {{"d.yaml", kD},
                 {"a.yaml", "partners:\n  - partner: at\n    types: [phone]\n    valid_until: 2030-01-01\n"
                            "  - partner: at\n    types: [url]\n    valid_from: 2029-06-01\n"}},
                "a.yaml:5: partner 'at' already has a rule"},
        BadCase{"duplicate_jurisdiction",
                {{"a.yaml", "jurisdictions:\n  - jurisdiction: AT\n  - jurisdiction: AT\n"}},
                "a.yaml:3: jurisdiction 'AT' already has a rule at a.yaml:2"},
        BadCase{"two_defaults", {{"a.yaml", kD}, {"b.yaml", kD}},
                "b.yaml:1: defaults already given at a.yaml:1"},
        BadCase{"missing_partner", {{"a.yaml", kD + "partners:\n  - types: [phone]\n"}},
                "a.yaml:5: field 'partner' is required"},
        BadCase{"bad_partner_id", {{"a.yaml", kD + "partners:\n  - partner: AT!\n    types: [phone]\n"}},
                "a.yaml:5: field 'partner': node id"},
        BadCase{"no_types", {{"a.yaml", kD + "partners:\n  - partner: at\n"}},
                "a.yaml:5: partner 'at': no indicator types"},
        BadCase{"no_purposes",
                {{"a.yaml", "partners:\n  - partner: at\n    types: [phone]\n    legal_basis: x\n"}},
                "a.yaml:2: partner 'at': no purposes"},
        BadCase{"no_legal_basis",
                {{"a.yaml", "partners:\n  - partner: at\n    types: [phone]\n    purposes: [terrorism]\n"}},
                "a.yaml:2: partner 'at': no legal basis"},
        BadCase{"blank_legal_basis",
                {{"a.yaml", "defaults:\n  legal_basis: \"  \"\n"}},
                "a.yaml:2: field 'legal_basis': must not be blank"},
        BadCase{"red_ceiling", {{"a.yaml", kD + "partners:\n  - partner: at\n    types: [phone]\n    max_tlp: red\n"}},
                "a.yaml:7: field 'max_tlp': TLP:RED is never shared"},
        BadCase{"bad_date", {{"a.yaml", kD + "partners:\n  - partner: at\n    types: [phone]\n    valid_from: soon\n"}},
                "a.yaml:7: field 'valid_from'"},
        BadCase{"until_before_from",
                {{"a.yaml", kD + "partners:\n  - partner: at\n    types: [phone]\n"
                                 "    valid_from: 2030-01-01\n    valid_until: 2029-01-01\n"}},
                "a.yaml:8: partner 'at': valid_until must be after valid_from"},
        BadCase{"direction_in_defaults", {{"a.yaml", "defaults:\n  direction: inbound\n"}},
                "a.yaml:2: field 'direction' is only allowed in partners rules"},
        BadCase{"bad_jurisdiction", {{"a.yaml", "jurisdictions:\n  - jurisdiction: Austria\n"}},
                "a.yaml:2: field 'jurisdiction': expected an ISO 3166-1"},
        BadCase{"zero_batch", {{"a.yaml", kD + "partners:\n  - partner: at\n    types: [phone]\n    max_batch: 0\n"}},
                "a.yaml:7: field 'max_batch'"},
        BadCase{"duplicate_type", {{"a.yaml", kD + "partners:\n  - partner: at\n    types: [phone, phone]\n"}},
                "a.yaml:6: field 'types': listed twice"},
        BadCase{"enumeration_share_over_one",
                {{"a.yaml", kD + "partners:\n  - partner: at\n    types: [phone]\n"
                                 "    enumeration_share: 1.5\n"}},
                "a.yaml:7: field 'enumeration_share': must be 0..1"},
        BadCase{"enumeration_window_zero",
                {{"a.yaml", kD + "partners:\n  - partner: at\n    types: [phone]\n"
                                 "    enumeration_window_seconds: 0\n"}},
                "a.yaml:7: field 'enumeration_window_seconds': must be 1..86400"},
        BadCase{"enumeration_block_not_bool",
                {{"a.yaml", kD + "partners:\n  - partner: at\n    types: [phone]\n"
                                 "    enumeration_block: maybe\n"}},
                "a.yaml:7: field 'partners[0].enumeration_block'"},
        BadCase{"syntax", {{"a.yaml", "partners: ["}}, "a.yaml:"},
        BadCase{"negative_quota",
                {{"a.yaml", kD + "partners:\n  - partner: at\n    types: [phone]\n    quota: {items_per_day: -1}\n"}},
                "a.yaml:7: field 'partners[0].quota.items_per_day'"}),
    [](const auto& info) { return std::string(info.param.name); });

class PolicyDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("policy_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void Write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  fs::path dir_;
};

TEST_F(PolicyDirTest, LoadsYamlFilesOnly) {
  Write("defaults.yaml", kDefaults);
  Write("at.yml", kAt);
  Write("README.txt", "not a policy");
  auto p = Policy::LoadDir(dir_.string());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->size(), 1u);
  EXPECT_FALSE(Policy::LoadDir((dir_ / "missing").string()).ok());
}

TEST_F(PolicyDirTest, FailedReloadKeepsOldPolicy) {
  Write("defaults.yaml", kDefaults);
  Write("at.yaml", kAt);
  auto p = Policy::LoadDir(dir_.string());
  ASSERT_TRUE(p.ok());
  PolicyHolder holder(*p);
  const std::string v1 = holder.Get()->version();
  Write("at.yaml", "partners:\n  - partner: at\n    typos: [phone]\n");
  absl::Status s = holder.Reload(dir_.string());
  EXPECT_NE(std::string(s.message()).find("at.yaml:3"), std::string::npos) << s;
  EXPECT_EQ(holder.Get()->version(), v1);
  EXPECT_NE(holder.Get()->Find("at", Direction::kInbound, 0), nullptr);
  Write("at.yaml", "partners:\n  - partner: hu\n    types: [url]\n");
  EXPECT_TRUE(holder.Reload(dir_.string()).ok());
  EXPECT_EQ(holder.Get()->Find("at", Direction::kInbound, 0), nullptr);
  EXPECT_NE(holder.Get()->Find("hu", Direction::kInbound, 0), nullptr);
  EXPECT_NE(holder.Get()->version(), v1);
}

// The shipped demo policies load (IFED_SOURCE_DIR is set by ctest).
TEST(ShippedPolicies, EveryNodeDirectoryLoads) {
  const char* src = std::getenv("IFED_SOURCE_DIR");
  if (src == nullptr) GTEST_SKIP() << "IFED_SOURCE_DIR not set";
  for (const char* node : {"de", "at", "hu", "hub"}) {
    auto p = Policy::LoadDir(std::string(src) + "/policy/" + node);
    ASSERT_TRUE(p.ok()) << node << ": " << p.status();
    EXPECT_GT((*p)->size(), 0u) << node;
  }
}

}  // namespace
}  // namespace ifed::policy
