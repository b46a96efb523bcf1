// Issue 10: standing queries over the admin socket. "add" normalises and
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
#include "absl/strings/str_cat.h"
#include "node/admin/service.h"
#include "node/federation/watch_service.h"

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
  const std::string& action = request->action();
  const int64_t now = d_.now();
  if (action == "events") {
    absl::Status s = d_.store->ScanMeta("watch/ev/", [&](const std::string&, const std::string& v) {
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
      s = d_.store->ScanMeta("watch/in/w/", [&](const std::string&, const std::string& v) {
        ifed::v1::InboundWatch w;
        if (!w.ParseFromString(v)) return true;
        for (auto& b : *w.mutable_batches()) {  // counts only, as 32 zero bytes each.
          b.set_pseudonyms(std::string(b.pseudonyms().size(), '\0'));
        }
        *response->add_inbound() = std::move(w);
        return true;
      });
      if (s.ok()) {
        s = d_.store->ScanMeta("outbox/", [&](const std::string&, const std::string& v) {
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
      s = d_.store->ScanMeta("watch/out/", [&](const std::string&, const std::string& v) {
        ifed::v1::OutboundWatch w;
        if (w.ParseFromString(v)) *response->add_watches() = std::move(w);
        return true;
      });
    }
    return s.ok() ? grpc::Status::OK : FromAbsl(s);
  }
  // add / remove: the partners.
  std::vector<std::string> peers;
  if (request->all()) {
    for (const auto& [id, addr] : d_.peers->peers()) peers.push_back(id);
  } else {
    for (const std::string& p : request->peers()) {
      if (!d_.peers->Has(p)) {
        return Err(grpc::StatusCode::INVALID_ARGUMENT, absl::StrCat("unknown peer '", p, "'"));
      }
      peers.push_back(p);
    }
  }
  if (peers.empty()) return Err(grpc::StatusCode::INVALID_ARGUMENT, "no peer (--peer ID or --all)");

  if (action == "remove") {
    if (!federation::PrintableId(request->watch_id(), 64)) {
      return Err(grpc::StatusCode::INVALID_ARGUMENT, "remove needs --id WATCH_ID");
    }
    for (const std::string& peer : peers) {
      const std::string key = federation::OutboundWatchKey(peer, request->watch_id());
      auto* pr = response->add_peers();
      pr->set_peer(peer);
      if (!d_.store->GetMeta(key).ok()) {
        pr->set_code(grpc::StatusCode::NOT_FOUND);
        pr->set_message("no such watch with this peer");
        continue;
      }
      ifed::v1::WatchRequest wire;
      wire.set_watch_id(request->watch_id());
      wire.set_action(ifed::v1::WATCH_REMOVE);
      grpc::ClientContext call;
      call.set_deadline(std::chrono::system_clock::now() + d_.peers->timeout());
      grpc::Status s = d_.peers->StubOf(peer)->Watch(&call, wire, pr->mutable_answer());
      pr->set_code(s.error_code());
      pr->set_message(s.error_message());
      if (!s.ok() && s.error_code() != grpc::StatusCode::NOT_FOUND) continue;  // still held there.
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
  wire.set_purpose(request->purpose() == ifed::v1::PURPOSE_UNSPECIFIED ? ifed::v1::MIGRANT_SMUGGLING
                                                                      : request->purpose());
  wire.set_epoch(d_.keys->current_epoch());
  wire.set_until(request->until());
  std::map<int, ifed::v1::PseudonymBatch*> batches;
  std::set<std::string> seen;
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
    auto p = d_.keys->Pseudonymize(wire.epoch(), c->type, c->value);
    if (!p.ok()) return Err(grpc::StatusCode::INTERNAL, "pseudonymisation failed");
    std::string bytes(p->begin(), p->end());
    if (!seen.insert(absl::StrCat(static_cast<int>(c->type), ":", bytes)).second) continue;
    auto*& b = batches[static_cast<int>(c->type)];
    if (b == nullptr) {
      b = wire.add_batches();
      b->set_type(static_cast<ifed::v1::IndicatorType>(c->type));
    }
    b->mutable_pseudonyms()->append(bytes);
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
    const std::string key = federation::OutboundWatchKey(peer, wire.watch_id());
    store::MetaWrites held;
    held.puts.emplace_back(key, mine.SerializeAsString());
    if (absl::Status a = d_.store->CommitMeta(held); !a.ok()) return FromAbsl(a);
    grpc::ClientContext call;
    call.set_deadline(std::chrono::system_clock::now() + d_.peers->timeout());
    grpc::Status s = d_.peers->StubOf(peer)->Watch(&call, wire, pr->mutable_answer());
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

}  // namespace ifed::admin
