#include "node/query/watch_manager.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/common/clock.h"
#include "node/common/status_macros.h"
#include "node/federation/oprf/oprf_format.h"
#include "node/normalize/normalizer.h"
#include "node/store/tables.h"

namespace ifed::query {
namespace {

std::string NewWatchId() {
  unsigned char b[12];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  return "w-" + absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(b), sizeof b));
}

}  // namespace

// The keyed request of a watch (one batch per type) and what stays here:
// the values sealed under their pseudonyms, and the OPRF inputs.
struct WatchManager::Prepared {
  ifed::v1::WatchRequest wire;
  std::map<std::string, std::string> sealed_items;  // hex pseudonym -> sealed value
  std::vector<std::string> oprf_inputs;
  std::vector<ifed::v1::IndicatorType> oprf_types;
};

absl::Status WatchManager::Save(const store::MetaWrites& w, const audit::Event* e) const {
  if (d_.audit == nullptr || e == nullptr) return d_.store->CommitMeta(w);
  return d_.audit->Write([&](const audit::AuditLog::EntriesFn& entries) {
    return d_.store->CommitMeta(w, entries(*e));
  });
}

absl::Status WatchManager::Events(int64_t since_ms, ifed::v1::WatchesResponse* response) const {
  return d_.store->ScanMeta(store::WatchTable::kEvents, [&](const std::string&, const std::string& v) {
    ifed::v1::WatchEventRecord ev;
    if (ev.ParseFromString(v) && ev.received_ms() >= since_ms) *response->add_events() = std::move(ev);
    return true;
  });
}

absl::Status WatchManager::List(bool inbound, ifed::v1::WatchesResponse* response) const {
  if (!inbound) {
    return d_.store->ScanMeta(store::WatchTable::kOutbound, [&](const std::string&, const std::string& v) {
      ifed::v1::OutboundWatch w;
      if (!w.ParseFromString(v)) return true;
      w.clear_sealed_items();  // for hits export only; not listed.
      *response->add_watches() = std::move(w);
      return true;
    });
  }
  IFED_RETURN_IF_ERROR(d_.store->ScanMeta(store::WatchTable::kInbound, [&](const std::string&, const std::string& v) {
    ifed::v1::InboundWatch w;
    if (!w.ParseFromString(v)) return true;
    for (auto& b : *w.mutable_batches()) {  // counts only, as 32 zero bytes each.
      b.set_pseudonyms(std::string(b.pseudonyms().size(), '\0'));
    }
    *response->add_inbound() = std::move(w);
    return true;
  }));
  IFED_RETURN_IF_ERROR(d_.store->ScanMeta(store::WatchTable::kRelayed, [&](const std::string&, const std::string& v) {
    ifed::v1::HubWatch w;  // a hub's relayed watches (no pseudonym kept).
    if (w.ParseFromString(v)) *response->add_relayed() = std::move(w);
    return true;
  }));
  return d_.store->ScanMeta(store::OutboxTable::kPrefix, [&](const std::string&, const std::string& v) {
    ifed::v1::OutboxEntry e;
    if (e.ParseFromString(v)) {
      if (e.delivery().has_watch()) e.mutable_delivery()->mutable_watch()->clear_pseudonym();
      if (e.delivery().has_followup_answer()) e.mutable_delivery()->mutable_followup_answer()->clear_reply();
      *response->add_outbox() = std::move(e);
    }
    return true;
  });
}

// Through a hub, members watched by OPRF ("HUB/MEMBER", held here only)
// go with it; the hub's own row only if it holds a keyed part.
absl::StatusOr<std::vector<std::string>> WatchManager::RemoveTargets(
    const std::vector<std::string>& peers, const std::string& watch_id) const {
  std::vector<std::string> targets;
  for (const std::string& peer : peers) {
    if (!d_.transport->IsHub(peer)) {
      targets.push_back(peer);
      continue;
    }
    std::vector<std::string> members;
    const std::string prefix = store::WatchTable::OutboundPrefix(peer);
    const std::string suffix = absl::StrCat("/", watch_id);
    IFED_RETURN_IF_ERROR(d_.store->ScanMeta(prefix, [&](const std::string& k, const std::string&) {
      const std::string rest = k.substr(prefix.size());  // MEMBER/ID or ID
      if (rest.size() > suffix.size() && absl::EndsWith(rest, suffix)) {
        const std::string member = rest.substr(0, rest.size() - suffix.size());
        if (member.find('/') == std::string::npos) members.push_back(member);
      }
      return true;
    }));
    if (members.empty() || d_.store->GetMeta(store::WatchTable::OutboundKey(peer, watch_id)).ok()) {
      targets.push_back(peer);
    }
    for (const std::string& m : members) targets.push_back(absl::StrCat(peer, "/", m));
  }
  return targets;
}

absl::Status WatchManager::Remove(const std::string& actor, const std::vector<std::string>& peers,
                                  const std::string& watch_id, ifed::v1::WatchesResponse* response) {
  IFED_ASSIGN_OR_RETURN(std::vector<std::string> targets, RemoveTargets(peers, watch_id));
  for (const std::string& peer : targets) IFED_RETURN_IF_ERROR(RemoveAt(actor, peer, watch_id, response));
  return absl::OkStatus();
}

absl::Status WatchManager::RemoveAt(const std::string& actor, const std::string& peer,
                                    const std::string& watch_id, ifed::v1::WatchesResponse* response) {
  const std::string key = store::WatchTable::OutboundKey(peer, watch_id);
  auto* pr = response->add_peers();
  pr->set_peer(peer);
  auto held = d_.store->GetMeta(key);
  ifed::v1::OutboundWatch mine;
  if (!held.ok() || !mine.ParseFromString(*held)) {
    pr->set_code(static_cast<int>(absl::StatusCode::kNotFound));
    pr->set_message("no such watch with this peer");
    return absl::OkStatus();
  }
  pr->mutable_answer()->set_watch_id(watch_id);
  absl::Status s;  // an oprf watch is held here only.
  if (mine.scheme() != "oprf") {
    ifed::v1::WatchRequest wire;
    wire.set_watch_id(watch_id);
    wire.set_action(ifed::v1::WATCH_REMOVE);
    absl::StatusOr<ifed::v1::WatchResponse> answer = d_.transport->Watch(peer, wire);
    if (answer.ok()) *pr->mutable_answer() = std::move(*answer);
    s = answer.status();
  }
  pr->set_code(static_cast<int>(s.code()));
  pr->set_message(std::string(s.message()));
  if (!s.ok() && !absl::IsNotFound(s)) return absl::OkStatus();  // still held there.
  audit::Event e;
  e.action = "watch.remove";
  e.actor = actor;
  e.Set("peer", peer).Set("watch_id", watch_id);
  store::MetaWrites w;
  if (s.ok() && pr->answer().members_size() > 0) {  // through a hub: per member.
    std::vector<std::string> left;
    for (const auto& m : pr->answer().members()) {
      if (m.status() != ifed::v1::MEMBER_ANSWERED) left.push_back(m.member());
    }
    if (!left.empty()) {  // kept here too, so that `remove` can be asked again.
      *mine.mutable_members() = pr->answer().members();
      mine.set_state("removing");
      w.puts.emplace_back(key, mine.SerializeAsString());
      e.outcome = "error";  // not held any more by some members only.
      e.Set("still_held_by", absl::StrJoin(left, ","));
      IFED_RETURN_IF_ERROR(Save(w, &e));
      pr->set_code(static_cast<int>(absl::StatusCode::kUnavailable));
      pr->set_message(absl::StrCat("still held by ", absl::StrJoin(left, ","),
                                   ": run watch remove again"));
      return absl::OkStatus();
    }
  }
  w.deletes.push_back(key);
  e.outcome = "ok";
  IFED_RETURN_IF_ERROR(Save(w, &e));
  pr->set_code(0);
  return absl::OkStatus();
}

// Pseudonymises every form (the same pseudonym once) and seals its value
// under the watch for hits export.
absl::Status WatchManager::Prepare(const NewWatch& w, Prepared* p) const {
  ifed::v1::WatchRequest& wire = p->wire;
  wire.set_watch_id(NewWatchId());
  wire.set_action(ifed::v1::WATCH_ADD);
  wire.set_canon_version(normalize::kCanonicalVersion);
  wire.set_purpose(w.purpose);
  wire.set_epoch(d_.keys->current_epoch());
  wire.set_until(w.until);
  std::map<int, ifed::v1::PseudonymBatch*> batches;
  std::set<std::string> seen;
  for (const auto& [type, value] : w.forms) {
    auto ps = d_.keys->Pseudonymize(wire.epoch(), static_cast<IndicatorType>(type), value);
    if (!ps.ok()) return absl::InternalError("pseudonymisation failed");
    std::string bytes(ps->begin(), ps->end());
    if (!seen.insert(absl::StrCat(static_cast<int>(type), ":", bytes)).second) continue;
    const std::string hex = absl::BytesToHexString(bytes);
    auto sealed = d_.sealer->Seal(value, absl::StrCat("watch-item/", wire.watch_id(), "/", hex));
    if (!sealed.ok()) return absl::InternalError("sealing failed");
    p->sealed_items[hex] = std::move(*sealed);
    p->oprf_inputs.push_back(federation::OprfInput(static_cast<IndicatorType>(type), value));
    p->oprf_types.push_back(type);
    auto*& b = batches[static_cast<int>(type)];
    if (b == nullptr) {
      b = wire.add_batches();
      b->set_type(type);
    }
    b->mutable_pseudonyms()->append(bytes);
  }
  if (wire.watch_id().empty()) return absl::InternalError("no randomness");
  return absl::OkStatus();
}

absl::Status WatchManager::Add(const NewWatch& w, ifed::v1::WatchesResponse* response) {
  if (w.forms.empty()) return absl::InvalidArgumentError("nothing to watch");
  if (d_.keys == nullptr) return absl::FailedPreconditionError("no federation key");
  Prepared p;
  IFED_RETURN_IF_ERROR(Prepare(w, &p));
  const std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  for (const std::string& peer : w.peers) {
    auto* pr = response->add_peers();
    pr->set_peer(peer);
    if (policy->Find(peer, policy::Direction::kOutbound, d_.now()) == nullptr) {
      pr->set_code(static_cast<int>(absl::StatusCode::kPermissionDenied));
      pr->set_message(absl::StrCat("our policy has no outbound rule for ", peer));
      continue;
    }
    if (d_.matcher->UsesOprf(peer)) {
      IFED_RETURN_IF_ERROR(AddOprf(w, p, peer, pr, response));
    } else {
      IFED_RETURN_IF_ERROR(AddKeyed(w, p, peer, pr, response));
    }
  }
  return absl::OkStatus();
}

absl::Status WatchManager::HubParts(const NewWatch& w, const Prepared& p, const std::string& hub,
                                    ifed::v1::WatchRequest* to_peer,
                                    ifed::v1::WatchesResponse* response) {
  for (const std::string& j : w.jurisdictions) to_peer->add_jurisdictions(j);
  // Members whose filter this node holds through the hub are watched here
  // with the OPRF scheme (they learn nothing); the hub skips them.
  for (const std::string& member : d_.matcher->OprfMembersThroughHub(hub, w.jurisdictions)) {
    auto* opr = response->add_peers();
    opr->set_peer(absl::StrCat(hub, "/", member));
    IFED_RETURN_IF_ERROR(AddOprf(w, p, opr->peer(), opr, response));
    if (opr->code() == 0) to_peer->add_skip_members(member);
  }
  // Signed for the members the hub asks: each verifies it (relay_auth.h).
  d_.matcher->SignForHub(hub, RelayedRpc::kWatch, to_peer->purpose(), w.jurisdictions,
                         {to_peer->skip_members().begin(), to_peer->skip_members().end()},
                         absl::StrCat("watch ", p.wire.watch_id()), to_peer);
  return absl::OkStatus();
}

absl::Status WatchManager::AddKeyed(const NewWatch& w, const Prepared& p, const std::string& peer,
                                    ifed::v1::WatchPeerResult* pr,
                                    ifed::v1::WatchesResponse* response) {
  const ifed::v1::WatchRequest& wire = p.wire;
  ifed::v1::OutboundWatch mine;
  mine.set_peer(peer);
  mine.set_watch_id(wire.watch_id());
  mine.set_purpose(wire.purpose());
  for (const auto& b : wire.batches()) {
    mine.add_types(b.type());
    mine.set_items(mine.items() + b.pseudonyms().size() / 32);
  }
  mine.set_created(d_.now());
  mine.set_until(wire.until());
  mine.set_state("pending");
  for (const auto& [hex, sealed] : p.sealed_items) (*mine.mutable_sealed_items())[hex] = sealed;
  const std::string key = store::WatchTable::OutboundKey(peer, wire.watch_id());
  store::MetaWrites held;
  held.puts.emplace_back(key, mine.SerializeAsString());
  IFED_RETURN_IF_ERROR(d_.store->CommitMeta(held));
  const bool hub = d_.transport->IsHub(peer);
  ifed::v1::WatchRequest to_peer = wire;
  if (hub) IFED_RETURN_IF_ERROR(HubParts(w, p, peer, &to_peer, response));
  absl::StatusOr<ifed::v1::WatchResponse> answer = d_.transport->Watch(peer, to_peer);
  if (answer.ok()) *pr->mutable_answer() = std::move(*answer);
  absl::Status s = answer.status();
  // Through a hub whose every member asked is watched by OPRF here: the
  // hub holds no keyed part, and nothing is wrong.
  bool oprf_only = false;
  if (s.ok() && (hub || pr->answer().members_size() > 0)) {
    // Through a hub: active when at least one member holds it.
    *mine.mutable_members() = pr->answer().members();
    int holding = 0;
    for (const auto& m : pr->answer().members()) holding += m.status() == ifed::v1::MEMBER_ANSWERED;
    oprf_only = holding == 0 && pr->answer().members_size() == 0 && to_peer.skip_members_size() > 0;
    if (holding == 0 && !oprf_only) {
      s = absl::FailedPreconditionError(absl::StrCat("no member of hub ", peer, " holds the watch"));
    }
  }
  if (oprf_only) {
    pr->set_code(0);
    pr->set_message("no keyed part: every member asked is watched by OPRF through the hub");
    store::MetaWrites none;
    none.deletes.push_back(key);
    return d_.store->CommitMeta(none);
  }
  pr->set_code(static_cast<int>(s.code()));
  pr->set_message(std::string(s.message()));
  audit::Event e;
  e.action = "watch.out";
  e.actor = w.actor;
  e.outcome = s.ok() ? "ok" : "refused";
  e.Set("peer", peer).Set("watch_id", wire.watch_id())
      .Set("items", static_cast<int64_t>(mine.items()))
      .Set("purpose", ifed::v1::Purpose_Name(wire.purpose()));
  if (!s.ok()) e.Set("code", static_cast<int64_t>(s.code()));
  if (mine.members_size() > 0) {
    std::vector<std::string> holders;
    for (const auto& m : mine.members()) {
      if (m.status() == ifed::v1::MEMBER_ANSWERED) holders.push_back(m.member());
    }
    e.Set("members", absl::StrJoin(holders, ","));
  }
  store::MetaWrites writes;
  if (s.ok()) {
    mine.set_state("active");
    mine.set_until(pr->answer().until());
    writes.puts.emplace_back(key, mine.SerializeAsString());
    *response->add_watches() = mine;
  } else {
    writes.deletes.push_back(key);
  }
  return Save(writes, &e);
}

absl::Status WatchManager::AddOprf(const NewWatch& w, const Prepared& p, const std::string& peer,
                                   ifed::v1::WatchPeerResult* pr,
                                   ifed::v1::WatchesResponse* response) {
  if (d_.oprf == nullptr) {
    pr->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
    pr->set_message("OPRF is not set up on this node");
    return absl::OkStatus();
  }
  const ifed::v1::WatchRequest& wire = p.wire;
  const std::vector<std::string>& inputs = p.oprf_inputs;
  // The partner evaluates blinded elements (it learns how many, nothing
  // else) and keeps nothing: the outputs stay here.
  ifed::v1::OprfEvaluateRequest req;
  req.set_request_id(NewWatchId());  // not the watch id: the partner cannot link them.
  req.set_purpose(wire.purpose());
  req.set_canon_version(normalize::kCanonicalVersion);
  // A member through the hub ("HUB/MEMBER"): the call names it for the hub.
  auto answer = d_.oprf->Query(peer, inputs, req, d_.matcher->EvaluateAt(peer));
  audit::Event e;
  e.action = "watch.out";
  e.actor = w.actor;
  e.outcome = answer.ok() ? "ok" : "refused";
  e.Set("peer", peer).Set("watch_id", wire.watch_id()).Set("scheme", "oprf")
      .Set("items", static_cast<int64_t>(inputs.size()))
      .Set("purpose", ifed::v1::Purpose_Name(wire.purpose()));
  store::MetaWrites writes;
  if (!answer.ok()) {
    pr->set_code(static_cast<int>(answer.status().code()));
    pr->set_message(std::string(answer.status().message()));
    e.Set("code", static_cast<int64_t>(answer.status().code()));
    return Save(writes, &e);
  }
  ifed::v1::OutboundWatch mine;
  mine.set_peer(peer);
  mine.set_watch_id(wire.watch_id());
  mine.set_purpose(wire.purpose());
  mine.set_scheme("oprf");
  std::set<int> distinct;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string output(answer->outputs[i].begin(), answer->outputs[i].end());
    // The alert names the item by its OPRF output: this node keeps the value
    // sealed under that name (OutboundWatch.sealed_items, keyed by the hex
    // name an alert carries: pseudonym or OPRF output), for hits export.
    const std::string hex = absl::BytesToHexString(output);
    auto sealed = d_.sealer->Seal(federation::OprfCanonical(inputs[i]),
                                  absl::StrCat("watch-item/", wire.watch_id(), "/", hex));
    if (!sealed.ok()) return absl::InternalError("sealing failed");
    (*mine.mutable_sealed_items())[hex] = std::move(*sealed);
    mine.mutable_oprf_outputs()->append(output);
    mine.add_item_types(p.oprf_types[i]);
    mine.add_present(answer->hit[i]);  // already held: a standing query tells what comes later.
    if (distinct.insert(p.oprf_types[i]).second) mine.add_types(p.oprf_types[i]);
  }
  mine.set_items(static_cast<uint32_t>(inputs.size()));
  mine.set_created(d_.now());
  mine.set_until(wire.until());
  mine.set_state("active");
  writes.puts.emplace_back(store::WatchTable::OutboundKey(peer, wire.watch_id()), mine.SerializeAsString());
  IFED_RETURN_IF_ERROR(Save(writes, &e));
  pr->set_code(0);
  pr->mutable_answer()->set_watch_id(wire.watch_id());
  pr->mutable_answer()->set_items(mine.items());
  pr->mutable_answer()->set_until(mine.until());
  mine.clear_oprf_outputs();
  mine.clear_sealed_items();  // for hits export only; not listed.
  *response->add_watches() = std::move(mine);
  return absl::OkStatus();
}

absl::Status WatchManager::CheckOprfWatches(const std::string& peer) {
  std::vector<std::pair<std::string, ifed::v1::OutboundWatch>> watches;
  IFED_RETURN_IF_ERROR(d_.store->ScanMeta(
      store::WatchTable::OutboundPrefix(peer), [&](const std::string& k, const std::string& v) {
        ifed::v1::OutboundWatch w;
        if (w.ParseFromString(v) && w.scheme() == "oprf" && w.state() == "active" &&
            (w.until() == 0 || w.until() > d_.now())) {
          watches.emplace_back(k, std::move(w));
        }
        return true;
      }));
  const int64_t now_ms = UnixMillisNow();
  for (auto& [key, w] : watches) {
    IFED_ASSIGN_OR_RETURN(std::vector<bool> in, d_.oprf->Contains(peer, w.oprf_outputs()));
    if (in.size() != static_cast<size_t>(w.present_size()) ||
        in.size() != static_cast<size_t>(w.item_types_size())) {
      return absl::DataLossError("oprf watch entry is inconsistent");
    }
    store::MetaWrites writes;
    int64_t hits = 0, gone = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const int idx = static_cast<int>(i);
      if (in[i] == w.present(idx)) continue;
      w.set_present(idx, in[i]);
      ifed::v1::WatchEventRecord ev;
      ev.set_sender(peer);
      ev.set_delivery_id(absl::StrCat("oprf-", w.watch_id(), "-", i, "-", now_ms));
      ev.set_received_ms(now_ms);
      ifed::v1::WatchNotification* n = ev.mutable_notification();
      n->set_watch_id(w.watch_id());
      n->set_kind(in[i] ? ifed::v1::WATCH_HIT : ifed::v1::WATCH_WITHDRAWN);
      n->set_type(w.item_types(idx));
      n->set_pseudonym(w.oprf_outputs().substr(i * 32, 32));
      n->set_observed(now_ms / 1000);
      writes.puts.emplace_back(store::WatchTable::EventKey(now_ms, peer, ev.delivery_id()),
                               ev.SerializeAsString());
      ++(in[i] ? hits : gone);
    }
    if (writes.puts.empty()) continue;
    writes.puts.emplace_back(key, w.SerializeAsString());
    audit::Event e;
    e.action = "watch.event";
    e.actor = "node";
    e.outcome = "ok";
    e.Set("peer", peer).Set("watch_id", w.watch_id()).Set("scheme", "oprf")
        .Set("hits", hits).Set("withdrawn", gone);
    IFED_RETURN_IF_ERROR(Save(writes, &e));
    spdlog::info("oprf watch {} at {}: {} new, {} gone since the last filter", w.watch_id(), peer,
                 hits, gone);
  }
  return absl::OkStatus();
}

}  // namespace ifed::query
