// Store::ScanRecordsWithSealed: every record with its sealed canonical value,
// for rebuilding what is derived from the canonical values (the per-partner
// OPRF filters, re-keying). Kept apart from store.cc.
#include <rocksdb/db.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/store/store.h"

namespace ifed::store {

absl::Status Store::ScanRecordsWithSealed(
    const std::function<bool(const ifed::v1::Record& record, const std::string& sealed)>& fn)
    const {
  IFED_RETURN_IF_ERROR(health_->Check());
  // One snapshot for both column families: a concurrent ingest is either
  // wholly in the scan or not at all.
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  std::unique_ptr<const rocksdb::Snapshot, std::function<void(const rocksdb::Snapshot*)>> release(
      snap, [this](const rocksdb::Snapshot* s) { db_->ReleaseSnapshot(s); });
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  ro.fill_cache = false;  // a full scan must not evict the hot lookups.
  // records and sealed are both keyed by record_id: walk them side by side.
  std::unique_ptr<rocksdb::Iterator> rec(db_->NewIterator(ro, records_));
  std::unique_ptr<rocksdb::Iterator> sea(db_->NewIterator(ro, sealed_));
  sea->SeekToFirst();
  ifed::v1::Record record;
  std::string sealed;
  for (rec->SeekToFirst(); rec->Valid(); rec->Next()) {
    if (!record.ParseFromArray(rec->value().data(), static_cast<int>(rec->value().size()))) {
      return Damaged("scan: a record");
    }
    while (sea->Valid() && sea->key().compare(rec->key()) < 0) sea->Next();
    if (sea->Valid() && sea->key() == rec->key()) {
      sealed.assign(sea->value().data(), sea->value().size());
    } else {
      sealed.clear();
    }
    if (!fn(record, sealed)) return absl::OkStatus();
  }
  IFED_RETURN_IF_ERROR(Rocks(rec->status(), "scan records"));
  return Rocks(sea->status(), "scan sealed");
}

}  // namespace ifed::store
