// Investigative hold: a flag on records, set at ingest or by an
// administrator, that Deconflict reports to partners as "held".
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <unordered_set>

#include "node/common/status_macros.h"
#include "node/store/keys.h"
#include "node/store/store.h"

namespace ifed::store {

using internal::FromRocks;

absl::StatusOr<Store::HoldResult> Store::SetHold(absl::Span<const std::string> ids, bool hold,
                                                 const HoldAuditFn& audit) {
  std::lock_guard<std::mutex> lock(write_mu_);
  HoldResult result;
  rocksdb::WriteBatch batch;
  std::unordered_set<std::string> seen;
  for (const std::string& id : ids) {
    if (!seen.insert(id).second) continue;
    std::string value;
    rocksdb::Status s = db_->Get({}, records_, id, &value);
    if (s.IsNotFound()) continue;
    IFED_RETURN_IF_ERROR(FromRocks(s, "read record"));
    ifed::v1::Record r;
    if (!r.ParseFromString(value)) return absl::DataLossError("corrupt record");
    if (r.hold() == hold) {
      ++result.unchanged;
      continue;
    }
    r.set_hold(hold);
    batch.Put(records_, id, r.SerializeAsString());
    ++result.changed;
  }
  if (audit) {
    IFED_ASSIGN_OR_RETURN(AuditEntries entries, audit(result));
    for (const auto& [key, value] : entries) batch.Put(audit_, key, value);
  }
  if (batch.Count() == 0) return result;
  IFED_RETURN_IF_ERROR(FromRocks(Commit(&batch), "write hold"));
  return result;
}

}  // namespace ifed::store
