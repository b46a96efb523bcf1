#include "node/hub/reports.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "node/common/ids.h"

namespace ifed::hub {
namespace {

constexpr size_t kPseudonymSize = 32;
constexpr size_t kMaxItems = 10000;
constexpr int kMaxHolders = 1000;

}  // namespace

absl::Status AcceptHitReport(const ReportDeps& d, const std::string& reporter,
                             const ifed::v1::HitReport& report, ifed::v1::HitReportAck* ack) {
  if (d.stats == nullptr) {
    return absl::FailedPreconditionError("this node is not a hub (config role: hub)");
  }
  const ifed::v1::MatchRequest& q = report.query();
  if (!PrintableId(q.request_id(), 128)) {
    return absl::InvalidArgumentError("request_id must be 1-128 printable ASCII characters");
  }
  if (!q.case_token().empty() &&
      (q.case_token().size() != 32 ||
       !std::all_of(q.case_token().begin(), q.case_token().end(),
                    [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))) {
    return absl::InvalidArgumentError("case_token must be 32 lower-case hex digits");
  }
  size_t items = 0;
  std::vector<ifed::v1::IndicatorType> types;
  for (const auto& b : q.batches()) {
    if (b.pseudonyms().empty() || b.pseudonyms().size() % kPseudonymSize != 0) {
      return absl::InvalidArgumentError("pseudonyms must be packed 32-byte values");
    }
    if (!ifed::v1::IndicatorType_IsValid(b.type()) || b.type() == ifed::v1::INDICATOR_TYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError("unknown indicator type");
    }
    if (std::find(types.begin(), types.end(), b.type()) == types.end()) types.push_back(b.type());
    items += b.pseudonyms().size() / kPseudonymSize;
  }
  if (items == 0 || items > kMaxItems) {
    return absl::InvalidArgumentError(absl::StrCat("between 1 and ", kMaxItems, " items"));
  }
  if (report.holders_size() == 0 || report.holders_size() > kMaxHolders) {
    return absl::InvalidArgumentError(absl::StrCat("between 1 and ", kMaxHolders, " holders"));
  }
  ifed::v1::MatchResponse answer;  // the shape HubStats counts
  std::set<std::string> seen;
  for (const ifed::v1::MemberAnswer& h : report.holders()) {
    if (!PrintableId(h.member(), 128) || h.results_size() != static_cast<int>(items)) {
      return absl::InvalidArgumentError("each holder needs an id and one result per item");
    }
    if (!seen.insert(h.member()).second) {
      return absl::InvalidArgumentError(absl::StrCat("holder ", h.member(), " given twice"));
    }
    if (h.member() == reporter || !d.members->Has(h.member())) continue;
    auto* m = answer.add_members();
    m->set_member(h.member());
    m->set_status(ifed::v1::MEMBER_ANSWERED);
    for (const auto& r : h.results()) m->add_results()->set_verdict(r.verdict());
  }
  const int64_t now = d.now();
  std::shared_ptr<const policy::Policy> policy = d.policy->Get();
  const policy::Decision decision = policy->Decide({.partner = reporter,
                                                    .direction = policy::Direction::kInbound,
                                                    .purpose = q.purpose(),
                                                    .types = types,
                                                    .scheme = ifed::v1::KEYED,
                                                    .items = items,
                                                    .now = now});
  if (d.audit != nullptr) {
    audit::Event e;
    e.action = "hub.report.in";
    e.actor = absl::StrCat("peer:", reporter);
    e.outcome = decision.status.ok() ? "ok" : "refused";
    e.Set("peer", reporter)
        .Set("request_id", q.request_id())
        .Set("purpose", ifed::v1::Purpose_Name(q.purpose()))
        .Set("items", static_cast<int64_t>(items))
        .Set("holders", static_cast<int64_t>(answer.members_size()))
        .Set("policy", policy->version());
    if (!decision.status.ok()) e.Set("reason", decision.reason);
    if (absl::Status a = d.audit->Append(e); !a.ok()) {
      spdlog::error("hit report from {} not taken: audit failed: {}", reporter,
                    std::string(a.message()));
      return absl::UnavailableError("audit log unavailable");
    }
  }
  if (!decision.status.ok()) {
    spdlog::warn("hub: hit report {} from {} refused by policy {}: {}", q.request_id(), reporter,
                 policy->version(), decision.reason);
    return decision.status;
  }
  if (answer.members_size() > 0) d.stats->Record(reporter, q, answer, now);
  ack->set_items(static_cast<uint32_t>(items));
  ack->set_holders(static_cast<uint32_t>(answer.members_size()));
  spdlog::info("hub: hit report {} from {}: {} items, {} holders", q.request_id(), reporter, items,
               answer.members_size());
  return absl::OkStatus();
}

}  // namespace ifed::hub
