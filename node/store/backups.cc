#include "node/store/backups.h"

#include <rocksdb/utilities/backup_engine.h>

#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"

namespace ifed::store {

absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& dir) {
  if (dir.empty() || dir[0] != '/') {
    return absl::InvalidArgumentError("the backup directory must be an absolute path");
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat("no backup directory ", dir));
  }
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::Status s = rocksdb::BackupEngineReadOnly::Open(rocksdb::BackupEngineOptions(dir),
                                                          rocksdb::Env::Default(), &raw);
  if (!s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read backups in ", dir, ": ", s.ToString()));
  }
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos);
  std::vector<BackupInfo> out;
  for (const auto& i : infos) {
    out.push_back({.id = i.backup_id,
                   .timestamp = i.timestamp,
                   .size = i.size,
                   .files = i.number_files});
  }
  return out;
}

}  // namespace ifed::store
