#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/query/grpc_peer_transport.h"
#include "node/common/logging.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ifed::admin {
namespace {

// Rows of one ingest: far above any real file, but a bound. Memory does not
// grow with it: past kStageChunkItems records an ingest is staged in the
// store chunk by chunk.
constexpr size_t kMaxIngestRows = 200'000'000;
constexpr size_t kStageChunkItems = 8192;
constexpr size_t kMaxMatchItems = 100'000;
constexpr int kMaxReportedErrors = 100;

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

void AddError(ifed::v1::IngestResponse* r, uint32_t line, const char* field,
              absl::string_view reason, int max_errors = kMaxReportedErrors) {
  if (r->errors_size() >= max_errors) return;
  auto* e = r->add_errors();
  e->set_line(line);
  e->set_field(field);
  e->set_reason(std::string(reason));
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

uint32_t AdminService::RetentionDays(IndicatorType type, const std::string& crime_area) const {
  int best = -1;
  uint32_t days = d_.default_retention_days;
  for (const ifed::v1::RetentionRule& r : d_.retention) {
    const bool type_ok = r.type() == ifed::v1::INDICATOR_TYPE_UNSPECIFIED ||
                         r.type() == static_cast<ifed::v1::IndicatorType>(type);
    const bool area_ok = r.crime_area().empty() || r.crime_area() == crime_area;
    if (!type_ok || !area_ok) continue;
    // type and area (3) > type (2) > area (1).
    const int rank = (r.type() != ifed::v1::INDICATOR_TYPE_UNSPECIFIED ? 2 : 0) +
                     (r.crime_area().empty() ? 0 : 1);
    if (rank > best) best = rank, days = r.days();
  }
  return days;
}

grpc::Status AdminService::Ingest(grpc::ServerContext* ctx,
                                  grpc::ServerReader<ifed::v1::IngestChunk>* reader,
                                  ifed::v1::IngestResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Ingest"); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  if (d_.keys == nullptr) return NoFederationKey();
  const int64_t now = d_.now();
  const uint32_t epoch = d_.keys->current_epoch();
  std::vector<store::IngestItem> items;
  size_t rows = 0;
  size_t failed = 0;
  size_t warned = 0;  // of `failed`: on the warning list.
  size_t dry_records = 0;
  size_t held = 0, with_provenance = 0;  // rows with a hold / a post's provenance.
  // Options of the whole ingest, from the first chunk.
  bool first_chunk = true, dry_run = false, skip_invalid = false;
  int max_errors = kMaxReportedErrors;
  auto add_error = [&](uint32_t line, const char* field, absl::string_view reason) {
    AddError(response, line, field, reason, max_errors);
  };
  // A large ingest goes to the store's staging area in chunks (nothing
  // visible), and is applied only once every row has been read.
  std::string stage_id;  // non-empty once a chunk is staged.
  uint32_t staged_chunks = 0;
  size_t staged_items = 0;
  auto drop_staged = [&] {
    if (stage_id.empty()) return;
    if (absl::Status s = d_.store->DropStaged(stage_id); !s.ok()) {
      spdlog::error("dropping a staged ingest failed (removed at next start): {}",
                    std::string(s.message()));
    }
  };
  ifed::v1::IngestChunk chunk;
  while (reader->Read(&chunk)) {
    if (first_chunk) {
      first_chunk = false;
      dry_run = chunk.dry_run();
      skip_invalid = chunk.skip_invalid();
      if (chunk.max_errors() > 0) max_errors = static_cast<int>(std::min(chunk.max_errors(), 100000u));
    }
    for (const ifed::v1::IngestRow& row : chunk.rows()) {
      if (++rows > kMaxIngestRows) {
        drop_staged();
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            absl::StrCat("more than ", kMaxIngestRows, " rows in one ingest"));
      }
      const auto type = static_cast<IndicatorType>(row.type());
      bool row_ok = true;
      if (row.type() == ifed::v1::INDICATOR_TYPE_UNSPECIFIED) {
        add_error(row.line(), "type", "unknown indicator type"), row_ok = false;
      }
      if (row.tlp() == ifed::v1::TLP_UNSPECIFIED) {
        add_error(row.line(), "tlp", "TLP label is required"), row_ok = false;
      }
      if (row.case_ref().empty() || row.case_ref().size() > 256) {
        add_error(row.line(), "case_ref", "case reference is required (max 256)"),
            row_ok = false;
      }
      if (row.has_provenance() && (row.provenance().text_sha256().size() != 32 ||
                                   row.provenance().post_url().size() > 2048 ||
                                   row.provenance().author().size() > 256 ||
                                   row.provenance().posted_at().size() > 64)) {
        add_error(row.line(), "provenance",
                  "needs a 32-byte text hash; url max 2048, author 256, posted_at 64 bytes"),
            row_ok = false;
      }
      if (row.expires() < 0 || (row.expires() > 0 && row.expires() <= now)) {
        add_error(row.line(), "expires", "expiry is not in the future"), row_ok = false;
      }
      if (const std::string e = PlatformError(row.type(), row.platform()); !e.empty()) {
        add_error(row.line(), "platform", e), row_ok = false;
      }
      if (!row_ok) {
        ++failed;
        continue;
      }
      auto canon =
          d_.normalizer->Normalize(type, row.value(), NormOptions(row.region(), row.platform()));
      if (!canon.ok()) {
        add_error(row.line(), "value", canon.status().message());
        ++failed;
        continue;
      }
      if (const std::string* warning = canon->AnyWarning()) {
        add_error(row.line(), "value",
                 absl::StrCat("on the normalisation warning list: ", *warning));
        ++failed;
        ++warned;
        continue;
      }
      if (dry_run) {  // count only: a dry run holds no records.
        dry_records += 1 + canon->derived.size();
        continue;
      }
      if (failed > 0 && !skip_invalid) continue;  // nothing will be stored: only validate.
      held += row.hold();
      with_provenance += row.has_provenance();
      // The value and every indicator it names (a profile URL's handle, a
      // wa.me link's phone) become records of the same case.
      std::vector<const normalize::Canonical*> forms = {&*canon};
      for (const normalize::Canonical& d : canon->derived) forms.push_back(&d);
      for (const normalize::Canonical* form : forms) {
        auto pseudonym = d_.keys->Pseudonymize(epoch, form->type, form->value);
        store::IngestItem item;
        item.record.set_record_id(RandomId());
        if (!pseudonym.ok() || item.record.record_id().empty()) {
          return grpc::Status(grpc::StatusCode::INTERNAL, "pseudonymisation failed");
        }
        auto sealed = d_.sealer->Seal(form->value, item.record.record_id());
        if (!sealed.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "sealing failed");
        item.sealed_value = std::move(*sealed);
        ifed::v1::Record& rec = item.record;
        rec.set_type(static_cast<ifed::v1::IndicatorType>(form->type));
        rec.set_pseudonym(std::string(pseudonym->begin(), pseudonym->end()));
        rec.set_epoch(epoch);
        rec.set_case_ref(row.case_ref());
        rec.set_tlp(row.tlp());
        rec.set_crime_area(row.crime_area());
        rec.set_national_only(row.national_only());
        *rec.mutable_not_for() = row.not_for();
        rec.set_unit(d_.unit);
        rec.set_first_seen(now);
        rec.set_last_seen(now);
        rec.set_expires(row.expires() > 0
                            ? row.expires()
                            : now + int64_t{RetentionDays(form->type, row.crime_area())} * 86400);
        rec.set_canon_version(normalize::kCanonicalVersion);
        rec.set_hold(row.hold());
        if (row.has_provenance()) *rec.add_provenance() = row.provenance();
        items.push_back(std::move(item));
      }
      if (items.size() >= kStageChunkItems) {
        if (stage_id.empty()) stage_id = RandomId();
        absl::Status s = stage_id.empty()
                             ? absl::InternalError("no random id")
                             : d_.store->StageChunk(stage_id, staged_chunks, items);
        if (!s.ok()) {
          spdlog::error("staging an ingest chunk failed: {}", std::string(s.message()));
          drop_staged();
          return grpc::Status(grpc::StatusCode::UNAVAILABLE, "store write failed; nothing stored");
        }
        ++staged_chunks;
        staged_items += items.size();
        items.clear();
      }
    }
  }
  // Audit: counts only, never a value or a case reference.
  auto ingest_event = [&](const store::IngestResult& r) {
    audit::Event e;
    e.action = "ingest";
    e.actor = LocalActor(ctx);
    e.outcome = failed == 0 ? "ok" : skip_invalid ? "partial" : "refused";
    e.Set("rows", static_cast<int64_t>(rows)).Set("invalid", static_cast<int64_t>(failed))
        .Set("records", static_cast<int64_t>(items.size()))
        .Set("stored", static_cast<int64_t>(r.stored)).Set("updated", static_cast<int64_t>(r.updated))
        .Set("watch_notices", static_cast<int64_t>(r.notices))
        .Set("epoch", static_cast<int64_t>(epoch));
    if (held > 0) e.Set("hold", static_cast<int64_t>(held));
    if (with_provenance > 0) e.Set("provenance", static_cast<int64_t>(with_provenance));
    return e;
  };
  // A stream that ends by cancellation (client gone) is not a complete ingest.
  if (ctx->IsCancelled()) {
    drop_staged();
    return grpc::Status(grpc::StatusCode::CANCELLED, "ingest cancelled; nothing stored");
  }
  if (!stage_id.empty() && (failed == 0 || skip_invalid)) {
    return CommitStagedIngest(ctx, stage_id, staged_chunks, items, staged_items,
                              rows, failed, warned, epoch, response);
  }
  drop_staged();
  response->set_rows(rows);
  response->set_refused_invalid(failed - warned);
  response->set_refused_warning(warned);
  if (dry_run) {  // validated and counted; nothing stored, nothing to audit.
    response->set_records(dry_records);
    return grpc::Status::OK;
  }
  if (failed > 0 && !skip_invalid) {
    spdlog::warn("ingest refused: {} of {} rows invalid, nothing stored", failed, rows);
    if (d_.audit != nullptr && !d_.audit->Append(ingest_event({})).ok()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
    }
    return grpc::Status::OK;  // errors are in the response.
  }
  auto result = d_.audit != nullptr ? d_.audit->Ingest(items, ingest_event)
                                    : d_.store->Ingest(items);
  if (!result.ok()) {
    spdlog::error("ingest failed: {}", std::string(result.status().message()));
    // Disk full and damage say what to do (the store's messages name no value).
    if (absl::IsResourceExhausted(result.status()) || absl::IsDataLoss(result.status())) {
      return grpc::Status(static_cast<grpc::StatusCode>(result.status().code()),
                          std::string(result.status().message()));
    }
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "store write failed; nothing stored");
  }
  if ((result->stored > 0 || result->updated > 0) && d_.on_records_changed) {
    d_.on_records_changed();  // e.g. a record's TLP or sharing changed: views change
  }
  if (result->notices > 0 && d_.kick_outbox) d_.kick_outbox();
  response->set_records(items.size());
  response->set_stored(result->stored);
  response->set_updated(result->updated);
  spdlog::info("ingest: {} rows, {} stored, {} updated", rows, result->stored, result->updated);
  return grpc::Status::OK;
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
    if (const std::string e = PlatformError(item.type(), item.platform()); !e.empty()) {
      out->set_error(absl::StrCat("platform: ", e));
      continue;
    }
    auto c = d.normalizer->Normalize(static_cast<IndicatorType>(item.type()), item.value(),
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

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
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
  const std::string request_id = RandomId();
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
