// The OPRF scheme through the hub.
//
// A querier Q asks a member M through the hub H by calling H's OPRF RPCs
// (OprfPublicKey, OprfEvaluate, FilterSync, Resolve) with the header
// `x-ifed-relay-to: M`. The hub checks its own policy (Q may ask, M may be
// asked) and forwards the call to M with `x-ifed-on-behalf-of: Q`; blinded
// elements, evaluated elements, proofs, filters and outputs pass through
// and are not kept, and so does Q's signed authorization of the call
// (request field relay_authorization, relay_auth.h), which M verifies first.
// M accepts `x-ifed-on-behalf-of` only from a peer its config marks
// `role: hub` and only naming the node that signed the authorization; it then
// uses Q's key, budget and filter, under both its rule for Q and its rule for
// the hub (no rule for Q, or a hub rule without the oprf scheme: nothing).
#ifndef IFED_FEDERATION_OPRF_RELAY_H_
#define IFED_FEDERATION_OPRF_RELAY_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "proto/federation.grpc.pb.h"

namespace ifed::federation {

inline constexpr char kRelayToHeader[] = "x-ifed-relay-to";
inline constexpr char kOnBehalfOfHeader[] = "x-ifed-on-behalf-of";

// The hub's side: implemented by node/hub (OprfRelayer). Each call is made
// after the caller's identity (`querier`) was admitted; `member` is the
// relay-to header as sent (the implementation checks it). The statuses are
// the ones to send to the querier.
class OprfRelay {
 public:
  virtual ~OprfRelay() = default;
  virtual grpc::Status PublicKey(const grpc::ServerContext& ctx, const std::string& querier,
                                 const std::string& member,
                                 const ifed::v1::OprfPublicKeyRequest& request,
                                 ifed::v1::OprfPublicKeyResponse* response) = 0;
  virtual grpc::Status Evaluate(const grpc::ServerContext& ctx, const std::string& querier,
                                const std::string& member,
                                const ifed::v1::OprfEvaluateRequest& request,
                                ifed::v1::OprfEvaluateResponse* response) = 0;
  virtual grpc::Status FilterSync(grpc::ServerContext* ctx, const std::string& querier,
                                  const std::string& member,
                                  const ifed::v1::FilterSyncRequest& request,
                                  grpc::ServerWriter<ifed::v1::FilterChunk>* writer) = 0;
  virtual grpc::Status Resolve(const grpc::ServerContext& ctx, const std::string& querier,
                               const std::string& member, const ifed::v1::ResolveRequest& request,
                               ifed::v1::ResolveResponse* response) = 0;
  // The members the hub's policy lets `querier` reach, with jurisdictions.
  virtual grpc::Status Members(const std::string& querier,
                               ifed::v1::HubMembersResponse* response) = 0;
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_OPRF_RELAY_H_
