// Issue 10, hub side and member side of the hub: the hub's statistics over
// the admin socket, and a member's expansion of a hub's answer into rows per
// member (responder attribution).
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "node/admin/service.h"

namespace ifed::admin {

void AddHubAnswer(const std::string& hub, const ifed::v1::MatchResponse& answer,
                  const std::vector<int>& wire_order, ifed::v1::LocalMatchResponse* response) {
  for (const ifed::v1::MemberAnswer& m : answer.members()) {
    const std::string who = absl::StrCat(hub, "/", m.member());
    if (m.status() != ifed::v1::MEMBER_ANSWERED ||
        m.results_size() != static_cast<int>(wire_order.size())) {
      auto* e = response->add_peer_errors();
      e->set_peer(who);
      e->set_code(m.code() != 0 ? m.code() : static_cast<int>(grpc::StatusCode::DATA_LOSS));
      e->set_message(absl::StrCat(ifed::v1::MemberStatus_Name(m.status()), ": ", m.message()));
      continue;
    }
    uint64_t hits = 0;
    for (size_t j = 0; j < wire_order.size(); ++j) {
      const auto& r = m.results(static_cast<int>(j));
      auto* pr = response->mutable_items(wire_order[j])->add_peers();
      pr->set_peer(who);
      pr->set_via(hub);
      pr->set_scheme("keyed");
      pr->set_verdict(r.verdict());
      pr->set_reference(r.reference());
      pr->set_contact(r.contact());
      hits += r.verdict() == ifed::v1::HIT;
    }
    spdlog::info("match {} via {}: {} items, {} hits, {} ms", response->request_id(), who,
                 wire_order.size(), hits, m.latency_ms());
  }
  for (const std::string& j : answer.empty_jurisdictions()) {
    auto* e = response->add_peer_errors();
    e->set_peer(hub);
    e->set_code(static_cast<int>(grpc::StatusCode::NOT_FOUND));
    e->set_message(absl::StrCat("no member of jurisdiction ", j, " at the hub"));
  }
}

grpc::Status AdminService::HubStats(grpc::ServerContext*, const ifed::v1::HubStatsRequest* request,
                                    ifed::v1::HubStatsResponse* response) {
  if (d_.hub_stats == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this node is not a hub (config role: hub)");
  }
  *response = d_.hub_stats->Report(request->min_jurisdictions(), d_.hub_k_threshold);
  return grpc::Status::OK;
}

}  // namespace ifed::admin
