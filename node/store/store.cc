#include "node/store/keys.h"
#include "node/store/store.h"
#include "node/store/memory_index.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <sys/statvfs.h>

#include <algorithm>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"

namespace ifed::store {
namespace {

using internal::CountKey;
using internal::DecodeCount;
using internal::EncodeCount;
using internal::EpochPrefix;
using internal::FromRocks;
using internal::IndexKey;

const char* const kColumnFamilies[] = {rocksdb::kDefaultColumnFamilyName.c_str(),
                                       "records", "index", "sealed", "audit",
                                       "meta"};

// A Corruption RocksDB meets in a background flush or compaction (a
// damaged input file) marks the store damaged like one met by a read.
class DamageListener : public rocksdb::EventListener {
 public:
  explicit DamageListener(std::shared_ptr<StoreHealth> health) : health_(std::move(health)) {}
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (error == nullptr || !error->IsCorruption()) return;
    static constexpr const char* kReasons[] = {"flush", "compaction", "write callback",
                                               "memtable", "manifest write", "flush (no WAL)",
                                               "manifest write (no WAL)"};
    const auto i = static_cast<size_t>(reason);
    health_->MarkDamaged(absl::StrCat("background ", i < std::size(kReasons) ? kReasons[i] : "job"),
                         error->ToString());
  }

 private:
  std::shared_ptr<StoreHealth> health_;
};


}  // namespace

namespace internal {

rocksdb::ColumnFamilyOptions CfOptions(std::shared_ptr<rocksdb::Cache> cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = std::move(cache);
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.whole_key_filtering = true;
  t.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  cf.compression = rocksdb::kNoCompression;
  return cf;
}

}  // namespace internal

using internal::CfOptions;

namespace {

// Adds the provenance of `in` that `to` lacks (same post hash, URL and
// span), keeping the newest kMaxProvenance.
void MergeProvenance(const ifed::v1::Record& in, ifed::v1::Record* to) {
  for (const ifed::v1::PostProvenance& p : in.provenance()) {
    bool known = false;
    for (const ifed::v1::PostProvenance& q : to->provenance()) {
      known |= q.text_sha256() == p.text_sha256() && q.post_url() == p.post_url() &&
               q.span_begin() == p.span_begin() && q.span_end() == p.span_end();
    }
    if (!known) *to->add_provenance() = p;
  }
  auto* list = to->mutable_provenance();
  if (list->size() > kMaxProvenance) list->DeleteSubrange(0, list->size() - kMaxProvenance);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  db_options.wal_recovery_mode = options.expect_clean_wal
                                     ? rocksdb::WALRecoveryMode::kAbsoluteConsistency
                                     : rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // Lets RocksDB recover by itself from a full disk once space returns
  // (ErrorHandler auto-resume polls the SstFileManager).
  db_options.sst_file_manager.reset(rocksdb::NewSstFileManager(rocksdb::Env::Default()));
  db_options.info_log_level = rocksdb::WARN_LEVEL;
  db_options.keep_log_file_num = 5;
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_mb << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : kColumnFamilies) {
    cfs.emplace_back(name, CfOptions(cache));
  }
  std::unique_ptr<Store> store(new Store());
  db_options.listeners.push_back(std::make_shared<DamageListener>(store->health_));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, options.path, cfs, &store->handles_, &raw);
  store->db_.reset(raw);
  IFED_RETURN_IF_ERROR(FromRocks(s, absl::StrCat("open ", options.path)));
  store->records_ = store->handles_[1];
  store->index_ = store->handles_[2];
  store->sealed_ = store->handles_[3];
  store->audit_ = store->handles_[4];
  store->meta_ = store->handles_[5];
  store->path_ = options.path;
  store->min_free_bytes_ = options.min_free_bytes;
  if (options.verify_on_open) {
    IFED_RETURN_IF_ERROR(FromRocks(store->db_->VerifyChecksum(), "verify store checksums"));
  }
  if (options.memory_index) {
    store->memory_ =
        std::make_unique<MemoryIndex>(store->index_->GetID(), store->records_->GetID());
    IFED_RETURN_IF_ERROR(store->BuildMemoryIndex());
  }
  return store;
}

absl::Status Store::Rocks(const rocksdb::Status& s, absl::string_view what) const {
  return health_->Observe(FromRocks(s, what), what);
}

absl::Status Store::Damaged(absl::string_view what) const {
  return health_->Observe(absl::DataLossError(absl::StrCat(what, " does not parse")), what);
}

absl::Status Store::BuildMemoryIndex() {
  auto feed = [this](rocksdb::ColumnFamilyHandle* cf) -> MemoryIndex::Feed {
    return [this, cf](const std::function<void(const std::string&, const std::string&)>& fn) {
      rocksdb::ReadOptions ro;
      ro.fill_cache = false;  // one pass over everything: keep the cache for serving.
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        fn(it->key().ToString(), it->value().ToString());
      }
      return Rocks(it->status(), "load memory index");
    };
  };
  // A value that does not parse leaves the index unusable (matches then
  // read RocksDB and report the damage there); a read error fails the open.
  return memory_->Build(feed(records_), feed(index_));
}

bool Store::memory_index_usable() const { return memory_ != nullptr && memory_->usable(); }

size_t Store::memory_index_bytes() const {
  return memory_ != nullptr ? memory_->MemoryBytes() : 0;
}

absl::Status Store::VisitMatches(uint32_t epoch, absl::Span<const Pseudonym> pseudonyms,
                                 const MatchVisitor& fn) const {
  if (memory_ != nullptr && memory_->usable()) {
    absl::Status s = memory_->Visit(epoch, pseudonyms, fn);
    if (!absl::IsFailedPrecondition(s)) return s;  // else it became unusable meanwhile.
  }
  IFED_ASSIGN_OR_RETURN(auto found, Lookup(epoch, pseudonyms));
  for (size_t i = 0; i < found.size(); ++i) {
    for (const ifed::v1::Record& r : found[i]) {
      if (!fn(i, r)) break;
    }
  }
  return absl::OkStatus();
}

rocksdb::Status Store::Commit(rocksdb::WriteBatch* batch, bool sync) {
  struct statvfs fs;
  if (min_free_bytes_ > 0 && ::statvfs(path_.c_str(), &fs) == 0 &&
      static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < min_free_bytes_) {
    write_failing_ = true;
    return rocksdb::Status::NoSpace(absl::StrCat("free space below the reserve of ",
                                                 min_free_bytes_ >> 20, " MiB"));
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s = db_->Write(wo, batch);
  if (!s.ok() && !s.IsCorruption() && !s.IsInvalidArgument() && db_->Resume().ok()) {
    s = db_->Write(wo, batch);
  }
  write_failing_ = !s.ok();
  if (s.ok() && memory_ != nullptr) memory_->Apply(*batch);
  return s;
}

Store::~Store() {
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    handles_.clear();
    db_->Close().PermitUncheckedError();
  }
}

absl::StatusOr<IngestResult> Store::Ingest(absl::Span<const IngestItem> items,
                                          const AuditFn& audit) {
  return IngestBatch(items, audit, {});
}

absl::StatusOr<IngestResult> Store::IngestBatch(absl::Span<const IngestItem> items,
                                               const AuditFn& audit,
                                               absl::Span<const std::string> meta_deletes) {
  IFED_RETURN_IF_ERROR(health_->Check());
  std::lock_guard<std::mutex> lock(write_mu_);
  IngestResult result;
  rocksdb::WriteBatch batch;
  // State of this batch, layered over the DB: index entries and records we
  // already touched.
  std::unordered_map<std::string, ifed::v1::IndexEntry> index;
  std::unordered_map<std::string, ifed::v1::Record> records;
  std::map<int, int64_t> count_delta;

  auto load_record = [&](const std::string& id) -> absl::StatusOr<ifed::v1::Record*> {
    auto it = records.find(id);
    if (it != records.end()) return &it->second;
    std::string value;
    IFED_RETURN_IF_ERROR(Rocks(db_->Get({}, records_, id, &value), "read record"));
    ifed::v1::Record r;
    if (!r.ParseFromString(value)) return Damaged("record");
    return &(records[id] = std::move(r));
  };

  for (const IngestItem& item : items) {
    const ifed::v1::Record& in = item.record;
    if (in.pseudonym().size() != 32 || in.record_id().empty()) {
      return absl::InvalidArgumentError("record without pseudonym or id");
    }
    Pseudonym p;
    std::copy(in.pseudonym().begin(), in.pseudonym().end(), p.begin());
    const std::string key = IndexKey(in.epoch(), p);
    auto [it, fresh] = index.try_emplace(key);
    if (fresh) {
      std::string value;
      rocksdb::Status s = db_->Get({}, index_, key, &value);
      if (s.ok()) {
        if (!it->second.ParseFromString(value)) return Damaged("index entry");
      } else if (!s.IsNotFound()) {
        return Rocks(s, "read index");
      }
    }
    ifed::v1::Record* existing = nullptr;
    for (const std::string& id : it->second.record_ids()) {
      IFED_ASSIGN_OR_RETURN(ifed::v1::Record * r, load_record(id));
      if (r->type() == in.type() && r->case_ref() == in.case_ref()) {
        existing = r;
        break;
      }
    }
    if (existing != nullptr) {
      existing->set_last_seen(std::max(existing->last_seen(), in.last_seen()));
      if (existing->expires() != 0 && (in.expires() == 0 || in.expires() > existing->expires())) {
        existing->set_expires(in.expires());
      }
      if (in.hold()) existing->set_hold(true);
      MergeProvenance(in, existing);
      ++result.updated;
      continue;
    }
    it->second.add_record_ids(in.record_id());
    records[in.record_id()] = in;
    batch.Put(sealed_, in.record_id(), item.sealed_value);
    ++count_delta[in.type()];
    ++result.stored;
  }
  for (const auto& [key, entry] : index) batch.Put(index_, key, entry.SerializeAsString());
  for (const auto& [id, record] : records) batch.Put(records_, id, record.SerializeAsString());
  for (const auto& [type, delta] : count_delta) {
    std::string value;
    rocksdb::Status s = db_->Get({}, meta_, CountKey(type), &value);
    if (!s.ok() && !s.IsNotFound()) return Rocks(s, "read counter");
    batch.Put(meta_, CountKey(type), EncodeCount(DecodeCount(value) + delta));
  }
  for (const std::string& key : meta_deletes) batch.Delete(meta_, key);
  if (ingest_observer_ && result.stored > 0) {
    std::vector<const ifed::v1::Record*> fresh;
    std::vector<const std::string*> sealed;
    for (const IngestItem& item : items) {
      auto it = records.find(item.record.record_id());
      if (it != records.end() && it->second.record_id() == item.record.record_id() &&
          !it->second.pseudonym().empty()) {
        fresh.push_back(&it->second);
        sealed.push_back(&item.sealed_value);
      }
    }
    IFED_ASSIGN_OR_RETURN(MetaWrites more, ingest_observer_(fresh, sealed));
    for (const auto& key : more.deletes) batch.Delete(meta_, key);
    for (const auto& [key, value] : more.puts) batch.Put(meta_, key, value);
    result.notices = more.notices;
  }
  if (audit) {
    IFED_ASSIGN_OR_RETURN(AuditEntries entries, audit(result));
    for (const auto& [key, value] : entries) batch.Put(audit_, key, value);
  }
  IFED_RETURN_IF_ERROR(FromRocks(Commit(&batch), "write batch"));
  return result;
}

absl::Status Store::AppendAudit(const AuditEntries& entries) {
  std::lock_guard<std::mutex> lock(write_mu_);
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : entries) batch.Put(audit_, key, value);
  return FromRocks(Commit(&batch), "write audit");
}

absl::Status Store::ScanAudit(
    const std::string& from,
    const std::function<bool(const std::string&, const std::string&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, audit_));
  for (it->Seek(from); it->Valid(); it->Next()) {
    if (!fn(it->key().ToString(), it->value().ToString())) break;
  }
  return FromRocks(it->status(), "scan audit");
}

absl::StatusOr<std::pair<std::string, std::string>> Store::LastAudit() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, audit_));
  it->SeekToLast();
  IFED_RETURN_IF_ERROR(FromRocks(it->status(), "read audit head"));
  if (!it->Valid()) return absl::NotFoundError("empty audit log");
  return std::make_pair(it->key().ToString(), it->value().ToString());
}

absl::StatusOr<std::vector<std::vector<ifed::v1::Record>>> Store::Lookup(
    uint32_t epoch, absl::Span<const Pseudonym> pseudonyms) const {
  IFED_RETURN_IF_ERROR(health_->Check());
  // Both MultiGets take their keys sorted (sorted_input): RocksDB then
  // visits the SST blocks in order without sorting the batch itself.
  // `order` maps a sorted position back to the caller's slot.
  std::vector<std::string> keys;
  keys.reserve(pseudonyms.size());
  for (const Pseudonym& p : pseudonyms) keys.push_back(IndexKey(epoch, p));
  std::vector<uint32_t> order(keys.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (uint32_t i : order) slices.emplace_back(keys[i]);
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet({}, index_, slices.size(), slices.data(), values.data(), statuses.data(),
                /*sorted_input=*/true);

  // Record ids wanted, in the caller's slot order (a slot's ids in the
  // index entry's order), then fetched in id order.
  std::vector<std::pair<uint32_t, std::string>> wanted;  // slot, record id
  for (size_t j = 0; j < keys.size(); ++j) {
    if (statuses[j].IsNotFound()) continue;
    IFED_RETURN_IF_ERROR(Rocks(statuses[j], "lookup"));
    ifed::v1::IndexEntry entry;
    if (!entry.ParseFromArray(values[j].data(), static_cast<int>(values[j].size()))) {
      return Damaged("index entry");
    }
    for (const std::string& id : entry.record_ids()) wanted.emplace_back(order[j], id);
  }
  std::vector<std::vector<ifed::v1::Record>> out(pseudonyms.size());
  if (wanted.empty()) return out;
  std::stable_sort(wanted.begin(), wanted.end(),  // by slot; a slot keeps entry order
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<uint32_t> by_id(wanted.size());
  for (uint32_t i = 0; i < by_id.size(); ++i) by_id[i] = i;
  std::sort(by_id.begin(), by_id.end(),
            [&](uint32_t a, uint32_t b) { return wanted[a].second < wanted[b].second; });
  std::vector<rocksdb::Slice> id_slices;
  id_slices.reserve(wanted.size());
  for (uint32_t w : by_id) id_slices.emplace_back(wanted[w].second);
  std::vector<rocksdb::PinnableSlice> recs(wanted.size());
  std::vector<rocksdb::Status> rs(wanted.size());
  db_->MultiGet({}, records_, id_slices.size(), id_slices.data(), recs.data(), rs.data(),
                /*sorted_input=*/true);
  std::vector<int> fetched(wanted.size(), -1);  // wanted index -> position in recs
  for (size_t j = 0; j < by_id.size(); ++j) {
    if (rs[j].IsNotFound()) continue;  // erased between the two reads.
    IFED_RETURN_IF_ERROR(Rocks(rs[j], "lookup record"));
    fetched[by_id[j]] = static_cast<int>(j);
  }
  for (size_t w = 0; w < wanted.size(); ++w) {
    if (fetched[w] < 0) continue;
    const rocksdb::PinnableSlice& v = recs[fetched[w]];
    ifed::v1::Record r;
    if (!r.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      return Damaged("record");
    }
    out[wanted[w].first].push_back(std::move(r));
  }
  return out;
}

absl::Status Store::Compact() {
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    IFED_RETURN_IF_ERROR(FromRocks(db_->Flush({}, h), "flush"));
    IFED_RETURN_IF_ERROR(FromRocks(db_->CompactRange({}, h, nullptr, nullptr), "compact"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<int, uint64_t>> Store::CountByType() const {
  IFED_RETURN_IF_ERROR(health_->Check());
  std::map<int, uint64_t> counts;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, meta_));
  for (it->Seek("count/"); it->Valid() && it->key().starts_with("count/"); it->Next()) {
    const int type = std::atoi(it->key().ToString().substr(6).c_str());
    counts[type] = DecodeCount(it->value().ToString());
  }
  IFED_RETURN_IF_ERROR(Rocks(it->status(), "count"));
  return counts;
}

}  // namespace ifed::store
