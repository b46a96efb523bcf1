#include "node/hub/relay.h"
#include "node/common/logging.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace ifed::hub {
namespace {

constexpr size_t kPseudonymSize = 32;
constexpr auto kReplyMargin = std::chrono::milliseconds(250);

bool PrintableId(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return c >= 0x21 && c <= 0x7e; });
}

}  // namespace

ifed::v1::MemberStatus MemberStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return ifed::v1::MEMBER_ANSWERED;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return ifed::v1::MEMBER_DENIED;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return ifed::v1::MEMBER_TIMED_OUT;
    case grpc::StatusCode::UNAVAILABLE:
      return ifed::v1::MEMBER_UNAVAILABLE;
    default:
      return ifed::v1::MEMBER_FAILED;
  }
}

absl::Status Relay::Match(const std::string& querier, const ifed::v1::MatchRequest& request,
                          std::chrono::system_clock::time_point deadline,
                          ifed::v1::MatchResponse* response) const {
  if (!PrintableId(request.request_id())) {
    return absl::InvalidArgumentError("request_id must be 1-128 printable ASCII characters");
  }
  const int64_t now = d_.now();
  policy::Query q{.partner = querier,
                  .direction = policy::Direction::kInbound,
                  .purpose = request.purpose(),
                  .scheme = ifed::v1::KEYED,
                  .now = now};
  size_t items = 0;
  for (const auto& b : request.batches()) {
    if (b.pseudonyms().size() % kPseudonymSize != 0) {
      return absl::InvalidArgumentError("pseudonyms must be packed 32-byte values");
    }
    if (std::find(q.types.begin(), q.types.end(), b.type()) == q.types.end()) {
      q.types.push_back(b.type());
    }
    items += b.pseudonyms().size() / kPseudonymSize;
  }
  if (items == 0) return absl::InvalidArgumentError("empty batch");
  if (!request.case_token().empty() &&
      (request.case_token().size() != 32 ||
       !std::all_of(request.case_token().begin(), request.case_token().end(), [](char c) {
         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
       }))) {
    return absl::InvalidArgumentError("case_token must be 32 lower-case hex digits");
  }
  q.items = items;
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  const policy::Decision in = policy->Decide(q);
  if (!in.status.ok()) {
    spdlog::warn("hub: match {} from {} refused by policy {}: {}", request.request_id(), querier,
                 policy->version(), in.reason);
    return in.status;
  }
  const ifed::v1::Disclosure ceiling = in.rule->rule.disclosure();

  // Which members: of the jurisdictions asked (all when none), not those
  // the querier asks otherwise (skip_members: OPRF through the hub), and
  // under the hub's outbound rules (default deny).
  std::set<std::string> wanted, present;
  for (const std::string& j : request.jurisdictions()) {
    if (j.size() != 2 || !absl::ascii_isupper(static_cast<unsigned char>(j[0])) ||
        !absl::ascii_isupper(static_cast<unsigned char>(j[1]))) {
      return absl::InvalidArgumentError(
          "jurisdictions must be ISO 3166-1 alpha-2 codes such as AT");
    }
    wanted.insert(j);
  }
  const std::set<std::string> skip(request.skip_members().begin(), request.skip_members().end());
  q.direction = policy::Direction::kOutbound;
  std::vector<std::string> targets;
  for (const auto& [member, address] : d_.members->peers()) {
    if (member == querier || member == d_.node_id) continue;
    const std::string j = d_.members->JurisdictionOf(member);
    if (!wanted.empty() && !wanted.count(j)) continue;
    present.insert(j);
    if (skip.count(member)) continue;
    q.partner = member;
    const policy::Decision out = policy->Decide(q);
    if (out.status.ok()) {
      targets.push_back(member);
      continue;
    }
    auto* m = response->add_members();
    m->set_member(member);
    m->set_status(ifed::v1::MEMBER_DENIED);
    m->set_code(static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
    m->set_message(absl::StrCat("not relayed: hub policy: ", out.status.message()));
  }

  // Fan out in parallel; every call ends by the member deadline.
  const auto member_deadline =
      std::min(std::chrono::system_clock::now() + d_.member_timeout, deadline - kReplyMargin);
  struct Call {
    grpc::Status status;
    ifed::v1::MatchResponse answer;
    uint32_t latency_ms = 0;
  };
  // Members get the query only: not the case token (the hub's statistics
  // only), nor whom else the querier asks.
  ifed::v1::MatchRequest forward = request;
  forward.clear_case_token();
  forward.clear_jurisdictions();
  forward.clear_skip_members();
  std::vector<std::future<Call>> calls;
  for (const std::string& member : targets) {
    calls.push_back(std::async(std::launch::async, [this, member, &forward, member_deadline,
                                                    id = logging::RequestScope::Current()] {
      logging::RequestScope scope(id);
      Call c;
      const auto start = std::chrono::steady_clock::now();
      grpc::ClientContext ctx;
      ctx.set_deadline(member_deadline);
      c.status = d_.members->StubOf(member)->Match(&ctx, forward, &c.answer);
      c.latency_ms = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - start)
                                               .count());
      return c;
    }));
  }
  std::vector<ifed::v1::Verdict> merged(items, ifed::v1::NO_HIT);
  size_t answered = 0;
  for (size_t k = 0; k < targets.size(); ++k) {
    Call c = calls[k].get();
    auto* m = response->add_members();
    m->set_member(targets[k]);
    m->set_latency_ms(c.latency_ms);
    if (c.status.ok() && c.answer.results_size() != static_cast<int>(items)) {
      c.status = grpc::Status(grpc::StatusCode::DATA_LOSS, "member answered a different count");
    }
    m->set_status(MemberStatusOf(c.status.error_code()));
    m->set_code(static_cast<int>(c.status.error_code()));
    if (!c.status.ok()) {
      m->set_message(c.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
                         ? "no answer within the hub's deadline"
                         : c.status.error_message());
      continue;
    }
    ++answered;
    *m->mutable_receipt() = c.answer.receipt();
    for (size_t i = 0; i < items; ++i) {
      ifed::v1::ItemResult r = c.answer.results(static_cast<int>(i));
      if (ceiling < ifed::v1::HIT_WITH_REFERENCE) r.clear_reference();
      if (ceiling < ifed::v1::HIT_WITH_CONTACT) r.clear_contact();
      if (r.verdict() == ifed::v1::HIT) merged[i] = ifed::v1::HIT;
      *m->add_results() = std::move(r);
    }
  }
  for (const std::string& j : wanted) {
    if (!present.count(j)) response->add_empty_jurisdictions(j);
  }
  response->set_request_id(request.request_id());
  response->set_responder(d_.node_id);
  response->set_disclosure(ifed::v1::HIT_ONLY);  // the merge; members carry their own.
  for (ifed::v1::Verdict v : merged) response->add_results()->set_verdict(v);
  if (d_.stats != nullptr) d_.stats->Record(querier, request, *response, now);
  std::string statuses;
  for (const auto& m : response->members()) {
    absl::StrAppend(&statuses, statuses.empty() ? "" : ",", m.member(), "=",
                    ifed::v1::MemberStatus_Name(m.status()));
  }
  spdlog::info("hub: match {} from {}: {} items to {} members ({} answered): {}",
               request.request_id(), querier, items, targets.size(), answered, statuses);
  return absl::OkStatus();
}

}  // namespace ifed::hub
