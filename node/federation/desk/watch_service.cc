#include "node/federation/desk/watch_service.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/common/clock.h"
#include "node/common/ids.h"
#include "node/common/status_macros.h"
#include "node/federation/desk/followup_service.h"
#include "node/policy/purpose.h"

namespace ifed::federation {
namespace {

constexpr size_t kPseudonymSize = 32;
using store::WatchTable;

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

template <typename F>
void ForEachItem(const ifed::v1::WatchRequest& r, F f) {
  for (const auto& b : r.batches()) {
    for (size_t off = 0; off + kPseudonymSize <= b.pseudonyms().size(); off += kPseudonymSize) {
      f(b.type(), absl::string_view(b.pseudonyms()).substr(off, kPseudonymSize));
    }
  }
}

uint32_t ItemsOf(const ifed::v1::InboundWatch& w) {
  uint32_t n = 0;
  for (const auto& b : w.batches()) n += b.pseudonyms().size() / kPseudonymSize;
  return n;
}

}  // namespace

absl::Status AuditRefusal(audit::AuditLog* audit, const audit::Event& e, absl::Status s,
                          const std::string& reason) {
  if (audit != nullptr) {
    audit::Event r = e;
    r.outcome = "refused";
    r.Set("reason", reason);
    IFED_RETURN_IF_ERROR(audit->Append(r));
  }
  return s;
}

absl::Status CommitAudited(store::Store* store, audit::AuditLog* audit,
                           const store::MetaWrites& w, const audit::Event& e) {
  if (audit == nullptr) return store->CommitMeta(w);
  return audit->Write([&](const audit::AuditLog::EntriesFn& entries) {
    return store->CommitMeta(w, entries(e));
  });
}

std::string NewDeliveryId(const std::string& node_id) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  return absl::StrCat(node_id, "-", Hex(absl::string_view(reinterpret_cast<char*>(b), sizeof b)));
}

ifed::v1::OutboxEntry MakeOutboxEntry(const std::string& peer, ifed::v1::Delivery delivery,
                                      int64_t now_ms) {
  ifed::v1::OutboxEntry e;
  e.set_peer(peer);
  *e.mutable_delivery() = std::move(delivery);
  e.set_created_ms(now_ms);
  e.set_next_attempt_ms(now_ms);
  return e;
}

absl::StatusOr<uint32_t> CheckWatchShape(const ifed::v1::WatchRequest& request, int64_t now,
                                         std::vector<ifed::v1::IndicatorType>* types) {
  uint32_t items = 0;
  for (const auto& b : request.batches()) {
    if (b.pseudonyms().empty() || b.pseudonyms().size() % kPseudonymSize != 0) {
      return absl::InvalidArgumentError("pseudonyms are packed 32-byte values");
    }
    if (!ifed::v1::IndicatorType_IsValid(b.type()) ||
        b.type() == ifed::v1::INDICATOR_TYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError("unknown indicator type");
    }
    if (std::find(types->begin(), types->end(), b.type()) == types->end()) {
      types->push_back(b.type());
    }
    items += b.pseudonyms().size() / kPseudonymSize;
  }
  if (items == 0) return absl::InvalidArgumentError("empty watch");
  if (request.until() != 0 && request.until() <= now) {
    return absl::InvalidArgumentError("until is not in the future");
  }
  return items;
}

absl::Status WatchDesk::Remove(const std::string& peer, const std::string& key,
                               ifed::v1::WatchResponse* response, audit::Event* e) const {
  auto value = d_.store->GetMeta(key);
  if (!value.ok()) {
    return absl::IsNotFound(value.status()) ? absl::NotFoundError("no such watch") : value.status();
  }
  ifed::v1::InboundWatch w;
  if (!w.ParseFromString(*value)) return absl::DataLossError("watch entry does not parse");
  store::MetaWrites writes;
  writes.deletes.push_back(key);
  ifed::v1::WatchRequest as_request;
  *as_request.mutable_batches() = w.batches();
  ForEachItem(as_request, [&](ifed::v1::IndicatorType, absl::string_view p) {
    writes.deletes.push_back(WatchTable::IndexKey(w.epoch(), p, peer, w.watch_id()));
  });
  e->action = "watch.remove";
  e->Set("items", static_cast<int64_t>(ItemsOf(w)));
  IFED_RETURN_IF_ERROR(CommitAudited(d_.store, d_.audit, writes, *e));
  response->set_watch_id(w.watch_id());
  spdlog::info("watch {} of {} removed", w.watch_id(), peer);
  return absl::OkStatus();
}

absl::Status WatchDesk::Handle(const std::string& peer, const ifed::v1::WatchRequest& request,
                               ifed::v1::WatchResponse* response,
                               const std::string& on_behalf_of) const {
  if (!PrintableId(request.watch_id(), 64, IdSlash::kRefused)) {
    return absl::InvalidArgumentError("watch_id must be 1-64 printable ASCII characters, no '/'");
  }
  const int64_t now = d_.now();
  const std::string key = WatchTable::InboundKey(peer, request.watch_id());
  audit::Event e;
  e.actor = "peer:" + peer;
  e.outcome = "ok";
  if (!on_behalf_of.empty()) e.Set("on_behalf_of", "peer:" + on_behalf_of);
  e.Set("watch_id", request.watch_id());
  if (request.action() == ifed::v1::WATCH_REMOVE) return Remove(peer, key, response, &e);
  if (request.action() != ifed::v1::WATCH_ADD) {
    return absl::InvalidArgumentError("unknown watch action");
  }
  // Shape first: packed 32-byte pseudonyms of known types.
  std::vector<ifed::v1::IndicatorType> types;
  IFED_ASSIGN_OR_RETURN(const uint32_t items, CheckWatchShape(request, now, &types));
  std::sort(types.begin(), types.end());
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  policy::Query q;
  q.partner = on_behalf_of.empty() ? peer : on_behalf_of;
  q.direction = policy::Direction::kInbound;
  q.purpose = request.purpose();
  q.types = std::move(types);
  q.items = items;
  q.now = now;
  // Placed through the hub `peer`: under both rules (policy::DecideRelayed).
  policy::Decision decision;
  policy::RelayedDecision relayed;
  if (on_behalf_of.empty()) {
    decision = policy.get()->Decide(q);
  } else {
    relayed = policy::DecideRelayed(*policy, q, peer);
    decision = {relayed.status, &relayed.rule, relayed.reason};
  }
  e.action = "watch.in";
  e.Set("items", static_cast<int64_t>(items))
      .Set("purpose", ifed::v1::Purpose_Name(ifed::v1::Purpose_IsValid(request.purpose())
                                                 ? request.purpose()
                                                 : ifed::v1::PURPOSE_UNSPECIFIED))
      .Set("policy", policy->version());
  auto refuse = [&](absl::Status s, const std::string& reason) -> absl::Status {
    spdlog::info("watch {} from {} refused: {}", request.watch_id(), peer, reason);
    return AuditRefusal(d_.audit, e, std::move(s), reason);
  };
  // A purpose belongs to its call, whatever the rule lists.
  if (absl::Status s = policy::CheckPurpose(policy::Call::kWatch, request.purpose()); !s.ok()) {
    return refuse(s, std::string(s.message()));
  }
  if (!decision.status.ok()) return refuse(decision.status, decision.reason);
  const ifed::v1::Rule& rule = decision.rule->rule;
  if (!rule.watches().allowed()) {
    return refuse(absl::PermissionDeniedError("watches are not allowed for this partner"),
                  "watches.allowed is false");
  }
  // Idempotent: the same watch again answers what is held.
  uint32_t active = 0;
  bool exists = false;
  IFED_RETURN_IF_ERROR(d_.store->ScanMeta(absl::StrCat(WatchTable::kInbound, peer, "/"),
                                          [&](const std::string& k, const std::string& v) {
                                            ifed::v1::InboundWatch w;
                                            if (!w.ParseFromString(v) || w.until() <= now)
                                              return true;
                                            if (k == key) exists = true;
                                            active += ItemsOf(w);
                                            return true;
                                          }));
  const uint32_t max_active = rule.watches().max_active();
  response->set_watch_id(request.watch_id());
  response->set_max_active(max_active);
  if (exists) {
    response->set_items(items);
    response->set_active(active);
    return absl::OkStatus();
  }
  if (active + items > max_active) {
    return refuse(absl::ResourceExhaustedError(absl::StrCat(
                      "watch limit reached: ", active, " held, ", items, " asked, max ",
                      max_active)),
                  "watches.max_active");
  }
  const int64_t keep = now + int64_t{rule.query_retention_days()} * 86400;
  const int64_t until = request.until() == 0 ? keep : std::min(request.until(), keep);
  ifed::v1::InboundWatch w;
  w.set_peer(peer);
  w.set_on_behalf_of(on_behalf_of);
  w.set_watch_id(request.watch_id());
  w.set_purpose(request.purpose());
  w.set_epoch(request.epoch());
  *w.mutable_batches() = request.batches();
  w.set_created(now);
  w.set_until(until);
  // Notifications carry the querier's own reference tokens.
  if (!on_behalf_of.empty()) w.set_reference_for(on_behalf_of);
  store::MetaWrites writes;
  writes.puts.emplace_back(key, w.SerializeAsString());
  ForEachItem(request, [&](ifed::v1::IndicatorType t, absl::string_view p) {
    writes.puts.emplace_back(WatchTable::IndexKey(request.epoch(), p, peer, request.watch_id()),
                             std::to_string(static_cast<int>(t)));
  });
  e.Set("until", until);
  IFED_RETURN_IF_ERROR(CommitAudited(d_.store, d_.audit, writes, e));
  response->set_items(items);
  response->set_active(active + items);
  response->set_until(until);
  spdlog::info("watch {} from {}: {} pseudonyms held until {}", request.watch_id(), peer, items,
               until);
  return absl::OkStatus();
}

absl::StatusOr<store::MetaWrites> WatchDesk::OnIngest(
    const std::vector<const ifed::v1::Record*>& fresh,
    const std::vector<const std::string*>& sealed) const {
  store::MetaWrites out;
  const int64_t now = d_.now();
  std::shared_ptr<const policy::Policy> policy;
  std::map<std::string, ifed::v1::InboundWatch> watches;  // touched, by key.
  bool any_watch = false;  // most nodes hold none: skip the alias work then.
  IFED_RETURN_IF_ERROR(
      d_.store->ScanMeta(WatchTable::kIndex, [&](const std::string&, const std::string&) {
        any_watch = true;
        return false;
      }));
  if (!any_watch) return out;
  for (size_t i = 0; i < fresh.size(); ++i) {
    const ifed::v1::Record* r = fresh[i];
    // The record under its own epoch, and under every other epoch still
    // held (a rotation's overlap): a watch was made under one of them.
    std::vector<std::pair<uint32_t, std::string>> forms = {{r->epoch(), r->pseudonym()}};
    if (d_.aliases && i < sealed.size() && sealed[i] != nullptr) {
      IFED_ASSIGN_OR_RETURN(auto aliases, d_.aliases(*r, *sealed[i]));
      for (const auto& [epoch, p] : aliases) {
        forms.emplace_back(epoch, std::string(p.begin(), p.end()));
      }
    }
    // (peer, watch id) -> the form it was watched under.
    std::map<std::pair<std::string, std::string>, std::pair<uint32_t, std::string>> hits;
    for (const auto& form : forms) {  // (not a structured binding: the lambda captures it)
      const std::string prefix = WatchTable::IndexPrefix(form.first, form.second);
      IFED_RETURN_IF_ERROR(d_.store->ScanMeta(prefix, [&](const std::string& k,
                                                         const std::string& v) {
        if (v != std::to_string(static_cast<int>(r->type()))) return true;
        const std::string rest = k.substr(prefix.size());
        const size_t slash = rest.find('/');
        if (slash != std::string::npos) {
          hits.try_emplace({rest.substr(0, slash), rest.substr(slash + 1)}, form);
        }
        return true;
      }));
    }
    for (const auto& [who, form] : hits) {
      const auto& [peer, watch_id] = who;
      const std::string wkey = WatchTable::InboundKey(peer, watch_id);
      auto it = watches.find(wkey);
      if (it == watches.end()) {
        auto v = d_.store->GetMeta(wkey);
        if (absl::IsNotFound(v.status())) continue;
        IFED_RETURN_IF_ERROR(v.status());
        ifed::v1::InboundWatch w;
        if (!w.ParseFromString(*v)) return absl::DataLossError("watch entry does not parse");
        it = watches.emplace(wkey, std::move(w)).first;
      }
      ifed::v1::InboundWatch& w = it->second;
      if (w.until() <= now || w.suspended()) continue;
      if (!policy) policy = d_.policy->Get();
      const policy::EffectiveRule* rule = policy->Find(peer, policy::Direction::kInbound, now);
      // Placed through the hub for a querier: both rules as they stand now.
      policy::EffectiveRule relayed;
      std::vector<std::string> partners = {peer};
      if (rule != nullptr && !w.on_behalf_of().empty()) {
        const policy::EffectiveRule* q =
            policy->Find(w.on_behalf_of(), policy::Direction::kInbound, now);
        if (q == nullptr) continue;
        relayed = policy::IntersectRules(*q, *rule);
        rule = &relayed;
        partners.push_back(w.on_behalf_of());
      }
      // Decided again under the rule as it stands now (a watch outlives no
      // permission): watches, purpose, type, scheme, then the record.
      if (!policy::HeldWatchAllowed(rule, w.purpose(), {r->type()}).ok() ||
          !policy::RecordVisibleToAll(*rule, partners, *r, now)) {
        continue;
      }
      ifed::v1::Delivery d;
      d.set_delivery_id(NewDeliveryId(d_.node_id));
      if (d.delivery_id().empty()) return absl::InternalError("no randomness");
      ifed::v1::WatchNotification* n = d.mutable_watch();
      n->set_watch_id(watch_id);
      n->set_kind(ifed::v1::WATCH_HIT);
      n->set_type(r->type());
      n->set_pseudonym(form.second);  // as the watcher sent it
      n->set_epoch(form.first);
      n->set_observed(now);
      const ifed::v1::Disclosure disclosure = rule->rule.disclosure();
      if (disclosure >= ifed::v1::HIT_WITH_REFERENCE && d_.sealer != nullptr) {
        IFED_ASSIGN_OR_RETURN(
            std::string ref,
            d_.sealer->Reference(w.reference_for().empty() ? peer : w.reference_for(),
                                 r->record_id()));
        n->set_reference(std::move(ref));  // the watcher's own token.
      }
      if (disclosure >= ifed::v1::HIT_WITH_CONTACT) n->set_contact(d_.contact);
      out.puts.emplace_back(store::OutboxTable::Key(peer, d.delivery_id()),
                            MakeOutboxEntry(peer, d, UnixMillisNow()).SerializeAsString());
      // What was told, for a withdrawal when the record goes.
      out.puts.emplace_back(WatchTable::SentKey(r->record_id(), peer, watch_id), n->reference());
      w.set_notified(w.notified() + 1);
      ++out.notices;
    }
  }
  for (const auto& [k, w] : watches) out.puts.emplace_back(k, w.SerializeAsString());
  return out;
}

absl::StatusOr<uint64_t> WatchDesk::Review() const {
  const int64_t now = d_.now();
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  std::vector<ifed::v1::InboundWatch> changed;
  IFED_RETURN_IF_ERROR(d_.store->ScanMeta(WatchTable::kInbound, [&](const std::string&,
                                                                    const std::string& v) {
    ifed::v1::InboundWatch w;
    if (!w.ParseFromString(v) || (w.until() != 0 && w.until() <= now)) return true;
    std::vector<ifed::v1::IndicatorType> types;
    for (const auto& b : w.batches()) types.push_back(b.type());
    // Placed through the hub for a querier: both rules (none for the
    // querier, no watch).
    const policy::EffectiveRule* rule = policy->Find(w.peer(), policy::Direction::kInbound, now);
    policy::EffectiveRule relayed;
    if (rule != nullptr && !w.on_behalf_of().empty()) {
      const policy::EffectiveRule* q =
          policy->Find(w.on_behalf_of(), policy::Direction::kInbound, now);
      if (q == nullptr) {
        rule = nullptr;
      } else {
        relayed = policy::IntersectRules(*q, *rule);
        rule = &relayed;
      }
    }
    const absl::Status allowed = policy::HeldWatchAllowed(rule, w.purpose(), types);
    if (allowed.ok() == !w.suspended()) return true;  // unchanged.
    w.set_suspended(!allowed.ok());
    w.set_suspended_reason(allowed.ok() ? "" : std::string(allowed.message()).substr(0, 256));
    changed.push_back(std::move(w));
    return true;
  }));
  for (const ifed::v1::InboundWatch& w : changed) {
    ifed::v1::Delivery d;
    d.set_delivery_id(NewDeliveryId(d_.node_id));
    if (d.delivery_id().empty()) return absl::InternalError("no randomness");
    ifed::v1::WatchNotification* n = d.mutable_watch();
    n->set_watch_id(w.watch_id());
    n->set_kind(w.suspended() ? ifed::v1::WATCH_SUSPENDED : ifed::v1::WATCH_RESUMED);
    n->set_epoch(w.epoch());
    n->set_observed(now);
    n->set_reason(w.suspended_reason());
    store::MetaWrites writes;
    writes.puts.emplace_back(WatchTable::InboundKey(w.peer(), w.watch_id()), w.SerializeAsString());
    writes.puts.emplace_back(store::OutboxTable::Key(w.peer(), d.delivery_id()),
                             MakeOutboxEntry(w.peer(), d, UnixMillisNow()).SerializeAsString());
    writes.notices = 1;
    audit::Event e;
    e.action = w.suspended() ? "watch.suspend" : "watch.resume";
    e.actor = "node";
    e.outcome = "ok";
    e.Set("peer", w.peer())
        .Set("watch_id", w.watch_id())
        .Set("purpose", ifed::v1::Purpose_Name(w.purpose()))
        .Set("items", static_cast<int64_t>(ItemsOf(w)))
        .Set("policy", policy->version());
    if (w.suspended()) e.Set("reason", w.suspended_reason());
    IFED_RETURN_IF_ERROR(CommitAudited(d_.store, d_.audit, writes, e));
    spdlog::info("watch {} of {} {} under policy {}{}{}", w.watch_id(), w.peer(),
                 w.suspended() ? "suspended" : "resumed", policy->version(),
                 w.suspended() ? ": " : "", w.suspended_reason());
  }
  return changed.size();
}

absl::StatusOr<uint64_t> PurgeExpiredWatches(store::Store* store, audit::AuditLog* audit,
                                             int64_t now) {
  constexpr size_t kBatch = 1000;  // watches per write
  uint64_t total = 0;
  struct Kind {
    const char* prefix;
    const char* name;
  };
  for (const Kind kind :
       {Kind{WatchTable::kInbound, "inbound"}, Kind{WatchTable::kOutbound, "outbound"},
        Kind{WatchTable::kRelayed, "relayed"}}) {
    for (;;) {
      store::MetaWrites writes;
      size_t n = 0;
      IFED_RETURN_IF_ERROR(store->ScanMeta(kind.prefix, [&](const std::string& k,
                                                            const std::string& v) {
        int64_t until = 0;
        if (std::string(kind.prefix) == WatchTable::kInbound) {
          ifed::v1::InboundWatch w;
          if (!w.ParseFromString(v)) return true;
          until = w.until();
          if (until == 0 || until > now) return true;
          ifed::v1::WatchRequest as_request;
          *as_request.mutable_batches() = w.batches();
          ForEachItem(as_request, [&](ifed::v1::IndicatorType, absl::string_view p) {
            writes.deletes.push_back(WatchTable::IndexKey(w.epoch(), p, w.peer(), w.watch_id()));
          });
        } else if (std::string(kind.prefix) == WatchTable::kOutbound) {
          ifed::v1::OutboundWatch w;
          if (!w.ParseFromString(v)) return true;
          until = w.until();
        } else {
          ifed::v1::HubWatch w;
          if (!w.ParseFromString(v)) return true;
          until = w.until();
        }
        if (until == 0 || until > now) return true;
        writes.deletes.push_back(k);
        return ++n < kBatch;
      }));
      if (n == 0) break;
      audit::Event e;
      e.action = "watch.expire";
      e.actor = "node";
      e.outcome = "ok";
      e.Set("kind", kind.name).Set("watches", static_cast<int64_t>(n));
      IFED_RETURN_IF_ERROR(CommitAudited(store, audit, writes, e));
      total += n;
      if (n < kBatch) break;
    }
  }
  return total;
}

absl::StatusOr<store::MetaWrites> WatchDesk::OnRemove(
    const std::vector<ifed::v1::Record>& removed) const {
  store::MetaWrites out;
  const int64_t now = d_.now();
  for (const ifed::v1::Record& r : removed) {
    const std::string prefix = WatchTable::SentPrefix(r.record_id());
    IFED_RETURN_IF_ERROR(d_.store->ScanMeta(prefix, [&](const std::string& k,
                                                       const std::string& reference) {
      const std::string rest = k.substr(prefix.size());
      const size_t slash = rest.find('/');
      if (slash == std::string::npos) return true;
      const std::string peer = rest.substr(0, slash);
      ifed::v1::Delivery d;
      d.set_delivery_id(NewDeliveryId(d_.node_id));
      ifed::v1::WatchNotification* n = d.mutable_watch();
      n->set_watch_id(rest.substr(slash + 1));
      n->set_kind(ifed::v1::WATCH_WITHDRAWN);
      n->set_type(r.type());
      n->set_pseudonym(r.pseudonym());
      n->set_epoch(r.epoch());
      n->set_reference(reference);  // exactly what the hit disclosed.
      n->set_observed(now);
      out.puts.emplace_back(store::OutboxTable::Key(peer, d.delivery_id()),
                            MakeOutboxEntry(peer, d, UnixMillisNow()).SerializeAsString());
      out.deletes.push_back(k);
      ++out.notices;
      return true;
    }));
  }
  return out;
}

absl::Status Inbox::Handle(const std::string& sender, const ifed::v1::DeliverRequest& request,
                           ifed::v1::DeliverResponse* response) {
  if (request.deliveries_size() > 1000) {
    return absl::InvalidArgumentError("at most 1000 deliveries per call");
  }
  for (const ifed::v1::Delivery& d : request.deliveries()) {
    IFED_ASSIGN_OR_RETURN(absl::StatusCode code, One(sender, d));
    response->add_codes(static_cast<int>(code));
  }
  if (ack_delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ack_delay_ms_));
  return absl::OkStatus();
}

absl::StatusOr<absl::StatusCode> Inbox::One(const std::string& sender,
                                            const ifed::v1::Delivery& d) {
  if (!PrintableId(d.delivery_id(), 128, IdSlash::kRefused))
    return absl::StatusCode::kInvalidArgument;
  std::lock_guard<std::mutex> l(mu_);
  const std::string rx = WatchTable::ReceivedKey(sender, d.delivery_id());
  if (d_.store->GetMeta(rx).ok()) return absl::StatusCode::kOk;  // seen: acknowledge again.
  const int64_t now_ms = UnixMillisNow();
  store::MetaWrites writes;
  writes.puts.emplace_back(rx, std::to_string(now_ms));
  audit::Event e;
  e.actor = "peer:" + sender;
  e.outcome = "ok";
  e.Set("delivery_id", d.delivery_id());
  if (d.has_watch()) {
    const ifed::v1::WatchNotification& n = d.watch();
    const bool state_change =
        n.kind() == ifed::v1::WATCH_SUSPENDED || n.kind() == ifed::v1::WATCH_RESUMED;
    if (!PrintableId(n.watch_id(), 64, IdSlash::kRefused) ||
        (state_change ? !n.pseudonym().empty() || !n.reference().empty()
                      : n.pseudonym().size() != kPseudonymSize) ||
        (n.kind() != ifed::v1::WATCH_HIT && n.kind() != ifed::v1::WATCH_WITHDRAWN &&
         !state_change) ||
        n.reference().size() > 64 || n.contact().size() > 256 || n.reason().size() > 256 ||
        (!n.member().empty() && !PrintableId(n.member(), 64, IdSlash::kRefused))) {
      return absl::StatusCode::kInvalidArgument;
    }
    auto watch = d_.store->GetMeta(WatchTable::OutboundKey(sender, n.watch_id()));
    if (absl::IsNotFound(watch.status())) return absl::StatusCode::kNotFound;
    IFED_RETURN_IF_ERROR(watch.status());
    // Suspended or resumed by the responder: `watch list` shows it.
    if (state_change && n.member().empty()) {
      ifed::v1::OutboundWatch mine;
      if (!mine.ParseFromString(*watch)) return absl::DataLossError("watch entry does not parse");
      const bool suspend = n.kind() == ifed::v1::WATCH_SUSPENDED;
      if (suspend || mine.state() == "suspended") {
        mine.set_state(suspend ? "suspended" : "active");
        mine.set_suspended_reason(suspend ? n.reason() : "");
        writes.puts.emplace_back(WatchTable::OutboundKey(sender, n.watch_id()),
                                 mine.SerializeAsString());
      }
    }
    ifed::v1::WatchEventRecord ev;
    ev.set_sender(sender);
    ev.set_delivery_id(d.delivery_id());
    *ev.mutable_notification() = n;
    ev.set_received_ms(now_ms);
    writes.puts.emplace_back(WatchTable::EventKey(now_ms, sender, d.delivery_id()),
                             ev.SerializeAsString());
    e.action = "watch.event";
    e.Set("watch_id", n.watch_id())
        .Set("kind", ifed::v1::WatchEventKind_Name(n.kind()))
        .Set("type", ifed::v1::IndicatorType_Name(n.type()))
        .Set("reference", n.reference());
    if (!n.reason().empty()) e.Set("reason", n.reason());
    if (!n.member().empty()) e.Set("member", n.member());  // relayed by the hub `sender`.
    IFED_RETURN_IF_ERROR(CommitAudited(d_.store, d_.audit, writes, e));
    spdlog::info("watch {} at {}{}{}: {} (delivery {})", n.watch_id(), sender,
                 n.member().empty() ? "" : "/", n.member(),
                 ifed::v1::WatchEventKind_Name(n.kind()), d.delivery_id());
    return absl::StatusCode::kOk;
  }
  if (d.has_followup_answer()) {
    const ifed::v1::FollowUpResponse& a = d.followup_answer();
    if (!PrintableId(a.followup_id(), 64, IdSlash::kRefused) ||
        (a.state() != ifed::v1::FOLLOW_UP_APPROVED && a.state() != ifed::v1::FOLLOW_UP_DENIED) ||
        a.reply().size() > 4096 || a.reason().size() > 4096) {
      return absl::StatusCode::kInvalidArgument;
    }
    const std::string key = store::FollowUpTable::Key(false, sender, a.followup_id());
    auto r = LoadFollowUp(*d_.store, key);
    if (absl::IsNotFound(r.status())) return absl::StatusCode::kNotFound;
    IFED_RETURN_IF_ERROR(r.status());
    r->set_state(a.state());
    r->set_reply(a.reply());
    r->set_reason(a.reason());
    r->set_decided(a.decided());
    writes.puts.emplace_back(key, r->SerializeAsString());
    e.action = "followup.answer";
    e.Set("followup_id", r->followup_id())
        .Set("peer", sender)
        .Set("reference", r->reference())
        .Set("state", ifed::v1::FollowUpState_Name(r->state()))
        .Set("via", "outbox");
    IFED_RETURN_IF_ERROR(CommitAudited(d_.store, d_.audit, writes, e));
    spdlog::info("follow-up {} answered by {}: {}", r->followup_id(), sender,
                 ifed::v1::FollowUpState_Name(r->state()));
    return absl::StatusCode::kOk;
  }
  return absl::StatusCode::kInvalidArgument;
}

}  // namespace ifed::federation
