#include "node/federation/transport/peer_client.h"

#include "absl/strings/str_cat.h"

namespace ifed::federation {

PeerClients::PeerClients(TlsFiles tls, std::string trust_domain,
                         std::map<std::string, std::string> peers,
                         std::chrono::milliseconds timeout)
    : tls_(std::move(tls)),
      trust_domain_(std::move(trust_domain)),
      peers_(std::move(peers)),
      timeout_(timeout) {}

ifed::v1::Federation::Stub* PeerClients::Stub(const std::string& peer) {
  std::lock_guard<std::mutex> l(mu_);
  auto& stub = stubs_[peer];
  if (!stub) {
    auto channel = grpc::CreateCustomChannel(
        peers_.at(peer), MakeChannelCredentials(tls_, trust_domain_, peer),
        ClientChannelArguments());
    stub = ifed::v1::Federation::NewStub(channel);
  }
  return stub.get();
}

absl::StatusOr<ifed::v1::MatchResponse> PeerClients::Match(
    const std::string& peer, const ifed::v1::MatchRequest& request) {
  if (!Has(peer)) return absl::NotFoundError(absl::StrCat("unknown peer ", peer));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
  ifed::v1::MatchResponse response;
  grpc::Status s = Stub(peer)->Match(&ctx, request, &response);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  return response;
}

absl::StatusOr<ifed::v1::DeconflictResponse> PeerClients::Deconflict(
    const std::string& peer, const ifed::v1::DeconflictRequest& request) {
  if (!Has(peer)) return absl::NotFoundError(absl::StrCat("unknown peer ", peer));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
  ifed::v1::DeconflictResponse response;
  grpc::Status s = Stub(peer)->Deconflict(&ctx, request, &response);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  return response;
}

}  // namespace ifed::federation
