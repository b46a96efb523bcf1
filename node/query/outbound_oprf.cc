// OutboundMatcher, OPRF scheme, querier side: the OPRF part of a match and
// the partners' key and filter downloads. The peer's answers are checked
// here (pinned key, filter digest, VOPRF proof); nothing about an item
// leaves except blinded elements, and for resolve the outputs of local hits.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/common/status_macros.h"
#include "node/federation/oprf/oprf_format.h"
#include "node/federation/oprf/oprf_key_statement.h"
#include "node/normalize/normalizer.h"
#include "node/query/outbound_matcher.h"

namespace ifed::query {

std::string OutboundMatcher::OprfPolicyPartner(const std::string& peer) const {
  const auto [hub, member] = SplitRelayed(peer);
  if (member.empty() || d_.policy == nullptr) return peer;
  // Through the hub: our rule for the member when we have one, else the hub's.
  return d_.policy->Get()->Find(member, policy::Direction::kOutbound, d_.now()) != nullptr ? member
                                                                                          : hub;
}

// Our outbound policy for `peer` (OK or the refusal), and the largest
// request it takes: our outbound rule's max_batch (the partner agreement),
// never above the listener default.
absl::Status OutboundMatcher::OprfAllowed(const std::string& peer, ifed::v1::Purpose purpose,
                                          const std::vector<ifed::v1::IndicatorType>& types,
                                          size_t* max_batch) const {
  *max_batch = federation::OprfQuerier::kDefaultQueryBatch;
  if (d_.policy == nullptr) return absl::OkStatus();
  auto policy = d_.policy->Get();
  // The rule's own scheme: oprf, or keyed while oprf_peers (config)
  // stands in for a policy that does not set one yet.
  const std::string partner = OprfPolicyPartner(peer);
  const policy::EffectiveRule* rule = policy->Find(partner, policy::Direction::kOutbound, d_.now());
  policy::Query q{.partner = partner,
                  .direction = policy::Direction::kOutbound,
                  .purpose = purpose,
                  .types = types,
                  .scheme = rule != nullptr ? rule->rule.scheme() : ifed::v1::OPRF,
                  .now = d_.now()};
  policy::Decision d = policy->Decide(q);
  if (!d.status.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("not sent: our policy ", policy->version(), ": ", d.reason));
  }
  if (rule != nullptr && rule->rule.max_batch() > 0) {
    *max_batch = std::min<size_t>(*max_batch, rule->rule.max_batch());
  }
  return absl::OkStatus();
}

// A key change the peer announced and whose time has come: fetch the new
// key and filter before asking (the old filter cannot match).
void OutboundMatcher::SyncIfRotated(const std::string& actor, const std::string& request_id,
                                    const std::string& peer) {
  if (!d_.oprf->RotationDue(peer, d_.now())) return;
  ifed::v1::FilterSyncStatus st;
  if (absl::Status s = SyncFilter(actor, peer, &st); !s.ok()) {
    spdlog::warn("oprf match {}: sync with {} before the query failed: {}", request_id, peer,
                 std::string(s.message()));
  }
}

// Members asked through one hub share one blinded batch per request, which
// the hub fans out (relay-to "at,cz"); each answer is still verified under
// that member's key and checked in its filter.
std::map<std::string, OutboundMatcher::OprfAnswer> OutboundMatcher::AskThroughHubs(
    const MatchQuery& q, const std::vector<std::string>& inputs,
    const std::vector<ifed::v1::IndicatorType>& types, const ifed::v1::OprfEvaluateRequest& req) {
  std::map<std::string, OprfAnswer> prefetched;
  std::map<std::string, std::vector<std::string>> by_hub;
  for (const std::string& peer : q.oprf_peers) {
    const auto [hub, member] = SplitRelayed(peer);
    if (!member.empty()) by_hub[hub].push_back(peer);
  }
  for (const auto& entry : by_hub) {  // (no structured binding: the lambda below uses it)
    const std::string& hub = entry.first;
    std::vector<std::string> names, members;
    size_t max_batch = federation::OprfQuerier::kDefaultQueryBatch;
    for (const std::string& peer : entry.second) {
      size_t mb = 0;
      if (!OprfAllowed(peer, q.wire.purpose(), types, &mb).ok()) continue;  // refused later
      SyncIfRotated(q.actor, q.wire.request_id(), peer);
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
          if (!d_.transport->Has(hub)) return absl::NotFoundError(absl::StrCat("unknown peer ", hub));
          ifed::v1::OprfEvaluateRequest signed_request = r;
          IFED_RETURN_IF_ERROR(
              SignOprf(hub, RelayedRpc::kOprfEvaluate, r.purpose(), &signed_request, targets));
          return d_.transport->OprfEvaluate(hub, signed_request, targets);
        },
        max_batch, &batches);
    for (size_t i = 0; i < names.size(); ++i) {
      prefetched.emplace(names[i], OprfAnswer{std::move(answers[i]), batches});
    }
  }
  return prefetched;
}

absl::Status OutboundMatcher::MatchOprf(const MatchQuery& q, MatchOutcome* out) {
  const std::string& request_id = q.wire.request_id();
  const ifed::v1::Purpose purpose = q.wire.purpose();
  std::vector<std::string> inputs;
  std::vector<ifed::v1::IndicatorType> types;  // distinct, in order of appearance
  for (const Form& f : q.forms) {
    inputs.push_back(federation::OprfInput(static_cast<IndicatorType>(f.type), f.canonical));
    if (std::find(types.begin(), types.end(), f.type) == types.end()) types.push_back(f.type);
  }
  auto fail = [&](const std::string& peer, const absl::Status& s) {
    out->errors.push_back({peer, static_cast<int>(s.code()), std::string(s.message())});
    spdlog::warn("oprf match {} to {} failed: {}", request_id, peer, std::string(s.message()));
  };
  ifed::v1::OprfEvaluateRequest req;
  req.set_request_id(request_id);
  req.set_purpose(purpose);
  req.set_canon_version(normalize::kCanonicalVersion);
  std::map<std::string, OprfAnswer> prefetched;
  if (d_.oprf != nullptr && !inputs.empty()) prefetched = AskThroughHubs(q, inputs, types, req);
  const int64_t n_items = static_cast<int64_t>(inputs.size());
  for (const std::string& peer : q.oprf_peers) {
    if (inputs.empty()) break;
    if (d_.oprf == nullptr) {
      fail(peer, absl::FailedPreconditionError("OPRF is not set up on this node"));
      continue;
    }
    size_t max_batch = 0;
    if (absl::Status a = OprfAllowed(peer, purpose, types, &max_batch); !a.ok()) {
      fail(peer, a);
      continue;
    }
    const auto [hub, member] = SplitRelayed(peer);
    const std::string via = member.empty() ? "" : hub;
    OprfAnswer asked;
    if (auto pre = prefetched.find(peer); pre != prefetched.end()) {
      asked = std::move(pre->second);
    } else {
      SyncIfRotated(q.actor, request_id, peer);
      asked.answer = d_.oprf->Query(peer, inputs, req, EvaluateAt(peer), max_batch, &asked.batches);
    }
    int64_t hits = 0;
    if (asked.answer.ok()) {
      for (bool h : asked.answer->hit) hits += h;
    }
    // Durable before anything is shown: who asked whom, why, how many, how
    // many hits; never an item or an output.
    IFED_RETURN_IF_ERROR(AuditOprfOut(q.actor, "oprf.evaluate.out", peer, request_id, purpose,
                                      n_items, static_cast<int64_t>(asked.batches),
                                      asked.answer.status(), hits));
    if (!asked.answer.ok()) {
      fail(peer, asked.answer.status());
      continue;
    }
    std::vector<size_t> rows, resolved;
    std::string outputs;  // packed outputs of the local hits
    for (size_t j = 0; j < inputs.size(); ++j) {
      const bool hit = asked.answer->hit[j];
      rows.push_back(out->rows.size());
      out->rows.push_back({static_cast<int>(j), peer, via, "oprf",
                           hit ? ifed::v1::HIT : ifed::v1::NO_HIT, "", ""});
      if (hit) {
        outputs.append(asked.answer->outputs[j].begin(), asked.answer->outputs[j].end());
        resolved.push_back(j);
      }
    }
    if (q.resolve && !resolved.empty()) {
      IFED_RETURN_IF_ERROR(ResolveHits(q, peer, max_batch, resolved, outputs, rows, out));
    }
    spdlog::info("oprf match {} to {}: {} items in {} batches, {} hits{}", request_id, peer,
                 inputs.size(), asked.batches, hits, q.resolve ? " (resolved)" : "");
  }
  return absl::OkStatus();
}

// Step 2 for the hits only, in batches; a peer's failure is its error row.
absl::Status OutboundMatcher::ResolveHits(const MatchQuery& q, const std::string& peer,
                                          size_t max_batch, const std::vector<size_t>& resolved,
                                          const std::string& outputs,
                                          const std::vector<size_t>& rows, MatchOutcome* out) {
  constexpr size_t kOut = crypto::oprf::kOutputSize;
  const std::string& request_id = q.wire.request_id();
  std::vector<ifed::v1::ItemResult> got;
  absl::Status rs;
  int64_t rbatches = 0;
  for (size_t off = 0; off < resolved.size() && rs.ok(); off += max_batch) {
    const size_t n = std::min(max_batch, resolved.size() - off);
    ifed::v1::ResolveRequest rr;
    rr.set_request_id(request_id);
    rr.set_purpose(q.wire.purpose());
    rr.set_outputs(outputs.substr(off * kOut, n * kOut));
    if (absl::Status a = SignOprf(peer, RelayedRpc::kResolve, q.wire.purpose(), &rr); !a.ok()) {
      rs = a;
      break;
    }
    if (absl::Status v = CheckOprfPeer(peer); !v.ok()) {
      rs = v;
      break;
    }
    auto resp = d_.transport->Resolve(peer, rr);
    ++rbatches;
    if (!resp.ok()) {
      rs = resp.status();
    } else if (resp->results_size() != static_cast<int>(n)) {
      rs = absl::DataLossError("peer resolved a different number of items");
    } else {
      got.insert(got.end(), resp->results().begin(), resp->results().end());
    }
  }
  int64_t confirmed = 0;
  for (const auto& r : got) confirmed += r.verdict() == ifed::v1::HIT;
  IFED_RETURN_IF_ERROR(AuditOprfOut(q.actor, "oprf.resolve.out", peer, request_id,
                                    q.wire.purpose(), static_cast<int64_t>(resolved.size()),
                                    rbatches, rs, confirmed));
  if (!rs.ok()) {
    out->errors.push_back({peer, static_cast<int>(rs.code()), std::string(rs.message())});
    spdlog::warn("oprf match {} to {} failed: {}", request_id, peer, std::string(rs.message()));
    return absl::OkStatus();
  }
  for (size_t k = 0; k < resolved.size(); ++k) {
    const auto& r = got[k];
    PeerRow& row = out->rows[rows[resolved[k]]];
    // A filter false positive (2^-32) or a record gone since the sync.
    if (r.verdict() != ifed::v1::HIT) row.verdict = ifed::v1::NO_HIT;
    row.reference = r.reference();
    row.contact = r.contact();
  }
  return absl::OkStatus();
}

absl::Status OutboundMatcher::AuditOprfOut(const std::string& actor, const std::string& action,
                                           const std::string& peer, const std::string& request_id,
                                           ifed::v1::Purpose purpose, int64_t items,
                                           int64_t batches, const absl::Status& result,
                                           int64_t hits) {
  if (d_.audit == nullptr) return absl::OkStatus();
  audit::Event e;
  e.action = action;
  e.actor = actor;
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
    e.outcome = c == absl::StatusCode::kPermissionDenied || c == absl::StatusCode::kInvalidArgument ||
                        c == absl::StatusCode::kResourceExhausted ||
                        c == absl::StatusCode::kFailedPrecondition
                    ? "refused"
                    : "error";
    e.Set("code", absl::StatusCodeToString(c))
        .Set("reason", std::string(result.message().substr(0, 200)));
  }
  return d_.audit->Append(e);
}

// --- key and filter downloads ---

absl::Status OutboundMatcher::AuditKey(const std::string& actor, const std::string& action,
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

absl::Status OutboundMatcher::SyncFilter(const std::string& actor, const std::string& peer,
                                         ifed::v1::FilterSyncStatus* st) {
  IFED_RETURN_IF_ERROR(CheckOprfPeer(peer));
  if (d_.oprf == nullptr) return absl::FailedPreconditionError("OPRF is not set up on this node");
  std::lock_guard<std::mutex> serial(sync_mu_);  // the scheduler and ifedctl, one at a time
  IFED_RETURN_IF_ERROR(CheckKey(actor, peer, st));
  IFED_RETURN_IF_ERROR(FetchFilter(peer, st));
  // OPRF watches are checked against every filter that changed.
  return st->changed() && d_.on_filter_changed ? d_.on_filter_changed(peer) : absl::OkStatus();
}

// The key first: pinned on first contact; changes only as announced.
absl::Status OutboundMatcher::CheckKey(const std::string& actor, const std::string& peer,
                                       ifed::v1::FilterSyncStatus* st) {
  ifed::v1::OprfPublicKeyRequest key_request;
  IFED_RETURN_IF_ERROR(SignOprf(peer, RelayedRpc::kOprfPublicKey, ifed::v1::PURPOSE_UNSPECIFIED,
                                &key_request));
  IFED_ASSIGN_OR_RETURN(ifed::v1::OprfPublicKeyResponse key,
                        d_.transport->OprfPublicKey(peer, key_request));
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
      (!key.next_public_key().empty() && key.next_public_key().size() != crypto::oprf::kElementSize)) {
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
  using KeyChange = federation::OprfQuerier::KeyChange;
  st->set_key_pinned(*change == KeyChange::kPinned);
  st->set_key_rotated(*change == KeyChange::kRotated);
  st->set_rotation_announced(next.has_value());
  if (*change == KeyChange::kPinned) {
    IFED_RETURN_IF_ERROR(AuditKey(actor, "oprf.key.pinned", "ok", peer, key));
  } else if (*change == KeyChange::kRotated) {
    IFED_RETURN_IF_ERROR(AuditKey(actor, "oprf.key.rotated", "ok", peer, key));
  }
  return absl::OkStatus();
}

// The filter: a snapshot, a delta since the version held, or unchanged.
absl::Status OutboundMatcher::FetchFilter(const std::string& peer, ifed::v1::FilterSyncStatus* st) {
  ifed::v1::FilterSyncRequest req;
  const federation::OprfQuerier::Position pos = d_.oprf->SyncPosition(peer);
  if (pos.digest) req.set_have_digest(std::string(pos.digest->begin(), pos.digest->end()));
  req.set_since_version(pos.version);
  req.set_log_id(pos.log_id);
  IFED_RETURN_IF_ERROR(
      SignOprf(peer, RelayedRpc::kFilterSync, ifed::v1::PURPOSE_UNSPECIFIED, &req));
  ifed::v1::FilterChunk first;
  std::string bytes;
  bool have_first = false;
  IFED_RETURN_IF_ERROR(d_.transport->FilterSync(
      peer, req, [&](const ifed::v1::FilterChunk& chunk) -> absl::Status {
        if (!have_first) {
          first = chunk;
          have_first = true;
          if (first.unchanged()) return absl::OkStatus();
          if (first.total_bytes() > (uint64_t{1} << 32)) {
            return absl::ResourceExhaustedError("peer's filter is larger than 4 GiB");
          }
          bytes.reserve(first.total_bytes());
        }
        if (chunk.offset() != bytes.size() ||
            bytes.size() + chunk.data().size() > first.total_bytes()) {
          return absl::DataLossError("peer's filter chunks are out of order");
        }
        bytes.append(chunk.data());
        return absl::OkStatus();
      }));
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
                                               first.generation(), key, bytes, first.added_count(),
                                               first.removed_count(), digest,
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
  return absl::OkStatus();
}

}  // namespace ifed::query
