// A purpose belongs to its call, a held watch is decided again under the
// rule in force, and references do not link across partners; end to end
// with real nodes. de holds the records. pl's rule allows only
// takedown_deconfliction: de answers its Deconflict and refuses its Match,
// Watch and FollowUp. at and hu see different references for one record,
// and hu cannot follow up at's. se's rule is narrowed and widened by policy
// reloads: its watch is suspended (audited, se told) and stops firing, its
// follow-ups are refused for a type the rule no longer lists and under a
// hit_only rule.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

constexpr char kShared[] = "+4915122220001";   // held by de; at and hu ask.
constexpr char kUrl[] = "https://smuggle-route-demo.net/offer";
constexpr char kWatched1[] = "+4915122220011";  // ingested while se's watch is suspended.
constexpr char kWatched2[] = "+4915122220012";  // ingested once it is resumed.
constexpr char kAllowed[] =
    "    watches: {allowed: true}\n"
    "    follow_ups: {allowed: true}\n";

class PurposeIt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("de", "DE",
                  {{.id = "at", .extra = kAllowed},
                   {.id = "hu", .extra = kAllowed},
                   {.id = "pl", .purposes = "[takedown_deconfliction]", .extra = kAllowed},
                   {.id = "se", .extra = kAllowed}});
    // The queriers' own outbound rules let them send these purposes.
    const std::string both = "[migrant_smuggling, takedown_deconfliction]";
    for (const char* id : {"at", "hu", "pl", "se"}) {
      fed_->AddNode(id, "EU", {{.id = "de", .purposes = both, .extra = ""}});
    }
    fed_->node("de").extra_yaml = "outbox_retry_ms: 200\noutbox_max_backoff_ms: 800\n";
    fed_->Start();
    Ingest("phone", kShared, "green");
    Ingest("url", kUrl, "green");
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  static void Ingest(const std::string& type, const std::string& value, const std::string& tlp) {
    static int n = 0;
    const std::string path = fed_->dir() + "/de-" + std::to_string(++n) + ".csv";
    WriteFile(path, "type,value,case_ref,tlp,crime_area,region\n" + type + "," + value +
                        ",CASE-P-" + std::to_string(n) + "," + tlp + ",migrant_smuggling,DE\n");
    auto r = fed_->Ctl("de", {"ingest", path});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  static RunResult Match(const std::string& from, const std::string& purpose,
                         const std::string& type, const std::string& value) {
    return fed_->Ctl(from, {"match", "--peer", "de", "--purpose", purpose, "--type", type, value});
  }
  // The verdict and reference of the first row of `match` output.
  static std::pair<std::string, std::string> Row(const RunResult& r) {
    std::vector<std::string> f = absl::StrSplit(r.out.substr(0, r.out.find('\n')), '\t');
    if (f.size() < 6) return {"missing", ""};
    return {f[4], f[5]};
  }
  static RunResult FollowUp(const std::string& from, const std::string& ref,
                            const std::string& purpose = "migrant_smuggling") {
    return fed_->Ctl(from, {"followups", "request", "--peer", "de", "--ref", ref, "--purpose",
                            purpose, "--legal-basis", "Prüm Art. 5", "--justification",
                            "same number as our case"});
  }
  static std::string Audit(const std::string& node, const std::string& action) {
    return fed_->Ctl(node, {"audit", "query", "--action", action}).out;
  }
  // se's rule at de, rewritten and reloaded.
  static void SetSeRule(const std::string& types, const std::string& purposes,
                        const std::string& disclosure = "hit_with_reference") {
    WriteFile(fed_->node("de").policy_dir + "/se.yaml",
              "partners:\n  - partner: se\n    types: " + types + "\n    disclosure: " +
                  disclosure + "\n    max_tlp: amber\n    purposes: " + purposes +
                  "\n    legal_basis: \"integration test\"\n" + kAllowed);
    auto r = fed_->Ctl("de", {"policy", "reload"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  // se's events of watch `id` with `kind` (HIT, SUSPENDED, RESUMED).
  static int Events(const std::string& id, const std::string& kind) {
    auto r = fed_->Ctl("se", {"watch", "events"});
    int n = 0;
    for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      if (f.size() > 3 && f[2] == id && f[3] == kind) ++n;
    }
    return n;
  }
  static bool WaitFor(const std::function<bool()>& cond, int ms = 20000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return cond();
  }

  static LocalFederation* fed_;
};

LocalFederation* PurposeIt::fed_ = nullptr;

TEST_F(PurposeIt, TakedownOnlyPartnerGetsDeconflictAndNothingElse) {
  // Deconflict is answered (clear: nothing is on hold).
  auto d = fed_->Ctl("pl", {"deconflict", "--peer", "de", "--type", "url", kUrl});
  EXPECT_EQ(d.exit_code, 0) << d.err << d.out;
  EXPECT_NE(d.out.find("\tde\tclear"), std::string::npos) << d.out;
  // Match for that purpose: refused, no HIT and no reference for a record
  // that is not on hold.
  auto m = Match("pl", "takedown_deconfliction", "phone", kShared);
  EXPECT_NE(m.exit_code, 0) << m.out;
  EXPECT_EQ(m.out.find("\tHIT"), std::string::npos) << m.out;
  EXPECT_NE(m.err.find("purpose takedown_deconfliction is not accepted by Match"),
            std::string::npos)
      << m.err;
  // Watch: refused, nothing held.
  auto w = fed_->Ctl("pl", {"watch", "add", "--peer", "de", "--purpose", "takedown_deconfliction",
                            "--type", "phone", "--region", "DE", kShared});
  EXPECT_NE(w.exit_code, 0) << w.out;
  EXPECT_NE((w.err + w.out).find("not accepted by Watch"), std::string::npos) << w.err << w.out;
  EXPECT_EQ(fed_->Ctl("de", {"watch", "list", "--inbound"}).out.find("\tpl\t"), std::string::npos);
  // FollowUp: refused (with a reference at's match gave, the purpose alone
  // decides first).
  const auto at = Row(Match("at", "migrant_smuggling", "phone", kShared));
  ASSERT_EQ(at.first, "HIT");
  auto f = FollowUp("pl", at.second, "takedown_deconfliction");
  EXPECT_NE(f.exit_code, 0) << f.out;
  EXPECT_NE(f.err.find("not accepted by FollowUp"), std::string::npos) << f.err;
  // A purpose its rule does not list is refused as before.
  auto none = fed_->Ctl("pl", {"watch", "add", "--peer", "de", "--purpose", "migrant_smuggling",
                               "--type", "phone", "--region", "DE", kShared});
  EXPECT_NE(none.exit_code, 0);
  // Each refusal is audited at de with the purpose and the call.
  EXPECT_NE(Audit("de", "match.in").find("not accepted by Match"), std::string::npos);
  EXPECT_NE(Audit("de", "watch.in").find("not accepted by Watch"), std::string::npos);
  EXPECT_NE(Audit("de", "followup.in").find("not accepted by FollowUp"), std::string::npos);
}

TEST_F(PurposeIt, ReferencesDoNotLinkAcrossPartners) {
  const auto at = Row(Match("at", "migrant_smuggling", "phone", kShared));
  const auto hu = Row(Match("hu", "migrant_smuggling", "phone", kShared));
  ASSERT_EQ(at.first, "HIT");
  ASSERT_EQ(hu.first, "HIT");
  ASSERT_FALSE(at.second.empty());
  ASSERT_FALSE(hu.second.empty());
  EXPECT_NE(at.second, hu.second) << "one record, two partners, two unrelated references";
  // Deterministic per partner: the same reference again.
  EXPECT_EQ(Row(Match("at", "migrant_smuggling", "phone", kShared)).second, at.second);
  // The owner's local view finds the record by either partner's token.
  auto show_at = fed_->Ctl("de", {"records", "show", at.second});
  auto show_hu = fed_->Ctl("de", {"records", "show", hu.second});
  ASSERT_EQ(show_at.exit_code, 0) << show_at.err;
  ASSERT_EQ(show_hu.exit_code, 0) << show_hu.err;
  EXPECT_EQ(show_at.out, show_hu.out);
  // hu names at's reference: unknown to de for hu.
  auto stolen = FollowUp("hu", at.second);
  EXPECT_NE(stolen.exit_code, 0) << stolen.out;
  EXPECT_NE(stolen.err.find("unknown reference"), std::string::npos) << stolen.err;
  // Garbage is unknown too.
  EXPECT_NE(FollowUp("hu", "r0000").exit_code, 0);
  // Each partner's own reference is accepted, and the owner sees the
  // request under the partner's token (its local id works too).
  auto own = FollowUp("hu", hu.second);
  ASSERT_EQ(own.exit_code, 0) << own.err;
  auto list = fed_->Ctl("de", {"followups", "list"});
  EXPECT_NE(list.out.find(hu.second), std::string::npos) << list.out;
  EXPECT_NE(Audit("de", "followup.in").find("\"reason\":\"reference\""), std::string::npos);
}

TEST_F(PurposeIt, NarrowedRuleSuspendsWatchAndRefusesFollowUps) {
  // se holds a reference for the url, and a watch on two phones.
  const auto url = Row(Match("se", "migrant_smuggling", "url", kUrl));
  ASSERT_EQ(url.first, "HIT");
  auto add = fed_->Ctl("se", {"watch", "add", "--peer", "de", "--type", "phone", "--region", "DE",
                              kWatched1, kWatched2});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const std::string id = add.out.substr(0, add.out.find('\t'));

  // The purpose leaves se's rule: the reload suspends the watch, audited,
  // and se is told.
  SetSeRule("[phone, url]", "[terrorism]");
  EXPECT_NE(Audit("de", "watch.suspend").find(id), std::string::npos);
  ASSERT_TRUE(WaitFor([&] { return Events(id, "SUSPENDED") == 1; }))
      << fed_->Ctl("se", {"watch", "events"}).out;
  auto list = fed_->Ctl("se", {"watch", "list"});
  EXPECT_NE(list.out.find(id + "\tde\tsuspended\t"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("purpose migrant_smuggling is no longer allowed"), std::string::npos)
      << list.out;
  // It does not fire while suspended.
  Ingest("phone", kWatched1, "green");
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  EXPECT_EQ(Events(id, "HIT"), 0);

  // The purpose comes back but the url type leaves: the watch (phones)
  // resumes; a follow-up on the url is refused for its type.
  SetSeRule("[phone]", "[migrant_smuggling]");
  EXPECT_NE(Audit("de", "watch.resume").find(id), std::string::npos);
  ASSERT_TRUE(WaitFor([&] { return Events(id, "RESUMED") == 1; }));
  EXPECT_NE(fed_->Ctl("se", {"watch", "list"}).out.find(id + "\tde\tactive\t"), std::string::npos);
  auto typed = FollowUp("se", url.second);
  EXPECT_NE(typed.exit_code, 0) << typed.out;
  EXPECT_NE(typed.err.find("indicator type URL is not allowed"), std::string::npos) << typed.err;
  Ingest("phone", kWatched2, "green");
  ASSERT_TRUE(WaitFor([&] { return Events(id, "HIT") == 1; }));

  // A hit_only rule discloses no references: no follow-up at all.
  SetSeRule("[phone, url]", "[migrant_smuggling]", "hit_only");
  auto hit_only = FollowUp("se", url.second);
  EXPECT_NE(hit_only.exit_code, 0) << hit_only.out;
  EXPECT_NE(hit_only.err.find("discloses no references"), std::string::npos) << hit_only.err;
  EXPECT_NE(Audit("de", "followup.in").find("\"reason\":\"disclosure\""), std::string::npos);

  // The phone type leaves: suspended again; a restart keeps it suspended.
  SetSeRule("[url]", "[migrant_smuggling]");
  ASSERT_TRUE(WaitFor([&] { return Events(id, "SUSPENDED") == 2; }));
  EXPECT_NE(fed_->Ctl("de", {"watch", "list", "--inbound"}).out.find("\tsuspended\t"),
            std::string::npos);
  Ingest("phone", "0151 2222 0011", "amber");  // kWatched1 again, another record.
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  EXPECT_EQ(Events(id, "HIT"), 1);
  // Put se's rule back for the other tests.
  SetSeRule("[phone, handle, url, email]", "[migrant_smuggling]");
}

}  // namespace
}  // namespace ifed::testing
