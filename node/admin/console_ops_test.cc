#include "node/admin/console_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "node/admin/console_ops_service.h"
#include "node/audit/reconcile.h"
#include "node/common/status_matchers.h"
#include "node/policy/quota.h"
#include "node/store/backups.h"

namespace ifed::admin {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr int64_t kT0 = 1767225600000;  // 2026-01-01T00:00:00Z

class OpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/ifed-ops-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    const std::string cmd = absl::StrCat(
        "cd ", *dir_,
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key"
        " -out ca.pem -subj /CN=ops-ca -days 2 2>/dev/null"
        " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout de.key"
        " -out de.csr -subj /CN=de 2>/dev/null && printf 'subjectAltName=URI:spiffe://t.eu/node/de\\n'"
        " > de.ext && openssl x509 -req -in de.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
        " -days 2 -extfile de.ext -out de.pem 2>/dev/null");
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    db_ = absl::StrCat(*dir_, "/db-",
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto st = store::Store::Open({.path = db_});
    ASSERT_THAT(st.status(), IsOk());
    store_ = std::move(*st);
    auto s = audit::Signer::Load(*dir_ + "/de.key", *dir_ + "/de.pem");
    ASSERT_THAT(s.status(), IsOk());
    signer_ = std::move(*s);
    auto log = audit::AuditLog::Open(store_.get(), signer_.get(),
                                     {.node_id = "de", .checkpoint_every = 5,
                                      .checkpoint_seconds = 0, .now_ms = [this] { return clock_; }});
    ASSERT_THAT(log.status(), IsOk());
    log_ = std::move(*log);
  }
  void TearDown() override {
    log_.reset();
    store_.reset();
  }
  void Add(const std::string& action, const std::string& peer, const std::string& outcome,
           int64_t hits = 0, int64_t at_ms = 0) {
    if (at_ms != 0) clock_ = at_ms;
    audit::Event e;
    e.action = action;
    e.actor = peer.empty() ? "local:uid=1000(alice)" : absl::StrCat("peer:", peer);
    e.outcome = outcome;
    if (!peer.empty()) e.Set("peer", peer);
    e.Set("request_id", absl::StrCat("r", clock_)).Set("items", int64_t{3}).Set("hits", hits);
    ASSERT_THAT(log_->Append(e), IsOk());
    clock_ += 1000;
  }
  std::vector<std::string> Actions(const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    for (const auto& l : lines) out.push_back(audit::Parsed::Parse(l)->Str("action").value_or(""));
    return out;
  }

  static std::string* dir_;
  std::string db_;
  int64_t clock_ = kT0;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<audit::Signer> signer_;
  std::unique_ptr<audit::AuditLog> log_;
};
std::string* OpsTest::dir_ = nullptr;

TEST(RoleTest, RefusesACallerWithoutTheRole) {
  OpsCaller analyst{.actor = "staff:ann", .roles = {"analyst"}, .staff = true};
  EXPECT_THAT(RequireRole(analyst, {kRoleDpo, kRoleAdmin}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("dpo or admin")));
  OpsCaller dpo{.actor = "staff:dora", .roles = {"dpo"}, .staff = true};
  EXPECT_THAT(RequireRole(dpo, {kRoleDpo, kRoleAdmin}), IsOk());
  EXPECT_THAT(RequireRole(OpsCaller{.actor = "staff:x", .staff = true}, {kRoleAdmin}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The operator (ifedctl on the socket) is not a staff member: every call.
  EXPECT_THAT(RequireRole(OpsCaller{.actor = "local:uid=0(root)"}, {kRoleAdmin}), IsOk());
}

TEST(FilterTest, RefusesImpossibleFilters) {
  EXPECT_THAT(ValidateFilter({.since_ms = 10, .until_ms = 5}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("before")));
  EXPECT_THAT(ValidateFilter({.outcome = "maybe"}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateFilter({.actor = std::string(200, 'x')}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateFilter({.since_ms = -1}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateFilter({.since_ms = 5, .until_ms = 10, .outcome = "refused"}), IsOk());
}

TEST_F(OpsTest, SearchFiltersByActionFamilyPeerOutcomeAndTime) {
  Add("match.in", "at", "ok", 1);
  Add("match.out", "at", "ok", 2);
  Add("match.in", "cz", "refused");
  Add("ingest", "", "ok");
  Add("erase", "", "ok");
  auto all = SearchAudit(*store_, {.action = "match"}, 0, 100);
  ASSERT_THAT(all.status(), IsOk());
  EXPECT_THAT(Actions(all->events), ElementsAre("match.in", "match.out", "match.in"));
  auto at = SearchAudit(*store_, {.action = "match", .peer = "at"}, 0, 100);
  EXPECT_THAT(at->events, SizeIs(2));
  auto refused = SearchAudit(*store_, {.outcome = "refused"}, 0, 100);
  EXPECT_THAT(refused->events, SizeIs(1));
  auto local = SearchAudit(*store_, {.actor = "local:"}, 0, 100);
  EXPECT_THAT(Actions(local->events), ElementsAre("ingest", "erase"));
  // Time: the second and third events only.
  auto window = SearchAudit(*store_, {.since_ms = kT0 + 1000, .until_ms = kT0 + 2000}, 0, 100);
  EXPECT_THAT(Actions(window->events), ElementsAre("match.out", "match.in"));
  // "match" is a family, "matc" is nothing.
  EXPECT_THAT(SearchAudit(*store_, {.action = "matc"}, 0, 100)->events, SizeIs(0));
}

TEST_F(OpsTest, SearchPagesWithACursor) {
  for (int i = 0; i < 7; ++i) Add("match.in", "at", "ok");
  std::vector<std::string> seen;
  uint64_t after = 0;
  int pages = 0;
  do {
    auto page = SearchAudit(*store_, {.action = "match.in"}, after, 3);
    ASSERT_THAT(page.status(), IsOk());
    seen.insert(seen.end(), page->events.begin(), page->events.end());
    after = page->next_after_seq;
    ++pages;
  } while (after != 0 && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, SizeIs(7));
  EXPECT_THAT(SearchAudit(*store_, {}, 0, 0).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SearchAudit(*store_, {}, 0, 1001).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

ifed::v1::AuditVerifyJob WaitFor(VerifyJobs& jobs, const std::string& id) {
  for (int i = 0; i < 600; ++i) {
    auto j = jobs.Status(id);
    EXPECT_THAT(j.status(), IsOk());
    if (!j.ok() || j->state() != "running") return j.ok() ? *j : ifed::v1::AuditVerifyJob{};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "verification did not finish";
  return {};
}

TEST_F(OpsTest, VerifyJobReportsProgressAndAnIntactChain) {
  for (int i = 0; i < 12; ++i) Add("match.in", "at", "ok");
  VerifyJobs jobs(log_.get(), [this] { return clock_; });
  auto started = jobs.Start("staff:dora");
  ASSERT_THAT(started.status(), IsOk());
  EXPECT_GT(started->total(), 12u);
  const auto done = WaitFor(jobs, started->job_id());
  EXPECT_EQ(done.state(), "ok") << done.error();
  EXPECT_EQ(done.done(), started->total() + 0) << "every event up to the start was checked";
  EXPECT_GE(done.checkpoints(), 2u);
  EXPECT_EQ(done.actor(), "staff:dora");
  // The start and the result are in the log, by the staff member.
  auto events = SearchAudit(*store_, {.actor = "staff:dora", .action = "audit.verify"}, 0, 10);
  EXPECT_THAT(events->events, SizeIs(2));
  EXPECT_THAT(jobs.Status("nope").status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(OpsTest, VerifyJobNamesTheFirstTamperedEvent) {
  for (int i = 0; i < 8; ++i) Add("match.in", "at", "ok");
  std::string line;
  ASSERT_THAT(store_->ScanAudit(audit::SeqKey(4), [&](const std::string&, const std::string& v) {
    line = v;
    return false;
  }), IsOk());
  const size_t at = line.find("\"items\":3");
  ASSERT_NE(at, std::string::npos);
  line.replace(at, 9, "\"items\":4");
  ASSERT_THAT(store_->AppendAudit({{audit::SeqKey(4), line}}), IsOk());
  VerifyJobs jobs(log_.get(), [this] { return clock_; });
  auto started = jobs.Start("staff:dora");
  ASSERT_THAT(started.status(), IsOk());
  const auto done = WaitFor(jobs, "");
  EXPECT_EQ(done.state(), "failed");
  EXPECT_LE(done.first_bad_seq(), 5u);
  EXPECT_GE(done.first_bad_seq(), 4u);
  EXPECT_FALSE(done.error().empty());
}

constexpr char kDefaults[] = R"(defaults:
  purposes: [cybercrime]
  legal_basis: "Prüm Decision 2008/615/JHA"
  max_tlp: amber
  quota:
    items_per_day: 500
)";
constexpr char kAt[] = R"(partners:
  - partner: at
    jurisdiction: AT
    types: [phone, email]
    disclosure: hit_with_reference
)";

std::shared_ptr<const policy::Policy> TestPolicy() {
  auto p = policy::Policy::LoadTexts({{"defaults.yaml", kDefaults}, {"at.yaml", kAt}});
  EXPECT_THAT(p.status(), IsOk());
  return p.ok() ? *p : nullptr;
}

TEST(RulesViewTest, EveryFieldNamesItsFileAndLine) {
  auto policy = TestPolicy();
  ASSERT_NE(policy, nullptr);
  auto v = RulesView(*policy, "at", kT0 / 1000);
  ASSERT_THAT(v.rules(), SizeIs(1));
  const auto& r = v.rules(0);
  EXPECT_EQ(r.partner(), "at");
  EXPECT_EQ(r.direction(), "both");
  EXPECT_EQ(r.source(), "at.yaml:2");
  EXPECT_TRUE(r.in_force());
  std::map<std::string, std::pair<std::string, std::string>> f;
  for (const auto& x : r.fields()) f[x.name()] = {x.value(), x.source()};
  EXPECT_EQ(f["types"].second, "at.yaml:4");
  EXPECT_EQ(f["purposes"].second, "defaults.yaml:2");
  EXPECT_EQ(f["max_tlp"].second, "defaults.yaml:4");
  EXPECT_EQ(f["quota.items_per_day"], std::make_pair(std::string("500"), std::string("defaults.yaml:6")));
  EXPECT_EQ(f["scheme"].second, "built-in default");
  EXPECT_THAT(RulesView(*policy, "xx", kT0 / 1000).rules(), SizeIs(0));
}

TEST_F(OpsTest, QuotaUseReadsTodaysCounter) {
  auto policy = TestPolicy();
  ASSERT_NE(policy, nullptr);
  ASSERT_THAT(store_->AddToCounter(policy::QuotaKeeper::DayKey("at", kT0), 42, 500).status(),
              IsOk());
  auto q = QuotaUses(*policy, *store_, kT0 + 3600 * 1000);
  ASSERT_THAT(q, SizeIs(1));
  EXPECT_EQ(q[0].partner(), "at");
  EXPECT_EQ(q[0].used_today(), 42u);
  EXPECT_EQ(q[0].limit(), 500u);
  // The next day starts at zero.
  EXPECT_EQ(QuotaUses(*policy, *store_, kT0 + 25 * 3600 * 1000)[0].used_today(), 0u);
}

// A CRL signed by the test CA, valid from `last` to `next` (unix seconds).
void WriteCrl(const std::string& ca_dir, const std::string& path, int64_t last, int64_t next) {
  FILE* kf = std::fopen((ca_dir + "/ca.key").c_str(), "r");
  ASSERT_NE(kf, nullptr);
  EVP_PKEY* key = PEM_read_PrivateKey(kf, nullptr, nullptr, nullptr);
  std::fclose(kf);
  FILE* cf = std::fopen((ca_dir + "/ca.pem").c_str(), "r");
  ASSERT_NE(cf, nullptr);
  X509* ca = PEM_read_X509(cf, nullptr, nullptr, nullptr);
  std::fclose(cf);
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
  ASN1_TIME* t1 = ASN1_TIME_set(nullptr, static_cast<time_t>(last));
  ASN1_TIME* t2 = ASN1_TIME_set(nullptr, static_cast<time_t>(next));
  X509_CRL_set1_lastUpdate(crl, t1);
  X509_CRL_set1_nextUpdate(crl, t2);
  ASSERT_GT(X509_CRL_sign(crl, key, EVP_sha256()), 0);
  FILE* out = std::fopen(path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  PEM_write_X509_CRL(out, crl);
  std::fclose(out);
  ASN1_TIME_free(t1);
  ASN1_TIME_free(t2);
  X509_CRL_free(crl);
  X509_free(ca);
  EVP_PKEY_free(key);
}

TEST_F(OpsTest, CrlStatesTellFreshFromStale) {
  const std::string crls = db_ + "-crl";
  fs::create_directories(crls);
  const int64_t now = kT0 / 1000;
  WriteCrl(*dir_, crls + "/a-fresh.pem", now - 3600, now + 86400);
  WriteCrl(*dir_, crls + "/b-stale.pem", now - 7200, now - 60);
  std::ofstream(crls + "/c-junk.pem") << "not a crl";
  auto st = CrlStates(crls, now);
  ASSERT_THAT(st, SizeIs(3));
  EXPECT_EQ(st[0].state(), "fresh");
  EXPECT_EQ(st[0].next_update(), now + 86400);
  EXPECT_THAT(st[0].issuer(), HasSubstr("ops-ca"));
  EXPECT_EQ(st[1].state(), "stale");
  EXPECT_EQ(st[2].state(), "unreadable");
  EXPECT_THAT(CrlStates("", now), SizeIs(0));
}

TEST(WindowTest, DefaultsAndRefusals) {
  auto w = MakeWindow(0, 0, 0, kT0);
  ASSERT_THAT(w.status(), IsOk());
  EXPECT_EQ(w->until_ms, kT0);
  EXPECT_EQ(w->since_ms, kT0 - 24 * 3600 * 1000LL);
  EXPECT_EQ(w->bucket_s, 3600u);
  EXPECT_THAT(MakeWindow(kT0, kT0 - 1, 60, kT0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeWindow(0, 0, 10, kT0).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeWindow(1, kT0, 60, kT0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2000 buckets")));
}

TEST_F(OpsTest, ActivityCountsQueriesAndHitsPerPartnerAndBucket) {
  Add("match.in", "at", "ok", 2, kT0 + 10 * 1000);
  Add("match.in", "at", "refused", 0, kT0 + 20 * 1000);
  Add("match.out", "at", "ok", 1, kT0 + 3700 * 1000);
  Add("match.in", "cz", "ok", 0, kT0 + 3800 * 1000);
  Add("ingest", "", "ok", 0, kT0 + 3900 * 1000);
  auto w = MakeWindow(kT0, kT0 + 7200 * 1000, 3600, kT0);
  ASSERT_THAT(w.status(), IsOk());
  auto a = Activity(*log_, *w);
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(a->partners(), SizeIs(2));
  const auto& at = a->partners(0);
  EXPECT_EQ(at.peer(), "at");
  ASSERT_THAT(at.points(), SizeIs(2));
  EXPECT_EQ(at.points(0).bucket_ms(), kT0);
  EXPECT_EQ(at.points(0).queries_in(), 2u);
  EXPECT_EQ(at.points(0).hits_in(), 2u);
  EXPECT_EQ(at.points(0).items_in(), 6u);
  EXPECT_EQ(at.points(0).refused(), 1u);
  EXPECT_EQ(at.points(1).bucket_ms(), kT0 + 3600 * 1000);
  EXPECT_EQ(at.points(1).queries_out(), 1u);
  EXPECT_EQ(at.points(1).hits_out(), 1u);
  EXPECT_EQ(a->partners(1).peer(), "cz");
}

TEST_F(OpsTest, BackupListShowsWhatBackupWrote) {
  const std::string bdir = db_ + "-backups";
  EXPECT_THAT(store::ListBackups(bdir).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store::ListBackups("relative/dir").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Add("ingest", "", "ok");
  ASSERT_THAT(store_->Backup(bdir).status(), IsOk());
  ASSERT_THAT(store_->Backup(bdir).status(), IsOk());
  auto list = store::ListBackups(bdir);
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_THAT(*list, SizeIs(2));
  EXPECT_LT((*list)[0].id, (*list)[1].id);
  EXPECT_GT((*list)[1].files, 0u);
}

// --- The servicer: roles and refusals change nothing ------------------------

class ServiceTest : public OpsTest {
 protected:
  ConsoleOpsService Service(OpsCaller who) {
    return ConsoleOpsService(OpsDeps{.node_id = "de",
                                     .store = store_.get(),
                                     .audit = log_.get(),
                                     .policy = &holder_,
                                     .crl_dir = [] { return std::string(); },
                                     .now_ms = [this] { return clock_; },
                                     .caller = [who](grpc::ServerContext*) -> absl::StatusOr<OpsCaller> { return who; }});
  }
  policy::PolicyHolder holder_{TestPolicy()};
  OpsCaller analyst_{.actor = "staff:ann", .roles = {"analyst"}, .staff = true};
  OpsCaller dpo_{.actor = "staff:dora", .roles = {"dpo"}, .staff = true};
  OpsCaller admin_{.actor = "staff:adam", .roles = {"admin"}, .staff = true};
};

TEST_F(ServiceTest, WrongRoleIsRefusedAndNothingIsAudited) {
  Add("match.in", "at", "ok");
  const uint64_t head = log_->head_seq();
  auto svc = Service(analyst_);
  grpc::ServerContext ctx;
  ifed::v1::AuditSearchRequest sq;
  ifed::v1::AuditSearchResponse sr;
  EXPECT_EQ(svc.AuditSearch(&ctx, &sq, &sr).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ifed::v1::AuditVerifyJob job;
  ifed::v1::AuditVerifyStartRequest vs;
  EXPECT_EQ(svc.AuditVerifyStart(&ctx, &vs, &job).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ifed::v1::PolicyRulesRequest pr;
  ifed::v1::PolicyRulesResponse prr;
  EXPECT_EQ(svc.PolicyRules(&ctx, &pr, &prr).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ifed::v1::ReconcileRequest rr;
  rr.add_their_lines("{}");
  ifed::v1::ReconcileResponse rres;
  EXPECT_EQ(svc.Reconcile(&ctx, &rr, &rres).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A DPO may not read the policy, an administrator may not reconcile.
  auto dpo = Service(dpo_);
  EXPECT_EQ(dpo.PolicyRules(&ctx, &pr, &prr).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auto adm = Service(admin_);
  EXPECT_EQ(adm.Reconcile(&ctx, &rr, &rres).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(log_->head_seq(), head);
}

TEST_F(ServiceTest, SearchIsAuditedWithTheStaffMember) {
  Add("match.in", "at", "ok");
  auto svc = Service(dpo_);
  grpc::ServerContext ctx;
  ifed::v1::AuditSearchRequest req;
  req.set_action("match");
  ifed::v1::AuditSearchResponse resp;
  ASSERT_TRUE(svc.AuditSearch(&ctx, &req, &resp).ok());
  EXPECT_THAT(resp.events(), SizeIs(1));
  auto mine = SearchAudit(*store_, {.actor = "staff:dora", .action = "audit.search"}, 0, 10);
  ASSERT_THAT(mine->events, SizeIs(1));
  EXPECT_THAT(mine->events[0], HasSubstr("\"filter_action\":\"match\""));
  // Bad input: a clear message, nothing audited.
  const uint64_t head = log_->head_seq();
  req.set_outcome("perhaps");
  auto s = svc.AuditSearch(&ctx, &req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("outcome"));
  req.clear_outcome();
  req.set_limit(5000);
  EXPECT_EQ(svc.AuditSearch(&ctx, &req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(log_->head_seq(), head);
}

TEST_F(ServiceTest, ReconcileComparesAPartnersExportWithOurs) {
  // We asked at (r1, 2 hits); at recorded it with 1 hit; at asked us r2 we never saw.
  audit::Event out;
  out.action = "match.out";
  out.actor = "local:uid=1000(alice)";
  out.outcome = "ok";
  out.Set("peer", "at").Set("request_id", "r1").Set("items", int64_t{2}).Set("hits", int64_t{2});
  ASSERT_THAT(log_->Append(out), IsOk());
  auto line = [](int seq, const std::string& action, const std::string& rid, int hits) {
    return absl::StrCat("{\"seq\":", seq, ",\"prev\":\"", audit::kZeroHash,
                        "\",\"ts_ms\":1,\"node\":\"at\",\"action\":\"", action,
                        "\",\"actor\":\"peer:de\",\"outcome\":\"ok\",\"peer\":\"de\","
                        "\"request_id\":\"",
                        rid, "\",\"items\":2,\"hits\":", hits, "}");
  };
  ifed::v1::ReconcileRequest req;
  req.add_their_lines(line(1, "match.in", "r1", 1));
  req.add_their_lines(line(2, "match.out", "r2", 0));
  auto svc = Service(dpo_);
  grpc::ServerContext ctx;
  ifed::v1::ReconcileResponse resp;
  ASSERT_TRUE(svc.Reconcile(&ctx, &req, &resp).ok());
  EXPECT_EQ(resp.theirs(), "at");
  EXPECT_EQ(resp.compared(), 3u);  // our match.out, their match.in and match.out.
  ASSERT_THAT(resp.differences(), SizeIs(2));  // the pair that differs, once.
  EXPECT_THAT(resp.differences(0), HasSubstr("differs (hits)"));
  EXPECT_THAT(resp.differences(1), HasSubstr("only in THEIRS"));
  // Not an export at all: refused, nothing audited.
  const uint64_t head = log_->head_seq();
  ifed::v1::ReconcileRequest junk;
  junk.add_their_lines("hello");
  auto s = svc.Reconcile(&ctx, &junk, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("no audit event"));
  EXPECT_EQ(log_->head_seq(), head);
}

TEST_F(ServiceTest, VerifyThroughTheServiceAndPolicyRulesForTheAdmin) {
  Add("match.in", "at", "ok");
  auto svc = Service(dpo_);
  grpc::ServerContext ctx;
  ifed::v1::AuditVerifyStartRequest start;
  ifed::v1::AuditVerifyJob job;
  ASSERT_TRUE(svc.AuditVerifyStart(&ctx, &start, &job).ok());
  ifed::v1::AuditVerifyStatusRequest st;
  st.set_job_id(job.job_id());
  for (int i = 0; i < 600 && job.state() == "running"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(svc.AuditVerifyStatus(&ctx, &st, &job).ok());
  }
  EXPECT_EQ(job.state(), "ok") << job.error();
  auto adm = Service(admin_);
  ifed::v1::PolicyRulesRequest pr;
  pr.set_partner("at");
  ifed::v1::PolicyRulesResponse prr;
  ASSERT_TRUE(adm.PolicyRules(&ctx, &pr, &prr).ok());
  EXPECT_THAT(prr.rules(), SizeIs(1));
  pr.set_partner(std::string(80, 'a'));
  EXPECT_EQ(adm.PolicyRules(&ctx, &pr, &prr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ifed::v1::BackupListRequest bl;
  bl.set_dir("relative");
  ifed::v1::BackupListResponse blr;
  EXPECT_EQ(adm.BackupList(&ctx, &bl, &blr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(ReconcileTest, AgreeingLogsHaveNoDifferences) {
  auto line = [](const std::string& node, const std::string& peer, const std::string& action) {
    return absl::StrCat("{\"seq\":1,\"node\":\"", node, "\",\"action\":\"", action,
                        "\",\"outcome\":\"ok\",\"peer\":\"", peer,
                        "\",\"request_id\":\"r9\",\"items\":1,\"hits\":1}");
  };
  auto r = audit::Reconcile({line("de", "at", "match.out")}, {line("at", "de", "match.in")});
  EXPECT_EQ(r.mine, "de");
  EXPECT_EQ(r.theirs, "at");
  EXPECT_EQ(r.compared, 2u);
  EXPECT_THAT(r.differences, SizeIs(0));
}

}  // namespace
}  // namespace ifed::admin
