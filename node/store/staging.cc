// Staged ingests: a large ingest is kept in RocksDB, not in
// memory, between reading its rows and applying them. See store.h.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/common/status_macros.h"
#include "node/store/keys.h"
#include "node/store/store.h"

namespace ifed::store {
namespace {

using internal::FromRocks;

constexpr char kPrefix[] = "stage/";

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Base(const std::string& id) { return absl::StrCat(kPrefix, id, "/"); }
std::string CommitKey(const std::string& id) { return absl::StrCat(Base(id), "commit"); }
std::string ChunkPrefix(const std::string& id) { return absl::StrCat(Base(id), "chunk/"); }
// Fixed width, so that key order is chunk order.
std::string ChunkKey(const std::string& id, uint32_t seq) {
  return absl::StrCat(ChunkPrefix(id), absl::StrFormat("%08x", seq));
}
// The smallest key after every key starting with `prefix` (which ends in '/').
std::string PrefixEnd(std::string prefix) {
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

}  // namespace

absl::Status Store::StageChunk(const std::string& id, uint32_t seq,
                               absl::Span<const IngestItem> items) {
  if (!ValidId(id)) return absl::InvalidArgumentError("bad staged ingest id");
  ifed::v1::StagedIngestChunk chunk;
  chunk.mutable_items()->Reserve(static_cast<int>(items.size()));
  for (const IngestItem& item : items) {
    auto* out = chunk.add_items();
    *out->mutable_record() = item.record;
    out->set_sealed_value(item.sealed_value);
  }
  // Not synced: a chunk matters only once its ingest is committed, and the
  // synced commit marker makes every earlier write of the WAL durable too.
  rocksdb::WriteBatch batch;
  batch.Put(meta_, ChunkKey(id, seq), chunk.SerializeAsString());
  std::lock_guard<std::mutex> lock(write_mu_);
  return FromRocks(Commit(&batch, /*sync=*/false), "stage ingest chunk");
}

absl::Status Store::DropStaged(const std::string& id) {
  if (!ValidId(id)) return absl::InvalidArgumentError("bad staged ingest id");
  std::lock_guard<std::mutex> lock(write_mu_);
  rocksdb::WriteBatch batch;
  batch.DeleteRange(meta_, Base(id), PrefixEnd(Base(id)));
  return FromRocks(Commit(&batch), "drop staged ingest");
}

absl::Status Store::CommitStaged(const std::string& id, const AuditEntries& audit) {
  if (!ValidId(id)) return absl::InvalidArgumentError("bad staged ingest id");
  std::lock_guard<std::mutex> lock(write_mu_);
  rocksdb::WriteBatch batch;
  batch.Put(meta_, CommitKey(id), "");
  for (const auto& [key, value] : audit) batch.Put(audit_, key, value);
  return FromRocks(Commit(&batch), "commit staged ingest");
}

absl::StatusOr<IngestResult> Store::ApplyStaged(const std::string& id) {
  if (!ValidId(id)) return absl::InvalidArgumentError("bad staged ingest id");
  {
    std::string marker;
    rocksdb::Status s = db_->Get({}, meta_, CommitKey(id), &marker);
    if (s.IsNotFound()) return absl::FailedPreconditionError("staged ingest is not committed");
    IFED_RETURN_IF_ERROR(FromRocks(s, "read staged ingest marker"));
  }
  IngestResult total;
  const std::string prefix = ChunkPrefix(id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, meta_));
  std::vector<IngestItem> items;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ifed::v1::StagedIngestChunk chunk;
    if (!chunk.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("staged ingest chunk does not parse");
    }
    items.clear();
    items.reserve(chunk.items_size());
    for (ifed::v1::StagedIngestItem& in : *chunk.mutable_items()) {
      items.push_back({std::move(*in.mutable_record()), std::move(*in.mutable_sealed_value())});
    }
    const std::string key = it->key().ToString();
    IFED_ASSIGN_OR_RETURN(IngestResult r, IngestBatch(items, nullptr, {&key, 1}));
    total.stored += r.stored;
    total.updated += r.updated;
    total.notices += r.notices;
  }
  IFED_RETURN_IF_ERROR(FromRocks(it->status(), "scan staged ingest"));
  return total;
}

absl::Status Store::FinishStaged(const std::string& id, const AuditEntries& audit) {
  if (!ValidId(id)) return absl::InvalidArgumentError("bad staged ingest id");
  std::lock_guard<std::mutex> lock(write_mu_);
  rocksdb::WriteBatch batch;
  batch.Delete(meta_, CommitKey(id));
  for (const auto& [key, value] : audit) batch.Put(audit_, key, value);
  return FromRocks(Commit(&batch), "finish staged ingest");
}

absl::StatusOr<std::vector<std::pair<std::string, bool>>> Store::StagedIngests() const {
  std::vector<std::pair<std::string, bool>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, meta_));
  for (it->Seek(kPrefix); it->Valid() && it->key().starts_with(kPrefix);) {
    const std::string rest = it->key().ToString().substr(sizeof kPrefix - 1);
    const std::string id = rest.substr(0, rest.find('/'));
    std::string marker;
    rocksdb::Status s = db_->Get({}, meta_, CommitKey(id), &marker);
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read staged ingest marker");
    out.emplace_back(id, s.ok());
    it->Seek(PrefixEnd(Base(id)));
  }
  IFED_RETURN_IF_ERROR(FromRocks(it->status(), "scan staged ingests"));
  return out;
}

}  // namespace ifed::store
