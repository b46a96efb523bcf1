// Follow-ups over the admin socket: the thin adapter of
// query::FollowUpManager (node/query/followup_manager.h), which holds the
// logic. Here: the caller's identity and roles, the request's fields into
// the manager's terms, and its status back as the gRPC status.

#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/common/logging.h"
#include "node/query/followup_manager.h"

namespace ifed::admin {
namespace {

// Follow-up steps through the node's one peer transport.
class PeerFollowUpTransport final : public query::FollowUpTransport {
 public:
  explicit PeerFollowUpTransport(query::PeerTransport* peers) : peers_(peers) {}
  bool Has(const std::string& peer) const override { return peers_->Has(peer); }
  absl::StatusOr<ifed::v1::FollowUpResponse> Send(
      const std::string& peer, const ifed::v1::FollowUpRequest& request) override {
    return peers_->FollowUp(peer, request);
  }

 private:
  query::PeerTransport* peers_;
};

}  // namespace

grpc::Status AdminService::FollowUps(grpc::ServerContext* ctx,
                                     const ifed::v1::FollowUpsRequest* request,
                                     ifed::v1::FollowUpsResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "FollowUps", request->action()); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  PeerFollowUpTransport transport(transport_);
  query::FollowUpManager manager({.node_id = d_.node_id,
                                  .contact = d_.contact,
                                  .store = d_.store,
                                  .audit = d_.audit,
                                  .policy = d_.policy,
                                  .transport = &transport,
                                  .now = d_.now,
                                  .kick_outbox = d_.kick_outbox});
  const std::string& action = request->action();
  absl::StatusOr<std::vector<ifed::v1::FollowUpRecord>> entries;
  if (action == "request") {
    auto r = manager.Request(LocalActor(ctx), {.peer = request->peer(),
                                               .reference = request->reference(),
                                               .purpose = request->purpose(),
                                               .legal_basis = request->legal_basis(),
                                               .justification = request->justification()});
    if (r.ok()) entries = std::vector<ifed::v1::FollowUpRecord>{std::move(*r)};
    else entries = r.status();
  } else if (action == "status") {  // poll the owners of our pending requests.
    entries = manager.Poll(request->followup_id());
  } else if (action == "list") {
    entries = manager.List(request->followup_id());
  } else if (action == "approve" || action == "deny") {
    auto r = manager.Decide(LocalActor(ctx), {.approve = action == "approve",
                                              .followup_id = request->followup_id(),
                                              .reference = request->reference(),
                                              .peer = request->peer(),
                                              .text = request->text(),
                                              .with_contact = request->with_contact()});
    if (r.ok()) entries = std::vector<ifed::v1::FollowUpRecord>{std::move(*r)};
    else entries = r.status();
  } else {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "action is one of request, status, list, approve, deny");
  }
  if (!entries.ok()) return ToGrpc(entries.status());
  for (ifed::v1::FollowUpRecord& r : *entries) *response->add_entries() = std::move(r);
  return grpc::Status::OK;
}

}  // namespace ifed::admin
