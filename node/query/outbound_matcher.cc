#include "node/query/outbound_matcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "node/audit/inbound.h"
#include "node/audit/receipt.h"
#include "node/common/logging.h"
#include "node/common/status_macros.h"
#include "node/federation/oprf/oprf_key_statement.h"
#include "node/policy/outbound_plan.h"

namespace ifed::query {
namespace {

void AddFailure(MatchOutcome* out, const std::string& peer, const absl::Status& s) {
  out->errors.push_back({peer, static_cast<int>(s.code()), std::string(s.message())});
}

absl::Status AuditUnavailable(const std::string& request_id, const absl::Status& a) {
  spdlog::error("match {}: audit failed: {}", request_id, std::string(a.message()));
  return absl::UnavailableError("audit log unavailable");
}

}  // namespace

// What the keyed part sends to whom: the peers our policy lets it go to,
// and per peer its own request and the forms it answers, in wire order,
// when that is not the common `wire` / `wire_order`.
struct OutboundMatcher::KeyedPlan {
  std::vector<std::string> peers;
  std::vector<int> wire_order;
  std::map<std::string, std::pair<ifed::v1::MatchRequest, std::vector<int>>> own;
};

absl::StatusOr<MatchOutcome> OutboundMatcher::Match(const MatchQuery& q) {
  if (q.wire.batches_size() == 0 || q.forms.empty()) {
    return absl::InvalidArgumentError("no item to ask");
  }
  if (q.peers.empty() && q.oprf_peers.empty()) {
    return absl::InvalidArgumentError("no peer to ask");
  }
  for (const std::string& p : q.peers) {
    if (!d_.transport->Has(p)) return absl::InvalidArgumentError(absl::StrCat("unknown peer '", p, "'"));
  }
  MatchOutcome out;
  if (!q.oprf_peers.empty()) {
    if (absl::Status a = MatchOprf(q, &out); !a.ok()) return AuditUnavailable(q.wire.request_id(), a);
    if (q.peers.empty()) return out;
  }
  IFED_RETURN_IF_ERROR(MatchKeyed(q, &out));
  return out;
}

absl::Status OutboundMatcher::PlanKeyed(const MatchQuery& q, KeyedPlan* plan, MatchOutcome* out) {
  const ifed::v1::MatchRequest& wire = q.wire;
  // Items in wire order: batches as added, each in insertion order.
  for (const auto& b : wire.batches()) {
    auto it = q.order.find(b.type());
    if (it != q.order.end()) plan->wire_order.insert(plan->wire_order.end(), it->second.begin(), it->second.end());
  }
  plan->peers = q.peers;
  if (d_.policy == nullptr) return absl::OkStatus();
  // Nothing leaves for a peer our own policy does not allow (purpose, types)
  // in the outbound direction; one snapshot for all peers. A derived form
  // of a type a peer's rule does not allow is left out of its request.
  auto policy = d_.policy->Get();
  policy::Query pq{.direction = policy::Direction::kOutbound, .purpose = wire.purpose(), .now = d_.now()};
  for (const auto& b : wire.batches()) pq.types.push_back(b.type());
  policy::OutboundPlan p = policy::PlanOutbound(*policy, pq, q.peers, q.value_types);
  std::vector<std::string> refusals;
  for (const auto& [peer, why] : p.refused) {
    out->errors.push_back({peer, static_cast<int>(absl::StatusCode::kPermissionDenied),
                           absl::StrCat("not sent: our policy ", policy->version(), ": ", why)});
    refusals.push_back(absl::StrCat(peer, ": ", why));
    spdlog::warn("match {} refused by outbound policy {}: {}: {}", wire.request_id(),
                 policy->version(), peer, why);
  }
  if (p.peers.empty()) {
    return absl::PermissionDeniedError(absl::StrCat("refused by our own policy ", policy->version(),
                                                    ", nothing was sent: ",
                                                    absl::StrJoin(refusals, "; ")));
  }
  for (const auto& [peer, types] : p.skipped) {
    auto& [request, order] = plan->own[peer];
    request = wire;
    request.clear_batches();
    for (const auto& b : wire.batches()) {
      if (!types.count(b.type())) *request.add_batches() = b;
    }
    std::map<ifed::v1::IndicatorType, uint32_t> left_out;
    for (int k : plan->wire_order) {
      const ifed::v1::IndicatorType t = q.forms[static_cast<size_t>(k)].type;
      if (types.count(t)) {
        ++left_out[t];
      } else {
        order.push_back(k);
      }
    }
    for (const auto& [type, why] : types) {
      out->skipped.push_back({peer, type, left_out[type],
                              absl::StrCat("our policy ", policy->version(), ": ", why)});
      spdlog::info("match to {}: {} derived {} form(s) not sent: our policy {}: {}", peer,
                   left_out[type], ifed::v1::IndicatorType_Name(type), policy->version(), why);
    }
  }
  plan->peers = std::move(p.peers);
  return absl::OkStatus();
}

absl::Status OutboundMatcher::MatchKeyed(const MatchQuery& q, MatchOutcome* out) {
  const std::string& request_id = q.wire.request_id();
  KeyedPlan plan;
  IFED_RETURN_IF_ERROR(PlanKeyed(q, &plan, out));
  // Only a hub gets the case token; its receipt covers what it was sent.
  // Relays widen nothing: what a hub relays carries our signed
  // authorization for the members it asks.
  for (const std::string& peer : plan.peers) {
    if (!d_.transport->IsHub(peer)) continue;
    auto it = plan.own.find(peer);
    if (it == plan.own.end()) it = plan.own.emplace(peer, std::make_pair(q.wire, plan.wire_order)).first;
    ifed::v1::MatchRequest& hw = it->second.first;
    hw.set_case_token(q.case_token);
    SignForHub(peer, RelayedRpc::kMatch, q.wire.purpose(),
               {q.wire.jurisdictions().begin(), q.wire.jurisdictions().end()},
               {q.wire.skip_members().begin(), q.wire.skip_members().end()},
               absl::StrCat("match ", request_id), &hw);
  }
  auto sent_to = [&](const std::string& peer) -> const ifed::v1::MatchRequest& {
    auto it = plan.own.find(peer);
    return it != plan.own.end() ? it->second.first : q.wire;
  };
  auto order_of = [&](const std::string& peer) -> const std::vector<int>& {
    auto it = plan.own.find(peer);
    return it != plan.own.end() ? it->second.second : plan.wire_order;
  };
  std::vector<std::future<absl::StatusOr<ifed::v1::MatchResponse>>> calls;
  for (const std::string& peer : plan.peers) {
    calls.push_back(std::async(std::launch::async, [this, peer, &request = sent_to(peer), id = request_id] {
      logging::RequestScope scope(id);
      return d_.transport->Match(peer, request);
    }));
  }
  if (d_.counters != nullptr) d_.counters->outbound_queries++;
  // Every call is waited for before anything returns (the calls borrow the plan).
  std::vector<absl::StatusOr<ifed::v1::MatchResponse>> answers;
  for (auto& c : calls) answers.push_back(c.get());
  for (size_t k = 0; k < plan.peers.size(); ++k) {
    const std::string& peer = plan.peers[k];
    auto& answer = answers[k];
    const std::vector<int>& asked = order_of(peer);
    if (answer.ok() && answer->results_size() != static_cast<int>(asked.size())) {
      answer = absl::DataLossError("peer answered a different number of items");
    }
    if (d_.audit != nullptr) {  // verify the receipt, keep it; durable before we show anything.
      if (absl::Status a = AuditOutbound(q.actor, peer, sent_to(peer), &answer); !a.ok()) {
        return AuditUnavailable(request_id, a);
      }
    }
    if (!answer.ok()) {
      AddFailure(out, peer, answer.status());
      spdlog::warn("match {} to {} failed: {}", request_id, peer, std::string(answer.status().message()));
      continue;
    }
    CollectKeyed(request_id, peer, *answer, asked, out);
  }
  return absl::OkStatus();
}

void OutboundMatcher::CollectKeyed(const std::string& request_id, const std::string& peer,
                                   const ifed::v1::MatchResponse& answer,
                                   const std::vector<int>& asked, MatchOutcome* out) {
  auto add_rows = [&](const std::string& who, const std::string& via,
                      const google::protobuf::RepeatedPtrField<ifed::v1::ItemResult>& results) {
    uint64_t hits = 0;
    for (size_t j = 0; j < asked.size(); ++j) {
      const auto& r = results.Get(static_cast<int>(j));
      out->rows.push_back({asked[j], who, via, "keyed", r.verdict(), r.reference(), r.contact()});
      hits += r.verdict() == ifed::v1::HIT;
    }
    return hits;
  };
  const bool from_hub = answer.members_size() > 0 || d_.transport->IsHub(peer) ||
                        answer.empty_jurisdictions_size() > 0;
  if (!from_hub) {
    const uint64_t hits = add_rows(peer, "", answer.results());
    spdlog::info("match {} to {}: {} items, {} hits", request_id, peer, asked.size(), hits);
    return;
  }
  // A hub's answer: one row per member, items in wire order.
  for (const ifed::v1::MemberAnswer& m : answer.members()) {
    const std::string who = absl::StrCat(peer, "/", m.member());
    if (m.status() != ifed::v1::MEMBER_ANSWERED || m.results_size() != static_cast<int>(asked.size())) {
      out->errors.push_back({who, m.code() != 0 ? m.code() : static_cast<int>(absl::StatusCode::kDataLoss),
                             absl::StrCat(ifed::v1::MemberStatus_Name(m.status()), ": ", m.message())});
      continue;
    }
    const uint64_t hits = add_rows(who, peer, m.results());
    spdlog::info("match {} via {}: {} items, {} hits, {} ms", request_id, who, asked.size(), hits,
                 m.latency_ms());
  }
  for (const std::string& j : answer.empty_jurisdictions()) {
    out->errors.push_back({peer, static_cast<int>(absl::StatusCode::kNotFound),
                           absl::StrCat("no member of jurisdiction ", j, " at the hub")});
  }
}

absl::Status OutboundMatcher::AuditOutbound(const std::string& actor, const std::string& peer,
                                            const ifed::v1::MatchRequest& wire,
                                            absl::StatusOr<ifed::v1::MatchResponse>* answer) {
  audit::Event e;
  e.action = "match.out";
  e.actor = actor;
  int64_t items = 0;
  const std::string types = audit::TypeCounts(wire, &items);
  e.Set("peer", peer)
      .Set("request_id", wire.request_id())
      .Set("purpose", ifed::v1::Purpose_Name(wire.purpose()))
      .Set("epoch", static_cast<int64_t>(wire.epoch()))
      .Set("items", items)
      .Set("types", types)
      .Set("request_digest", absl::BytesToHexString(audit::RequestDigest(wire)));
  if (answer->ok()) {
    absl::Status receipt = d_.transport->VerifyReceipt(peer, wire, **answer);
    if (!receipt.ok()) {
      spdlog::warn("match {} to {}: receipt rejected: {}", wire.request_id(), peer,
                   std::string(receipt.message()));
      *answer = absl::PermissionDeniedError(absl::StrCat("answer rejected: ", receipt.message()));
    }
  }
  if (!answer->ok()) {
    const absl::Status& s = answer->status();
    e.outcome = s.code() == absl::StatusCode::kPermissionDenied ||
                        s.code() == absl::StatusCode::kInvalidArgument ||
                        s.code() == absl::StatusCode::kResourceExhausted
                    ? "refused"
                    : "error";
    e.Set("code", absl::StatusCodeToString(s.code()))
        .Set("reason", std::string(s.message().substr(0, 200)));
    return d_.audit->Append(e);
  }
  const ifed::v1::MatchResponse& a = **answer;
  const ifed::v1::Receipt& r = a.receipt();
  int64_t hits = 0;
  for (const auto& item : a.results()) hits += item.verdict() == ifed::v1::HIT;
  e.outcome = "ok";
  e.Set("hits", hits)
      .Set("disclosure", ifed::v1::Disclosure_Name(a.disclosure()))
      .Set("receipt_ts_ms", r.ts_ms())
      .Set("receipt_policy", r.policy_version())
      .Set("response_digest", absl::BytesToHexString(r.response_digest()))
      .Set("receipt_sig", absl::BytesToHexString(r.signature()));
  if (r.checkpoint().seq() != 0) {
    const auto& cp = r.checkpoint();
    e.Set("peer_cp_node", cp.node())
        .Set("peer_cp_seq", static_cast<int64_t>(cp.seq()))
        .Set("peer_cp_hash", cp.hash())
        .Set("peer_cp_ts_ms", cp.ts_ms())
        .Set("peer_cp_sig", absl::BytesToHexString(cp.signature()));
  }
  return d_.audit->Append(e);
}

// --- helpers shared with watches ---

bool OutboundMatcher::UsesOprf(const std::string& peer) const {
  if (d_.policy != nullptr) {
    const auto policy = d_.policy->Get();
    if (const policy::EffectiveRule* r = policy->Find(peer, policy::Direction::kOutbound, d_.now())) {
      if (r->rule.scheme() == ifed::v1::OPRF) return true;
    }
  }
  return std::find(d_.oprf_peers.begin(), d_.oprf_peers.end(), peer) != d_.oprf_peers.end();
}

absl::Status OutboundMatcher::CheckOprfPeer(const std::string& peer) const {
  const auto [first, member] = SplitRelayed(peer);
  if (!d_.transport->Has(first)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown peer '", first, "'"));
  }
  if (peer.find('/') == std::string::npos) return absl::OkStatus();
  if (!d_.transport->IsHub(first)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", first, "' is not a hub (peers[].role: hub in the config): cannot ask '", peer, "'"));
  }
  if (member.empty() || member.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", peer, "' is not HUB/MEMBER"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ifed::v1::HubMembersResponse> OutboundMatcher::HubMembers(const std::string& hub) {
  return d_.transport->HubMembers(hub);
}

std::vector<std::string> OutboundMatcher::OprfMembersThroughHub(
    const std::string& hub, const std::vector<std::string>& jurisdictions) {
  std::vector<std::string> out;
  if (d_.oprf == nullptr) return out;
  auto members = HubMembers(hub);
  if (!members.ok()) {
    spdlog::warn("hub {} did not list its members ({}): keyed relay only", hub,
                 std::string(members.status().message()));
    return out;
  }
  const std::set<std::string> wanted(jurisdictions.begin(), jurisdictions.end());
  for (const auto& m : members->members()) {
    if (!wanted.empty() && !wanted.count(m.jurisdiction())) continue;
    if (!d_.oprf->FilterDigest(absl::StrCat(hub, "/", m.member())).ok()) continue;  // keyed
    out.push_back(m.member());
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> OutboundMatcher::RelayAudience(
    const std::string& hub, const std::vector<std::string>& jurisdictions,
    const std::vector<std::string>& skip) {
  IFED_ASSIGN_OR_RETURN(ifed::v1::HubMembersResponse members, HubMembers(hub));
  const std::set<std::string> wanted(jurisdictions.begin(), jurisdictions.end());
  const std::set<std::string> skipped(skip.begin(), skip.end());
  std::vector<std::string> audience;
  for (const auto& m : members.members()) {
    if (m.member() == d_.node_id || skipped.count(m.member())) continue;
    if (!wanted.empty() && !wanted.count(m.jurisdiction())) continue;
    audience.push_back(m.member());
  }
  return audience;
}

void OutboundMatcher::SignForHub(const std::string& hub, RelayedRpc rpc, ifed::v1::Purpose purpose,
                                 const std::vector<std::string>& jurisdictions,
                                 const std::vector<std::string>& skip, const std::string& what,
                                 google::protobuf::Message* request) {
  absl::StatusOr<std::vector<std::string>> audience = RelayAudience(hub, jurisdictions, skip);
  absl::Status signed_ok = audience.status();
  if (audience.ok() && !audience->empty()) {
    signed_ok = d_.transport->SignRelay(hub, rpc, purpose, std::move(*audience), request);
  }
  if (!signed_ok.ok()) {
    spdlog::warn("{} through hub {}: not signed: {}", what, hub, std::string(signed_ok.message()));
  }
}

absl::Status OutboundMatcher::SignOprf(const std::string& peer, RelayedRpc rpc,
                                       ifed::v1::Purpose purpose,
                                       google::protobuf::Message* request,
                                       const std::string& members) const {
  const size_t slash = peer.find('/');
  if (slash != std::string::npos) {
    return d_.transport->SignRelay(peer.substr(0, slash), rpc, purpose, {peer.substr(slash + 1)},
                                   request);
  }
  if (members.empty()) return absl::OkStatus();
  return d_.transport->SignRelay(peer, rpc, purpose, absl::StrSplit(members, ','), request);
}

federation::OprfQuerier::EvaluateFn OutboundMatcher::EvaluateAt(const std::string& peer) {
  return [this, peer](const ifed::v1::OprfEvaluateRequest& r)
             -> absl::StatusOr<ifed::v1::OprfEvaluateResponse> {
    IFED_RETURN_IF_ERROR(CheckOprfPeer(peer));
    ifed::v1::OprfEvaluateRequest signed_request = r;
    IFED_RETURN_IF_ERROR(SignOprf(peer, RelayedRpc::kOprfEvaluate, r.purpose(), &signed_request));
    return d_.transport->OprfEvaluate(peer, signed_request, "");
  };
}

}  // namespace ifed::query
