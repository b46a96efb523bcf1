// Meta entries of the typed tables (tables.h owns their key layouts) and single
// record reads, kept apart from store.cc.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/store/keys.h"
#include "node/store/store.h"
#include "node/store/tables.h"

namespace ifed::store {
namespace {

bool AllowedKey(const std::string& key) { return IsTableKey(key); }

std::string Outside() { return absl::StrCat("meta key outside ", TablePrefixList()); }

}  // namespace

absl::Status Store::CommitMeta(const MetaWrites& writes, const AuditEntries& audit, bool sync) {
  for (const auto& [key, value] : writes.puts) {
    if (!AllowedKey(key)) return absl::InvalidArgumentError(Outside());
  }
  for (const auto& key : writes.deletes) {
    if (!AllowedKey(key)) return absl::InvalidArgumentError(Outside());
  }
  std::lock_guard<std::mutex> l(write_mu_);
  rocksdb::WriteBatch batch;
  for (const auto& key : writes.deletes) batch.Delete(meta_, key);
  for (const auto& [key, value] : writes.puts) batch.Put(meta_, key, value);
  for (const auto& [key, value] : audit) batch.Put(audit_, key, value);
  rocksdb::Status s = Commit(&batch, sync);
  if (!s.ok()) return internal::FromRocks(s, "write meta");
  return absl::OkStatus();
}

absl::Status Store::PutMeta(const std::string& key, const std::string& value) {
  if (!AllowedKey(key)) return absl::InvalidArgumentError(Outside());
  std::lock_guard<std::mutex> l(write_mu_);
  rocksdb::WriteBatch batch;
  batch.Put(meta_, key, value);
  return internal::FromRocks(Commit(&batch), "write meta");
}

absl::StatusOr<std::string> Store::GetMeta(const std::string& key) const {
  if (!AllowedKey(key)) return absl::InvalidArgumentError(Outside());
  IFED_RETURN_IF_ERROR(health_->Check());
  std::string value;
  rocksdb::Status s = db_->Get({}, meta_, key, &value);
  if (s.IsNotFound()) return absl::NotFoundError("no such entry");
  IFED_RETURN_IF_ERROR(Rocks(s, "read meta"));
  return value;
}

absl::Status Store::ScanMeta(
    const std::string& prefix,
    const std::function<bool(const std::string& key, const std::string& value)>& fn) const {
  if (!AllowedKey(prefix)) return absl::InvalidArgumentError(Outside());
  IFED_RETURN_IF_ERROR(health_->Check());
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, meta_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!fn(it->key().ToString(), it->value().ToString())) break;
  }
  return Rocks(it->status(), "scan meta");
}

absl::StatusOr<ifed::v1::Record> Store::GetRecord(const std::string& record_id) const {
  IFED_RETURN_IF_ERROR(health_->Check());
  std::string value;
  rocksdb::Status s = db_->Get({}, records_, record_id, &value);
  if (s.IsNotFound()) return absl::NotFoundError("no such record");
  IFED_RETURN_IF_ERROR(Rocks(s, "read record"));
  ifed::v1::Record r;
  if (!r.ParseFromString(value)) return Damaged("record");
  return r;
}

}  // namespace ifed::store
