// Hit reports: a member tells the hub about the hits of a direct
// (bilateral) match, when its own rule for the hub says `report_hits`. The
// hub's policy decides whether it takes them (an inbound rule for the member
// allowing the purpose and types, as for a relayed query); then they count
// in its statistics exactly like a relayed query's answers: counts and
// one-way digests, never a pseudonym, a value or a reference. Thread-safe.
#ifndef IFED_HUB_REPORTS_H_
#define IFED_HUB_REPORTS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "node/audit/audit_log.h"
#include "node/federation/transport/peer_client.h"
#include "node/hub/stats.h"
#include "node/policy/policy.h"
#include "proto/federation.pb.h"

namespace ifed::hub {

struct ReportDeps {
  const policy::PolicyHolder* policy = nullptr;
  const federation::PeerClients* members = nullptr;  // holders must be among them.
  HubStats* stats = nullptr;
  audit::AuditLog* audit = nullptr;                  // may be null.
  std::function<int64_t()> now;                      // unix seconds.
};

// InvalidArgument for a malformed report, PermissionDenied when the hub's
// policy refuses the reporter; otherwise the report is counted and audited
// (`hub.report.in`, counts only) and `ack` says how much was taken. Holders
// that are not members of this hub (or the reporter itself) are left out.
absl::Status AcceptHitReport(const ReportDeps& d, const std::string& reporter,
                             const ifed::v1::HitReport& report, ifed::v1::HitReportAck* ack);

}  // namespace ifed::hub

#endif  // IFED_HUB_REPORTS_H_
