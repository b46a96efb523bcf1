#include "node/hub/oprf_relay.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/common/logging.h"
#include "node/crypto/oprf/oprf.h"
#include "node/hub/relay.h"

namespace ifed::hub {
namespace {

constexpr auto kReplyMargin = std::chrono::milliseconds(250);
// A filter snapshot may take a while: as the querier's own sync allows.
constexpr auto kFilterTimeout = std::chrono::milliseconds(60000);

bool NodeId(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace

grpc::Status OprfRelayer::Allow(const std::string& querier, const std::string& member,
                                const ifed::v1::Purpose* purpose, size_t items) const {
  if (!NodeId(member)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat(federation::kRelayToHeader,
                                     " must name a member node id ([a-z0-9-], 1-63)"));
  }
  if (member == querier || member == d_.node_id) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat(federation::kRelayToHeader,
                                     " must name another member, not the caller or the hub"));
  }
  if (!d_.members->Has(member)) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no member '", member, "' at hub ", d_.node_id));
  }
  const auto policy = d_.policy->Get();
  const int64_t now = d_.now();
  for (const auto& [who, dir] : {std::pair{querier, policy::Direction::kInbound},
                                 std::pair{member, policy::Direction::kOutbound}}) {
    const policy::EffectiveRule* rule = policy->Find(who, dir, now);
    std::string reason;
    absl::Status refused;
    if (rule == nullptr) {
      refused = absl::PermissionDeniedError(
          absl::StrCat("no ", policy::DirectionName(dir), " rule for '", who, "'"));
      reason = std::string(refused.message());
    } else if (purpose != nullptr) {
      // The member's rule decides the scheme; the hub's, who may ask whom why.
      const policy::Decision d = policy->Decide({.partner = who,
                                                 .direction = dir,
                                                 .purpose = *purpose,
                                                 .scheme = rule->rule.scheme(),
                                                 .items = items,
                                                 .now = now});
      refused = d.status;
      reason = d.reason;
    }
    if (!refused.ok()) {
      spdlog::warn("hub: oprf call from {} to {} refused by policy {}: {}", querier, member,
                   policy->version(), reason);
      return grpc::Status(static_cast<grpc::StatusCode>(refused.code()),
                          absl::StrCat("not relayed to ", member,
                                       ": hub policy: ", refused.message()));
    }
  }
  return grpc::Status::OK;
}

void OprfRelayer::Prepare(const grpc::ServerContext& ctx, const std::string& querier,
                          grpc::ClientContext* out, std::chrono::milliseconds at_least) const {
  const auto wait = std::max(d_.member_timeout, at_least);
  out->set_deadline(std::min(std::chrono::system_clock::now() + wait,
                             ctx.deadline() - kReplyMargin));
  out->AddMetadata(federation::kOnBehalfOfHeader, querier);
}

grpc::Status OprfRelayer::Finish(const char* what, const std::string& querier,
                                 const std::string& member, const std::string& request_id,
                                 ifed::v1::Purpose purpose, int64_t items,
                                 const grpc::Status& member_status,
                                 std::chrono::steady_clock::time_point start) const {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  grpc::Status out = member_status;
  if (!member_status.ok()) {
    out = grpc::Status(member_status.error_code(),
                       absl::StrCat("member ", member, ": ",
                                    member_status.error_code() ==
                                            grpc::StatusCode::DEADLINE_EXCEEDED
                                        ? "no answer within the hub's deadline"
                                        : member_status.error_message()));
  }
  spdlog::info("hub: oprf {} from {} to {}: {} items, {} ({} ms)", what, querier, member, items,
               member_status.ok() ? "answered" : out.error_message(), ms);
  if (d_.auditor != nullptr) {
    if (absl::Status a = d_.auditor->RecordOprf(absl::StrCat("relay.oprf.", what), querier,
                                                request_id, purpose, items, 0, FromGrpc(out),
                                                {{"member", member}});
        !a.ok()) {
      spdlog::error("hub: audit failed, answer withheld: {}", std::string(a.message()));
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit unavailable");
    }
  }
  return out;
}

grpc::Status OprfRelayer::PublicKey(const grpc::ServerContext& ctx, const std::string& querier,
                                    const std::string& member,
                                    const ifed::v1::OprfPublicKeyRequest& request,
                                    ifed::v1::OprfPublicKeyResponse* response) {
  if (grpc::Status s = Allow(querier, member, nullptr, 0); !s.ok()) return s;
  const auto start = std::chrono::steady_clock::now();
  grpc::ClientContext mctx;
  Prepare(ctx, querier, &mctx);
  grpc::Status s = d_.members->StubOf(member)->OprfPublicKey(&mctx, request, response);
  if (!s.ok()) response->Clear();
  return Finish("key", querier, member, logging::RequestScope::Current(),
                ifed::v1::PURPOSE_UNSPECIFIED, 0, s, start);
}

grpc::Status OprfRelayer::Evaluate(const grpc::ServerContext& ctx, const std::string& querier,
                                   const std::string& member,
                                   const ifed::v1::OprfEvaluateRequest& request,
                                   ifed::v1::OprfEvaluateResponse* response) {
  if (member == "*" || member.find(',') != std::string::npos) {
    return EvaluateMany(ctx, querier, member, request, response);
  }
  const size_t items = request.blinded().size() / crypto::oprf::kElementSize;
  const ifed::v1::Purpose purpose = request.purpose();
  if (grpc::Status s = Allow(querier, member, &purpose, items); !s.ok()) return s;
  const auto start = std::chrono::steady_clock::now();
  grpc::ClientContext mctx;
  Prepare(ctx, querier, &mctx);
  grpc::Status s = d_.members->StubOf(member)->OprfEvaluate(&mctx, request, response);
  if (!s.ok()) response->Clear();
  grpc::Status out = Finish("evaluate", querier, member, request.request_id(), purpose,
                            static_cast<int64_t>(items), s, start);
  if (!out.ok()) response->Clear();
  return out;
}

grpc::Status OprfRelayer::EvaluateMany(const grpc::ServerContext& ctx,
                                       const std::string& querier, const std::string& targets,
                                       const ifed::v1::OprfEvaluateRequest& request,
                                       ifed::v1::OprfEvaluateResponse* response) {
  const size_t items = request.blinded().size() / crypto::oprf::kElementSize;
  const ifed::v1::Purpose purpose = request.purpose();
  std::vector<std::string> members;
  if (targets == "*") {
    ifed::v1::HubMembersResponse allowed;
    if (grpc::Status s = Members(querier, &allowed); !s.ok()) return s;
    for (const auto& m : allowed.members()) members.push_back(m.member());
  } else {
    members = absl::StrSplit(targets, ',');
    std::vector<std::string> sorted = members;
    std::sort(sorted.begin(), sorted.end());
    if (members.size() > 64 ||
        std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat(federation::kRelayToHeader,
                                       " lists at most 64 distinct members"));
    }
  }
  struct Call {
    grpc::Status status;
    ifed::v1::OprfEvaluateResponse answer;
    uint32_t latency_ms = 0;
  };
  std::vector<std::future<Call>> calls(members.size());
  std::vector<grpc::Status> refused(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    refused[i] = Allow(querier, members[i], &purpose, items);
    if (!refused[i].ok()) continue;
    calls[i] = std::async(std::launch::async, [this, &ctx, &querier, &request, member = members[i],
                                               id = logging::RequestScope::Current()] {
      logging::RequestScope scope(id);
      Call c;
      const auto start = std::chrono::steady_clock::now();
      grpc::ClientContext mctx;
      Prepare(ctx, querier, &mctx);
      c.status = d_.members->StubOf(member)->OprfEvaluate(&mctx, request, &c.answer);
      c.latency_ms = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - start)
                                               .count());
      return c;
    });
  }
  spdlog::info("hub: oprf evaluate from {}: {} items fanned out to {} members", querier, items,
               members.size());
  response->set_request_id(request.request_id());
  for (size_t i = 0; i < members.size(); ++i) {
    auto* m = response->add_members();
    m->set_member(members[i]);
    grpc::Status s = refused[i];
    if (s.ok()) {
      const auto start = std::chrono::steady_clock::now();
      Call c = calls[i].get();
      m->set_latency_ms(c.latency_ms);
      // Audited and logged as a single relayed call (the member's status).
      s = Finish("evaluate", querier, members[i], request.request_id(), purpose,
                 static_cast<int64_t>(items), c.status,
                 start - std::chrono::milliseconds(c.latency_ms));
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE && c.status.ok()) {
        return s;  // our audit failed: nothing leaves.
      }
      if (s.ok()) {
        m->set_evaluated(std::move(*c.answer.mutable_evaluated()));
        m->set_proof(std::move(*c.answer.mutable_proof()));
      }
    }
    m->set_status(MemberStatusOf(s.error_code()));
    m->set_code(static_cast<int>(s.error_code()));
    if (!s.ok()) m->set_message(s.error_message());
  }
  return grpc::Status::OK;
}

grpc::Status OprfRelayer::FilterSync(grpc::ServerContext* ctx, const std::string& querier,
                                     const std::string& member,
                                     const ifed::v1::FilterSyncRequest& request,
                                     grpc::ServerWriter<ifed::v1::FilterChunk>* writer) {
  if (grpc::Status s = Allow(querier, member, nullptr, 0); !s.ok()) return s;
  const auto start = std::chrono::steady_clock::now();
  grpc::ClientContext mctx;
  Prepare(*ctx, querier, &mctx, kFilterTimeout);
  auto reader = d_.members->StubOf(member)->FilterSync(&mctx, request);
  ifed::v1::FilterChunk chunk;
  int64_t items = 0;
  bool first = true;
  grpc::Status s;
  while (reader->Read(&chunk)) {  // one chunk at a time: nothing is kept.
    if (first) items = static_cast<int64_t>(chunk.items());
    first = false;
    if (ctx->IsCancelled() || !writer->Write(chunk)) {
      mctx.TryCancel();
      s = grpc::Status(grpc::StatusCode::CANCELLED, "the querier went away");
      break;
    }
  }
  grpc::Status member_status = reader->Finish();
  if (s.ok()) s = member_status;
  return Finish("filter.sync", querier, member, logging::RequestScope::Current(),
                ifed::v1::PURPOSE_UNSPECIFIED, items, s, start);
}

grpc::Status OprfRelayer::Resolve(const grpc::ServerContext& ctx, const std::string& querier,
                                  const std::string& member,
                                  const ifed::v1::ResolveRequest& request,
                                  ifed::v1::ResolveResponse* response) {
  const size_t items = request.outputs().size() / crypto::oprf::kOutputSize;
  const ifed::v1::Purpose purpose = request.purpose();
  if (grpc::Status s = Allow(querier, member, &purpose, items); !s.ok()) return s;
  const auto start = std::chrono::steady_clock::now();
  grpc::ClientContext mctx;
  Prepare(ctx, querier, &mctx);
  grpc::Status s = d_.members->StubOf(member)->Resolve(&mctx, request, response);
  if (!s.ok()) {
    response->Clear();
  } else if (const policy::EffectiveRule* rule = d_.policy->Get()->Find(
                 querier, policy::Direction::kInbound, d_.now());
             rule != nullptr && rule->rule.disclosure() < response->disclosure()) {
    // The hub's disclosure ceiling for the querier, as for a keyed relay.
    const ifed::v1::Disclosure ceiling = rule->rule.disclosure();
    for (auto& r : *response->mutable_results()) {
      if (ceiling < ifed::v1::HIT_WITH_REFERENCE) r.clear_reference();
      if (ceiling < ifed::v1::HIT_WITH_CONTACT) r.clear_contact();
    }
    response->set_disclosure(ceiling);
  }
  grpc::Status out = Finish("resolve", querier, member, request.request_id(), purpose,
                            static_cast<int64_t>(items), s, start);
  if (!out.ok()) response->Clear();
  return out;
}

grpc::Status OprfRelayer::Members(const std::string& querier,
                                  ifed::v1::HubMembersResponse* response) {
  const auto policy = d_.policy->Get();
  const int64_t now = d_.now();
  if (policy->Find(querier, policy::Direction::kInbound, now) == nullptr) {
    spdlog::warn("hub: member list for {} refused: no inbound rule (policy {})", querier,
                 policy->version());
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "hub policy: no sharing rule for this partner");
  }
  response->set_hub(d_.node_id);
  for (const auto& [member, address] : d_.members->peers()) {
    if (member == querier || member == d_.node_id) continue;
    if (policy->Find(member, policy::Direction::kOutbound, now) == nullptr) continue;
    auto* m = response->add_members();
    m->set_member(member);
    m->set_jurisdiction(d_.members->JurisdictionOf(member));
  }
  spdlog::info("hub: member list for {}: {} members", querier, response->members_size());
  return grpc::Status::OK;
}

}  // namespace ifed::hub
