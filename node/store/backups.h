// The backups of a store (RocksDB BackupEngine directories written by
// Store::Backup), listed read-only for the administrator.
#ifndef IFED_STORE_BACKUPS_H_
#define IFED_STORE_BACKUPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ifed::store {

struct BackupInfo {
  uint32_t id = 0;
  int64_t timestamp = 0;  // unix seconds.
  uint64_t size = 0;      // bytes.
  uint32_t files = 0;
};

// The backups held in `dir`, oldest first. NotFound when `dir` does not
// exist; InvalidArgument for a relative path.
absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& dir);

}  // namespace ifed::store

#endif  // IFED_STORE_BACKUPS_H_
