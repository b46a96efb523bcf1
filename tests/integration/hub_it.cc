// Hub and follow-ups end to end: a hub (role hub) and four members as real processes.
// A member's query goes through the hub to the members the hub's policy
// allows, answers come back per member with a status each, a stopped and a
// frozen member cost no more than the deadline, the hub's statistics hold
// no raw value, and a follow-up runs its full cycle (approve and deny).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_split.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

constexpr char kShared[] = "+4915112345671";  // de, at and hu hold it.
constexpr char kAtOnly[] = "+4915112345672";
constexpr char kNowhere[] = "+4915112345673";
constexpr char kFollowUps[] = "    follow_ups:\n      allowed: true\n";
constexpr char kWatches[] = "    watches: {allowed: true, max_active: 10}\n";
constexpr char kFollowUpsAndWatches[] =
    "    follow_ups:\n      allowed: true\n    watches: {allowed: true, max_active: 10}\n";

class HubTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    // Deconfliction through the hub: de may ask, at answers; the hub does
    // not relay it to hu.
    const std::string both = "[migrant_smuggling, takedown_deconfliction]";
    fed_->AddNode("hub", "EU", {{.id = "de", .purposes = both, .extra = kWatches},
                                {.id = "at", .purposes = both},
                                {.id = "hu"}});  // pl: no rule.
    // de reports the hits of its direct matches to the hub; at does not.
    fed_->AddNode("de", "DE", {{.id = "hub", .purposes = both, .extra = "    report_hits: true\n"},
                               {.id = "at"}, {.id = "hu"}});
    // Relays widen nothing: a member answers de through the hub under its
    // rule for de and its rule for the hub.
    fed_->AddNode("at", "AT", {{.id = "hub", .purposes = both, .extra = kWatches},
                               {.id = "de", .purposes = both, .extra = kFollowUpsAndWatches},
                               {.id = "hu"}});
    fed_->AddNode("hu", "HU", {{.id = "hub"}, {.id = "de"}});
    fed_->AddNode("pl", "PL", {{.id = "hub"}});
    fed_->node("hub").role = "hub";
    fed_->node("hub").extra_yaml = "peer_timeout_ms: 1500\nhub_k_threshold: 3\n";
    fed_->Start();
    Ingest("de", {kShared});
    Ingest("at", {kShared, kAtOnly});
    Ingest("hu", {kShared});
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  static void Ingest(const std::string& id, const std::vector<std::string>& phones) {
    std::string csv = "type,value,case_ref,tlp,crime_area,region\n";
    for (const auto& p : phones) csv += "phone," + p + ",CASE-" + id + "-7,green,migrant_smuggling,DE\n";
    const std::string path = fed_->dir() + "/" + id + ".csv";
    WriteFile(path, csv);
    auto r = fed_->Ctl(id, {"ingest", path});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  static RunResult ViaHub(const std::string& from) {
    return fed_->Ctl(from, {"match", "--peer", "hub", "--type", "phone", kShared, kAtOnly,
                            kNowhere});
  }
  // Rows of `match` output: value, canonical, type, peer, verdict, reference, ...
  static std::vector<std::vector<std::string>> Rows(const std::string& out) {
    std::vector<std::vector<std::string>> rows;
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      rows.push_back(absl::StrSplit(line, '\t'));
    }
    return rows;
  }
  static std::string Verdict(const std::string& out, const std::string& value,
                             const std::string& peer, std::string* reference = nullptr) {
    for (const auto& r : Rows(out)) {
      if (r.size() >= 6 && r[0] == value && r[3] == peer) {
        if (reference != nullptr) *reference = r[5];
        return r[4];
      }
    }
    return "missing";
  }

  static LocalFederation* fed_;
};

LocalFederation* HubTest::fed_ = nullptr;

TEST_F(HubTest, MatchViaHubAnswersPerMemberWithStatus) {
  auto r = ViaHub("de");
  EXPECT_EQ(r.exit_code, 1) << r.err;  // pl is reported as denied.
  std::string ref;
  EXPECT_EQ(Verdict(r.out, kShared, "hub/at", &ref), "HIT") << r.out;
  EXPECT_FALSE(ref.empty());
  EXPECT_EQ(Verdict(r.out, kShared, "hub/hu"), "HIT");
  EXPECT_EQ(Verdict(r.out, kAtOnly, "hub/at"), "HIT");
  EXPECT_EQ(Verdict(r.out, kAtOnly, "hub/hu"), "NO_HIT");
  EXPECT_EQ(Verdict(r.out, kNowhere, "hub/at"), "NO_HIT");
  EXPECT_EQ(Verdict(r.out, kShared, "hub/pl"), "missing");
  EXPECT_NE(r.err.find("hub/pl"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("MEMBER_DENIED"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hub/de"), std::string::npos) << "the querier is never asked";
}

// The hub runs without the federation key (its config has none: it must
// not be able to reverse the pseudonyms it relays) and still relays a
// match, keeps its report (digests under its own key, made 0600 at the
// first start) and relays a watch. What needs the key is refused on the
// hub with a clear reason, and a hub config that names a key is refused.
TEST_F(HubTest, HubRunsWithoutTheFederationKey) {
  const auto& hub = fed_->node("hub");
  EXPECT_EQ(ReadFile(hub.config).find("federation_key_file"), std::string::npos);
  EXPECT_NE(ReadFile(fed_->node("de").config).find("federation_key_file"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((hub.data_dir + "/hub-stats.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto m = fed_->Ctl("de", {"match", "--hub", "--type", "phone", kShared});
  EXPECT_EQ(Verdict(m.out, kShared, "hub/at"), "HIT") << m.out << m.err;
  EXPECT_EQ(Verdict(m.out, kShared, "hub/hu"), "HIT") << m.out << m.err;
  auto report = fed_->Ctl("hub", {"hub", "report", "--json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("\"queries\""), std::string::npos) << report.out;
  auto watch = fed_->Ctl("de", {"watch", "add", "--hub", "--jurisdiction", "AT", "--type",
                                "phone", "+4915112345679"});
  EXPECT_EQ(watch.exit_code, 0) << watch.err << watch.out;

  // On the hub itself, what needs the key says why it is refused.
  auto keys = fed_->Ctl("hub", {"keys", "status"});
  EXPECT_NE(keys.exit_code, 0);
  EXPECT_NE((keys.err + keys.out).find("no federation key"), std::string::npos) << keys.err;
  auto local = fed_->Ctl("hub", {"match", "--peer", "de", "--type", "phone", kShared});
  EXPECT_NE(local.exit_code, 0);
  EXPECT_NE((local.err + local.out).find("no federation key"), std::string::npos) << local.err;

  // A hub config that names the federation key is refused before it starts.
  const std::string keyed = fed_->dir() + "/hub-with-key.yaml";
  WriteFile(keyed, ReadFile(hub.config) + "federation_key_file: " + fed_->dir() +
                       "/federation.key\n");
  auto check = ifed::testing::Run({fed_->bin("ifed-node"), "--config", keyed, "--check-config"});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_NE(check.err.find("a hub must not hold the federation key"), std::string::npos)
      << check.err << check.out;
}

TEST_F(HubTest, HubPolicyRefusesAnUnknownQuerier) {
  auto r = ViaHub("pl");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("peer hub: 7 "), std::string::npos) << r.err << r.out;  // PERMISSION_DENIED
  EXPECT_EQ(Verdict(r.out, kShared, "hub/at"), "missing");
}

TEST_F(HubTest, StatsShowCrossBorderClustersWithoutRawValues) {
  ASSERT_EQ(ViaHub("de").exit_code, 1);
  auto r = fed_->Ctl("hub", {"hub", "stats", "--min-jurisdictions", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\tat,de,hu\t"), std::string::npos) << r.out;
  auto json = fed_->Ctl("hub", {"hub", "stats", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find("\"querier\":\"de\",\"member\":\"at\""), std::string::npos) << json.out;
  // On a member the command says it is not a hub.
  EXPECT_NE(fed_->Ctl("de", {"hub", "stats"}).exit_code, 0);
  // Nothing the hub keeps or logs holds a test value or a case reference.
  const auto& hub = fed_->node("hub");
  std::string everything = fed_->AllLogs();
  for (const auto& e : std::filesystem::recursive_directory_iterator(hub.data_dir)) {
    if (e.is_regular_file()) everything += ReadFile(e.path().string());
  }
  everything += ReadFile(hub.log);
  for (const char* needle : {"4915112345671", "4915112345672", "4915112345673", "CASE-"}) {
    EXPECT_EQ(everything.find(needle), std::string::npos) << needle;
  }
}

TEST_F(HubTest, FollowUpApprovedAndDeniedEndToEnd) {
  std::string ref;
  ASSERT_EQ(Verdict(ViaHub("de").out, kShared, "hub/at", &ref), "HIT");
  // Through the hub at answers with de's own reference token (the hub names
  // the querier): the same as at gives de directly, and not the hub's.
  std::string direct;
  ASSERT_EQ(Verdict(fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", kShared}).out,
                    kShared, "at", &direct),
            "HIT");
  EXPECT_EQ(direct, ref);
  EXPECT_EQ(ref.size(), 45u) << ref;
  auto req = fed_->Ctl("de", {"followups", "request", "--peer", "at", "--ref", ref,
                              "--legal-basis", "Prüm Art. 5", "--justification",
                              "smuggling route, need the holding unit"});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  const std::string id = req.out.substr(0, req.out.find('\t'));
  ASSERT_EQ(id.rfind("fu-", 0), 0u) << req.out;
  EXPECT_NE(req.out.find("PENDING"), std::string::npos);
  auto list = fed_->Ctl("at", {"followups", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(id), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("PENDING"), std::string::npos);
  // Unknown references and partners without follow-ups are refused.
  EXPECT_NE(fed_->Ctl("de", {"followups", "request", "--peer", "at", "--ref", "nope",
                             "--legal-basis", "x", "--justification", "y"}).exit_code, 0);
  auto ok = fed_->Ctl("at", {"followups", "approve", "--id", id, "--reply",
                             "contact unit 3, file 2026/17"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(fed_->Ctl("at", {"followups", "deny", "--id", id, "--reason", "x"}).exit_code, 0)
      << "decided once";
  auto status = fed_->Ctl("de", {"followups", "status", "--id", id});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("APPROVED"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("file 2026/17"), std::string::npos) << status.out;

  auto req2 = fed_->Ctl("de", {"followups", "request", "--peer", "at", "--ref", ref,
                               "--legal-basis", "b", "--justification", "second"});
  ASSERT_EQ(req2.exit_code, 0) << req2.err;
  const std::string id2 = req2.out.substr(0, req2.out.find('\t'));
  ASSERT_EQ(fed_->Ctl("at", {"followups", "deny", "--id", id2, "--reason", "no legal basis"})
                .exit_code, 0);
  status = fed_->Ctl("de", {"followups", "status", "--id", id2});
  EXPECT_NE(status.out.find("DENIED"), std::string::npos) << status.out;
  // Both sides audited every step (ids and states, never the texts).
  for (const auto& [node, action, want] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"de", "followup.out", id2}, {"de", "followup.answer", id}, {"at", "followup.in", id2},
           {"at", "followup.approve", id}, {"at", "followup.deny", id2}}) {
    auto q = fed_->Ctl(node, {"audit", "query", "--action", action});
    EXPECT_NE(q.out.find(want), std::string::npos) << node << " " << action << ": " << q.out << q.err;
    EXPECT_EQ(q.out.find("file 2026/17"), std::string::npos);
    EXPECT_EQ(q.out.find("smuggling route"), std::string::npos);
  }
}

// Values one case asked for together are linked in the hub's
// report through an opaque case token; the case reference stays at home.
TEST_F(HubTest, CaseTokensLinkPseudonymsIntoANetwork) {
  auto bad = fed_->Ctl("de", {"match", "--peer", "hub", "--case", "", "--type", "phone", kShared});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  auto r = fed_->Ctl("de", {"match", "--peer", "hub", "--case", "OP-NETWORK-41", "--type",
                            "phone", kShared, kAtOnly});
  ASSERT_EQ(r.exit_code, 1) << r.err;  // pl denied, as always.
  ASSERT_EQ(Verdict(r.out, kAtOnly, "hub/at"), "HIT") << r.out << r.err;
  auto report = fed_->Ctl("hub", {"hub", "report", "--min-jurisdictions", "3"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  size_t at = report.out.find("\nnetwork ");
  ASSERT_NE(at, std::string::npos) << report.out;
  const std::string line = report.out.substr(at + 1, report.out.find('\n', at + 1) - at - 1);
  EXPECT_NE(line.find("\t3\tat,de,hu\t"), std::string::npos) << line;
  EXPECT_NE(line.find("1 cases"), std::string::npos) << line;
  auto json = fed_->Ctl("hub", {"hub", "report", "--json"});
  EXPECT_NE(json.out.find("\"networks\":[{\"digests\":[\""), std::string::npos) << json.out;
  const std::string dot = fed_->dir() + "/hub.dot";
  ASSERT_EQ(fed_->Ctl("hub", {"hub", "report", "--dot", dot}).exit_code, 0);
  EXPECT_NE(ReadFile(dot).find("\"case:"), std::string::npos);
  EXPECT_EQ(fed_->Ctl("hub", {"hub", "report", "--min-jurisdictions", "x"}).exit_code, 2);
  // Neither the hub nor a member ever holds the case reference.
  std::string everything = fed_->AllLogs();
  for (const std::string id : {"hub", "at"}) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(fed_->node(id).data_dir)) {
      if (e.is_regular_file()) everything += ReadFile(e.path().string());
    }
  }
  EXPECT_EQ(everything.find("OP-NETWORK-41"), std::string::npos);
}

// "members may report hits to the hub (policy decides)". de's
// rule for the hub says report_hits: its direct match with at is counted at
// the hub; at's rule does not: its direct match with de is not.
TEST_F(HubTest, MembersReportDirectHitsWhenTheirPolicySaysSo) {
  auto pair_queries = [](const std::string& q, const std::string& m) -> int {
    auto json = fed_->Ctl("hub", {"hub", "stats", "--json"});
    const std::string key = "{\"querier\":\"" + q + "\",\"member\":\"" + m + "\",\"queries\":";
    const size_t at = json.out.find(key);
    return at == std::string::npos ? 0 : std::stoi(json.out.substr(at + key.size()));
  };
  const int before = pair_queries("de", "at");
  auto r = fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", kShared, kAtOnly, kNowhere});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(Verdict(r.out, kAtOnly, "at"), "HIT") << r.out;
  EXPECT_EQ(pair_queries("de", "at"), before + 1);
  auto out = fed_->Ctl("de", {"audit", "query", "--action", "hub.report.out"});
  EXPECT_NE(out.out.find("\"items\":2"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("\"outcome\":\"ok\""), std::string::npos) << out.out;
  auto in = fed_->Ctl("hub", {"audit", "query", "--action", "hub.report.in", "--peer", "de"});
  EXPECT_NE(in.out.find("\"holders\":1"), std::string::npos) << in.out;

  const int at_before = pair_queries("at", "de");
  ASSERT_EQ(fed_->Ctl("at", {"match", "--peer", "de", "--type", "phone", kShared}).exit_code, 0);
  EXPECT_EQ(pair_queries("at", "de"), at_before);
  EXPECT_EQ(fed_->Ctl("at", {"audit", "query", "--action", "hub.report.out"}).out, "");
}

// Takedown deconfliction through the hub: one call, the hub asks the
// members its policy allows for that purpose; held at at, hu not asked.
TEST_F(HubTest, DeconflictionThroughTheHub) {
  constexpr char kHeld[] = "https://t.me/s/Held_Channel_7";
  constexpr char kClear[] = "https://example.org/clear-page-7";
  const std::string path = fed_->dir() + "/held.csv";
  WriteFile(path, std::string("type,value,case_ref,tlp,crime_area,region\nurl,") + kHeld +
                      ",CASE-at-held,green,migrant_smuggling,\n");
  ASSERT_EQ(fed_->Ctl("at", {"ingest", "--hold", path}).exit_code, 0);
  EXPECT_EQ(fed_->Ctl("de", {"deconflict", "--hub", "--peer", "at", "--type", "url", kHeld})
                .exit_code, 2);
  auto r = fed_->Ctl("de", {"deconflict", "--hub", "--type", "url", kHeld, kClear});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;  // held: do not refer
  bool held = false, clear = false;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 4 || f[2] != "hub/at") continue;
    if (f[0] == kHeld && f[3] == "held") held = true;
    if (f[0] == kClear && f[3] == "clear") clear = true;
  }
  EXPECT_TRUE(held) << r.out;
  EXPECT_TRUE(clear) << r.out;
  EXPECT_NE(r.err.find("hub/hu"), std::string::npos) << r.err;  // the hub's policy: not relayed
  EXPECT_NE(r.err.find("MEMBER_DENIED"), std::string::npos) << r.err;
  // at saw a check from the hub; the hub keeps no URL.
  auto in = fed_->Ctl("at", {"audit", "query", "--action", "deconflict.in"});
  EXPECT_NE(in.out.find("\"peer\":\"hub\""), std::string::npos) << in.out;
  std::string everything = ReadFile(fed_->node("hub").log);
  for (const auto& e : std::filesystem::recursive_directory_iterator(fed_->node("hub").data_dir)) {
    if (e.is_regular_file()) everything += ReadFile(e.path().string());
  }
  EXPECT_EQ(everything.find("Held_Channel_7"), std::string::npos);
  EXPECT_EQ(everything.find("held_channel_7"), std::string::npos);
}

// The spelling: `followup approve --ref R --contact` picks the one
// pending request for that reference and replies with the contact point.
TEST_F(HubTest, FollowUpDecidedByReferenceWithTheContactPoint) {
  std::string ref;
  ASSERT_EQ(Verdict(ViaHub("de").out, kAtOnly, "hub/at", &ref), "HIT");
  // Bad input first: nothing pending for it, neither id nor reference, unknown action.
  EXPECT_NE(fed_->Ctl("at", {"followup", "approve", "--ref", ref, "--contact"}).exit_code, 0);
  auto none = fed_->Ctl("at", {"followup", "approve", "--contact"});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("--id ID or --ref REF"), std::string::npos) << none.err;
  EXPECT_EQ(fed_->Ctl("at", {"followup", "accept", "--ref", ref}).exit_code, 2);
  auto req = fed_->Ctl("de", {"followup", "request", "--peer", "at", "--ref", ref,
                              "--purpose", "migrant_smuggling", "--legal-basis", "Art. 5",
                              "--justification", "route"});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  const std::string id = req.out.substr(0, req.out.find('\t'));
  auto ok = fed_->Ctl("at", {"followup", "approve", "--ref", ref, "--contact"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(id), std::string::npos) << ok.out;
  // Decided: a second decision by reference finds nothing pending.
  auto again = fed_->Ctl("at", {"followup", "deny", "--ref", ref, "--reason", "x"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("no pending follow-up"), std::string::npos) << again.err;
  auto status = fed_->Ctl("de", {"followup", "status", "--id", id});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("APPROVED"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("contact: ops@at.example"), std::string::npos) << status.out;
}

TEST_F(HubTest, KThresholdWithholdsSmallCellsAndStatsSurviveARestart) {
  // hu asks once: its pairs hold 2 (at) and 1 (de) hits, below the hub's k of 3.
  ASSERT_EQ(ViaHub("hu").exit_code, 1);
  auto r = fed_->Ctl("hub", {"hub", "report", "--min-jurisdictions", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"k_threshold\":3"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\"querier\":\"hu\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"querier\":\"de\",\"member\":\"at\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\"suppressed\":0}"), std::string::npos) << r.out;
  const std::string dot = fed_->dir() + "/hub.dot";
  ASSERT_EQ(fed_->Ctl("hub", {"hub", "report", "--min-jurisdictions", "3", "--dot", dot}).exit_code, 0);
  EXPECT_NE(ReadFile(dot).find("-- \"hu\""), std::string::npos) << ReadFile(dot);
  // The statistics are in the hub's store: a restart shows the same report.
  fed_->StopNode("hub");
  fed_->StartNode("hub");
  auto after = fed_->Ctl("hub", {"hub", "report", "--min-jurisdictions", "2", "--json"});
  EXPECT_EQ(after.out, r.out);
  // de's channel to the restarted hub reconnects with gRPC's backoff.
  for (int i = 0; i < 40 && Verdict(ViaHub("de").out, kShared, "hub/at") != "HIT"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// Last: stops and freezes members.
TEST_F(HubTest, StoppedAndFrozenMembersCostOnlyTheDeadline) {
  fed_->StopNode("hu");
  const pid_t at = fed_->node("at").process.pid();
  ASSERT_EQ(::kill(at, SIGSTOP), 0);
  const auto start = std::chrono::steady_clock::now();
  auto r = ViaHub("de");
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start).count();
  ::kill(at, SIGCONT);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_LT(ms, 4000) << "hub deadline is 1.5 s";
  EXPECT_NE(r.err.find("hub/at: 4 MEMBER_TIMED_OUT"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hub/hu: 14 MEMBER_UNAVAILABLE"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("MEMBER_DENIED"), std::string::npos) << r.err;
  fed_->StartNode("hu");
  // The hub's channel to hu reconnects with gRPC's backoff: retry a while.
  RunResult again;
  for (int i = 0; i < 40; ++i) {
    again = ViaHub("de");
    if (Verdict(again.out, kShared, "hub/hu") == "HIT") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(Verdict(again.out, kShared, "hub/hu"), "HIT") << again.err;
  EXPECT_EQ(Verdict(again.out, kShared, "hub/at"), "HIT") << again.err;
}

}  // namespace
}  // namespace ifed::testing
