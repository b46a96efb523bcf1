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
