// Store::AddToCounter: bounded counters in the meta column family (daily
// quota counters under "quota/..."), kept apart from store.cc.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/store/keys.h"
#include "node/store/store.h"

namespace ifed::store {

absl::StatusOr<uint64_t> Store::AddToCounter(const std::string& key, uint64_t n, uint64_t limit) {
  if (key.rfind("quota/", 0) != 0) {
    return absl::InvalidArgumentError("counter keys start with quota/");
  }
  std::lock_guard<std::mutex> l(write_mu_);
  std::string value;
  rocksdb::Status s = db_->Get({}, meta_, key, &value);
  if (!s.ok() && !s.IsNotFound()) return Rocks(s, "read counter");
  const uint64_t current = s.IsNotFound() ? 0 : std::strtoull(value.c_str(), nullptr, 10);
  if (current + n > limit) return absl::ResourceExhaustedError("counter limit reached");
  // WAL on, no fsync: survives a crash or kill -9 of the process (not a
  // power loss of the host), at a cost per query that a sync would multiply.
  rocksdb::WriteBatch batch;
  batch.Put(meta_, key, std::to_string(current + n));
  if (absl::Status w = internal::FromRocks(Commit(&batch, /*sync=*/false), "write counter");
      !w.ok()) {
    return w;
  }
  return current + n;
}

absl::StatusOr<uint64_t> Store::Counter(const std::string& key) const {
  if (key.rfind("quota/", 0) != 0) {
    return absl::InvalidArgumentError("counter keys start with quota/");
  }
  IFED_RETURN_IF_ERROR(health_->Check());
  std::string value;
  rocksdb::Status s = db_->Get({}, meta_, key, &value);
  if (s.IsNotFound()) return 0;
  IFED_RETURN_IF_ERROR(Rocks(s, "read counter"));
  return std::strtoull(value.c_str(), nullptr, 10);
}

std::optional<uint64_t> Store::IntProperty(const std::string& name, bool db_wide) const {
  uint64_t total = 0;
  for (rocksdb::ColumnFamilyHandle* cf : handles_) {
    if (db_wide && cf != handles_.front()) break;
    uint64_t v = 0;
    if (!db_->GetIntProperty(cf, name, &v)) return std::nullopt;
    total += v;
  }
  return total;
}

}  // namespace ifed::store
