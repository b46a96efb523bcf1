// FederationService: the peer-facing gRPC API. Thin: identity from the
// verified certificate, then the Matcher, then one status conversion.
#ifndef IFED_FEDERATION_SERVICE_H_
#define IFED_FEDERATION_SERVICE_H_

#include <chrono>
#include <functional>

#include "node/audit/inbound.h"
#include "node/audit/signer.h"
#include "node/federation/transport/call_guard.h"
#include "node/federation/desk/followup_service.h"
#include "node/federation/matcher.h"
#include "node/federation/oprf/oprf_relay.h"
#include "node/federation/oprf/oprf_responder.h"
#include "node/federation/transport/relay_auth.h"
#include "node/federation/desk/watch_service.h"
#include "proto/federation.grpc.pb.h"

namespace ifed::federation {

// Per-call limits applied before and after the matcher.
struct ServiceLimits {
  size_t max_items = 10000;                  // pseudonyms per request.
  std::chrono::milliseconds deadline{10000};  // longest a call may run.
  ReplayOptions replay;                       // request id and timestamp window.
};

// Handlers of the hub role (node/hub/): the call is relayed to members
// instead of answered here.
using MatchHandler = std::function<absl::Status(
    const std::string& peer, const ifed::v1::MatchRequest& request,
    std::chrono::system_clock::time_point deadline, ifed::v1::MatchResponse* response)>;
using WatchHandler = std::function<absl::Status(
    const std::string& peer, const ifed::v1::WatchRequest& request,
    std::chrono::system_clock::time_point deadline, ifed::v1::WatchResponse* response)>;
using DeliverHandler =
    std::function<absl::Status(const std::string& peer, const ifed::v1::DeliverRequest& request,
                               ifed::v1::DeliverResponse* response)>;
using ReportHandler = std::function<absl::Status(
    const std::string& peer, const ifed::v1::HitReport& report, ifed::v1::HitReportAck* ack)>;
using DeconflictHandler = std::function<absl::Status(
    const std::string& peer, const ifed::v1::DeconflictRequest& request,
    std::chrono::system_clock::time_point deadline, ifed::v1::DeconflictResponse* response)>;

// Everything the service calls, given at construction; pointers are not
// owned and must outlive the service. An unset (null or empty) collaborator
// turns its calls into FAILED_PRECONDITION, as noted.
struct FederationDeps {
  std::string trust_domain;
  const Matcher* matcher = nullptr;  // required.
  ServiceLimits limits;
  // Checked for every call once its caller is known: a non-OK status (the
  // store met damaged data) refuses the call (UNAVAILABLE to the peer).
  std::function<absl::Status()> serving_check;
  // Every answer and refusal is audited durably before the reply; answers
  // carry a signed receipt.
  const audit::InboundAuditor* auditor = nullptr;
  // OPRF scheme. Null: the OPRF calls answer FAILED_PRECONDITION
  // (oprf_seed_file not configured).
  OprfResponder* oprf = nullptr;
  // The node key that signs OprfPublicKey answers (oprf_key_statement.h),
  // the one in force (it changes when the certificate is renewed), and this
  // node's id. Empty: answers go unsigned, and queriers refuse them.
  std::function<std::shared_ptr<const audit::Signer>()> key_signer;
  std::string node_id;
  // Hub role: Match relayed to members (node/hub/relay.h). Empty: member.
  MatchHandler relay;
  // The OPRF scheme through the hub (oprf_relay.h). On the hub: OPRF calls
  // carrying x-ifed-relay-to are relayed, and HubMembers answers.
  OprfRelay* oprf_relay = nullptr;
  // On a member: which peers are hubs (config peers[].role), the only
  // callers whose x-ifed-on-behalf-of is accepted.
  std::function<bool(const std::string& peer)> is_hub;
  // Relays widen nothing (relay_auth.h): a call from a hub (Match,
  // MatchStream, Deconflict, Watch, the OPRF calls) is answered only for a
  // querier whose signed authorization of that very call verifies, and then
  // under this node's rules for both. Null: every call from a hub is refused.
  std::unique_ptr<RelayVerifier> relay_verifier;
  // Follow-ups. Null: FollowUp answers FAILED_PRECONDITION.
  const FollowUpDesk* followups = nullptr;
  // Watches and outbox deliveries. Null: the call answers FAILED_PRECONDITION.
  const WatchDesk* watches = nullptr;
  Inbox* inbox = nullptr;
  // Hub role: Watch relayed to members and Deliver taking the members'
  // notifications for the queriers (node/hub/watch_relay.h) instead of the
  // desk and the inbox. Empty: member.
  WatchHandler watch_relay;
  DeliverHandler deliver_relay;
  // Hit reports from members (hub role; node/hub/reports.h). Empty:
  // ReportHits answers FAILED_PRECONDITION.
  ReportHandler reports;
  // Deconfliction through the hub (node/hub/relay.h).
  DeconflictHandler deconflict_relay;
};

class FederationService final : public ifed::v1::Federation::Service {
 public:
  explicit FederationService(FederationDeps d)
      : trust_domain_(std::move(d.trust_domain)),
        matcher_(d.matcher),
        limits_(d.limits),
        replay_(d.limits.replay),
        serving_check_(std::move(d.serving_check)),
        auditor_(d.auditor),
        oprf_(d.oprf),
        key_signer_(std::move(d.key_signer)),
        node_id_(std::move(d.node_id)),
        relay_(std::move(d.relay)),
        oprf_relay_(d.oprf_relay),
        is_hub_(std::move(d.is_hub)),
        relay_verifier_(std::move(d.relay_verifier)),
        followups_(d.followups),
        watches_(d.watches),
        inbox_(d.inbox),
        watch_relay_(std::move(d.watch_relay)),
        deliver_relay_(std::move(d.deliver_relay)),
        reports_(std::move(d.reports)),
        deconflict_relay_(std::move(d.deconflict_relay)) {}

  grpc::Status Match(grpc::ServerContext* ctx, const ifed::v1::MatchRequest* request,
                     ifed::v1::MatchResponse* response) override;
  // The same as Match for each request of the stream, answered in order
  //; the first refusal ends the stream with its status.
  grpc::Status MatchStream(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<ifed::v1::MatchResponse, ifed::v1::MatchRequest>* stream) override;

  grpc::Status OprfPublicKey(grpc::ServerContext* ctx,
                             const ifed::v1::OprfPublicKeyRequest* request,
                             ifed::v1::OprfPublicKeyResponse* response) override;
  grpc::Status OprfEvaluate(grpc::ServerContext* ctx,
                            const ifed::v1::OprfEvaluateRequest* request,
                            ifed::v1::OprfEvaluateResponse* response) override;
  grpc::Status FilterSync(grpc::ServerContext* ctx, const ifed::v1::FilterSyncRequest* request,
                          grpc::ServerWriter<ifed::v1::FilterChunk>* writer) override;
  grpc::Status Resolve(grpc::ServerContext* ctx, const ifed::v1::ResolveRequest* request,
                       ifed::v1::ResolveResponse* response) override;

  grpc::Status HubMembers(grpc::ServerContext* ctx, const ifed::v1::HubMembersRequest* request,
                          ifed::v1::HubMembersResponse* response) override;
  grpc::Status FollowUp(grpc::ServerContext* ctx, const ifed::v1::FollowUpRequest* request,
                        ifed::v1::FollowUpResponse* response) override;
  // Takedown deconfliction: identity, node limits, the matcher,
  // then the audit event (durable before the answer).
  grpc::Status Deconflict(grpc::ServerContext* ctx, const ifed::v1::DeconflictRequest* request,
                          ifed::v1::DeconflictResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* ctx, const ifed::v1::WatchRequest* request,
                     ifed::v1::WatchResponse* response) override;
  grpc::Status ReportHits(grpc::ServerContext* ctx, const ifed::v1::HitReport* request,
                          ifed::v1::HitReportAck* response) override;
  grpc::Status Deliver(grpc::ServerContext* ctx, const ifed::v1::DeliverRequest* request,
                       ifed::v1::DeliverResponse* response) override;

 private:
  // The caller's node id from its certificate, once the call's stamps pass
  // (call_guard.h: claimed identity, request id, timestamp). Refusals are
  // logged and audited; the status is the one to send.
  absl::StatusOr<std::string> Admit(grpc::ServerContext* ctx, const char* method);
  // An OPRF call after Admit: `relay_to` set when the caller asks
  // this hub to relay it; `on_behalf_of` set when this node's hub relays it
  // for another node (refused from any caller that is not a hub).
  struct OprfCaller {
    std::string peer, relay_to, on_behalf_of;
    const std::string& partner() const { return on_behalf_of.empty() ? peer : on_behalf_of; }
    std::string via() const { return on_behalf_of.empty() ? std::string() : peer; }
    std::vector<std::pair<std::string, std::string>> audit_fields() const {
      if (on_behalf_of.empty()) return {};
      return {{"on_behalf_of", "peer:" + on_behalf_of}};
    }
  };
  absl::StatusOr<OprfCaller> AdmitOprf(grpc::ServerContext* ctx, const char* method);
  // The querier a call from `peer` is for: "" when `peer` asks for itself
  // (or this node is the hub, which passes the authorization on). A call
  // from a hub must carry the querier's authorization of exactly this call
  // (`rpc`, `request`, `purpose`), verified here before anything else; an
  // authorization from a peer that is not a hub is refused. Refusals are
  // logged and audited ("relay.refused").
  absl::StatusOr<std::string> RelayedFor(const std::string& peer, const char* method,
                                         const char* rpc, const google::protobuf::Message& request,
                                         ifed::v1::Purpose purpose,
                                         const ifed::v1::SignedRelayAuthorization& auth);
  // The same for an OPRF call admitted by AdmitOprf: sets c->on_behalf_of to
  // the verified querier (which the hub's x-ifed-on-behalf-of must match).
  absl::Status RelayedOprf(OprfCaller* c, const char* method, const char* rpc,
                           const google::protobuf::Message& request, ifed::v1::Purpose purpose,
                           const ifed::v1::SignedRelayAuthorization& auth);
  bool Relays() const {
    return relay_ || deconflict_relay_ || watch_relay_ || oprf_relay_ != nullptr;
  }
  // One keyed request of a verified peer: node limits, matcher (or hub
  // relay), durable audit, deadline.
  grpc::Status AnswerMatch(const grpc::ServerContext& ctx, const std::string& peer,
                           std::chrono::system_clock::time_point deadline,
                           const ifed::v1::MatchRequest& request,
                           ifed::v1::MatchResponse* response,
                           const std::string& on_behalf_of = "",
                           policy::Call call = policy::Call::kMatch) const;

  const std::string trust_domain_;
  const Matcher* matcher_;
  const ServiceLimits limits_;
  ReplayGuard replay_;
  std::function<absl::Status()> serving_check_;
  const audit::InboundAuditor* auditor_;
  OprfResponder* oprf_;
  std::function<std::shared_ptr<const audit::Signer>()> key_signer_;
  std::string node_id_;
  MatchHandler relay_;
  OprfRelay* oprf_relay_;
  std::function<bool(const std::string&)> is_hub_;
  std::unique_ptr<RelayVerifier> relay_verifier_;
  const FollowUpDesk* followups_;
  const WatchDesk* watches_;
  Inbox* inbox_;
  WatchHandler watch_relay_;
  DeliverHandler deliver_relay_;
  ReportHandler reports_;
  DeconflictHandler deconflict_relay_;
};

// absl::Status -> grpc::Status for a peer: the codes carry over; internal
// errors are not described to the peer.
grpc::Status ToPeerStatus(const absl::Status& s);

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_SERVICE_H_
