// Staff identity on the admin socket. The web console (ifed-console) acts
// for the person signed in to it: it names them in gRPC metadata
//
//   x-ifed-staff:       <staff id>            ([a-z0-9][a-z0-9._-]{0,63})
//   x-ifed-staff-roles: analyst,approver,...  (the roles from its staff file)
//
// The node believes that metadata only on connections whose kernel
// credentials (SO_PEERCRED, see local_listener.h) carry a uid configured in
// `console_uids`; from any other uid it is refused, so no local process can
// pass itself off as a person. A call with a staff identity is audited as
// "staff:<id> via local:uid=<n>(<user>)" and must hold a role that the
// method allows (RolesFor): defence in depth, so a console that forgot a
// check still cannot let an analyst approve a follow-up. A call without
// staff metadata is the node's operator (ifedctl), as before.
#ifndef IFED_ADMIN_STAFF_H_
#define IFED_ADMIN_STAFF_H_

#include <grpcpp/grpcpp.h>

#include <set>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ifed::admin {

inline constexpr char kStaffHeader[] = "x-ifed-staff";
inline constexpr char kStaffRolesHeader[] = "x-ifed-staff-roles";

// The role names, as written in metadata and in the staff file (lower case).
inline constexpr const char* kRoleNames[] = {"analyst", "approver", "admin", "dpo",
                                                  "hub-operator"};

// [a-z0-9][a-z0-9._-]{0,63}
bool IsValidStaffId(absl::string_view id);

// Who is calling.
struct Caller {
  std::string actor;          // for audit events.
  std::string staff_id;       // empty: not a staff call (the operator).
  std::set<std::string> roles;
  bool staff() const { return !staff_id.empty(); }
};

// The caller of a connection whose kernel-derived actor is `process_actor`
// and whose uid is `uid` (-1 when unknown). `staff` / `roles` are the
// metadata values (nullptr when absent). PermissionDenied when a staff
// identity comes from a uid not in `console_uids`, InvalidArgument when the
// id or a role is malformed or unknown, or roles are missing.
absl::StatusOr<Caller> ResolveCaller(const std::string& process_actor, long uid,
                                     const std::vector<uint32_t>& console_uids,
                                     const std::string* staff, const std::string* roles);

// The roles that may make admin call `method` ("FollowUps", ...) with the
// given `action` (FollowUps and Watches have several; empty otherwise). An
// empty set means no staff member may (the call is for the operator).
std::set<std::string> RolesFor(absl::string_view method, absl::string_view action);

// OK for a caller without staff identity, or with one of RolesFor's roles;
// PermissionDenied naming the roles otherwise.
absl::Status CheckRole(const Caller& caller, absl::string_view method, absl::string_view action);

// The console uids the admin edge accepts staff identities from (set once
// by the daemon before the admin socket serves; empty = none).
void SetConsoleUids(std::vector<uint32_t> uids);

// The caller of an admin call on `ctx`, from the connection's credentials
// and its metadata (see above).
absl::StatusOr<Caller> CallerOf(grpc::ServerContext* ctx);

// CallerOf and CheckRole in one, as a gRPC status for the RPC edge.
grpc::Status Authorize(grpc::ServerContext* ctx, absl::string_view method,
                       absl::string_view action = "");

}  // namespace ifed::admin

#endif  // IFED_ADMIN_STAFF_H_
