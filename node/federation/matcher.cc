#include "node/federation/matcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "node/common/ids.h"
#include "node/common/indicator_type.h"
#include "node/common/status_macros.h"
#include "node/federation/compact_answer.h"

namespace ifed::federation {

std::vector<store::Pseudonym> UnpackPseudonyms(const std::string& packed) {
  std::vector<store::Pseudonym> ps(packed.size() / crypto::kPseudonymSize);
  for (size_t i = 0; i < ps.size(); ++i) {
    std::copy_n(packed.begin() + i * crypto::kPseudonymSize, crypto::kPseudonymSize,
                ps[i].begin());
  }
  return ps;
}

absl::StatusOr<std::string> PartnerReference(const crypto::Sealer* sealer,
                                             const std::string& partner,
                                             const std::string& record_id) {
  if (sealer == nullptr) return std::string();
  return sealer->Reference(partner, record_id);
}

absl::Status Matcher::Check(policy::Call call, const std::string& peer,
                            const std::string& on_behalf_of,
                            const ifed::v1::MatchRequest& request, const policy::Policy& policy,
                            policy::EffectiveRule* rule, std::vector<std::string>* partners,
                            size_t* items) const {
  if (!PrintableId(request.request_id())) {
    return absl::InvalidArgumentError("request_id must be 1-128 printable ASCII characters");
  }
  // A purpose belongs to its call, whatever the partner's rule lists.
  if (absl::Status s = policy::CheckPurpose(call, request.purpose()); !s.ok()) {
    spdlog::info("{} from {} refused: {}", policy::CallName(call), peer, std::string(s.message()));
    return s;
  }
  *items = 0;
  const std::string& querier = on_behalf_of.empty() ? peer : on_behalf_of;
  policy::Query q{.partner = querier,
                  .direction = policy::Direction::kInbound,
                  .purpose = request.purpose(),
                  .scheme = ifed::v1::KEYED,
                  .now = d_.now()};
  for (const auto& batch : request.batches()) {
    if (batch.pseudonyms().size() % crypto::kPseudonymSize != 0) {
      return absl::InvalidArgumentError("pseudonyms must be packed 32-byte values");
    }
    if (std::find(q.types.begin(), q.types.end(), batch.type()) == q.types.end()) {
      q.types.push_back(batch.type());
    }
    *items += batch.pseudonyms().size() / crypto::kPseudonymSize;
  }
  q.items = *items;
  // Quotas to charge: (partner, its rule's quota).
  std::vector<std::pair<std::string, ifed::v1::Quota>> charges;
  if (on_behalf_of.empty()) {
    const policy::Decision decision = policy.Decide(q);
    if (!decision.status.ok()) {
      spdlog::info("policy {} denies {}: {}", policy.version(), peer, decision.reason);
      return decision.status;
    }
    *rule = *decision.rule;
    *partners = {peer};
    charges.emplace_back(peer, decision.rule->rule.quota());
  } else {
    // Relayed by the hub `peer`: at most what either rule allows.
    policy::RelayedDecision decision = policy::DecideRelayed(policy, q, peer);
    if (!decision.status.ok()) {
      spdlog::info("policy {} denies {} via {}: {}", policy.version(), on_behalf_of, peer,
                   decision.reason);
      return decision.status;
    }
    *rule = std::move(decision.rule);
    *partners = {on_behalf_of, peer};
    charges.emplace_back(on_behalf_of, decision.querier_rule->rule.quota());
    charges.emplace_back(peer, decision.hub_rule->rule.quota());
  }
  if (d_.keys == nullptr) {  // a hub: it relays keyed queries, it answers none itself.
    return absl::FailedPreconditionError("this node holds no federation key (role hub)");
  }
  if (!d_.keys->HasEpoch(request.epoch())) {
    return absl::InvalidArgumentError(absl::StrCat("unknown key epoch ", request.epoch()));
  }
  if (*items == 0) return absl::InvalidArgumentError("empty batch");
  if (d_.quotas != nullptr) {
    const int64_t now_ms = d_.now_ms ? d_.now_ms() : d_.now() * 1000;
    for (const auto& [who, quota] : charges) {
      IFED_RETURN_IF_ERROR(d_.quotas->Take(who, quota, *items, now_ms));
    }
  }
  return absl::OkStatus();
}

absl::Status Matcher::Match(const std::string& peer, const ifed::v1::MatchRequest& request,
                            ifed::v1::MatchResponse* response,
                            const std::string& on_behalf_of, policy::Call call) const {
  // References are the querier's own tokens (for a relayed call, the
  // querier's, so that its follow-up, sent directly, can name them).
  const std::string& token_partner = on_behalf_of.empty() ? peer : on_behalf_of;
  // One snapshot per request: a reload never splits a request.
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  policy::EffectiveRule applied;
  const policy::EffectiveRule* rule = &applied;
  std::vector<std::string> partners;
  size_t items = 0;
  absl::Status ok = Check(call, peer, on_behalf_of, request, *policy, &applied, &partners, &items);
  if (!ok.ok()) {
    d_.counters->denied_queries++;
    spdlog::warn("match from {} refused: {}", peer, std::string(ok.message()));
    return ok;
  }
  const ifed::v1::Rule& r = rule->rule;
  response->set_request_id(request.request_id());
  response->set_responder(d_.node_id);
  response->set_disclosure(r.disclosure());
  const int64_t now = d_.now();
  uint64_t hits = 0;
  // Every item starts as NO_HIT; the store visits only the items that hold
  // records (from memory: a miss touches no RocksDB block). The compact
  // form marks a bit per HIT instead of a message per item.
  const bool compact = request.compact_answer();
  if (compact) StartCompact(items, response);
  size_t base = 0;  // first item of the batch among the request's items.
  for (const auto& batch : request.batches()) {
    const std::vector<store::Pseudonym> ps = UnpackPseudonyms(batch.pseudonyms());
    if (!compact) {
      for (size_t i = 0; i < ps.size(); ++i) response->add_results()->set_verdict(ifed::v1::NO_HIT);
    }
    absl::Status failed;
    IFED_RETURN_IF_ERROR(d_.store->VisitMatches(
        request.epoch(), ps, [&](size_t i, const ifed::v1::Record& rec) {
          if (rec.type() != batch.type() ||
              !policy::RecordVisibleToAll(*rule, partners, rec, now)) {
            return true;  // the item's next record, if any.
          }
          std::string ref;
          if (r.disclosure() >= ifed::v1::HIT_WITH_REFERENCE) {
            absl::StatusOr<std::string> made =
                PartnerReference(d_.sealer, token_partner, rec.record_id());
            if (!made.ok()) {
              failed.Update(made.status());
              return false;
            }
            ref = std::move(*made);
          }
          const bool contact = r.disclosure() >= ifed::v1::HIT_WITH_CONTACT;
          if (compact) {
            SetCompactHit(base + i, response);
            if (!ref.empty() || contact) {
              ifed::v1::CompactHit* h = response->add_hits();
              h->set_index(static_cast<uint32_t>(base + i));
              h->set_reference(std::move(ref));
              if (contact) h->set_contact(d_.contact);
            }
          } else {
            ifed::v1::ItemResult* out = response->mutable_results(static_cast<int>(base + i));
            out->set_verdict(ifed::v1::HIT);
            if (!ref.empty()) out->set_reference(std::move(ref));
            if (contact) out->set_contact(d_.contact);
          }
          ++hits;
          return false;  // one visible record makes the hit.
        }));
    IFED_RETURN_IF_ERROR(failed);
    base += ps.size();
  }
  d_.counters->inbound_queries++;
  d_.counters->inbound_items += items;
  d_.counters->inbound_hits += hits;
  spdlog::info("match from {}{} request {} purpose {}: {} items, {} hits, policy {} ({})", peer,
               on_behalf_of.empty() ? "" : absl::StrCat(" for ", on_behalf_of),
               request.request_id(), ifed::v1::Purpose_Name(request.purpose()), items, hits,
               rule->source.ToString(), policy->version());
  return absl::OkStatus();
}

}  // namespace ifed::federation
