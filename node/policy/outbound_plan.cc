#include "node/policy/outbound_plan.h"

#include <utility>

namespace ifed::policy {

OutboundPlan PlanOutbound(const Policy& policy, Query q, const std::vector<std::string>& peers,
                          const std::set<ifed::v1::IndicatorType>& asked) {
  OutboundPlan plan;
  const std::vector<ifed::v1::IndicatorType> all = q.types;
  std::vector<ifed::v1::IndicatorType> own, derived_only;
  for (ifed::v1::IndicatorType t : all) (asked.count(t) ? own : derived_only).push_back(t);
  for (const std::string& peer : peers) {
    q.partner = peer;
    q.types = all;
    Decision whole = policy.Decide(q);
    if (whole.status.ok()) {
      plan.peers.push_back(peer);
      continue;
    }
    // Without the forms only derived from the values: if that passes, the
    // derived types are decided one by one.
    bool values_allowed = false;
    if (!own.empty() && !derived_only.empty()) {
      q.types = own;
      values_allowed = policy.Decide(q).status.ok();
    }
    if (!values_allowed) {
      plan.refused[peer] = std::move(whole.reason);
      continue;
    }
    plan.peers.push_back(peer);
    for (ifed::v1::IndicatorType t : derived_only) {
      q.types = own;
      q.types.push_back(t);
      Decision d = policy.Decide(q);
      if (!d.status.ok()) plan.skipped[peer][t] = std::move(d.reason);
    }
  }
  return plan;
}

}  // namespace ifed::policy
