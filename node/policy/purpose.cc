// The purpose table of the federation calls, and the re-decision of held
// watches.
#include "node/policy/purpose.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/common/indicator_type.h"

namespace ifed::policy {

const char* CallName(Call call) {
  switch (call) {
    case Call::kMatch:
      return "Match";
    case Call::kMatchStream:
      return "MatchStream";
    case Call::kWatch:
      return "Watch";
    case Call::kFollowUp:
      return "FollowUp";
    case Call::kOprfEvaluate:
      return "OprfEvaluate";
    case Call::kOprfResolve:
      return "Resolve";
    case Call::kDeconflict:
      return "Deconflict";
  }
  return "?";
}

std::string PurposeName(ifed::v1::Purpose purpose) {
  if (purpose == ifed::v1::PURPOSE_UNSPECIFIED || !ifed::v1::Purpose_IsValid(purpose)) {
    return "unspecified";
  }
  return absl::AsciiStrToLower(ifed::v1::Purpose_Name(purpose));
}

bool PurposeAccepted(Call call, ifed::v1::Purpose purpose) {
  if (purpose == ifed::v1::PURPOSE_UNSPECIFIED || !ifed::v1::Purpose_IsValid(purpose)) {
    return false;
  }
  const bool takedown = purpose == ifed::v1::TAKEDOWN_DECONFLICTION;
  return call == Call::kDeconflict ? takedown : !takedown;
}

std::vector<ifed::v1::Purpose> AcceptedPurposes(Call call) {
  std::vector<ifed::v1::Purpose> out;
  for (int p = ifed::v1::Purpose_MIN; p <= ifed::v1::Purpose_MAX; ++p) {
    if (ifed::v1::Purpose_IsValid(p) && PurposeAccepted(call, static_cast<ifed::v1::Purpose>(p))) {
      out.push_back(static_cast<ifed::v1::Purpose>(p));
    }
  }
  return out;
}

absl::Status CheckPurpose(Call call, ifed::v1::Purpose purpose) {
  if (PurposeAccepted(call, purpose)) return absl::OkStatus();
  if (purpose == ifed::v1::TAKEDOWN_DECONFLICTION) {
    return absl::PermissionDeniedError(absl::StrCat(
        "purpose takedown_deconfliction is not accepted by ", CallName(call),
        " (it serves Deconflict only)"));
  }
  if (call == Call::kDeconflict) {
    return absl::PermissionDeniedError(absl::StrCat("purpose ", PurposeName(purpose),
                                                    " is not accepted by Deconflict (it takes "
                                                    "takedown_deconfliction only)"));
  }
  return absl::PermissionDeniedError(absl::StrCat("purpose ", PurposeName(purpose),
                                                  " is not accepted by ", CallName(call),
                                                  " (an investigative purpose is required)"));
}

absl::Status HeldWatchAllowed(const EffectiveRule* rule, ifed::v1::Purpose purpose,
                              const std::vector<ifed::v1::IndicatorType>& types) {
  if (rule == nullptr) {
    return absl::PermissionDeniedError("no sharing rule for this partner any more");
  }
  const ifed::v1::Rule& r = rule->rule;
  if (!r.watches().allowed()) {
    return absl::PermissionDeniedError(absl::StrCat("watches are no longer allowed (",
                                                    rule->FieldSource("watches.allowed").ToString(),
                                                    ")"));
  }
  if (absl::Status s = CheckPurpose(Call::kWatch, purpose); !s.ok()) return s;
  if (std::find(r.purposes().begin(), r.purposes().end(), purpose) == r.purposes().end()) {
    return absl::PermissionDeniedError(absl::StrCat("purpose ", PurposeName(purpose),
                                                    " is no longer allowed (",
                                                    rule->FieldSource("purposes").ToString(), ")"));
  }
  for (ifed::v1::IndicatorType t : types) {
    if (std::find(r.types().begin(), r.types().end(), t) == r.types().end()) {
      return absl::PermissionDeniedError(
          absl::StrCat("indicator type ", TypeName(static_cast<IndicatorType>(t)),
                       " is no longer allowed (", rule->FieldSource("types").ToString(), ")"));
    }
  }
  if (r.scheme() != ifed::v1::KEYED && r.scheme() != ifed::v1::KEYED_OR_OPRF) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the keyed scheme is no longer allowed (", rule->FieldSource("scheme").ToString(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace ifed::policy
