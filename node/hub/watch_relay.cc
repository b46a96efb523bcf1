#include "node/hub/watch_relay.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/common/clock.h"
#include "node/common/ids.h"
#include "node/common/logging.h"
#include "node/common/status_macros.h"
#include "node/federation/oprf/oprf_relay.h"
#include "node/hub/member_status.h"
#include "node/store/tables.h"

namespace ifed::hub {
namespace {

constexpr size_t kPseudonymSize = 32;
constexpr auto kReplyMargin = std::chrono::milliseconds(250);
constexpr char kHubWatchPrefix[] = "hw-";

// 40 hex digits of SHA-256(a || 0x00 || b).
std::string PairDigest(const std::string& a, const std::string& b) {
  std::string input = a;
  input.push_back('\0');
  input += b;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), 20));
}

bool Jurisdiction(const std::string& s) {
  return s.size() == 2 && std::isupper(static_cast<unsigned char>(s[0])) &&
         std::isupper(static_cast<unsigned char>(s[1]));
}

audit::Event PeerEvent(const std::string& action, const std::string& peer) {
  audit::Event e;
  e.action = action;
  e.actor = "peer:" + peer;
  e.outcome = "ok";
  return e;
}

}  // namespace

std::string WatchRelay::HubWatchId(const std::string& querier, const std::string& watch_id) {
  return absl::StrCat(kHubWatchPrefix, PairDigest(querier, watch_id));
}

std::string WatchRelay::RelayedDeliveryId(const std::string& hub, const std::string& member,
                                          const std::string& delivery_id) {
  return absl::StrCat(hub, "-via-", PairDigest(member, delivery_id));
}

std::string WatchRelay::MappingKey(const std::string& hub_watch_id) {
  return store::WatchTable::RelayedKey(hub_watch_id);
}

absl::StatusOr<ifed::v1::HubWatch> WatchRelay::Load(const std::string& hub_watch_id) const {
  IFED_ASSIGN_OR_RETURN(std::string v, d_.store->GetMeta(MappingKey(hub_watch_id)));
  ifed::v1::HubWatch w;
  if (!w.ParseFromString(v)) return absl::DataLossError("hub watch entry does not parse");
  return w;
}

absl::Status WatchRelay::Watch(const std::string& querier, const ifed::v1::WatchRequest& request,
                               std::chrono::system_clock::time_point deadline,
                               ifed::v1::WatchResponse* response) {
  if (!PrintableId(request.watch_id(), 64, IdSlash::kRefused)) {
    return absl::InvalidArgumentError("watch_id must be 1-64 printable ASCII characters, no '/'");
  }
  if (request.action() == ifed::v1::WATCH_REMOVE) {
    return Remove(querier, request, deadline, response);
  }
  if (request.action() != ifed::v1::WATCH_ADD) {
    return absl::InvalidArgumentError("unknown watch action");
  }
  return Add(querier, request, deadline, response);
}

std::vector<ifed::v1::HubWatchMember> WatchRelay::Relay(
    const std::string& querier, const std::vector<std::string>& members,
    const ifed::v1::WatchRequest& wire, std::chrono::system_clock::time_point deadline) {
  const auto member_deadline =
      std::min(std::chrono::system_clock::now() + d_.member_timeout, deadline - kReplyMargin);
  struct Call {
    grpc::Status status;
    ifed::v1::WatchResponse answer;
    uint32_t latency_ms = 0;
  };
  std::vector<std::future<Call>> calls;
  for (const std::string& member : members) {
    calls.push_back(std::async(std::launch::async, [this, member, &wire, member_deadline,
                                                    &querier,
                                                    id = logging::RequestScope::Current()] {
      logging::RequestScope scope(id);
      Call c;
      const auto start = std::chrono::steady_clock::now();
      grpc::ClientContext ctx;
      ctx.set_deadline(member_deadline);
      // The member's notifications carry the querier's own reference tokens.
      ctx.AddMetadata(federation::kOnBehalfOfHeader, querier);
      c.status = d_.members->StubOf(member)->Watch(&ctx, wire, &c.answer);
      c.latency_ms = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - start)
                                               .count());
      return c;
    }));
  }
  std::vector<ifed::v1::HubWatchMember> out;
  for (size_t k = 0; k < members.size(); ++k) {
    Call c = calls[k].get();
    // Removing a watch the member no longer holds is what was asked.
    if (wire.action() == ifed::v1::WATCH_REMOVE &&
        c.status.error_code() == grpc::StatusCode::NOT_FOUND) {
      c.status = grpc::Status::OK;
    }
    ifed::v1::HubWatchMember m;
    m.set_member(members[k]);
    m.set_latency_ms(c.latency_ms);
    m.set_status(MemberStatusOf(c.status.error_code()));
    m.set_code(static_cast<int>(c.status.error_code()));
    if (!c.status.ok()) {
      m.set_message(c.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
                        ? "no answer within the hub's deadline"
                        : c.status.error_message().substr(0, 300));
    } else {
      m.set_items(c.answer.items());
      m.set_active(c.answer.active());
      m.set_max_active(c.answer.max_active());
      m.set_until(c.answer.until());
    }
    out.push_back(std::move(m));
  }
  return out;
}

namespace {

// The shape of a watch (federation::CheckWatchShape) and jurisdiction codes.
// Fills q->types; returns the number of pseudonyms.
absl::StatusOr<uint32_t> CheckShape(const ifed::v1::WatchRequest& request, int64_t now,
                                    policy::Query* q) {
  IFED_ASSIGN_OR_RETURN(const uint32_t items, federation::CheckWatchShape(request, now, &q->types));
  for (const std::string& j : request.jurisdictions()) {
    if (!Jurisdiction(j)) {
      return absl::InvalidArgumentError("jurisdictions are ISO 3166-1 alpha-2 codes, e.g. AT");
    }
  }
  return items;
}

}  // namespace

absl::StatusOr<uint32_t> WatchRelay::ActiveItems(const std::string& querier,
                                                 const std::string& hub_id, int64_t now) const {
  uint32_t active = 0;
  IFED_RETURN_IF_ERROR(store::WatchTable(d_.store).Scan(
      store::WatchTable::kRelayed, [&](const std::string&, const std::string& v) {
        ifed::v1::HubWatch w;
        if (w.ParseFromString(v) && w.querier() == querier && w.hub_watch_id() != hub_id &&
            !w.removing() && w.until() > now) {
          active += w.items();
        }
        return true;
      }));
  return active;
}

std::vector<std::string> WatchRelay::Targets(const std::string& querier,
                                             const ifed::v1::WatchRequest& request,
                                             const policy::Policy& policy, policy::Query q,
                                             ifed::v1::WatchResponse* response,
                                             std::vector<std::string>* refused) const {
  const std::set<std::string> wanted(request.jurisdictions().begin(),
                                     request.jurisdictions().end());
  std::vector<std::string> targets;
  q.direction = policy::Direction::kOutbound;
  for (const auto& [member, address] : d_.members->peers()) {
    if (member == querier || member == d_.node_id || d_.members->IsHub(member)) continue;
    if (!wanted.empty() && wanted.count(d_.members->JurisdictionOf(member)) == 0) continue;
    if (std::find(request.skip_members().begin(), request.skip_members().end(), member) !=
        request.skip_members().end()) {
      continue;  // the querier watches it by OPRF through this hub.
    }
    q.partner = member;
    const policy::Decision out = policy.Decide(q);
    if (out.status.ok()) {
      targets.push_back(member);
      continue;
    }
    refused->push_back(member);
    auto* m = response->add_members();
    m->set_member(member);
    m->set_status(ifed::v1::MEMBER_DENIED);
    m->set_code(static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
    m->set_message(absl::StrCat("not relayed: hub policy: ", out.status.message()));
  }
  return targets;
}

absl::StatusOr<ifed::v1::HubWatch> WatchRelay::KeepPending(
    const std::string& querier, const std::string& hub_id, const ifed::v1::WatchRequest& request,
    const std::vector<ifed::v1::IndicatorType>& types, uint32_t items, int64_t now, int64_t until,
    const std::vector<std::string>& targets) {
  std::lock_guard<std::mutex> l(mu_);
  ifed::v1::HubWatch w;
  auto held = Load(hub_id);
  if (held.ok()) {
    w = std::move(*held);
  } else if (!absl::IsNotFound(held.status())) {
    return held.status();
  }
  w.set_hub_watch_id(hub_id);
  w.set_querier(querier);
  w.set_querier_watch_id(request.watch_id());
  w.set_purpose(request.purpose());
  w.clear_types();
  for (ifed::v1::IndicatorType t : types) w.add_types(t);
  w.set_items(items);
  if (w.created() == 0) w.set_created(now);
  w.set_until(until);
  w.set_removing(false);
  std::set<std::string> all(w.members().begin(), w.members().end());
  all.insert(targets.begin(), targets.end());
  w.clear_members();
  for (const std::string& m : all) w.add_members(m);
  store::MetaWrites pending;
  pending.puts.emplace_back(MappingKey(hub_id), w.SerializeAsString());
  IFED_RETURN_IF_ERROR(d_.store->CommitMeta(pending));
  return w;
}

absl::Status WatchRelay::Settle(const std::string& hub_id, const ifed::v1::HubWatch& pending,
                                const std::vector<std::string>& targets,
                                const std::vector<std::string>& holding, bool oprf_only,
                                audit::Event* e) {
  std::lock_guard<std::mutex> l(mu_);
  auto held = Load(hub_id);
  if (!held.ok() && !absl::IsNotFound(held.status())) return held.status();
  ifed::v1::HubWatch now_w = held.ok() ? std::move(*held) : pending;
  std::set<std::string> keep_members(holding.begin(), holding.end());
  for (const std::string& m : now_w.members()) {
    // Held from an earlier add and not asked (or not reached) this time.
    if (std::find(targets.begin(), targets.end(), m) == targets.end()) keep_members.insert(m);
  }
  now_w.clear_members();
  for (const std::string& m : keep_members) now_w.add_members(m);
  store::MetaWrites writes;
  if (keep_members.empty()) {
    writes.deletes.push_back(MappingKey(hub_id));
    // Nothing asked at all: every member is watched by OPRF by the querier.
    e->outcome = oprf_only ? "ok" : "refused";
  } else {
    writes.puts.emplace_back(MappingKey(hub_id), now_w.SerializeAsString());
  }
  return federation::CommitAudited(d_.store, d_.audit, writes, *e);
}

absl::Status WatchRelay::Add(const std::string& querier, const ifed::v1::WatchRequest& request,
                             std::chrono::system_clock::time_point deadline,
                             ifed::v1::WatchResponse* response) {
  const int64_t now = d_.now();
  policy::Query q{.partner = querier,
                  .direction = policy::Direction::kInbound,
                  .purpose = request.purpose(),
                  .scheme = ifed::v1::KEYED,
                  .now = now};
  IFED_ASSIGN_OR_RETURN(const uint32_t items, CheckShape(request, now, &q));
  q.items = items;
  const std::string hub_id = HubWatchId(querier, request.watch_id());
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  audit::Event e = PeerEvent("hub.watch.add", querier);
  e.Set("watch_id", request.watch_id())
      .Set("hub_watch_id", hub_id)
      .Set("items", static_cast<int64_t>(items))
      .Set("purpose", ifed::v1::Purpose_Name(request.purpose()))
      .Set("policy", policy->version());
  auto refuse = [&](absl::Status s, const std::string& reason) -> absl::Status {
    spdlog::warn("hub: watch {} from {} refused: {}", request.watch_id(), querier, reason);
    return federation::AuditRefusal(d_.audit, e, std::move(s), reason);
  };
  const policy::Decision in = policy->Decide(q);
  if (!in.status.ok()) return refuse(in.status, in.reason);
  const ifed::v1::Rule& rule = in.rule->rule;
  if (!rule.watches().allowed()) {
    return refuse(absl::PermissionDeniedError("the hub's policy allows no watches for this partner"),
                  "watches.allowed is false");
  }
  // Q's items over its watches relayed by this hub (this one excluded).
  IFED_ASSIGN_OR_RETURN(const uint32_t active, ActiveItems(querier, hub_id, now));
  const uint32_t max_active = rule.watches().max_active();
  if (active + items > max_active) {
    return refuse(absl::ResourceExhaustedError(absl::StrCat(
                      "watch limit at the hub reached: ", active, " held, ", items, " asked, max ",
                      max_active)),
                  "watches.max_active");
  }
  const int64_t keep = now + int64_t{rule.query_retention_days()} * 86400;
  const int64_t until = request.until() == 0 ? keep : std::min(request.until(), keep);

  // The members: the hub's outbound rule for each (default deny), within
  // the asked jurisdictions. The querier, the hub and other hubs are never asked.
  std::vector<std::string> holding, refused;
  const std::vector<std::string> targets =
      Targets(querier, request, *policy, q, response, &refused);
  // Kept before the members are asked, so that a notification arriving at
  // once finds it (while pending: every member asked may notify).
  IFED_ASSIGN_OR_RETURN(const ifed::v1::HubWatch pending,
                        KeepPending(querier, hub_id, request, q.types, items, now, until, targets));

  ifed::v1::WatchRequest wire = request;
  wire.set_watch_id(hub_id);
  wire.set_until(until);
  wire.clear_jurisdictions();
  wire.clear_skip_members();
  for (auto& m : Relay(querier, targets, wire, deadline)) {
    (m.status() == ifed::v1::MEMBER_ANSWERED ? holding : refused).push_back(m.member());
    *response->add_members() = std::move(m);
  }

  // The members that hold it now (plus those that held it before a repeated add).
  e.Set("members", absl::StrJoin(holding, ","))
      .Set("refused", absl::StrJoin(refused, ","))
      .Set("until", until)
      .Set("oprf_members", static_cast<int64_t>(request.skip_members_size()));
  const bool oprf_only = targets.empty() && refused.empty() && request.skip_members_size() > 0;
  IFED_RETURN_IF_ERROR(Settle(hub_id, pending, targets, holding, oprf_only, &e));
  response->set_watch_id(request.watch_id());
  uint32_t held_items = 0;
  for (const auto& m : response->members()) held_items += m.items();
  response->set_items(held_items);
  response->set_active(active + (holding.empty() ? 0 : items));
  response->set_max_active(max_active);
  response->set_until(until);
  spdlog::info("hub: watch {} from {} ({} items) relayed as {}: held by [{}], refused by [{}]",
               request.watch_id(), querier, items, hub_id, absl::StrJoin(holding, ","),
               absl::StrJoin(refused, ","));
  return absl::OkStatus();
}

absl::Status WatchRelay::Remove(const std::string& querier, const ifed::v1::WatchRequest& request,
                                std::chrono::system_clock::time_point deadline,
                                ifed::v1::WatchResponse* response) {
  const std::string hub_id = HubWatchId(querier, request.watch_id());
  std::vector<std::string> members;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto held = Load(hub_id);
    if (absl::IsNotFound(held.status())) {
      return absl::NotFoundError("no such watch at the hub");
    }
    IFED_RETURN_IF_ERROR(held.status());
    if (held->querier() != querier) return absl::NotFoundError("no such watch at the hub");
    members.assign(held->members().begin(), held->members().end());
    // From now on the members' notifications are dropped.
    held->set_removing(true);
    store::MetaWrites w;
    w.puts.emplace_back(MappingKey(hub_id), held->SerializeAsString());
    IFED_RETURN_IF_ERROR(d_.store->CommitMeta(w));
  }
  ifed::v1::WatchRequest wire;
  wire.set_watch_id(hub_id);
  wire.set_action(ifed::v1::WATCH_REMOVE);
  std::vector<std::string> removed, left;
  for (auto& m : Relay(querier, members, wire, deadline)) {
    (m.status() == ifed::v1::MEMBER_ANSWERED ? removed : left).push_back(m.member());
    *response->add_members() = std::move(m);
  }
  audit::Event e = PeerEvent("hub.watch.remove", querier);
  e.Set("watch_id", request.watch_id())
      .Set("hub_watch_id", hub_id)
      .Set("members", absl::StrJoin(removed, ","));
  if (!left.empty()) e.Set("still_held_by", absl::StrJoin(left, ","));
  {
    std::lock_guard<std::mutex> l(mu_);
    store::MetaWrites w;
    auto held = Load(hub_id);
    if (!held.ok() && !absl::IsNotFound(held.status())) return held.status();
    if (left.empty() || !held.ok()) {
      w.deletes.push_back(MappingKey(hub_id));
    } else {
      held->clear_members();
      for (const std::string& m : left) held->add_members(m);
      w.puts.emplace_back(MappingKey(hub_id), held->SerializeAsString());
    }
    IFED_RETURN_IF_ERROR(federation::CommitAudited(d_.store, d_.audit, w, e));
  }
  response->set_watch_id(request.watch_id());
  spdlog::info("hub: watch {} of {} ({}) removed at [{}]{}{}", request.watch_id(), querier, hub_id,
               absl::StrJoin(removed, ","), left.empty() ? "" : ", still held by ",
               absl::StrJoin(left, ","));
  return absl::OkStatus();
}

absl::Status WatchRelay::Deliver(const std::string& sender,
                                 const ifed::v1::DeliverRequest& request,
                                 ifed::v1::DeliverResponse* response) {
  if (request.deliveries_size() > 1000) {
    return absl::InvalidArgumentError("at most 1000 deliveries per call");
  }
  std::vector<int> codes(request.deliveries_size(), 0);
  ifed::v1::DeliverRequest rest;  // for the hub's own inbox.
  std::vector<int> rest_at;
  size_t relayed = 0;
  for (int i = 0; i < request.deliveries_size(); ++i) {
    const ifed::v1::Delivery& d = request.deliveries(i);
    if (!d.has_watch() || d.watch().watch_id().rfind(kHubWatchPrefix, 0) != 0) {
      *rest.add_deliveries() = d;
      rest_at.push_back(i);
      continue;
    }
    IFED_ASSIGN_OR_RETURN(absl::StatusCode code, One(sender, d));
    codes[i] = static_cast<int>(code);
    relayed += code == absl::StatusCode::kOk;
  }
  if (!rest_at.empty()) {
    if (d_.inbox == nullptr) return absl::FailedPreconditionError("this node takes no deliveries");
    ifed::v1::DeliverResponse own;
    IFED_RETURN_IF_ERROR(d_.inbox->Handle(sender, rest, &own));
    if (own.codes_size() != static_cast<int>(rest_at.size())) {
      return absl::InternalError("inbox answered a different count");
    }
    for (size_t k = 0; k < rest_at.size(); ++k) codes[rest_at[k]] = own.codes(static_cast<int>(k));
  }
  for (int c : codes) response->add_codes(c);
  if (relayed > 0 && d_.kick_outbox) d_.kick_outbox();
  if (d_.ack_delay_ms > 0 && rest_at.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(d_.ack_delay_ms));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::StatusCode> WatchRelay::One(const std::string& sender,
                                                 const ifed::v1::Delivery& d) {
  const ifed::v1::WatchNotification& n = d.watch();
  // A member's suspension or resumption (its rule for the hub narrowed or
  // widened) carries no pseudonym and is passed on like a withdrawal.
  const bool state_change =
      n.kind() == ifed::v1::WATCH_SUSPENDED || n.kind() == ifed::v1::WATCH_RESUMED;
  if (!PrintableId(d.delivery_id(), 128, IdSlash::kRefused) ||
      !PrintableId(n.watch_id(), 64, IdSlash::kRefused) ||
      (state_change ? !n.pseudonym().empty() || !n.reference().empty()
                    : n.pseudonym().size() != kPseudonymSize) ||
      (n.kind() != ifed::v1::WATCH_HIT && n.kind() != ifed::v1::WATCH_WITHDRAWN && !state_change) ||
      n.reference().size() > 64 || n.contact().size() > 256 || n.reason().size() > 256 ||
      !n.member().empty()) {
    return absl::StatusCode::kInvalidArgument;
  }
  std::lock_guard<std::mutex> l(mu_);
  const std::string rx = store::WatchTable::ReceivedKey(sender, d.delivery_id());
  if (d_.store->GetMeta(rx).ok()) return absl::StatusCode::kOk;  // taken before: acknowledge again.
  const int64_t now = d_.now();
  audit::Event e = PeerEvent("hub.watch.relay", sender);
  e.Set("hub_watch_id", n.watch_id())
      .Set("delivery_id", d.delivery_id())
      .Set("kind", ifed::v1::WatchEventKind_Name(n.kind()))
      .Set("type", ifed::v1::IndicatorType_Name(n.type()));
  // Refused for good: the member drops the entry; audited here once.
  auto drop = [&](absl::StatusCode code, const std::string& reason) -> absl::StatusOr<absl::StatusCode> {
    spdlog::warn("hub: notification {} from {} for {} dropped: {}", d.delivery_id(), sender,
                 n.watch_id(), reason);
    if (d_.audit != nullptr) {
      audit::Event r = e;
      r.action = "hub.watch.drop";
      r.outcome = "refused";
      r.Set("reason", reason);
      IFED_RETURN_IF_ERROR(d_.audit->Append(r));
    }
    return code;
  };
  auto held = Load(n.watch_id());
  if (absl::IsNotFound(held.status())) return drop(absl::StatusCode::kNotFound, "no such watch");
  IFED_RETURN_IF_ERROR(held.status());
  ifed::v1::HubWatch& w = *held;
  if (std::find(w.members().begin(), w.members().end(), sender) == w.members().end()) {
    return drop(absl::StatusCode::kNotFound, "the sender does not hold this watch");
  }
  if (w.removing()) return drop(absl::StatusCode::kNotFound, "the watch is being removed");
  if (w.until() <= now) return drop(absl::StatusCode::kNotFound, "the watch has ended");
  e.Set("querier", w.querier()).Set("watch_id", w.querier_watch_id());

  // The hub's policy as it stands now: Q may still watch this type, the
  // member may still be asked for it. A withdrawal tells what a hit told.
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  policy::Query q{.partner = w.querier(),
                  .direction = policy::Direction::kInbound,
                  .purpose = w.purpose(),
                  .types = {n.type()},
                  .scheme = ifed::v1::KEYED,
                  .now = now};
  const policy::Decision in = policy->Decide(q);
  q.partner = sender;
  q.direction = policy::Direction::kOutbound;
  const policy::Decision out = policy->Decide(q);
  if (n.kind() == ifed::v1::WATCH_HIT) {
    if (!in.status.ok()) return drop(absl::StatusCode::kPermissionDenied, in.reason);
    if (!in.rule->rule.watches().allowed()) {
      return drop(absl::StatusCode::kPermissionDenied, "watches.allowed is false");
    }
    if (!out.status.ok()) return drop(absl::StatusCode::kPermissionDenied, out.reason);
  }
  const ifed::v1::Disclosure ceiling =
      in.rule != nullptr ? in.rule->rule.disclosure() : ifed::v1::HIT_ONLY;

  ifed::v1::Delivery relay;
  relay.set_delivery_id(RelayedDeliveryId(d_.node_id, sender, d.delivery_id()));
  ifed::v1::WatchNotification* rn = relay.mutable_watch();
  *rn = n;
  rn->set_watch_id(w.querier_watch_id());
  rn->set_member(sender);
  if (ceiling < ifed::v1::HIT_WITH_REFERENCE) rn->clear_reference();
  if (ceiling < ifed::v1::HIT_WITH_CONTACT) rn->clear_contact();
  w.set_relayed(w.relayed() + 1);
  const int64_t now_ms = UnixMillisNow();
  store::MetaWrites writes;
  writes.puts.emplace_back(rx, std::to_string(now_ms));
  writes.puts.emplace_back(
      store::OutboxTable::Key(w.querier(), relay.delivery_id()),
      federation::MakeOutboxEntry(w.querier(), relay, now_ms).SerializeAsString());
  writes.puts.emplace_back(MappingKey(w.hub_watch_id()), w.SerializeAsString());
  writes.notices = 1;
  e.Set("relayed_delivery_id", relay.delivery_id());
  IFED_RETURN_IF_ERROR(federation::CommitAudited(d_.store, d_.audit, writes, e));
  spdlog::info("hub: {} of watch {} from {} queued for {} (delivery {})",
               ifed::v1::WatchEventKind_Name(n.kind()), n.watch_id(), sender, w.querier(),
               relay.delivery_id());
  return absl::StatusCode::kOk;
}

}  // namespace ifed::hub
