#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/policy/outbound_plan.h"
#include "node/common/logging.h"
#include "node/query/ingest_manager.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <optional>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ifed::admin {
namespace {

constexpr size_t kMaxMatchItems = 100'000;

std::string RandomId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(b), sizeof b));
}

normalize::Options NormOptions(const std::string& region, const std::string& platform = "") {
  normalize::Options o;
  o.default_region = region;
  o.platform = platform;
  return o;
}

// The reason a row's or item's platform does not fit, or "" (empty, or a
// known platform on a handle).
std::string PlatformError(ifed::v1::IndicatorType type, const std::string& platform) {
  if (platform.empty()) return "";
  if (type != ifed::v1::HANDLE) return "only handle rows name a platform";
  if (!normalize::IsKnownPlatform(platform)) return "unknown platform";
  return "";
}

// Folds the per-form rows of `forms` (item_of: form -> item) into one row
// per item and peer of `response`: the value's own verdict, or a HIT of a
// derived form (named in derived/form_type/form) when the value missed.
void FoldForms(const ifed::v1::LocalMatchResponse& forms, const std::vector<int>& item_of,
               ifed::v1::LocalMatchResponse* response) {
  for (const auto& e : forms.peer_errors()) *response->add_peer_errors() = e;
  for (const auto& f : forms.skipped_forms()) *response->add_skipped_forms() = f;
  for (int k = 0; k < forms.items_size(); ++k) {
    const auto& f = forms.items(k);
    auto* item = response->mutable_items(item_of[static_cast<size_t>(k)]);
    const bool is_derived = f.canonical() != item->canonical() || f.type() != item->type();
    for (const auto& p : f.peers()) {
      ifed::v1::PeerItemResult* row = nullptr;
      for (auto& r : *item->mutable_peers()) {
        if (r.peer() == p.peer()) row = &r;
      }
      if (row != nullptr && (row->verdict() == ifed::v1::HIT || p.verdict() != ifed::v1::HIT)) {
        continue;  // the value's own verdict stands, or an earlier HIT.
      }
      if (row == nullptr) row = item->add_peers();
      *row = p;
      if (is_derived && p.verdict() == ifed::v1::HIT) {
        row->set_derived(true);
        row->set_form_type(f.type());
        row->set_form(f.canonical());
      }
    }
  }
}

// `wire` without the batches of `types` (derived forms a peer's rule does
// not allow) into `out` (the request, and `order` without those forms), and
// one SkippedForms entry per type in `forms`.
void TrimForms(const ifed::v1::MatchRequest& wire, const std::vector<int>& order,
               const std::map<ifed::v1::IndicatorType, std::string>& types,
               const std::string& policy_version, const std::string& peer,
               ifed::v1::LocalMatchResponse* forms,
               std::pair<ifed::v1::MatchRequest, std::vector<int>>* out) {
  out->first = wire;
  out->first.clear_batches();
  for (const auto& b : wire.batches()) {
    if (!types.count(b.type())) *out->first.add_batches() = b;
  }
  std::map<ifed::v1::IndicatorType, uint32_t> left_out;
  for (int k : order) {
    const ifed::v1::IndicatorType t = forms->items(k).type();
    if (types.count(t)) {
      ++left_out[t];
    } else {
      out->second.push_back(k);
    }
  }
  for (const auto& [type, why] : types) {
    ifed::v1::SkippedForms* s = forms->add_skipped_forms();
    s->set_peer(peer);
    s->set_type(type);
    s->set_forms(left_out[type]);
    s->set_reason(absl::StrCat("our policy ", policy_version, ": ", why));
    spdlog::info("match to {}: {} derived {} form(s) not sent: our policy {}: {}", peer,
                 left_out[type], ifed::v1::IndicatorType_Name(type), policy_version, why);
  }
}

}  // namespace

std::vector<std::string> AllowedOutbound(
    const policy::Policy& policy, policy::Query q, const std::vector<std::string>& peers,
    google::protobuf::RepeatedPtrField<ifed::v1::PeerError>* errors,
    std::vector<std::string>* refusals) {
  std::vector<std::string> allowed;
  for (const std::string& peer : peers) {
    q.partner = peer;
    policy::Decision d = policy.Decide(q);
    if (d.status.ok()) {
      allowed.push_back(peer);
      continue;
    }
    ifed::v1::PeerError* e = errors->Add();
    e->set_peer(peer);
    e->set_code(static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
    e->set_message(absl::StrCat("not sent: our policy ", policy.version(), ": ", d.reason));
    if (refusals != nullptr) refusals->push_back(absl::StrCat(peer, ": ", d.reason));
  }
  return allowed;
}

absl::StatusOr<std::vector<std::string>> AdminService::SelectPeers(
    bool all, const google::protobuf::RepeatedPtrField<std::string>& named) const {
  std::vector<std::string> peers;
  if (all) {  // every direct peer: a hub is asked with --hub (else members twice)
    for (const auto& [id, addr] : d_.peers->peers()) {
      if (!d_.peers->IsHub(id)) peers.push_back(id);
    }
    if (peers.empty() && !d_.peers->Hubs().empty()) {
      return absl::InvalidArgumentError("--all: the only peer is the hub; ask it with --hub");
    }
  } else {
    for (const std::string& p : named) {
      if (!d_.peers->Has(p)) return absl::InvalidArgumentError(absl::StrCat("unknown peer '", p, "'"));
      peers.push_back(p);
    }
  }
  if (peers.empty()) return absl::InvalidArgumentError("no peer to ask (--peer ID or --all)");
  return peers;
}

grpc::Status AdminService::Ingest(grpc::ServerContext* ctx,
                                  grpc::ServerReader<ifed::v1::IngestChunk>* reader,
                                  ifed::v1::IngestResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Ingest"); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  if (d_.keys == nullptr) return NoFederationKey();
  const query::IngestManager manager({.unit = d_.unit,
                                      .default_retention_days = d_.default_retention_days,
                                      .retention = d_.retention,
                                      .store = d_.store,
                                      .normalizer = d_.normalizer,
                                      .keys = d_.keys,
                                      .sealer = d_.sealer,
                                      .audit = d_.audit,
                                      .now = d_.now,
                                      .on_records_changed = d_.on_records_changed,
                                      .kick_outbox = d_.kick_outbox});
  absl::Status s = manager.Ingest(
      LocalActor(ctx), [reader](ifed::v1::IngestChunk* chunk) { return reader->Read(chunk); },
      [ctx] { return ctx->IsCancelled(); }, response);
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::Status ResumeStagedIngests(store::Store* store, audit::AuditLog* audit) {
  return query::ResumeStagedIngests(store, audit);
}

grpc::Status AdminService::Normalize(grpc::ServerContext* ctx,
                                     const ifed::v1::NormalizeRequest* request,
                                     ifed::v1::NormalizeResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Normalize"); !denied.ok()) return denied;
  if (request->values_size() > static_cast<int>(kMaxMatchItems)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "too many values");
  }
  response->set_canon_version(normalize::kCanonicalVersion);
  normalize::Options options = NormOptions(request->region());
  options.platform = request->platform();
  for (const std::string& v : request->values()) {
    auto* r = response->add_results();
    auto c = d_.normalizer->Normalize(static_cast<IndicatorType>(request->type()), v, options);
    if (c.ok()) {
      r->set_ok(true);
      r->set_type(static_cast<ifed::v1::IndicatorType>(c->type));
      r->set_canonical(c->value);
      if (const std::string* w = c->AnyWarning()) r->set_warning(*w);
      for (const normalize::Canonical& d : c->derived) {
        auto* out = r->add_derived();
        out->set_type(static_cast<ifed::v1::IndicatorType>(d.type));
        out->set_canonical(d.value);
        out->set_warning(d.warning);
      }
    } else {
      r->set_error(std::string(c.status().message()));
    }
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::Match(grpc::ServerContext* ctx, const ifed::v1::LocalMatchRequest* request,
                                 ifed::v1::LocalMatchResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Match"); !denied.ok()) return denied;
  if (request->items_size() == 0 || request->items_size() > static_cast<int>(kMaxMatchItems)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("between 1 and ", kMaxMatchItems, " items per match"));
  }
  for (const std::string& j : request->jurisdictions()) {
    if (j.size() != 2 || !absl::ascii_isupper(static_cast<unsigned char>(j[0])) ||
        !absl::ascii_isupper(static_cast<unsigned char>(j[1]))) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("jurisdiction '", j.substr(0, 8),
                                       "' is not an ISO 3166-1 alpha-2 code such as AT"));
    }
  }
  // A hub links what one case asked through an opaque token; the
  // case reference itself stays here.
  std::string case_token;
  if (!request->case_ref().empty()) {
    if (request->case_ref().size() > 256) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "--case is longer than 256 bytes");
    }
    auto t = d_.sealer->Token("ifed-case-token-v1", request->case_ref());
    if (!t.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "case token failed");
    case_token = std::move(*t);
  }
  std::vector<std::string> peers;
  std::vector<std::string> oprf_peers;
  std::vector<std::string> via_hub_oprf;  // members the hub is not to ask keyed
  if (request->hub()) {
    // One query to the configured hub. Members whose filter we
    // hold through it are asked with OPRF through it, the others keyed.
    if (request->all() || request->peers_size() > 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "--hub asks the configured hub; give no --peer or --all with it");
    }
    auto hub = ConfiguredHub();
    if (!hub.ok()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, std::string(hub.status().message()));
    }
    peers.push_back(*hub);
    for (const std::string& m : OprfMembersThroughHub(*hub, request->jurisdictions())) {
      oprf_peers.push_back(absl::StrCat(*hub, "/", m));
      via_hub_oprf.push_back(m);
    }
  } else {
    auto selected = SelectPeers(request->all(), request->peers());
    if (!selected.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(selected.status().message()));
    }
    peers = std::move(*selected);
  }
  // Peers asked with the OPRF scheme go their own way (oprf_rpc.cc).
  for (const std::string& p : peers) {
    if (UsesOprf(p) && !d_.peers->IsHub(p)) oprf_peers.push_back(p);  // a hub relays keyed
  }
  std::erase_if(peers, [&](const std::string& p) {
    return std::find(oprf_peers.begin(), oprf_peers.end(), p) != oprf_peers.end();
  });
  if (d_.keys == nullptr) return NoFederationKey();  // a hub: nothing to pseudonymise with.
  const std::string request_id = RandomId();
  response->set_request_id(request_id);
  // The same id goes on the wire: the querier's and the responders' log
  // lines of this query carry it.
  logging::RequestScope log_scope(request_id);
  ifed::v1::MatchRequest wire;
  wire.set_request_id(request_id);
  wire.set_purpose(request->purpose() == ifed::v1::PURPOSE_UNSPECIFIED
                       ? ifed::v1::MIGRANT_SMUGGLING
                       : request->purpose());
  wire.set_epoch(d_.keys->current_epoch());
  wire.set_canon_version(normalize::kCanonicalVersion);
  for (const std::string& j : request->jurisdictions()) wire.add_jurisdictions(j);
  for (const std::string& m : via_hub_oprf) wire.add_skip_members(m);
  // Every item is asked in all its forms: the value and each form derived
  // from it (a wa.me link's phone, a profile URL's handle, an address's
  // provider mailbox), so a partner holding only one form is found. Each
  // form is one item of `forms` (a response of its own, one row per form);
  // FoldForms merges them back into one row per item and peer.
  ifed::v1::LocalMatchResponse forms;
  std::vector<int> item_of;  // forms index -> request item index.
  // Group by canonical type; remember where each form went.
  std::map<int, ifed::v1::PseudonymBatch*> batches;
  std::map<int, std::vector<int>> order;  // type -> form indices, in batch order.
  for (int i = 0; i < request->items_size(); ++i) {
    const auto& item = request->items(i);
    auto* out = response->add_items();
    out->set_index(i);
    if (const std::string e = PlatformError(item.type(), item.platform()); !e.empty()) {
      out->set_error(absl::StrCat("platform: ", e));
      continue;
    }
    auto c = d_.normalizer->Normalize(static_cast<IndicatorType>(item.type()), item.value(),
                                      NormOptions(item.region(), item.platform()));
    if (!c.ok()) {
      out->set_error(std::string(c.status().message()));
      continue;
    }
    if (const std::string* w = c->AnyWarning()) {  // never asked: false hits.
      out->set_error(absl::StrCat("on the normalisation warning list: ", *w));
      continue;
    }
    out->set_ok(true);
    out->set_canonical(c->value);
    out->set_type(static_cast<ifed::v1::IndicatorType>(c->type));
    std::vector<const normalize::Canonical*> all = {&*c};
    for (const normalize::Canonical& d : c->derived) all.push_back(&d);
    for (const normalize::Canonical* f : all) {
      auto p = d_.keys->Pseudonymize(wire.epoch(), f->type, f->value);
      if (!p.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "pseudonymisation failed");
      const int k = forms.items_size();
      auto* fo = forms.add_items();
      fo->set_index(static_cast<uint32_t>(k));
      fo->set_ok(true);
      fo->set_canonical(f->value);
      fo->set_type(static_cast<ifed::v1::IndicatorType>(f->type));
      item_of.push_back(i);
      auto*& batch = batches[static_cast<int>(f->type)];
      if (batch == nullptr) {
        batch = wire.add_batches();
        batch->set_type(static_cast<ifed::v1::IndicatorType>(f->type));
      }
      batch->mutable_pseudonyms()->append(p->begin(), p->end());
      order[static_cast<int>(f->type)].push_back(k);
    }
  }
  if (wire.batches_size() == 0) return grpc::Status::OK;  // every item failed.
  std::set<ifed::v1::IndicatorType> value_types;  // the values' own (not derived) types
  for (const auto& item : response->items()) {
    if (item.ok()) value_types.insert(item.type());
  }
  // Asks the peers for the forms; rows and peer errors go to `response`
  // (the per-form response).
  auto ask = [&](ifed::v1::LocalMatchResponse* response) -> grpc::Status {
    if (!oprf_peers.empty()) {
      if (absl::Status a = MatchOprf(ctx, request_id, wire.purpose(), oprf_peers,
                                     request->resolve(), response);
          !a.ok()) {
        spdlog::error("match {}: audit failed: {}", request_id, std::string(a.message()));
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
      }
      if (peers.empty()) {
        if (absl::Status a = ReportHitsToHubs(ctx, wire, order, case_token, *response); !a.ok()) {
          spdlog::error("match {}: audit failed: {}", request_id, std::string(a.message()));
          return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
        }
        LogHits(request_id, wire.purpose(), *response);
        return grpc::Status::OK;
      }
    }
    // Items in wire order: batches as added, each in insertion order.
    std::vector<int> wire_order;
    for (const auto& b : wire.batches()) {
      const auto& idx = order[b.type()];
      wire_order.insert(wire_order.end(), idx.begin(), idx.end());
    }
    // Outbound policy: nothing leaves for a peer our own policy does not allow
    // (purpose, types) in the outbound direction; one snapshot for all peers.
    // A derived form of a type a peer's rule does not allow is left out of
    // that peer's request (`trimmed`: its request and the forms it answers).
    std::map<std::string, std::pair<ifed::v1::MatchRequest, std::vector<int>>> trimmed;
    if (d_.policy != nullptr) {
      auto policy = d_.policy->Get();
      policy::Query q{.direction = policy::Direction::kOutbound,
                      .purpose = wire.purpose(),
                      .now = d_.now()};
      for (const auto& b : wire.batches()) q.types.push_back(b.type());
      policy::OutboundPlan plan = policy::PlanOutbound(*policy, q, peers, value_types);
      std::vector<std::string> refusals;
      for (const auto& [peer, why] : plan.refused) {
        ifed::v1::PeerError* e = response->add_peer_errors();
        e->set_peer(peer);
        e->set_code(static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
        e->set_message(absl::StrCat("not sent: our policy ", policy->version(), ": ", why));
        refusals.push_back(absl::StrCat(peer, ": ", why));
        spdlog::warn("match {} refused by outbound policy {}: {}: {}", request_id,
                     policy->version(), peer, why);
      }
      if (plan.peers.empty()) {
        return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                            absl::StrCat("refused by our own policy ", policy->version(),
                                         ", nothing was sent: ", absl::StrJoin(refusals, "; ")));
      }
      for (const auto& [peer, types] : plan.skipped) {
        TrimForms(wire, wire_order, types, policy->version(), peer, response, &trimmed[peer]);
      }
      peers = std::move(plan.peers);
    }
    auto order_of = [&](const std::string& peer) -> const std::vector<int>& {
      auto it = trimmed.find(peer);
      return it != trimmed.end() ? it->second.second : wire_order;
    };
    // Only a hub gets the case token; its receipt covers what it was sent.
    // Relays widen nothing: what a hub relays carries our signed
    // authorization for the members it asks (relay_auth.h).
    std::map<std::string, ifed::v1::MatchRequest> hub_wires;
    for (const std::string& peer : peers) {
      if (!d_.peers->IsHub(peer)) continue;
      ifed::v1::MatchRequest& hw = hub_wires[peer];
      hw = trimmed.count(peer) ? trimmed[peer].first : wire;
      hw.set_case_token(case_token);
      auto audience = RelayAudience(peer, wire.jurisdictions(), wire.skip_members());
      absl::Status signed_ok = audience.status();
      if (audience.ok() && !audience->empty()) {
        signed_ok = AuthorizeRelay(peer, federation::kRpcMatch, wire.purpose(),
                                   std::move(*audience), &hw);
      }
      if (!signed_ok.ok()) {
        spdlog::warn("match {} through hub {}: not signed: {}", request_id, peer,
                     std::string(signed_ok.message()));
      }
    }
    auto sent_to = [&](const std::string& peer) -> const ifed::v1::MatchRequest& {
      auto it = hub_wires.find(peer);
      if (it != hub_wires.end()) return it->second;
      auto t = trimmed.find(peer);
      return t != trimmed.end() ? t->second.first : wire;
    };
    std::vector<std::future<absl::StatusOr<ifed::v1::MatchResponse>>> calls;
    for (const std::string& peer : peers) {
      calls.push_back(std::async(std::launch::async,
                                 [this, peer, &request = sent_to(peer), id = request_id] {
                                   logging::RequestScope scope(id);
                                   return d_.peers->Match(peer, request);
                                 }));
    }
    d_.counters->outbound_queries++;
    for (size_t k = 0; k < peers.size(); ++k) {
      auto answer = calls[k].get();
      const std::vector<int>& asked_order = order_of(peers[k]);
      if (answer.ok() && answer->results_size() != static_cast<int>(asked_order.size())) {
        answer = absl::DataLossError("peer answered a different number of items");
      }
      if (d_.audit != nullptr) {  // verify the receipt, keep it; durable before we show anything.
        if (absl::Status a = AuditOutbound(ctx, peers[k], sent_to(peers[k]), &answer); !a.ok()) {
          spdlog::error("match {}: audit failed: {}", request_id, std::string(a.message()));
          return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
        }
      }
      if (!answer.ok()) {
        auto* e = response->add_peer_errors();
        e->set_peer(peers[k]);
        e->set_code(static_cast<int>(answer.status().code()));
        e->set_message(std::string(answer.status().message()));
        spdlog::warn("match {} to {} failed: {}", request_id, peers[k],
                     std::string(answer.status().message()));
        continue;
      }
      if (answer->members_size() > 0 || d_.peers->IsHub(peers[k]) ||
          answer->empty_jurisdictions_size() > 0) {  // a hub's answer: per member.
        AddHubAnswer(peers[k], *answer, asked_order, response);
        continue;
      }
      uint64_t hits = 0;
      for (size_t j = 0; j < asked_order.size(); ++j) {
        const auto& r = answer->results(static_cast<int>(j));
        auto* pr = response->mutable_items(asked_order[j])->add_peers();
        pr->set_peer(peers[k]);
        pr->set_scheme("keyed");
        pr->set_verdict(r.verdict());
        pr->set_reference(r.reference());
        pr->set_contact(r.contact());
        hits += r.verdict() == ifed::v1::HIT;
      }
      spdlog::info("match {} to {}: {} items, {} hits", request_id, peers[k], asked_order.size(),
                   hits);
    }
    if (absl::Status a = ReportHitsToHubs(ctx, wire, order, case_token, *response); !a.ok()) {
      spdlog::error("match {}: audit failed: {}", request_id, std::string(a.message()));
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
    }
    LogHits(request_id, wire.purpose(), *response);
    return grpc::Status::OK;
  };
  const grpc::Status asked = ask(&forms);
  FoldForms(forms, item_of, response);
  return asked;
}

grpc::Status AdminService::Stats(grpc::ServerContext* ctx, const ifed::v1::StatsRequest*,
                                 ifed::v1::StatsResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Stats"); !denied.ok()) return denied;
  auto counts = d_.store->CountByType();
  if (!counts.ok()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "store unavailable");
  uint64_t total = 0;
  for (const auto& [type, n] : *counts) {
    auto* tc = response->add_by_type();
    tc->set_type(static_cast<ifed::v1::IndicatorType>(type));
    tc->set_count(n);
    total += n;
  }
  response->set_node_id(d_.node_id);
  response->set_jurisdiction(d_.jurisdiction);
  response->set_records(total);
  response->set_inbound_queries(d_.counters->inbound_queries);
  response->set_inbound_items(d_.counters->inbound_items);
  response->set_inbound_hits(d_.counters->inbound_hits);
  response->set_outbound_queries(d_.counters->outbound_queries);
  response->set_denied_queries(d_.counters->denied_queries);
  response->set_epoch(d_.keys != nullptr ? d_.keys->current_epoch() : 0);
  response->set_uptime_seconds(d_.now() - d_.started);
  return grpc::Status::OK;
}

}  // namespace ifed::admin
