#include "node/query/ingest_manager.h"
#include "node/query/item_checks.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"

namespace ifed::query {
namespace {

std::string RandomId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(b), sizeof b));
}

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

absl::Status StoreUnavailable() {
  return absl::UnavailableError("store write failed; nothing stored");
}

}  // namespace

// The state of one ingest, from its first chunk to its end.
class IngestRun {
 public:
  IngestRun(const IngestManager& manager, const IngestManagerDeps& d, std::string actor,
            ifed::v1::IngestResponse* response)
      : manager_(manager), d_(d), actor_(std::move(actor)), response_(response),
        now_(d.now()), epoch_(d.keys->current_epoch()) {}

  absl::Status AddChunk(const ifed::v1::IngestChunk& chunk);
  // After the last chunk: drops, commits or stores (with the audit event).
  absl::Status Finish(bool cancelled);

 private:
  void AddError(uint32_t line, const char* field, absl::string_view reason) {
    if (response_->errors_size() >= max_errors_) return;
    auto* e = response_->add_errors();
    e->set_line(line);
    e->set_field(field);
    e->set_reason(std::string(reason));
  }
  // The checks of a row's fields (not its value); false (errors added) if any fails.
  bool CheckRow(const ifed::v1::IngestRow& row);
  absl::Status AddRow(const ifed::v1::IngestRow& row);
  // One record per form of `canon` into items_.
  absl::Status AddRecords(const ifed::v1::IngestRow& row, const normalize::Canonical& canon);
  // Past kStageChunkItems records, stages them.
  absl::Status StageIfFull();
  void DropStaged();
  audit::Event IngestEvent(const store::IngestResult& r) const;
  // The end of a large ingest: stages the rest, commits with the "ingest"
  // event, applies and finishes with "ingest.applied".
  absl::Status CommitStaged();
  // The end of an ingest held in memory: one batch with its event.
  absl::Status StoreAll();

  const IngestManager& manager_;
  const IngestManagerDeps& d_;
  const std::string actor_;
  ifed::v1::IngestResponse* response_;
  const int64_t now_;
  const uint32_t epoch_;
  std::vector<store::IngestItem> items_;
  size_t rows_ = 0;
  size_t failed_ = 0;
  size_t warned_ = 0;  // of `failed_`: on the warning list.
  size_t dry_records_ = 0;
  size_t held_ = 0, with_provenance_ = 0;  // rows with a hold / a post's provenance.
  // Options of the whole ingest, from the first chunk.
  bool first_chunk_ = true, dry_run_ = false, skip_invalid_ = false;
  int max_errors_ = kMaxReportedIngestErrors;
  // A large ingest goes to the store's staging area in chunks (nothing
  // visible), and is applied only once every row has been read.
  std::string stage_id_;  // non-empty once a chunk is staged.
  uint32_t staged_chunks_ = 0;
  size_t staged_items_ = 0;
};

absl::Status IngestRun::AddChunk(const ifed::v1::IngestChunk& chunk) {
  if (first_chunk_) {
    first_chunk_ = false;
    dry_run_ = chunk.dry_run();
    skip_invalid_ = chunk.skip_invalid();
    if (chunk.max_errors() > 0) max_errors_ = static_cast<int>(std::min(chunk.max_errors(), 100000u));
  }
  for (const ifed::v1::IngestRow& row : chunk.rows()) {
    if (++rows_ > kMaxIngestRows) {
      DropStaged();
      return absl::ResourceExhaustedError(
          absl::StrCat("more than ", kMaxIngestRows, " rows in one ingest"));
    }
    IFED_RETURN_IF_ERROR(AddRow(row));
  }
  return absl::OkStatus();
}

bool IngestRun::CheckRow(const ifed::v1::IngestRow& row) {
  bool row_ok = true;
  if (row.type() == ifed::v1::INDICATOR_TYPE_UNSPECIFIED) {
    AddError(row.line(), "type", "unknown indicator type"), row_ok = false;
  }
  if (row.tlp() == ifed::v1::TLP_UNSPECIFIED) {
    AddError(row.line(), "tlp", "TLP label is required"), row_ok = false;
  }
  if (row.case_ref().empty() || row.case_ref().size() > 256) {
    AddError(row.line(), "case_ref", "case reference is required (max 256)"), row_ok = false;
  }
  if (row.has_provenance() && (row.provenance().text_sha256().size() != 32 ||
                               row.provenance().post_url().size() > 2048 ||
                               row.provenance().author().size() > 256 ||
                               row.provenance().posted_at().size() > 64)) {
    AddError(row.line(), "provenance",
             "needs a 32-byte text hash; url max 2048, author 256, posted_at 64 bytes"),
        row_ok = false;
  }
  if (row.expires() < 0 || (row.expires() > 0 && row.expires() <= now_)) {
    AddError(row.line(), "expires", "expiry is not in the future"), row_ok = false;
  }
  if (const std::string e = PlatformError(row.type(), row.platform()); !e.empty()) {
    AddError(row.line(), "platform", e), row_ok = false;
  }
  return row_ok;
}

absl::Status IngestRun::AddRow(const ifed::v1::IngestRow& row) {
  if (!CheckRow(row)) {
    ++failed_;
    return absl::OkStatus();
  }
  auto canon = d_.normalizer->Normalize(static_cast<IndicatorType>(row.type()), row.value(),
                                        ItemOptions(row.region(), row.platform()));
  if (!canon.ok()) {
    AddError(row.line(), "value", canon.status().message());
    ++failed_;
    return absl::OkStatus();
  }
  if (const std::string* warning = canon->AnyWarning()) {
    AddError(row.line(), "value", absl::StrCat("on the normalisation warning list: ", *warning));
    ++failed_;
    ++warned_;
    return absl::OkStatus();
  }
  if (dry_run_) {  // count only: a dry run holds no records.
    dry_records_ += 1 + canon->derived.size();
    return absl::OkStatus();
  }
  if (failed_ > 0 && !skip_invalid_) return absl::OkStatus();  // nothing will be stored.
  held_ += row.hold();
  with_provenance_ += row.has_provenance();
  IFED_RETURN_IF_ERROR(AddRecords(row, *canon));
  return StageIfFull();
}

absl::Status IngestRun::AddRecords(const ifed::v1::IngestRow& row,
                                   const normalize::Canonical& canon) {
  // The value and every indicator it names (a profile URL's handle, a
  // wa.me link's phone) become records of the same case.
  std::vector<const normalize::Canonical*> forms = {&canon};
  for (const normalize::Canonical& d : canon.derived) forms.push_back(&d);
  for (const normalize::Canonical* form : forms) {
    auto pseudonym = d_.keys->Pseudonymize(epoch_, form->type, form->value);
    store::IngestItem item;
    item.record.set_record_id(RandomId());
    if (!pseudonym.ok() || item.record.record_id().empty()) {
      return absl::InternalError("pseudonymisation failed");
    }
    auto sealed = d_.sealer->Seal(form->value, item.record.record_id());
    if (!sealed.ok()) return absl::InternalError("sealing failed");
    item.sealed_value = std::move(*sealed);
    ifed::v1::Record& rec = item.record;
    rec.set_type(static_cast<ifed::v1::IndicatorType>(form->type));
    rec.set_pseudonym(std::string(pseudonym->begin(), pseudonym->end()));
    rec.set_epoch(epoch_);
    rec.set_case_ref(row.case_ref());
    rec.set_tlp(row.tlp());
    rec.set_crime_area(row.crime_area());
    rec.set_national_only(row.national_only());
    *rec.mutable_not_for() = row.not_for();
    rec.set_unit(d_.unit);
    rec.set_first_seen(now_);
    rec.set_last_seen(now_);
    rec.set_expires(row.expires() > 0
                        ? row.expires()
                        : now_ + int64_t{manager_.RetentionDays(form->type, row.crime_area())} *
                                     86400);
    rec.set_canon_version(normalize::kCanonicalVersion);
    rec.set_hold(row.hold());
    if (row.has_provenance()) *rec.add_provenance() = row.provenance();
    items_.push_back(std::move(item));
  }
  return absl::OkStatus();
}

absl::Status IngestRun::StageIfFull() {
  if (items_.size() < kStageChunkItems) return absl::OkStatus();
  if (stage_id_.empty()) stage_id_ = RandomId();
  absl::Status s = stage_id_.empty() ? absl::InternalError("no random id")
                                     : d_.store->StageChunk(stage_id_, staged_chunks_, items_);
  if (!s.ok()) {
    spdlog::error("staging an ingest chunk failed: {}", std::string(s.message()));
    DropStaged();
    return StoreUnavailable();
  }
  ++staged_chunks_;
  staged_items_ += items_.size();
  items_.clear();
  return absl::OkStatus();
}

void IngestRun::DropStaged() {
  if (stage_id_.empty()) return;
  if (absl::Status s = d_.store->DropStaged(stage_id_); !s.ok()) {
    spdlog::error("dropping a staged ingest failed (removed at next start): {}",
                  std::string(s.message()));
  }
}

// Audit: counts only, never a value or a case reference.
audit::Event IngestRun::IngestEvent(const store::IngestResult& r) const {
  audit::Event e;
  e.action = "ingest";
  e.actor = actor_;
  e.outcome = failed_ == 0 ? "ok" : skip_invalid_ ? "partial" : "refused";
  e.Set("rows", static_cast<int64_t>(rows_)).Set("invalid", static_cast<int64_t>(failed_))
      .Set("records", static_cast<int64_t>(items_.size()))
      .Set("stored", static_cast<int64_t>(r.stored)).Set("updated", static_cast<int64_t>(r.updated))
      .Set("watch_notices", static_cast<int64_t>(r.notices))
      .Set("epoch", static_cast<int64_t>(epoch_));
  if (held_ > 0) e.Set("hold", static_cast<int64_t>(held_));
  if (with_provenance_ > 0) e.Set("provenance", static_cast<int64_t>(with_provenance_));
  return e;
}

absl::Status IngestRun::Finish(bool cancelled) {
  // A stream that ends by cancellation (client gone) is not a complete ingest.
  if (cancelled) {
    DropStaged();
    return absl::CancelledError("ingest cancelled; nothing stored");
  }
  if (!stage_id_.empty() && (failed_ == 0 || skip_invalid_)) return CommitStaged();
  DropStaged();
  response_->set_rows(rows_);
  response_->set_refused_invalid(failed_ - warned_);
  response_->set_refused_warning(warned_);
  if (dry_run_) {  // validated and counted; nothing stored, nothing to audit.
    response_->set_records(dry_records_);
    return absl::OkStatus();
  }
  if (failed_ > 0 && !skip_invalid_) {
    spdlog::warn("ingest refused: {} of {} rows invalid, nothing stored", failed_, rows_);
    if (d_.audit != nullptr && !d_.audit->Append(IngestEvent({})).ok()) {
      return absl::UnavailableError("audit log unavailable");
    }
    return absl::OkStatus();  // errors are in the response.
  }
  return StoreAll();
}

absl::Status IngestRun::StoreAll() {
  auto result = d_.audit != nullptr
                    ? d_.audit->Ingest(items_, [this](const store::IngestResult& r) {
                        return IngestEvent(r);
                      })
                    : d_.store->Ingest(items_);
  if (!result.ok()) {
    spdlog::error("ingest failed: {}", std::string(result.status().message()));
    // Disk full and damage say what to do (the store's messages name no value).
    if (absl::IsResourceExhausted(result.status()) || absl::IsDataLoss(result.status())) {
      return result.status();
    }
    return StoreUnavailable();
  }
  if ((result->stored > 0 || result->updated > 0) && d_.on_records_changed) {
    d_.on_records_changed();  // e.g. a record's TLP or sharing changed: views change
  }
  if (result->notices > 0 && d_.kick_outbox) d_.kick_outbox();
  response_->set_records(items_.size());
  response_->set_stored(result->stored);
  response_->set_updated(result->updated);
  spdlog::info("ingest: {} rows, {} stored, {} updated", rows_, result->stored, result->updated);
  return absl::OkStatus();
}

absl::Status IngestRun::CommitStaged() {
  store::Store* store = d_.store;
  auto unavailable = [&](const char* what, const absl::Status& s) {
    spdlog::error("large ingest: {} failed: {}", what, std::string(s.message()));
    return StoreUnavailable();
  };
  if (!items_.empty()) {
    if (absl::Status s = store->StageChunk(stage_id_, staged_chunks_, items_); !s.ok()) {
      (void)store->DropStaged(stage_id_);
      return unavailable("staging", s);
    }
    ++staged_chunks_;
    staged_items_ += items_.size();
  }
  audit::Event commit;
  commit.action = "ingest";
  commit.actor = actor_;
  commit.outcome = failed_ == 0 ? "ok" : "partial";
  commit.Set("rows", static_cast<int64_t>(rows_)).Set("invalid", static_cast<int64_t>(failed_))
      .Set("records", static_cast<int64_t>(staged_items_))
      .Set("chunks", static_cast<int64_t>(staged_chunks_))
      .Set("epoch", static_cast<int64_t>(epoch_));
  absl::Status committed = WriteWithEvent(d_.audit, commit, [&](const auto& entries) {
    return store->CommitStaged(stage_id_, entries);
  });
  if (!committed.ok()) {
    (void)store->DropStaged(stage_id_);
    return unavailable("commit", committed);
  }
  // Committed: from here the ingest completes, now or at the next start.
  absl::StatusOr<store::IngestResult> applied = store->ApplyStaged(stage_id_);
  absl::Status finished = applied.status();
  if (applied.ok()) {
    finished = WriteWithEvent(d_.audit, AppliedEvent(actor_, *applied, false),
                              [&](const auto& entries) {
                                return store->FinishStaged(stage_id_, entries);
                              });
  }
  if (!finished.ok()) {
    spdlog::error("large ingest: applying failed, completed at the next start: {}",
                  std::string(finished.message()));
    return absl::UnavailableError(
        "ingest accepted but not fully applied; it completes when the node restarts");
  }
  if (applied->notices > 0 && d_.kick_outbox) d_.kick_outbox();  // watches.
  if ((applied->stored > 0 || applied->updated > 0) && d_.on_records_changed) {
    d_.on_records_changed();  // OPRF filter views.
  }
  response_->set_rows(rows_);
  response_->set_refused_invalid(failed_ - warned_);
  response_->set_refused_warning(warned_);
  response_->set_records(staged_items_);
  response_->set_stored(applied->stored);
  response_->set_updated(applied->updated);
  spdlog::info("ingest: {} rows in {} chunks, {} stored, {} updated", rows_, staged_chunks_,
               applied->stored, applied->updated);
  return absl::OkStatus();
}

absl::Status IngestManager::Ingest(const std::string& actor, const ChunkSource& next,
                                   const std::function<bool()>& cancelled,
                                   ifed::v1::IngestResponse* response) const {
  if (d_.keys == nullptr) {
    return absl::FailedPreconditionError(
        "this node is a hub: it holds no federation key (ask from a member)");
  }
  IngestRun run(*this, d_, actor, response);
  ifed::v1::IngestChunk chunk;
  while (next(&chunk)) IFED_RETURN_IF_ERROR(run.AddChunk(chunk));
  return run.Finish(cancelled());
}

uint32_t IngestManager::RetentionDays(IndicatorType type, const std::string& crime_area) const {
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

}  // namespace ifed::query
