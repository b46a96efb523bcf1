// Durable file replacement. A reader (or the next start after a crash or a
// power cut) sees either the old content of `path` or the new one, never a
// mix and never an empty file:
//
//   1. write `path`.tmp in the same directory (mode as given, O_NOFOLLOW),
//   2. fsync the temporary file,
//   3. rename it over `path`,
//   4. fsync the directory, so the rename itself is on disk.
//
// Every place that replaces a file by rename uses this (key files, pinned
// OPRF keys, TLS copies, the clean-stop marker). Errors name the path and
// the step, never the content. Not thread-safe for one `path`: callers
// serialise writers of the same file.
#ifndef IFED_COMMON_ATOMIC_FILE_H_
#define IFED_COMMON_ATOMIC_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ifed {

struct AtomicWriteOptions {
  mode_t mode = 0600;                 // applied with fchmod, whatever the umask.
  std::optional<int64_t> mtime = std::nullopt;  // unix seconds for atime and mtime, if set.
};

// Replaces `path` with `data` (steps above). On error the old file is
// untouched and the temporary file removed.
absl::Status WriteFileAtomic(const std::string& path, std::string_view data,
                             const AtomicWriteOptions& options = {});

// rename(from, to), then fsync of the directory of `to` (and of `from`'s
// when it differs). For a file or symlink the caller already synced.
absl::Status RenameDurably(const std::string& from, const std::string& to);

// fsync of a directory: makes creations, renames and removals in it durable.
absl::Status SyncDirectory(const std::string& dir);

// Test hook: sees each durability step as it happens ("fsync-file PATH",
// "rename FROM TO", "fsync-dir DIR"). Null (the default) costs nothing.
using AtomicFileObserver = std::function<void(const std::string& step)>;
void SetAtomicFileObserverForTest(AtomicFileObserver observer);

}  // namespace ifed

#endif  // IFED_COMMON_ATOMIC_FILE_H_
