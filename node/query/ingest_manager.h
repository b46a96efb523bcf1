// IngestManager: an analyst's ingest of indicators, as plain logic. Rows
// arrive in chunks (a stream); each is checked (type, TLP, case reference,
// provenance, expiry, platform), normalised (a value on the normalisation
// warning list is refused), and becomes one record per form: the value and
// every indicator it names (a profile URL's handle, a wa.me link's phone),
// pseudonymised under the current epoch, its canonical value sealed.
// All or nothing: an invalid row stores nothing unless `skip_invalid`; a
// dry run only validates and counts. The store write and its "ingest" audit
// event (counts only, never a value or a case reference) are one batch.
//
// Large ingests in bounded memory: past one chunk of records the rows are
// staged in the store (Store::StageChunk) instead of held, so memory does
// not grow with the file. A file with an invalid row (without
// skip_invalid) or a cancelled stream drops the staged chunks; a complete
// one is committed with its "ingest" event and then applied chunk by chunk
// ("ingest.applied"). A node stopped while applying completes the ingest at
// its next start, before it serves (ResumeStagedIngests).
#ifndef IFED_QUERY_INGEST_MANAGER_H_
#define IFED_QUERY_INGEST_MANAGER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/audit/audit_log.h"
#include "node/common/indicator_type.h"
#include "node/crypto/keyed.h"
#include "node/crypto/sealer.h"
#include "node/normalize/normalizer.h"
#include "node/store/store.h"
#include "proto/admin.pb.h"
#include "proto/config.pb.h"

namespace ifed::query {

// Rows of one ingest: far above any real file, but a bound. Memory does not
// grow with it: past kStageChunkItems records an ingest is staged.
inline constexpr size_t kMaxIngestRows = 200'000'000;
inline constexpr size_t kStageChunkItems = 8192;
// Row errors reported by default (a chunk's max_errors overrides, up to 100000).
inline constexpr int kMaxReportedIngestErrors = 100;

struct IngestManagerDeps {
  std::string unit;  // the originating unit written on every record.
  uint32_t default_retention_days = 365;
  // Retention per type / crime area (config `retention`), most specific
  // first; default_retention_days otherwise.
  std::vector<ifed::v1::RetentionRule> retention;
  store::Store* store = nullptr;
  const normalize::Normalizer* normalizer = nullptr;
  // Null (a hub holds no federation key): every ingest is FailedPrecondition.
  const crypto::KeyedPseudonymizer* keys = nullptr;
  const crypto::Sealer* sealer = nullptr;
  audit::AuditLog* audit = nullptr;  // null: no audit (tests).
  std::function<int64_t()> now;      // unix seconds.
  // After records were stored or updated (drops cached OPRF filter views).
  std::function<void()> on_records_changed;
  // After an ingest queued watch notifications (wakes the outbox courier).
  std::function<void()> kick_outbox;
};

class IngestManager {
 public:
  // Reads the next chunk into its argument; false at the end of the stream.
  using ChunkSource = std::function<bool(ifed::v1::IngestChunk*)>;

  explicit IngestManager(IngestManagerDeps deps) : d_(std::move(deps)) {}

  // One ingest as `actor`: the chunks of `next` (options from the first),
  // then `cancelled()` says whether the stream ended by cancellation.
  // Row errors, counts and results go to `response` with an OK status
  // (a refused file stores nothing). Errors: FailedPrecondition without a
  // federation key; ResourceExhausted past kMaxIngestRows (and a full
  // disk), DataLoss (a damaged store); Cancelled; Internal when
  // pseudonymising or sealing fails; Unavailable when the store or the
  // audit log fails (nothing stored, or for a committed large ingest: it
  // completes at the next start).
  absl::Status Ingest(const std::string& actor, const ChunkSource& next,
                      const std::function<bool()>& cancelled,
                      ifed::v1::IngestResponse* response) const;

  // The retention of a record of `type` and `crime_area` (days): type and
  // area > type > area > default.
  uint32_t RetentionDays(IndicatorType type, const std::string& crime_area) const;

 private:
  IngestManagerDeps d_;
};

// At start, completes every large ingest that was committed but not fully
// applied ("ingest.applied", resumed), and drops the uncommitted ones.
absl::Status ResumeStagedIngests(store::Store* store, audit::AuditLog* audit);

}  // namespace ifed::query

#endif  // IFED_QUERY_INGEST_MANAGER_H_
