// DeconflictManager: takedown deconfliction asked of partners, as plain
// logic. Before a platform is asked to take a page or account down, the
// analyst asks partners whether any of these URLs or handles is held by one
// of their investigations. Each value is normalised; its canonical form and
// the URL/handle forms it derives (a t.me link and the telegram handle are
// one page) are pseudonymised and sent; an item is held if any form is.
// Our own outbound policy decides first; a hub's answer becomes one row per
// member ("hub/member"). Each partner's answer is audited
// ("deconflict.out": counts and types, never a value) before anything is
// shown.
#ifndef IFED_QUERY_DECONFLICT_MANAGER_H_
#define IFED_QUERY_DECONFLICT_MANAGER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/audit/audit_log.h"
#include "node/crypto/keyed.h"
#include "node/normalize/normalizer.h"
#include "node/policy/policy.h"
#include "proto/admin.pb.h"
#include "proto/federation.pb.h"

namespace ifed::query {

// How a deconfliction request reaches partners (the admin API points it at
// the peer clients and the relay signer).
class DeconflictTransport {
 public:
  virtual ~DeconflictTransport() = default;
  // Whether `peer` is a hub (its answer carries its members' rows).
  virtual bool IsHub(const std::string& peer) const = 0;
  // Signs `request` for the members `hub` relays it to (relay
  // authorization); an error is logged and the request goes unsigned.
  virtual absl::Status SignForHub(const std::string& hub,
                                  ifed::v1::DeconflictRequest* request) = 0;
  // One partner's answer. Called concurrently, one thread per partner.
  virtual absl::StatusOr<ifed::v1::DeconflictResponse> Deconflict(
      const std::string& peer, const ifed::v1::DeconflictRequest& request) = 0;
};

struct DeconflictManagerDeps {
  const normalize::Normalizer* normalizer = nullptr;
  const crypto::KeyedPseudonymizer* keys = nullptr;  // null (a hub): FailedPrecondition.
  const policy::PolicyHolder* policy = nullptr;      // null: no outbound check.
  audit::AuditLog* audit = nullptr;                  // null: no audit (tests).
  DeconflictTransport* transport = nullptr;
  std::function<int64_t()> now;  // unix seconds.
};

// What an analyst asks: `values` of `type` (URL or HANDLE) of `peers`.
struct DeconflictAsk {
  ifed::v1::IndicatorType type = ifed::v1::INDICATOR_TYPE_UNSPECIFIED;
  std::vector<std::string> values;
  std::vector<std::string> peers;  // already selected (a hub, or partners).
};

inline constexpr size_t kMaxDeconflictValues = 10'000;

class DeconflictManager {
 public:
  explicit DeconflictManager(DeconflictManagerDeps deps) : d_(std::move(deps)) {}

  // Fills `response` (request id, one item per value, per-partner rows and
  // errors). InvalidArgument for a type other than URL or HANDLE or a
  // number of values outside 1..kMaxDeconflictValues; FailedPrecondition
  // without a federation key; Unavailable when the audit log fails (then
  // `response` is cleared). A partner's refusal or failure is a peer error,
  // not an error of the call.
  absl::Status Deconflict(const std::string& actor, const DeconflictAsk& ask,
                          ifed::v1::LocalDeconflictResponse* response);
  // The checks of the ask's shape alone (type, number of values), for a
  // caller that selects the partners after them.
  static absl::Status CheckShape(ifed::v1::IndicatorType type, size_t values);

 private:
  // The wire request of the values (items and their errors into
  // `response`), and per pseudonym sent the index of its item, in wire order.
  absl::Status BuildWire(const DeconflictAsk& ask, ifed::v1::DeconflictRequest* wire,
                         std::vector<int>* wire_owner,
                         ifed::v1::LocalDeconflictResponse* response) const;
  // The peers our own outbound policy lets the request go to; each refused
  // one gets a PermissionDenied peer error ("not sent: our policy ...").
  std::vector<std::string> AllowedPeers(const std::vector<std::string>& peers,
                                        const ifed::v1::DeconflictRequest& wire,
                                        ifed::v1::LocalDeconflictResponse* response) const;
  // One partner's answer: audited, then its rows (per member for a hub) or
  // its peer error into `response`; an error means the audit log failed.
  absl::Status TakeAnswer(const std::string& actor, const std::string& peer,
                          const std::string& request_id, int64_t items,
                          const std::string& types, const std::vector<int>& wire_owner,
                          absl::StatusOr<ifed::v1::DeconflictResponse> answer,
                          ifed::v1::LocalDeconflictResponse* response);
  // Audits one partner's answer; an error means nothing may be shown.
  absl::Status AuditAnswer(const std::string& actor, const std::string& peer,
                           const std::string& request_id, int64_t items,
                           const std::string& types,
                           const absl::StatusOr<ifed::v1::DeconflictResponse>& answer,
                           int64_t held);

  DeconflictManagerDeps d_;
};

}  // namespace ifed::query

#endif  // IFED_QUERY_DECONFLICT_MANAGER_H_
