#include "node/federation/matcher.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "node/common/indicator_type.h"
#include "node/common/status_macros.h"

namespace ifed::federation {
namespace {

constexpr size_t kMaxRequestId = 128;

bool PrintableId(const std::string& s) {
  if (s.size() > kMaxRequestId) return false;
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

absl::Status Matcher::Check(const std::string& peer, const ifed::v1::MatchRequest& request,
                            const policy::Rule& rule, size_t* items) const {
  if (!PrintableId(request.request_id())) {
    return absl::InvalidArgumentError("request_id must be 1-128 printable ASCII characters");
  }
  if (!policy::Policy::AllowsPurpose(rule.rule, request.purpose())) {
    return absl::PermissionDeniedError("purpose not allowed for this partner");
  }
  if (!d_.keys->HasEpoch(request.epoch())) {
    return absl::InvalidArgumentError(absl::StrCat("unknown key epoch ", request.epoch()));
  }
  *items = 0;
  for (const auto& batch : request.batches()) {
    if (!policy::Policy::Allows(rule.rule, batch.type())) {
      return absl::PermissionDeniedError(absl::StrCat(
          "indicator type ", TypeName(static_cast<IndicatorType>(batch.type())),
          " not allowed for this partner"));
    }
    if (batch.pseudonyms().size() % crypto::kPseudonymSize != 0) {
      return absl::InvalidArgumentError("pseudonyms must be packed 32-byte values");
    }
    *items += batch.pseudonyms().size() / crypto::kPseudonymSize;
  }
  if (*items == 0) return absl::InvalidArgumentError("empty batch");
  if (*items > rule.rule.max_batch()) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch of ", *items, " items exceeds the limit of ", rule.rule.max_batch()));
  }
  return absl::OkStatus();
}

absl::Status Matcher::Match(const std::string& peer, const ifed::v1::MatchRequest& request,
                            ifed::v1::MatchResponse* response) const {
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  auto rule = policy->For(peer);
  size_t items = 0;
  absl::Status ok = rule.ok() ? Check(peer, request, **rule, &items) : rule.status();
  if (!ok.ok()) {
    d_.counters->denied_queries++;
    spdlog::warn("match from {} refused: {}", peer, std::string(ok.message()));
    return ok;
  }
  const ifed::v1::PartnerRule& r = (*rule)->rule;
  response->set_request_id(request.request_id());
  response->set_responder(d_.node_id);
  response->set_disclosure(r.disclosure());
  const int64_t now = d_.now();
  uint64_t hits = 0;
  for (const auto& batch : request.batches()) {
    const std::string& packed = batch.pseudonyms();
    std::vector<store::Pseudonym> ps(packed.size() / crypto::kPseudonymSize);
    for (size_t i = 0; i < ps.size(); ++i) {
      std::copy_n(packed.begin() + i * crypto::kPseudonymSize, crypto::kPseudonymSize,
                  ps[i].begin());
    }
    IFED_ASSIGN_OR_RETURN(auto found, d_.store->Lookup(request.epoch(), ps));
    for (const auto& records : found) {
      ifed::v1::ItemResult* out = response->add_results();
      out->set_verdict(ifed::v1::NO_HIT);
      for (const ifed::v1::Record& rec : records) {
        if (rec.type() != batch.type() || !policy::Policy::AllowsTlp(r, rec.tlp()) ||
            (rec.expires() != 0 && rec.expires() <= now)) {
          continue;
        }
        out->set_verdict(ifed::v1::HIT);
        if (r.disclosure() >= ifed::v1::HIT_WITH_REFERENCE) out->set_reference(rec.record_id());
        if (r.disclosure() >= ifed::v1::HIT_WITH_CONTACT) out->set_contact(d_.contact);
        ++hits;
        break;
      }
    }
  }
  d_.counters->inbound_queries++;
  d_.counters->inbound_items += items;
  d_.counters->inbound_hits += hits;
  spdlog::info("match from {} request {} purpose {}: {} items, {} hits, policy {} ({})", peer,
               request.request_id(), ifed::v1::Purpose_Name(request.purpose()), items, hits,
               (*rule)->source, policy->version());
  return absl::OkStatus();
}

}  // namespace ifed::federation
