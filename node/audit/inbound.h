// InboundAuditor: the audit side of answering a partner's Match. After the
// matcher decided, it appends the event (durable before the reply) and, on
// success, signs the receipt into the response. No gRPC: the service hands
// in the verified peer id and the matcher's status.
#ifndef IFED_AUDIT_INBOUND_H_
#define IFED_AUDIT_INBOUND_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "node/audit/audit_log.h"
#include "proto/federation.pb.h"

namespace ifed::audit {

class InboundAuditor {
 public:
  // `policy_version`: the version of the policy in force (for the event and
  // the receipt).
  // `legal_basis`: the legal basis of the rule that answers `peer` (empty
  // when none applies): administrators' text, recorded with the event.
  InboundAuditor(AuditLog* log, std::function<std::string()> policy_version,
                 std::function<std::string(const std::string& peer)> legal_basis = nullptr)
      : log_(log),
        policy_version_(std::move(policy_version)),
        legal_basis_(std::move(legal_basis)) {}

  // `peer`: verified node id ("" when the identity could not be read).
  // `decision`: the matcher's status. Returns non-OK when the event could not
  // be made durable: then nothing may be sent to the peer.
  // `on_behalf_of`: the querier a hub (`peer`) relayed the call for (its
  // signed authorization verified), recorded as "on_behalf_of": "peer:ID".
  absl::Status Record(const std::string& peer, const ifed::v1::MatchRequest& request,
                      const absl::Status& decision, ifed::v1::MatchResponse* response,
                      const std::string& on_behalf_of = "") const;

  // An OPRF consultation ("oprf.evaluate", "oprf.resolve"): who, why, how
  // many items (the responder never sees them), how many references went
  // out, the decision. Non-OK when not durable: then nothing may be sent.
  // A takedown deconfliction ("deconflict.in"): who asked, how
  // many items of which types, how many were held (so the holder sees that
  // a referral was checked against its hold), whether a contact went out,
  // the decision. Non-OK when not durable: then nothing may be sent.
  absl::Status RecordDeconflict(const std::string& peer,
                                const ifed::v1::DeconflictRequest& request,
                                const absl::Status& decision,
                                const ifed::v1::DeconflictResponse& response,
                                const std::string& on_behalf_of = "") const;

  // `fields`: more node ids to record (: "on_behalf_of" at a member
  // answering through the hub, "member" at the hub).
  absl::Status RecordOprf(const std::string& action, const std::string& peer,
                          const std::string& request_id, ifed::v1::Purpose purpose,
                          int64_t items, int64_t disclosed, const absl::Status& decision,
                          const std::vector<std::pair<std::string, std::string>>& fields = {}) const;

  // A call refused before its handler ran (: a claimed identity other
  // than the certificate's, a replayed or stale request): `action` is
  // "identity.mismatch", "replay.refused" or "call.refused"; `peer` the
  // certificate identity; `fields` what the caller claimed (already safe to
  // record: node ids, request ids); `reason` the refusal.
  absl::Status RecordRefusal(const std::string& action, const std::string& peer,
                             const std::string& method,
                             const std::vector<std::pair<std::string, std::string>>& fields,
                             const absl::Status& reason) const;

 private:
  AuditLog* log_;
  std::function<std::string()> policy_version_;
  std::function<std::string(const std::string&)> legal_basis_;
};

// A request id safe to record: printable ASCII up to 128, else "(invalid)".
std::string SafeRequestId(const std::string& id);
// "phone:3,url:2" from the batches' sizes.
std::string TypeCounts(const ifed::v1::MatchRequest& request, int64_t* items);

}  // namespace ifed::audit

#endif  // IFED_AUDIT_INBOUND_H_
