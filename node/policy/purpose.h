// A purpose belongs to its call: each federation RPC accepts only the
// purposes that make sense for it, whatever a partner's rule lists. A rule
// that allows only takedown_deconfliction lets the partner ask Deconflict
// and nothing else; Deconflict answers that purpose only.
//
// Also here: whether a standing query (a watch) held for a partner is still
// allowed under the rule in force now. A watch is decided when it is made
// and again every time it would fire and at every policy reload, so a
// narrowed rule stops it at once.
//
// Pure: no gRPC, no RocksDB.
#ifndef IFED_POLICY_PURPOSE_H_
#define IFED_POLICY_PURPOSE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "node/policy/policy.h"
#include "proto/common.pb.h"

namespace ifed::policy {

// The federation calls that carry a purpose.
enum class Call {
  kMatch,
  kMatchStream,
  kWatch,
  kFollowUp,
  kOprfEvaluate,
  kOprfResolve,
  kDeconflict,
};

// "Match", "MatchStream", "Watch", "FollowUp", "OprfEvaluate", "Resolve",
// "Deconflict": the RPC names of proto/federation.proto.
const char* CallName(Call call);

// "migrant_smuggling", "takedown_deconfliction", "unspecified".
std::string PurposeName(ifed::v1::Purpose purpose);

// The purposes `call` accepts, in enum order. Deconflict: takedown
// deconfliction only. Every other call: the investigative purposes (every
// purpose but unspecified and takedown deconfliction).
std::vector<ifed::v1::Purpose> AcceptedPurposes(Call call);
bool PurposeAccepted(Call call, ifed::v1::Purpose purpose);

// OK, or PermissionDenied naming the purpose and the call, e.g.
// "purpose takedown_deconfliction is not accepted by Match (it serves
// Deconflict only)". The message is safe to return to the partner.
absl::Status CheckPurpose(Call call, ifed::v1::Purpose purpose);

// Whether a watch held for a partner, made for `purpose` over items of
// `types` (keyed scheme), may still be kept under `rule` (the partner's
// inbound rule in force now; null when there is none): a rule exists,
// watches.allowed, the purpose is accepted by Watch and listed, every type
// is listed, and the scheme is keyed. OK, or PermissionDenied with a
// reason for the administrator and the partner (no value: types and
// purposes only).
absl::Status HeldWatchAllowed(const EffectiveRule* rule, ifed::v1::Purpose purpose,
                              const std::vector<ifed::v1::IndicatorType>& types);

}  // namespace ifed::policy

#endif  // IFED_POLICY_PURPOSE_H_
