// The operations calls (proto/console_ops.proto) on real nodes: after a
// match de -> at, de's audit search finds it, the activity series counts
// it, the chain verification job succeeds, reconciliation with at's export
// agrees (and finds a removed event), the rules view names file:line, quota
// use is read, and a backup shows up in the list. Called over the admin
// socket like ifedctl (the operator: no staff identity).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "proto/console_ops.grpc.pb.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

class ConsoleOpsIt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("de", "DE", {{.id = "at"}});
    fed_->AddNode("at", "AT", {{.id = "de", .extra = "    quota: {items_per_day: 1000}\n"}});
    // de believes staff identities from this uid (as from a console).
    fed_->node("de").extra_yaml = absl::StrCat("console_uids: [", ::getuid(), "]\n");
    fed_->Start();
    const std::string f = fed_->dir() + "/at.csv";
    WriteFile(f, "type,value,case_ref,tlp,crime_area,region\n"
                 "phone,+43 664 7000001,OPS-1,amber,migrant_smuggling,AT\n"
                 "phone,+43 664 7000002,OPS-1,amber,migrant_smuggling,AT\n");
    auto r = fed_->Ctl("at", {"ingest", f});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    auto m = fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", "--region", "AT",
                              "+43 664 7000001", "+43 664 7999999"});
    ASSERT_EQ(m.exit_code, 0) << m.err;
    ASSERT_NE(m.out.find("\tat\tHIT"), std::string::npos) << m.out;
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  static std::unique_ptr<ifed::v1::ConsoleOps::Stub> Ops(const std::string& id) {
    return ifed::v1::ConsoleOps::NewStub(grpc::CreateChannel(
        "unix:" + fed_->node(id).socket, grpc::InsecureChannelCredentials()));
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return ctx;
  }
  static LocalFederation* fed_;
};
LocalFederation* ConsoleOpsIt::fed_ = nullptr;

TEST_F(ConsoleOpsIt, SearchFindsTheMatchAndPagesThroughTheLog) {
  auto ops = Ops("de");
  ifed::v1::AuditSearchRequest req;
  req.set_action("match");
  req.set_peer("at");
  ifed::v1::AuditSearchResponse resp;
  auto s = ops->AuditSearch(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.events_size(), 1);
  EXPECT_TRUE(absl::StrContains(resp.events(0), "\"action\":\"match.out\""));
  EXPECT_FALSE(absl::StrContains(resp.events(0), "7000001")) << "no raw value in the audit";
  // Page through everything two at a time: each event once, in order.
  ifed::v1::AuditSearchRequest all;
  all.set_limit(2);
  uint64_t last = 0;
  int pages = 0;
  do {
    ifed::v1::AuditSearchResponse page;
    ASSERT_TRUE(ops->AuditSearch(Ctx().get(), all, &page).ok());
    for (const auto& l : page.events()) {
      const auto seq = std::stoull(l.substr(7, l.find(',') - 7));
      EXPECT_GT(seq, last);
      last = seq;
    }
    all.set_after_seq(page.next_after_seq());
  } while (all.after_seq() != 0 && ++pages < 1000);
  EXPECT_GT(pages, 2);
  // Bad input: a clear refusal.
  req.set_until_ms(1);
  req.set_since_ms(2);
  s = ops->AuditSearch(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Defence in depth: a staff member the console names is checked on the
// node too, and audited by name.
TEST_F(ConsoleOpsIt, StaffRolesAreCheckedOnTheNode) {
  auto ops = Ops("de");
  auto as = [](const char* id, const char* roles) {
    auto ctx = Ctx();
    ctx->AddMetadata("x-ifed-staff", id);
    ctx->AddMetadata("x-ifed-staff-roles", roles);
    return ctx;
  };
  ifed::v1::AuditSearchRequest req;
  req.set_action("match");
  ifed::v1::AuditSearchResponse resp;
  EXPECT_EQ(ops->AuditSearch(as("ana", "analyst").get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ifed::v1::ReconcileRequest rec;
  rec.add_their_lines("{}");
  ifed::v1::ReconcileResponse rr;
  EXPECT_EQ(ops->Reconcile(as("adm", "admin").get(), rec, &rr).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto s = ops->AuditSearch(as("dora", "dpo").get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ifed::v1::AuditSearchRequest mine;
  mine.set_action("audit.search");
  mine.set_actor("staff:dora");
  ASSERT_TRUE(ops->AuditSearch(Ctx().get(), mine, &resp).ok());
  EXPECT_EQ(resp.events_size(), 1);
  // A uid that is not a console cannot name anyone: at has no console uid.
  EXPECT_EQ(Ops("at")->AuditSearch(as("dora", "dpo").get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ConsoleOpsIt, ActivityCountsTheQueryOnBothSides) {
  ifed::v1::ActivityRequest req;
  req.set_bucket_s(3600);
  ifed::v1::ActivityResponse de, at;
  ASSERT_TRUE(Ops("de")->Activity(Ctx().get(), req, &de).ok());
  ASSERT_TRUE(Ops("at")->Activity(Ctx().get(), req, &at).ok());
  uint64_t out = 0, hits_out = 0, in = 0, hits_in = 0;
  for (const auto& p : de.partners()) {
    for (const auto& pt : p.points()) {
      if (p.peer() == "at") out += pt.queries_out(), hits_out += pt.hits_out();
    }
  }
  for (const auto& p : at.partners()) {
    for (const auto& pt : p.points()) {
      if (p.peer() == "de") in += pt.queries_in(), hits_in += pt.hits_in();
    }
  }
  EXPECT_EQ(out, 1u);
  EXPECT_EQ(hits_out, 1u);
  EXPECT_EQ(in, 1u);
  EXPECT_EQ(hits_in, 1u);
}

TEST_F(ConsoleOpsIt, VerificationJobFinishesWithAnIntactChain) {
  auto ops = Ops("at");
  ifed::v1::AuditVerifyJob job;
  ASSERT_TRUE(ops->AuditVerifyStart(Ctx().get(), {}, &job).ok());
  EXPECT_GT(job.total(), 3u);
  ifed::v1::AuditVerifyStatusRequest st;
  st.set_job_id(job.job_id());
  for (int i = 0; i < 600 && job.state() == "running"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(ops->AuditVerifyStatus(Ctx().get(), st, &job).ok());
  }
  EXPECT_EQ(job.state(), "ok") << job.error();
  EXPECT_EQ(job.done(), job.total());
  EXPECT_GE(job.checkpoints(), 1u);
  EXPECT_TRUE(absl::StartsWith(job.actor(), "local:uid=")) << job.actor();
}

TEST_F(ConsoleOpsIt, ReconcileAgainstThePartnersExport) {
  const std::string file = fed_->dir() + "/at-export.jsonl";
  ASSERT_EQ(fed_->Ctl("at", {"audit", "export", "--format", "jsonl", "--out", file}).exit_code, 0);
  const std::string text = ReadFile(file);
  ifed::v1::ReconcileRequest same, removed;
  for (absl::string_view l : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    same.add_their_lines(std::string(l));
    if (!absl::StrContains(l, "\"action\":\"match.in\"")) removed.add_their_lines(std::string(l));
  }
  auto ops = Ops("de");
  ifed::v1::ReconcileResponse r;
  auto s = ops->Reconcile(Ctx().get(), same, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.ours(), "de");
  EXPECT_EQ(r.theirs(), "at");
  EXPECT_EQ(r.compared(), 2u);  // our match.out and their match.in.
  EXPECT_EQ(r.differences_size(), 0) << r.differences(0);
  ASSERT_TRUE(ops->Reconcile(Ctx().get(), removed, &r).ok());
  ASSERT_EQ(r.differences_size(), 1);
  EXPECT_TRUE(absl::StartsWith(r.differences(0), "only in MINE: match.out")) << r.differences(0);
  // Our own export is not a partner's.
  const std::string mine = fed_->dir() + "/de-export.jsonl";
  ASSERT_EQ(fed_->Ctl("de", {"audit", "export", "--format", "jsonl", "--out", mine}).exit_code, 0);
  ifed::v1::ReconcileRequest own;
  for (absl::string_view l : absl::StrSplit(ReadFile(mine), '\n', absl::SkipEmpty())) {
    own.add_their_lines(std::string(l));
  }
  EXPECT_EQ(ops->Reconcile(Ctx().get(), own, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ConsoleOpsIt, RulesQuotaAndBackups) {
  auto ops = Ops("at");
  ifed::v1::PolicyRulesRequest pr;
  pr.set_partner("de");
  ifed::v1::PolicyRulesResponse rules;
  ASSERT_TRUE(ops->PolicyRules(Ctx().get(), pr, &rules).ok());
  ASSERT_EQ(rules.rules_size(), 1);
  bool quota_line = false;
  for (const auto& f : rules.rules(0).fields()) {
    EXPECT_FALSE(f.source().empty()) << f.name();
    if (f.name() == "quota.items_per_day") {
      EXPECT_EQ(f.value(), "1000");
      EXPECT_TRUE(absl::StrContains(f.source(), ".yaml:")) << f.source();
      quota_line = true;
    }
  }
  EXPECT_TRUE(quota_line);
  ifed::v1::OpsStatusResponse st;
  ASSERT_TRUE(ops->OpsStatus(Ctx().get(), {}, &st).ok());
  ASSERT_EQ(st.quotas_size(), 1);
  EXPECT_EQ(st.quotas(0).partner(), "de");
  EXPECT_EQ(st.quotas(0).used_today(), 2u);  // de asked two items.
  EXPECT_EQ(st.quotas(0).limit(), 1000u);
  const std::string dir = fed_->dir() + "/at-backups";
  ASSERT_EQ(fed_->Ctl("at", {"backup", "create", dir}).exit_code, 0);
  ifed::v1::BackupListRequest bl;
  bl.set_dir(dir);
  ifed::v1::BackupListResponse list;
  ASSERT_TRUE(ops->BackupList(Ctx().get(), bl, &list).ok());
  ASSERT_EQ(list.backups_size(), 1);
  EXPECT_GT(list.backups(0).size(), 0u);
  bl.set_dir(dir + "-none");
  EXPECT_EQ(ops->BackupList(Ctx().get(), bl, &list).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace ifed::testing
