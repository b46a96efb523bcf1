// MemoryIndex: an in-memory copy of the store's pseudonym index with the
// fields a match needs of each record, so that a keyed match answers a
// miss without touching RocksDB and a hit with one probe.
//
// Kept exact by the store itself: Store::Commit hands every WriteBatch it
// wrote to Apply(), so no write path (ingest, erasure, expiry, hold,
// re-index, epoch drop, staged ingest) can bypass it; Build() fills it from
// the column families when the store opens. A value that does not parse
// marks the index unusable (usable() false) and the store falls back to
// RocksDB, which reports the damage as before.
//
// Layout (memory-lean, no per-item heap strings): one open-addressing table
// per epoch of 32-byte pseudonyms (linear probing over 4-byte slot numbers
// into chunked entry arrays), and one record table (id packed to 16 bytes
// when it is 32 lowercase hex digits, type, TLP, flags, expiry, interned
// crime area and not-for list) reached by record id through a second table.
// Thread-safe: Apply/Build take the lock exclusively, Visit shares it.
#ifndef IFED_STORE_MEMORY_INDEX_H_
#define IFED_STORE_MEMORY_INDEX_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "proto/store.pb.h"

namespace rocksdb {
class WriteBatch;
}  // namespace rocksdb

namespace ifed::store {

using Pseudonym = std::array<uint8_t, 32>;

// Open addressing with linear probing over 32-bit entry numbers, each slot
// tagged with 32 bits of its key's hash so that a probe rarely reads an
// entry; the keys live in the caller's entry arrays (hash and equality
// given per call). Deletion shifts the following run back, so there are
// no tombstones. At most 70 % full.
class SlotTable {
 public:
  static constexpr uint32_t kEmpty = 0xffffffffu;
  using HashOf = std::function<uint64_t(uint32_t)>;
  size_t size() const { return live_; }
  size_t MemoryBytes() const { return slots_.capacity() * sizeof(uint64_t); }
  // Entry number whose key equals (per `eq`), or kEmpty.
  template <class Eq>
  uint32_t Find(uint64_t hash, const Eq& eq) const {
    if (slots_.empty()) return kEmpty;
    const uint32_t tag = static_cast<uint32_t>(hash);
    for (size_t i = Home(hash);; i = Next(i)) {
      const uint64_t s = slots_[i];
      const uint32_t e = static_cast<uint32_t>(s);
      if (e == kEmpty) return kEmpty;
      if (static_cast<uint32_t>(s >> 32) == tag && eq(e)) return e;
    }
  }
  // Adds entry `e` (not present); `hash_of(e)` rehashes on growth.
  void Insert(uint64_t hash, uint32_t e, const HashOf& hash_of);
  // Removes entry `e` (present).
  void Erase(uint64_t hash, uint32_t e, const HashOf& hash_of);
  void Clear() {
    slots_.clear();
    live_ = 0;
  }
  template <class Fn>
  void ForEach(const Fn& fn) const {
    for (uint64_t s : slots_) {
      if (static_cast<uint32_t>(s) != kEmpty) fn(static_cast<uint32_t>(s));
    }
  }

 private:
  static constexpr uint64_t kEmptySlot = ~uint64_t{0};
  size_t Home(uint64_t hash) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash) * slots_.size()) >> 64);
  }
  size_t Next(size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }
  void Place(uint64_t hash, uint32_t e);
  void Rehash(size_t capacity, const HashOf& hash_of);
  std::vector<uint64_t> slots_;
  size_t live_ = 0;
};

// Growable array in fixed chunks: no doubling slack, stable element addresses.
template <class T>
class ChunkedArray {
 public:
  static constexpr size_t kChunk = 1 << 14;
  T& operator[](uint32_t i) { return chunks_[i / kChunk][i % kChunk]; }
  const T& operator[](uint32_t i) const { return chunks_[i / kChunk][i % kChunk]; }
  // A free element (reused or appended).
  uint32_t Allocate() {
    if (!free_.empty()) {
      const uint32_t i = free_.back();
      free_.pop_back();
      return i;
    }
    if (size_ % kChunk == 0) chunks_.push_back(std::make_unique<T[]>(kChunk));
    return static_cast<uint32_t>(size_++);
  }
  void Release(uint32_t i) {
    (*this)[i] = T{};
    free_.push_back(i);
  }
  size_t live() const { return size_ - free_.size(); }
  size_t MemoryBytes() const {
    return chunks_.size() * kChunk * sizeof(T) + free_.capacity() * sizeof(uint32_t);
  }
  void Clear() {
    chunks_.clear();
    free_.clear();
    size_ = 0;
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::vector<uint32_t> free_;
  size_t size_ = 0;
};

class MemoryIndex {
 public:
  // Column family ids of the store's `index` and `records` families.
  MemoryIndex(uint32_t index_cf, uint32_t records_cf) : index_cf_(index_cf), records_cf_(records_cf) {}

  // Replaces the content: `records` then `index` are called with a visitor
  // the caller feeds every (key, value) of that column family.
  using Feed = std::function<absl::Status(
      const std::function<void(const std::string& key, const std::string& value)>&)>;
  absl::Status Build(const Feed& records, const Feed& index);

  // Applies a batch that was written (puts, deletes and range deletes of the
  // index and records families; others are ignored).
  void Apply(const rocksdb::WriteBatch& batch);

  bool usable() const { return usable_.load(); }

  // For each i with records under (epoch, pseudonyms[i]): fn(i, record) for
  // each such record, `record` carrying only record_id, type, tlp,
  // crime_area, expires, national_only, not_for and hold (one object
  // reused between calls). fn returns false to skip the rest of slot i.
  // FailedPrecondition when not usable().
  absl::Status Visit(uint32_t epoch, absl::Span<const Pseudonym> pseudonyms,
                     const std::function<bool(size_t, const ifed::v1::Record&)>& fn) const;

  // Entries of (epoch, pseudonym) and live records; bytes held.
  size_t keys() const;
  size_t records() const;
  size_t MemoryBytes() const;

 private:
  struct Rec {
    std::array<uint8_t, 16> id{};  // packed hex id, or (long id) index into long_ids_.
    int64_t expires = 0;
    uint32_t area = 0;     // into areas_ (0: none).
    uint32_t not_for = 0;  // into not_for_ (0: empty).
    uint32_t refs = 0;     // index keys naming this record.
    uint8_t type = 0;      // enum values above 255 make the index unusable.
    uint8_t tlp = 0;
    uint8_t flags = 0;     // kPresent | kNational | kHold | kLongId | kUsed
  };
  struct Key {
    Pseudonym p{};
    uint32_t ref = 0;  // a record number, or (kMulti bit) an index into multi_.
  };
  struct Epoch {
    ChunkedArray<Key> keys;
    SlotTable table;
  };
  static constexpr uint8_t kPresent = 1, kNational = 2, kHold = 4, kLongId = 8, kUsed = 16;
  static constexpr uint32_t kMulti = 0x80000000u;

  // All below with mu_ held exclusively.
  void PutRecordLocked(const std::string& id, const std::string& value);
  void DeleteRecordLocked(const std::string& id);
  void PutKeyLocked(const std::string& key, const std::string& value);
  void DeleteKeyLocked(const std::string& key);
  void DeleteRangeLocked(const std::string& begin, const std::string& end);
  void ClearKeyRefsLocked(uint32_t ref);
  uint32_t RecordFor(const std::string& id);  // found or allocated (refs 0, absent).
  void MaybeFreeRecord(uint32_t r);
  uint32_t FindRecord(const std::string& id) const;
  uint64_t RecordHash(uint32_t r) const;
  std::string RecordId(uint32_t r) const;
  uint32_t Intern(const std::string& s, std::vector<std::string>* list,
                  std::unordered_map<std::string, uint32_t>* ids);
  void Fill(const Rec& r, ifed::v1::Record* out) const;
  void Unusable();

  const uint32_t index_cf_;
  const uint32_t records_cf_;
  mutable std::shared_mutex mu_;
  std::atomic<bool> usable_{false};
  std::map<uint32_t, Epoch> epochs_;
  ChunkedArray<Rec> recs_;
  SlotTable rec_table_;
  std::vector<std::vector<uint32_t>> multi_;  // record lists of keys with several.
  std::vector<uint32_t> multi_free_;
  std::vector<std::string> long_ids_;        // ids not 32 lowercase hex digits.
  std::vector<uint32_t> long_free_;
  std::vector<std::string> areas_{""};
  std::unordered_map<std::string, uint32_t> area_ids_{{"", 0}};
  std::vector<std::vector<std::string>> not_for_{{}};
  std::unordered_map<std::string, uint32_t> not_for_ids_{{"", 0}};
};

}  // namespace ifed::store

#endif  // IFED_STORE_MEMORY_INDEX_H_
