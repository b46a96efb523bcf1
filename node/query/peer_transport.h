// PeerTransport: the calls an outbound query makes to a peer or through a
// hub (keyed match, hub members, OPRF key / evaluate / filter / resolve,
// watch registration, hit reports), the relay signature a call through a
// hub carries, and the check of a peer's signed match receipt. The plain
// query logic (outbound_matcher.h, watch_manager.h) talks only to this
// interface; grpc_peer_transport.h is the implementation over the
// federation clients, and the unit tests use a fake. No gRPC here.
#ifndef IFED_QUERY_PEER_TRANSPORT_H_
#define IFED_QUERY_PEER_TRANSPORT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/federation.pb.h"

namespace ifed::query {

// The calls a hub relays, named in a relay authorization.
enum class RelayedRpc {
  kMatch,
  kWatch,
  kOprfPublicKey,
  kOprfEvaluate,
  kFilterSync,
  kResolve,
  kDeconflict
};

class PeerTransport {
 public:
  virtual ~PeerTransport() = default;

  // The configured peers (config `peers`): known, marked `role: hub`.
  virtual bool Has(const std::string& peer) const = 0;
  virtual bool IsHub(const std::string& peer) const = 0;
  virtual std::vector<std::string> Hubs() const = 0;
  // Every configured peer id.
  virtual std::vector<std::string> Peers() const = 0;

  // Keyed batch match to a direct peer or a hub (which relays it). The
  // peer's answer, or its status as the peer sent it.
  virtual absl::StatusOr<ifed::v1::MatchResponse> Match(const std::string& peer,
                                                        const ifed::v1::MatchRequest& request) = 0;
  // Whether `answer` carries a receipt signed by `peer` over `sent`.
  virtual absl::Status VerifyReceipt(const std::string& peer, const ifed::v1::MatchRequest& sent,
                                     const ifed::v1::MatchResponse& answer) const = 0;
  // The members a hub relays to for this node.
  virtual absl::StatusOr<ifed::v1::HubMembersResponse> HubMembers(const std::string& hub) = 0;

  // OPRF calls. `peer` is a direct peer or "HUB/MEMBER" (the hub is told
  // the member). With `relay_to` ("at,cz"), `peer` is a hub that fans one
  // evaluation out to those members.
  virtual absl::StatusOr<ifed::v1::OprfPublicKeyResponse> OprfPublicKey(
      const std::string& peer, const ifed::v1::OprfPublicKeyRequest& request) = 0;
  virtual absl::StatusOr<ifed::v1::OprfEvaluateResponse> OprfEvaluate(
      const std::string& peer, const ifed::v1::OprfEvaluateRequest& request,
      const std::string& relay_to) = 0;
  virtual absl::StatusOr<ifed::v1::ResolveResponse> Resolve(
      const std::string& peer, const ifed::v1::ResolveRequest& request) = 0;
  // The filter stream: each chunk to `on_chunk`, in order; an error from
  // it cancels the stream and is returned; then the stream's own status.
  using ChunkFn = std::function<absl::Status(const ifed::v1::FilterChunk&)>;
  virtual absl::Status FilterSync(const std::string& peer,
                                  const ifed::v1::FilterSyncRequest& request,
                                  const ChunkFn& on_chunk) = 0;

  // Standing queries: add or remove a watch at a peer or a hub.
  virtual absl::StatusOr<ifed::v1::WatchResponse> Watch(const std::string& peer,
                                                        const ifed::v1::WatchRequest& request) = 0;
  // A member's report of its direct hits to a hub.
  virtual absl::StatusOr<ifed::v1::HitReportAck> ReportHits(const std::string& hub,
                                                            const ifed::v1::HitReport& report) = 0;
  // A follow-up step at the partner that holds the reference.
  virtual absl::StatusOr<ifed::v1::FollowUpResponse> FollowUp(
      const std::string& peer, const ifed::v1::FollowUpRequest& request) = 0;
  // Takedown deconfliction at a peer or a hub (a hub answers per member).
  virtual absl::StatusOr<ifed::v1::DeconflictResponse> Deconflict(
      const std::string& peer, const ifed::v1::DeconflictRequest& request) = 0;

  // Relays widen nothing: sets `request`'s relay_authorization, signed for
  // `hub` to relay it as `rpc` to `audience`. OK and unchanged when this
  // node signs nothing (no relay signer configured).
  virtual absl::Status SignRelay(const std::string& hub, RelayedRpc rpc,
                                 ifed::v1::Purpose purpose, std::vector<std::string> audience,
                                 google::protobuf::Message* request) const = 0;
};

}  // namespace ifed::query

#endif  // IFED_QUERY_PEER_TRANSPORT_H_
