#include "node/admin/console_ops.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/audit/chain.h"
#include "node/audit/signer.h"
#include "node/policy/quota.h"

namespace ifed::admin {
namespace {

constexpr uint32_t kMaxPage = 1000;
constexpr size_t kMaxFilterField = 128;
constexpr int64_t kMaxBuckets = 2000;

}  // namespace

absl::Status RequireRole(const OpsCaller& caller, std::initializer_list<const char*> any_of) {
  if (!caller.staff) return absl::OkStatus();
  for (const char* r : any_of) {
    if (caller.roles.count(r) > 0) return absl::OkStatus();
  }
  std::vector<std::string> names(any_of.begin(), any_of.end());
  return absl::PermissionDeniedError(
      absl::StrCat("this needs the role ", absl::StrJoin(names, " or "), "; ", caller.actor,
                   " does not hold it"));
}

// --- Audit search --------------------------------------------------------

absl::Status ValidateFilter(const AuditFilter& f) {
  if (f.since_ms < 0 || f.until_ms < 0) {
    return absl::InvalidArgumentError("since/until: unix milliseconds, not negative");
  }
  if (f.until_ms != 0 && f.until_ms < f.since_ms) {
    return absl::InvalidArgumentError("until is before since");
  }
  if (!f.outcome.empty() && f.outcome != "ok" && f.outcome != "refused" && f.outcome != "error") {
    return absl::InvalidArgumentError("outcome: ok, refused or error");
  }
  for (const std::string* s : {&f.actor, &f.action, &f.peer}) {
    if (s->size() > kMaxFilterField) {
      return absl::InvalidArgumentError("actor, action and peer: at most 128 characters each");
    }
  }
  return absl::OkStatus();
}

bool Matches(const audit::Parsed& p, const AuditFilter& f) {
  const int64_t ts = p.Int("ts_ms").value_or(0);
  if ((f.since_ms != 0 && ts < f.since_ms) || (f.until_ms != 0 && ts > f.until_ms)) return false;
  auto field = [&](const char* k) { return p.Str(k).value_or(""); };
  if (!f.actor.empty() && !absl::StartsWith(field("actor"), f.actor)) return false;
  if (!f.action.empty()) {
    const std::string a = field("action");
    if (a != f.action && !absl::StartsWith(a, f.action + ".")) return false;
  }
  if (!f.outcome.empty() && field("outcome") != f.outcome) return false;
  if (!f.peer.empty() && field("peer") != f.peer) return false;
  return true;
}

absl::StatusOr<AuditPage> SearchAudit(const store::Store& store, const AuditFilter& f,
                                      uint64_t after_seq, uint32_t limit) {
  if (absl::Status s = ValidateFilter(f); !s.ok()) return s;
  if (limit == 0 || limit > kMaxPage) {
    return absl::InvalidArgumentError("limit: 1 to 1000 events per page");
  }
  AuditPage page;
  uint64_t last_seq = 0;
  bool more = false;
  absl::Status s = store.ScanAudit(audit::SeqKey(after_seq + 1), [&](const std::string&,
                                                                      const std::string& line) {
    auto p = audit::Parsed::Parse(line);
    if (!p.ok()) return true;  // verification names it; search skips it.
    ++page.scanned;
    const uint64_t seq = static_cast<uint64_t>(p->Int("seq").value_or(0));
    if (f.until_ms != 0 && p->Int("ts_ms").value_or(0) > f.until_ms) return false;
    if (!Matches(*p, f)) return true;
    if (page.events.size() == limit) {
      more = true;
      return false;
    }
    page.events.push_back(line);
    last_seq = seq;
    return true;
  });
  if (!s.ok()) return absl::UnavailableError("audit log unreadable");
  page.next_after_seq = more ? last_seq : 0;
  return page;
}

// --- Chain verification --------------------------------------------------

struct VerifyJobs::Job {
  std::mutex mu;
  ifed::v1::AuditVerifyJob state;  // guarded by mu
};

VerifyJobs::~VerifyJobs() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<ifed::v1::AuditVerifyJob> VerifyJobs::Start(const std::string& actor) {
  if (log_ == nullptr) return absl::FailedPreconditionError("audit is not enabled");
  std::lock_guard<std::mutex> l(mu_);
  if (!latest_.empty()) {
    auto& running = jobs_.at(latest_);
    std::lock_guard<std::mutex> jl(running->mu);
    if (running->state.state() == "running") return running->state;
  }
  if (thread_.joinable()) thread_.join();
  audit::Event e;
  e.action = "audit.verify";
  e.actor = actor;
  e.outcome = "ok";
  e.Set("phase", "start");
  if (!log_->Append(e).ok()) return absl::UnavailableError("audit log unavailable");
  auto job = std::make_shared<Job>();
  job->state.set_job_id(absl::StrCat("v", now_ms_(), "-", ++next_));
  job->state.set_state("running");
  job->state.set_total(log_->head_seq());
  job->state.set_started_ms(now_ms_());
  job->state.set_actor(actor);
  jobs_[job->state.job_id()] = job;
  latest_ = job->state.job_id();
  while (jobs_.size() > 16) jobs_.erase(jobs_.begin());  // ids sort by start time.
  ifed::v1::AuditVerifyJob snapshot = job->state;
  thread_ = std::thread([this, job] { Run(job); });
  return snapshot;
}

void VerifyJobs::Run(std::shared_ptr<Job> job) {
  auto fail = [&](const std::string& why) {
    std::lock_guard<std::mutex> l(job->mu);
    job->state.set_state("failed");
    job->state.set_error(why);
  };
  absl::StatusOr<std::string> cert = log_->SigningCertAt(0);
  absl::StatusOr<std::unique_ptr<audit::Verifier>> verifier =
      cert.ok() ? audit::Verifier::FromCertPem(*cert)
                : absl::StatusOr<std::unique_ptr<audit::Verifier>>(cert.status());
  if (!verifier.ok()) {
    fail(absl::StrCat("no signing certificate: ", verifier.status().message()));
  } else {
    audit::ChainVerifier v(verifier->get(), /*from_genesis=*/true, {});
    absl::Status s = log_->Export(0, 0, [&](const std::string& line) {
      v.Add(line);
      std::lock_guard<std::mutex> l(job->mu);
      job->state.set_done(job->state.done() + 1);
      return !stopping_.load();
    });
    const audit::VerifyReport r = v.Finish();
    std::lock_guard<std::mutex> l(job->mu);
    job->state.set_events(r.events);
    job->state.set_checkpoints(r.checkpoints);
    job->state.set_last_signed_seq(r.last_checkpoint_seq);
    job->state.set_cert_changes(r.cert_changes);
    if (!s.ok()) {
      job->state.set_state("failed");
      job->state.set_error("audit log unreadable");
    } else if (!r.ok) {
      job->state.set_state("failed");
      job->state.set_first_bad_seq(r.first_bad_seq);
      job->state.set_error(r.error);
    } else {
      job->state.set_state("ok");
    }
  }
  if (stopping_) return;  // shutting down: no result, and no event into a closing log.
  ifed::v1::AuditVerifyJob done;
  {
    std::lock_guard<std::mutex> l(job->mu);
    job->state.set_finished_ms(now_ms_());
    done = job->state;
  }
  audit::Event e;
  e.action = "audit.verify";
  e.actor = done.actor();
  e.outcome = done.state() == "ok" ? "ok" : "error";
  e.Set("phase", "result")
      .Set("job", done.job_id())
      .Set("events", static_cast<int64_t>(done.events()))
      .Set("first_bad_seq", static_cast<int64_t>(done.first_bad_seq()));
  (void)log_->Append(e);  // the result stays readable in the job even if this fails.
}

absl::StatusOr<ifed::v1::AuditVerifyJob> VerifyJobs::Status(const std::string& id) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = jobs_.find(id.empty() ? latest_ : id);
  if (it == jobs_.end()) return absl::NotFoundError("no such verification job");
  std::lock_guard<std::mutex> jl(it->second->mu);
  return it->second->state;
}

// --- Effective policy ------------------------------------------------------

ifed::v1::PolicyRulesResponse RulesView(const policy::Policy& policy, const std::string& partner,
                                        int64_t now) {
  ifed::v1::PolicyRulesResponse out;
  out.set_version(policy.version());
  for (const policy::EffectiveRule& e : policy.rules()) {
    if (!partner.empty() && e.rule.partner() != partner) continue;
    auto* v = out.add_rules();
    v->set_partner(e.rule.partner());
    v->set_jurisdiction(e.rule.jurisdiction());
    const bool in = e.Covers(ifed::v1::INBOUND), outb = e.Covers(ifed::v1::OUTBOUND);
    v->set_direction(in && outb ? "both" : in ? "inbound" : "outbound");
    v->set_source(e.source.ToString());
    v->set_in_force(e.InForce(now));
    for (const policy::FieldView& f : policy::Fields(e)) {
      auto* rf = v->add_fields();
      rf->set_name(f.name);
      rf->set_value(f.value);
      rf->set_source(f.source.ToString());
    }
  }
  return out;
}

// --- Quotas and CRLs ------------------------------------------------------

std::vector<ifed::v1::QuotaUse> QuotaUses(const policy::Policy& policy, const store::Store& store,
                                          int64_t now_ms) {
  std::vector<ifed::v1::QuotaUse> out;
  std::set<std::string> seen;
  for (const policy::EffectiveRule& r : policy.rules()) {
    if (!r.Covers(ifed::v1::INBOUND) || !r.InForce(now_ms / 1000) ||
        !seen.insert(r.rule.partner()).second) {
      continue;
    }
    ifed::v1::QuotaUse q;
    q.set_partner(r.rule.partner());
    q.set_limit(r.rule.quota().items_per_day());
    auto used = store.Counter(policy::QuotaKeeper::DayKey(r.rule.partner(), now_ms));
    q.set_used_today(used.ok() ? *used : 0);
    out.push_back(std::move(q));
  }
  return out;
}

namespace {

int64_t UnixTime(const ASN1_TIME* t) {
  if (t == nullptr) return 0;
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

X509_CRL* ReadCrl(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  BIO* bio = BIO_new_mem_buf(data.data(), static_cast<int>(data.size()));
  if (bio == nullptr) return nullptr;
  X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
  if (crl == nullptr) {
    BIO_free(bio);
    bio = BIO_new_mem_buf(data.data(), static_cast<int>(data.size()));
    if (bio != nullptr) crl = d2i_X509_CRL_bio(bio, nullptr);
  }
  if (bio != nullptr) BIO_free(bio);
  return crl;
}

}  // namespace

std::vector<ifed::v1::CrlState> CrlStates(const std::string& dir, int64_t now) {
  std::vector<ifed::v1::CrlState> out;
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    ifed::v1::CrlState c;
    c.set_file(path.filename().string());
    X509_CRL* crl = ReadCrl(path.string());
    if (crl == nullptr) {
      c.set_state("unreadable");
      out.push_back(std::move(c));
      continue;
    }
    char name[256] = {0};
    X509_NAME_oneline(X509_CRL_get_issuer(crl), name, sizeof(name));
    c.set_issuer(name);
    c.set_last_update(UnixTime(X509_CRL_get0_lastUpdate(crl)));
    c.set_next_update(UnixTime(X509_CRL_get0_nextUpdate(crl)));
    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
    c.set_revoked(revoked == nullptr ? 0 : static_cast<uint32_t>(sk_X509_REVOKED_num(revoked)));
    c.set_state(c.next_update() > now ? "fresh" : "stale");
    X509_CRL_free(crl);
    out.push_back(std::move(c));
  }
  return out;
}

// --- Partner activity -----------------------------------------------------

absl::StatusOr<ActivityWindow> MakeWindow(int64_t since_ms, int64_t until_ms, uint32_t bucket_s,
                                          int64_t now_ms) {
  ActivityWindow w;
  w.until_ms = until_ms == 0 ? now_ms : until_ms;
  w.since_ms = since_ms == 0 ? w.until_ms - 24 * 3600 * 1000LL : since_ms;
  w.bucket_s = bucket_s == 0 ? 3600 : bucket_s;
  if (since_ms < 0 || until_ms < 0 || w.until_ms <= w.since_ms) {
    return absl::InvalidArgumentError("until must be after since (unix milliseconds)");
  }
  if (w.bucket_s < 60) return absl::InvalidArgumentError("bucket: at least 60 seconds");
  if ((w.until_ms - w.since_ms) / (w.bucket_s * 1000LL) > kMaxBuckets) {
    return absl::InvalidArgumentError("at most 2000 buckets: widen the bucket or narrow the window");
  }
  // Buckets start on multiples of the width, so plots of two calls line up.
  w.since_ms -= w.since_ms % (w.bucket_s * 1000LL);
  return w;
}

absl::StatusOr<ifed::v1::ActivityResponse> Activity(const audit::AuditLog& log,
                                                    const ActivityWindow& w) {
  std::map<std::string, std::map<int64_t, ifed::v1::ActivityPoint>> per;
  const int64_t width = w.bucket_s * 1000LL;
  absl::Status s = log.Export(w.since_ms, w.until_ms, [&](const std::string& line) {
    auto p = audit::Parsed::Parse(line);
    if (!p.ok()) return true;
    const std::string action = p->Str("action").value_or("");
    const bool in = action == "match.in" || action == "oprf.evaluate";
    const bool out = action == "match.out" || action == "oprf.evaluate.out";
    const int64_t ts = p->Int("ts_ms").value_or(0);
    if ((!in && !out) || ts < w.since_ms || ts > w.until_ms) return true;
    const int64_t bucket = w.since_ms + (ts - w.since_ms) / width * width;
    ifed::v1::ActivityPoint& pt = per[p->Str("peer").value_or("?")][bucket];
    pt.set_bucket_ms(bucket);
    const uint64_t hits = static_cast<uint64_t>(std::max<int64_t>(0, p->Int("hits").value_or(0)));
    if (in) {
      pt.set_queries_in(pt.queries_in() + 1);
      pt.set_items_in(pt.items_in() +
                      static_cast<uint64_t>(std::max<int64_t>(0, p->Int("items").value_or(0))));
      pt.set_hits_in(pt.hits_in() + hits);
    } else {
      pt.set_queries_out(pt.queries_out() + 1);
      pt.set_hits_out(pt.hits_out() + hits);
    }
    if (p->Str("outcome").value_or("") == "refused") pt.set_refused(pt.refused() + 1);
    return true;
  });
  if (!s.ok()) return absl::UnavailableError("audit log unreadable");
  ifed::v1::ActivityResponse r;
  r.set_since_ms(w.since_ms);
  r.set_until_ms(w.until_ms);
  r.set_bucket_s(w.bucket_s);
  for (auto& [peer, points] : per) {
    auto* pa = r.add_partners();
    pa->set_peer(peer);
    for (auto& [bucket, pt] : points) *pa->add_points() = std::move(pt);
  }
  return r;
}

}  // namespace ifed::admin
