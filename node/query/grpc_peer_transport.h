// GrpcPeerTransport: PeerTransport over the federation's mutual-TLS
// clients (federation::PeerClients), its relay signer and the federation
// CA's check of node chains (receipts). Every call has the clients'
// deadline (the filter stream at least 60 s); calls through a hub name
// their member(s) in the relay-to header.
#ifndef IFED_QUERY_GRPC_PEER_TRANSPORT_H_
#define IFED_QUERY_GRPC_PEER_TRANSPORT_H_

#include <string>
#include <vector>

#include "node/federation/transport/peer_client.h"
#include "node/federation/transport/relay_auth.h"
#include "node/query/peer_transport.h"

namespace ifed::query {

class GrpcPeerTransport final : public PeerTransport {
 public:
  // `signer` null: calls through a hub go unsigned (and members refuse
  // them). `federation`: the SPIFFE trust domain of the peers.
  GrpcPeerTransport(federation::PeerClients* peers, const federation::RelaySigner* signer,
                    std::string federation)
      : peers_(peers), signer_(signer), federation_(std::move(federation)) {}

  bool Has(const std::string& peer) const override { return peers_->Has(peer); }
  bool IsHub(const std::string& peer) const override { return peers_->IsHub(peer); }
  std::vector<std::string> Hubs() const override { return peers_->Hubs(); }
  std::vector<std::string> Peers() const override;
  absl::StatusOr<ifed::v1::MatchResponse> Match(const std::string& peer,
                                                const ifed::v1::MatchRequest& request) override {
    return peers_->Match(peer, request);
  }
  absl::Status VerifyReceipt(const std::string& peer, const ifed::v1::MatchRequest& sent,
                             const ifed::v1::MatchResponse& answer) const override;
  absl::StatusOr<ifed::v1::HubMembersResponse> HubMembers(const std::string& hub) override;
  absl::StatusOr<ifed::v1::OprfPublicKeyResponse> OprfPublicKey(
      const std::string& peer, const ifed::v1::OprfPublicKeyRequest& request) override;
  absl::StatusOr<ifed::v1::OprfEvaluateResponse> OprfEvaluate(
      const std::string& peer, const ifed::v1::OprfEvaluateRequest& request,
      const std::string& relay_to) override;
  absl::StatusOr<ifed::v1::ResolveResponse> Resolve(
      const std::string& peer, const ifed::v1::ResolveRequest& request) override;
  absl::Status FilterSync(const std::string& peer, const ifed::v1::FilterSyncRequest& request,
                          const ChunkFn& on_chunk) override;
  absl::StatusOr<ifed::v1::WatchResponse> Watch(const std::string& peer,
                                                const ifed::v1::WatchRequest& request) override;
  absl::StatusOr<ifed::v1::HitReportAck> ReportHits(const std::string& hub,
                                                    const ifed::v1::HitReport& report) override;
  absl::StatusOr<ifed::v1::FollowUpResponse> FollowUp(
      const std::string& peer, const ifed::v1::FollowUpRequest& request) override;
  absl::StatusOr<ifed::v1::DeconflictResponse> Deconflict(
      const std::string& peer, const ifed::v1::DeconflictRequest& request) override;
  absl::Status SignRelay(const std::string& hub, RelayedRpc rpc, ifed::v1::Purpose purpose,
                         std::vector<std::string> audience,
                         google::protobuf::Message* request) const override;

 private:
  federation::PeerClients* const peers_;
  const federation::RelaySigner* const signer_;
  const std::string federation_;
};

}  // namespace ifed::query

#endif  // IFED_QUERY_GRPC_PEER_TRANSPORT_H_
