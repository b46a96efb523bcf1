// Relayed calls: the querier's signed authorization (proto RelayAuthorization).
//
// A hub is a router, not a partner. When a querier Q asks member M through
// hub H, Q signs what it asks (the members, the RPC, a digest of the request
// content M will receive, the purpose, the time and a nonce) with its node
// key, the key of its TLS certificate; H passes the signed authorization on
// unchanged in the request's `relay_authorization` field; M verifies it
// before anything else and then answers under both its rule for Q and its
// rule for H. A hub can therefore neither invent a request, nor replay one,
// nor widen one (other members, another RPC, other items, another purpose).
//
// Security property: RelayVerifier::Verify returns OK only when the
// authorization was signed by the private key of a certificate that chains
// to the federation's trust anchor as node `querier` (the same chain check
// as a TLS peer), names this node in its audience, the calling hub, this
// RPC, exactly this request content and purpose, was issued within the
// replay window, and its nonce was not seen from that querier before.
#ifndef IFED_FEDERATION_RELAY_AUTH_H_
#define IFED_FEDERATION_RELAY_AUTH_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/audit/signer.h"
#include "node/federation/transport/call_guard.h"
#include "proto/federation.pb.h"

namespace ifed::federation {

class PeerChainVerifier;  // peer_verifier.h

// The RPC names an authorization may carry (the Federation service's names).
inline constexpr char kRpcMatch[] = "Match";
inline constexpr char kRpcDeconflict[] = "Deconflict";
inline constexpr char kRpcWatch[] = "Watch";
inline constexpr char kRpcOprfPublicKey[] = "OprfPublicKey";
inline constexpr char kRpcOprfEvaluate[] = "OprfEvaluate";
inline constexpr char kRpcFilterSync[] = "FilterSync";
inline constexpr char kRpcResolve[] = "Resolve";

// SHA-256 (32 bytes) over a label, the message's full name and the
// deterministic serialisation of `request` without the fields a hub
// legitimately changes: relay_authorization always; case_token,
// jurisdictions and skip_members (MatchRequest, WatchRequest);
// compact_answer (MatchRequest: a hub asks its members in the full form); watch_id and
// until (WatchRequest: the hub names the watch and caps its lifetime).
std::string RelayRequestDigest(const google::protobuf::Message& request);

// Querier side: signs authorizations with the node's key. Thread-safe.
class RelaySigner {
 public:
  // `signer`: the node's key and certificate (audit/signer.h); not owned.
  RelaySigner(std::string node_id, const audit::Signer* signer,
              std::function<int64_t()> now_ms = nullptr)
      : node_id_(std::move(node_id)),
        current_([signer] { return std::shared_ptr<const audit::Signer>(signer, [](auto*) {}); }),
        now_ms_(std::move(now_ms)) {}
  // `current`: the signer in force (it changes when the certificate is
  // renewed, AuditLog::signer()).
  RelaySigner(std::string node_id, std::function<std::shared_ptr<const audit::Signer>()> current,
              std::function<int64_t()> now_ms = nullptr)
      : node_id_(std::move(node_id)), current_(std::move(current)), now_ms_(std::move(now_ms)) {}

  // The authorization for asking `audience` (sorted and de-duplicated here)
  // through `hub` with `rpc` and `request` (as it will be sent, without its
  // relay_authorization). InvalidArgument for an empty audience.
  absl::StatusOr<ifed::v1::SignedRelayAuthorization> Sign(
      const std::string& hub, std::vector<std::string> audience, const std::string& rpc,
      const google::protobuf::Message& request, ifed::v1::Purpose purpose) const;

  const std::string& node_id() const { return node_id_; }

 private:
  const std::string node_id_;
  const std::function<std::shared_ptr<const audit::Signer>()> current_;
  const std::function<int64_t()> now_ms_;
};

// "Verify this chain as node X": OK when `chain_pem` (leaf first, then
// intermediates) verifies to the trust anchor(s) for `node_id` and the leaf
// names exactly that node. Unauthenticated otherwise, with a reason.
using NodeChainCheck =
    std::function<absl::Status(absl::string_view chain_pem, const std::string& node_id)>;

// Member side. Thread-safe.
class RelayVerifier {
 public:
  struct Options {
    std::string node_id;       // this member.
    std::string trust_domain;  // SPIFFE trust domain of the federation.
    NodeChainCheck check_chain;
    ReplayOptions replay;      // issued_at window and nonce memory.
  };
  explicit RelayVerifier(Options options);

  // The querier's node id when `auth` authorizes `hub` to make this call
  // (`rpc`, `request` as received, `purpose`) to this node. Unauthenticated:
  // missing, malformed, unverifiable chain or signature. PermissionDenied:
  // another hub, member, rpc, content or purpose, expired or replayed. The
  // message is safe to return to the hub (no key material, no values).
  absl::StatusOr<std::string> Verify(const std::string& hub, const std::string& rpc,
                                     const google::protobuf::Message& request,
                                     ifed::v1::Purpose purpose,
                                     const ifed::v1::SignedRelayAuthorization& auth);

 private:
  const Options o_;
  ReplayGuard nonces_;
};

// The default NodeChainCheck: `verifier` (the TLS peers' chain verifier,
// with the issuer pinned for each node) checks the chain as the node's,
// then the leaf's SPIFFE id must be the node's.
NodeChainCheck ChainCheckWith(std::shared_ptr<PeerChainVerifier> verifier,
                              std::string trust_domain);

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_RELAY_AUTH_H_
