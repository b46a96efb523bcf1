// FollowUpManager: the analyst's and the approver's side of follow-ups
// (step 2 of the Prüm model), as plain logic. The querier files a request
// with the owner of a hit reference and polls its answer (Request, Poll);
// the owner's staff list, approve and deny what partners asked (List,
// Decide). Every step is stored (FollowUpTable, through
// federation::SaveFollowUp) and audited on both sides; audit events carry
// ids and states, never the justification or reply text. A decision's
// answer goes back through the durable outbox in the same batch.
#ifndef IFED_QUERY_FOLLOWUP_MANAGER_H_
#define IFED_QUERY_FOLLOWUP_MANAGER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/audit/audit_log.h"
#include "node/policy/policy.h"
#include "node/store/store.h"
#include "proto/federation.pb.h"
#include "proto/store.pb.h"

namespace ifed::query {

// How a follow-up step reaches the partner that holds the reference (the
// admin API points it at the peer's gRPC stub).
class FollowUpTransport {
 public:
  virtual ~FollowUpTransport() = default;
  // Whether `peer` is a configured partner.
  virtual bool Has(const std::string& peer) const = 0;
  // The partner's answer, or its refusal / the transport error (code and
  // message as the partner or the channel gave them).
  virtual absl::StatusOr<ifed::v1::FollowUpResponse> Send(
      const std::string& peer, const ifed::v1::FollowUpRequest& request) = 0;
};

struct FollowUpManagerDeps {
  std::string node_id;
  std::string contact;  // config contact: an approval "with contact" replies with it.
  store::Store* store = nullptr;
  audit::AuditLog* audit = nullptr;  // null: no audit (tests).
  // Our outbound policy: a request needs an outbound rule for the partner.
  // Null: no check.
  const policy::PolicyHolder* policy = nullptr;
  FollowUpTransport* transport = nullptr;
  std::function<int64_t()> now;     // unix seconds.
  std::function<void()> kick_outbox;  // after a decision queued its answer; may be empty.
};

// A follow-up this node asks of `peer` about its hit reference.
struct FollowUpAsk {
  std::string peer;
  std::string reference;
  ifed::v1::Purpose purpose = ifed::v1::PURPOSE_UNSPECIFIED;  // unspecified: migrant smuggling.
  std::string legal_basis;
  std::string justification;
};

// A person's decision on a partner's request: by id, or by reference (the
// partner's token or the local record id; `peer` narrows it).
struct FollowUpDecision {
  bool approve = false;
  std::string followup_id;
  std::string reference;
  std::string peer;
  std::string text;           // the reply (approve) or the reason (deny).
  bool with_contact = false;  // approve: append this node's contact point.
};

// Thread-compatible; holds no state of its own beyond its collaborators.
class FollowUpManager {
 public:
  explicit FollowUpManager(FollowUpManagerDeps deps) : d_(std::move(deps)) {}

  // Sends the request and stores it (audited "followup.out" as `actor`).
  // InvalidArgument for an unknown peer or a missing reference, legal basis
  // or justification; PermissionDenied without an outbound rule for the
  // peer; the partner's refusal as it gave it (audited, outcome refused).
  absl::StatusOr<ifed::v1::FollowUpRecord> Request(const std::string& actor,
                                                   const FollowUpAsk& ask);
  // Our requests (one id, or all when empty), the pending ones polled from
  // their owners; a changed answer is stored ("followup.answer"). A partner
  // that does not answer keeps the last state (logged).
  absl::StatusOr<std::vector<ifed::v1::FollowUpRecord>> Poll(const std::string& followup_id);
  // Partners' requests to this node (one id, or all when empty).
  absl::StatusOr<std::vector<ifed::v1::FollowUpRecord>> List(const std::string& followup_id);
  // Approves or denies one pending request as `actor` ("followup.approve" /
  // "followup.deny"), its answer queued for the partner in the same batch.
  // InvalidArgument without id/reference or text; FailedPrecondition with
  // contact but no contact point, for several pending requests of one
  // reference, or a request already decided; NotFound when none matches.
  absl::StatusOr<ifed::v1::FollowUpRecord> Decide(const std::string& actor,
                                                  const FollowUpDecision& decision);

 private:
  // The one record a decision names, pending (errors as Decide).
  absl::StatusOr<ifed::v1::FollowUpRecord> FindPending(const FollowUpDecision& decision);
  // Sets `overdue` (pending past its deadline at `now`).
  static ifed::v1::FollowUpRecord Finish(ifed::v1::FollowUpRecord r, int64_t now);

  FollowUpManagerDeps d_;
};

}  // namespace ifed::query

#endif  // IFED_QUERY_FOLLOWUP_MANAGER_H_
