#include "node/store/memory_index.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace ifed::store {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint64_t PseudonymHash(const uint8_t* p) {
  return Mix(Load64(p) ^ Mix(Load64(p + 8) ^ Mix(Load64(p + 16) ^ Mix(Load64(p + 24)))));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// A record id of 32 lowercase hex digits, as 16 bytes.
bool PackHexId(const std::string& id, std::array<uint8_t, 16>* out) {
  if (id.size() != 32) return false;
  for (size_t i = 0; i < 16; ++i) {
    const int hi = HexValue(id[2 * i]);
    const int lo = HexValue(id[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

uint64_t PackedIdHash(const std::array<uint8_t, 16>& id) {
  return Mix(Load64(id.data()) ^ Mix(Load64(id.data() + 8)));
}

uint64_t LongIdHash(const std::string& id) { return Mix(std::hash<std::string>()(id) + 1); }

std::string NotForKey(const google::protobuf::RepeatedPtrField<std::string>& list) {
  std::string k;
  for (const std::string& s : list) absl::StrAppend(&k, s.size(), ":", s);
  return k;
}

}  // namespace

// --- SlotTable ---------------------------------------------------------

void SlotTable::Place(uint64_t hash, uint32_t e) {
  size_t i = Home(hash);
  while (static_cast<uint32_t>(slots_[i]) != kEmpty) i = Next(i);
  slots_[i] = (hash << 32) | e;
}

void SlotTable::Rehash(size_t capacity, const HashOf& hash_of) {
  std::vector<uint64_t> old(capacity, kEmptySlot);
  old.swap(slots_);
  for (uint64_t s : old) {
    const uint32_t e = static_cast<uint32_t>(s);
    if (e != kEmpty) Place(hash_of(e), e);
  }
}

void SlotTable::Insert(uint64_t hash, uint32_t e, const HashOf& hash_of) {
  if ((live_ + 1) * 10 > slots_.size() * 7) Rehash(std::max<size_t>(64, slots_.size() * 2), hash_of);
  Place(hash, e);
  ++live_;
}

void SlotTable::Erase(uint64_t hash, uint32_t e, const HashOf& hash_of) {
  size_t i = Home(hash);
  while (static_cast<uint32_t>(slots_[i]) != e) {
    if (static_cast<uint32_t>(slots_[i]) == kEmpty) return;  // not present.
    i = Next(i);
  }
  // Backward shift: move each later member of the run whose home is not in
  // (i, j] into the hole.
  size_t hole = i;
  for (size_t j = Next(i);; j = Next(j)) {
    const uint32_t f = static_cast<uint32_t>(slots_[j]);
    if (f == kEmpty) break;
    const size_t home = Home(hash_of(f));
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = kEmptySlot;
  --live_;
}

// --- MemoryIndex: records --------------------------------------------------

uint64_t MemoryIndex::RecordHash(uint32_t r) const {
  const Rec& rec = recs_[r];
  if (rec.flags & kLongId) {
    uint32_t n;
    std::memcpy(&n, rec.id.data(), sizeof n);
    return LongIdHash(long_ids_[n]);
  }
  return PackedIdHash(rec.id);
}

std::string MemoryIndex::RecordId(uint32_t r) const {
  const Rec& rec = recs_[r];
  if (rec.flags & kLongId) {
    uint32_t n;
    std::memcpy(&n, rec.id.data(), sizeof n);
    return long_ids_[n];
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(32, '0');
  for (size_t i = 0; i < 16; ++i) {
    s[2 * i] = kHex[rec.id[i] >> 4];
    s[2 * i + 1] = kHex[rec.id[i] & 15];
  }
  return s;
}

uint32_t MemoryIndex::FindRecord(const std::string& id) const {
  std::array<uint8_t, 16> packed;
  if (PackHexId(id, &packed)) {
    return rec_table_.Find(PackedIdHash(packed), [&](uint32_t r) {
      return !(recs_[r].flags & kLongId) && recs_[r].id == packed;
    });
  }
  return rec_table_.Find(LongIdHash(id), [&](uint32_t r) {
    if (!(recs_[r].flags & kLongId)) return false;
    uint32_t n;
    std::memcpy(&n, recs_[r].id.data(), sizeof n);
    return long_ids_[n] == id;
  });
}

uint32_t MemoryIndex::RecordFor(const std::string& id) {
  const uint32_t found = FindRecord(id);
  if (found != SlotTable::kEmpty) return found;
  const uint32_t r = recs_.Allocate();
  Rec& rec = recs_[r];
  rec = Rec{};
  rec.flags = kUsed;
  uint64_t hash;
  if (PackHexId(id, &rec.id)) {
    hash = PackedIdHash(rec.id);
  } else {
    uint32_t n;
    if (!long_free_.empty()) {
      n = long_free_.back();
      long_free_.pop_back();
      long_ids_[n] = id;
    } else {
      n = static_cast<uint32_t>(long_ids_.size());
      long_ids_.push_back(id);
    }
    std::memcpy(rec.id.data(), &n, sizeof n);
    rec.flags |= kLongId;
    hash = LongIdHash(id);
  }
  rec_table_.Insert(hash, r, [this](uint32_t e) { return RecordHash(e); });
  return r;
}

void MemoryIndex::MaybeFreeRecord(uint32_t r) {
  Rec& rec = recs_[r];
  if ((rec.flags & kPresent) || rec.refs > 0) return;
  rec_table_.Erase(RecordHash(r), r, [this](uint32_t e) { return RecordHash(e); });
  if (rec.flags & kLongId) {
    uint32_t n;
    std::memcpy(&n, rec.id.data(), sizeof n);
    long_ids_[n].clear();
    long_ids_[n].shrink_to_fit();
    long_free_.push_back(n);
  }
  recs_.Release(r);
}

uint32_t MemoryIndex::Intern(const std::string& s, std::vector<std::string>* list,
                             std::unordered_map<std::string, uint32_t>* ids) {
  auto [it, fresh] = ids->try_emplace(s, static_cast<uint32_t>(list->size()));
  if (fresh) list->push_back(s);
  return it->second;
}

void MemoryIndex::PutRecordLocked(const std::string& id, const std::string& value) {
  ifed::v1::Record in;
  if (!in.ParseFromString(value) || in.type() < 0 || in.type() > 255 || in.tlp() < 0 ||
      in.tlp() > 255) {
    return Unusable();
  }
  const uint32_t r = RecordFor(id);
  Rec& rec = recs_[r];
  rec.type = static_cast<uint8_t>(in.type());
  rec.tlp = static_cast<uint8_t>(in.tlp());
  rec.expires = in.expires();
  rec.area = Intern(in.crime_area(), &areas_, &area_ids_);
  const std::string nf = NotForKey(in.not_for());
  auto [it, fresh] = not_for_ids_.try_emplace(nf, static_cast<uint32_t>(not_for_.size()));
  if (fresh) not_for_.emplace_back(in.not_for().begin(), in.not_for().end());
  rec.not_for = it->second;
  rec.flags = static_cast<uint8_t>((rec.flags & (kLongId | kUsed)) | kPresent |
                                   (in.national_only() ? kNational : 0) |
                                   (in.hold() ? kHold : 0));
}

void MemoryIndex::DeleteRecordLocked(const std::string& id) {
  const uint32_t r = FindRecord(id);
  if (r == SlotTable::kEmpty) return;
  recs_[r].flags &= static_cast<uint8_t>(~kPresent);
  MaybeFreeRecord(r);
}

// --- MemoryIndex: keys --------------------------------------------------

void MemoryIndex::ClearKeyRefsLocked(uint32_t ref) {
  auto drop = [this](uint32_t r) {
    --recs_[r].refs;
    MaybeFreeRecord(r);
  };
  if (ref & kMulti) {
    const uint32_t m = ref & ~kMulti;
    for (uint32_t r : multi_[m]) drop(r);
    multi_[m].clear();
    multi_[m].shrink_to_fit();
    multi_free_.push_back(m);
  } else {
    drop(ref);
  }
}

void MemoryIndex::PutKeyLocked(const std::string& key, const std::string& value) {
  ifed::v1::IndexEntry entry;
  if (key.size() != 36 || !entry.ParseFromString(value)) return Unusable();
  if (entry.record_ids().empty()) return DeleteKeyLocked(key);
  const uint32_t epoch = static_cast<uint32_t>(static_cast<uint8_t>(key[0])) << 24 |
                         static_cast<uint32_t>(static_cast<uint8_t>(key[1])) << 16 |
                         static_cast<uint32_t>(static_cast<uint8_t>(key[2])) << 8 |
                         static_cast<uint8_t>(key[3]);
  const auto* p = reinterpret_cast<const uint8_t*>(key.data() + 4);
  Epoch& ep = epochs_[epoch];
  const uint64_t hash = PseudonymHash(p);
  uint32_t k = ep.table.Find(hash, [&](uint32_t e) {
    return std::memcmp(ep.keys[e].p.data(), p, 32) == 0;
  });
  // New references first, then the old ones dropped: a record named by
  // both keeps its slot.
  std::vector<uint32_t> refs;
  refs.reserve(entry.record_ids_size());
  for (const std::string& id : entry.record_ids()) {
    const uint32_t r = RecordFor(id);
    ++recs_[r].refs;
    refs.push_back(r);
  }
  if (k != SlotTable::kEmpty) {
    ClearKeyRefsLocked(ep.keys[k].ref);
  } else {
    k = ep.keys.Allocate();
    std::memcpy(ep.keys[k].p.data(), p, 32);
    ep.table.Insert(hash, k, [&ep](uint32_t e) { return PseudonymHash(ep.keys[e].p.data()); });
  }
  if (refs.size() == 1) {
    ep.keys[k].ref = refs[0];
    return;
  }
  uint32_t m;
  if (!multi_free_.empty()) {
    m = multi_free_.back();
    multi_free_.pop_back();
    multi_[m] = std::move(refs);
  } else {
    m = static_cast<uint32_t>(multi_.size());
    multi_.push_back(std::move(refs));
  }
  ep.keys[k].ref = m | kMulti;
}

void MemoryIndex::DeleteKeyLocked(const std::string& key) {
  if (key.size() != 36) return Unusable();
  const uint32_t epoch = static_cast<uint32_t>(static_cast<uint8_t>(key[0])) << 24 |
                         static_cast<uint32_t>(static_cast<uint8_t>(key[1])) << 16 |
                         static_cast<uint32_t>(static_cast<uint8_t>(key[2])) << 8 |
                         static_cast<uint8_t>(key[3]);
  auto it = epochs_.find(epoch);
  if (it == epochs_.end()) return;
  Epoch& ep = it->second;
  const auto* p = reinterpret_cast<const uint8_t*>(key.data() + 4);
  const uint64_t hash = PseudonymHash(p);
  const uint32_t k = ep.table.Find(hash, [&](uint32_t e) {
    return std::memcmp(ep.keys[e].p.data(), p, 32) == 0;
  });
  if (k == SlotTable::kEmpty) return;
  ClearKeyRefsLocked(ep.keys[k].ref);
  ep.table.Erase(hash, k, [&ep](uint32_t e) { return PseudonymHash(ep.keys[e].p.data()); });
  ep.keys.Release(k);
  if (ep.table.size() == 0) epochs_.erase(it);
}

void MemoryIndex::DeleteRangeLocked(const std::string& begin, const std::string& end) {
  std::vector<std::string> doomed;
  for (const auto& entry : epochs_) {
    const uint32_t epoch = entry.first;
    const Epoch& ep = entry.second;
    std::string key(36, '\0');
    key[0] = static_cast<char>(epoch >> 24);
    key[1] = static_cast<char>(epoch >> 16);
    key[2] = static_cast<char>(epoch >> 8);
    key[3] = static_cast<char>(epoch);
    ep.table.ForEach([&](uint32_t e) {
      std::memcpy(key.data() + 4, ep.keys[e].p.data(), 32);
      if (key >= begin && key < end) doomed.push_back(key);
    });
  }
  for (const std::string& key : doomed) DeleteKeyLocked(key);
}

// --- MemoryIndex: batches ---------------------------------------------

namespace {

// Replays one family's changes of a batch; anything it cannot mirror
// (a merge, a range delete of records) makes the index unusable.
class Replay : public rocksdb::WriteBatch::Handler {
 public:
  Replay(uint32_t cf, std::function<void(const std::string&, const std::string*)> op,
         std::function<void(const std::string&, const std::string&)> range)
      : cf_(cf), op_(std::move(op)), range_(std::move(range)) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    if (cf == cf_) {
      const std::string v = value.ToString();
      op_(key.ToString(), &v);
    }
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    if (cf == cf_) op_(key.ToString(), nullptr);
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    return DeleteCF(cf, key);
  }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice& begin,
                                const rocksdb::Slice& end) override {
    if (cf == cf_) {
      if (!range_) return rocksdb::Status::NotSupported("range delete");
      range_(begin.ToString(), end.ToString());
    }
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return cf == cf_ ? rocksdb::Status::NotSupported("merge") : rocksdb::Status::OK();
  }
  void LogData(const rocksdb::Slice&) override {}

 private:
  uint32_t cf_;
  std::function<void(const std::string&, const std::string*)> op_;
  std::function<void(const std::string&, const std::string&)> range_;
};

// Whether a batch changes one of two families (audit-only batches, the
// common case on the match path, then skip the lock).
class Touches : public rocksdb::WriteBatch::Handler {
 public:
  Touches(uint32_t a, uint32_t b) : a_(a), b_(b) {}
  bool touched = false;
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return See(cf);
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice&) override { return See(cf); }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice&) override { return See(cf); }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice&,
                                const rocksdb::Slice&) override {
    return See(cf);
  }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return See(cf);
  }
  void LogData(const rocksdb::Slice&) override {}

 private:
  rocksdb::Status See(uint32_t cf) {
    touched |= cf == a_ || cf == b_;
    return rocksdb::Status::OK();
  }
  uint32_t a_, b_;
};

}  // namespace

void MemoryIndex::Unusable() { usable_ = false; }

void MemoryIndex::Apply(const rocksdb::WriteBatch& batch) {
  Touches touches(index_cf_, records_cf_);
  if (!batch.Iterate(&touches).ok() || !touches.touched) {
    if (touches.touched) Unusable();
    return;
  }
  std::unique_lock<std::shared_mutex> l(mu_);
  if (!usable_) return;  // stays unusable until the next Build.
  // Records first, so the index entries of the same batch find them.
  Replay records(
      records_cf_,
      [this](const std::string& id, const std::string* v) {
        v ? PutRecordLocked(id, *v) : DeleteRecordLocked(id);
      },
      nullptr);
  Replay index(
      index_cf_,
      [this](const std::string& key, const std::string* v) {
        v ? PutKeyLocked(key, *v) : DeleteKeyLocked(key);
      },
      [this](const std::string& b, const std::string& e) { DeleteRangeLocked(b, e); });
  if (!batch.Iterate(&records).ok() || !batch.Iterate(&index).ok()) Unusable();
}

absl::Status MemoryIndex::Build(const Feed& records, const Feed& index) {
  std::unique_lock<std::shared_mutex> l(mu_);
  epochs_.clear();
  recs_.Clear();
  rec_table_.Clear();
  multi_.clear();
  multi_free_.clear();
  long_ids_.clear();
  long_free_.clear();
  usable_ = true;
  absl::Status s = records([this](const std::string& k, const std::string& v) {
    PutRecordLocked(k, v);
  });
  if (s.ok()) {
    s = index([this](const std::string& k, const std::string& v) { PutKeyLocked(k, v); });
  }
  if (!s.ok()) Unusable();
  return s;
}

void MemoryIndex::Fill(const Rec& r, ifed::v1::Record* out) const {
  out->set_type(static_cast<ifed::v1::IndicatorType>(r.type));
  out->set_tlp(static_cast<ifed::v1::Tlp>(r.tlp));
  out->set_expires(r.expires);
  out->set_crime_area(areas_[r.area]);
  out->set_national_only(r.flags & kNational);
  out->set_hold(r.flags & kHold);
  out->clear_not_for();
  for (const std::string& p : not_for_[r.not_for]) out->add_not_for(p);
}

absl::Status MemoryIndex::Visit(
    uint32_t epoch, absl::Span<const Pseudonym> pseudonyms,
    const std::function<bool(size_t, const ifed::v1::Record&)>& fn) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  if (!usable_) return absl::FailedPreconditionError("memory index not usable");
  auto it = epochs_.find(epoch);
  if (it == epochs_.end()) return absl::OkStatus();
  const Epoch& ep = it->second;
  ifed::v1::Record scratch;
  for (size_t i = 0; i < pseudonyms.size(); ++i) {
    const uint8_t* p = pseudonyms[i].data();
    const uint32_t k = ep.table.Find(PseudonymHash(p), [&](uint32_t e) {
      return std::memcmp(ep.keys[e].p.data(), p, 32) == 0;
    });
    if (k == SlotTable::kEmpty) continue;
    const uint32_t ref = ep.keys[k].ref;
    const uint32_t* first = &ep.keys[k].ref;
    size_t n = 1;
    if (ref & kMulti) {
      const std::vector<uint32_t>& list = multi_[ref & ~kMulti];
      first = list.data();
      n = list.size();
    }
    for (size_t j = 0; j < n; ++j) {
      const Rec& rec = recs_[first[j]];
      if (!(rec.flags & kPresent)) continue;  // named by the index, not stored.
      Fill(rec, &scratch);
      scratch.set_record_id(RecordId(first[j]));
      if (!fn(i, scratch)) break;
    }
  }
  return absl::OkStatus();
}

size_t MemoryIndex::keys() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  size_t n = 0;
  for (const auto& [e, ep] : epochs_) n += ep.table.size();
  return n;
}

size_t MemoryIndex::records() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  size_t n = 0;
  rec_table_.ForEach([&](uint32_t r) { n += (recs_[r].flags & kPresent) ? 1 : 0; });
  return n;
}

size_t MemoryIndex::MemoryBytes() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  size_t b = recs_.MemoryBytes() + rec_table_.MemoryBytes() + multi_.capacity() * 24;
  for (const auto& [e, ep] : epochs_) b += ep.keys.MemoryBytes() + ep.table.MemoryBytes();
  for (const auto& m : multi_) b += m.capacity() * sizeof(uint32_t);
  for (const auto& s : long_ids_) b += sizeof(std::string) + s.capacity();
  return b;
}

}  // namespace ifed::store
