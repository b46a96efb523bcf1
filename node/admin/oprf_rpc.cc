// AdminService, OPRF scheme, querier side: `ifedctl filters sync`. The
// partners' keys and filters are fetched and checked by the outbound
// matcher (node/query/outbound_matcher.h); here the peers to sync are
// chosen and the outcome reported.
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/common/logging.h"

namespace ifed::admin {

absl::StatusOr<std::string> AdminService::ConfiguredHub() const {
  const std::vector<std::string> hubs = d_.peers->Hubs();
  if (hubs.empty()) {
    return absl::FailedPreconditionError(
        "no hub configured: mark the hub's entry in peers with `role: hub`");
  }
  return hubs.front();
}

void AdminService::SyncPeers(const std::string& actor, const std::vector<std::string>& peers,
                             ifed::v1::FiltersSyncResponse* response) {
  for (const std::string& p : peers) {
    auto* st = response->add_peers();
    st->set_peer(p);
    absl::Status s = matcher_->SyncFilter(actor, p, st);
    st->set_ok(s.ok());
    if (!s.ok()) {
      st->set_error(absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message()));
      spdlog::warn("filter sync with {} failed: {}", p, std::string(s.message()));
    } else if (st->changed()) {
      spdlog::info("filter sync with {}: {} items, version {}, {}", p, st->items(), st->version(),
                   st->delta() ? absl::StrCat("delta +", st->added(), " -", st->removed())
                               : std::string("snapshot"));
    }
  }
}

std::vector<std::string> AdminService::OprfPeers() const {
  std::vector<std::string> peers;
  for (const auto& [id, addr] : d_.peers->peers()) {
    if (matcher_->UsesOprf(id)) peers.push_back(id);
  }
  // Members asked through the hub once (`filters sync --hub`)
  // stay in the periodic sync.
  if (d_.oprf != nullptr) {
    for (const std::string& hub : d_.peers->Hubs()) {
      for (std::string& p : d_.oprf->RelayedPeers(hub)) peers.push_back(std::move(p));
    }
  }
  return peers;
}

void AdminService::SyncAllFilters() {
  if (d_.oprf == nullptr) return;
  ifed::v1::FiltersSyncResponse response;
  SyncPeers("node", OprfPeers(), &response);
}

grpc::Status AdminService::FiltersSync(grpc::ServerContext* ctx,
                                       const ifed::v1::FiltersSyncRequest* request,
                                       ifed::v1::FiltersSyncResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "FiltersSync"); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  if (d_.oprf == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "OPRF is not set up on this node");
  }
  std::vector<std::string> peers(request->peers().begin(), request->peers().end());
  if (request->hub()) {  // Every member the hub relays to for us.
    auto hub = ConfiguredHub();
    if (!hub.ok()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, std::string(hub.status().message()));
    }
    auto members = matcher_->HubMembers(*hub);
    if (!members.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(members.status().code()),
                          absl::StrCat("hub ", *hub, ": ", members.status().message()));
    }
    for (const auto& m : members->members()) peers.push_back(absl::StrCat(*hub, "/", m.member()));
    if (peers.empty()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("hub ", *hub, " relays to no member for this node"));
    }
  }
  if (peers.empty()) peers = OprfPeers();
  for (const std::string& p : peers) {
    if (absl::Status s = matcher_->CheckOprfPeer(p); !s.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(s.message()));
    }
  }
  SyncPeers(LocalActor(ctx), peers, response);
  return grpc::Status::OK;
}

}  // namespace ifed::admin
