// Hub and follow-ups end to end with real processes: standing queries (watches) of the
// keyed scheme and the durable outbox. de asks at to watch pseudonyms; a
// later ingest at at notifies de exactly once, also when at is killed
// between the ingest and the delivery and when de is killed after storing a
// notification but before acknowledging it; an erasure withdraws it. hu's
// policy allows no watches; at's limits its watches and follow-ups per
// day. Follow-up answers come back through the outbox; an unanswered
// request turns overdue. HubWatchTest: the same through a hub (eu): de
// watches via the hub, at and hu hold the watch for the hub, the hub's
// policy keeps pl out, and notifications pass the hub's outbox exactly once
// across a kill -9 of the hub.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

constexpr char kAtRule[] =
    "    watches: {allowed: true, max_active: 6}\n"
    "    follow_ups: {allowed: true, max_per_day: 3}\n";

// `phone` into node `id` as one green record of case `case_ref`.
void IngestPhone(LocalFederation* fed, const std::string& id, const std::string& phone,
                 const std::string& case_ref) {
  const std::string path = fed->dir() + "/" + id + "-" + case_ref + ".csv";
  WriteFile(path, "type,value,case_ref,tlp,crime_area,region\nphone," + phone + "," + case_ref +
                      ",green,migrant_smuggling,DE\n");
  auto r = fed->Ctl(id, {"ingest", path});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
}

class WatchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("de", "DE",
                  {{.id = "at"}, {.id = "hu"}, {.id = "pl", .extra = "    scheme: oprf\n"}});
    fed_->AddNode("at", "AT", {{.id = "de", .extra = kAtRule}});
    fed_->AddNode("hu", "HU", {{.id = "de"}});
    // pl answers de under the OPRF scheme: de keeps its watches itself.
    fed_->AddNode("pl", "PL", {{.id = "de", .extra = "    scheme: oprf\n"}});
    const std::string seed = fed_->dir() + "/pl/oprf.seed";
    WriteFile(seed, std::string(64, '5') + "\n", 0600);
    fed_->node("pl").extra_yaml = "oprf_seed_file: " + seed + "\n";
    fed_->node("at").extra_yaml =
        "outbox_retry_ms: 200\noutbox_max_backoff_ms: 800\nfollowup_deadline_seconds: 3\n";
    fed_->Start();
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  static void Ingest(const std::string& id, const std::string& phone, const std::string& case_ref) {
    IngestPhone(fed_, id, phone, case_ref);
  }
  // Adds a watch at `peer` for `phones`; returns its id ("" on failure).
  static std::string Watch(const std::string& peer, std::vector<std::string> phones) {
    std::vector<std::string> args = {"watch", "add", "--peer", peer, "--type", "phone",
                                     "--region", "DE"};
    args.insert(args.end(), phones.begin(), phones.end());
    auto r = fed_->Ctl("de", args);
    if (r.exit_code != 0) return "";
    return r.out.substr(0, r.out.find('\t'));
  }
  // de's events of watch `id` with `kind` (HIT / WITHDRAWN).
  static int Events(const std::string& id, const std::string& kind) {
    auto r = fed_->Ctl("de", {"watch", "events"});
    int n = 0;
    for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      if (f.size() > 3 && f[2] == id && f[3] == kind) ++n;
    }
    return n;
  }
  static bool WaitFor(const std::function<bool()>& cond, int ms = 15000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return cond();
  }
  static int OutboxAt(const std::string& node) {
    auto r = fed_->Ctl(node, {"watch", "list", "--inbound"});
    int n = 0;
    for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      if (absl::StartsWith(line, "outbox\t")) ++n;
    }
    return n;
  }
  static std::string Audit(const std::string& node, const std::string& action) {
    return fed_->Ctl(node, {"audit", "query", "--action", action}).out;
  }

  // Attempts at's courier needed for watch `id` (its watch.notify event).
  static int Attempts(const std::string& id) {
    for (absl::string_view line : absl::StrSplit(Audit("at", "watch.notify"), '\n')) {
      if (line.find(id) == absl::string_view::npos) continue;
      const size_t at = line.find("\"attempts\":");
      if (at != absl::string_view::npos) return std::atoi(std::string(line.substr(at + 11, 4)).c_str());
    }
    return 0;
  }

  static LocalFederation* fed_;
};

LocalFederation* WatchTest::fed_ = nullptr;

TEST_F(WatchTest, FiresOnceOnALaterIngestAndWithdrawsAfterErasure) {
  const std::string id = Watch("at", {"+4917011110001", "0170 1111 0002"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(Events(id, "HIT"), 0);
  auto list = fed_->Ctl("de", {"watch", "list"});
  EXPECT_NE(list.out.find(id + "\tat\tactive\titems 2"), std::string::npos) << list.out;
  Ingest("at", "+49 170 11110001", "CASE-W-1");
  ASSERT_TRUE(WaitFor([&] { return Events(id, "HIT") == 1; })) << fed_->Ctl("de", {"watch", "events"}).out;
  // The other watched value and an unwatched one fire nothing.
  Ingest("at", "+4917099990000", "CASE-W-2");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Events(id, "HIT"), 1);
  EXPECT_EQ(OutboxAt("at"), 0);
  auto events = fed_->Ctl("de", {"watch", "events", "--json"});
  EXPECT_NE(events.out.find("\"reference\":\""), std::string::npos);
  // Both sides audited: the notification at at, its receipt at de.
  EXPECT_NE(Audit("at", "watch.in").find(id), std::string::npos);
  EXPECT_NE(Audit("at", "watch.notify").find(id), std::string::npos);
  EXPECT_EQ(Attempts(id), 1);
  EXPECT_NE(Audit("de", "watch.event").find(id), std::string::npos);
  EXPECT_NE(Audit("de", "watch.out").find(id), std::string::npos);
  // Erasure at at withdraws what it told.
  auto erase = fed_->Ctl("at", {"erase", "--type", "phone", "--region", "DE", "+4917011110001"});
  ASSERT_EQ(erase.exit_code, 0) << erase.err;
  ASSERT_TRUE(WaitFor([&] { return Events(id, "WITHDRAWN") == 1; }));
  EXPECT_EQ(Events(id, "HIT"), 1);
  // Removed: a new ingest of the watched value tells de nothing.
  auto rm = fed_->Ctl("de", {"watch", "remove", "--peer", "at", "--id", id});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  Ingest("at", "+4917011110002", "CASE-W-3");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(Events(id, "HIT"), 1);
  EXPECT_EQ(OutboxAt("at"), 0);
  // No raw value or case reference in any log or audit line.
  std::string all = fed_->AllLogs() + fed_->Ctl("at", {"audit", "export"}).out +
                    fed_->Ctl("de", {"audit", "export"}).out;
  for (const char* needle : {"4917011110001", "4917011110002", "CASE-W"}) {
    EXPECT_EQ(all.find(needle), std::string::npos) << needle;
  }
}

TEST_F(WatchTest, RefusedByPolicyLimitsAndBadInput) {
  auto hu = fed_->Ctl("de", {"watch", "add", "--peer", "hu", "--type", "phone", "+4917011110003"});
  EXPECT_EQ(hu.exit_code, 1);
  EXPECT_NE(hu.err.find("peer hu: 7 watches are not allowed"), std::string::npos) << hu.err;
  EXPECT_NE(Audit("hu", "watch.in").find("refused"), std::string::npos);
  auto bad = fed_->Ctl("de", {"watch", "add", "--peer", "at", "--type", "phone", "+4917011110004",
                              "not a phone"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("value 2:"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("not a phone"), std::string::npos) << "no value in the error";
  EXPECT_NE(fed_->Ctl("de", {"watch", "add", "--peer", "xx", "--type", "phone", "+4917011110004"})
                .exit_code, 0);
  // max_active 6 at at: 7 more pseudonyms are refused, nothing held.
  std::vector<std::string> many;
  for (int i = 0; i < 7; ++i) many.push_back("+49170222200" + std::to_string(10 + i));
  std::vector<std::string> args = {"watch", "add", "--peer", "at", "--type", "phone"};
  args.insert(args.end(), many.begin(), many.end());
  auto over = fed_->Ctl("de", args);
  EXPECT_EQ(over.exit_code, 1);
  EXPECT_NE(over.err.find("peer at: 8 watch limit reached"), std::string::npos) << over.err;
  EXPECT_EQ(fed_->Ctl("de", {"watch", "list"}).out.find("pending"), std::string::npos);
}

TEST_F(WatchTest, ExactlyOnceAcrossAKillOfTheResponderBeforeDelivery) {
  const std::string id = Watch("at", {"+4917033330001"});
  ASSERT_FALSE(id.empty());
  fed_->StopNode("de");  // the notification cannot be delivered...
  Ingest("at", "+4917033330001", "CASE-K-1");
  ASSERT_TRUE(WaitFor([] { return OutboxAt("at") == 1; }));
  fed_->node("at").process.Kill();  // ...and at dies with it in the outbox.
  fed_->StartNode("de");
  fed_->StartNode("at");
  ASSERT_TRUE(WaitFor([&] { return Events(id, "HIT") == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Events(id, "HIT"), 1);
  EXPECT_EQ(OutboxAt("at"), 0);
  EXPECT_GE(Attempts(id), 2) << "failed while de was down, delivered after both restarts";
}

TEST_F(WatchTest, ExactlyOnceAcrossAKillOfTheQuerierBeforeItAcknowledges) {
  const std::string id = Watch("at", {"+4917044440001"});
  ASSERT_FALSE(id.empty());
  // de stores each delivery, then waits 5 s before acknowledging.
  fed_->StopNode("de");
  fed_->node("de").env = {"IFED_FAULT_DELIVER_ACK_DELAY_MS=5000"};
  fed_->StartNode("de");
  Ingest("at", "+4917044440001", "CASE-K-2");
  ASSERT_TRUE(WaitFor([&] { return Events(id, "HIT") == 1; }));
  fed_->node("de").process.Kill();  // stored, never acknowledged.
  EXPECT_EQ(OutboxAt("at"), 1);
  fed_->node("de").env.clear();
  fed_->StartNode("de");
  ASSERT_TRUE(WaitFor([] { return OutboxAt("at") == 0; })) << "at redelivers, de acknowledges";
  EXPECT_EQ(Events(id, "HIT"), 1) << "the repeated delivery id is not stored twice";
  EXPECT_GE(Attempts(id), 2) << "the first delivery was never acknowledged";
}

TEST_F(WatchTest, FollowUpAnswersThroughTheOutboxDailyLimitAndOverdue) {
  Ingest("at", "+4917055550001", "CASE-F-1");
  auto m = fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", "+4917055550001"});
  std::string ref;
  for (absl::string_view line : absl::StrSplit(m.out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() >= 6 && f[4] == "HIT") ref = f[5];
  }
  ASSERT_FALSE(ref.empty()) << m.out << m.err;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = fed_->Ctl("de", {"followups", "request", "--peer", "at", "--ref", ref,
                              "--legal-basis", "Prüm Art. 5", "--justification", "route"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ids.push_back(r.out.substr(0, r.out.find('\t')));
  }
  auto fourth = fed_->Ctl("de", {"followups", "request", "--peer", "at", "--ref", ref,
                                 "--legal-basis", "b", "--justification", "j"});
  EXPECT_NE(fourth.exit_code, 0);
  EXPECT_NE(fourth.err.find("follow-up limit of 3 per day"), std::string::npos) << fourth.err;
  ASSERT_EQ(fed_->Ctl("at", {"followups", "approve", "--id", ids[0], "--reply", "unit 3"})
                .exit_code, 0);
  ASSERT_EQ(fed_->Ctl("at", {"followups", "deny", "--id", ids[1], "--reason", "no basis"})
                .exit_code, 0);
  // The answers arrive without de polling (its audit records the outbox).
  ASSERT_TRUE(WaitFor([&] {
    const std::string a = Audit("de", "followup.answer");
    return a.find(ids[0]) != std::string::npos && a.find(ids[1]) != std::string::npos;
  }));
  EXPECT_NE(Audit("at", "followup.deliver").find(ids[0]), std::string::npos);
  // ids[2] is left: past at's 3-second deadline it is flagged once.
  ASSERT_TRUE(WaitFor([&] { return Audit("at", "followup.overdue").find(ids[2]) != std::string::npos; }));
  auto list = fed_->Ctl("at", {"followups", "list", "--id", ids[2]});
  EXPECT_NE(list.out.find("OVERDUE"), std::string::npos) << list.out;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string overdue = Audit("at", "followup.overdue");
  EXPECT_EQ(overdue.find(ids[2]), overdue.rfind(ids[2])) << "flagged once: " << overdue;
  auto status = fed_->Ctl("de", {"followups", "status"});
  EXPECT_NE(status.out.find(ids[0]), std::string::npos);
  EXPECT_NE(status.out.find("APPROVED"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("DENIED"), std::string::npos) << status.out;
}

TEST_F(WatchTest, OprfWatchIsKeptByTheQuerierAndCheckedAtEachFilterSync) {
  auto sync = [] { return fed_->Ctl("de", {"filters", "sync", "--peer", "pl"}); };
  ASSERT_EQ(sync().exit_code, 0) << sync().err;
  Ingest("pl", "+4917066660002", "CASE-O-0");  // held before the watch: not news.
  ASSERT_EQ(sync().exit_code, 0);
  auto add = fed_->Ctl("de", {"watch", "add", "--peer", "pl", "--type", "phone",
                              "+4917066660001", "+4917066660002"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const std::string id = add.out.substr(0, add.out.find('\t'));
  EXPECT_NE(add.out.find("\tpl\tOK\titems 2"), std::string::npos) << add.out;
  Ingest("pl", "+4917066660001", "CASE-O-1");
  EXPECT_EQ(Events(id, "HIT"), 0) << "nothing is pushed: de learns at its next sync";
  ASSERT_EQ(sync().exit_code, 0);
  EXPECT_EQ(Events(id, "HIT"), 1);
  ASSERT_EQ(sync().exit_code, 0);
  EXPECT_EQ(Events(id, "HIT"), 1) << "an unchanged filter adds nothing";
  auto erase = fed_->Ctl("pl", {"erase", "--type", "phone", "+4917066660001"});
  ASSERT_EQ(erase.exit_code, 0) << erase.err;
  ASSERT_EQ(sync().exit_code, 0);
  EXPECT_EQ(Events(id, "WITHDRAWN"), 1);
  EXPECT_EQ(Events(id, "HIT"), 1);
  // pl holds no watch and never saw the watch id; de audited each step.
  const std::string pl = fed_->Ctl("pl", {"audit", "export"}).out;
  EXPECT_EQ(pl.find("watch."), std::string::npos);
  EXPECT_EQ(pl.find(id), std::string::npos);
  EXPECT_NE(Audit("de", "watch.event").find("\"scheme\":\"oprf\""), std::string::npos);
  EXPECT_NE(Audit("de", "watch.out").find(id), std::string::npos);
  ASSERT_EQ(fed_->Ctl("de", {"watch", "remove", "--peer", "pl", "--id", id}).exit_code, 0);
  EXPECT_EQ(fed_->Ctl("de", {"watch", "list"}).out.find(id), std::string::npos);
}

// --- Watches through the hub ---------------------------------------

constexpr char kWatches[] = "    watches: {allowed: true, max_active: 10}\n";

class HubWatchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    // The hub lets de watch and relays to at and hu; it has no rule for pl.
    fed_->AddNode("eu", "EU", {{.id = "de", .extra = kWatches}, {.id = "at"}, {.id = "hu"}});
    fed_->node("eu").role = "hub";
    fed_->node("eu").extra_yaml = "outbox_retry_ms: 200\noutbox_max_backoff_ms: 800\n";
    fed_->AddNode("de", "DE", {{.id = "eu"}});
    // Members keep watches for the hub under their rules for partner eu and
    // for the querier de (relays widen nothing: both must allow them).
    fed_->AddNode("at", "AT", {{.id = "eu", .extra = kWatches}, {.id = "de", .extra = kWatches}});
    fed_->AddNode("hu", "HU", {{.id = "eu", .extra = kWatches}, {.id = "de", .extra = kWatches}});
    fed_->AddNode("pl", "PL", {{.id = "eu", .extra = kWatches}, {.id = "de", .extra = kWatches}});
    fed_->node("at").extra_yaml = "outbox_retry_ms: 200\noutbox_max_backoff_ms: 800\n";
    fed_->Start();
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  static void Ingest(const std::string& id, const std::string& phone, const std::string& case_ref) {
    IngestPhone(fed_, id, phone, case_ref);
  }
  static RunResult HubWatch(std::vector<std::string> extra, std::vector<std::string> phones) {
    std::vector<std::string> args = {"watch", "add", "--hub", "--type", "phone", "--region", "DE"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), phones.begin(), phones.end());
    return fed_->Ctl("de", args);
  }
  static std::string IdOf(const RunResult& r) { return r.out.substr(0, r.out.find('\t')); }
  // de's events of watch `id` with `kind`, from `sender` (as shown).
  static int Events(const std::string& id, const std::string& kind,
                    const std::string& sender = "eu/at") {
    auto r = fed_->Ctl("de", {"watch", "events"});
    int n = 0;
    for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      if (f.size() > 3 && f[1] == sender && f[2] == id && f[3] == kind) ++n;
    }
    return n;
  }
  // Lines of `watch list --inbound` at `node` starting with `prefix`.
  static std::vector<std::string> Inbound(const std::string& node, const std::string& prefix) {
    std::vector<std::string> out;
    auto r = fed_->Ctl(node, {"watch", "list", "--inbound"});
    for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      if (absl::StartsWith(line, prefix)) out.emplace_back(line);
    }
    return out;
  }
  static std::string Audit(const std::string& node, const std::string& action) {
    return fed_->Ctl(node, {"audit", "query", "--action", action}).out;
  }
  static int Count(const std::string& text, const std::string& needle) {
    int n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }
  static bool WaitFor(const std::function<bool()>& cond, int ms = 15000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return cond();
  }

  static LocalFederation* fed_;
};

LocalFederation* HubWatchTest::fed_ = nullptr;

TEST_F(HubWatchTest, FiresOnceThroughTheHubWithdrawsAndIsRemovedEverywhere) {
  auto add = HubWatch({}, {"+4917077770001", "0170 7777 0002"});
  EXPECT_EQ(add.exit_code, 1) << "pl is reported as denied: " << add.err;
  const std::string id = IdOf(add);
  ASSERT_EQ(id.rfind("w-", 0), 0u) << add.out << add.err;
  EXPECT_NE(add.out.find(id + "\teu\tOK\titems 4"), std::string::npos) << add.out;
  EXPECT_NE(add.out.find(id + "\teu/at\tOK\titems 2"), std::string::npos) << add.out;
  EXPECT_NE(add.out.find(id + "\teu/hu\tOK\titems 2"), std::string::npos) << add.out;
  EXPECT_NE(add.err.find("peer eu/pl: 7 MEMBER_DENIED not relayed: hub policy"),
            std::string::npos) << add.err;
  EXPECT_EQ(add.out.find("eu/de"), std::string::npos) << "the querier is never asked";
  // de lists it with each member's outcome; pl holds nothing; at and hu
  // hold it for the hub under an id that is not de's.
  auto list = fed_->Ctl("de", {"watch", "list"});
  EXPECT_NE(list.out.find(id + "\teu\tactive\titems 2"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("member\t" + id + "\teu/at\tMEMBER_ANSWERED\titems 2"),
            std::string::npos) << list.out;
  EXPECT_NE(list.out.find("member\t" + id + "\teu/pl\tMEMBER_DENIED"), std::string::npos);
  EXPECT_TRUE(Inbound("pl", "inbound\t").empty());
  const auto at_holds = Inbound("at", "inbound\thw-");
  ASSERT_EQ(at_holds.size(), 1u);
  EXPECT_NE(at_holds[0].find("\teu\titems 2"), std::string::npos) << at_holds[0];
  EXPECT_EQ(at_holds[0].find(id), std::string::npos);
  const auto relayed = Inbound("eu", "relayed\t");
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_NE(relayed[0].find("\tde\t" + id + "\tmembers at,hu\t"), std::string::npos)
      << relayed[0];

  // A later ingest at at fires once, shown as coming from at through eu.
  Ingest("at", "+49 170 77770001", "CASE-H-1");
  ASSERT_TRUE(WaitFor([&] { return Events(id, "HIT") == 1; }))
      << fed_->Ctl("de", {"watch", "events"}).out;
  Ingest("at", "+4917099997777", "CASE-H-2");  // not watched
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Events(id, "HIT"), 1);
  EXPECT_TRUE(Inbound("eu", "outbox\t").empty());
  EXPECT_TRUE(Inbound("at", "outbox\t").empty());
  auto json = fed_->Ctl("de", {"watch", "events", "--json"});
  EXPECT_NE(json.out.find("\"peer\":\"eu/at\",\"watch_id\":\"" + id), std::string::npos)
      << json.out;
  // Audited at every step, the hub with ids and counts only.
  EXPECT_NE(Audit("eu", "hub.watch.add").find(id), std::string::npos);
  EXPECT_NE(Audit("eu", "hub.watch.add").find("\"refused\":\"pl\""), std::string::npos)
      << Audit("eu", "hub.watch.add");
  EXPECT_EQ(Count(Audit("eu", "hub.watch.relay"), id), 1);
  EXPECT_NE(Audit("eu", "watch.notify").find("\"member\":\"at\""), std::string::npos);
  EXPECT_NE(Audit("at", "watch.in").find("\"actor\":\"peer:eu\""), std::string::npos);
  EXPECT_NE(Audit("de", "watch.event").find("\"member\":\"at\""), std::string::npos);

  // Erasure at at: the withdrawal travels the same way.
  auto erase = fed_->Ctl("at", {"erase", "--type", "phone", "--region", "DE", "+4917077770001"});
  ASSERT_EQ(erase.exit_code, 0) << erase.err;
  ASSERT_TRUE(WaitFor([&] { return Events(id, "WITHDRAWN") == 1; }));
  EXPECT_EQ(Events(id, "HIT"), 1);

  // Removed through the hub: at and hu forget it, the hub drops its mapping,
  // and a new ingest of the other watched value tells de nothing.
  auto rm = fed_->Ctl("de", {"watch", "remove", "--hub", "--id", id});
  ASSERT_EQ(rm.exit_code, 0) << rm.err << rm.out;
  EXPECT_TRUE(Inbound("at", "inbound\t").empty());
  EXPECT_TRUE(Inbound("hu", "inbound\t").empty());
  EXPECT_TRUE(Inbound("eu", "relayed\t").empty());
  EXPECT_EQ(fed_->Ctl("de", {"watch", "list"}).out.find(id), std::string::npos);
  EXPECT_NE(Audit("eu", "hub.watch.remove").find(id), std::string::npos);
  Ingest("at", "+4917077770002", "CASE-H-3");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(Events(id, "HIT"), 1);
  EXPECT_TRUE(Inbound("at", "outbox\t").empty());
  // Removing it again: a clear error.
  auto again = fed_->Ctl("de", {"watch", "remove", "--hub", "--id", id});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("no such watch"), std::string::npos) << again.err;

  // The hub keeps and logs no raw value and no case reference.
  const auto& hub = fed_->node("eu");
  std::string everything = ReadFile(hub.log) + ReadFile(hub.log + ".stderr") +
                           fed_->Ctl("eu", {"audit", "export"}).out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(hub.data_dir)) {
    if (e.is_regular_file()) everything += ReadFile(e.path().string());
  }
  for (const char* needle : {"4917077770001", "4917077770002", "CASE-H"}) {
    EXPECT_EQ(everything.find(needle), std::string::npos) << needle;
  }
  EXPECT_EQ(fed_->AllLogs().find("4917077770001"), std::string::npos);
}

TEST_F(HubWatchTest, JurisdictionPicksMembersAndBadInputIsRefused) {
  auto hu_only = HubWatch({"--jurisdiction", "hu"}, {"+4917077771001"});
  ASSERT_EQ(hu_only.exit_code, 0) << hu_only.err;
  const std::string id = IdOf(hu_only);
  EXPECT_NE(hu_only.out.find(id + "\teu/hu\tOK\titems 1"), std::string::npos) << hu_only.out;
  EXPECT_EQ(hu_only.out.find("eu/at"), std::string::npos) << hu_only.out;
  EXPECT_EQ(hu_only.err.find("eu/pl"), std::string::npos) << "pl is not in HU";
  EXPECT_TRUE(Inbound("at", "inbound\t").empty());
  EXPECT_EQ(Inbound("hu", "inbound\thw-").size(), 1u);
  ASSERT_EQ(fed_->Ctl("de", {"watch", "remove", "--peer", "eu", "--id", id}).exit_code, 0);
  EXPECT_TRUE(Inbound("hu", "inbound\t").empty());

  // Only pl is in PL, and the hub's policy keeps it out: nothing is watched.
  auto pl_only = HubWatch({"--jurisdiction", "PL"}, {"+4917077771003"});
  EXPECT_EQ(pl_only.exit_code, 1);
  EXPECT_NE(pl_only.err.find("peer eu: 9 no member of hub eu holds the watch"), std::string::npos)
      << pl_only.err;
  EXPECT_NE(pl_only.err.find("peer eu/pl: 7 MEMBER_DENIED"), std::string::npos) << pl_only.err;
  EXPECT_TRUE(Inbound("pl", "inbound\t").empty());
  EXPECT_EQ(fed_->Ctl("de", {"watch", "list"}).out.find("\teu\t"), std::string::npos);

  // eu itself has no hub among its peers.
  auto none = fed_->Ctl("eu", {"watch", "add", "--hub", "--type", "phone", "+4917077771002"});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("no hub configured"), std::string::npos) << none.err;
  auto bad_j = HubWatch({"--jurisdiction", "Austria"}, {"+4917077771002"});
  EXPECT_NE(bad_j.exit_code, 0);
  EXPECT_NE(bad_j.err.find("ISO 3166-1 alpha-2"), std::string::npos) << bad_j.err;
  auto no_hub = fed_->Ctl("de", {"watch", "add", "--peer", "at", "--jurisdiction", "AT", "--type",
                                 "phone", "+4917077771002"});
  EXPECT_NE(no_hub.exit_code, 0);
  EXPECT_NE(no_hub.err.find("use it with --hub"), std::string::npos) << no_hub.err;
  auto both = fed_->Ctl("de", {"watch", "add", "--hub", "--peer", "eu", "--type", "phone",
                               "+4917077771002"});
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.err.find("--hub goes without --peer"), std::string::npos) << both.err;
  auto unknown = fed_->Ctl("de", {"watch", "remove", "--hub", "--id", "w-000000000000"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("no such watch"), std::string::npos) << unknown.err;
  // Nothing of these refusals is held anywhere.
  EXPECT_TRUE(Inbound("eu", "relayed\t").empty());
  EXPECT_EQ(fed_->Ctl("de", {"watch", "list"}).out.find("pending"), std::string::npos);
}

TEST_F(HubWatchTest, RemoveReachesAMemberThatWasDownWhenAskedAgain) {
  auto add = HubWatch({}, {"+4917077773001"});
  const std::string id = IdOf(add);
  ASSERT_NE(add.out.find(id + "\teu/hu\tOK"), std::string::npos) << add.out << add.err;
  fed_->StopNode("hu");
  auto rm = fed_->Ctl("de", {"watch", "remove", "--hub", "--id", id});
  EXPECT_NE(rm.exit_code, 0);
  EXPECT_NE(rm.err.find("still held by hu"), std::string::npos) << rm.err;
  EXPECT_NE(rm.err.find("eu/hu: 14 MEMBER_UNAVAILABLE"), std::string::npos) << rm.err;
  EXPECT_TRUE(Inbound("at", "inbound\t").empty());
  const auto relayed = Inbound("eu", "relayed\t");
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_NE(relayed[0].find("\tmembers hu\t"), std::string::npos) << relayed[0];
  EXPECT_NE(relayed[0].find("\tremoving"), std::string::npos) << relayed[0];
  EXPECT_NE(fed_->Ctl("de", {"watch", "list"}).out.find(id + "\teu\tremoving"),
            std::string::npos);
  fed_->StartNode("hu");
  // The hub's channel to hu reconnects with gRPC's backoff: ask until it does.
  ASSERT_TRUE(WaitFor([&] {
    return fed_->Ctl("de", {"watch", "remove", "--hub", "--id", id}).exit_code == 0;
  }));
  EXPECT_TRUE(Inbound("hu", "inbound\t").empty());
  EXPECT_TRUE(Inbound("eu", "relayed\t").empty());
  EXPECT_EQ(fed_->Ctl("de", {"watch", "list"}).out.find(id), std::string::npos);
}

TEST_F(HubWatchTest, ExactlyOnceAcrossKillsOfTheMemberAndOfTheQuerier) {
  auto add = HubWatch({"--jurisdiction", "AT"}, {"+4917077774001", "+4917077774002"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const std::string id = IdOf(add);
  // at dies with the notification in its outbox (the hub is down).
  fed_->StopNode("eu");
  Ingest("at", "+4917077774001", "CASE-HM-1");
  ASSERT_TRUE(WaitFor([] { return Inbound("at", "outbox\teu\t").size() == 1; }));
  fed_->node("at").process.Kill();
  fed_->StartNode("eu");
  fed_->StartNode("at");
  ASSERT_TRUE(WaitFor([&] { return Events(id, "HIT") == 1; }));
  // de stores the next one, then dies before acknowledging it to the hub.
  fed_->StopNode("de");
  fed_->node("de").env = {"IFED_FAULT_DELIVER_ACK_DELAY_MS=5000"};
  fed_->StartNode("de");
  Ingest("at", "+4917077774002", "CASE-HM-2");
  ASSERT_TRUE(WaitFor([&] { return Events(id, "HIT") == 2; }));
  fed_->node("de").process.Kill();
  EXPECT_EQ(Inbound("eu", "outbox\tde\t").size(), 1u) << "not acknowledged to the hub";
  fed_->node("de").env.clear();
  fed_->StartNode("de");
  ASSERT_TRUE(WaitFor([] { return Inbound("eu", "outbox\t").empty(); }))
      << "the hub redelivers, de acknowledges";
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(Events(id, "HIT"), 2) << "each notification once";
  EXPECT_TRUE(Inbound("at", "outbox\t").empty());
  EXPECT_EQ(Count(Audit("eu", "hub.watch.relay"), id), 2);
  auto rm = fed_->Ctl("de", {"watch", "remove", "--hub", "--id", id});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
}

// Last: restarts nodes.
TEST_F(HubWatchTest, ExactlyOnceAcrossAKillOfTheHubBeforeItAcknowledges) {
  auto add = HubWatch({"--jurisdiction", "AT"}, {"+4917077772001"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const std::string id = IdOf(add);
  const auto held = Inbound("at", "inbound\thw-");
  ASSERT_EQ(held.size(), 1u);
  const std::string hub_id = std::vector<std::string>(absl::StrSplit(held[0], '\t'))[1];
  // de is down (the hub cannot pass the notification on); the hub stores
  // each delivery, then waits 5 s before acknowledging it to at.
  fed_->StopNode("de");
  fed_->StopNode("eu");
  fed_->node("eu").env = {"IFED_FAULT_DELIVER_ACK_DELAY_MS=5000"};
  fed_->StartNode("eu");
  Ingest("at", "+4917077772001", "CASE-HK-1");
  ASSERT_TRUE(WaitFor([] { return Inbound("eu", "outbox\tde\t").size() == 1; }));
  fed_->node("eu").process.Kill();  // queued for de, never acknowledged to at.
  EXPECT_EQ(Inbound("at", "outbox\teu\t").size(), 1u);
  fed_->node("eu").env.clear();
  fed_->StartNode("eu");
  fed_->StartNode("de");
  ASSERT_TRUE(WaitFor([&] { return Events(id, "HIT") == 1; }));
  ASSERT_TRUE(WaitFor([] {
    return Inbound("at", "outbox\t").empty() && Inbound("eu", "outbox\t").empty();
  })) << "at redelivers to the hub, the hub delivers to de";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Events(id, "HIT"), 1);
  // at's repeated delivery was acknowledged without a second relay.
  EXPECT_EQ(Count(Audit("eu", "hub.watch.relay"), id), 1) << Audit("eu", "hub.watch.relay");
  int attempts = 0;
  for (absl::string_view line : absl::StrSplit(Audit("at", "watch.notify"), '\n')) {
    const size_t at = line.find("\"attempts\":");
    if (line.find(hub_id) != absl::string_view::npos && at != absl::string_view::npos) {
      attempts = std::atoi(std::string(line.substr(at + 11, 4)).c_str());
    }
  }
  EXPECT_GE(attempts, 2) << "at's first delivery to the hub was never acknowledged";
}

}  // namespace
}  // namespace ifed::testing
