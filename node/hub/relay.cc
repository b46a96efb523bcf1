#include "node/hub/relay.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <future>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "node/common/ids.h"
#include "node/common/logging.h"
#include "node/federation/oprf/oprf_relay.h"

namespace ifed::hub {
namespace {

constexpr size_t kPseudonymSize = 32;
constexpr auto kReplyMargin = std::chrono::milliseconds(250);

}  // namespace

// The members a query may go to: of the `wanted` jurisdictions (all when
// empty; `present` collects those that have a member), not the querier nor
// `skip`, and allowed by the hub's outbound rule for each under `q` (default
// deny); a refused member is reported through `denied`.
std::vector<std::string> Relay::Members(
    const std::string& querier, policy::Query q, const policy::Policy& policy,
    const std::set<std::string>& wanted, const std::set<std::string>& skip,
    std::set<std::string>* present,
    const std::function<void(const std::string&, const std::string&)>& denied) const {
  q.direction = policy::Direction::kOutbound;
  std::vector<std::string> targets;
  for (const auto& [member, address] : d_.members->peers()) {
    if (member == querier || member == d_.node_id) continue;
    const std::string j = d_.members->JurisdictionOf(member);
    if (!wanted.empty() && !wanted.count(j)) continue;
    if (present != nullptr) present->insert(j);
    if (skip.count(member)) continue;
    q.partner = member;
    const policy::Decision out = policy.Decide(q);
    if (out.status.ok()) {
      targets.push_back(member);
    } else {
      denied(member, absl::StrCat("not relayed: hub policy: ", out.status.message()));
    }
  }
  return targets;
}

namespace {

// One member call of a fan-out.
template <typename Answer>
struct MemberCall {
  grpc::Status status;
  Answer answer;
  uint32_t latency_ms = 0;
};

// `call(stub, ctx, answer)` for every member in parallel, each ending by
// `deadline`; the results in the order of `members`.
template <typename Answer, typename Fn>
std::vector<MemberCall<Answer>> FanOut(federation::PeerClients* peers,
                                       const std::vector<std::string>& members,
                                       std::chrono::system_clock::time_point deadline, Fn call) {
  std::vector<std::future<MemberCall<Answer>>> calls;
  for (const std::string& member : members) {
    calls.push_back(std::async(std::launch::async, [peers, member, deadline, &call,
                                                    id = logging::RequestScope::Current()] {
      logging::RequestScope scope(id);
      MemberCall<Answer> c;
      const auto start = std::chrono::steady_clock::now();
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline);
      c.status = call(*peers->StubOf(member), &ctx, &c.answer);
      c.latency_ms = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - start)
                                               .count());
      return c;
    }));
  }
  std::vector<MemberCall<Answer>> out;
  for (auto& f : calls) out.push_back(f.get());
  return out;
}

// A member's outcome (MemberAnswer, MemberDeconflict) from its call; true
// when it answered with one result per item.
template <typename M, typename Answer>
bool Outcome(const std::string& member, size_t items, MemberCall<Answer>* c, M* m) {
  m->set_member(member);
  if (c->status.ok() && c->answer.results_size() != static_cast<int>(items)) {
    c->status = grpc::Status(grpc::StatusCode::DATA_LOSS, "member answered a different count");
  }
  const grpc::Status& s = c->status;
  m->set_latency_ms(c->latency_ms);
  m->set_status(MemberStatusOf(s.error_code()));
  m->set_code(static_cast<int>(s.error_code()));
  if (!s.ok()) {
    m->set_message(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
                       ? "no answer within the hub's deadline"
                       : s.error_message());
  }
  return s.ok();
}

// A member the hub's policy does not relay to, as an outcome.
template <typename M>
void Denied(const std::string& member, const std::string& why, M* m) {
  m->set_member(member);
  m->set_status(ifed::v1::MEMBER_DENIED);
  m->set_code(static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
  m->set_message(why);
}

// Shape of a keyed batch: items and types; InvalidArgument when ragged.
absl::Status Shape(const google::protobuf::RepeatedPtrField<ifed::v1::PseudonymBatch>& batches,
                   policy::Query* q, size_t* items) {
  for (const auto& b : batches) {
    if (b.pseudonyms().size() % kPseudonymSize != 0) {
      return absl::InvalidArgumentError("pseudonyms must be packed 32-byte values");
    }
    if (std::find(q->types.begin(), q->types.end(), b.type()) == q->types.end()) {
      q->types.push_back(b.type());
    }
    *items += b.pseudonyms().size() / kPseudonymSize;
  }
  if (*items == 0) return absl::InvalidArgumentError("empty batch");
  q->items = *items;
  return absl::OkStatus();
}

}  // namespace

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
  if (absl::Status s = Shape(request.batches(), &q, &items); !s.ok()) return s;
  if (!request.case_token().empty() &&
      (request.case_token().size() != 32 ||
       !std::all_of(request.case_token().begin(), request.case_token().end(), [](char c) {
         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
       }))) {
    return absl::InvalidArgumentError("case_token must be 32 lower-case hex digits");
  }
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
  const std::vector<std::string> targets =
      Members(querier, q, *policy, wanted, skip, &present,
              [&](const std::string& member, const std::string& why) {
                Denied(member, why, response->add_members());
              });

  // Members get the query only: not the case token (the hub's statistics
  // only), nor whom else the querier asks. In parallel, each call ending by
  // the member deadline.
  ifed::v1::MatchRequest forward = request;
  forward.clear_case_token();
  forward.clear_jurisdictions();
  forward.clear_skip_members();
  forward.clear_compact_answer();  // the merge below reads the full form.
  const auto member_deadline =
      std::min(std::chrono::system_clock::now() + d_.member_timeout, deadline - kReplyMargin);
  auto calls = FanOut<ifed::v1::MatchResponse>(
      d_.members, targets, member_deadline,
      [&forward, &querier](ifed::v1::Federation::Stub& stub, grpc::ClientContext* ctx,
                           ifed::v1::MatchResponse* answer) {
        // The member answers with the querier's own reference tokens.
        ctx->AddMetadata(federation::kOnBehalfOfHeader, querier);
        return stub.Match(ctx, forward, answer);
      });
  std::vector<ifed::v1::Verdict> merged(items, ifed::v1::NO_HIT);
  size_t answered = 0;
  for (size_t k = 0; k < targets.size(); ++k) {
    MemberCall<ifed::v1::MatchResponse>& c = calls[k];
    auto* m = response->add_members();
    if (!Outcome(targets[k], items, &c, m)) continue;
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

absl::Status Relay::Deconflict(const std::string& querier,
                               const ifed::v1::DeconflictRequest& request,
                               std::chrono::system_clock::time_point deadline,
                               ifed::v1::DeconflictResponse* response) const {
  if (!PrintableId(request.request_id())) {
    return absl::InvalidArgumentError("request_id must be 1-128 printable ASCII characters");
  }
  for (const auto& b : request.batches()) {
    if (b.type() != ifed::v1::URL && b.type() != ifed::v1::HANDLE) {
      return absl::InvalidArgumentError("deconfliction takes url and handle items only");
    }
  }
  policy::Query q{.partner = querier,
                  .direction = policy::Direction::kInbound,
                  .purpose = ifed::v1::TAKEDOWN_DECONFLICTION,
                  .scheme = ifed::v1::KEYED,
                  .now = d_.now()};
  size_t items = 0;
  if (absl::Status s = Shape(request.batches(), &q, &items); !s.ok()) return s;
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  const policy::Decision in = policy->Decide(q);
  if (!in.status.ok()) {
    spdlog::warn("hub: deconflict {} from {} refused by policy {}: {}", request.request_id(),
                 querier, policy->version(), in.reason);
    return in.status;
  }
  const bool contact = in.rule->rule.disclosure() >= ifed::v1::HIT_WITH_CONTACT;
  const std::vector<std::string> targets =
      Members(querier, q, *policy, {}, {}, nullptr,
              [&](const std::string& member, const std::string& why) {
                Denied(member, why, response->add_members());
              });
  const auto member_deadline =
      std::min(std::chrono::system_clock::now() + d_.member_timeout, deadline - kReplyMargin);
  auto calls = FanOut<ifed::v1::DeconflictResponse>(
      d_.members, targets, member_deadline,
      [&request](ifed::v1::Federation::Stub& stub, grpc::ClientContext* ctx,
                 ifed::v1::DeconflictResponse* answer) {
        return stub.Deconflict(ctx, request, answer);
      });
  std::vector<ifed::v1::HoldStatus> merged(items, ifed::v1::HOLD_CLEAR);
  size_t held = 0;
  for (size_t k = 0; k < targets.size(); ++k) {
    MemberCall<ifed::v1::DeconflictResponse>& c = calls[k];
    auto* m = response->add_members();
    if (!Outcome(targets[k], items, &c, m)) continue;
    for (size_t i = 0; i < items; ++i) {
      ifed::v1::DeconflictResult r = c.answer.results(static_cast<int>(i));
      if (!contact) r.clear_contact();  // the hub's ceiling for the querier
      if (r.status() == ifed::v1::HOLD_HELD) {
        merged[i] = ifed::v1::HOLD_HELD;
        ++held;
      }
      *m->add_results() = std::move(r);
    }
  }
  response->set_request_id(request.request_id());
  response->set_responder(d_.node_id);
  for (ifed::v1::HoldStatus h : merged) response->add_results()->set_status(h);
  spdlog::info("hub: deconflict {} from {}: {} items to {} members, {} held",
               request.request_id(), querier, items, targets.size(), held);
  return absl::OkStatus();
}

}  // namespace ifed::hub
