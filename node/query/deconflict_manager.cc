#include "node/query/deconflict_manager.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <future>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/audit/inbound.h"

namespace ifed::query {
namespace {

std::string NewRequestId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(b), sizeof b));
}

// A member's part of a hub's answer that cannot be shown as rows (not
// answered, or not one result per item sent) becomes a peer error
// "<hub>/<member>"; true when it did.
bool AddMemberError(const std::string& who, const ifed::v1::MemberDeconflict& m, size_t items,
                    ifed::v1::LocalDeconflictResponse* response) {
  if (m.status() == ifed::v1::MEMBER_ANSWERED && m.results_size() == static_cast<int>(items)) {
    return false;
  }
  auto* e = response->add_peer_errors();
  e->set_peer(who);
  e->set_code(m.code() != 0 ? m.code() : static_cast<int>(absl::StatusCode::kDataLoss));
  e->set_message(absl::StrCat(ifed::v1::MemberStatus_Name(m.status()), ": ", m.message()));
  return true;
}

// Merges one partner's (or member's) results per item: held if any of its
// forms is held.
void AddRows(const std::string& who,
             const google::protobuf::RepeatedPtrField<ifed::v1::DeconflictResult>& rs,
             const std::vector<int>& wire_owner, ifed::v1::LocalDeconflictResponse* response) {
  std::map<int, ifed::v1::PeerHoldResult> per_item;
  for (size_t j = 0; j < wire_owner.size(); ++j) {
    const auto& r = rs.Get(static_cast<int>(j));
    auto& out = per_item[wire_owner[j]];
    out.set_peer(who);
    if (out.status() != ifed::v1::HOLD_HELD) {
      out.set_status(r.status() == ifed::v1::HOLD_HELD ? ifed::v1::HOLD_HELD
                                                       : ifed::v1::HOLD_CLEAR);
    }
    if (!r.contact().empty()) out.set_contact(r.contact());
  }
  for (auto& [i, r] : per_item) *response->mutable_items(i)->add_peers() = std::move(r);
}

}  // namespace

absl::Status DeconflictManager::CheckShape(ifed::v1::IndicatorType type, size_t values) {
  if (type != ifed::v1::URL && type != ifed::v1::HANDLE) {
    return absl::InvalidArgumentError("--type must be url or handle");
  }
  if (values == 0 || values > kMaxDeconflictValues) {
    return absl::InvalidArgumentError(
        absl::StrCat("between 1 and ", kMaxDeconflictValues, " values"));
  }
  return absl::OkStatus();
}

absl::Status DeconflictManager::BuildWire(const DeconflictAsk& ask,
                                          ifed::v1::DeconflictRequest* wire,
                                          std::vector<int>* wire_owner,
                                          ifed::v1::LocalDeconflictResponse* response) const {
  // Each item asks its canonical form and the URL/handle forms it derives
  // (a t.me link and the telegram handle are one page): held if any is.
  std::map<int, ifed::v1::PseudonymBatch*> batches;
  std::map<int, std::vector<int>> owner;  // type -> item index per pseudonym, batch order.
  for (size_t n = 0; n < ask.values.size(); ++n) {
    const int i = static_cast<int>(n);
    auto* item = response->add_items();
    auto c = d_.normalizer->Normalize(static_cast<IndicatorType>(ask.type), ask.values[n], {});
    if (!c.ok()) {
      item->set_error(std::string(c.status().message()));
      continue;
    }
    item->set_ok(true);
    item->set_canonical(c->value);
    item->set_type(static_cast<ifed::v1::IndicatorType>(c->type));
    std::vector<const normalize::Canonical*> forms = {&*c};
    for (const auto& d : c->derived) forms.push_back(&d);
    for (const normalize::Canonical* f : forms) {
      if (f->type != IndicatorType::kUrl && f->type != IndicatorType::kHandle) continue;
      auto p = d_.keys->Pseudonymize(wire->epoch(), f->type, f->value);
      if (!p.ok()) return absl::InternalError("pseudonymisation failed");
      auto*& batch = batches[static_cast<int>(f->type)];
      if (batch == nullptr) {
        batch = wire->add_batches();
        batch->set_type(static_cast<ifed::v1::IndicatorType>(f->type));
      }
      batch->mutable_pseudonyms()->append(p->begin(), p->end());
      owner[static_cast<int>(f->type)].push_back(i);
    }
  }
  for (const auto& b : wire->batches()) {
    const auto& o = owner[b.type()];
    wire_owner->insert(wire_owner->end(), o.begin(), o.end());
  }
  return absl::OkStatus();
}

absl::Status DeconflictManager::AuditAnswer(
    const std::string& actor, const std::string& peer, const std::string& request_id,
    int64_t items, const std::string& types,
    const absl::StatusOr<ifed::v1::DeconflictResponse>& answer, int64_t held) {
  if (d_.audit == nullptr) return absl::OkStatus();
  audit::Event e;
  e.action = "deconflict.out";
  e.actor = actor;
  e.outcome = answer.ok() ? "ok"
              : answer.status().code() == absl::StatusCode::kPermissionDenied ? "refused"
                                                                               : "error";
  e.Set("peer", peer)
      .Set("request_id", request_id)
      .Set("purpose", ifed::v1::Purpose_Name(ifed::v1::TAKEDOWN_DECONFLICTION))
      .Set("items", items)
      .Set("types", types)
      .Set("held", held);
  if (!answer.ok()) {
    e.Set("code", absl::StatusCodeToString(answer.status().code()))
        .Set("reason", std::string(answer.status().message().substr(0, 200)));
  }
  if (!d_.audit->Append(e).ok()) return absl::UnavailableError("audit log unavailable");
  return absl::OkStatus();
}

std::vector<std::string> DeconflictManager::AllowedPeers(
    const std::vector<std::string>& peers, const ifed::v1::DeconflictRequest& wire,
    ifed::v1::LocalDeconflictResponse* response) const {
  if (d_.policy == nullptr) return peers;
  auto policy = d_.policy->Get();
  policy::Query q{.direction = policy::Direction::kOutbound,
                  .purpose = ifed::v1::TAKEDOWN_DECONFLICTION,
                  .now = d_.now()};
  for (const auto& b : wire.batches()) q.types.push_back(b.type());
  std::vector<std::string> allowed;
  for (const std::string& peer : peers) {
    q.partner = peer;
    policy::Decision d = policy->Decide(q);
    if (d.status.ok()) {
      allowed.push_back(peer);
      continue;
    }
    ifed::v1::PeerError* e = response->add_peer_errors();
    e->set_peer(peer);
    e->set_code(static_cast<int>(absl::StatusCode::kPermissionDenied));
    e->set_message(absl::StrCat("not sent: our policy ", policy->version(), ": ", d.reason));
  }
  return allowed;
}

absl::Status DeconflictManager::TakeAnswer(
    const std::string& actor, const std::string& peer, const std::string& request_id,
    int64_t items, const std::string& types, const std::vector<int>& wire_owner,
    absl::StatusOr<ifed::v1::DeconflictResponse> answer,
    ifed::v1::LocalDeconflictResponse* response) {
  if (answer.ok() && answer->results_size() != static_cast<int>(wire_owner.size())) {
    answer = absl::DataLossError("peer answered a different number of items");
  }
  int64_t held = 0;
  if (answer.ok()) {
    for (const auto& r : answer->results()) held += r.status() == ifed::v1::HOLD_HELD;
  }
  // Durable before anything is shown.
  if (absl::Status a = AuditAnswer(actor, peer, request_id, items, types, answer, held); !a.ok()) {
    return a;
  }
  if (!answer.ok()) {
    auto* e = response->add_peer_errors();
    e->set_peer(peer);
    e->set_code(static_cast<int>(answer.status().code()));
    e->set_message(std::string(answer.status().message()));
    return absl::OkStatus();
  }
  if (answer->members_size() > 0) {  // a hub's answer: one row per member.
    for (const ifed::v1::MemberDeconflict& m : answer->members()) {
      const std::string who = absl::StrCat(peer, "/", m.member());
      if (!AddMemberError(who, m, wire_owner.size(), response)) {
        AddRows(who, m.results(), wire_owner, response);
      }
    }
  } else {
    AddRows(peer, answer->results(), wire_owner, response);
  }
  spdlog::info("deconflict {} to {}: {} items, {} held", request_id, peer, items, held);
  return absl::OkStatus();
}

absl::Status DeconflictManager::Deconflict(const std::string& actor, const DeconflictAsk& ask,
                                           ifed::v1::LocalDeconflictResponse* response) {
  if (d_.keys == nullptr) {
    return absl::FailedPreconditionError(
        "this node is a hub: it holds no federation key (ask from a member)");
  }
  if (absl::Status s = CheckShape(ask.type, ask.values.size()); !s.ok()) return s;
  const std::string request_id = NewRequestId();
  response->set_request_id(request_id);
  ifed::v1::DeconflictRequest wire;
  wire.set_request_id(request_id);
  wire.set_epoch(d_.keys->current_epoch());
  std::vector<int> wire_owner;
  if (absl::Status s = BuildWire(ask, &wire, &wire_owner, response); !s.ok()) return s;
  if (wire.batches_size() == 0) return absl::OkStatus();
  // Our own outbound policy first.
  const std::vector<std::string> peers = AllowedPeers(ask.peers, wire, response);
  // Through a hub: signed for the members it asks (relay_auth.h).
  std::map<std::string, ifed::v1::DeconflictRequest> hub_wires;
  for (const std::string& peer : peers) {
    if (!d_.transport->IsHub(peer)) continue;
    ifed::v1::DeconflictRequest& hw = hub_wires[peer];
    hw = wire;
    if (absl::Status signed_ok = d_.transport->SignForHub(peer, &hw); !signed_ok.ok()) {
      spdlog::warn("deconflict {} through hub {}: not signed: {}", wire.request_id(), peer,
                   std::string(signed_ok.message()));
    }
  }
  std::vector<std::future<absl::StatusOr<ifed::v1::DeconflictResponse>>> calls;
  for (const std::string& peer : peers) {
    auto it = hub_wires.find(peer);
    const ifed::v1::DeconflictRequest& sent = it != hub_wires.end() ? it->second : wire;
    calls.push_back(std::async(std::launch::async, [this, peer, &sent] {
      return d_.transport->Deconflict(peer, sent);
    }));
  }
  ifed::v1::MatchRequest shape;
  *shape.mutable_batches() = wire.batches();
  int64_t items = 0;
  const std::string types = audit::TypeCounts(shape, &items);
  for (size_t k = 0; k < peers.size(); ++k) {
    if (absl::Status a = TakeAnswer(actor, peers[k], request_id, items, types, wire_owner,
                                    calls[k].get(), response);
        !a.ok()) {
      response->Clear();
      return a;
    }
  }
  return absl::OkStatus();
}

}  // namespace ifed::query
