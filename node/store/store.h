// Store: the node's RocksDB. Column families, all opened up front:
//   records  record_id -> ifed.v1.Record
//   index    epoch (4 bytes, big-endian) || pseudonym (32) -> ifed.v1.IndexEntry
//   sealed   record_id -> canonical value sealed with the local key
//   audit    the hash-chained audit log (node/audit): seq (8 bytes, BE) -> line
//   meta     counters and node state
// Keys are pseudonyms and random ids, never raw values. Every change is one
// WriteBatch with the WAL on: it is durable when the call returns OK.
// Thread-safe: writers serialise on an internal mutex, readers do not block.
#ifndef IFED_STORE_STORE_H_
#define IFED_STORE_STORE_H_

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/store/health.h"
#include "proto/store.pb.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Status;
class WriteBatch;
}  // namespace rocksdb

namespace ifed::store {

using Pseudonym = std::array<uint8_t, 32>;

struct StoreOptions {
  std::string path;             // directory; created if missing.
  size_t block_cache_mb = 64;   // shared LRU block cache.
  // (damage) the WAL recovery mode. True after a clean stop: any
  // damaged or missing byte of the WAL fails the open (kAbsoluteConsistency).
  // False after a crash: a torn last record (a write that was never
  // acknowledged) is dropped, damage anywhere before it fails the open
  // (kTolerateCorruptedTailRecords). Never kPointInTimeRecovery, which
  // silently drops every write after a damaged record.
  bool expect_clean_wal = false;
  // Reads every block of every SST file and checks its checksum before the
  // store is used (DB::VerifyChecksum); costs a full read of the data.
  bool verify_on_open = true;
  // Writes are refused (RESOURCE_EXHAUSTED, "disk full") while the data dir's
  // file system has less free space than this, so RocksDB itself never meets
  // a full disk: Debian's librocksdb 7.8 is built with assertions, and a WAL
  // append that fails with ENOSPC aborts the process at the next sync.
  uint64_t min_free_bytes = 64ull << 20;
  // Keeps an in-memory copy of the pseudonym index with each record's match
  // fields (memory_index.h), built at open and kept exact by every write,
  // so that VisitMatches touches no RocksDB block. About 90 bytes per
  // record. Off: VisitMatches reads RocksDB (tools that open a store briefly).
  bool memory_index = true;
};

// One record to ingest. `record.record_id` is used only if the record is new.
struct IngestItem {
  ifed::v1::Record record;
  std::string sealed_value;
};

// Post provenance entries kept per record.
inline constexpr int kMaxProvenance = 32;

struct IngestResult {
  uint64_t stored = 0;   // new records.
  uint64_t updated = 0;  // same type, pseudonym and case: last_seen moved.
  uint64_t notices = 0;  // entries the ingest observer enqueued.
};

// Meta-column-family writes that ride along with another change (
// watch notifications in the outbox), or a change of their own (CommitMeta).
struct MetaWrites {
  std::vector<std::pair<std::string, std::string>> puts;
  std::vector<std::string> deletes;
  uint64_t notices = 0;  // how many puts are notifications, for the audit event.
};

class MemoryIndex;

class Store {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Upserts all items atomically, or nothing. A record with the same type,
  // epoch, pseudonym and case_ref as an existing one (or an earlier item of
  // the batch) only moves its last_seen forward and keeps the newer expiry;
  // it also gains the item's hold (never loses one: `hold clear` does that)
  // and its post provenance (kMaxProvenance kept, newest last).
  //
  // `audit`, when given, is called once the batch's result is known and
  // returns the audit entries (key, value) to write to the `audit` column
  // family in the same WriteBatch: no change without its event. An error
  // from it aborts the ingest.
  using AuditEntries = std::vector<std::pair<std::string, std::string>>;
  using AuditFn = std::function<absl::StatusOr<AuditEntries>(const IngestResult&)>;
  absl::StatusOr<IngestResult> Ingest(absl::Span<const IngestItem> items,
                                      const AuditFn& audit = nullptr);

  // --- Staged ingests, defined in staging.cc --------------------
  //
  // An ingest too large to hold in memory is written in chunks under meta
  // "stage/<id>/" while it streams in, then either dropped (invalid rows,
  // cancellation) or committed: a synced commit marker with the ingest's
  // audit entries, after which the chunks are applied one WriteBatch each,
  // every batch deleting its chunk. A node that stops mid-way resumes the
  // committed ingests at start (ResumeStaged) and drops the others, so an
  // ingest is applied completely or not at all. `id`: [0-9a-f]{1,64}.
  absl::Status StageChunk(const std::string& id, uint32_t seq,
                          absl::Span<const IngestItem> items);
  absl::Status DropStaged(const std::string& id);
  absl::Status CommitStaged(const std::string& id, const AuditEntries& audit);
  // Applies the remaining chunks of a committed ingest (each batch deletes
  // its chunk); then FinishStaged removes the marker with `audit` entries.
  absl::StatusOr<IngestResult> ApplyStaged(const std::string& id);
  absl::Status FinishStaged(const std::string& id, const AuditEntries& audit);
  // Ids of staged ingests, with whether each is committed.
  absl::StatusOr<std::vector<std::pair<std::string, bool>>> StagedIngests() const;

  // Audit column family (owned by node/audit): append entries alone, synced;
  // scan from `from` (inclusive) in key order until `fn` returns false; the
  // last entry, or NotFound.
  absl::Status AppendAudit(const AuditEntries& entries);
  absl::Status ScanAudit(const std::string& from,
                         const std::function<bool(const std::string& key,
                                                  const std::string& value)>& fn) const;
  absl::StatusOr<std::pair<std::string, std::string>> LastAudit() const;

  // One slot per pseudonym, in order: the records holding it under `epoch`
  // (empty when none). Batched with MultiGet.
  absl::StatusOr<std::vector<std::vector<ifed::v1::Record>>> Lookup(
      uint32_t epoch, absl::Span<const Pseudonym> pseudonyms) const;

  // What a keyed match needs, without building full records: for each i
  // with records under (epoch, pseudonyms[i]), in order of i, fn(i, record)
  // for each such record in index order, `record` carrying only record_id,
  // type, tlp, crime_area, expires, national_only, not_for and hold (valid
  // during the call only); fn returns false to skip the rest of slot i.
  // Served from the memory index when there is a usable one, else from
  // RocksDB like Lookup.
  using MatchVisitor = std::function<bool(size_t i, const ifed::v1::Record& record)>;
  absl::Status VisitMatches(uint32_t epoch, absl::Span<const Pseudonym> pseudonyms,
                            const MatchVisitor& fn) const;
  // Whether VisitMatches is served from memory; its size in bytes (0 when off).
  bool memory_index_usable() const;
  size_t memory_index_bytes() const;

  // Flushes the memtables and compacts every column family into one sorted
  // run (after a bulk load; reads then touch one file per family).
  absl::Status Compact();

  // Number of records per indicator type (ifed.v1.IndicatorType value).
  absl::StatusOr<std::map<int, uint64_t>> CountByType() const;

  // Adds n to the meta counter `key` ("quota/..."), unless the sum would exceed
  // `limit` (then ResourceExhausted, unchanged); returns the new value.
  // Persisted through the WAL; defined in quota_store.cc.
  absl::StatusOr<uint64_t> AddToCounter(const std::string& key, uint64_t n, uint64_t limit);
  // The value of the meta counter `key` ("quota/..."); 0 when never set.
  absl::StatusOr<uint64_t> Counter(const std::string& key) const;

  // A RocksDB integer property for metrics, summed over the column families
  // (e.g. "rocksdb.total-sst-files-size"), or of the whole DB when
  // `db_wide` ("rocksdb.is-write-stopped"); nullopt when unknown.
  std::optional<uint64_t> IntProperty(const std::string& name, bool db_wide = false) const;

  // Every record with its sealed canonical value (empty when it has none), in
  // record-id order, from one snapshot, until `fn` returns false. DataLoss
  // if a record does not parse. Defined in scan.cc.
  absl::Status ScanRecordsWithSealed(
      const std::function<bool(const ifed::v1::Record& record, const std::string& sealed)>& fn)
      const;

  // --- Meta entries of the hub and follow-ups (follow-ups, hub statistics), meta_store.cc --
  // Keys must start with "followup/", "hub/", "node/", "hits/", "watch/", "outbox/"
  // or "oprf/" (enumeration blocks)
  // (InvalidArgument otherwise).
  // Put is durable (WAL) when it returns OK; Get returns NotFound for a
  // missing key; Scan visits keys with `prefix` in order until `fn` is false.
  absl::Status PutMeta(const std::string& key, const std::string& value);
  absl::StatusOr<std::string> GetMeta(const std::string& key) const;
  absl::Status ScanMeta(const std::string& prefix,
                        const std::function<bool(const std::string& key,
                                                 const std::string& value)>& fn) const;
  // `writes` and `audit` entries in one WriteBatch, fsynced
  // unless `sync` is false (then WAL only: survives a kill -9 of the
  // process, not a power loss).
  absl::Status CommitMeta(const MetaWrites& writes, const AuditEntries& audit = {},
                          bool sync = true);
  // Observers, set once before serving; each runs inside the
  // write of an ingest (on the records it stored new) or of a removal (on
  // the records it deleted), reads what it needs, and returns meta writes
  // that join that same WriteBatch. An error aborts the whole change.
  // `sealed[i]` is the sealed canonical value of `fresh[i]` (for key
  // aliases during a rotation overlap).
  using IngestObserver = std::function<absl::StatusOr<MetaWrites>(
      const std::vector<const ifed::v1::Record*>& fresh,
      const std::vector<const std::string*>& sealed)>;
  using RemoveObserver =
      std::function<absl::StatusOr<MetaWrites>(const std::vector<ifed::v1::Record>& removed)>;
  void SetIngestObserver(IngestObserver fn) { ingest_observer_ = std::move(fn); }
  void SetRemoveObserver(RemoveObserver fn) { remove_observer_ = std::move(fn); }
  // The record `record_id`, or NotFound.
  absl::StatusOr<ifed::v1::Record> GetRecord(const std::string& record_id) const;

  // --- Investigative hold, defined in hold.cc -------------------
  struct HoldResult {
    uint64_t changed = 0;    // records whose hold flag changed.
    uint64_t unchanged = 0;  // records that already had the asked state.
  };
  using HoldAuditFn = std::function<absl::StatusOr<AuditEntries>(const HoldResult&)>;
  // Sets (hold = true) or clears the hold flag of the records `ids` (unknown
  // ids are skipped), with the audit entries of `audit(result)`, in one
  // WriteBatch: all or nothing.
  absl::StatusOr<HoldResult> SetHold(absl::Span<const std::string> ids, bool hold,
                                     const HoldAuditFn& audit);

  // --- Data lifecycle, defined in lifecycle.cc -------------------
  //
  // Index keys a record holds besides its own (epoch, pseudonym): during a
  // key rotation overlap a record is indexed under several epochs. Given the
  // record and its sealed canonical value; the caller derives them (the
  // store holds no keys). May be null.
  using AliasFn = std::function<absl::StatusOr<std::vector<std::pair<uint32_t, Pseudonym>>>(
      const ifed::v1::Record& record, const std::string& sealed)>;
  struct RemoveResult {
    uint64_t removed = 0;               // records deleted.
    std::map<int, uint64_t> by_type;    // of `removed`, per indicator type.
    uint64_t notices = 0;               // entries the remove observer enqueued.
  };
  using RemoveAuditFn = std::function<absl::StatusOr<AuditEntries>(const RemoveResult&)>;
  // Deletes the records `ids` (unknown ids are skipped), their index entries
  // (own and aliases), sealed values and counters, with the audit entries of
  // `audit(result)`, in one WriteBatch: all or nothing.
  absl::StatusOr<RemoveResult> Remove(absl::Span<const std::string> ids, const AliasFn& aliases,
                                      const RemoveAuditFn& audit);
  // Ids of records matching `pred`, from one snapshot, at most `limit`.
  absl::StatusOr<std::vector<std::string>> FindRecords(
      const std::function<bool(const ifed::v1::Record&)>& pred, size_t limit) const;
  // Ids of records of `type` indexed under (epoch, pseudonym).
  absl::StatusOr<std::vector<std::string>> FindByPseudonym(uint32_t epoch, int type,
                                                           const Pseudonym& p) const;

  // Key rotation: indexes every record under `epoch` with the pseudonym
  // `derive(record, sealed)` (idempotent: an id already indexed is kept),
  // moving the record's own (epoch, pseudonym) to it, in batches of
  // `batch_records`; progress in meta "rotate/<epoch>" so an interrupted
  // run resumes; `progress(done)` after each batch, which returns false to
  // stop there (Cancelled; the next call resumes). Returns records done.
  using DeriveFn = std::function<absl::StatusOr<Pseudonym>(const ifed::v1::Record& record,
                                                           const std::string& sealed)>;
  absl::StatusOr<uint64_t> Reindex(uint32_t epoch, const DeriveFn& derive,
                                   size_t batch_records = 10000,
                                   const std::function<bool(uint64_t)>& progress = nullptr);
  // Whether Reindex(epoch) ran to the end.
  bool ReindexComplete(uint32_t epoch) const;
  // Deletes every index entry of `epoch` (a dropped key): its pseudonyms
  // no longer match. Returns entries deleted.
  absl::StatusOr<uint64_t> DropEpoch(uint32_t epoch);
  // Epochs that have index entries, ascending.
  absl::StatusOr<std::vector<uint32_t>> IndexedEpochs() const;

  // Backup (RocksDB BackupEngine) of the running store into `dir`, flushed
  // first and verified with checksums. Returns the backup id.
  absl::StatusOr<uint32_t> Backup(const std::string& dir);
  // Restores the latest backup of `backup_dir` into `db_dir`, which must not
  // hold a store yet (FailedPrecondition). Verifies the backup first.
  static absl::Status Restore(const std::string& backup_dir, const std::string& db_dir);

  // Whether the last write failed (e.g. disk full) and none succeeded since:
  // the WAL may end in a torn record, so a stop now is not a clean stop.
  bool write_failing() const { return write_failing_.load(); }

  // Damage met while serving (health.h): the first Corruption from RocksDB
  // (a read's block checksum, or a background flush or compaction) or a
  // value that does not parse marks it, and from then on the reads below
  // (Lookup, CountByType, GetRecord, GetMeta, ScanMeta, Counter,
  // ScanRecordsWithSealed, FindRecords, FindByPseudonym, IndexedEpochs) and
  // ingests are refused with DataLoss saying what to do. The audit column
  // family and meta writes stay usable, so the event is recorded.
  StoreHealth& health() const { return *health_; }

 private:
  Store() = default;
  // Writes `batch` (synced unless `sync` is false). After a failed write
  // RocksDB refuses writes (background error, e.g. disk full); once the
  // cause is gone DB::Resume() clears it, so a failed write tries Resume()
  // and, if that succeeds, writes once more.
  rocksdb::Status Commit(rocksdb::WriteBatch* batch, bool sync = true);
  // FromRocks, and a DataLoss (Corruption) marks the store damaged.
  absl::Status Rocks(const rocksdb::Status& s, absl::string_view what) const;
  // DataLoss for a value that does not parse at `what`; marks the damage.
  absl::Status Damaged(absl::string_view what) const;
  // Shared with the RocksDB listener of background errors.
  std::shared_ptr<StoreHealth> health_ = std::make_shared<StoreHealth>();
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; freed before db_.
  rocksdb::ColumnFamilyHandle* records_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* sealed_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* audit_ = nullptr;
  std::mutex write_mu_;
  std::unique_ptr<MemoryIndex> memory_;  // null when StoreOptions::memory_index is off.
  absl::Status BuildMemoryIndex();

  // Ingest() with `meta_deletes` removed in the same batch.
  absl::StatusOr<IngestResult> IngestBatch(absl::Span<const IngestItem> items,
                                           const AuditFn& audit,
                                           absl::Span<const std::string> meta_deletes);
  std::atomic<bool> write_failing_{false};
  std::string path_;
  uint64_t min_free_bytes_ = 0;
  IngestObserver ingest_observer_;
  RemoveObserver remove_observer_;
};


}  // namespace ifed::store

#endif  // IFED_STORE_STORE_H_
