// AdminService, OPRF scheme (issue 7), querier side: `ifedctl filters sync`
// and the OPRF part of a local Match. The peer's answers are checked here
// (pinned key, filter digest, VOPRF proof); nothing about an item leaves
// except blinded elements, and for resolve the outputs of local hits.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/admin/service.h"
#include "node/common/status_macros.h"
#include "node/federation/oprf_service.h"

namespace ifed::admin {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

std::chrono::system_clock::time_point Deadline(federation::PeerClients* peers) {
  return std::chrono::system_clock::now() + peers->timeout();
}

}  // namespace

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

absl::Status AdminService::SyncFilter(const std::string& peer, ifed::v1::FilterSyncStatus* st) {
  auto* stub = d_.peers->StubOf(peer);
  if (stub == nullptr) return absl::NotFoundError(absl::StrCat("unknown peer ", peer));
  {  // The key first: pinned on first contact, must not change afterwards.
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(d_.peers));
    ifed::v1::OprfPublicKeyResponse key;
    grpc::Status s = stub->OprfPublicKey(&ctx, {}, &key);
    if (!s.ok()) return FromGrpc(s);
    if (key.public_key().size() != crypto::oprf::kElementSize) {
      return absl::DataLossError("peer sent a malformed OPRF public key");
    }
    crypto::oprf::Element e;
    std::copy(key.public_key().begin(), key.public_key().end(), e.begin());
    bool pinned_now = false;
    IFED_RETURN_IF_ERROR(d_.oprf->PinKey(peer, e, &pinned_now));
    st->set_key_pinned(pinned_now);
  }
  ifed::v1::FilterSyncRequest req;
  if (auto have = d_.oprf->FilterDigest(peer); have.ok()) {
    req.set_have_digest(std::string(have->begin(), have->end()));
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::max(d_.peers->timeout(),
                                                               std::chrono::milliseconds(60000)));
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
  st->set_digest(absl::BytesToHexString(first.digest().substr(0, 8)));
  if (first.unchanged()) {
    st->set_changed(false);
    return absl::OkStatus();
  }
  if (bytes.size() != first.total_bytes() || first.digest().size() != 32 ||
      first.public_key().size() != crypto::oprf::kElementSize) {
    return absl::DataLossError("peer's filter is incomplete");
  }
  crypto::filter::Digest digest;
  std::copy(first.digest().begin(), first.digest().end(), digest.begin());
  crypto::oprf::Element key;
  std::copy(first.public_key().begin(), first.public_key().end(), key.begin());
  IFED_RETURN_IF_ERROR(d_.oprf->StoreFilter(peer, bytes, digest, key));
  st->set_bytes(bytes.size());
  st->set_changed(true);
  return CheckOprfWatches(peer);
}

grpc::Status AdminService::FiltersSync(grpc::ServerContext*,
                                       const ifed::v1::FiltersSyncRequest* request,
                                       ifed::v1::FiltersSyncResponse* response) {
  if (d_.oprf == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "OPRF is not set up on this node");
  }
  std::vector<std::string> peers(request->peers().begin(), request->peers().end());
  if (peers.empty()) {
    for (const auto& [id, addr] : d_.peers->peers()) {
      if (UsesOprf(id)) peers.push_back(id);
    }
  }
  for (const std::string& p : peers) {
    if (!d_.peers->Has(p)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, absl::StrCat("unknown peer '", p, "'"));
    }
  }
  for (const std::string& p : peers) {
    auto* st = response->add_peers();
    st->set_peer(p);
    absl::Status s = SyncFilter(p, st);
    st->set_ok(s.ok());
    if (!s.ok()) {
      st->set_error(absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message()));
      spdlog::warn("filter sync with {} failed: {}", p, std::string(s.message()));
    } else {
      spdlog::info("filter sync with {}: {} items, {}", p, st->items(),
                   st->changed() ? "updated" : "unchanged");
    }
  }
  return grpc::Status::OK;
}

void AdminService::MatchOprf(const std::string& request_id, ifed::v1::Purpose purpose,
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
  for (const std::string& peer : peers) {
    if (inputs.empty()) break;
    if (d_.oprf == nullptr) {
      fail(peer, absl::FailedPreconditionError("OPRF is not set up on this node"));
      continue;
    }
    if (d_.policy != nullptr) {  // outbound policy with the oprf scheme.
      auto policy = d_.policy->Get();
      // The rule's own scheme: oprf, or keyed while oprf_peers (config)
      // stands in for a policy that does not set one yet.
      const policy::EffectiveRule* rule =
          policy->Find(peer, policy::Direction::kOutbound, d_.now());
      policy::Query q{.partner = peer,
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
        fail(peer, absl::PermissionDeniedError(
                       absl::StrCat("not sent: our policy ", policy->version(), ": ", d.reason)));
        continue;
      }
    }
    auto* stub = d_.peers->StubOf(peer);
    ifed::v1::OprfEvaluateRequest req;
    req.set_request_id(request_id);
    req.set_purpose(purpose);
    auto answer = d_.oprf->Query(
        peer, inputs, req,
        [&](const ifed::v1::OprfEvaluateRequest& r)
            -> absl::StatusOr<ifed::v1::OprfEvaluateResponse> {
          grpc::ClientContext ctx;
          ctx.set_deadline(Deadline(d_.peers));
          ifed::v1::OprfEvaluateResponse resp;
          grpc::Status s = stub->OprfEvaluate(&ctx, r, &resp);
          if (!s.ok()) return FromGrpc(s);
          return resp;
        });
    if (!answer.ok()) {
      fail(peer, answer.status());
      continue;
    }
    std::vector<ifed::v1::PeerItemResult*> results;
    ifed::v1::ResolveRequest rr;
    std::vector<size_t> resolved;
    uint64_t hits = 0;
    for (size_t j = 0; j < index.size(); ++j) {
      auto* pr = response->mutable_items(index[j])->add_peers();
      pr->set_peer(peer);
      pr->set_scheme("oprf");
      pr->set_verdict(answer->hit[j] ? ifed::v1::HIT : ifed::v1::NO_HIT);
      results.push_back(pr);
      if (answer->hit[j]) {
        ++hits;
        rr.mutable_outputs()->append(answer->outputs[j].begin(), answer->outputs[j].end());
        resolved.push_back(j);
      }
    }
    if (resolve && !resolved.empty()) {  // step 2 for the hits only
      rr.set_request_id(request_id);
      rr.set_purpose(purpose);
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline(d_.peers));
      ifed::v1::ResolveResponse resp;
      grpc::Status s = stub->Resolve(&ctx, rr, &resp);
      if (!s.ok() || resp.results_size() != static_cast<int>(resolved.size())) {
        fail(peer, s.ok() ? absl::DataLossError("peer resolved a different number of items")
                          : FromGrpc(s));
      } else {
        for (size_t k = 0; k < resolved.size(); ++k) {
          const auto& r = resp.results(static_cast<int>(k));
          auto* pr = results[resolved[k]];
          // A filter false positive (2^-32) or a record gone since the sync.
          if (r.verdict() != ifed::v1::HIT) pr->set_verdict(ifed::v1::NO_HIT);
          pr->set_reference(r.reference());
          pr->set_contact(r.contact());
        }
      }
    }
    spdlog::info("oprf match {} to {}: {} items, {} hits{}", request_id, peer, index.size(), hits,
                 resolve ? " (resolved)" : "");
  }
}

}  // namespace ifed::admin
