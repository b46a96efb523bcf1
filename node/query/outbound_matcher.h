// OutboundMatcher: one outbound query to partners, in the keyed scheme
// (direct peers and hubs, which relay it) and the OPRF scheme (direct or
// through a hub). It takes items already normalised and pseudonymised,
// applies our own outbound policy (nothing leaves for a partner it
// refuses; derived forms a rule does not allow are left out), calls the
// partners through a PeerTransport, verifies their receipts and audits
// every call before anything is shown; the result is plain rows. The OPRF
// partners' keys and filters are fetched here too (SyncFilter). No gRPC.
#ifndef IFED_QUERY_OUTBOUND_MATCHER_H_
#define IFED_QUERY_OUTBOUND_MATCHER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "node/audit/audit_log.h"
#include "node/common/counters.h"
#include "node/federation/oprf/oprf_querier.h"
#include "node/federation/transport/peer_verifier.h"
#include "node/policy/policy.h"
#include "node/query/peer_transport.h"
#include "proto/admin.pb.h"

namespace ifed::query {

struct MatcherDeps {
  std::string node_id;
  std::string federation;  // SPIFFE trust domain (OPRF key announcements)
  PeerTransport* transport = nullptr;
  // Our outbound policy; null: every partner is asked (no rule checked).
  const policy::PolicyHolder* policy = nullptr;
  // Every call is audited before its answer is used; null: no audit.
  audit::AuditLog* audit = nullptr;
  // The OPRF querier (pinned keys, partners' filters); null: no OPRF.
  federation::OprfQuerier* oprf = nullptr;
  // Partners asked with OPRF when no outbound rule sets the scheme (config oprf_peers).
  std::vector<std::string> oprf_peers;
  // Verifies a partner's signed OPRF key announcement; null: every key is refused.
  federation::PeerChainVerifier* node_verifier = nullptr;
  Counters* counters = nullptr;  // outbound_queries; may be null.
  std::function<int64_t()> now;  // unix seconds
  // After a partner's filter changed in a sync (OPRF watches are checked
  // against it); its error is SyncFilter's.
  std::function<absl::Status(const std::string& peer)> on_filter_changed;
};

// One form asked (a value or a form derived from it), by its index in
// the query; canonical value and type (the OPRF scheme evaluates them).
struct Form {
  ifed::v1::IndicatorType type = ifed::v1::INDICATOR_TYPE_UNSPECIFIED;
  std::string canonical;
};

struct MatchQuery {
  std::string actor;  // who asked, for audit
  // The keyed request: request_id, purpose, epoch, canon version,
  // jurisdictions, skip_members and one batch per type (pseudonyms of
  // the forms, in `order` per type).
  ifed::v1::MatchRequest wire;
  std::vector<Form> forms;
  std::map<int, std::vector<int>> order;  // type -> form indices, in batch order
  std::set<ifed::v1::IndicatorType> value_types;  // the values' own (not derived) types
  std::string case_token;  // only a hub gets it
  std::vector<std::string> peers;       // asked keyed (direct peers and hubs)
  std::vector<std::string> oprf_peers;  // asked with OPRF (peers and "HUB/MEMBER")
  bool resolve = false;  // OPRF: step 2 (reference/contact) for the hits
};

// One partner's answer for one form.
struct PeerRow {
  int form = 0;
  std::string peer;  // a peer, or "HUB/MEMBER" for a member answering through a hub
  std::string via;   // the hub, for a member's row
  std::string scheme;  // "keyed" or "oprf"
  ifed::v1::Verdict verdict = ifed::v1::NO_HIT;
  std::string reference;
  std::string contact;
};
struct PeerFailure {
  std::string peer;
  int code = 0;  // absl/gRPC status code
  std::string message;
};
struct SkippedForms {  // derived forms our rule kept from a peer
  std::string peer;
  ifed::v1::IndicatorType type = ifed::v1::INDICATOR_TYPE_UNSPECIFIED;
  uint32_t forms = 0;
  std::string reason;
};
// A peer as the matcher names it: "hub/at" (member at, asked through the
// hub) -> {"hub", "at"}; a direct peer -> {peer, ""}.
inline std::pair<std::string, std::string> SplitRelayed(const std::string& peer) {
  const size_t slash = peer.find('/');
  if (slash == std::string::npos) return {peer, ""};
  return {peer.substr(0, slash), peer.substr(slash + 1)};
}

struct MatchOutcome {
  std::vector<PeerRow> rows;  // in the order answered
  std::vector<PeerFailure> errors;
  std::vector<SkippedForms> skipped;
};

class OutboundMatcher {
 public:
  explicit OutboundMatcher(MatcherDeps deps) : d_(std::move(deps)) {}

  // Asks `q.oprf_peers` with OPRF, then `q.peers` keyed. Errors:
  // InvalidArgument (no form, no partner), PermissionDenied when our
  // policy refuses every keyed partner (nothing was sent), Unavailable
  // when the audit log fails (nothing may be shown).
  absl::StatusOr<MatchOutcome> Match(const MatchQuery& q);

  // One OPRF partner's key check (pinned on first contact; changes only as
  // announced) and filter download, audited (oprf.key.*); `actor` for audit.
  absl::Status SyncFilter(const std::string& actor, const std::string& peer,
                          ifed::v1::FilterSyncStatus* status);

  // Whether `peer` is asked with OPRF (its outbound rule, else oprf_peers).
  bool UsesOprf(const std::string& peer) const;
  // InvalidArgument unless `peer` is a known peer or "HUB/MEMBER" of a hub.
  absl::Status CheckOprfPeer(const std::string& peer) const;
  // The members `hub` relays to for this node.
  absl::StatusOr<ifed::v1::HubMembersResponse> HubMembers(const std::string& hub);
  // The members of `hub` (within `jurisdictions`, if any) whose filter this
  // node holds through it: asked or watched with OPRF through the hub.
  // Empty when the hub does not answer (its keyed relay serves them all).
  std::vector<std::string> OprfMembersThroughHub(const std::string& hub,
                                                 const std::vector<std::string>& jurisdictions);
  // The members a call through `hub` asks: the hub's members for this node
  // within `jurisdictions` (all when empty), not in `skip`.
  absl::StatusOr<std::vector<std::string>> RelayAudience(const std::string& hub,
                                                         const std::vector<std::string>& jurisdictions,
                                                         const std::vector<std::string>& skip);
  // Relays widen nothing: signs `request` for `hub` to relay as `rpc` to its
  // RelayAudience (not
  // signed when that leaves nobody). A failure is logged, never fatal.
  void SignForHub(const std::string& hub, RelayedRpc rpc, ifed::v1::Purpose purpose,
                  const std::vector<std::string>& jurisdictions,
                  const std::vector<std::string>& skip, const std::string& what,
                  google::protobuf::Message* request);
  // An OPRF call to `peer`: signed when it goes through a hub ("hub/at", or
  // `members` "at,cz" of hub `peer`); nothing to do for a direct peer.
  absl::Status SignOprf(const std::string& peer, RelayedRpc rpc, ifed::v1::Purpose purpose,
                        google::protobuf::Message* request,
                        const std::string& members = "") const;
  // The evaluation of blinded inputs at `peer` (direct or "HUB/MEMBER"), signed.
  federation::OprfQuerier::EvaluateFn EvaluateAt(const std::string& peer);

 private:
  struct KeyedPlan;
  absl::Status MatchKeyed(const MatchQuery& q, MatchOutcome* out);
  absl::Status PlanKeyed(const MatchQuery& q, KeyedPlan* plan, MatchOutcome* out);
  void CollectKeyed(const std::string& request_id, const std::string& peer,
                    const ifed::v1::MatchResponse& answer,
                    const std::vector<int>& asked, MatchOutcome* out);
  absl::Status AuditOutbound(const std::string& actor, const std::string& peer,
                             const ifed::v1::MatchRequest& wire,
                             absl::StatusOr<ifed::v1::MatchResponse>* answer);
  // OPRF part of Match.
  struct OprfAnswer {
    absl::StatusOr<federation::OprfQuerier::Answer> answer;
    size_t batches = 0;
  };
  absl::Status MatchOprf(const MatchQuery& q, MatchOutcome* out);
  absl::Status OprfAllowed(const std::string& peer, ifed::v1::Purpose purpose,
                           const std::vector<ifed::v1::IndicatorType>& types,
                           size_t* max_batch) const;
  void SyncIfRotated(const std::string& actor, const std::string& request_id,
                     const std::string& peer);
  std::map<std::string, OprfAnswer> AskThroughHubs(const MatchQuery& q,
                                                   const std::vector<std::string>& inputs,
                                                   const std::vector<ifed::v1::IndicatorType>& types,
                                                   const ifed::v1::OprfEvaluateRequest& req);
  absl::Status ResolveHits(const MatchQuery& q, const std::string& peer, size_t max_batch,
                           const std::vector<size_t>& resolved, const std::string& outputs,
                           const std::vector<size_t>& rows, MatchOutcome* out);
  std::string OprfPolicyPartner(const std::string& peer) const;
  absl::Status AuditOprfOut(const std::string& actor, const std::string& action,
                            const std::string& peer, const std::string& request_id,
                            ifed::v1::Purpose purpose, int64_t items, int64_t batches,
                            const absl::Status& result, int64_t hits);
  // SyncFilter parts.
  absl::Status CheckKey(const std::string& actor, const std::string& peer,
                        ifed::v1::FilterSyncStatus* st);
  absl::Status AuditKey(const std::string& actor, const std::string& action,
                        const std::string& outcome, const std::string& peer,
                        const ifed::v1::OprfPublicKeyResponse& key);
  absl::Status FetchFilter(const std::string& peer, ifed::v1::FilterSyncStatus* st);

  MatcherDeps d_;
  std::mutex sync_mu_;  // one filter sync at a time (scheduler and ifedctl)
};

}  // namespace ifed::query

#endif  // IFED_QUERY_OUTBOUND_MATCHER_H_
