// Hub side and member side of the hub: the hub's statistics over
// the admin socket, and a member's report of its direct hits to the hub.
#include <spdlog/spdlog.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"

namespace ifed::admin {

absl::Status AdminService::ReportHitsToHubs(grpc::ServerContext* ctx,
                                          const ifed::v1::MatchRequest& wire,
                                          const std::map<int, std::vector<int>>& order,
                                          const std::string& case_token,
                                          const ifed::v1::LocalMatchResponse& response) {
  if (d_.policy == nullptr) return absl::OkStatus();
  const std::vector<std::string> hubs = d_.peers->Hubs();
  if (hubs.empty()) return absl::OkStatus();
  // Direct answers only: a hub counted what it relayed itself.
  auto direct = [&](const ifed::v1::PeerItemResult& p) {
    return p.via().empty() && !d_.peers->IsHub(p.peer());
  };
  // The items that hit at a direct peer, in wire order, and who held them.
  ifed::v1::HitReport report;
  ifed::v1::MatchRequest* q = report.mutable_query();
  q->set_request_id(wire.request_id());
  q->set_purpose(wire.purpose());
  q->set_epoch(wire.epoch());
  q->set_case_token(case_token);
  std::vector<int> hit_items;
  std::map<int, ifed::v1::PseudonymBatch*> batches;
  std::set<std::string> holders;
  for (const auto& b : wire.batches()) {
    const auto it = order.find(b.type());
    if (it == order.end()) continue;
    for (size_t j = 0; j < it->second.size(); ++j) {
      const int idx = it->second[j];
      bool hit = false;
      for (const auto& p : response.items(idx).peers()) {
        if (direct(p) && p.verdict() == ifed::v1::HIT) {
          hit = true;
          holders.insert(p.peer());
        }
      }
      if (!hit) continue;
      auto*& batch = batches[b.type()];
      if (batch == nullptr) {
        batch = q->add_batches();
        batch->set_type(b.type());
      }
      batch->mutable_pseudonyms()->append(b.pseudonyms().substr(j * 32, 32));
      hit_items.push_back(idx);
    }
  }
  if (hit_items.empty()) return absl::OkStatus();
  // Batches were filled in wire order per type; the holders' results
  // follow the batches as sent.
  std::vector<int> sent_order;
  for (const auto& b : q->batches()) {
    for (int idx : hit_items) {
      if (response.items(idx).type() == b.type()) sent_order.push_back(idx);
    }
  }
  for (const std::string& h : holders) {
    auto* m = report.add_holders();
    m->set_member(h);
    m->set_status(ifed::v1::MEMBER_ANSWERED);
    for (int idx : sent_order) {
      ifed::v1::Verdict v = ifed::v1::NO_HIT;
      for (const auto& p : response.items(idx).peers()) {
        if (direct(p) && p.peer() == h && p.verdict() == ifed::v1::HIT) v = ifed::v1::HIT;
      }
      m->add_results()->set_verdict(v);
    }
  }
  std::vector<ifed::v1::IndicatorType> types;
  for (const auto& b : q->batches()) types.push_back(b.type());
  auto policy = d_.policy->Get();
  for (const std::string& hub : hubs) {
    const policy::EffectiveRule* rule = policy->Find(hub, policy::Direction::kOutbound, d_.now());
    if (rule == nullptr || !rule->rule.report_hits()) continue;  // the default: nothing.
    const policy::Decision allowed = policy->Decide({.partner = hub,
                                                     .direction = policy::Direction::kOutbound,
                                                     .purpose = wire.purpose(),
                                                     .types = types,
                                                     .scheme = ifed::v1::KEYED,
                                                     .now = d_.now()});
    grpc::Status s;
    if (!allowed.status.ok()) {
      s = grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                       absl::StrCat("not sent: our policy: ", allowed.reason));
    } else {
      absl::StatusOr<ifed::v1::HitReportAck> sent = transport_->ReportHits(hub, report);
      if (!sent.ok()) {
        s = grpc::Status(static_cast<grpc::StatusCode>(sent.status().code()),
                         std::string(sent.status().message()));
      }
    }
    if (d_.audit != nullptr) {  // what left for the hub: counts only.
      audit::Event e;
      e.action = "hub.report.out";
      e.actor = LocalActor(ctx);
      e.outcome = s.ok() ? "ok"
                  : s.error_code() == grpc::StatusCode::PERMISSION_DENIED ? "refused"
                                                                           : "error";
      e.Set("peer", hub)
          .Set("request_id", wire.request_id())
          .Set("items", static_cast<int64_t>(sent_order.size()))
          .Set("holders", static_cast<int64_t>(holders.size()))
          .Set("case_token", case_token.empty() ? "no" : "yes");
      if (!s.ok()) e.Set("code", static_cast<int64_t>(s.error_code())).Set("reason", s.error_message().substr(0, 200));
      IFED_RETURN_IF_ERROR(d_.audit->Append(e));
    }
    if (s.ok()) {
      spdlog::info("match {}: {} hits of {} partners reported to hub {}", wire.request_id(),
                   sent_order.size(), holders.size(), hub);
    } else {
      spdlog::warn("match {}: hit report to hub {} failed: {}", wire.request_id(), hub,
                   s.error_message());
    }
  }
  return absl::OkStatus();
}

grpc::Status AdminService::HubStats(grpc::ServerContext* ctx, const ifed::v1::HubStatsRequest* request,
                                    ifed::v1::HubStatsResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "HubStats"); !denied.ok()) return denied;
  if (d_.hub_stats == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this node is not a hub (config role: hub)");
  }
  *response = d_.hub_stats->Report(request->min_jurisdictions(), d_.hub_k_threshold);
  return grpc::Status::OK;
}

}  // namespace ifed::admin
