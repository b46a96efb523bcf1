// What an approver does in the console: the queue of follow-ups partners
// asked of this node, each with its deadline, and the decision: approve
// (a reply, optionally with this node's contact point) or deny (a reason).
// Plain calls on the admin API for the signed-in person; the node checks
// the approver role again. Unit-tested against a fake node.
#ifndef IFED_CONSOLE_APPROVER_H_
#define IFED_CONSOLE_APPROVER_H_

#include <functional>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "node/console/admin_client.h"
#include "node/console/sessions.h"

namespace ifed::console {

class Approver {
 public:
  Approver(AdminClient* admin, std::function<int64_t()> now_ms)
      : admin_(admin), now_ms_(std::move(now_ms)) {}

  // {"followups": [{"id", "peer", "reference", "record_id"?, "purpose",
  //   "legal_basis", "justification", "state", "created", "deadline",
  //   "overdue", "seconds_left", ...}], "now": unix seconds}; pending first,
  //   by deadline.
  absl::StatusOr<nlohmann::json> Queue(const Staff& staff);

  // {"id", "decision": "approve"|"deny", "reply" | "reason",
  //  "with_contact": bool}. InvalidArgument without a reply (or contact) to
  // approve or a reason to deny.
  absl::StatusOr<nlohmann::json> Decide(const Staff& staff, const nlohmann::json& form);

 private:
  AdminClient* const admin_;
  const std::function<int64_t()> now_ms_;
};

}  // namespace ifed::console

#endif  // IFED_CONSOLE_APPROVER_H_
