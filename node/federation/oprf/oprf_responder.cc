#include "node/federation/oprf/oprf_responder.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/common/ids.h"
#include "node/common/status_macros.h"
#include "node/federation/oprf/oprf_format.h"
#include "node/policy/purpose.h"
#include "node/store/tables.h"

namespace ifed::federation {
namespace oprf = crypto::oprf;
namespace filter = crypto::filter;
namespace {

// Filter seed: fixed per partner, so an unchanged view gives the same bytes.
uint64_t FilterSeed(const std::string& peer) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : peer) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// The cache and change-log key of a partner's view: relayed calls (through
// a hub) have their own, since a record "not for" the hub is left out of them.
std::string ViewKey(const std::string& peer, const std::string& via) {
  return via.empty() ? peer : absl::StrCat(peer, "@", via);
}

// A scoped canonical value: wiped when it goes away.
struct Wiped {
  std::string s;
  ~Wiped() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<OprfResponder>> OprfResponder::Create(crypto::SecretBytes seed,
                                                                     OprfResponderDeps deps) {
  std::map<uint32_t, crypto::SecretBytes> seeds;
  seeds.emplace(1, std::move(seed));
  return Create(std::move(seeds), 0, std::move(deps));
}

absl::StatusOr<std::unique_ptr<OprfResponder>> OprfResponder::Create(
    std::map<uint32_t, crypto::SecretBytes> seeds, int64_t rotation_at, OprfResponderDeps deps) {
  if (seeds.empty()) return absl::InvalidArgumentError("no OPRF seed");
  for (const auto& [epoch, seed] : seeds) {
    if (seed.size() != 32) return absl::InvalidArgumentError("the OPRF seed must be 32 bytes");
  }
  if (deps.store == nullptr || deps.sealer == nullptr || deps.policy == nullptr || !deps.now) {
    return absl::InvalidArgumentError("OprfResponder needs store, sealer, policy and clock");
  }
  if (deps.filter_bits < 1 || deps.filter_bits > 32) {
    return absl::InvalidArgumentError("filter_bits must be 1..32");
  }
  return std::unique_ptr<OprfResponder>(
      new OprfResponder(std::move(seeds), rotation_at, std::move(deps)));
}

namespace {
std::vector<uint32_t> EpochsOf(const std::map<uint32_t, crypto::SecretBytes>& seeds) {
  std::vector<uint32_t> out;
  for (const auto& [epoch, seed] : seeds) out.push_back(epoch);
  return out;
}
}  // namespace

OprfResponder::OprfResponder(std::map<uint32_t, crypto::SecretBytes> seeds, int64_t rotation_at,
                             OprfResponderDeps deps)
    : epochs_(EpochsOf(seeds)),
      rotation_at_(rotation_at),
      d_(std::move(deps)),
      seeds_(std::move(seeds)) {
  // Seeds no call can use any more (older than the previous epoch, or the
  // previous one past its overlap) go at once.
  for (uint32_t e : DropSeeds()) {
    spdlog::info("oprf key epoch {} is past its use: its seed is destroyed", e);
  }
}

std::pair<uint32_t, uint32_t> OprfResponder::Epochs() const {
  const uint32_t highest = epochs_.back();
  if (epochs_.size() < 2 || rotation_at_ <= 0 || d_.now() >= rotation_at_) return {highest, 0};
  return {epochs_[epochs_.size() - 2], highest};
}

std::pair<uint32_t, int64_t> OprfResponder::PreviousKey() const {
  if (epochs_.size() < 2 || rotation_at_ <= 0) return {0, 0};
  const int64_t until = rotation_at_ + std::max<int64_t>(d_.previous_key_overlap_s, 0);
  const int64_t now = d_.now();
  if (now < rotation_at_ || now >= until) return {0, 0};
  return {epochs_[epochs_.size() - 2], until};
}

std::vector<uint32_t> OprfResponder::DropSeeds() {
  const uint32_t current = Epochs().first;
  const uint32_t previous = PreviousKey().first;
  std::vector<uint32_t> dropped;
  std::lock_guard<std::mutex> l(keys_mu_);
  for (auto it = seeds_.begin(); it != seeds_.end() && it->first < current;) {
    if (it->first == previous) {
      ++it;
      continue;
    }
    dropped.push_back(it->first);
    it = seeds_.erase(it);  // SecretBytes wipes itself
  }
  for (auto it = servers_.begin(); it != servers_.end();) {
    it = seeds_.count(it->first.second) ? std::next(it) : servers_.erase(it);
  }
  return dropped;
}

std::vector<uint32_t> OprfResponder::RetireKeys() {
  std::vector<uint32_t> dropped = DropSeeds();
  if (dropped.empty()) return dropped;
  {
    std::lock_guard<std::mutex> l(views_mu_);  // views under the destroyed keys
    for (auto it = views_.begin(); it != views_.end();) {
      const size_t hash = it->first.rfind('#');
      if (hash == std::string::npos) {
        ++it;
        continue;
      }
      logs_.erase(it->first);
      builds_.erase(it->first);
      it = views_.erase(it);
    }
  }
  for (uint32_t e : dropped) {
    spdlog::warn("oprf key epoch {}: its overlap after the rotation is over; seed and keys "
                 "destroyed, queriers still naming it must sync again",
                 e);
    if (d_.on_key_retired) d_.on_key_retired(e);
  }
  return dropped;
}

absl::StatusOr<OprfResponder::Server> OprfResponder::ServerFor(const std::string& peer,
                                                               uint32_t epoch) {
  if (epoch == 0) epoch = Epochs().first;
  std::lock_guard<std::mutex> l(keys_mu_);
  const auto id = std::make_pair(peer, epoch);
  if (auto it = servers_.find(id); it != servers_.end()) return it->second;
  auto seed = seeds_.find(epoch);
  if (seed == seeds_.end()) {
    return absl::FailedPreconditionError(absl::StrCat("OPRF key epoch ", epoch, " is retired"));
  }
  const auto* info = reinterpret_cast<const uint8_t*>(peer.data());
  IFED_ASSIGN_OR_RETURN(auto key, oprf::DeriveKeyPair(oprf::Mode::kVoprf, seed->second.span(),
                                                      absl::MakeConstSpan(info, peer.size())));
  IFED_ASSIGN_OR_RETURN(std::unique_ptr<oprf::OprfServer> created,
                        oprf::OprfServer::Create(oprf::Mode::kVoprf, std::move(key)));
  Server server(std::move(created));
  servers_[id] = server;
  return server;
}

absl::StatusOr<OprfResponder::Server> OprfResponder::ServerForKey(const std::string& peer,
                                                                  const std::string& key,
                                                                  uint32_t* epoch) {
  RetireKeys();
  *epoch = Epochs().first;
  IFED_ASSIGN_OR_RETURN(Server current, ServerFor(peer, *epoch));
  if (key.empty()) return current;
  if (key.size() != oprf::kElementSize) {
    return absl::InvalidArgumentError("public_key must be a 33-byte compressed point");
  }
  auto same = [&](const Server& s) {
    return std::memcmp(s->public_key().data(), key.data(), oprf::kElementSize) == 0;
  };
  if (same(current)) return current;
  if (const uint32_t previous = PreviousKey().first; previous != 0) {
    auto old = ServerFor(peer, previous);
    if (old.ok() && same(*old)) {
      *epoch = previous;
      return old;
    }
  }
  return absl::FailedPreconditionError(
      "the OPRF key this request names is not the responder's key for you now (replaced by a "
      "key rotation and past its overlap, or never issued): fetch the key and sync the filter "
      "again (ifedctl filters sync)");
}

absl::StatusOr<OprfResponder::Allowed> OprfResponder::Check(
    const std::string& peer, const policy::Policy& policy, const ifed::v1::Purpose* purpose,
    size_t items, const std::string& via) const {
  const int64_t now = d_.now();
  Allowed out;
  if (purpose == nullptr) {  // no purpose (key, filter): a rule in force with scheme oprf.
    for (const std::string* who : {&peer, &via}) {
      if (who->empty()) continue;
      const policy::EffectiveRule* rule = policy.Find(*who, policy::Direction::kInbound, now);
      const bool hub = who == &via;
      if (rule == nullptr) {
        return absl::PermissionDeniedError(hub ? "through the hub: no sharing rule for the hub"
                                               : "no sharing rule for this partner");
      }
      if (rule->rule.scheme() != ifed::v1::OPRF &&
          rule->rule.scheme() != ifed::v1::KEYED_OR_OPRF) {
        return absl::PermissionDeniedError(
            hub ? "through the hub: the oprf scheme is not allowed for the hub"
                : "the oprf scheme is not allowed for this partner");
      }
      if (!hub) {
        out.rule = *rule;
      } else {
        out.rule = policy::IntersectRules(out.rule, *rule);
        out.hub_quota = rule->rule.quota();
      }
    }
    // A key and a filter serve OPRF matching only: a rule none of whose
    // purposes the OPRF calls accept (takedown_deconfliction alone) gets
    // neither, or the filter would answer a match offline.
    const auto& ps = out.rule.rule.purposes();
    if (std::none_of(ps.begin(), ps.end(), [](int p) {
          return policy::PurposeAccepted(policy::Call::kOprfEvaluate,
                                         static_cast<ifed::v1::Purpose>(p));
        })) {
      return absl::PermissionDeniedError(
          "no purpose of this partner's rule is accepted by the OPRF calls "
          "(takedown_deconfliction serves Deconflict only)");
    }
    return out;
  }
  policy::Query q{.partner = peer,
                  .direction = policy::Direction::kInbound,
                  .purpose = *purpose,
                  .types = {},  // not sent: the filter holds the allowed types only
                  .scheme = ifed::v1::OPRF,
                  .items = items,
                  .now = now};
  if (via.empty()) {
    policy::Decision d = policy.Decide(q);
    if (!d.status.ok()) {
      spdlog::info("policy {} denies oprf call from {}: {}", policy.version(), peer, d.reason);
      return d.status;
    }
    out.rule = *d.rule;
    return out;
  }
  policy::RelayedDecision d = policy::DecideRelayed(policy, q, via);
  if (!d.status.ok()) {
    spdlog::info("policy {} denies oprf call from {} via {}: {}", policy.version(), peer, via,
                 d.reason);
    return d.status;
  }
  out.rule = std::move(d.rule);
  out.hub_quota = d.hub_rule->rule.quota();
  return out;
}

absl::StatusOr<oprf::Element> OprfResponder::PublicKey(const std::string& peer,
                                                       const std::string& via) {
  IFED_ASSIGN_OR_RETURN(OprfKeyInfo keys, Keys(peer, via));
  return keys.current;
}

absl::StatusOr<OprfKeyInfo> OprfResponder::Keys(const std::string& peer, const std::string& via) {
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  IFED_RETURN_IF_ERROR(Check(peer, *policy, nullptr, 0, via).status());
  RetireKeys();
  const auto [epoch, next] = Epochs();
  OprfKeyInfo k;
  IFED_ASSIGN_OR_RETURN(Server server, ServerFor(peer, epoch));
  k.current = server->public_key();
  k.epoch = epoch;
  if (next != 0) {
    IFED_ASSIGN_OR_RETURN(Server n, ServerFor(peer, next));
    k.next = n->public_key();
    k.next_epoch = next;
    k.next_activation = rotation_at_;
  }
  return k;
}

absl::Status OprfResponder::Evaluate(const std::string& peer,
                                     const ifed::v1::OprfEvaluateRequest& request,
                                     ifed::v1::OprfEvaluateResponse* response,
                                     const std::string& via) {
  if (!PrintableId(request.request_id())) {
    return absl::InvalidArgumentError("request_id must be 1-128 printable ASCII characters");
  }
  const std::string& packed = request.blinded();
  if (packed.empty() || packed.size() % oprf::kElementSize != 0) {
    return absl::InvalidArgumentError("blinded must be packed 33-byte elements, at least one");
  }
  const size_t n = packed.size() / oprf::kElementSize;
  if (n > oprf::kMaxBatch) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", oprf::kMaxBatch, " elements"));
  }
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  const ifed::v1::Purpose purpose = request.purpose();
  IFED_RETURN_IF_ERROR(policy::CheckPurpose(policy::Call::kOprfEvaluate, purpose));
  IFED_ASSIGN_OR_RETURN(const Allowed allowed, Check(peer, *policy, &purpose, n, via));
  const policy::EffectiveRule* rule = &allowed.rule;
  // The budget is charged once every element has validated (inside
  // BlindEvaluate, before any evaluation): a malformed batch costs nothing.
  auto charge = [&]() -> absl::Status {
    if (d_.quotas == nullptr) return absl::OkStatus();
    const ifed::v1::Quota& rq = rule->rule.quota();
    ifed::v1::Quota budget = rq;
    // The policy fills an unset quota with 0 (= unlimited): for OPRF an
    // unlimited partner could enumerate, so the node default applies.
    if (rq.items_per_second() == 0 && rq.items_per_day() == 0) {
      budget.set_items_per_second(d_.default_budget.per_second);
      budget.set_burst(d_.default_budget.per_second);
      budget.set_items_per_day(d_.default_budget.per_day);
    }
    IFED_RETURN_IF_ERROR(d_.quotas->Take(peer, budget, n, NowMs()));
    if (allowed.hub_quota) {  // relayed: the hub's budget is charged too.
      ifed::v1::Quota hub = *allowed.hub_quota;
      if (hub.items_per_second() == 0 && hub.items_per_day() == 0) {
        hub.set_items_per_second(d_.default_budget.per_second);
        hub.set_burst(d_.default_budget.per_second);
        hub.set_items_per_day(d_.default_budget.per_day);
      }
      IFED_RETURN_IF_ERROR(d_.quotas->Take(via, hub, n, NowMs()));
    }
    return WatchVolume(peer, *rule, policy->version(), budget, n);
  };
  std::vector<oprf::Element> blinded(n);
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(blinded[i].data(), packed.data() + i * oprf::kElementSize, oprf::kElementSize);
  }
  uint32_t epoch = 0;
  IFED_ASSIGN_OR_RETURN(Server server, ServerForKey(peer, request.public_key(), &epoch));
  IFED_ASSIGN_OR_RETURN(oprf::Evaluation eval, server->BlindEvaluate(blinded, charge));
  response->set_request_id(request.request_id());
  response->set_key_epoch(epoch);
  std::string* out = response->mutable_evaluated();
  out->reserve(n * oprf::kElementSize);
  for (const auto& e : eval.elements) out->append(e.begin(), e.end());
  if (eval.proof) response->set_proof(std::string(eval.proof->begin(), eval.proof->end()));
  spdlog::info("oprf evaluate from {}{} request {} purpose {}: {} elements, key epoch {}, "
               "policy {} ({})",
               peer, via.empty() ? "" : absl::StrCat(" via ", via), request.request_id(),
               ifed::v1::Purpose_Name(purpose), n, epoch, rule->source.ToString(),
               policy->version());
  return absl::OkStatus();
}

absl::Status OprfResponder::SaveBlock(const std::string& peer, const std::string& policy_version) {
  store::MetaWrites w;
  if (policy_version.empty()) {
    w.deletes.push_back(store::OprfStateTable::BlockKey(peer));
  } else {
    w.puts.emplace_back(store::OprfStateTable::BlockKey(peer), policy_version);
  }
  return d_.store->CommitMeta(w);
}

// Enumeration: a sliding window of one-second slots per partner. The
// threshold is a share of what the quota could let through in the window,
// min(items_per_second x window, items_per_day): rate limits alone cap how
// fast a partner can probe, this notices one that keeps probing near the cap
// (a phone-number space needs ~10^10 evaluations: sustained use is the only
// way to enumerate). Called after the quota granted the evaluations, so
// those it refused do not count; a call refused here has used its quota.
absl::Status OprfResponder::WatchVolume(const std::string& peer,
                                        const policy::EffectiveRule& rule,
                                        const std::string& policy_version,
                                        const ifed::v1::Quota& budget, uint64_t n) {
  const double share = rule.rule.enumeration_share();
  const int64_t window = rule.rule.enumeration_window_seconds();
  if (share <= 0 || window <= 0) return absl::OkStatus();
  uint64_t cap = UINT64_MAX;
  if (budget.items_per_second() > 0) cap = uint64_t{budget.items_per_second()} * window;
  if (budget.items_per_day() > 0) cap = std::min<uint64_t>(cap, budget.items_per_day());
  if (cap == UINT64_MAX) return absl::OkStatus();  // no budget to compare with
  const int64_t now = d_.now();
  EnumerationAlert alert;
  {
    std::lock_guard<std::mutex> l(volume_mu_);
    Volume& v = volume_[peer];
    if (!v.loaded) {
      auto kept = d_.store->GetMeta(store::OprfStateTable::BlockKey(peer));
      if (kept.ok()) {
        v.blocked_under = *kept;
      } else if (!absl::IsNotFound(kept.status())) {
        return kept.status();  // fail closed: a block may be kept there
      }
      v.loaded = true;
    }
    if (!v.blocked_under.empty()) {
      if (v.blocked_under == policy_version && rule.rule.enumeration_block()) {
        return absl::PermissionDeniedError(
            "evaluations refused: this partner's evaluation volume looked like enumeration "
            "(policy enumeration_block); the responder's administrator must review it");
      }
      // The policy was reloaded: a fresh start.
      IFED_RETURN_IF_ERROR(SaveBlock(peer, ""));
      v.blocked_under.clear();
      v.slots.clear();
      v.total = 0;
    }
    while (!v.slots.empty() && v.slots.begin()->first <= now - window) {
      v.total -= v.slots.begin()->second;
      v.slots.erase(v.slots.begin());
    }
    const uint64_t after = v.total + n;
    const bool over = static_cast<double>(after) > share * static_cast<double>(cap);
    if (over && rule.rule.enumeration_block()) {
      IFED_RETURN_IF_ERROR(SaveBlock(peer, policy_version));
      v.blocked_under = policy_version;
    } else {
      v.slots[now] += n;
      v.total = after;
    }
    if (!over) return absl::OkStatus();
    const bool blocked_now = !v.blocked_under.empty();
    if (!blocked_now && v.alerted_at != 0 && now - v.alerted_at < window) {
      return absl::OkStatus();  // alerted already in this window
    }
    v.alerted_at = now;
    alert = EnumerationAlert{.peer = peer,
                             .evaluations = after,
                             .window_s = static_cast<uint32_t>(window),
                             .budget = cap,
                             .share = share,
                             .blocked = !v.blocked_under.empty(),
                             .policy_version = policy_version};
  }
  spdlog::warn("ALERT: oprf evaluation volume of {} looks like enumeration: {} in {} s, over "
               "{:.0f}% of the {} its quota allows{}",
               peer, alert.evaluations, alert.window_s, share * 100, cap,
               alert.blocked ? "; blocked by policy" : "");
  if (d_.on_enumeration) d_.on_enumeration(alert);
  if (alert.blocked) {
    return absl::PermissionDeniedError(
        "evaluations refused: this partner's evaluation volume looks like enumeration "
        "(policy enumeration_block); the responder's administrator must review it");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<OprfResponder::View>> OprfResponder::Build(
    const std::string& peer, const policy::EffectiveRule& rule,
    const oprf::OprfServer& server, const std::string& via) {
  auto view = std::make_shared<View>();
  std::vector<filter::Key> outputs;
  const int64_t now = d_.now();
  absl::Status failed;
  uint64_t skipped = 0;
  IFED_RETURN_IF_ERROR(d_.store->ScanRecordsWithSealed(
      [&](const ifed::v1::Record& rec, const std::string& sealed) {
        if (std::find(rule.rule.types().begin(), rule.rule.types().end(), rec.type()) ==
                rule.rule.types().end() ||
            !policy::Policy::RecordVisible(rule, peer, rec, now) ||
            (!via.empty() && !policy::Policy::RecordVisible(rule, via, rec, now))) {
          return true;
        }
        if (sealed.empty()) {
          ++skipped;
          return true;
        }
        auto canonical = d_.sealer->Open(sealed, rec.record_id());
        if (!canonical.ok()) {
          failed = canonical.status();
          return false;
        }
        Wiped plain{std::move(*canonical)};
        Wiped input{OprfInput(static_cast<IndicatorType>(rec.type()), plain.s)};
        auto out = server.Evaluate(input.s);
        if (!out.ok()) {
          failed = out.status();
          return false;
        }
        outputs.push_back(*out);
        view->records[std::string(out->begin(), out->end())].push_back(rec.record_id());
        return true;
      }));
  if (!failed.ok()) {
    spdlog::error("oprf filter for {} not built: {}", peer, std::string(failed.message()));
    return absl::InternalError("filter build failed");
  }
  IFED_ASSIGN_OR_RETURN(
      filter::BinaryFuseFilter f,
      filter::BinaryFuseFilter::Build(
          outputs, {.fingerprint_bits = d_.filter_bits, .seed = FilterSeed(peer)}));
  auto snap = std::make_shared<FilterSnapshot>();
  snap->bytes = f.Serialize();
  snap->digest = f.digest();
  snap->items = f.size();
  snap->public_key = server.public_key();
  view->filter = std::move(snap);
  if (skipped > 0) spdlog::warn("oprf filter for {}: {} records without a sealed value", peer, skipped);
  return view;
}

absl::StatusOr<std::shared_ptr<const OprfResponder::View>> OprfResponder::ViewFor(
    const std::string& peer, const policy::Policy& policy, const policy::EffectiveRule& rule,
    const std::string& via, uint32_t epoch) {
  IFED_ASSIGN_OR_RETURN(auto counts, d_.store->CountByType());
  const uint64_t generation = generation_.load();
  const int64_t now = d_.now();
  const std::string key =
      epoch == 0 ? ViewKey(peer, via) : absl::StrCat(ViewKey(peer, via), "#", epoch);
  IFED_ASSIGN_OR_RETURN(Server server, ServerFor(peer, epoch));
  auto current = [&](const View& v) {
    return v.policy_version == policy.version() && v.counts == counts &&
           v.generation == generation && now - v.built_at < d_.filter_max_age_s &&
           v.filter->public_key == server->public_key();
  };
  // One build per view at a time; other partners' views are served (and
  // built) meanwhile: the scan runs under this view's own lock only.
  std::shared_ptr<std::mutex> build_mu;
  {
    std::lock_guard<std::mutex> l(views_mu_);
    auto it = views_.find(key);
    if (it != views_.end() && current(*it->second)) return it->second;
    std::shared_ptr<std::mutex>& m = builds_[key];
    if (m == nullptr) m = std::make_shared<std::mutex>();
    build_mu = m;
  }
  std::lock_guard<std::mutex> building(*build_mu);
  {
    std::lock_guard<std::mutex> l(views_mu_);  // built by another caller meanwhile?
    auto it = views_.find(key);
    if (it != views_.end() && current(*it->second)) return it->second;
  }
  IFED_ASSIGN_OR_RETURN(std::shared_ptr<View> view, Build(peer, rule, *server, via));
  view->policy_version = policy.version();
  view->counts = std::move(counts);
  view->generation = generation;
  view->built_at = now;
  std::lock_guard<std::mutex> l(views_mu_);
  auto it = views_.find(key);
  ChangeLog& log = logs_[key];
  auto snap = std::make_shared<FilterSnapshot>(*view->filter);
  const View* old = it == views_.end() ? nullptr : it->second.get();
  if (old == nullptr || old->filter->public_key != snap->public_key || log.log_id.empty()) {
    // First build, or a new key (every output changes): a new log.
    uint8_t id[12];
    if (RAND_bytes(id, sizeof(id)) != 1) return absl::InternalError("no randomness");
    log = ChangeLog{.log_id = absl::BytesToHexString(
                        absl::string_view(reinterpret_cast<const char*>(id), sizeof(id)))};
    snap->generation = old == nullptr ? 1 : old->filter->generation + 1;
  } else {
    // The change since the previous build, as sets of outputs (see FilterUpdate).
    Delta d{.from = old->filter->generation, .to = old->filter->generation + 1};
    for (const auto& [out, ids] : view->records) {
      if (!old->records.count(out)) d.added.push_back(OutputKey(out));
    }
    for (const auto& [out, ids] : old->records) {
      if (!view->records.count(out)) d.removed.push_back(OutputKey(out));
    }
    if (d.added.empty() && d.removed.empty()) {
      snap->generation = old->filter->generation;  // same content, same version
    } else {
      std::sort(d.added.begin(), d.added.end());
      std::sort(d.removed.begin(), d.removed.end());
      snap->generation = d.to;
      log.outputs += d.added.size() + d.removed.size();
      log.entries.push_back(std::move(d));
      while (!log.entries.empty() &&
             (log.entries.size() > max_log_entries || log.outputs > max_log_outputs)) {
        log.outputs -= log.entries.front().added.size() + log.entries.front().removed.size();
        log.entries.pop_front();
      }
    }
  }
  snap->log_id = log.log_id;
  view->filter = std::move(snap);
  spdlog::info("oprf filter for {}{} built: {} items, {} bytes, version {}", peer,
               via.empty() ? "" : absl::StrCat(" via ", via), view->filter->items,
               view->filter->bytes.size(), view->filter->generation);
  views_[key] = view;
  EvictViews(now, key);
  return std::shared_ptr<const View>(std::move(view));
}

void OprfResponder::EvictViews(int64_t now, const std::string& keep) {
  // Expired: not rebuilt for twice the filter age (a partner that stopped
  // asking, a querier no longer relayed, a rule removed by a reload).
  const int64_t expire_s = std::max<int64_t>(2 * d_.filter_max_age_s, 60);
  size_t relayed = 0;
  for (auto it = views_.begin(); it != views_.end();) {
    if (it->first != keep && now - it->second->built_at >= expire_s) {
      logs_.erase(it->first);
      builds_.erase(it->first);
      it = views_.erase(it);
      continue;
    }
    relayed += it->first.find('@') != std::string::npos;
    ++it;
  }
  // Relayed views (querier@hub) beyond the bound: the least recently built go.
  while (relayed > max_relayed_views) {
    auto oldest = views_.end();
    for (auto it = views_.begin(); it != views_.end(); ++it) {
      if (it->first == keep || it->first.find('@') == std::string::npos) continue;
      if (oldest == views_.end() || it->second->built_at < oldest->second->built_at) oldest = it;
    }
    if (oldest == views_.end()) break;
    logs_.erase(oldest->first);
    builds_.erase(oldest->first);
    views_.erase(oldest);
    --relayed;
  }
}

absl::StatusOr<FilterUpdate> OprfResponder::Sync(const std::string& peer, uint64_t since_version,
                                                 const std::string& log_id,
                                                 const std::string& via) {
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  IFED_ASSIGN_OR_RETURN(const Allowed allowed, Check(peer, *policy, nullptr, 0, via));
  IFED_ASSIGN_OR_RETURN(auto view, ViewFor(peer, *policy, allowed.rule, via));
  FilterUpdate u;
  u.snapshot = view->filter;
  const uint64_t version = u.snapshot->generation;
  if (since_version == 0 || log_id != u.snapshot->log_id || since_version > version) return u;
  if (since_version == version) {  // nothing changed: an empty delta
    u.delta = true;
    u.since_version = since_version;
    return u;
  }
  std::lock_guard<std::mutex> l(views_mu_);
  auto found = logs_.find(ViewKey(peer, via));
  if (found == logs_.end() || found->second.log_id != log_id) return u;
  const ChangeLog& log = found->second;
  auto e = std::find_if(log.entries.begin(), log.entries.end(),
                        [&](const Delta& d) { return d.from == since_version; });
  if (e == log.entries.end()) return u;  // no longer in the log
  // Compose the entries up to the version sent: an output added then removed
  // (or the reverse) cancels out.
  std::set<filter::Key> added, removed;
  for (; e != log.entries.end() && e->to <= version; ++e) {
    for (const auto& k : e->added) {
      if (removed.erase(k) == 0) added.insert(k);
    }
    for (const auto& k : e->removed) {
      if (added.erase(k) == 0) removed.insert(k);
    }
  }
  if ((added.size() + removed.size()) * oprf::kOutputSize > u.snapshot->bytes.size()) {
    return u;  // a snapshot is smaller
  }
  u.delta = true;
  u.since_version = since_version;
  u.added.assign(added.begin(), added.end());
  u.removed.assign(removed.begin(), removed.end());
  return u;
}
absl::StatusOr<std::shared_ptr<const FilterSnapshot>> OprfResponder::Filter(
    const std::string& peer, const std::string& via) {
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  IFED_ASSIGN_OR_RETURN(const Allowed allowed, Check(peer, *policy, nullptr, 0, via));
  IFED_ASSIGN_OR_RETURN(auto view, ViewFor(peer, *policy, allowed.rule, via));
  return view->filter;
}

absl::Status OprfResponder::Resolve(const std::string& peer,
                                    const ifed::v1::ResolveRequest& request,
                                    ifed::v1::ResolveResponse* response,
                                    const std::string& via) {
  if (!PrintableId(request.request_id())) {
    return absl::InvalidArgumentError("request_id must be 1-128 printable ASCII characters");
  }
  const std::string& packed = request.outputs();
  if (packed.empty() || packed.size() % oprf::kOutputSize != 0) {
    return absl::InvalidArgumentError("outputs must be packed 32-byte values, at least one");
  }
  const size_t n = packed.size() / oprf::kOutputSize;
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  const ifed::v1::Purpose purpose = request.purpose();
  IFED_RETURN_IF_ERROR(policy::CheckPurpose(policy::Call::kOprfResolve, purpose));
  IFED_ASSIGN_OR_RETURN(const Allowed allowed, Check(peer, *policy, &purpose, n, via));
  const policy::EffectiveRule* rule = &allowed.rule;
  RetireKeys();
  IFED_ASSIGN_OR_RETURN(auto view, ViewFor(peer, *policy, *rule, via));
  // During the overlap after a rotation, outputs a querier made under the
  // previous key (it has not synced again) resolve in that key's view.
  std::shared_ptr<const View> previous;
  auto find = [&](const std::string& out) -> const std::vector<std::string>* {
    if (auto it = view->records.find(out); it != view->records.end()) return &it->second;
    const uint32_t epoch = PreviousKey().first;
    if (epoch == 0) return nullptr;
    if (previous == nullptr) {
      auto v = ViewFor(peer, *policy, *rule, via, epoch);
      if (!v.ok()) return nullptr;
      previous = *v;
    }
    auto it = previous->records.find(out);
    return it == previous->records.end() ? nullptr : &it->second;
  };
  const ifed::v1::Disclosure disclosure = rule->rule.disclosure();
  response->set_request_id(request.request_id());
  response->set_responder(d_.node_id);
  response->set_disclosure(disclosure);
  uint64_t hits = 0;
  for (size_t i = 0; i < n; ++i) {
    auto* r = response->add_results();
    r->set_verdict(ifed::v1::NO_HIT);
    const std::vector<std::string>* ids =
        find(packed.substr(i * oprf::kOutputSize, oprf::kOutputSize));
    if (ids == nullptr) continue;
    r->set_verdict(ifed::v1::HIT);
    ++hits;
    if (disclosure >= ifed::v1::HIT_WITH_REFERENCE) {
      // The querier's own token for the record, never the record id.
      if (d_.sealer == nullptr) return absl::InternalError("no sealer for references");
      IFED_ASSIGN_OR_RETURN(std::string ref, d_.sealer->Reference(peer, ids->front()));
      r->set_reference(std::move(ref));
    }
    if (disclosure >= ifed::v1::HIT_WITH_CONTACT) r->set_contact(d_.contact);
  }
  spdlog::info("oprf resolve from {}{} request {}: {} outputs, {} hits, disclosure {}", peer,
               via.empty() ? "" : absl::StrCat(" via ", via), request.request_id(), n, hits, ifed::v1::Disclosure_Name(disclosure));
  return absl::OkStatus();
}

}  // namespace ifed::federation
