// The operations pages of the console and their JSON API: the
// administrator (peers, quotas, CRLs, the effective policy with file:line,
// explain, diff and reload, key epochs, backups), the data protection
// officer (audit search, chain verification, export, reconciliation) and
// the hub operator (cross-border report and network graph), plus partner
// activity for the plots. Handlers are thin: the router has checked the
// session, the role and the CSRF token; a handler turns the query or body
// into an admin request, calls the node for the signed-in person (who checks
// the role again) and returns the node's answer as JSON.
#ifndef IFED_CONSOLE_OPS_ROUTES_H_
#define IFED_CONSOLE_OPS_ROUTES_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "node/console/admin_client.h"
#include "node/console/router.h"
#include "node/console/routes.h"
#include "proto/console_ops.grpc.pb.h"

namespace ifed::console {

// RegisterOpsRoutes (routes.h) registers the pages and the API.

// Fills `message` from query parameters named like its fields (strings,
// integers, booleans "true"/"false"/"1"/"0", enums by name); InvalidArgument
// naming the parameter for an unknown one or a bad value. Nothing else is
// touched on error.
absl::Status QueryToMessage(const std::map<std::string, std::string>& query,
                            google::protobuf::Message* message);

// The message as JSON (proto field names, defaults included).
std::string ToJson(const google::protobuf::Message& message);

}  // namespace ifed::console

#endif  // IFED_CONSOLE_OPS_ROUTES_H_
