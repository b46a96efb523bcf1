// Matcher: answers a partner's batch of pseudonyms under the policy for that
// partner. Plain logic, no gRPC: the service resolves the caller's identity
// from its certificate and hands it in.
#ifndef IFED_FEDERATION_MATCHER_H_
#define IFED_FEDERATION_MATCHER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "node/common/counters.h"
#include "node/crypto/keyed.h"
#include "node/policy/policy.h"
#include "node/store/store.h"
#include "proto/federation.pb.h"

namespace ifed::federation {

struct MatcherDeps {
  std::string node_id;
  std::string contact;                       // disclosed with HIT_WITH_CONTACT.
  const store::Store* store = nullptr;
  const policy::PolicyHolder* policy = nullptr;
  const crypto::KeyedPseudonymizer* keys = nullptr;
  Counters* counters = nullptr;
  std::function<int64_t()> now;              // unix seconds.
};

// Thread-safe.
class Matcher {
 public:
  explicit Matcher(MatcherDeps deps) : d_(std::move(deps)) {}

  // PermissionDenied: no rule for `peer`, purpose or type not allowed.
  // InvalidArgument: malformed batch, unknown epoch, batch over the limit.
  // The status message is safe to return to the peer.
  absl::Status Match(const std::string& peer, const ifed::v1::MatchRequest& request,
                     ifed::v1::MatchResponse* response) const;

 private:
  absl::Status Check(const std::string& peer, const ifed::v1::MatchRequest& request,
                     const policy::Rule& rule, size_t* items) const;
  MatcherDeps d_;
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_MATCHER_H_
