// FollowUpDesk: the owner's side of a follow-up (step 2 of the
// Prüm model). A partner that had a hit asks for more about a reference; the
// request is stored (meta "followup/in/<peer>/<id>") and audited, and waits
// for a person at this node to approve or deny it (node/query/followup_manager.h);
// the partner polls its status. Plain logic, no gRPC. Thread-safe.
#ifndef IFED_FEDERATION_FOLLOWUP_SERVICE_H_
#define IFED_FEDERATION_FOLLOWUP_SERVICE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/audit/audit_log.h"
#include "node/crypto/sealer.h"
#include "node/policy/policy.h"
#include "node/store/store.h"
#include "proto/federation.pb.h"
#include "proto/store.pb.h"

namespace ifed::federation {

// Prüm II: core data within 48 hours of a confirmed match.
inline constexpr int64_t kFollowUpDeadlineSeconds = 48 * 3600;

absl::StatusOr<ifed::v1::FollowUpRecord> LoadFollowUp(const store::Store& store,
                                                      const std::string& key);
// Stores `r` with its audit event (`action`, `actor`) and `extra` (an
// outbox entry carrying the answer) in one WriteBatch.
absl::Status SaveFollowUp(store::Store* store, audit::AuditLog* audit,
                          const ifed::v1::FollowUpRecord& r, const std::string& action,
                          const std::string& actor, const store::MetaWrites& extra = {});

struct FollowUpDeps {
  store::Store* store = nullptr;
  const policy::PolicyHolder* policy = nullptr;
  audit::AuditLog* audit = nullptr;  // may be null (tests).
  std::function<int64_t()> now;      // unix seconds.
  int64_t deadline_seconds = kFollowUpDeadlineSeconds;
  // Resolves the partner's reference tokens (Sealer::ResolveReference).
  // Null: every reference is unknown.
  const crypto::Sealer* sealer = nullptr;
};

class FollowUpDesk {
 public:
  explicit FollowUpDesk(FollowUpDeps deps) : d_(std::move(deps)) {}

  // REQUEST: PermissionDenied for a purpose FollowUp does not accept
  // (policy/purpose.h), unless the inbound rule for `peer` allows
  // follow-ups and the purpose, discloses references (HIT_WITH_REFERENCE or
  // HIT_WITH_CONTACT), and the record's type is in the rule; NotFound unless
  // the reference is `peer`'s own token (Sealer::Reference) for a record the
  // peer may see (another partner's token is unknown). Every refusal is
  // audited ("followup.in", outcome refused). ResourceExhausted past the rule's
  // follow_ups.max_per_day new requests per UTC day; idempotent on followup_id. STATUS: the peer's
  // own request, or NotFound. Messages are safe to return to the peer.
  absl::Status Handle(const std::string& peer, const ifed::v1::FollowUpRequest& request,
                      ifed::v1::FollowUpResponse* response) const;

 private:
  // follow_ups.max_per_day new requests per partner and UTC day (the
  // counter survives a restart); a refusal is audited.
  absl::Status CountToday(const std::string& peer, const std::string& followup_id, int64_t now,
                          uint32_t max) const;

  FollowUpDeps d_;
};

void ToResponse(const ifed::v1::FollowUpRecord& r, ifed::v1::FollowUpResponse* out);

// Marks partners' pending follow-ups past their deadline as overdue, once
// each, with a "followup.overdue" audit event. Returns how many are overdue
// now (pending, past the deadline).
absl::StatusOr<uint64_t> FlagOverdue(store::Store* store, audit::AuditLog* audit, int64_t now);

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_FOLLOWUP_SERVICE_H_
