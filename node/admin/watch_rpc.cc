// Standing queries over the admin socket. "add" normalises and
// pseudonymises the values here and asks each partner to hold the
// pseudonyms (keyed scheme); "remove" withdraws a watch; "list" shows the
// watches this node asked for (or, with inbound, those partners hold here
// and the outbox); "events" the notifications received. The watch is kept
// locally before the partner is asked, so a notification that arrives at
// once finds it. Audited: "watch.out" and "watch.remove" (ids, counts and
// types, never a value).
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/common/clock.h"
#include "node/common/ids.h"
#include "node/common/status_macros.h"
#include "node/federation/oprf/oprf_service.h"
#include "node/federation/desk/watch_service.h"
#include "node/store/tables.h"

namespace ifed::admin {
namespace {

constexpr int kMaxWatchValues = 10000;

grpc::Status Err(grpc::StatusCode code, std::string msg) { return grpc::Status(code, msg); }

grpc::Status FromAbsl(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

std::string NewWatchId() {
  unsigned char b[12];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  return "w-" + absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(b), sizeof b));
}

// A watch add or remove sent to `peer`; the peer's answer in `answer`.
grpc::Status SendWatch(query::PeerTransport* transport, const std::string& peer,
                       const ifed::v1::WatchRequest& request, ifed::v1::WatchResponse* answer) {
  absl::StatusOr<ifed::v1::WatchResponse> sent = transport->Watch(peer, request);
  if (!sent.ok()) return FromAbsl(sent.status());
  *answer = std::move(*sent);
  return grpc::Status::OK;
}

absl::Status SaveAudited(store::Store* store, audit::AuditLog* audit,
                         const store::MetaWrites& w, const audit::Event* e) {
  if (audit == nullptr || e == nullptr) return store->CommitMeta(w);
  return audit->Write([&](const audit::AuditLog::EntriesFn& entries) {
    return store->CommitMeta(w, entries(*e));
  });
}

}  // namespace

grpc::Status AdminService::Watches(grpc::ServerContext* ctx,
                                   const ifed::v1::WatchesRequest* request,
                                   ifed::v1::WatchesResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Watches", request->action()); !denied.ok()) return denied;
  const std::string& action = request->action();
  const int64_t now = d_.now();
  if (action == "events") {
    absl::Status s = d_.store->ScanMeta(store::WatchTable::kEvents, [&](const std::string&, const std::string& v) {
      ifed::v1::WatchEventRecord ev;
      if (ev.ParseFromString(v) && ev.received_ms() >= request->since_ms()) {
        *response->add_events() = std::move(ev);
      }
      return true;
    });
    return s.ok() ? grpc::Status::OK : FromAbsl(s);
  }
  if (action == "list") {
    absl::Status s;
    if (request->inbound()) {
      s = d_.store->ScanMeta(store::WatchTable::kInbound, [&](const std::string&, const std::string& v) {
        ifed::v1::InboundWatch w;
        if (!w.ParseFromString(v)) return true;
        for (auto& b : *w.mutable_batches()) {  // counts only, as 32 zero bytes each.
          b.set_pseudonyms(std::string(b.pseudonyms().size(), '\0'));
        }
        *response->add_inbound() = std::move(w);
        return true;
      });
      if (s.ok()) {
        s = d_.store->ScanMeta(store::WatchTable::kRelayed, [&](const std::string&, const std::string& v) {
          ifed::v1::HubWatch w;  // a hub's relayed watches (no pseudonym kept).
          if (w.ParseFromString(v)) *response->add_relayed() = std::move(w);
          return true;
        });
      }
      if (s.ok()) {
        s = d_.store->ScanMeta(store::OutboxTable::kPrefix, [&](const std::string&, const std::string& v) {
          ifed::v1::OutboxEntry e;
          if (e.ParseFromString(v)) {
            if (e.delivery().has_watch()) e.mutable_delivery()->mutable_watch()->clear_pseudonym();
            if (e.delivery().has_followup_answer()) {
              e.mutable_delivery()->mutable_followup_answer()->clear_reply();
            }
            *response->add_outbox() = std::move(e);
          }
          return true;
        });
      }
    } else {
      s = d_.store->ScanMeta(store::WatchTable::kOutbound, [&](const std::string&, const std::string& v) {
        ifed::v1::OutboundWatch w;
        if (!w.ParseFromString(v)) return true;
        w.clear_sealed_items();  // for hits export only; not listed.
        *response->add_watches() = std::move(w);
        return true;
      });
    }
    return s.ok() ? grpc::Status::OK : FromAbsl(s);
  }
  // add / remove: the partners, or the configured hub.
  auto selected = WatchPeers(*request);
  if (!selected.ok()) return FromAbsl(selected.status());
  std::vector<std::string> peers = std::move(*selected);

  if (action == "remove") {
    if (!PrintableId(request->watch_id(), 64, IdSlash::kRefused)) {
      return Err(grpc::StatusCode::INVALID_ARGUMENT, "remove needs --id WATCH_ID");
    }
    // Through a hub, members watched by OPRF ("HUB/MEMBER", held here only)
    // go with it; the hub's own row only if it holds a keyed part.
    std::vector<std::string> targets;
    for (const std::string& peer : peers) {
      if (!d_.peers->IsHub(peer)) {
        targets.push_back(peer);
        continue;
      }
      std::vector<std::string> members;
      const std::string prefix = store::WatchTable::OutboundPrefix(peer);
      const std::string suffix = absl::StrCat("/", request->watch_id());
      absl::Status scan = d_.store->ScanMeta(prefix, [&](const std::string& k, const std::string&) {
        const std::string rest = k.substr(prefix.size());  // MEMBER/ID or ID
        if (rest.size() > suffix.size() && absl::EndsWith(rest, suffix)) {
          const std::string member = rest.substr(0, rest.size() - suffix.size());
          if (member.find('/') == std::string::npos) members.push_back(member);
        }
        return true;
      });
      if (!scan.ok()) return FromAbsl(scan);
      if (members.empty() ||
          d_.store->GetMeta(store::WatchTable::OutboundKey(peer, request->watch_id())).ok()) {
        targets.push_back(peer);
      }
      for (const std::string& m : members) targets.push_back(absl::StrCat(peer, "/", m));
    }
    for (const std::string& peer : targets) {
      const std::string key = store::WatchTable::OutboundKey(peer, request->watch_id());
      auto* pr = response->add_peers();
      pr->set_peer(peer);
      auto held = d_.store->GetMeta(key);
      ifed::v1::OutboundWatch mine;
      if (!held.ok() || !mine.ParseFromString(*held)) {
        pr->set_code(grpc::StatusCode::NOT_FOUND);
        pr->set_message("no such watch with this peer");
        continue;
      }
      pr->mutable_answer()->set_watch_id(request->watch_id());
      grpc::Status s;  // an oprf watch is held here only.
      if (mine.scheme() != "oprf") {
        ifed::v1::WatchRequest wire;
        wire.set_watch_id(request->watch_id());
        wire.set_action(ifed::v1::WATCH_REMOVE);
        s = SendWatch(transport_, peer, wire, pr->mutable_answer());
      }
      pr->set_code(s.error_code());
      pr->set_message(s.error_message());
      if (!s.ok() && s.error_code() != grpc::StatusCode::NOT_FOUND) continue;  // still held there.
      if (s.ok() && pr->answer().members_size() > 0) {  // through a hub: per member.
        std::vector<std::string> left;
        for (const auto& m : pr->answer().members()) {
          if (m.status() != ifed::v1::MEMBER_ANSWERED) left.push_back(m.member());
        }
        if (!left.empty()) {  // kept here too, so that `remove` can be asked again.
          *mine.mutable_members() = pr->answer().members();
          mine.set_state("removing");
          store::MetaWrites w;
          w.puts.emplace_back(key, mine.SerializeAsString());
          audit::Event e;
          e.action = "watch.remove";
          e.actor = LocalActor(ctx);
          e.outcome = "error";  // not held any more by some members only.
          e.Set("peer", peer).Set("watch_id", request->watch_id())
              .Set("still_held_by", absl::StrJoin(left, ","));
          if (absl::Status a = SaveAudited(d_.store, d_.audit, w, &e); !a.ok()) return FromAbsl(a);
          pr->set_code(grpc::StatusCode::UNAVAILABLE);
          pr->set_message(absl::StrCat("still held by ", absl::StrJoin(left, ","),
                                       ": run watch remove again"));
          continue;
        }
      }
      store::MetaWrites w;
      w.deletes.push_back(key);
      audit::Event e;
      e.action = "watch.remove";
      e.actor = LocalActor(ctx);
      e.outcome = "ok";
      e.Set("peer", peer).Set("watch_id", request->watch_id());
      if (absl::Status a = SaveAudited(d_.store, d_.audit, w, &e); !a.ok()) return FromAbsl(a);
      pr->set_code(grpc::StatusCode::OK);
    }
    return grpc::Status::OK;
  }
  if (action != "add") {
    return Err(grpc::StatusCode::INVALID_ARGUMENT, "action is one of add, list, remove, events");
  }
  if (request->values_size() == 0 || request->values_size() > kMaxWatchValues) {
    return Err(grpc::StatusCode::INVALID_ARGUMENT,
               absl::StrCat("between 1 and ", kMaxWatchValues, " values per watch"));
  }
  if (request->until() != 0 && request->until() <= now) {
    return Err(grpc::StatusCode::INVALID_ARGUMENT, "--until is not in the future");
  }
  // Normalise and pseudonymise every value; one bad value refuses the watch.
  ifed::v1::WatchRequest wire;
  wire.set_watch_id(NewWatchId());
  wire.set_action(ifed::v1::WATCH_ADD);
  wire.set_canon_version(normalize::kCanonicalVersion);
  wire.set_purpose(request->purpose() == ifed::v1::PURPOSE_UNSPECIFIED ? ifed::v1::MIGRANT_SMUGGLING
                                                                      : request->purpose());
  if (d_.keys == nullptr) return NoFederationKey();
  wire.set_epoch(d_.keys->current_epoch());
  wire.set_until(request->until());
  std::map<int, ifed::v1::PseudonymBatch*> batches;
  std::set<std::string> seen;
  std::vector<std::string> oprf_inputs;  // for partners of the oprf scheme.
  std::vector<ifed::v1::IndicatorType> oprf_types;
  std::map<std::string, std::string> sealed_items;  // hex pseudonym -> sealed value.
  normalize::Options options;
  options.default_region = request->region();
  for (int i = 0; i < request->values_size(); ++i) {
    auto c = d_.normalizer->Normalize(static_cast<IndicatorType>(request->type()),
                                      request->values(i), options);
    if (!c.ok()) {
      response->add_errors(absl::StrCat("value ", i + 1, ": ", c.status().message()));
      continue;
    }
    if (const std::string* warning = c->AnyWarning()) {
      response->add_errors(absl::StrCat("value ", i + 1, ": on the normalisation warning list: ",
                                        *warning));
      continue;
    }
    // The value and every form derived from it are watched (a wa.me
    // link's phone, an address's provider mailbox), as match asks them.
    std::vector<const normalize::Canonical*> forms = {&*c};
    for (const normalize::Canonical& d : c->derived) forms.push_back(&d);
    for (const normalize::Canonical* f : forms) {
      auto p = d_.keys->Pseudonymize(wire.epoch(), f->type, f->value);
      if (!p.ok()) return Err(grpc::StatusCode::INTERNAL, "pseudonymisation failed");
      std::string bytes(p->begin(), p->end());
      if (!seen.insert(absl::StrCat(static_cast<int>(f->type), ":", bytes)).second) continue;
      const std::string hex = absl::BytesToHexString(bytes);
      auto sealed = d_.sealer->Seal(f->value, absl::StrCat("watch-item/", wire.watch_id(), "/", hex));
      if (!sealed.ok()) return Err(grpc::StatusCode::INTERNAL, "sealing failed");
      sealed_items[hex] = std::move(*sealed);
      oprf_inputs.push_back(federation::OprfInput(f->type, f->value));
      oprf_types.push_back(static_cast<ifed::v1::IndicatorType>(f->type));
      auto*& b = batches[static_cast<int>(f->type)];
      if (b == nullptr) {
        b = wire.add_batches();
        b->set_type(static_cast<ifed::v1::IndicatorType>(f->type));
      }
      b->mutable_pseudonyms()->append(bytes);
    }
  }
  if (response->errors_size() > 0) {
    return Err(grpc::StatusCode::INVALID_ARGUMENT,
               absl::StrCat(response->errors_size(), " value(s) refused; nothing watched: ",
                            response->errors(0)));
  }
  if (wire.watch_id().empty()) return Err(grpc::StatusCode::INTERNAL, "no randomness");
  const std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  for (const std::string& peer : peers) {
    auto* pr = response->add_peers();
    pr->set_peer(peer);
    if (policy->Find(peer, policy::Direction::kOutbound, now) == nullptr) {
      pr->set_code(grpc::StatusCode::PERMISSION_DENIED);
      pr->set_message(absl::StrCat("our policy has no outbound rule for ", peer));
      continue;
    }
    if (matcher_->UsesOprf(peer)) {
      if (absl::Status a = AddOprfWatch(ctx, peer, wire, oprf_inputs, oprf_types, now, pr,
                                        response);
          !a.ok()) {
        return FromAbsl(a);
      }
      continue;
    }
    ifed::v1::OutboundWatch mine;
    mine.set_peer(peer);
    mine.set_watch_id(wire.watch_id());
    mine.set_purpose(wire.purpose());
    for (const auto& b : wire.batches()) {
      mine.add_types(b.type());
      mine.set_items(mine.items() + b.pseudonyms().size() / 32);
    }
    mine.set_created(now);
    mine.set_until(wire.until());
    mine.set_state("pending");
    for (const auto& [hex, sealed] : sealed_items) (*mine.mutable_sealed_items())[hex] = sealed;
    const std::string key = store::WatchTable::OutboundKey(peer, wire.watch_id());
    store::MetaWrites held;
    held.puts.emplace_back(key, mine.SerializeAsString());
    if (absl::Status a = d_.store->CommitMeta(held); !a.ok()) return FromAbsl(a);
    const bool hub = d_.peers->IsHub(peer);
    ifed::v1::WatchRequest to_peer = wire;
    if (hub) {
      *to_peer.mutable_jurisdictions() = request->jurisdictions();
      // Members whose filter this node holds through the hub are watched
      // here with the OPRF scheme (they learn nothing); the hub skips them.
      const std::vector<std::string> jurisdictions(request->jurisdictions().begin(),
                                                   request->jurisdictions().end());
      for (const std::string& member : matcher_->OprfMembersThroughHub(peer, jurisdictions)) {
        auto* opr = response->add_peers();
        opr->set_peer(absl::StrCat(peer, "/", member));
        if (absl::Status a = AddOprfWatch(ctx, opr->peer(), wire, oprf_inputs, oprf_types, now,
                                          opr, response);
            !a.ok()) {
          return FromAbsl(a);
        }
        if (opr->code() == grpc::StatusCode::OK) to_peer.add_skip_members(member);
      }
      // Signed for the members the hub asks: each verifies it (relay_auth.h).
      matcher_->SignForHub(peer, query::RelayedRpc::kWatch, to_peer.purpose(), jurisdictions,
                           {to_peer.skip_members().begin(), to_peer.skip_members().end()},
                           absl::StrCat("watch ", wire.watch_id()), &to_peer);
    }
    grpc::Status s = SendWatch(transport_, peer, to_peer, pr->mutable_answer());
    // Through a hub whose every member asked is watched by OPRF here: the
    // hub holds no keyed part, and nothing is wrong.
    bool oprf_only = false;
    if (s.ok() && (hub || pr->answer().members_size() > 0)) {
      // Through a hub: active when at least one member holds it.
      *mine.mutable_members() = pr->answer().members();
      int held = 0;
      for (const auto& m : pr->answer().members()) held += m.status() == ifed::v1::MEMBER_ANSWERED;
      oprf_only = held == 0 && pr->answer().members_size() == 0 && to_peer.skip_members_size() > 0;
      if (held == 0 && !oprf_only) {
        s = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                         absl::StrCat("no member of hub ", peer, " holds the watch"));
      }
    }
    if (oprf_only) {
      pr->set_code(grpc::StatusCode::OK);
      pr->set_message("no keyed part: every member asked is watched by OPRF through the hub");
      store::MetaWrites none;
      none.deletes.push_back(key);
      if (absl::Status a = d_.store->CommitMeta(none); !a.ok()) return FromAbsl(a);
      continue;
    }
    pr->set_code(s.error_code());
    pr->set_message(s.error_message());
    audit::Event e;
    e.action = "watch.out";
    e.actor = LocalActor(ctx);
    e.outcome = s.ok() ? "ok" : "refused";
    e.Set("peer", peer).Set("watch_id", wire.watch_id())
        .Set("items", static_cast<int64_t>(mine.items()))
        .Set("purpose", ifed::v1::Purpose_Name(wire.purpose()));
    if (!s.ok()) e.Set("code", static_cast<int64_t>(s.error_code()));
    if (mine.members_size() > 0) {
      std::vector<std::string> held;
      for (const auto& m : mine.members()) {
        if (m.status() == ifed::v1::MEMBER_ANSWERED) held.push_back(m.member());
      }
      e.Set("members", absl::StrJoin(held, ","));
    }
    store::MetaWrites w;
    if (s.ok()) {
      mine.set_state("active");
      mine.set_until(pr->answer().until());
      w.puts.emplace_back(key, mine.SerializeAsString());
      *response->add_watches() = mine;
    } else {
      w.deletes.push_back(key);
    }
    if (absl::Status a = SaveAudited(d_.store, d_.audit, w, &e); !a.ok()) return FromAbsl(a);
  }
  return grpc::Status::OK;
}

absl::StatusOr<std::vector<std::string>> AdminService::WatchPeers(
    const ifed::v1::WatchesRequest& request) const {
  for (const std::string& j : request.jurisdictions()) {
    if (j.size() != 2 || !std::isupper(static_cast<unsigned char>(j[0])) ||
        !std::isupper(static_cast<unsigned char>(j[1]))) {
      return absl::InvalidArgumentError(
          "--jurisdiction takes an ISO 3166-1 alpha-2 code, e.g. AT");
    }
  }
  if (!request.hub()) {
    if (request.jurisdictions_size() > 0) {
      bool hubs_only = !request.all() && request.peers_size() > 0;
      for (const std::string& p : request.peers()) hubs_only = hubs_only && d_.peers->IsHub(p);
      if (!hubs_only) {
        return absl::InvalidArgumentError("--jurisdiction picks members of a hub: use it with --hub");
      }
    }
    auto selected = SelectPeers(request.all(), request.peers());
    if (!selected.ok()) return absl::InvalidArgumentError(selected.status().message());
    return selected;
  }
  if (request.all() || request.peers_size() > 0) {
    return absl::InvalidArgumentError("--hub goes without --peer and --all");
  }
  std::vector<std::string> hubs = d_.peers->Hubs();
  if (hubs.empty()) {
    return absl::FailedPreconditionError(
        "--hub: no hub configured (mark the hub's entry under peers: with `role: hub` in this "
        "node's config)");
  }
  return hubs;
}

absl::Status AdminService::AddOprfWatch(grpc::ServerContext* ctx, const std::string& peer,
                                        const ifed::v1::WatchRequest& wire,
                                        const std::vector<std::string>& inputs,
                                        const std::vector<ifed::v1::IndicatorType>& types,
                                        int64_t now, ifed::v1::WatchPeerResult* pr,
                                        ifed::v1::WatchesResponse* response) {
  if (d_.oprf == nullptr) {
    pr->set_code(grpc::StatusCode::FAILED_PRECONDITION);
    pr->set_message("OPRF is not set up on this node");
    return absl::OkStatus();
  }
  // The partner evaluates blinded elements (it learns how many, nothing
  // else) and keeps nothing: the outputs stay here.
  ifed::v1::OprfEvaluateRequest req;
  req.set_request_id(NewWatchId());  // not the watch id: the partner cannot link them.
  req.set_purpose(wire.purpose());
  req.set_canon_version(normalize::kCanonicalVersion);
  // A member through the hub ("HUB/MEMBER"): the call names it for the hub.
  auto answer = d_.oprf->Query(peer, inputs, req, matcher_->EvaluateAt(peer));
  audit::Event e;
  e.action = "watch.out";
  e.actor = LocalActor(ctx);
  e.outcome = answer.ok() ? "ok" : "refused";
  e.Set("peer", peer).Set("watch_id", wire.watch_id()).Set("scheme", "oprf")
      .Set("items", static_cast<int64_t>(inputs.size()))
      .Set("purpose", ifed::v1::Purpose_Name(wire.purpose()));
  store::MetaWrites w;
  if (!answer.ok()) {
    pr->set_code(static_cast<int>(answer.status().code()));
    pr->set_message(std::string(answer.status().message()));
    e.Set("code", static_cast<int64_t>(answer.status().code()));
    return SaveAudited(d_.store, d_.audit, w, &e);
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
    mine.add_item_types(types[i]);
    mine.add_present(answer->hit[i]);  // already held: a standing query tells what comes later.
    if (distinct.insert(types[i]).second) mine.add_types(types[i]);
  }
  mine.set_items(static_cast<uint32_t>(inputs.size()));
  mine.set_created(now);
  mine.set_until(wire.until());
  mine.set_state("active");
  w.puts.emplace_back(store::WatchTable::OutboundKey(peer, wire.watch_id()), mine.SerializeAsString());
  IFED_RETURN_IF_ERROR(SaveAudited(d_.store, d_.audit, w, &e));
  pr->set_code(grpc::StatusCode::OK);
  pr->mutable_answer()->set_watch_id(wire.watch_id());
  pr->mutable_answer()->set_items(mine.items());
  pr->mutable_answer()->set_until(mine.until());
  mine.clear_oprf_outputs();
  mine.clear_sealed_items();  // for hits export only; not listed.
  *response->add_watches() = std::move(mine);
  return absl::OkStatus();
}

absl::Status AdminService::CheckOprfWatches(const std::string& peer) {
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
    IFED_RETURN_IF_ERROR(SaveAudited(d_.store, d_.audit, writes, &e));
    spdlog::info("oprf watch {} at {}: {} new, {} gone since the last filter", w.watch_id(), peer,
                 hits, gone);
  }
  return absl::OkStatus();
}

}  // namespace ifed::admin
