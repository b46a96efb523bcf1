// Extraction and deconfliction on the admin API: a record's provenance (the posts it was
// extracted from, local only), the investigative hold, and takedown
// deconfliction with peers. Audit events carry counts, never a value, a case
// reference or a post address.
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <future>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/audit/inbound.h"

namespace ifed::admin {
namespace {

constexpr size_t kMaxValues = 10'000;
constexpr size_t kMaxShown = 1'000;

grpc::Status Unavailable(const char* what, const absl::Status& s) {
  spdlog::error("{}: {}", what, std::string(s.message()));
  // A damaged store says what to do (and names no value): the operator needs it.
  if (absl::IsDataLoss(s)) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS,
                        absl::StrCat(what, " failed; nothing changed: ", s.message()));
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, absl::StrCat(what, " failed; nothing changed"));
}

void View(const ifed::v1::Record& r, ifed::v1::RecordView* v) {
  v->set_record_id(r.record_id());
  v->set_type(r.type());
  v->set_case_ref(r.case_ref());
  v->set_tlp(r.tlp());
  v->set_crime_area(r.crime_area());
  v->set_first_seen(r.first_seen());
  v->set_last_seen(r.last_seen());
  v->set_expires(r.expires());
  v->set_hold(r.hold());
  *v->mutable_provenance() = r.provenance();
}

std::string NewRequestId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(b), sizeof b));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> AdminService::RecordIdsOf(
    const normalize::Canonical& c) const {
  std::vector<std::string> ids;
  if (d_.keys == nullptr) {
    return absl::FailedPreconditionError("this node is a hub: it holds no federation key");
  }
  auto epochs = d_.store->IndexedEpochs();
  if (!epochs.ok()) return epochs.status();
  for (uint32_t epoch : *epochs) {
    if (!d_.keys->HasEpoch(epoch)) continue;
    auto p = d_.keys->Pseudonymize(epoch, c.type, c.value);
    if (!p.ok()) return absl::InternalError("pseudonymisation failed");
    auto found = d_.store->FindByPseudonym(epoch, static_cast<int>(c.type), *p);
    if (!found.ok()) return found.status();
    for (std::string& id : *found) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
    }
  }
  return ids;
}

grpc::Status AdminService::RecordsShow(grpc::ServerContext* ctx,
                                       const ifed::v1::RecordsShowRequest* request,
                                       ifed::v1::RecordsShowResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "RecordsShow"); !denied.ok()) return denied;
  const bool by_ref = !request->reference().empty();
  if (by_ref == !request->value().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "give either a reference or a type and a value");
  }
  std::vector<std::string> ids;
  if (by_ref) {
    if (request->reference().size() > 64) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "reference too long");
    }
    ids.push_back(request->reference());
    // A partner's reference is its own token for the record: this node
    // opens it for each partner its policy names (the local id works too).
    if (d_.sealer != nullptr && d_.policy != nullptr &&
        absl::IsNotFound(d_.store->GetRecord(request->reference()).status())) {
      std::set<std::string> partners;
      for (const auto& r : d_.policy->Get()->rules()) partners.insert(r.rule.partner());
      for (const std::string& p : partners) {
        if (auto id = d_.sealer->ResolveReference(p, request->reference()); id.ok()) {
          ids.push_back(*id);
          break;
        }
      }
    }
  } else {
    normalize::Options o;
    o.default_region = request->region();
    auto c = d_.normalizer->Normalize(static_cast<IndicatorType>(request->type()), request->value(), o);
    if (!c.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(c.status().message()));
    auto found = RecordIdsOf(*c);
    if (!found.ok()) return Unavailable("records", found.status());
    ids = std::move(*found);
  }
  for (const std::string& id : ids) {
    if (response->records_size() >= static_cast<int>(kMaxShown)) break;
    auto r = d_.store->GetRecord(id);
    if (r.status().code() == absl::StatusCode::kNotFound) continue;
    if (!r.ok()) return Unavailable("records", r.status());
    View(*r, response->add_records());
  }
  if (d_.audit != nullptr) {  // who looked at which evidence trail: counts only.
    audit::Event e;
    e.action = "records.show";
    e.actor = LocalActor(ctx);
    e.outcome = "ok";
    e.Set("by", by_ref ? "reference" : "value")
        .Set("records", static_cast<int64_t>(response->records_size()));
    if (absl::Status a = d_.audit->Append(e); !a.ok()) {
      response->Clear();
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
    }
  }
  if (by_ref && response->records_size() == 0) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no record with this reference");
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::Hold(grpc::ServerContext* ctx, const ifed::v1::HoldRequest* request,
                                ifed::v1::HoldResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Hold"); !denied.ok()) return denied;
  if (request->values_size() == 0 || request->values_size() > static_cast<int>(kMaxValues)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("between 1 and ", kMaxValues, " values"));
  }
  if (request->type() == ifed::v1::INDICATOR_TYPE_UNSPECIFIED) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a type is required");
  }
  normalize::Options o;
  o.default_region = request->region();
  std::vector<std::string> ids;
  for (int i = 0; i < request->values_size(); ++i) {
    auto c = d_.normalizer->Normalize(static_cast<IndicatorType>(request->type()), request->values(i), o);
    if (!c.ok()) {
      response->add_errors(absl::StrCat("value ", i + 1, ": ", c.status().message()));
      continue;
    }
    // The value and the indicators it names (a t.me link and its channel
    // handle are one page): a hold covers every name of it.
    std::vector<std::string> found;
    std::vector<const normalize::Canonical*> forms = {&*c};
    for (const auto& d : c->derived) forms.push_back(&d);
    for (const normalize::Canonical* f : forms) {
      auto more = RecordIdsOf(*f);
      if (!more.ok()) return Unavailable("hold", more.status());
      found.insert(found.end(), more->begin(), more->end());
    }
    size_t kept = 0;
    for (const std::string& id : found) {
      if (!request->case_ref().empty()) {
        auto r = d_.store->GetRecord(id);
        if (!r.ok() || r->case_ref() != request->case_ref()) continue;
      }
      ids.push_back(id);
      ++kept;
    }
    if (kept == 0) response->set_not_found(response->not_found() + 1);
  }
  if (response->errors_size() > 0) {  // all or nothing, as erase.
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat(response->errors_size(), " invalid value(s), nothing changed: ",
                                     response->errors(0)));
  }
  auto make = [&](const store::Store::HoldResult& r) {
    audit::Event e;
    e.action = request->set() ? "hold.set" : "hold.clear";
    e.actor = LocalActor(ctx);
    e.outcome = "ok";
    e.Set("values", static_cast<int64_t>(request->values_size()))
        .Set("changed", static_cast<int64_t>(r.changed))
        .Set("unchanged", static_cast<int64_t>(r.unchanged))
        .Set("not_found", static_cast<int64_t>(response->not_found()));
    return e;
  };
  absl::StatusOr<store::Store::HoldResult> result;
  if (d_.audit == nullptr) {
    result = d_.store->SetHold(ids, request->set(), nullptr);
  } else {
    absl::Status s = d_.audit->Write([&](const audit::AuditLog::EntriesFn& entries) {
      result = d_.store->SetHold(ids, request->set(),
                                 [&](const store::Store::HoldResult& r)
                                     -> absl::StatusOr<store::Store::AuditEntries> {
                                   return entries(make(r));
                                 });
      return result.status();
    });
    if (!s.ok()) result = s;
  }
  if (!result.ok()) return Unavailable("hold", result.status());
  response->set_changed(result->changed);
  response->set_unchanged(result->unchanged);
  spdlog::info("hold {}: {} records changed, {} unchanged", request->set() ? "set" : "clear",
               result->changed, result->unchanged);
  return grpc::Status::OK;
}

grpc::Status AdminService::Deconflict(grpc::ServerContext* ctx,
                                      const ifed::v1::LocalDeconflictRequest* request,
                                      ifed::v1::LocalDeconflictResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Deconflict"); !denied.ok()) return denied;
  if (d_.keys == nullptr) return NoFederationKey();
  if (request->type() != ifed::v1::URL && request->type() != ifed::v1::HANDLE) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "--type must be url or handle");
  }
  if (request->values_size() == 0 || request->values_size() > static_cast<int>(kMaxValues)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("between 1 and ", kMaxValues, " values"));
  }
  std::vector<std::string> peers;
  if (request->hub()) {  // One call; the hub asks its members.
    auto hub = ConfiguredHub();
    if (!hub.ok()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, std::string(hub.status().message()));
    }
    peers.push_back(*hub);
  } else {
    auto selected = SelectPeers(request->all(), request->peers());
    if (!selected.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          std::string(selected.status().message()));
    }
    peers = std::move(*selected);
  }
  const std::string request_id = NewRequestId();
  response->set_request_id(request_id);
  ifed::v1::DeconflictRequest wire;
  wire.set_request_id(request_id);
  wire.set_epoch(d_.keys->current_epoch());
  // Each item asks its canonical form and the URL/handle forms it derives
  // (a t.me link and the telegram handle are one page): held if any is.
  std::map<int, ifed::v1::PseudonymBatch*> batches;
  std::map<int, std::vector<int>> owner;  // type -> item index per pseudonym, batch order.
  for (int i = 0; i < request->values_size(); ++i) {
    auto* item = response->add_items();
    auto c = d_.normalizer->Normalize(static_cast<IndicatorType>(request->type()), request->values(i), {});
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
      auto p = d_.keys->Pseudonymize(wire.epoch(), f->type, f->value);
      if (!p.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "pseudonymisation failed");
      auto*& batch = batches[static_cast<int>(f->type)];
      if (batch == nullptr) {
        batch = wire.add_batches();
        batch->set_type(static_cast<ifed::v1::IndicatorType>(f->type));
      }
      batch->mutable_pseudonyms()->append(p->begin(), p->end());
      owner[static_cast<int>(f->type)].push_back(i);
    }
  }
  if (wire.batches_size() == 0) return grpc::Status::OK;
  std::vector<int> wire_owner;
  for (const auto& b : wire.batches()) {
    const auto& o = owner[b.type()];
    wire_owner.insert(wire_owner.end(), o.begin(), o.end());
  }
  if (d_.policy != nullptr) {  // our own outbound policy first.
    auto policy = d_.policy->Get();
    policy::Query q{.direction = policy::Direction::kOutbound,
                    .purpose = ifed::v1::TAKEDOWN_DECONFLICTION,
                    .now = d_.now()};
    for (const auto& b : wire.batches()) q.types.push_back(b.type());
    peers = AllowedOutbound(*policy, q, peers, response->mutable_peer_errors());
  }
  // Through a hub: signed for the members it asks (relay_auth.h).
  std::map<std::string, ifed::v1::DeconflictRequest> hub_wires;
  for (const std::string& peer : peers) {
    if (!d_.peers->IsHub(peer)) continue;
    ifed::v1::DeconflictRequest& hw = hub_wires[peer];
    hw = wire;
    auto audience = RelayAudience(peer, {}, {});
    absl::Status signed_ok = audience.status();
    if (audience.ok() && !audience->empty()) {
      signed_ok = AuthorizeRelay(peer, federation::kRpcDeconflict,
                                 ifed::v1::TAKEDOWN_DECONFLICTION, std::move(*audience), &hw);
    }
    if (!signed_ok.ok()) {
      spdlog::warn("deconflict {} through hub {}: not signed: {}", wire.request_id(), peer,
                   std::string(signed_ok.message()));
    }
  }
  std::vector<std::future<absl::StatusOr<ifed::v1::DeconflictResponse>>> calls;
  for (const std::string& peer : peers) {
    auto it = hub_wires.find(peer);
    const ifed::v1::DeconflictRequest& sent = it != hub_wires.end() ? it->second : wire;
    calls.push_back(std::async(std::launch::async,
                               [this, peer, &sent] { return d_.peers->Deconflict(peer, sent); }));
  }
  ifed::v1::MatchRequest shape;
  *shape.mutable_batches() = wire.batches();
  int64_t items = 0;
  const std::string types = audit::TypeCounts(shape, &items);
  for (size_t k = 0; k < peers.size(); ++k) {
    auto answer = calls[k].get();
    if (answer.ok() && answer->results_size() != static_cast<int>(wire_owner.size())) {
      answer = absl::DataLossError("peer answered a different number of items");
    }
    int64_t held = 0;
    if (answer.ok()) {
      for (const auto& r : answer->results()) held += r.status() == ifed::v1::HOLD_HELD;
    }
    if (d_.audit != nullptr) {  // durable before anything is shown.
      audit::Event e;
      e.action = "deconflict.out";
      e.actor = LocalActor(ctx);
      e.outcome = answer.ok() ? "ok"
                  : answer.status().code() == absl::StatusCode::kPermissionDenied ? "refused"
                                                                                   : "error";
      e.Set("peer", peers[k])
          .Set("request_id", request_id)
          .Set("purpose", ifed::v1::Purpose_Name(ifed::v1::TAKEDOWN_DECONFLICTION))
          .Set("items", items)
          .Set("types", types)
          .Set("held", held);
      if (!answer.ok()) {
        e.Set("code", absl::StatusCodeToString(answer.status().code()))
            .Set("reason", std::string(answer.status().message().substr(0, 200)));
      }
      if (!d_.audit->Append(e).ok()) {
        response->Clear();
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
      }
    }
    if (!answer.ok()) {
      auto* e = response->add_peer_errors();
      e->set_peer(peers[k]);
      e->set_code(static_cast<int>(answer.status().code()));
      e->set_message(std::string(answer.status().message()));
      continue;
    }
    // Merge per item: held if any of its forms is held.
    auto add_rows = [&](const std::string& who,
                        const google::protobuf::RepeatedPtrField<ifed::v1::DeconflictResult>& rs) {
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
    };
    if (answer->members_size() > 0) {  // a hub's answer: one row per member.
      for (const ifed::v1::MemberDeconflict& m : answer->members()) {
        const std::string who = absl::StrCat(peers[k], "/", m.member());
        if (!AddMemberError(who, m, wire_owner.size(), response)) add_rows(who, m.results());
      }
    } else {
      add_rows(peers[k], answer->results());
    }
    spdlog::info("deconflict {} to {}: {} items, {} held", request_id, peers[k], items, held);
  }
  return grpc::Status::OK;
}

}  // namespace ifed::admin
