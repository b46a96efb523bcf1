#include "node/common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ifed {
namespace {

std::mutex observer_mu;
AtomicFileObserver* observer = nullptr;  // guarded by observer_mu.

void Observe(const std::string& step) {
  std::lock_guard<std::mutex> l(observer_mu);
  if (observer != nullptr) (*observer)(step);
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(path, ": ", what, " failed (", std::strerror(errno), ")"));
}

}  // namespace

void SetAtomicFileObserverForTest(AtomicFileObserver fn) {
  std::lock_guard<std::mutex> l(observer_mu);
  delete observer;
  observer = fn ? new AtomicFileObserver(std::move(fn)) : nullptr;
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open directory", dir);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) return Errno("fsync directory", dir);
  Observe(absl::StrCat("fsync-dir ", dir));
  return absl::OkStatus();
}

absl::Status RenameDurably(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Errno("rename", to);
  Observe(absl::StrCat("rename ", from, " ", to));
  const std::string to_dir = DirOf(to), from_dir = DirOf(from);
  absl::Status s = SyncDirectory(to_dir);
  if (s.ok() && from_dir != to_dir) s = SyncDirectory(from_dir);
  return s;
}

absl::Status WriteFileAtomic(const std::string& path, std::string_view data,
                             const AtomicWriteOptions& options) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());  // a leftover of a crash; O_EXCL below refuses anything racing us.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                        options.mode);
  if (fd < 0) return Errno("create", tmp);
  auto fail = [&](const char* what) {
    const int saved = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    errno = saved;
    return Errno(what, tmp);
  };
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write");
    off += static_cast<size_t>(n);
  }
  if (::fchmod(fd, options.mode) != 0) return fail("chmod");
  if (options.mtime.has_value()) {
    const struct timespec times[2] = {{static_cast<time_t>(*options.mtime), 0},
                                      {static_cast<time_t>(*options.mtime), 0}};
    if (::futimens(fd, times) != 0) return fail("set times");
  }
  if (::fsync(fd) != 0) return fail("fsync");
  Observe(absl::StrCat("fsync-file ", tmp));
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Errno("close", tmp);
  }
  if (absl::Status s = RenameDurably(tmp, path); !s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return absl::OkStatus();
}

}  // namespace ifed
