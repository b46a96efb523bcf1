// The operations part of the local API (proto/console_ops.proto): plain
// classes behind the ConsoleOps service (console_ops_rpc.cc), each testable
// without gRPC. Nothing here sees an indicator value: the audit log holds
// none, the policy never sees one.
#ifndef IFED_ADMIN_CONSOLE_OPS_H_
#define IFED_ADMIN_CONSOLE_OPS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "node/audit/audit_log.h"
#include "node/audit/event.h"
#include "node/policy/policy.h"
#include "node/store/store.h"
#include "proto/console_ops.pb.h"

namespace ifed::admin {

// The staff roles these calls need (node/admin/staff.h names them all).
inline constexpr char kRoleAdmin[] = "admin";
inline constexpr char kRoleDpo[] = "dpo";
inline constexpr char kRoleHubOperator[] = "hub-operator";

// Who is calling: a staff member signed in at the console (actor
// "staff:<id> via ...", the roles the console vouched for on a console uid),
// or the node's operator on the admin socket (not staff: every call, as for
// ifedctl; the socket's file mode is the boundary).
struct OpsCaller {
  std::string actor;
  std::set<std::string> roles;
  bool staff = false;
};

// OK for the operator, or a staff member holding one of `any_of`;
// PermissionDenied naming the roles otherwise.
absl::Status RequireRole(const OpsCaller& caller, std::initializer_list<const char*> any_of);

// --- Audit search --------------------------------------------------------

struct AuditFilter {
  int64_t since_ms = 0, until_ms = 0;  // inclusive; 0 = open.
  std::string actor;    // prefix
  std::string action;   // exact, or a family ("match" = match.*)
  std::string outcome;  // exact
  std::string peer;     // exact
};

// InvalidArgument for an impossible filter (until before since, an unknown
// outcome, over-long fields).
absl::Status ValidateFilter(const AuditFilter& f);
bool Matches(const audit::Parsed& event, const AuditFilter& f);

struct AuditPage {
  std::vector<std::string> events;  // lines as stored.
  uint64_t next_after_seq = 0;      // 0: no more.
  uint64_t scanned = 0;
};

// The events after `after_seq` that match `f`, at most `limit` (1..1000).
absl::StatusOr<AuditPage> SearchAudit(const store::Store& store, const AuditFilter& f,
                                      uint64_t after_seq, uint32_t limit);

// --- Chain verification with progress ------------------------------------

// Verifies the whole stored chain in a background thread, one job at a time;
// progress and result can be polled. The start and the result are audited
// ("audit.verify").
class VerifyJobs {
 public:
  VerifyJobs(audit::AuditLog* log, std::function<int64_t()> now_ms)
      : log_(log), now_ms_(std::move(now_ms)) {}
  ~VerifyJobs();  // stops a running job (it records no result) and waits for it.
  VerifyJobs(const VerifyJobs&) = delete;
  VerifyJobs& operator=(const VerifyJobs&) = delete;

  // Starts a job, or returns the running one (FailedPrecondition-free:
  // verifying twice at once would only cost time).
  absl::StatusOr<ifed::v1::AuditVerifyJob> Start(const std::string& actor);
  // The job `id` (empty: the latest); NotFound when unknown.
  absl::StatusOr<ifed::v1::AuditVerifyJob> Status(const std::string& id) const;

 private:
  struct Job;
  void Run(std::shared_ptr<Job> job);

  audit::AuditLog* const log_;
  const std::function<int64_t()> now_ms_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;  // guarded by mu_
  std::string latest_;                                // guarded by mu_
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  uint64_t next_ = 0;
};

// --- Effective policy ------------------------------------------------------

// Every rule (or `partner`'s) after inheritance, each field with its file:line.
ifed::v1::PolicyRulesResponse RulesView(const policy::Policy& policy, const std::string& partner,
                                        int64_t now);

// --- Quotas and CRLs ------------------------------------------------------

// Today's use of each inbound daily quota (the store's counters).
std::vector<ifed::v1::QuotaUse> QuotaUses(const policy::Policy& policy, const store::Store& store,
                                          int64_t now_ms);
// Every CRL file of `dir` (PEM or DER) with its dates; "stale" past
// nextUpdate or without one, "unreadable" when it does not parse.
std::vector<ifed::v1::CrlState> CrlStates(const std::string& dir, int64_t now);

// --- Partner activity -----------------------------------------------------

struct ActivityWindow {
  int64_t since_ms = 0, until_ms = 0;
  uint32_t bucket_s = 3600;
};
// Defaults and checks (InvalidArgument: until before since, bucket under
// 60 s, more than 2000 buckets).
absl::StatusOr<ActivityWindow> MakeWindow(int64_t since_ms, int64_t until_ms, uint32_t bucket_s,
                                          int64_t now_ms);
// Queries, items and hits per partner and bucket, from the audit log's
// match.in / match.out (and OPRF evaluate) events.
absl::StatusOr<ifed::v1::ActivityResponse> Activity(const audit::AuditLog& log,
                                                    const ActivityWindow& w);

}  // namespace ifed::admin

#endif  // IFED_ADMIN_CONSOLE_OPS_H_
