// Matcher: answers a partner's batch of pseudonyms under the policy for that
// partner. Plain logic, no gRPC: the service resolves the caller's identity
// from its certificate and hands it in.
#ifndef IFED_FEDERATION_MATCHER_H_
#define IFED_FEDERATION_MATCHER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "node/common/counters.h"
#include "node/crypto/keyed.h"
#include "node/crypto/sealer.h"
#include "node/policy/policy.h"
#include "node/policy/purpose.h"
#include "node/policy/quota.h"
#include "node/store/store.h"
#include "proto/federation.pb.h"

namespace ifed::federation {

struct MatcherDeps {
  std::string node_id;
  std::string contact;                       // disclosed with HIT_WITH_CONTACT.
  const store::Store* store = nullptr;
  const policy::PolicyHolder* policy = nullptr;
  const crypto::KeyedPseudonymizer* keys = nullptr;
  Counters* counters = nullptr;
  std::function<int64_t()> now;              // unix seconds.
  policy::QuotaKeeper* quotas = nullptr;     // per-partner quotas; null = none enforced.
  std::function<int64_t()> now_ms;           // unix milliseconds (quotas); default now()*1000.
  // Mints the per-partner reference tokens (Sealer::Reference). Null: no
  // reference is ever disclosed (HIT_WITH_REFERENCE answers HIT only).
  const crypto::Sealer* sealer = nullptr;
};

// The reference `partner` sees for the local record `record_id` (a
// per-partner token, Sealer::Reference): empty when `sealer` is null.
absl::StatusOr<std::string> PartnerReference(const crypto::Sealer* sealer,
                                             const std::string& partner,
                                             const std::string& record_id);

// Thread-safe.
// The pseudonyms of a wire batch, packed 32 bytes each (a trailing partial
// pseudonym is ignored; callers check the size first).
std::vector<store::Pseudonym> UnpackPseudonyms(const std::string& packed);

class Matcher {
 public:
  explicit Matcher(MatcherDeps deps) : d_(std::move(deps)) {}

  // PermissionDenied: a purpose Match does not accept (policy/purpose.h),
  // no rule for `peer`, purpose, type or scheme not allowed.
  // InvalidArgument: malformed batch, unknown epoch, batch over the limit.
  // ResourceExhausted: over quota (the message carries a retry hint).
  // Records the peer may not see (TLP, national-only, not-for, crime area)
  // are treated as absent. A reference (HIT_WITH_REFERENCE and up) is the
  // token for `peer` (PartnerReference), never the record id.
  // The status message is safe to return to the peer.
  // `on_behalf_of`: the querier when `peer` is a hub relaying its signed
  // request (verified by the caller): then the request is decided under the
  // rule for the querier and the rule for the hub, both charged, and a
  // record must be visible to both (policy::DecideRelayed); references are
  // the querier's own tokens, so that its follow-up can name them.
  // `call`: the RPC it serves (Match or MatchStream), for its purposes.
  absl::Status Match(const std::string& peer, const ifed::v1::MatchRequest& request,
                     ifed::v1::MatchResponse* response,
                     const std::string& on_behalf_of = "",
                     policy::Call call = policy::Call::kMatch) const;

  // Takedown deconfliction (deconflict.cc): one result per
  // pseudonym, HOLD_HELD when a record of it that `peer` may see carries the
  // investigative hold, else HOLD_CLEAR; the contact only when the rule's
  // disclosure is HIT_WITH_CONTACT. Never a reference or a case. The policy
  // decides as for Match with purpose TAKEDOWN_DECONFLICTION and the keyed
  // scheme (same quotas). InvalidArgument for types other than URL and
  // HANDLE. Status messages are safe to return to the peer.
  absl::Status Deconflict(const std::string& peer, const ifed::v1::DeconflictRequest& request,
                          ifed::v1::DeconflictResponse* response,
                          const std::string& on_behalf_of = "") const;

 private:
  // Request shape and policy decision: on OK, `*rule` is the rule that
  // applies (for a relayed call the intersection) and `*partners` every
  // partner a hit must be visible to.
  absl::Status Check(policy::Call call, const std::string& peer, const std::string& on_behalf_of,
                     const ifed::v1::MatchRequest& request, const policy::Policy& policy,
                     policy::EffectiveRule* rule, std::vector<std::string>* partners,
                     size_t* items) const;
  MatcherDeps d_;
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_MATCHER_H_
