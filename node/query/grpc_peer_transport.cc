#include "node/query/grpc_peer_transport.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "node/audit/receipt.h"
#include "node/common/status_macros.h"
#include "node/federation/oprf/oprf_relay.h"
#include "node/federation/transport/peer_verifier.h"
#include "node/federation/transport/tls.h"

namespace ifed::query {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

const char* RpcName(RelayedRpc rpc) {
  switch (rpc) {
    case RelayedRpc::kMatch: return federation::kRpcMatch;
    case RelayedRpc::kWatch: return federation::kRpcWatch;
    case RelayedRpc::kOprfPublicKey: return federation::kRpcOprfPublicKey;
    case RelayedRpc::kOprfEvaluate: return federation::kRpcOprfEvaluate;
    case RelayedRpc::kFilterSync: return federation::kRpcFilterSync;
    case RelayedRpc::kResolve: return federation::kRpcResolve;
    case RelayedRpc::kDeconflict: return federation::kRpcDeconflict;
  }
  return "";
}

// The stub for an OPRF partner named `peer`: a peer, or "HUB/MEMBER" for a
// member asked through a configured hub, in which case the relay header
// goes on `ctx`. InvalidArgument for an unknown peer or a HUB that is not
// marked `role: hub`.
absl::StatusOr<ifed::v1::Federation::Stub*> OprfStub(federation::PeerClients* peers,
                                                     const std::string& peer,
                                                     grpc::ClientContext* ctx) {
  const size_t slash = peer.find('/');
  const std::string first = peer.substr(0, slash);
  if (!peers->Has(first)) return absl::InvalidArgumentError(absl::StrCat("unknown peer '", first, "'"));
  if (slash == std::string::npos) return peers->StubOf(first);
  const std::string member = peer.substr(slash + 1);
  if (!peers->IsHub(first)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", first, "' is not a hub (peers[].role: hub in the config): cannot ask '", peer, "'"));
  }
  if (member.empty() || member.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", peer, "' is not HUB/MEMBER"));
  }
  ctx->AddMetadata(federation::kRelayToHeader, member);
  return peers->StubOf(first);
}

}  // namespace

std::vector<std::string> GrpcPeerTransport::Peers() const {
  std::vector<std::string> out;
  for (const auto& [id, addr] : peers_->peers()) out.push_back(id);
  return out;
}

absl::Status GrpcPeerTransport::VerifyReceipt(const std::string& peer,
                                              const ifed::v1::MatchRequest& sent,
                                              const ifed::v1::MatchResponse& answer) const {
  return audit::VerifyReceipt(sent, answer, federation::SpiffeId(federation_, peer),
                              federation::VerifyNodeChain);
}

absl::StatusOr<ifed::v1::HubMembersResponse> GrpcPeerTransport::HubMembers(
    const std::string& hub) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + peers_->timeout());
  ifed::v1::HubMembersResponse members;
  auto* stub = peers_->StubOf(hub);
  if (stub == nullptr) return absl::NotFoundError(absl::StrCat("unknown peer ", hub));
  grpc::Status s = stub->HubMembers(&ctx, {}, &members);
  if (!s.ok()) return FromGrpc(s);
  return members;
}

absl::StatusOr<ifed::v1::OprfPublicKeyResponse> GrpcPeerTransport::OprfPublicKey(
    const std::string& peer, const ifed::v1::OprfPublicKeyRequest& request) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + peers_->timeout());
  IFED_ASSIGN_OR_RETURN(auto* stub, OprfStub(peers_, peer, &ctx));
  ifed::v1::OprfPublicKeyResponse key;
  grpc::Status s = stub->OprfPublicKey(&ctx, request, &key);
  if (!s.ok()) return FromGrpc(s);
  return key;
}

absl::StatusOr<ifed::v1::OprfEvaluateResponse> GrpcPeerTransport::OprfEvaluate(
    const std::string& peer, const ifed::v1::OprfEvaluateRequest& request,
    const std::string& relay_to) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + peers_->timeout());
  ifed::v1::Federation::Stub* stub = nullptr;
  if (!relay_to.empty()) {  // one batch that hub `peer` fans out to `relay_to`
    ctx.AddMetadata(federation::kRelayToHeader, relay_to);
    stub = peers_->StubOf(peer);
    if (stub == nullptr) return absl::NotFoundError(absl::StrCat("unknown peer ", peer));
  } else {
    IFED_ASSIGN_OR_RETURN(stub, OprfStub(peers_, peer, &ctx));
  }
  ifed::v1::OprfEvaluateResponse response;
  grpc::Status s = stub->OprfEvaluate(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::StatusOr<ifed::v1::ResolveResponse> GrpcPeerTransport::Resolve(
    const std::string& peer, const ifed::v1::ResolveRequest& request) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + peers_->timeout());
  IFED_ASSIGN_OR_RETURN(auto* stub, OprfStub(peers_, peer, &ctx));
  ifed::v1::ResolveResponse response;
  grpc::Status s = stub->Resolve(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::Status GrpcPeerTransport::FilterSync(const std::string& peer,
                                           const ifed::v1::FilterSyncRequest& request,
                                           const ChunkFn& on_chunk) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::max(peers_->timeout(), std::chrono::milliseconds(60000)));
  IFED_ASSIGN_OR_RETURN(auto* stub, OprfStub(peers_, peer, &ctx));
  auto reader = stub->FilterSync(&ctx, request);
  ifed::v1::FilterChunk chunk;
  while (reader->Read(&chunk)) {
    if (absl::Status s = on_chunk(chunk); !s.ok()) {
      ctx.TryCancel();
      return s;
    }
  }
  return FromGrpc(reader->Finish());
}

absl::StatusOr<ifed::v1::WatchResponse> GrpcPeerTransport::Watch(
    const std::string& peer, const ifed::v1::WatchRequest& request) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + peers_->timeout());
  auto* stub = peers_->StubOf(peer);
  if (stub == nullptr) return absl::NotFoundError(absl::StrCat("unknown peer ", peer));
  ifed::v1::WatchResponse response;
  grpc::Status s = stub->Watch(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::StatusOr<ifed::v1::HitReportAck> GrpcPeerTransport::ReportHits(
    const std::string& hub, const ifed::v1::HitReport& report) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + peers_->timeout());
  auto* stub = peers_->StubOf(hub);
  if (stub == nullptr) return absl::NotFoundError(absl::StrCat("unknown peer ", hub));
  ifed::v1::HitReportAck ack;
  grpc::Status s = stub->ReportHits(&ctx, report, &ack);
  if (!s.ok()) return FromGrpc(s);
  return ack;
}

absl::StatusOr<ifed::v1::FollowUpResponse> GrpcPeerTransport::FollowUp(
    const std::string& peer, const ifed::v1::FollowUpRequest& request) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + peers_->timeout());
  auto* stub = peers_->StubOf(peer);
  if (stub == nullptr) return absl::NotFoundError(absl::StrCat("unknown peer ", peer));
  ifed::v1::FollowUpResponse answer;
  grpc::Status s = stub->FollowUp(&ctx, request, &answer);
  if (!s.ok()) return FromGrpc(s);
  return answer;
}

absl::StatusOr<ifed::v1::DeconflictResponse> GrpcPeerTransport::Deconflict(
    const std::string& peer, const ifed::v1::DeconflictRequest& request) {
  return peers_->Deconflict(peer, request);
}

absl::Status GrpcPeerTransport::SignRelay(const std::string& hub, RelayedRpc rpc,
                                          ifed::v1::Purpose purpose,
                                          std::vector<std::string> audience,
                                          google::protobuf::Message* request) const {
  if (signer_ == nullptr) return absl::OkStatus();
  IFED_ASSIGN_OR_RETURN(ifed::v1::SignedRelayAuthorization a,
                        signer_->Sign(hub, std::move(audience), RpcName(rpc), *request, purpose));
  const auto* field = request->GetDescriptor()->FindFieldByName("relay_authorization");
  if (field == nullptr) return absl::InternalError("request cannot carry a relay authorization");
  request->GetReflection()->MutableMessage(request, field)->CopyFrom(a);
  return absl::OkStatus();
}

}  // namespace ifed::query
