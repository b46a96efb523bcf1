#include "node/federation/service.h"

#include <spdlog/spdlog.h>

#include "node/federation/tls.h"

namespace ifed::federation {

grpc::Status ToPeerStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kFailedPrecondition:
      return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
    default:
      spdlog::error("internal error answering a peer: {}", std::string(s.message()));
      return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

grpc::Status FederationService::Match(grpc::ServerContext* ctx,
                                      const ifed::v1::MatchRequest* request,
                                      ifed::v1::MatchResponse* response) {
  auto peer = PeerNodeId(*ctx->auth_context(), trust_domain_);
  if (!peer.ok()) {
    spdlog::warn("match refused: {}", std::string(peer.status().message()));
    return ToPeerStatus(peer.status());
  }
  return ToPeerStatus(matcher_->Match(*peer, *request, response));
}

}  // namespace ifed::federation
