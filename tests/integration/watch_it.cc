// Issue 10 end to end with real processes: standing queries (watches) of the
// keyed scheme and the durable outbox. de asks at to watch pseudonyms; a
// later ingest at at notifies de exactly once, also when at is killed
// between the ingest and the delivery and when de is killed after storing a
// notification but before acknowledging it; an erasure withdraws it. hu's
// policy allows no watches; at's limits its watches and follow-ups per
// day. Follow-up answers come back through the outbox; an unanswered
// request turns overdue.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
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
    const std::string path = fed_->dir() + "/" + id + "-" + case_ref + ".csv";
    WriteFile(path, "type,value,case_ref,tlp,crime_area,region\nphone," + phone + "," + case_ref +
                        ",green,migrant_smuggling,DE\n");
    auto r = fed_->Ctl(id, {"ingest", path});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
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

}  // namespace
}  // namespace ifed::testing
