// Data lifecycle of the store: removal (expiry sweep, erasure),
// re-indexing under a new key epoch, dropping an epoch, and backup/restore
// with RocksDB's BackupEngine. Declared in store.h.
#include <rocksdb/db.h>
#include <rocksdb/utilities/backup_engine.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/store/keys.h"
#include "node/store/store.h"

namespace ifed::store {
namespace {

using internal::CountKey;
using internal::DecodeCount;
using internal::EncodeCount;
using internal::EpochPrefix;
using internal::FromRocks;
using internal::IndexKey;

std::string RotateKey(uint32_t epoch) { return absl::StrCat("rotate/", epoch); }
constexpr char kRotateDone[] = "\x01done";  // not a hex record id.

bool ToPseudonym(const std::string& bytes, Pseudonym* p) {
  if (bytes.size() != p->size()) return false;
  std::copy(bytes.begin(), bytes.end(), p->begin());
  return true;
}

// Index entries touched by one batch, layered over the DB.
class IndexOverlay {
 public:
  IndexOverlay(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) : db_(db), cf_(cf) {}
  absl::StatusOr<ifed::v1::IndexEntry*> Get(const std::string& key) {
    auto [it, fresh] = entries_.try_emplace(key);
    if (fresh) {
      std::string value;
      rocksdb::Status s = db_->Get({}, cf_, key, &value);
      if (s.ok()) {
        if (!it->second.ParseFromString(value)) return absl::DataLossError("corrupt index entry");
      } else if (!s.IsNotFound()) {
        return FromRocks(s, "read index");
      }
    }
    return &it->second;
  }
  void Flush(rocksdb::WriteBatch* batch) {
    for (const auto& [key, entry] : entries_) {
      if (entry.record_ids().empty()) {
        batch->Delete(cf_, key);
      } else {
        batch->Put(cf_, key, entry.SerializeAsString());
      }
    }
  }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  std::unordered_map<std::string, ifed::v1::IndexEntry> entries_;
};

void EraseId(ifed::v1::IndexEntry* e, const std::string& id) {
  auto* ids = e->mutable_record_ids();
  ids->erase(std::remove(ids->begin(), ids->end(), id), ids->end());
}

}  // namespace

absl::StatusOr<Store::RemoveResult> Store::Remove(absl::Span<const std::string> ids,
                                                  const AliasFn& aliases,
                                                  const RemoveAuditFn& audit) {
  std::lock_guard<std::mutex> lock(write_mu_);
  RemoveResult result;
  rocksdb::WriteBatch batch;
  IndexOverlay index(db_.get(), index_);
  std::unordered_map<std::string, bool> seen;
  std::vector<ifed::v1::Record> removed;  // for the observer.
  for (const std::string& id : ids) {
    if (!seen.emplace(id, true).second) continue;
    std::string value, sealed;
    rocksdb::Status s = db_->Get({}, records_, id, &value);
    if (s.IsNotFound()) continue;
    IFED_RETURN_IF_ERROR(FromRocks(s, "read record"));
    ifed::v1::Record r;
    if (!r.ParseFromString(value)) return absl::DataLossError("corrupt record");
    s = db_->Get({}, sealed_, id, &sealed);
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read sealed");
    std::vector<std::pair<uint32_t, Pseudonym>> keys;
    Pseudonym own;
    if (ToPseudonym(r.pseudonym(), &own)) keys.emplace_back(r.epoch(), own);
    if (aliases) {
      IFED_ASSIGN_OR_RETURN(auto more, aliases(r, sealed));
      keys.insert(keys.end(), more.begin(), more.end());
    }
    for (const auto& [epoch, p] : keys) {
      IFED_ASSIGN_OR_RETURN(ifed::v1::IndexEntry * e, index.Get(IndexKey(epoch, p)));
      EraseId(e, id);
    }
    batch.Delete(records_, id);
    batch.Delete(sealed_, id);
    if (remove_observer_) removed.push_back(r);
    ++result.removed;
    ++result.by_type[r.type()];
  }
  if (result.removed == 0 && !audit) return result;
  index.Flush(&batch);
  if (remove_observer_ && !removed.empty()) {
    IFED_ASSIGN_OR_RETURN(MetaWrites more, remove_observer_(removed));
    for (const auto& key : more.deletes) batch.Delete(meta_, key);
    for (const auto& [key, value] : more.puts) batch.Put(meta_, key, value);
    result.notices = more.notices;
  }
  for (const auto& [type, n] : result.by_type) {
    std::string value;
    rocksdb::Status s = db_->Get({}, meta_, CountKey(type), &value);
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read counter");
    const uint64_t before = DecodeCount(value);
    batch.Put(meta_, CountKey(type), EncodeCount(before > n ? before - n : 0));
  }
  if (audit) {
    IFED_ASSIGN_OR_RETURN(AuditEntries entries, audit(result));
    for (const auto& [key, value] : entries) batch.Put(audit_, key, value);
  }
  IFED_RETURN_IF_ERROR(FromRocks(Commit(&batch), "write removal"));
  return result;
}

absl::StatusOr<std::vector<std::string>> Store::FindRecords(
    const std::function<bool(const ifed::v1::Record&)>& pred, size_t limit) const {
  IFED_RETURN_IF_ERROR(health_->Check());
  std::vector<std::string> ids;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, records_));
  ifed::v1::Record r;
  for (it->SeekToFirst(); it->Valid() && ids.size() < limit; it->Next()) {
    if (!r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Damaged("a record");
    }
    if (pred(r)) ids.push_back(it->key().ToString());
  }
  IFED_RETURN_IF_ERROR(Rocks(it->status(), "scan records"));
  return ids;
}

absl::StatusOr<std::vector<std::string>> Store::FindByPseudonym(uint32_t epoch, int type,
                                                                const Pseudonym& p) const {
  IFED_ASSIGN_OR_RETURN(auto found, Lookup(epoch, absl::MakeConstSpan(&p, 1)));
  std::vector<std::string> ids;
  for (const ifed::v1::Record& r : found[0]) {
    if (r.type() == type) ids.push_back(r.record_id());
  }
  return ids;
}

absl::StatusOr<uint64_t> Store::Reindex(uint32_t epoch, const DeriveFn& derive,
                                        size_t batch_records,
                                        const std::function<bool(uint64_t)>& progress) {
  std::string from;
  {
    rocksdb::Status s = db_->Get({}, meta_, RotateKey(epoch), &from);
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read rotation state");
    if (from == kRotateDone) return 0;
  }
  uint64_t done = 0;
  for (;;) {
    std::vector<std::string> ids;
    {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, records_));
      for (from.empty() ? it->SeekToFirst() : it->Seek(from); it->Valid(); it->Next()) {
        if (it->key().ToString() == from) continue;  // done by the previous batch.
        ids.push_back(it->key().ToString());
        if (ids.size() >= batch_records) break;
      }
      IFED_RETURN_IF_ERROR(FromRocks(it->status(), "scan records"));
    }
    std::lock_guard<std::mutex> lock(write_mu_);
    rocksdb::WriteBatch batch;
    IndexOverlay index(db_.get(), index_);
    for (const std::string& id : ids) {
      std::string value, sealed;
      rocksdb::Status s = db_->Get({}, records_, id, &value);
      if (s.IsNotFound()) continue;  // removed meanwhile.
      IFED_RETURN_IF_ERROR(FromRocks(s, "read record"));
      ifed::v1::Record r;
      if (!r.ParseFromString(value)) return absl::DataLossError("corrupt record");
      s = db_->Get({}, sealed_, id, &sealed);
      if (s.IsNotFound()) continue;  // nothing to derive from: stays on its epoch.
      IFED_RETURN_IF_ERROR(FromRocks(s, "read sealed"));
      IFED_ASSIGN_OR_RETURN(Pseudonym p, derive(r, sealed));
      IFED_ASSIGN_OR_RETURN(ifed::v1::IndexEntry * e, index.Get(IndexKey(epoch, p)));
      const auto& have = e->record_ids();
      if (std::find(have.begin(), have.end(), id) == have.end()) e->add_record_ids(id);
      if (r.epoch() < epoch) {
        r.set_epoch(epoch);
        r.set_pseudonym(std::string(p.begin(), p.end()));
        batch.Put(records_, id, r.SerializeAsString());
      }
      ++done;
    }
    index.Flush(&batch);
    const bool last = ids.size() < batch_records;
    batch.Put(meta_, RotateKey(epoch), last ? std::string(kRotateDone) : ids.back());
    IFED_RETURN_IF_ERROR(FromRocks(Commit(&batch), "write reindex"));
    if (last) {
      if (progress) progress(done);
      return done;
    }
    if (progress && !progress(done)) {
      return absl::CancelledError(
          absl::StrCat("re-indexing stopped after ", done, " records; it resumes where it stopped"));
    }
    from = ids.back();
  }
}

bool Store::ReindexComplete(uint32_t epoch) const {
  std::string v;
  return db_->Get({}, meta_, RotateKey(epoch), &v).ok() && v == kRotateDone;
}

absl::StatusOr<uint64_t> Store::DropEpoch(uint32_t epoch) {
  std::lock_guard<std::mutex> lock(write_mu_);
  const std::string begin = EpochPrefix(epoch);
  uint64_t n = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, index_));
    for (it->Seek(begin); it->Valid() && it->key().starts_with(begin); it->Next()) ++n;
    IFED_RETURN_IF_ERROR(FromRocks(it->status(), "scan index"));
  }
  rocksdb::WriteBatch batch;
  if (epoch == UINT32_MAX) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, index_));
    for (it->Seek(begin); it->Valid(); it->Next()) batch.Delete(index_, it->key());
  } else {
    batch.DeleteRange(index_, begin, EpochPrefix(epoch + 1));
  }
  batch.Delete(meta_, RotateKey(epoch));
  IFED_RETURN_IF_ERROR(FromRocks(Commit(&batch), "drop epoch"));
  return n;
}

absl::StatusOr<std::vector<uint32_t>> Store::IndexedEpochs() const {
  IFED_RETURN_IF_ERROR(health_->Check());
  std::vector<uint32_t> epochs;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, index_));
  for (it->SeekToFirst(); it->Valid();) {
    if (it->key().size() < 4) return Damaged("a short index key");
    const auto* k = reinterpret_cast<const uint8_t*>(it->key().data());
    const uint32_t e = uint32_t{k[0]} << 24 | uint32_t{k[1]} << 16 | uint32_t{k[2]} << 8 | k[3];
    epochs.push_back(e);
    if (e == UINT32_MAX) break;
    it->Seek(EpochPrefix(e + 1));
  }
  IFED_RETURN_IF_ERROR(Rocks(it->status(), "scan index"));
  return epochs;
}

absl::StatusOr<uint32_t> Store::Backup(const std::string& dir) {
  rocksdb::BackupEngine* raw = nullptr;
  IFED_RETURN_IF_ERROR(FromRocks(
      rocksdb::BackupEngine::Open(rocksdb::BackupEngineOptions(dir), rocksdb::Env::Default(),
                                  &raw),
      absl::StrCat("open backup dir ", dir)));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  rocksdb::BackupID id = 0;
  IFED_RETURN_IF_ERROR(FromRocks(engine->CreateNewBackup(options, db_.get(), &id), "backup"));
  IFED_RETURN_IF_ERROR(FromRocks(engine->VerifyBackup(id, /*verify_with_checksum=*/true),
                                 "verify backup"));
  return id;
}

absl::Status Store::Restore(const std::string& backup_dir, const std::string& db_dir) {
  std::error_code ec;
  if (std::filesystem::exists(db_dir + "/CURRENT", ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(db_dir, " already holds a store; restore needs a fresh data dir"));
  }
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  IFED_RETURN_IF_ERROR(FromRocks(
      rocksdb::BackupEngineReadOnly::Open(rocksdb::BackupEngineOptions(backup_dir),
                                          rocksdb::Env::Default(), &raw),
      absl::StrCat("open backup dir ", backup_dir)));
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos);
  if (infos.empty()) return absl::NotFoundError(absl::StrCat("no backup in ", backup_dir));
  const rocksdb::BackupID id = infos.back().backup_id;
  IFED_RETURN_IF_ERROR(FromRocks(engine->VerifyBackup(id, /*verify_with_checksum=*/true),
                                 absl::StrCat("verify backup ", id)));
  return FromRocks(engine->RestoreDBFromBackup(id, db_dir, db_dir), "restore");
}

}  // namespace ifed::store
