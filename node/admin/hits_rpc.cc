// The hits log (issue 11): every hit a partner gave this node's analysts is
// kept, its canonical value sealed with the local key, so that
// `ifedctl hits export --format stix` can hand them to MISP or OpenCTI as
// STIX sightings. Local only: nothing of it goes on the wire.
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/admin/service.h"
#include "node/common/logging.h"
#include "node/common/status_macros.h"

namespace ifed::admin {
namespace {

constexpr int kMaxExport = 100000;

std::string HitKey(int64_t ts_ms, const std::string& id) {
  return absl::StrCat("hits/", absl::StrFormat("%016d", ts_ms), "/", id);
}

}  // namespace

absl::StatusOr<uint64_t> PruneHits(store::Store* store, int64_t before_ms) {
  const std::string end = HitKey(before_ms, "");
  uint64_t total = 0;
  for (;;) {  // in batches, so that a long log never makes one huge write.
    store::MetaWrites writes;
    IFED_RETURN_IF_ERROR(store->ScanMeta("hits/", [&](const std::string& key, const std::string&) {
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
      const std::string key = HitKey(ts_ms, absl::StrCat(request_id, "-", n++));
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

grpc::Status AdminService::HitsExport(grpc::ServerContext* ctx,
                                      const ifed::v1::HitsExportRequest* request,
                                      ifed::v1::HitsExportResponse* response) {
  logging::RequestScope log_scope(logging::NewRequestId());
  if (request->since() < 0 || request->until() < 0 ||
      (request->until() > 0 && request->until() <= request->since())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "until must be after since");
  }
  const std::string from = HitKey(request->since() * 1000, "");
  const std::string to = request->until() > 0 ? HitKey(request->until() * 1000, "") : "hits0";
  absl::Status failed;
  absl::Status scan = d_.store->ScanMeta("hits/", [&](const std::string& key,
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
    return true;
  });
  if (!scan.ok()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "store unavailable");
  if (!failed.ok()) return grpc::Status(grpc::StatusCode::DATA_LOSS, std::string(failed.message()));
  if (d_.audit != nullptr) {  // who took the values out, and how many.
    audit::Event e;
    e.action = "hits.export";
    e.actor = LocalActor(ctx);
    e.outcome = "ok";
    e.Set("hits", static_cast<int64_t>(response->hits_size()));
    if (absl::Status a = d_.audit->Append(e); !a.ok()) {
      response->Clear();
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
    }
  }
  return grpc::Status::OK;
}

}  // namespace ifed::admin
