// Takedown deconfliction: is any of these URLs or handles held by
// an investigation here? The answer per item is clear or held (plus the
// contact point where the partner's rule discloses contacts), never which
// record or case.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/federation/matcher.h"

namespace ifed::federation {

absl::Status Matcher::Deconflict(const std::string& peer,
                                 const ifed::v1::DeconflictRequest& request,
                                 ifed::v1::DeconflictResponse* response,
                                 const std::string& on_behalf_of) const {
  for (const auto& b : request.batches()) {
    if (b.type() != ifed::v1::URL && b.type() != ifed::v1::HANDLE) {
      return absl::InvalidArgumentError("deconfliction takes url and handle items only");
    }
  }
  // The same checks as a Match (shape, policy for this purpose, epoch,
  // quotas), on the same request shape.
  ifed::v1::MatchRequest shape;
  shape.set_request_id(request.request_id());
  shape.set_purpose(ifed::v1::TAKEDOWN_DECONFLICTION);
  shape.set_epoch(request.epoch());
  *shape.mutable_batches() = request.batches();
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  policy::EffectiveRule applied;
  const policy::EffectiveRule* rule = &applied;
  std::vector<std::string> partners;
  size_t items = 0;
  absl::Status ok = Check(policy::Call::kDeconflict, peer, on_behalf_of, shape, *policy, &applied,
                          &partners, &items);
  if (!ok.ok()) {
    d_.counters->denied_queries++;
    spdlog::warn("deconflict from {} refused: {}", peer, std::string(ok.message()));
    return ok;
  }
  const bool contact = rule->rule.disclosure() >= ifed::v1::HIT_WITH_CONTACT;
  response->set_request_id(request.request_id());
  response->set_responder(d_.node_id);
  const int64_t now = d_.now();
  uint64_t held = 0;
  for (const auto& batch : request.batches()) {
    const std::vector<store::Pseudonym> ps = UnpackPseudonyms(batch.pseudonyms());
    const int base = response->results_size();
    for (size_t i = 0; i < ps.size(); ++i) response->add_results()->set_status(ifed::v1::HOLD_CLEAR);
    IFED_RETURN_IF_ERROR(d_.store->VisitMatches(
        request.epoch(), ps, [&](size_t i, const ifed::v1::Record& rec) {
          if (rec.type() != batch.type() || !rec.hold() ||
              !policy::RecordVisibleToAll(*rule, partners, rec, now)) {
            return true;
          }
          ifed::v1::DeconflictResult* out = response->mutable_results(base + static_cast<int>(i));
          out->set_status(ifed::v1::HOLD_HELD);
          if (contact) out->set_contact(d_.contact);
          ++held;
          return false;
        }));
  }
  spdlog::info("deconflict from {} request {}: {} items, {} held, policy {} ({})", peer,
               request.request_id(), items, held, rule->source.ToString(), policy->version());
  return absl::OkStatus();
}

}  // namespace ifed::federation
