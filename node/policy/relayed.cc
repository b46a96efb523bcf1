// Relays widen nothing: the rule of a call a hub relays for a querier is the
// intersection of this node's rule for the querier and its rule for the hub.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "node/policy/policy.h"

namespace ifed::policy {
namespace {

// Never a crime area of a record: two crime-area lists with nothing in
// common leave this one, so that no record is visible.
constexpr char kNoCommonCrimeArea[] = "(no crime area in common)";

template <typename T>
void Intersect(google::protobuf::RepeatedField<T>* mine,
               const google::protobuf::RepeatedField<T>& other) {
  google::protobuf::RepeatedField<T> kept;
  for (T v : *mine) {
    if (std::find(other.begin(), other.end(), v) != other.end()) kept.Add(v);
  }
  mine->Swap(&kept);
}

}  // namespace

EffectiveRule IntersectRules(const EffectiveRule& querier, const EffectiveRule& hub) {
  EffectiveRule out = querier;
  ifed::v1::Rule& r = out.rule;
  const ifed::v1::Rule& h = hub.rule;
  Intersect(r.mutable_types(), h.types());
  Intersect(r.mutable_purposes(), h.purposes());
  if (r.crime_areas().empty()) {
    *r.mutable_crime_areas() = h.crime_areas();
  } else if (!h.crime_areas().empty()) {
    google::protobuf::RepeatedPtrField<std::string> kept;
    for (const auto& a : r.crime_areas()) {
      if (std::find(h.crime_areas().begin(), h.crime_areas().end(), a) != h.crime_areas().end()) {
        *kept.Add() = a;
      }
    }
    if (kept.empty()) *kept.Add() = kNoCommonCrimeArea;
    r.mutable_crime_areas()->Swap(&kept);
  }
  r.set_max_tlp(std::min(r.max_tlp(), h.max_tlp()));
  r.set_disclosure(std::min(r.disclosure(), h.disclosure()));
  if (r.scheme() == ifed::v1::KEYED_OR_OPRF) {
    r.set_scheme(h.scheme());
  } else if (h.scheme() != ifed::v1::KEYED_OR_OPRF && r.scheme() != h.scheme()) {
    r.set_scheme(ifed::v1::PSEUDONYM_SCHEME_UNSPECIFIED);
  }
  r.set_max_batch(std::min(r.max_batch(), h.max_batch()));
  r.set_query_retention_days(std::min(r.query_retention_days(), h.query_retention_days()));
  r.mutable_watches()->set_allowed(r.watches().allowed() && h.watches().allowed());
  r.mutable_watches()->set_max_active(
      std::min(r.watches().max_active(), h.watches().max_active()));
  r.mutable_follow_ups()->set_allowed(r.follow_ups().allowed() && h.follow_ups().allowed());
  r.mutable_follow_ups()->set_max_per_day(
      std::min(r.follow_ups().max_per_day(), h.follow_ups().max_per_day()));
  r.set_report_hits(false);
  out.valid_from = std::max(querier.valid_from, hub.valid_from);
  out.valid_until = std::min(querier.valid_until, hub.valid_until);
  return out;
}

RelayedDecision DecideRelayed(const Policy& policy, const Query& q, const std::string& hub) {
  RelayedDecision out;
  const Decision for_querier = policy.Decide(q);
  if (!for_querier.status.ok()) {
    out.status = for_querier.status;
    out.reason = absl::StrCat("relayed by ", hub, ": for the querier: ", for_querier.reason);
    return out;
  }
  Query as_hub = q;
  as_hub.partner = hub;
  const Decision for_hub = policy.Decide(as_hub);
  if (!for_hub.status.ok()) {
    out.status = absl::Status(for_hub.status.code(),
                              absl::StrCat("through the hub: ", for_hub.status.message()));
    out.reason = absl::StrCat("relayed by ", hub, ": for the hub: ", for_hub.reason);
    return out;
  }
  out.querier_rule = for_querier.rule;
  out.hub_rule = for_hub.rule;
  out.rule = IntersectRules(*for_querier.rule, *for_hub.rule);
  out.reason = absl::StrCat(for_querier.reason, " and ", for_hub.reason);
  return out;
}

bool RecordVisibleToAll(const EffectiveRule& rule, const std::vector<std::string>& partners,
                        const ifed::v1::Record& record, int64_t now) {
  for (const std::string& p : partners) {
    if (!Policy::RecordVisible(rule, p, record, now)) return false;
  }
  return true;
}

}  // namespace ifed::policy
