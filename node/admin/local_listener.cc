#include "node/admin/local_listener.h"

#include <grpcpp/server_posix.h>
#include <poll.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace ifed::admin {
namespace {

// fd -> actor and uid of the connection gRPC now owns under that fd. An
// entry is replaced when the kernel reuses the fd for a new connection,
// which it only does after gRPC closed the old one.
struct Peer {
  std::string actor;
  long uid = -1;
};
std::mutex g_mu;
std::map<int, Peer>& Actors() {
  static auto* m = new std::map<int, Peer>();
  return *m;
}

// The fd of a gRPC peer string "fd:<n>" (a channel made from a
// descriptor), or -1.
int PeerFd(const std::string& grpc_peer) {
  if (grpc_peer.rfind("fd:", 0) != 0) return -1;
  return std::atoi(grpc_peer.c_str() + 3);
}

std::string UserName(uid_t uid) {
  struct passwd pw;
  struct passwd* out = nullptr;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &out) == 0 && out != nullptr) return pw.pw_name;
  return "?";
}

}  // namespace

absl::StatusOr<std::unique_ptr<LocalListener>> LocalListener::Start(const std::string& path,
                                                                    grpc::Server* server) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": unusable admin socket path"));
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(path, ": exists and is not a socket"));
    }
    ::unlink(path.c_str());  // stale socket of a previous run.
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError("cannot create the admin socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::chmod(path.c_str(), 0660) != 0 || ::listen(fd, 64) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot serve the admin socket ", path, ": ", why));
  }
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    ::close(fd);
    return absl::UnavailableError("eventfd failed");
  }
  std::unique_ptr<LocalListener> l(new LocalListener(path, fd, wake, server));
  l->thread_ = std::thread([p = l.get()] { p->Loop(); });
  return l;
}

LocalListener::LocalListener(std::string path, int listen_fd, int wake_fd, grpc::Server* server)
    : path_(std::move(path)), listen_fd_(listen_fd), wake_fd_(wake_fd), server_(server) {}

LocalListener::~LocalListener() {
  Stop();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void LocalListener::Stop() {
  if (stopping_.exchange(true)) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  ::unlink(path_.c_str());
}

void LocalListener::Loop() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (!stopping_) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("admin socket: poll failed: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn < 0) continue;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      ::close(conn);  // no credentials, no service.
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(g_mu);
      Actors()[conn] = Peer{absl::StrCat("local:uid=", cred.uid, "(", UserName(cred.uid), ")"),
                            static_cast<long>(cred.uid)};
    }
    grpc::AddInsecureChannelFromFd(server_, conn);
  }
}

std::string LocalListener::ActorForPeer(const std::string& grpc_peer) {
  const int fd = PeerFd(grpc_peer);
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = Actors().find(fd);
  return it == Actors().end() ? "" : it->second.actor;
}

long LocalListener::UidForPeer(const std::string& grpc_peer) {
  const int fd = PeerFd(grpc_peer);
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = Actors().find(fd);
  return it == Actors().end() ? -1 : it->second.uid;
}

}  // namespace ifed::admin
