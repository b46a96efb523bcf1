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
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "proto/store.pb.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace ifed::store {

using Pseudonym = std::array<uint8_t, 32>;

struct StoreOptions {
  std::string path;             // directory; created if missing.
  size_t block_cache_mb = 64;   // shared LRU block cache.
};

// One record to ingest. `record.record_id` is used only if the record is new.
struct IngestItem {
  ifed::v1::Record record;
  std::string sealed_value;
};

struct IngestResult {
  uint64_t stored = 0;   // new records.
  uint64_t updated = 0;  // same type, pseudonym and case: last_seen moved.
};

class Store {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Upserts all items atomically, or nothing. A record with the same type,
  // epoch, pseudonym and case_ref as an existing one (or an earlier item of
  // the batch) only moves its last_seen forward and keeps the newer expiry.
  //
  // `audit`, when given, is called once the batch's result is known and
  // returns the audit entries (key, value) to write to the `audit` column
  // family in the same WriteBatch: no change without its event. An error
  // from it aborts the ingest.
  using AuditEntries = std::vector<std::pair<std::string, std::string>>;
  using AuditFn = std::function<absl::StatusOr<AuditEntries>(const IngestResult&)>;
  absl::StatusOr<IngestResult> Ingest(absl::Span<const IngestItem> items,
                                      const AuditFn& audit = nullptr);

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

  // Flushes the memtables and compacts every column family into one sorted
  // run (after a bulk load; reads then touch one file per family).
  absl::Status Compact();

  // Number of records per indicator type (ifed.v1.IndicatorType value).
  absl::StatusOr<std::map<int, uint64_t>> CountByType() const;

  // Adds n to the meta counter `key` ("quota/..."), unless the sum would exceed
  // `limit` (then ResourceExhausted, unchanged); returns the new value.
  // Persisted through the WAL; defined in quota_store.cc.
  absl::StatusOr<uint64_t> AddToCounter(const std::string& key, uint64_t n, uint64_t limit);

  // Every record with its sealed canonical value (empty when it has none), in
  // record-id order, from one snapshot, until `fn` returns false. DataLoss
  // if a record does not parse. Defined in scan.cc.
  absl::Status ScanRecordsWithSealed(
      const std::function<bool(const ifed::v1::Record& record, const std::string& sealed)>& fn)
      const;

  // --- Meta entries of issue 10 (follow-ups, hub statistics), meta_store.cc --
  // Keys must start with "followup/" or "hub/" (InvalidArgument otherwise).
  // Put is durable (WAL) when it returns OK; Get returns NotFound for a
  // missing key; Scan visits keys with `prefix` in order until `fn` is false.
  absl::Status PutMeta(const std::string& key, const std::string& value);
  absl::StatusOr<std::string> GetMeta(const std::string& key) const;
  absl::Status ScanMeta(const std::string& prefix,
                        const std::function<bool(const std::string& key,
                                                 const std::string& value)>& fn) const;
  // The record `record_id`, or NotFound.
  absl::StatusOr<ifed::v1::Record> GetRecord(const std::string& record_id) const;

  // --- Data lifecycle (issue 9), defined in lifecycle.cc -------------------
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
  // run resumes; `progress(done)` after each batch. Returns records done.
  using DeriveFn = std::function<absl::StatusOr<Pseudonym>(const ifed::v1::Record& record,
                                                           const std::string& sealed)>;
  absl::StatusOr<uint64_t> Reindex(uint32_t epoch, const DeriveFn& derive,
                                   size_t batch_records = 10000,
                                   const std::function<void(uint64_t)>& progress = nullptr);
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

 private:
  Store() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; freed before db_.
  rocksdb::ColumnFamilyHandle* records_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* sealed_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* audit_ = nullptr;
  std::mutex write_mu_;
};


}  // namespace ifed::store

#endif  // IFED_STORE_STORE_H_
