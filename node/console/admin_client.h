// The console's one way to its node: the admin API (proto/admin.proto) on
// the node's unix socket. Every call carries the signed-in person
// (x-ifed-staff, x-ifed-staff-roles; node/admin/staff.h), so the node audits
// staff:<id> and checks the role again itself. The console holds no store,
// no key and no policy of its own. Thread-safe.
#ifndef IFED_CONSOLE_ADMIN_CLIENT_H_
#define IFED_CONSOLE_ADMIN_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "node/console/sessions.h"
#include "proto/admin.grpc.pb.h"

namespace ifed::console {

class AdminClient {
 public:
  // A client of the node whose admin socket is `socket_path`.
  static std::unique_ptr<AdminClient> ForSocket(const std::string& socket_path,
                                                int timeout_ms);
  // A client over an existing channel (tests: an in-process fake node).
  AdminClient(std::shared_ptr<grpc::Channel> channel, int timeout_ms);

  // A context for one call on behalf of `staff`: their identity and roles
  // in metadata and the configured deadline.
  std::unique_ptr<grpc::ClientContext> Context(const Staff& staff) const;

  ifed::v1::Admin::StubInterface& stub() { return *stub_; }

  // Calls `method` of the stub for `staff` and converts the status:
  //   absl::Status s = client.Call(staff, &Stub::FollowUps, request, &response);
  template <typename Req, typename Resp>
  absl::Status Call(const Staff& staff,
                    grpc::Status (ifed::v1::Admin::StubInterface::*method)(grpc::ClientContext*,
                                                                          const Req&, Resp*),
                    const Req& request, Resp* response) {
    std::unique_ptr<grpc::ClientContext> ctx = Context(staff);
    return FromGrpc((stub_.get()->*method)(ctx.get(), request, response));
  }

  // The node's status as an absl::Status; UNAVAILABLE says the node is down.
  static absl::Status FromGrpc(const grpc::Status& s);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ifed::v1::Admin::StubInterface> stub_;
  const int timeout_ms_;
};

}  // namespace ifed::console

#endif  // IFED_CONSOLE_ADMIN_CLIENT_H_
