// Sharing policy end to end over mTLS: three real nodes; each
// refusal path (no hit above the TLP ceiling or for RED, type, purpose,
// outbound, quota with a counter that survives a restart), reload keeping the
// old policy on a bad set, and the check / explain / diff commands.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kAmberPhone[] = "+4915112345601";
constexpr char kRedPhone[] = "+4915112345602";
constexpr char kGreenPhone[] = "+4915112345603";

class PolicyIt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("de", "DE",
                  {{.id = "at", .purposes = "[migrant_smuggling, trafficking_in_human_beings]"},
                   {.id = "hu",
                    .types = "[phone, url]",
                    .disclosure = "hit_only",
                    .max_tlp = "green",
                    .extra = "    direction: inbound\n"
                             "    quota: {items_per_day: 12}\n"
                             "  - partner: hu\n"
                             "    direction: outbound\n"
                             "    types: [phone]\n"
                             "    purposes: [migrant_smuggling]\n"
                             "    legal_basis: \"bilateral agreement DE-HU\"\n"}});
    fed_->AddNode("at", "AT",
                  {{.id = "de", .purposes = "[migrant_smuggling, terrorism]"}, {.id = "hu"}});
    fed_->AddNode("hu", "HU", {{.id = "de"}, {.id = "at"}});
    fed_->Start();
    const std::string csv = fed_->dir() + "/de.csv";
    WriteFile(csv, std::string("type,value,case_ref,tlp,crime_area,region\n") + "phone," +
                       kAmberPhone + ",C-1,amber,migrant_smuggling,DE\n" + "phone," + kRedPhone +
                       ",C-2,red,migrant_smuggling,DE\n" + "phone," + kGreenPhone +
                       ",C-3,green,migrant_smuggling,DE\n");
    auto r = fed_->Ctl("de", {"ingest", csv});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  static RunResult Ask(const std::string& from, std::vector<std::string> values,
                       const std::string& purpose = "migrant_smuggling",
                       const std::string& type = "phone") {
    std::vector<std::string> args = {"match", "--peer", "de", "--purpose", purpose, "--type",
                                     type};
    args.insert(args.end(), values.begin(), values.end());
    return fed_->Ctl(from, args);
  }
  static LocalFederation* fed_;
};

LocalFederation* PolicyIt::fed_ = nullptr;

TEST_F(PolicyIt, RedAndAboveCeilingAreExactlyNoHit) {
  auto at = Ask("at", {kAmberPhone, kRedPhone, kGreenPhone});
  ASSERT_EQ(at.exit_code, 0) << at.err;
  EXPECT_NE(at.out.find(std::string(kAmberPhone) + "\tphone\tde\tHIT\t"), std::string::npos) << at.out;
  EXPECT_NE(at.out.find(std::string(kRedPhone) + "\tphone\tde\tNO_HIT\t\t"), std::string::npos) << at.out;
  EXPECT_NE(at.out.find(std::string(kGreenPhone) + "\tphone\tde\tHIT\t"), std::string::npos) << at.out;
  // ceiling green, hit_only (no reference); the answer for a hidden record is
  // exactly the answer for an absent one: NO_HIT with nothing else.
  auto hu = Ask("hu", {kAmberPhone, kRedPhone, kGreenPhone});
  ASSERT_EQ(hu.exit_code, 0) << hu.err;
  EXPECT_NE(hu.out.find(std::string(kAmberPhone) + "\tphone\tde\tNO_HIT\t\t"), std::string::npos) << hu.out;
  EXPECT_NE(hu.out.find(std::string(kRedPhone) + "\tphone\tde\tNO_HIT\t\t"), std::string::npos) << hu.out;
  EXPECT_NE(hu.out.find(std::string(kGreenPhone) + "\tphone\tde\tHIT\t\t"), std::string::npos) << hu.out;
}

TEST_F(PolicyIt, TypeNotAllowedIsPermissionDenied) {
  auto r = Ask("hu", {"someone@crossing-offers.net"}, "migrant_smuggling", "email");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("indicator type email is not allowed for this partner"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.out.find("HIT"), std::string::npos);
}

TEST_F(PolicyIt, PurposeNotAllowedIsPermissionDenied) {
  auto r = Ask("at", {kAmberPhone}, "terrorism");  // at's own policy allows it; de's does not.
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("purpose terrorism is not allowed for this partner"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.out.find("HIT"), std::string::npos) << r.out;
}

TEST_F(PolicyIt, OutboundRefusedBeforeAnythingLeaves) {
  auto before = fed_->Ctl("hu", {"stats", "--json"});
  auto r = fed_->Ctl("de", {"match", "--peer", "hu", "--purpose", "migrant_smuggling", "--type",
                            "url", "https://crossing-offers.net/route"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("refused by our own policy"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("type url is not in types [phone]"), std::string::npos) << r.err;
  auto after = fed_->Ctl("hu", {"stats", "--json"});
  auto field = [](const std::string& json, const std::string& key) {
    auto p = json.find("\"" + key + "\":");
    return p == std::string::npos ? std::string("?") : json.substr(p, json.find_first_of(",}", p) - p);
  };
  EXPECT_EQ(field(before.out, "inbound_queries"), field(after.out, "inbound_queries"));
  EXPECT_EQ(field(before.out, "denied_queries"), field(after.out, "denied_queries"));
}

TEST_F(PolicyIt, ExplainCheckAndDiff) {
  auto ex = fed_->Ctl("de", {"policy", "explain", "--partner", "HU", "--type", "email",
                             "--purpose", "migrant_smuggling"});
  EXPECT_EQ(ex.exit_code, 0) << ex.err;
  EXPECT_EQ(ex.out.rfind("deny: type email is not in types [phone, url] (hu.yaml:3)", 0), 0u)
      << ex.out;
  auto ok = fed_->Ctl("de", {"policy", "explain", "--partner", "at", "--type", "phone",
                             "--purpose", "migrant_smuggling", "--tlp", "red"});
  EXPECT_EQ(ok.out.rfind("allow\n", 0), 0u) << ok.out;
  EXPECT_NE(ok.out.find("invisible: a TLP:RED record is never shared"), std::string::npos) << ok.out;

  auto check = fed_->Ctl("de", {"policy", "check", fed_->source("policy/de")});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  const std::string broken = fed_->dir() + "/broken-policy";
  fs::copy(fed_->source("policy/de"), broken);
  WriteFile(broken + "/at.yaml", "partners:\n  - partner: at\n    types: [phone]\n    max_tlp: red\n");
  auto bad = fed_->Ctl("de", {"policy", "check", broken});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find(broken + "/at.yaml:4: field 'max_tlp': TLP:RED is never shared"),
            std::string::npos) << bad.err;

  const std::string candidate = fed_->dir() + "/candidate-policy";
  fs::copy(fed_->node("de").policy_dir, candidate);
  WriteFile(candidate + "/at.yaml",
            "partners:\n  - partner: at\n    types: [phone, url]\n    purposes: [migrant_smuggling]\n"
            "    legal_basis: x\n    max_tlp: amber\n    disclosure: hit_with_reference\n");
  auto diff = fed_->Ctl("de", {"policy", "diff", candidate});
  EXPECT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_NE(diff.out.find("at both: - type handle"), std::string::npos) << diff.out;
  EXPECT_NE(diff.out.find("at both: - purpose trafficking_in_human_beings"), std::string::npos)
      << diff.out;
}

TEST_F(PolicyIt, BadReloadKeepsServingThenGoodReloadApplies) {
  const std::string dir = fed_->node("de").policy_dir;
  WriteFile(dir + "/zz.yaml", "partners:\n  - partner: xx\n    typos: [phone]\n");
  auto r = fed_->Ctl("de", {"policy", "reload"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("zz.yaml:3: field 'partners[0].typos'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stays in force"), std::string::npos) << r.err;
  auto still = Ask("at", {kGreenPhone});
  EXPECT_NE(still.out.find("\tde\tHIT"), std::string::npos) << still.out << still.err;
  fs::remove(dir + "/zz.yaml");
  auto good = fed_->Ctl("de", {"policy", "reload"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("(unchanged)"), std::string::npos) << good.out;
}

// Runs last in this file: it uses up hu's daily quota at de and restarts de.
TEST_F(PolicyIt, ZDailyQuotaExhaustsAndSurvivesRestart) {
  RunResult r;
  int sent = 0;
  for (int i = 0; i < 6; ++i) {
    r = Ask("hu", {"+4930111111", "+4930111112", "+4930111113"});
    if (r.exit_code != 0) break;
    sent += 3;
  }
  EXPECT_LE(sent, 12);
  EXPECT_NE(r.err.find("items per day exhausted; retry after"), std::string::npos) << r.err;
  fed_->StopNode("de");
  fed_->StartNode("de");
  auto again = Ask("hu", {"+4930111111", "+4930111112", "+4930111113"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("items per day exhausted"), std::string::npos) << again.err;
  auto at = Ask("at", {kGreenPhone});  // other partners unaffected
  EXPECT_NE(at.out.find("\tde\tHIT"), std::string::npos) << at.out << at.err;
}

}  // namespace
}  // namespace ifed::testing
