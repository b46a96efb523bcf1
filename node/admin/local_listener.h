// LocalListener: the admin unix socket. The node accepts each connection
// itself, reads the caller's credentials from the kernel (SO_PEERCRED), and
// then hands the connection to gRPC. gRPC 1.51 exposes no peer credentials
// for unix sockets, and an identity written in request metadata would be the
// caller's own claim: the kernel's answer is the only one the audit log can
// trust.
#ifndef IFED_ADMIN_LOCAL_LISTENER_H_
#define IFED_ADMIN_LOCAL_LISTENER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace ifed::admin {

class LocalListener {
 public:
  // Binds `path` (a stale socket is replaced; anything else there is an
  // error), sets mode 0660 and feeds accepted connections to `server`, which
  // must outlive the listener.
  static absl::StatusOr<std::unique_ptr<LocalListener>> Start(const std::string& path,
                                                              grpc::Server* server);
  ~LocalListener();
  LocalListener(const LocalListener&) = delete;
  LocalListener& operator=(const LocalListener&) = delete;

  // Stops accepting and removes the socket file. Idempotent.
  void Stop();

  // "local:uid=<uid>(<user>)" for the gRPC peer string of a connection this
  // listener accepted ("fd:<n>"); empty when unknown.
  static std::string ActorForPeer(const std::string& grpc_peer);
  // The uid of that connection's process, or -1 when unknown.
  static long UidForPeer(const std::string& grpc_peer);

 private:
  LocalListener(std::string path, int listen_fd, int wake_fd, grpc::Server* server);
  void Loop();

  const std::string path_;
  const int listen_fd_;
  const int wake_fd_;  // eventfd: wakes the accept loop on Stop().
  grpc::Server* const server_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace ifed::admin

#endif  // IFED_ADMIN_LOCAL_LISTENER_H_
