// OprfRelayer: the hub's side of the OPRF scheme through the hub (
// protocol in node/federation/oprf/oprf_relay.h).
//
// For each call: the member named by the querier must be a configured peer
// other than the querier and the hub; the hub's policy must allow the
// querier (its inbound rule in force; with a purpose, that purpose) and the
// member (its outbound rule, likewise). Default deny. The scheme of the
// hub's rules is not checked: the member's own rule decides the scheme.
// Then the call goes to the member with x-ifed-on-behalf-of naming the
// querier, under the hub's deadline (peer_timeout_ms, cut to the caller's),
// and the member's answer (or status, prefixed with the member's id) goes
// back; a Resolve answer is cut to the hub's disclosure ceiling for the
// querier (its inbound rule). Filter chunks are streamed through one at a time. Nothing of a
// call's payload is kept or logged: counts, ids and statuses only. Each
// relayed call is audited at the hub ("relay.oprf.*", with the member).
// Evaluate also fans out: relay-to "*" (every member the hub's policy lets
// the querier reach) or "at,cz" sends the one blinded batch to each member
// in parallel under one deadline, and answers one evaluation (or status) per
// member in OprfEvaluateResponse.members. Safe for the querier: each member
// answers under its own key for it, and the hub holds no blind.
// Thread-safe.
#ifndef IFED_HUB_OPRF_RELAY_H_
#define IFED_HUB_OPRF_RELAY_H_

#include <chrono>
#include <functional>
#include <string>

#include "node/audit/inbound.h"
#include "node/federation/oprf/oprf_relay.h"
#include "node/federation/transport/peer_client.h"
#include "node/policy/policy.h"

namespace ifed::hub {

struct OprfRelayDeps {
  std::string node_id;
  const policy::PolicyHolder* policy = nullptr;
  federation::PeerClients* members = nullptr;
  const audit::InboundAuditor* auditor = nullptr;  // may be null.
  std::function<int64_t()> now;                    // unix seconds.
  std::chrono::milliseconds member_timeout{3000};
};

class OprfRelayer final : public federation::OprfRelay {
 public:
  explicit OprfRelayer(OprfRelayDeps deps) : d_(std::move(deps)) {}

  grpc::Status PublicKey(const grpc::ServerContext& ctx, const std::string& querier,
                         const std::string& member,
                                 const ifed::v1::OprfPublicKeyRequest& request,
                         ifed::v1::OprfPublicKeyResponse* response) override;
  grpc::Status Evaluate(const grpc::ServerContext& ctx, const std::string& querier,
                        const std::string& member, const ifed::v1::OprfEvaluateRequest& request,
                        ifed::v1::OprfEvaluateResponse* response) override;
  grpc::Status FilterSync(grpc::ServerContext* ctx, const std::string& querier,
                          const std::string& member, const ifed::v1::FilterSyncRequest& request,
                          grpc::ServerWriter<ifed::v1::FilterChunk>* writer) override;
  grpc::Status Resolve(const grpc::ServerContext& ctx, const std::string& querier,
                       const std::string& member, const ifed::v1::ResolveRequest& request,
                       ifed::v1::ResolveResponse* response) override;
  grpc::Status Members(const std::string& querier,
                       ifed::v1::HubMembersResponse* response) override;

 private:
  // OK when the hub may relay from `querier` to `member` (with `purpose`
  // when the call has one); else the status to send.
  grpc::Status Allow(const std::string& querier, const std::string& member,
                     const ifed::v1::Purpose* purpose, size_t items) const;
  // Evaluate of one blinded batch by several members (`targets`: "*" or a
  // comma-separated list).
  grpc::Status EvaluateMany(const grpc::ServerContext& ctx, const std::string& querier,
                            const std::string& targets,
                            const ifed::v1::OprfEvaluateRequest& request,
                            ifed::v1::OprfEvaluateResponse* response);
  // A member call's context: on-behalf-of header and the hub's deadline.
  void Prepare(const grpc::ServerContext& ctx, const std::string& querier,
               grpc::ClientContext* out, std::chrono::milliseconds at_least = {}) const;
  // The member's status for the querier, and the log line and audit event.
  grpc::Status Finish(const char* what, const std::string& querier, const std::string& member,
                      const std::string& request_id, ifed::v1::Purpose purpose, int64_t items,
                      const grpc::Status& member_status,
                      std::chrono::steady_clock::time_point start) const;

  const OprfRelayDeps d_;
};

}  // namespace ifed::hub

#endif  // IFED_HUB_OPRF_RELAY_H_
