// FederationService: the peer-facing gRPC API. Thin: identity from the
// verified certificate, then the Matcher, then one status conversion.
#ifndef IFED_FEDERATION_SERVICE_H_
#define IFED_FEDERATION_SERVICE_H_

#include "node/federation/matcher.h"
#include "proto/federation.grpc.pb.h"

namespace ifed::federation {

class FederationService final : public ifed::v1::Federation::Service {
 public:
  FederationService(std::string trust_domain, const Matcher* matcher)
      : trust_domain_(std::move(trust_domain)), matcher_(matcher) {}

  grpc::Status Match(grpc::ServerContext* ctx, const ifed::v1::MatchRequest* request,
                     ifed::v1::MatchResponse* response) override;

 private:
  const std::string trust_domain_;
  const Matcher* matcher_;
};

// absl::Status -> grpc::Status for a peer: the codes carry over; internal
// errors are not described to the peer.
grpc::Status ToPeerStatus(const absl::Status& s);

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_SERVICE_H_
