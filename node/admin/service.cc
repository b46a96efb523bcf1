#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/query/grpc_peer_transport.h"
#include "node/common/logging.h"
#include "node/query/ingest_manager.h"
#include "node/query/item_checks.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ifed::admin {
namespace {

constexpr size_t kMaxMatchItems = 100'000;

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

}  // namespace

AdminService::AdminService(AdminDeps deps) : d_(std::move(deps)) {
  transport_ = d_.transport;
  if (transport_ == nullptr && d_.peers != nullptr) {
    own_transport_ = std::make_unique<query::GrpcPeerTransport>(d_.peers, d_.relay_signer,
                                                                d_.federation);
    transport_ = own_transport_.get();
  }
  matcher_ = std::make_unique<query::OutboundMatcher>(query::MatcherDeps{
      .node_id = d_.node_id,
      .federation = d_.federation,
      .transport = transport_,
      .policy = d_.policy,
      .audit = d_.audit,
      .oprf = d_.oprf,
      .oprf_peers = d_.oprf_peers,
      .node_verifier = d_.node_verifier,
      .counters = d_.counters,
      .now = d_.now,
      .on_filter_changed =
          [this](const std::string& peer) { return watches_->CheckOprfWatches(peer); }});
  watches_ = std::make_unique<query::WatchManager>(query::WatchDeps{.store = d_.store,
                                                                    .audit = d_.audit,
                                                                    .keys = d_.keys,
                                                                    .sealer = d_.sealer,
                                                                    .policy = d_.policy,
                                                                    .transport = transport_,
                                                                    .matcher = matcher_.get(),
                                                                    .oprf = d_.oprf,
                                                                    .now = d_.now});
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
  normalize::Options options = query::ItemOptions(request->region());
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

namespace {

// The forms of every item of `request` (the value and each form derived
// from it: a wa.me link's phone, a profile URL's handle, an address's
// provider mailbox, so a partner holding only one form is found), each
// pseudonymised into its type's batch of `q->wire`; `item_of`: form ->
// request item. Per item, its canonical form or its error on `response`.
grpc::Status AddMatchForms(const AdminDeps& d, const ifed::v1::LocalMatchRequest& request,
                           query::MatchQuery* q, std::vector<int>* item_of,
                           ifed::v1::LocalMatchResponse* response) {
  std::map<int, ifed::v1::PseudonymBatch*> batches;
  for (int i = 0; i < request.items_size(); ++i) {
    const auto& item = request.items(i);
    auto* out = response->add_items();
    out->set_index(i);
    if (const std::string e = query::PlatformError(item.type(), item.platform()); !e.empty()) {
      out->set_error(absl::StrCat("platform: ", e));
      continue;
    }
    auto c = d.normalizer->Normalize(static_cast<IndicatorType>(item.type()), item.value(),
                                     query::ItemOptions(item.region(), item.platform()));
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
    q->value_types.insert(out->type());
    std::vector<const normalize::Canonical*> all = {&*c};
    for (const normalize::Canonical& f : c->derived) all.push_back(&f);
    for (const normalize::Canonical* f : all) {
      auto p = d.keys->Pseudonymize(q->wire.epoch(), f->type, f->value);
      if (!p.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "pseudonymisation failed");
      const int k = static_cast<int>(q->forms.size());
      const auto type = static_cast<ifed::v1::IndicatorType>(f->type);
      q->forms.push_back({type, f->value});
      item_of->push_back(i);
      auto*& batch = batches[static_cast<int>(f->type)];
      if (batch == nullptr) {
        batch = q->wire.add_batches();
        batch->set_type(type);
      }
      batch->mutable_pseudonyms()->append(p->begin(), p->end());
      q->order[static_cast<int>(f->type)].push_back(k);
    }
  }
  return grpc::Status::OK;
}

// The per-form response of `q` with the partners' rows and errors.
ifed::v1::LocalMatchResponse FormRows(const query::MatchQuery& q,
                                      const query::MatchOutcome& outcome) {
  ifed::v1::LocalMatchResponse forms;
  for (size_t k = 0; k < q.forms.size(); ++k) {
    auto* fo = forms.add_items();
    fo->set_index(static_cast<uint32_t>(k));
    fo->set_ok(true);
    fo->set_canonical(q.forms[k].canonical);
    fo->set_type(q.forms[k].type);
  }
  for (const query::PeerRow& r : outcome.rows) {
    auto* pr = forms.mutable_items(r.form)->add_peers();
    pr->set_peer(r.peer);
    pr->set_via(r.via);
    pr->set_scheme(r.scheme);
    pr->set_verdict(r.verdict);
    pr->set_reference(r.reference);
    pr->set_contact(r.contact);
  }
  for (const query::PeerFailure& f : outcome.errors) {
    auto* e = forms.add_peer_errors();
    e->set_peer(f.peer);
    e->set_code(f.code);
    e->set_message(f.message);
  }
  for (const query::SkippedForms& s : outcome.skipped) {
    auto* out = forms.add_skipped_forms();
    out->set_peer(s.peer);
    out->set_type(s.type);
    out->set_forms(s.forms);
    out->set_reason(s.reason);
  }
  return forms;
}

}  // namespace

grpc::Status AdminService::MatchPartners(const ifed::v1::LocalMatchRequest& request,
                                         query::MatchQuery* q) {
  if (request.hub()) {
    // One query to the configured hub. Members whose filter we
    // hold through it are asked with OPRF through it, the others keyed.
    if (request.all() || request.peers_size() > 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "--hub asks the configured hub; give no --peer or --all with it");
    }
    auto hub = ConfiguredHub();
    if (!hub.ok()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, std::string(hub.status().message()));
    }
    q->peers.push_back(*hub);
    for (const std::string& m : matcher_->OprfMembersThroughHub(
             *hub, {request.jurisdictions().begin(), request.jurisdictions().end()})) {
      q->oprf_peers.push_back(absl::StrCat(*hub, "/", m));
      q->wire.add_skip_members(m);  // the hub is not to ask them keyed
    }
  } else {
    auto selected = SelectPeers(request.all(), request.peers());
    if (!selected.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(selected.status().message()));
    }
    q->peers = std::move(*selected);
  }
  // Peers asked with the OPRF scheme go their own way; a hub relays keyed.
  for (const std::string& p : q->peers) {
    if (matcher_->UsesOprf(p) && !d_.peers->IsHub(p)) q->oprf_peers.push_back(p);
  }
  std::erase_if(q->peers, [&](const std::string& p) {
    return std::find(q->oprf_peers.begin(), q->oprf_peers.end(), p) != q->oprf_peers.end();
  });
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
  query::MatchQuery q;
  // A hub links what one case asked through an opaque token; the
  // case reference itself stays here.
  if (!request->case_ref().empty()) {
    if (request->case_ref().size() > 256) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "--case is longer than 256 bytes");
    }
    auto t = d_.sealer->Token("ifed-case-token-v1", request->case_ref());
    if (!t.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "case token failed");
    q.case_token = std::move(*t);
  }
  if (grpc::Status s = MatchPartners(*request, &q); !s.ok()) return s;
  if (d_.keys == nullptr) return NoFederationKey();  // a hub: nothing to pseudonymise with.
  const std::string request_id = logging::NewRequestId();
  response->set_request_id(request_id);
  // The same id goes on the wire: the querier's and the responders' log
  // lines of this query carry it.
  logging::RequestScope log_scope(request_id);
  q.actor = LocalActor(ctx);
  q.resolve = request->resolve();
  q.wire.set_request_id(request_id);
  q.wire.set_purpose(request->purpose() == ifed::v1::PURPOSE_UNSPECIFIED ? ifed::v1::MIGRANT_SMUGGLING
                                                                         : request->purpose());
  q.wire.set_epoch(d_.keys->current_epoch());
  q.wire.set_canon_version(normalize::kCanonicalVersion);
  for (const std::string& j : request->jurisdictions()) q.wire.add_jurisdictions(j);
  // Each form is one row of `forms`; FoldForms merges them back into one
  // row per item and peer.
  std::vector<int> item_of;
  if (grpc::Status s = AddMatchForms(d_, *request, &q, &item_of, response); !s.ok()) return s;
  if (q.wire.batches_size() == 0) return grpc::Status::OK;  // every item failed.
  absl::StatusOr<query::MatchOutcome> outcome = matcher_->Match(q);
  if (!outcome.ok()) return ToGrpc(outcome.status());
  ifed::v1::LocalMatchResponse forms = FormRows(q, *outcome);
  if (absl::Status a = ReportHitsToHubs(ctx, q.wire, q.order, q.case_token, forms); !a.ok()) {
    spdlog::error("match {}: audit failed: {}", request_id, std::string(a.message()));
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
  }
  LogHits(request_id, q.wire.purpose(), forms);
  FoldForms(forms, item_of, response);
  return grpc::Status::OK;
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
