// Store: the node's RocksDB. Column families, all opened up front:
//   records  record_id -> ifed.v1.Record
//   index    epoch (4 bytes, big-endian) || pseudonym (32) -> ifed.v1.IndexEntry
//   sealed   record_id -> canonical value sealed with the local key
//   audit    reserved for the audit chain
//   meta     counters and node state
// Keys are pseudonyms and random ids, never raw values. Every change is one
// WriteBatch with the WAL on: it is durable when the call returns OK.
// Thread-safe: writers serialise on an internal mutex, readers do not block.
#ifndef IFED_STORE_STORE_H_
#define IFED_STORE_STORE_H_

#include <array>
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
  absl::StatusOr<IngestResult> Ingest(absl::Span<const IngestItem> items);

  // One slot per pseudonym, in order: the records holding it under `epoch`
  // (empty when none). Batched with MultiGet.
  absl::StatusOr<std::vector<std::vector<ifed::v1::Record>>> Lookup(
      uint32_t epoch, absl::Span<const Pseudonym> pseudonyms) const;

  // Number of records per indicator type (ifed.v1.IndicatorType value).
  absl::StatusOr<std::map<int, uint64_t>> CountByType() const;

 private:
  Store() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; freed before db_.
  rocksdb::ColumnFamilyHandle* records_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_ = nullptr;
  rocksdb::ColumnFamilyHandle* sealed_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  std::mutex write_mu_;
};


}  // namespace ifed::store

#endif  // IFED_STORE_STORE_H_
