// The hits log: every hit a partner gave this node's analysts is
// kept, its canonical value sealed with the local key, so that
// `ifedctl hits export --format stix` can hand them to MISP or OpenCTI as
// STIX sightings. Local only: nothing of it goes on the wire.
#include <spdlog/spdlog.h>

#include <map>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/common/logging.h"
#include "node/common/status_macros.h"
#include "node/federation/desk/watch_service.h"
#include "node/store/tables.h"

namespace ifed::admin {
namespace {

constexpr int kMaxExport = 100000;

}  // namespace

// Watch alerts (WATCH_HIT events received, "watch/ev/...") in the window:
// each one's value comes from the watch's own sealed items, named by the
// item's keyed pseudonym or, for an OPRF watch, its OPRF output (the name
// the alert carries); an alert whose value this node does not keep (a
// watch made before values were kept) is counted in `without_value`.
absl::Status AdminService::ExportWatchAlerts(const ifed::v1::HitsExportRequest& request,
                                             ifed::v1::HitsExportResponse* response,
                                             uint64_t* without_value) {
  const int64_t from_ms = request.since() * 1000;
  const int64_t to_ms = request.until() > 0 ? request.until() * 1000 : INT64_MAX;
  std::map<std::string, std::optional<ifed::v1::OutboundWatch>> watches;
  absl::Status failed;
  absl::Status scan = d_.store->ScanMeta(store::WatchTable::kEvents, [&](const std::string&,
                                                          const std::string& value) {
    ifed::v1::WatchEventRecord ev;
    if (!ev.ParseFromString(value)) {
      failed = absl::DataLossError("a watch event does not parse");
      return false;
    }
    if (ev.received_ms() < from_ms || ev.received_ms() >= to_ms) return true;
    const ifed::v1::WatchNotification& n = ev.notification();
    if (n.kind() != ifed::v1::WATCH_HIT) return true;
    if (response->hits_size() >= kMaxExport) {
      response->set_truncated(true);
      return false;
    }
    const std::string key = store::WatchTable::OutboundKey(ev.sender(), n.watch_id());
    auto [it, fresh] = watches.try_emplace(key);
    if (fresh) {
      auto raw = d_.store->GetMeta(key);
      ifed::v1::OutboundWatch w;
      if (raw.ok() && w.ParseFromString(*raw)) it->second = std::move(w);
    }
    const std::string hex = absl::BytesToHexString(n.pseudonym());
    const ifed::v1::OutboundWatch* w = it->second ? &*it->second : nullptr;
    if (w == nullptr || !w->sealed_items().contains(hex)) {
      ++*without_value;
      return true;
    }
    const auto sealed = w->sealed_items().find(hex);
    auto opened = d_.sealer->Open(sealed->second, absl::StrCat("watch-item/", n.watch_id(), "/", hex));
    if (!opened.ok()) {
      failed = absl::DataLossError("a watched value does not open under the local key");
      return false;
    }
    ifed::v1::HitRecord* h = response->add_hits();
    h->set_ts_ms(ev.received_ms());
    h->set_peer(ev.sender());
    h->set_scheme(w->scheme().empty() ? "keyed" : w->scheme());
    h->set_type(n.type());
    h->set_canonical(std::move(*opened));
    h->set_reference(n.reference());
    h->set_contact(n.contact());
    h->set_request_id(ev.delivery_id());
    h->set_purpose(w->purpose());
    h->set_source("watch");
    h->set_watch_id(n.watch_id());
    return true;
  });
  if (!scan.ok()) return absl::UnavailableError("store unavailable");
  return failed;
}

absl::StatusOr<uint64_t> PruneHits(store::Store* store, int64_t before_ms) {
  const std::string end = store::HitsTable::Key(before_ms, "");
  uint64_t total = 0;
  for (;;) {  // in batches, so that a long log never makes one huge write.
    store::MetaWrites writes;
    IFED_RETURN_IF_ERROR(store->ScanMeta(store::HitsTable::kPrefix, [&](const std::string& key, const std::string&) {
      if (key >= end) return false;
      writes.deletes.push_back(key);
      return writes.deletes.size() < 10000;
    }));
    if (writes.deletes.empty()) return total;
    IFED_RETURN_IF_ERROR(store->CommitMeta(writes));
    total += writes.deletes.size();
  }
}

void AdminService::LogHits(const std::string& request_id, ifed::v1::Purpose purpose,
                           const ifed::v1::LocalMatchResponse& response) {
  const int64_t ts_ms = d_.now() * 1000;
  store::MetaWrites writes;
  int n = 0;
  for (const ifed::v1::LocalItemResult& item : response.items()) {
    for (const ifed::v1::PeerItemResult& p : item.peers()) {
      if (p.verdict() != ifed::v1::HIT) continue;
      const std::string key = store::HitsTable::Key(ts_ms, absl::StrCat(request_id, "-", n++));
      auto sealed = d_.sealer->Seal(item.canonical(), key);
      if (!sealed.ok()) {
        spdlog::error("hits log: sealing failed; hits of this match are not logged");
        return;
      }
      ifed::v1::HitLogEntry e;
      e.set_ts_ms(ts_ms);
      e.set_peer(p.via().empty() ? p.peer() : absl::StrCat(p.via(), "/", p.peer()));
      e.set_scheme(p.scheme());
      e.set_type(item.type());
      e.set_sealed_value(std::move(*sealed));
      e.set_reference(p.reference());
      e.set_contact(p.contact());
      e.set_request_id(request_id);
      e.set_purpose(purpose);
      writes.puts.emplace_back(key, e.SerializeAsString());
    }
  }
  if (writes.puts.empty()) return;
  if (absl::Status s = d_.store->CommitMeta(writes, {}, /*sync=*/false); !s.ok()) {
    spdlog::error("hits log: {} hits not logged: {}", writes.puts.size(),
                  std::string(s.message()));
  }
}

absl::Status AdminService::CollectHits(const ifed::v1::HitsExportRequest& request,
                                       ifed::v1::HitsExportResponse* response,
                                       uint64_t* alerts_without_value) {
  const std::string from = store::HitsTable::Key(request.since() * 1000, "");
  const std::string to = request.until() > 0 ? store::HitsTable::Key(request.until() * 1000, "")
                                            : store::HitsTable::End();
  absl::Status failed;
  absl::Status scan = d_.store->ScanMeta(store::HitsTable::kPrefix, [&](const std::string& key,
                                                      const std::string& value) {
    if (key < from) return true;
    if (key >= to) return false;
    if (response->hits_size() >= kMaxExport) {
      response->set_truncated(true);
      return false;
    }
    ifed::v1::HitLogEntry e;
    if (!e.ParseFromString(value)) {
      failed = absl::DataLossError("a hits log entry does not parse");
      return false;
    }
    auto value_or = d_.sealer->Open(e.sealed_value(), key);
    if (!value_or.ok()) {
      failed = absl::DataLossError("a hits log entry does not open under the local key");
      return false;
    }
    ifed::v1::HitRecord* h = response->add_hits();
    h->set_ts_ms(e.ts_ms());
    h->set_peer(e.peer());
    h->set_scheme(e.scheme());
    h->set_type(e.type());
    h->set_canonical(std::move(*value_or));
    h->set_reference(e.reference());
    h->set_contact(e.contact());
    h->set_request_id(e.request_id());
    h->set_purpose(e.purpose());
    h->set_source("match");
    return true;
  });
  if (!scan.ok()) return absl::UnavailableError("store unavailable");
  if (!failed.ok()) return failed;
  return ExportWatchAlerts(request, response, alerts_without_value);
}

grpc::Status AdminService::HitsExport(grpc::ServerContext* ctx,
                                      const ifed::v1::HitsExportRequest* request,
                                      ifed::v1::HitsExportResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "HitsExport"); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  if (request->since() < 0 || request->until() < 0 ||
      (request->until() > 0 && request->until() <= request->since())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "until must be after since");
  }
  uint64_t alerts_without_value = 0;
  if (absl::Status s = CollectHits(*request, response, &alerts_without_value); !s.ok()) {
    response->Clear();
    return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
  }
  if (d_.audit != nullptr) {  // who took the values out, and how many.
    audit::Event e;
    e.action = "hits.export";
    e.actor = LocalActor(ctx);
    e.outcome = "ok";
    e.Set("hits", static_cast<int64_t>(response->hits_size()));
    if (alerts_without_value > 0) {
      e.Set("watch_alerts_without_value", static_cast<int64_t>(alerts_without_value));
    }
    if (absl::Status a = d_.audit->Append(e); !a.ok()) {
      response->Clear();
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
    }
  }
  return grpc::Status::OK;
}

}  // namespace ifed::admin
