// Which forms of a match go to each peer under our own outbound policy.
//
// A match asks each value and every form derived from it (a wa.me link's
// phone, a profile URL's handle, an address's provider mailbox). A peer
// whose outbound rule allows the values' own types but not the type of a
// form only derived from them gets the values without that form (the
// answer says which forms were skipped), instead of nothing at all. A peer
// whose rule refuses the values' own types is refused as before.
// Pure: a policy snapshot in, a plan out.
#ifndef IFED_POLICY_OUTBOUND_PLAN_H_
#define IFED_POLICY_OUTBOUND_PLAN_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "node/policy/policy.h"

namespace ifed::policy {

struct OutboundPlan {
  // Peers the query goes to, in the order given.
  std::vector<std::string> peers;
  // Per peer sent to: types only derived forms have that its rule does
  // not allow (not sent to it), with the policy's reason for each.
  std::map<std::string, std::map<ifed::v1::IndicatorType, std::string>> skipped;
  // Per peer refused: the policy's reason (for the administrator).
  std::map<std::string, std::string> refused;
};

// `q` with direction kOutbound and `q.types` every type the query carries
// (q.partner is set per peer); `asked`: the types of the values themselves
// (the others are types of derived forms only).
OutboundPlan PlanOutbound(const Policy& policy, Query q, const std::vector<std::string>& peers,
                          const std::set<ifed::v1::IndicatorType>& asked);

}  // namespace ifed::policy

#endif  // IFED_POLICY_OUTBOUND_PLAN_H_
