// Extraction and deconfliction on the admin API: a record's provenance (the posts it was
// extracted from, local only), the investigative hold, and takedown
// deconfliction with peers. Audit events carry counts, never a value, a case
// reference or a post address. Deconfliction is the thin adapter of
// query::DeconflictManager (node/query/deconflict_manager.h).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/audit/inbound.h"
#include "node/query/deconflict_manager.h"

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

// Deconfliction requests through the node's one peer transport; a hub's
// copy signed for the members it asks for this node (relay_auth.h).
class PeerDeconflictTransport final : public query::DeconflictTransport {
 public:
  PeerDeconflictTransport(query::PeerTransport* peers, query::OutboundMatcher* matcher)
      : peers_(peers), matcher_(matcher) {}
  bool IsHub(const std::string& peer) const override { return peers_->IsHub(peer); }
  absl::Status SignForHub(const std::string& hub, ifed::v1::DeconflictRequest* request) override {
    auto audience = matcher_->RelayAudience(hub, {}, {});
    if (!audience.ok() || audience->empty()) return audience.status();
    return peers_->SignRelay(hub, query::RelayedRpc::kDeconflict,
                             ifed::v1::TAKEDOWN_DECONFLICTION, std::move(*audience), request);
  }
  absl::StatusOr<ifed::v1::DeconflictResponse> Deconflict(
      const std::string& peer, const ifed::v1::DeconflictRequest& request) override {
    return peers_->Deconflict(peer, request);
  }

 private:
  query::PeerTransport* peers_;
  query::OutboundMatcher* matcher_;
};

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
  if (absl::Status s = query::DeconflictManager::CheckShape(
          request->type(), static_cast<size_t>(request->values_size()));
      !s.ok()) {
    return ToGrpc(s);
  }
  query::DeconflictAsk ask{.type = request->type(),
                           .values = {request->values().begin(), request->values().end()}};
  if (request->hub()) {  // One call; the hub asks its members.
    auto hub = ConfiguredHub();
    if (!hub.ok()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, std::string(hub.status().message()));
    }
    ask.peers.push_back(*hub);
  } else {
    auto selected = SelectPeers(request->all(), request->peers());
    if (!selected.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          std::string(selected.status().message()));
    }
    ask.peers = std::move(*selected);
  }
  PeerDeconflictTransport transport(transport_, matcher_.get());
  query::DeconflictManager manager({.normalizer = d_.normalizer,
                                    .keys = d_.keys,
                                    .policy = d_.policy,
                                    .audit = d_.audit,
                                    .transport = &transport,
                                    .now = d_.now});
  return ToGrpc(manager.Deconflict(LocalActor(ctx), ask, response));
}

}  // namespace ifed::admin
