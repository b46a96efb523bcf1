// Relay: the hub role. A member's Match arrives at the hub's
// federation listener; the hub checks its own policy (may this member ask,
// and which members may it ask on its behalf), fans the pseudonyms out to
// those members in parallel under one deadline, and returns one answer per
// member (answered, denied, timed out, unavailable) plus the merge. The hub
// forwards pseudonyms only; it never sees a raw value and keeps none of the
// members' references in its statistics. Thread-safe.
#ifndef IFED_HUB_RELAY_H_
#define IFED_HUB_RELAY_H_

#include <chrono>
#include <functional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "node/federation/transport/peer_client.h"
#include "node/hub/member_status.h"
#include "node/hub/stats.h"
#include "node/policy/policy.h"
#include "proto/federation.pb.h"

namespace ifed::hub {

struct RelayDeps {
  std::string node_id;
  const policy::PolicyHolder* policy = nullptr;
  federation::PeerClients* members = nullptr;  // the configured peers.
  HubStats* stats = nullptr;                   // may be null.
  std::function<int64_t()> now;                // unix seconds.
  // Longest wait for one member (the caller's deadline may cut it shorter).
  std::chrono::milliseconds member_timeout{3000};
};


class Relay {
 public:
  explicit Relay(RelayDeps deps) : d_(std::move(deps)) {}

  // PermissionDenied / InvalidArgument when the hub's policy refuses the
  // querier or the request is malformed (nothing is relayed). Otherwise OK:
  // every member's outcome is in response->members(), and each member call
  // ends by `deadline` (minus a margin for the reply).
  absl::Status Match(const std::string& querier, const ifed::v1::MatchRequest& request,
                     std::chrono::system_clock::time_point deadline,
                     ifed::v1::MatchResponse* response) const;

  // Takedown deconfliction through the hub, as Match: the hub's
  // inbound rule for the querier and its outbound rule for each member must
  // allow purpose TAKEDOWN_DECONFLICTION; each member answers the hub under
  // its rule for the hub; one outcome per member in response->members()
  // (contacts only under the hub's hit_with_contact for the querier), and
  // the merge in results (held when any member holds the item).
  absl::Status Deconflict(const std::string& querier, const ifed::v1::DeconflictRequest& request,
                          std::chrono::system_clock::time_point deadline,
                          ifed::v1::DeconflictResponse* response) const;

 private:
  std::vector<std::string> Members(
      const std::string& querier, policy::Query q, const policy::Policy& policy,
      const std::set<std::string>& wanted, const std::set<std::string>& skip,
      std::set<std::string>* present,
      const std::function<void(const std::string&, const std::string&)>& denied) const;

  RelayDeps d_;
};

}  // namespace ifed::hub

#endif  // IFED_HUB_RELAY_H_
