// AdminService, OPRF scheme, querier side: `ifedctl filters sync`
// and the OPRF part of a local Match. The peer's answers are checked here
// (pinned key, filter digest, VOPRF proof); nothing about an item leaves
// except blinded elements, and for resolve the outputs of local hits.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/common/logging.h"
#include "node/common/status_macros.h"
#include "node/federation/oprf_key_statement.h"
#include "node/federation/oprf_relay.h"
#include "node/federation/oprf_service.h"

namespace ifed::admin {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

std::chrono::system_clock::time_point Deadline(federation::PeerClients* peers) {
  return std::chrono::system_clock::now() + peers->timeout();
}

// "hub/at" -> {"hub", "at"}; a direct peer -> {peer, ""}.
std::pair<std::string, std::string> SplitRelayed(const std::string& peer) {
  const size_t slash = peer.find('/');
  if (slash == std::string::npos) return {peer, ""};
  return {peer.substr(0, slash), peer.substr(slash + 1)};
}

}  // namespace

absl::StatusOr<ifed::v1::Federation::Stub*> OprfStub(federation::PeerClients* peers,
                                                     const std::string& peer,
                                                     grpc::ClientContext* ctx) {
  const auto [first, member] = SplitRelayed(peer);
  if (!peers->Has(first)) return absl::InvalidArgumentError(absl::StrCat("unknown peer '", first, "'"));
  if (peer.find('/') == std::string::npos) return peers->StubOf(first);
  if (!peers->IsHub(first)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", first, "' is not a hub (peers[].role: hub in the config): cannot ask '", peer, "'"));
  }
  if (member.empty() || member.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", peer, "' is not HUB/MEMBER"));
  }
  if (ctx != nullptr) ctx->AddMetadata(federation::kRelayToHeader, member);
  return peers->StubOf(first);
}

absl::StatusOr<std::string> AdminService::ConfiguredHub() const {
  const std::vector<std::string> hubs = d_.peers->Hubs();
  if (hubs.empty()) {
    return absl::FailedPreconditionError(
        "no hub configured: mark the hub's entry in peers with `role: hub`");
  }
  return hubs.front();
}

std::vector<std::string> AdminService::OprfMembersThroughHub(
    const std::string& hub, const google::protobuf::RepeatedPtrField<std::string>& jurisdictions) {
  std::vector<std::string> out;
  if (d_.oprf == nullptr) return out;
  auto members = HubMembersOf(hub);
  if (!members.ok()) {
    spdlog::warn("hub {} did not list its members ({}): keyed relay only", hub,
                 std::string(members.status().message()));
    return out;
  }
  const std::set<std::string> wanted(jurisdictions.begin(), jurisdictions.end());
  for (const auto& m : members->members()) {
    if (!wanted.empty() && !wanted.count(m.jurisdiction())) continue;
    if (!d_.oprf->FilterDigest(absl::StrCat(hub, "/", m.member())).ok()) continue;  // keyed
    out.push_back(m.member());
  }
  return out;
}

absl::StatusOr<ifed::v1::HubMembersResponse> AdminService::HubMembersOf(const std::string& hub) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(d_.peers));
  ifed::v1::HubMembersResponse members;
  auto* stub = d_.peers->StubOf(hub);
  if (stub == nullptr) return absl::NotFoundError(absl::StrCat("unknown peer ", hub));
  grpc::Status s = stub->HubMembers(&ctx, {}, &members);
  if (!s.ok()) return FromGrpc(s);
  return members;
}

std::string AdminService::OprfPolicyPartner(const std::string& peer) const {
  const auto [hub, member] = SplitRelayed(peer);
  if (member.empty() || d_.policy == nullptr) return peer;
  // Through the hub: our rule for the member when we have one, else the hub's.
  return d_.policy->Get()->Find(member, policy::Direction::kOutbound, d_.now()) != nullptr
             ? member
             : hub;
}

bool AdminService::UsesOprf(const std::string& peer) const {
  if (d_.policy != nullptr) {
    const auto policy = d_.policy->Get();
    if (const policy::EffectiveRule* r =
            policy->Find(peer, policy::Direction::kOutbound, d_.now())) {
      if (r->rule.scheme() == ifed::v1::OPRF) return true;
    }
  }
  return std::find(d_.oprf_peers.begin(), d_.oprf_peers.end(), peer) != d_.oprf_peers.end();
}

absl::Status AdminService::AuditKey(const std::string& actor, const std::string& action,
                                    const std::string& outcome, const std::string& peer,
                                    const ifed::v1::OprfPublicKeyResponse& key) {
  if (d_.audit == nullptr) return absl::OkStatus();
  audit::Event e;
  e.action = action;
  e.actor = actor;
  e.outcome = outcome;
  // A key is public: its digest prefix identifies it for the record.
  e.Set("peer", peer)
      .Set("key_epoch", static_cast<int64_t>(key.key_epoch()))
      .Set("key", absl::BytesToHexString(key.public_key().substr(0, 8)));
  if (!key.next_public_key().empty()) {
    e.Set("next_key", absl::BytesToHexString(key.next_public_key().substr(0, 8)))
        .Set("next_activation", key.next_activation());
  }
  return d_.audit->Append(e);
}

absl::Status AdminService::SyncFilter(const std::string& actor, const std::string& peer,
                                      ifed::v1::FilterSyncStatus* st) {
  IFED_RETURN_IF_ERROR(OprfStub(d_.peers, peer, nullptr).status());
  std::lock_guard<std::mutex> serial(sync_mu_);  // the scheduler and ifedctl, one at a time
  {  // The key first: pinned on first contact; changes only as announced.
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(d_.peers));
    IFED_ASSIGN_OR_RETURN(auto* stub, OprfStub(d_.peers, peer, &ctx));
    ifed::v1::OprfPublicKeyRequest key_request;
    IFED_RETURN_IF_ERROR(AuthorizeOprf(peer, federation::kRpcOprfPublicKey,
                                       ifed::v1::PURPOSE_UNSPECIFIED, &key_request));
    ifed::v1::OprfPublicKeyResponse key;
    grpc::Status s = stub->OprfPublicKey(&ctx, key_request, &key);
    if (!s.ok()) return FromGrpc(s);
    // Signed by the member's node key, directly or through the hub: a key
    // the hub (or anyone) substituted is refused before anything is pinned.
    const auto [first, member] = SplitRelayed(peer);
    const std::string responder = member.empty() ? first : member;
    absl::Status signed_ok =
        d_.node_verifier == nullptr
            ? absl::FailedPreconditionError("no certificate verifier for OPRF key announcements")
            : federation::VerifyOprfKey(*d_.node_verifier, d_.federation, responder, d_.node_id,
                                        d_.now(), key);
    if (!signed_ok.ok()) {
      spdlog::error("{}", std::string(signed_ok.message()));
      IFED_RETURN_IF_ERROR(AuditKey(actor, "oprf.key.unverified", "refused", peer, key));
      return signed_ok;
    }
    if (key.public_key().size() != crypto::oprf::kElementSize ||
        (!key.next_public_key().empty() &&
         key.next_public_key().size() != crypto::oprf::kElementSize)) {
      return absl::DataLossError("peer sent a malformed OPRF public key");
    }
    crypto::oprf::Element e;
    std::copy(key.public_key().begin(), key.public_key().end(), e.begin());
    std::optional<crypto::oprf::Element> next;
    if (!key.next_public_key().empty()) {
      next.emplace();
      std::copy(key.next_public_key().begin(), key.next_public_key().end(), next->begin());
    }
    auto change = d_.oprf->CheckKey(peer, e, next, key.next_activation());
    if (!change.ok()) {
      if (absl::IsPermissionDenied(change.status())) {  // the alert, durable
        IFED_RETURN_IF_ERROR(AuditKey(actor, "oprf.key.changed", "refused", peer, key));
      }
      return change.status();
    }
    st->set_key_pinned(*change == federation::OprfQuerier::KeyChange::kPinned);
    st->set_key_rotated(*change == federation::OprfQuerier::KeyChange::kRotated);
    st->set_rotation_announced(next.has_value());
    if (*change == federation::OprfQuerier::KeyChange::kPinned) {
      IFED_RETURN_IF_ERROR(AuditKey(actor, "oprf.key.pinned", "ok", peer, key));
    } else if (*change == federation::OprfQuerier::KeyChange::kRotated) {
      IFED_RETURN_IF_ERROR(AuditKey(actor, "oprf.key.rotated", "ok", peer, key));
    }
  }
  ifed::v1::FilterSyncRequest req;
  const federation::OprfQuerier::Position pos = d_.oprf->SyncPosition(peer);
  if (pos.digest) req.set_have_digest(std::string(pos.digest->begin(), pos.digest->end()));
  req.set_since_version(pos.version);
  req.set_log_id(pos.log_id);
  IFED_RETURN_IF_ERROR(
      AuthorizeOprf(peer, federation::kRpcFilterSync, ifed::v1::PURPOSE_UNSPECIFIED, &req));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::max(d_.peers->timeout(),
                                                               std::chrono::milliseconds(60000)));
  IFED_ASSIGN_OR_RETURN(auto* stub, OprfStub(d_.peers, peer, &ctx));
  auto reader = stub->FilterSync(&ctx, req);
  ifed::v1::FilterChunk chunk, first;
  std::string bytes;
  bool have_first = false;
  while (reader->Read(&chunk)) {
    if (!have_first) {
      first = chunk;
      have_first = true;
      if (first.unchanged()) continue;
      if (first.total_bytes() > (uint64_t{1} << 32)) {
        ctx.TryCancel();
        return absl::ResourceExhaustedError("peer's filter is larger than 4 GiB");
      }
      bytes.reserve(first.total_bytes());
    }
    if (chunk.offset() != bytes.size() || bytes.size() + chunk.data().size() > first.total_bytes()) {
      ctx.TryCancel();
      return absl::DataLossError("peer's filter chunks are out of order");
    }
    bytes.append(chunk.data());
  }
  IFED_RETURN_IF_ERROR(FromGrpc(reader->Finish()));
  if (!have_first) return absl::DataLossError("peer sent no filter");
  st->set_items(first.items());
  st->set_version(first.generation());
  st->set_delta(first.delta());
  if (bytes.size() != first.total_bytes() || first.digest().size() != 32 ||
      first.public_key().size() != crypto::oprf::kElementSize) {
    return absl::DataLossError("peer's filter is incomplete");
  }
  crypto::filter::Digest digest;
  std::copy(first.digest().begin(), first.digest().end(), digest.begin());
  crypto::oprf::Element key;
  std::copy(first.public_key().begin(), first.public_key().end(), key.begin());
  if (first.delta()) {
    if (!first.unchanged()) {
      IFED_RETURN_IF_ERROR(d_.oprf->ApplyDelta(peer, first.log_id(), first.since_version(),
                                               first.generation(), key, bytes,
                                               first.added_count(), first.removed_count(), digest,
                                               first.filter_digest()));
    }
    st->set_added(first.added_count());
    st->set_removed(first.removed_count());
    st->set_changed(!first.unchanged());
    st->set_bytes(bytes.size());
  } else if (first.unchanged()) {
    st->set_changed(false);
  } else {
    IFED_RETURN_IF_ERROR(
        d_.oprf->StoreFilter(peer, bytes, digest, key, first.log_id(), first.generation()));
    st->set_bytes(bytes.size());
    st->set_changed(true);
  }
  if (auto have = d_.oprf->FilterDigest(peer); have.ok()) {
    st->set_digest(absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(have->data()), 8)));
  }
  // OPRF watches are checked against every filter that changed.
  return st->changed() ? CheckOprfWatches(peer) : absl::OkStatus();
}

void AdminService::SyncPeers(const std::string& actor, const std::vector<std::string>& peers,
                             ifed::v1::FiltersSyncResponse* response) {
  for (const std::string& p : peers) {
    auto* st = response->add_peers();
    st->set_peer(p);
    absl::Status s = SyncFilter(actor, p, st);
    st->set_ok(s.ok());
    if (!s.ok()) {
      st->set_error(absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message()));
      spdlog::warn("filter sync with {} failed: {}", p, std::string(s.message()));
    } else if (st->changed()) {
      spdlog::info("filter sync with {}: {} items, version {}, {}", p, st->items(), st->version(),
                   st->delta() ? absl::StrCat("delta +", st->added(), " -", st->removed())
                               : std::string("snapshot"));
    }
  }
}

std::vector<std::string> AdminService::OprfPeers() const {
  std::vector<std::string> peers;
  for (const auto& [id, addr] : d_.peers->peers()) {
    if (UsesOprf(id)) peers.push_back(id);
  }
  // Members asked through the hub once (`filters sync --hub`)
  // stay in the periodic sync.
  if (d_.oprf != nullptr) {
    for (const std::string& hub : d_.peers->Hubs()) {
      for (std::string& p : d_.oprf->RelayedPeers(hub)) peers.push_back(std::move(p));
    }
  }
  return peers;
}

void AdminService::SyncAllFilters() {
  if (d_.oprf == nullptr) return;
  ifed::v1::FiltersSyncResponse response;
  SyncPeers("node", OprfPeers(), &response);
}

grpc::Status AdminService::FiltersSync(grpc::ServerContext* ctx,
                                       const ifed::v1::FiltersSyncRequest* request,
                                       ifed::v1::FiltersSyncResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "FiltersSync"); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  if (d_.oprf == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "OPRF is not set up on this node");
  }
  std::vector<std::string> peers(request->peers().begin(), request->peers().end());
  if (request->hub()) {  // Every member the hub relays to for us.
    auto hub = ConfiguredHub();
    if (!hub.ok()) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, std::string(hub.status().message()));
    }
    auto members = HubMembersOf(*hub);
    if (!members.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(members.status().code()),
                          absl::StrCat("hub ", *hub, ": ", members.status().message()));
    }
    for (const auto& m : members->members()) peers.push_back(absl::StrCat(*hub, "/", m.member()));
    if (peers.empty()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("hub ", *hub, " relays to no member for this node"));
    }
  }
  if (peers.empty()) peers = OprfPeers();
  for (const std::string& p : peers) {
    if (auto s = OprfStub(d_.peers, p, nullptr); !s.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(s.status().message()));
    }
  }
  SyncPeers(LocalActor(ctx), peers, response);
  return grpc::Status::OK;
}

absl::Status AdminService::AuditOprfOut(grpc::ServerContext* ctx, const std::string& action,
                                        const std::string& peer, const std::string& request_id,
                                        ifed::v1::Purpose purpose, int64_t items,
                                        int64_t batches, const absl::Status& result,
                                        int64_t hits) {
  if (d_.audit == nullptr) return absl::OkStatus();
  audit::Event e;
  e.action = action;
  e.actor = LocalActor(ctx);
  e.Set("peer", peer);
  if (const auto [hub, member] = SplitRelayed(peer); !member.empty()) e.Set("via", hub);
  e.Set("request_id", request_id)
      .Set("purpose", ifed::v1::Purpose_Name(purpose))
      .Set("scheme", "oprf")
      .Set("items", items)
      .Set("batches", batches);
  if (result.ok()) {
    e.outcome = "ok";
    e.Set("hits", hits);
  } else {
    const auto c = result.code();
    e.outcome = c == absl::StatusCode::kPermissionDenied ||
                        c == absl::StatusCode::kInvalidArgument ||
                        c == absl::StatusCode::kResourceExhausted ||
                        c == absl::StatusCode::kFailedPrecondition
                    ? "refused"
                    : "error";
    e.Set("code", absl::StatusCodeToString(c))
        .Set("reason", std::string(result.message().substr(0, 200)));
  }
  return d_.audit->Append(e);
}

absl::Status AdminService::MatchOprf(grpc::ServerContext* ctx, const std::string& request_id,
                                     ifed::v1::Purpose purpose,
                                     const std::vector<std::string>& peers, bool resolve,
                                     ifed::v1::LocalMatchResponse* response) {
  std::vector<int> index;  // response items asked, in order
  std::vector<std::string> inputs;
  for (int i = 0; i < response->items_size(); ++i) {
    const auto& it = response->items(i);
    if (!it.ok()) continue;
    index.push_back(i);
    inputs.push_back(federation::OprfInput(static_cast<IndicatorType>(it.type()), it.canonical()));
  }
  auto fail = [&](const std::string& peer, const absl::Status& s) {
    auto* e = response->add_peer_errors();
    e->set_peer(peer);
    e->set_code(static_cast<int>(s.code()));
    e->set_message(std::string(s.message()));
    spdlog::warn("oprf match {} to {} failed: {}", request_id, peer, std::string(s.message()));
  };
  const int64_t n_items = static_cast<int64_t>(inputs.size());
  // Our outbound policy for `peer` (OK or the refusal), and the largest
  // request it takes: our outbound rule's max_batch (the partner
  // agreement), never above the listener default.
  auto allowed = [&](const std::string& peer, size_t* max_batch) -> absl::Status {
    *max_batch = federation::OprfQuerier::kDefaultQueryBatch;
    if (d_.policy == nullptr) return absl::OkStatus();
    auto policy = d_.policy->Get();
    // The rule's own scheme: oprf, or keyed while oprf_peers (config)
    // stands in for a policy that does not set one yet.
    // Through the hub: our rule for the member, else the hub's.
    const std::string partner = OprfPolicyPartner(peer);
    const policy::EffectiveRule* rule =
        policy->Find(partner, policy::Direction::kOutbound, d_.now());
    policy::Query q{.partner = partner,
                    .direction = policy::Direction::kOutbound,
                    .purpose = purpose,
                    .types = {},
                    .scheme = rule != nullptr ? rule->rule.scheme() : ifed::v1::OPRF,
                    .now = d_.now()};
    for (int i : index) {
      auto t = response->items(i).type();
      if (std::find(q.types.begin(), q.types.end(), t) == q.types.end()) q.types.push_back(t);
    }
    policy::Decision d = policy->Decide(q);
    if (!d.status.ok()) {
      return absl::PermissionDeniedError(
          absl::StrCat("not sent: our policy ", policy->version(), ": ", d.reason));
    }
    if (rule != nullptr && rule->rule.max_batch() > 0) {
      *max_batch = std::min<size_t>(*max_batch, rule->rule.max_batch());
    }
    return absl::OkStatus();
  };
  // A key change the peer announced and whose time has come: fetch the
  // new key and filter before asking (the old filter cannot match).
  auto sync_if_rotated = [&](const std::string& peer) {
    if (!d_.oprf->RotationDue(peer, d_.now())) return;
    ifed::v1::FilterSyncStatus st;
    if (absl::Status s = SyncFilter(LocalActor(ctx), peer, &st); !s.ok()) {
      spdlog::warn("oprf match {}: sync with {} before the query failed: {}", request_id, peer,
                   std::string(s.message()));
    }
  };
  ifed::v1::OprfEvaluateRequest req;
  req.set_request_id(request_id);
  req.set_purpose(purpose);
  req.set_canon_version(normalize::kCanonicalVersion);
  // Members asked through one hub share one blinded batch per
  // request, which the hub fans out (relay-to "at,cz"); each answer is
  // still verified under that member's key and checked in its filter.
  struct Prefetched {
    absl::StatusOr<federation::OprfQuerier::Answer> answer;
    size_t batches = 0;
  };
  std::map<std::string, Prefetched> prefetched;
  if (d_.oprf != nullptr && !inputs.empty()) {
    std::map<std::string, std::vector<std::string>> by_hub;
    for (const std::string& peer : peers) {
      const auto [hub, member] = SplitRelayed(peer);
      if (!member.empty()) by_hub[hub].push_back(peer);
    }
    for (const auto& entry : by_hub) {  // (no structured binding: lambdas below use it)
      const std::string& hub = entry.first;
      const std::vector<std::string>& group = entry.second;
      std::vector<std::string> names, members;
      size_t max_batch = federation::OprfQuerier::kDefaultQueryBatch;
      for (const std::string& peer : group) {
        size_t mb = 0;
        if (!allowed(peer, &mb).ok()) continue;  // refused in the loop below
        sync_if_rotated(peer);
        names.push_back(peer);
        members.push_back(SplitRelayed(peer).second);
        max_batch = std::min(max_batch, mb);
      }
      if (names.size() < 2) continue;  // one member: an ordinary relayed call
      const std::string targets = absl::StrJoin(members, ",");
      size_t batches = 0;
      auto answers = d_.oprf->QueryMany(
          names, members, inputs, req,
          [&](const ifed::v1::OprfEvaluateRequest& r)
              -> absl::StatusOr<ifed::v1::OprfEvaluateResponse> {
            grpc::ClientContext cctx;
            cctx.set_deadline(Deadline(d_.peers));
            cctx.AddMetadata(federation::kRelayToHeader, targets);
            auto* stub = d_.peers->StubOf(hub);
            if (stub == nullptr) return absl::NotFoundError(absl::StrCat("unknown peer ", hub));
            ifed::v1::OprfEvaluateRequest signed_request = r;
            IFED_RETURN_IF_ERROR(AuthorizeOprf(hub, federation::kRpcOprfEvaluate, r.purpose(),
                                               &signed_request, targets));
            ifed::v1::OprfEvaluateResponse resp;
            grpc::Status s = stub->OprfEvaluate(&cctx, signed_request, &resp);
            if (!s.ok()) return FromGrpc(s);
            return resp;
          },
          max_batch, &batches);
      for (size_t i = 0; i < names.size(); ++i) {
        prefetched.emplace(names[i], Prefetched{std::move(answers[i]), batches});
      }
    }
  }
  for (const std::string& peer : peers) {
    if (inputs.empty()) break;
    if (d_.oprf == nullptr) {
      fail(peer, absl::FailedPreconditionError("OPRF is not set up on this node"));
      continue;
    }
    size_t max_batch = 0;
    if (absl::Status a = allowed(peer, &max_batch); !a.ok()) {
      fail(peer, a);
      continue;
    }
    const std::string via = SplitRelayed(peer).second.empty() ? "" : SplitRelayed(peer).first;
    size_t batches = 0;
    absl::StatusOr<federation::OprfQuerier::Answer> answer;
    if (auto pre = prefetched.find(peer); pre != prefetched.end()) {
      answer = std::move(pre->second.answer);
      batches = pre->second.batches;
    } else {
      sync_if_rotated(peer);
      answer = d_.oprf->Query(
          peer, inputs, req,
          [&](const ifed::v1::OprfEvaluateRequest& r)
              -> absl::StatusOr<ifed::v1::OprfEvaluateResponse> {
            grpc::ClientContext cctx;
            cctx.set_deadline(Deadline(d_.peers));
            IFED_ASSIGN_OR_RETURN(auto* stub, OprfStub(d_.peers, peer, &cctx));
            ifed::v1::OprfEvaluateRequest signed_request = r;
            IFED_RETURN_IF_ERROR(AuthorizeOprf(peer, federation::kRpcOprfEvaluate, r.purpose(),
                                               &signed_request));
            ifed::v1::OprfEvaluateResponse resp;
            grpc::Status s = stub->OprfEvaluate(&cctx, signed_request, &resp);
            if (!s.ok()) return FromGrpc(s);
            return resp;
          },
          max_batch, &batches);
    }
    int64_t hits = 0;
    if (answer.ok()) {
      for (bool h : answer->hit) hits += h;
    }
    // Durable before anything is shown: who asked whom, why, how many, how
    // many hits; never an item or an output.
    IFED_RETURN_IF_ERROR(AuditOprfOut(ctx, "oprf.evaluate.out", peer, request_id, purpose, n_items,
                                      static_cast<int64_t>(batches), answer.status(), hits));
    if (!answer.ok()) {
      fail(peer, answer.status());
      continue;
    }
    std::vector<ifed::v1::PeerItemResult*> results;
    std::vector<size_t> resolved;
    std::string outputs;  // packed outputs of the local hits
    for (size_t j = 0; j < index.size(); ++j) {
      auto* pr = response->mutable_items(index[j])->add_peers();
      pr->set_peer(peer);
      pr->set_via(via);
      pr->set_scheme("oprf");
      pr->set_verdict(answer->hit[j] ? ifed::v1::HIT : ifed::v1::NO_HIT);
      results.push_back(pr);
      if (answer->hit[j]) {
        outputs.append(answer->outputs[j].begin(), answer->outputs[j].end());
        resolved.push_back(j);
      }
    }
    if (resolve && !resolved.empty()) {  // step 2 for the hits only, in batches
      constexpr size_t kOut = crypto::oprf::kOutputSize;
      std::vector<ifed::v1::ItemResult> got;
      absl::Status rs;
      int64_t rbatches = 0;
      for (size_t off = 0; off < resolved.size() && rs.ok(); off += max_batch) {
        const size_t n = std::min(max_batch, resolved.size() - off);
        ifed::v1::ResolveRequest rr;
        rr.set_request_id(request_id);
        rr.set_purpose(purpose);
        rr.set_outputs(outputs.substr(off * kOut, n * kOut));
        if (absl::Status a = AuthorizeOprf(peer, federation::kRpcResolve, purpose, &rr);
            !a.ok()) {
          rs = a;
          break;
        }
        grpc::ClientContext cctx;
        cctx.set_deadline(Deadline(d_.peers));
        auto stub = OprfStub(d_.peers, peer, &cctx);
        if (!stub.ok()) {
          rs = stub.status();
          break;
        }
        ifed::v1::ResolveResponse resp;
        grpc::Status s = (*stub)->Resolve(&cctx, rr, &resp);
        ++rbatches;
        if (!s.ok()) {
          rs = FromGrpc(s);
        } else if (resp.results_size() != static_cast<int>(n)) {
          rs = absl::DataLossError("peer resolved a different number of items");
        } else {
          got.insert(got.end(), resp.results().begin(), resp.results().end());
        }
      }
      int64_t confirmed = 0;
      for (const auto& r : got) confirmed += r.verdict() == ifed::v1::HIT;
      IFED_RETURN_IF_ERROR(AuditOprfOut(ctx, "oprf.resolve.out", peer, request_id, purpose,
                                        static_cast<int64_t>(resolved.size()), rbatches, rs,
                                        confirmed));
      if (!rs.ok()) {
        fail(peer, rs);
      } else {
        for (size_t k = 0; k < resolved.size(); ++k) {
          const auto& r = got[k];
          auto* pr = results[resolved[k]];
          // A filter false positive (2^-32) or a record gone since the sync.
          if (r.verdict() != ifed::v1::HIT) pr->set_verdict(ifed::v1::NO_HIT);
          pr->set_reference(r.reference());
          pr->set_contact(r.contact());
        }
      }
    }
    spdlog::info("oprf match {} to {}: {} items in {} batches, {} hits{}", request_id, peer,
                 index.size(), batches, hits, resolve ? " (resolved)" : "");
  }
  return absl::OkStatus();
}

}  // namespace ifed::admin
