// Large ingests in bounded memory. The rows of an ingest arrive
// as a stream; past one chunk of records the service stages them in the
// store (Store::StageChunk) instead of holding them, so the node's memory
// does not grow with the file. All-or-nothing is kept: a file with an
// invalid row (without --skip-invalid) or a cancelled stream drops the
// staged chunks; a complete one is committed with its audit event and then
// applied chunk by chunk. A node stopped while applying completes the
// ingest at its next start, before it serves (ResumeStagedIngests).
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "node/admin/service.h"
#include "node/common/status_macros.h"

namespace ifed::admin {
namespace {

// The store write with its audit event: through the chain when the node has
// an audit log (tests may run without).
absl::Status WriteWithEvent(audit::AuditLog* audit, const audit::Event& event,
                            const std::function<absl::Status(const store::Store::AuditEntries&)>&
                                write) {
  if (audit == nullptr) return write({});
  return audit->Write([&](const audit::AuditLog::EntriesFn& entries) {
    return write(entries(event));
  });
}

audit::Event AppliedEvent(std::string actor, const store::IngestResult& r, bool resumed) {
  audit::Event e;
  e.action = "ingest.applied";
  e.actor = std::move(actor);
  e.outcome = "ok";
  e.Set("stored", static_cast<int64_t>(r.stored)).Set("updated", static_cast<int64_t>(r.updated));
  if (resumed) e.Set("resumed", int64_t{1});
  return e;
}

}  // namespace

grpc::Status AdminService::CommitStagedIngest(
    grpc::ServerContext* ctx, const std::string& stage_id, uint32_t chunks,
    const std::vector<store::IngestItem>& rest, size_t staged_items, size_t rows,
    size_t failed, size_t warned, uint32_t epoch, ifed::v1::IngestResponse* response) {
  store::Store* store = d_.store;
  auto unavailable = [&](const char* what, const absl::Status& s) {
    spdlog::error("large ingest: {} failed: {}", what, std::string(s.message()));
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "store write failed; nothing stored");
  };
  if (!rest.empty()) {
    if (absl::Status s = store->StageChunk(stage_id, chunks, rest); !s.ok()) {
      (void)store->DropStaged(stage_id);
      return unavailable("staging", s);
    }
    ++chunks;
    staged_items += rest.size();
  }
  const std::string actor = LocalActor(ctx);
  audit::Event commit;
  commit.action = "ingest";
  commit.actor = actor;
  commit.outcome = failed == 0 ? "ok" : "partial";
  commit.Set("rows", static_cast<int64_t>(rows)).Set("invalid", static_cast<int64_t>(failed))
      .Set("records", static_cast<int64_t>(staged_items))
      .Set("chunks", static_cast<int64_t>(chunks))
      .Set("epoch", static_cast<int64_t>(epoch));
  absl::Status committed = WriteWithEvent(d_.audit, commit, [&](const auto& entries) {
    return store->CommitStaged(stage_id, entries);
  });
  if (!committed.ok()) {
    (void)store->DropStaged(stage_id);
    return unavailable("commit", committed);
  }
  // Committed: from here the ingest completes, now or at the next start.
  absl::StatusOr<store::IngestResult> applied = store->ApplyStaged(stage_id);
  absl::Status finished = applied.status();
  if (applied.ok()) {
    finished = WriteWithEvent(d_.audit, AppliedEvent(actor, *applied, false),
                              [&](const auto& entries) {
                                return store->FinishStaged(stage_id, entries);
                              });
  }
  if (!finished.ok()) {
    spdlog::error("large ingest: applying failed, completed at the next start: {}",
                  std::string(finished.message()));
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "ingest accepted but not fully applied; it completes when the node "
                        "restarts");
  }
  if (applied->notices > 0 && d_.kick_outbox) d_.kick_outbox();  // watches.
  if ((applied->stored > 0 || applied->updated > 0) && d_.on_records_changed) {
    d_.on_records_changed();  // OPRF filter views.
  }
  response->set_rows(rows);
  response->set_refused_invalid(failed - warned);
  response->set_refused_warning(warned);
  response->set_records(staged_items);
  response->set_stored(applied->stored);
  response->set_updated(applied->updated);
  spdlog::info("ingest: {} rows in {} chunks, {} stored, {} updated", rows, chunks,
               applied->stored, applied->updated);
  return grpc::Status::OK;
}

absl::Status ResumeStagedIngests(store::Store* store, audit::AuditLog* audit) {
  IFED_ASSIGN_OR_RETURN(auto staged, store->StagedIngests());
  for (const auto& entry : staged) {  // (no structured binding: a lambda uses the id)
    const auto& id = entry.first;
    if (!entry.second) {  // the client never finished sending: nothing of it was visible.
      IFED_RETURN_IF_ERROR(store->DropStaged(id));
      spdlog::warn("dropped an ingest that was interrupted before it was complete");
      continue;
    }
    IFED_ASSIGN_OR_RETURN(store::IngestResult r, store->ApplyStaged(id));
    IFED_RETURN_IF_ERROR(WriteWithEvent(audit, AppliedEvent("node", r, true),
                                        [&](const auto& entries) {
                                          return store->FinishStaged(id, entries);
                                        }));
    spdlog::info("completed an interrupted ingest: {} stored, {} updated", r.stored, r.updated);
  }
  return absl::OkStatus();
}

}  // namespace ifed::admin
