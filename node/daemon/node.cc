#include "node/daemon/node.h"

#include <fcntl.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "node/common/atomic_file.h"
#include "node/common/clock.h"
#include "node/common/status_macros.h"
#include "node/crypto/key_file.h"
#include "node/daemon/binding.h"
#include "node/daemon/version_header.h"
#include "node/federation/transport/peer_verifier.h"
#include "node/federation/transport/tls.h"
#include "node/store/tables.h"

namespace ifed::daemon {
namespace {

// The clean-stop marker: written after the store closed cleanly,
// with the audit head at that moment; removed once the next start checked it.
std::string CleanStopPath(const std::string& data_dir) { return data_dir + "/clean-stop"; }

std::optional<uint64_t> ReadCleanStop(const std::string& data_dir) {
  std::ifstream in(CleanStopPath(data_dir));
  std::string word;
  uint64_t head = 0;
  if (!(in >> word >> head) || word != "audit_head") return std::nullopt;
  return head;
}

absl::Status WriteCleanStop(const std::string& data_dir, uint64_t head) {
  return WriteFileAtomic(CleanStopPath(data_dir), absl::StrCat("audit_head ", head, "\n"),
                         {.mode = 0644});
}

absl::Status RemoveCleanStop(const std::string& data_dir) {
  if (::unlink(CleanStopPath(data_dir).c_str()) != 0 && errno != ENOENT) {
    return absl::UnavailableError(absl::StrCat(CleanStopPath(data_dir), ": cannot remove"));
  }
  return SyncDirectory(data_dir);
}

// The hub-local key of the statistics' digests: the configured file, or
// data_dir/hub-stats.key, made (32 random bytes, hex, 0600) at the first start.
absl::StatusOr<crypto::SecretBytes> HubStatsKey(const ifed::v1::NodeConfig& c) {
  if (!c.hub_stats_key_file().empty()) return crypto::LoadLocalKey(c.hub_stats_key_file());
  const std::string path = c.data_dir() + "/hub-stats.key";
  if (::access(path.c_str(), F_OK) != 0) {
    unsigned char key[32];
    if (RAND_bytes(key, sizeof key) != 1) {
      return absl::InternalError("no randomness for the hub statistics key");
    }
    std::string hex = absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(key), sizeof key));
    OPENSSL_cleanse(key, sizeof key);
    hex.push_back('\n');
    absl::Status s = WriteFileAtomic(path, hex, {.mode = 0600});
    OPENSSL_cleanse(hex.data(), hex.size());
    IFED_RETURN_IF_ERROR(s);
    spdlog::info("hub statistics key generated in {}", path);
  }
  return crypto::LoadLocalKey(path);
}

// Refused client certificates are audited ("peer.refused", the node id the
// certificate claims and why), at most once per second per claimed id and
// for at most 64 ids per second: a flood of bad handshakes must not flood
// the audit log.
federation::RefusalFn AuditRefusals(audit::AuditLog* audit) {
  struct State {
    std::mutex mu;
    int64_t second = 0;
    std::set<std::string> seen;
  };
  auto state = std::make_shared<State>();
  return [audit, state](const std::string& claimed, const std::string& reason) {
    if (audit == nullptr) return;
    {
      const int64_t now = std::time(nullptr);
      std::lock_guard<std::mutex> l(state->mu);
      if (state->second != now) {
        state->second = now;
        state->seen.clear();
      }
      if (state->seen.size() >= 64 || !state->seen.insert(claimed).second) return;
    }
    audit::Event e;
    e.action = "peer.refused";
    e.actor = "tls";
    e.outcome = "refused";
    e.Set("claimed_node", claimed).Set("reason", reason.substr(0, 200));
    (void)audit->Append(e);  // a failed audit write must not hold the handshake.
  };
}

// The OPRF seeds of oprf_seed_file: one hex line (epoch 1), or
// "<epoch> <hex>" lines for a rotation.
absl::StatusOr<std::map<uint32_t, crypto::SecretBytes>> LoadOprfSeeds(const std::string& path) {
  std::map<uint32_t, crypto::SecretBytes> seeds;
  if (auto one = crypto::LoadLocalKey(path); one.ok()) {
    seeds.emplace(1, std::move(*one));
    return seeds;
  } else {
    auto epochs = crypto::LoadFederationKeys(path);
    if (!epochs.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("oprf_seed_file: neither one 64-hex line (", one.status().message(),
                       ") nor \"<epoch> <64 hex>\" lines (", epochs.status().message(), ")"));
    }
    return std::move(*epochs);
  }
}

// oprf_rotation_at (RFC 3339 or unix seconds) in unix seconds; 0 when unset.
absl::StatusOr<int64_t> OprfRotationAt(const ifed::v1::NodeConfig& c, size_t epochs) {
  if (c.oprf_rotation_at().empty()) return 0;
  int64_t rotation_at = 0;
  absl::Time t;
  std::string err;
  if (!absl::SimpleAtoi(c.oprf_rotation_at(), &rotation_at) &&
      !absl::ParseTime(absl::RFC3339_full, c.oprf_rotation_at(), &t, &err)) {
    return absl::InvalidArgumentError(
        "field 'oprf_rotation_at': expected an RFC 3339 time or unix seconds");
  }
  if (rotation_at == 0) rotation_at = absl::ToUnixSeconds(t);
  if (epochs < 2) {
    return absl::InvalidArgumentError(
        "field 'oprf_rotation_at': oprf_seed_file holds one epoch; add the next one");
  }
  return rotation_at;
}

// Deliveries acknowledged late, for the exactly-once tests only.
int FaultAckDelayMs() {
  const char* v = std::getenv("IFED_FAULT_DELIVER_ACK_DELAY_MS");
  return v != nullptr ? std::atoi(v) : 0;
}

federation::ReplayOptions ReplayOf(const ifed::v1::NodeConfig& c) {
  return {.window = std::chrono::seconds(c.limits().replay_window_seconds()),
          .max_ids_per_peer = c.limits().replay_ids_per_peer()};
}

}  // namespace

absl::StatusOr<std::unique_ptr<Node>> Node::Start(const ifed::v1::NodeConfig& config) {
  std::unique_ptr<Node> n(new Node(config));
  IFED_RETURN_IF_ERROR(n->StartTls());
  IFED_RETURN_IF_ERROR(n->OpenKeys());
  IFED_ASSIGN_OR_RETURN(const std::optional<uint64_t> clean_head, n->OpenStore());
  IFED_RETURN_IF_ERROR(n->OpenPolicyAndAudit(clean_head));
  IFED_RETURN_IF_ERROR(n->Recover());
  n->BuildMatcher();
  IFED_RETURN_IF_ERROR(n->BuildOprf());
  n->BuildPeers();
  n->BuildDesks();
  if (config.role() == ifed::v1::HUB) IFED_RETURN_IF_ERROR(n->BuildHub());
  n->BuildFederationService();
  n->BuildAdmin();
  IFED_RETURN_IF_ERROR(n->StartMetrics());
  IFED_RETURN_IF_ERROR(n->StartServers());
  n->StartBackground();
  return n;
}

absl::Status Node::StartTls() {
  const auto& c = config_;
  // gRPC watches a validated copy of the TLS files (tls_reload.h); a broken
  // CRL directory refuses the start rather than every peer later.
  federation::TlsFiles source{c.tls().ca_cert(), c.tls().cert(), c.tls().key(), c.tls().crl_dir(),
                              {}};
  for (const auto& issuer : c.tls().issuers()) {
    source.issuers.push_back(
        {issuer.name(), issuer.ca_file(), {issuer.nodes().begin(), issuer.nodes().end()}});
  }
  IFED_ASSIGN_OR_RETURN(tls_, federation::TlsReloader::Start(
                                  {.source = source,
                                   .trust_domain = c.federation(),
                                   .node_id = c.node_id(),
                                   .active_dir = c.data_dir() + "/tls-active",
                                   .interval = std::chrono::seconds(c.tls().reload_seconds())}));
  const federation::TlsFiles tls = tls_->active();
  IFED_RETURN_IF_ERROR(federation::CheckRevocationConfig(tls));
  // Every certificate accepted as a node outside the handshake (receipts,
  // signed relay authorizations) goes through the same trust; this node's
  // own certificate must pass it too (its issuer pin, if any).
  auto trust = federation::MakePeerChainVerifier(tls, c.federation());
  IFED_RETURN_IF_ERROR(trust->CheckNodeFile(c.node_id(), tls.cert));
  federation::InstallNodeTrust(std::move(trust));
  return absl::OkStatus();
}

absl::Status Node::OpenKeys() {
  const auto& c = config_;
  // A hub holds no federation key: it relays pseudonyms it must not be able
  // to reverse (the config refuses one for role hub).
  if (c.role() != ifed::v1::HUB) {
    IFED_ASSIGN_OR_RETURN(auto fed_keys, crypto::LoadFederationKeys(c.federation_key_file()));
    IFED_ASSIGN_OR_RETURN(keys_, crypto::KeyedPseudonymizer::Create(fed_keys));
  }
  IFED_ASSIGN_OR_RETURN(auto local_key, crypto::LoadLocalKey(c.local_key_file()));
  IFED_ASSIGN_OR_RETURN(sealer_, crypto::Sealer::Create(std::move(local_key)));
  IFED_ASSIGN_OR_RETURN(normalizer_, normalize::Normalizer::Create());
  return absl::OkStatus();
}

BindingInputs Node::Binding() const {
  return {.node_id = config_.node_id(),
          .federation = config_.federation(),
          .keys = keys_.get(),
          .sealer = sealer_.get()};
}

absl::StatusOr<std::optional<uint64_t>> Node::OpenStore() {
  const auto& c = config_;
  std::error_code ec;
  std::filesystem::create_directories(c.data_dir(), ec);
  if (ec) return absl::UnavailableError(absl::StrCat(c.data_dir(), ": ", ec.message()));
  // (damage) after a clean stop the WAL must be intact to the last
  // byte; after a crash only a torn last record (never acknowledged) may be
  // dropped. Every SST block's checksum is verified before serving.
  const std::optional<uint64_t> clean_head = ReadCleanStop(c.data_dir());
  IFED_ASSIGN_OR_RETURN(
      store_, store::Store::Open({.path = c.data_dir() + "/db",
                                  .expect_clean_wal = clean_head.has_value(),
                                  .verify_on_open = true,
                                  .min_free_bytes = uint64_t{c.min_free_disk_mb()} << 20}));
  IFED_RETURN_IF_ERROR(CheckBinding(*store_, Binding()));
  return clean_head;
}

absl::Status Node::OpenPolicyAndAudit(std::optional<uint64_t> clean_head) {
  const auto& c = config_;
  IFED_ASSIGN_OR_RETURN(auto policy, policy::Policy::LoadDir(c.policy_dir()));
  spdlog::info("policy {} loaded: {} partner rules", policy->version(), policy->size());
  policy_ = std::make_unique<policy::PolicyHolder>(std::move(policy));
  // Audit log, signed with the node's TLS key.
  IFED_ASSIGN_OR_RETURN(std::unique_ptr<audit::Signer> signer,
                        audit::Signer::Load(c.tls().key(), c.tls().cert()));
  audit::AuditOptions audit_options{.node_id = c.node_id()};
  if (c.audit().has_checkpoint_every()) audit_options.checkpoint_every = c.audit().checkpoint_every();
  if (c.audit().has_checkpoint_seconds()) {
    audit_options.checkpoint_seconds = c.audit().checkpoint_seconds();
  }
  IFED_ASSIGN_OR_RETURN(
      audit_,
      audit::AuditLog::Open(store_.get(), std::shared_ptr<const audit::Signer>(std::move(signer)),
                            std::move(audit_options)));
  // A renewed certificate/key (tls_reload.h) signs the audit log from then
  // on; the change itself is an event the previous key signs.
  tls_->OnPublish([audit = audit_.get()](const federation::TlsFiles& published) {
    auto next = audit::Signer::Load(published.key, published.cert);
    absl::Status s = next.ok() ? audit->RotateSigner(std::move(*next)) : next.status();
    if (s.ok()) {
      spdlog::info("audit signing certificate follows the renewed TLS certificate");
    } else {
      spdlog::error("audit signing key not renewed, the previous one signs on: {}",
                    std::string(s.message()));
    }
  });
  if (clean_head.has_value()) {
    // Acknowledged writes lost since the clean stop (e.g. a WAL cut at a
    // record boundary, which RocksDB cannot see): refuse, do not serve.
    if (audit_->head_seq() < *clean_head) {
      return absl::DataLossError(absl::StrCat(
          "the store lost acknowledged writes: its audit log ends at event ", audit_->head_seq(),
          " but held ", *clean_head,
          " at the last clean stop (damaged or truncated WAL). Stop and restore the latest "
          "backup into an empty data dir (ifed-node --config FILE --restore BACKUP_DIR)"));
    }
    IFED_RETURN_IF_ERROR(RemoveCleanStop(c.data_dir()));
  }
  audit_open_ = true;
  audit::Event e;
  e.action = "start";
  e.actor = "node";
  e.outcome = "ok";
  e.Set("pid", static_cast<int64_t>(::getpid()))
      .Set("policy", policy_->Get()->version())
      .Set("key_epoch", static_cast<int64_t>(keys_ ? keys_->current_epoch() : 0));
  IFED_RETURN_IF_ERROR(audit_->Append(e));
  return audit_->Checkpoint();
}

absl::Status Node::Recover() {
  rotation_ =
      std::make_unique<KeyRotation>(KeyRotationDeps{.node_id = config_.node_id(),
                                                    .federation = config_.federation(),
                                                    .key_file = config_.federation_key_file(),
                                                    .keys = keys_.get(),
                                                    .sealer = sealer_.get(),
                                                    .store = store_.get(),
                                                    .audit = audit_.get()});
  // A large ingest interrupted after its commit completes before anything
  // else; then key rotation re-derives its records too.
  IFED_RETURN_IF_ERROR(admin::ResumeStagedIngests(store_.get(), audit_.get()));
  IFED_RETURN_IF_ERROR(rotation_->Reindex());
  return WriteBinding(*store_, Binding());  // the epochs now in force.
}

void Node::BuildMatcher() {
  const auto& c = config_;
  inbound_auditor_ = std::make_unique<audit::InboundAuditor>(
      audit_.get(), [p = policy_.get()] { return p->Get()->version(); },
      [p = policy_.get()](const std::string& peer) -> std::string {
        const std::shared_ptr<const policy::Policy> policy = p->Get();
        const auto* rule = policy->Find(peer, policy::Direction::kInbound, UnixSecondsNow());
        return rule != nullptr ? rule->rule.legal_basis() : "";
      });
  // Daily quota counters live in the store's meta column family: they survive
  // a restart.
  quotas_ = std::make_unique<policy::QuotaKeeper>(
      [store = store_.get()](const std::string& key, uint64_t items, uint64_t limit) {
        return store->AddToCounter(key, items, limit);
      });
  matcher_ =
      std::make_unique<federation::Matcher>(federation::MatcherDeps{.node_id = c.node_id(),
                                                                    .contact = c.contact(),
                                                                    .store = store_.get(),
                                                                    .policy = policy_.get(),
                                                                    .keys = keys_.get(),
                                                                    .counters = &counters_,
                                                                    .now = UnixSecondsNow,
                                                                    .quotas = quotas_.get(),
                                                                    .now_ms = UnixMillisNow,
                                                                    .sealer = sealer_.get()});
}

absl::Status Node::BuildOprf() {
  const auto& c = config_;
  IFED_ASSIGN_OR_RETURN(oprf_querier_, federation::OprfQuerier::Create(c.data_dir() + "/oprf"));
  // OPRF scheme: one key per partner from the seed file (0600).
  if (c.oprf_seed_file().empty()) return absl::OkStatus();
  IFED_ASSIGN_OR_RETURN(auto seeds, LoadOprfSeeds(c.oprf_seed_file()));
  IFED_ASSIGN_OR_RETURN(const int64_t rotation_at, OprfRotationAt(c, seeds.size()));
  federation::OprfBudget budget;
  if (c.oprf_evals_per_second() > 0) budget.per_second = c.oprf_evals_per_second();
  if (c.oprf_evals_per_day() > 0) budget.per_day = c.oprf_evals_per_day();
  IFED_ASSIGN_OR_RETURN(
      oprf_,
      federation::OprfResponder::Create(
          std::move(seeds), rotation_at,
          {.node_id = c.node_id(),
           .contact = c.contact(),
           .store = store_.get(),
           .sealer = sealer_.get(),
           .policy = policy_.get(),
           .quotas = quotas_.get(),
           .default_budget = budget,
           .now = UnixSecondsNow,
           .on_enumeration = [this](const federation::EnumerationAlert& a) { OnEnumeration(a); },
           .previous_key_overlap_s = c.has_oprf_previous_key_overlap_seconds()
                                         ? c.oprf_previous_key_overlap_seconds()
                                         : 86400,
           .on_key_retired = [this](uint32_t epoch) { OnOprfKeyRetired(epoch); }}));
  return absl::OkStatus();
}

void Node::BuildPeers() {
  const auto& c = config_;
  std::map<std::string, std::string> peers;
  std::map<std::string, federation::PeerClients::PeerInfo> info;
  for (const auto& p : c.peers()) {
    peers[p.id()] = p.address();
    info[p.id()] = {.hub = p.role() == ifed::v1::HUB, .jurisdiction = p.jurisdiction()};
  }
  peers_ =
      std::make_unique<federation::PeerClients>(tls_->active(), c.federation(), std::move(peers),
                                                std::chrono::milliseconds(c.peer_timeout_ms()));
  peers_->Describe(std::move(info));
  relay_signer_ = std::make_unique<federation::RelaySigner>(
      c.node_id(), [audit = audit_.get()] { return audit != nullptr ? audit->signer() : nullptr; });
}

void Node::BuildDesks() {
  const auto& c = config_;
  // Follow-ups asked of this node.
  followups_ = std::make_unique<federation::FollowUpDesk>(federation::FollowUpDeps{
      .store = store_.get(),
      .policy = policy_.get(),
      .audit = audit_.get(),
      .now = UnixSecondsNow,
      .deadline_seconds = c.followup_deadline_seconds() > 0 ? int64_t{c.followup_deadline_seconds()}
                                                            : federation::kFollowUpDeadlineSeconds,
      .sealer = sealer_.get()});
  // Watches: the responder checks each ingest in its own batch and queues
  // notifications; the courier delivers them (and follow-up answers).
  federation::WatchDeps wd{.node_id = c.node_id(),
                           .contact = c.contact(),
                           .store = store_.get(),
                           .policy = policy_.get(),
                           .audit = audit_.get(),
                           .now = UnixSecondsNow,
                           .aliases = admin::EpochAliases(store_.get(), keys_.get(), sealer_.get()),
                           .sealer = sealer_.get()};
  watches_ = std::make_unique<federation::WatchDesk>(wd);
  const int ack_delay_ms = FaultAckDelayMs();
  if (ack_delay_ms > 0)
    spdlog::warn("fault injection: deliveries acknowledged after {} ms", ack_delay_ms);
  inbox_ = std::make_unique<federation::Inbox>(wd, ack_delay_ms);
  store_->SetIngestObserver([w = watches_.get()](const std::vector<const ifed::v1::Record*>& fresh,
                                                 const std::vector<const std::string*>& sealed) {
    return w->OnIngest(fresh, sealed);
  });
  store_->SetRemoveObserver([w = watches_.get()](const std::vector<ifed::v1::Record>& removed) {
    return w->OnRemove(removed);
  });
  federation::CourierOptions co;
  if (c.outbox_retry_ms() > 0) co.retry = std::chrono::milliseconds(c.outbox_retry_ms());
  if (c.outbox_max_backoff_ms() > 0) {
    co.max_backoff = std::chrono::milliseconds(c.outbox_max_backoff_ms());
  }
  // After each pass the courier flags overdue follow-ups.
  co.on_pass = [this] {
    auto overdue = federation::FlagOverdue(store_.get(), audit_.get(), UnixSecondsNow());
    if (overdue.ok()) {
      followups_overdue_.store(*overdue);
    } else {
      spdlog::error("follow-up overdue check failed: {}", std::string(overdue.status().message()));
    }
  };
  courier_ = std::make_unique<federation::Courier>(store_.get(), peers_.get(), audit_.get(), co);
}

absl::Status Node::BuildHub() {
  const auto& c = config_;
  // Statistics survive a restart: each query's changed cells go to the
  // store's HubStatsTable (WAL, like the quota counters).
  IFED_ASSIGN_OR_RETURN(crypto::SecretBytes stats_key, HubStatsKey(c));
  hub_stats_ = std::make_unique<hub::HubStats>(
      std::move(stats_key), [store = store_.get()](const hub::HubStats::Entries& changed) {
        store::MetaWrites w;
        w.puts = changed;
        if (absl::Status s = store->CommitMeta(w, {}, /*sync=*/false); !s.ok()) {
          spdlog::error("hub statistics not persisted: {}", std::string(s.message()));
        }
      });
  uint64_t loaded = 0;
  IFED_RETURN_IF_ERROR(
      store::HubStatsTable(store_.get()).ScanAll([&](const std::string& k, const std::string& v) {
        if (absl::Status s = hub_stats_->Load(k, v); !s.ok()) {
          spdlog::warn("{}", std::string(s.message()));
        } else {
          ++loaded;
        }
        return true;
      }));
  spdlog::info("hub statistics: {} cells restored", loaded);
  hub_relay_ = std::make_unique<hub::Relay>(hub::RelayDeps{.node_id = c.node_id(),
                                                           .policy = policy_.get(),
                                                           .members = peers_.get(),
                                                           .stats = hub_stats_.get(),
                                                           .now = UnixSecondsNow,
                                                           .member_timeout = peers_->timeout()});
  // Watches through the hub: relayed to members, notifications passed on
  // through this node's outbox (node/hub/watch_relay.h).
  hub_watch_relay_ = std::make_unique<hub::WatchRelay>(
      hub::WatchRelayDeps{.node_id = c.node_id(),
                          .store = store_.get(),
                          .policy = policy_.get(),
                          .audit = audit_.get(),
                          .members = peers_.get(),
                          .inbox = inbox_.get(),
                          .now = UnixSecondsNow,
                          .kick_outbox = [courier = courier_.get()] { courier->Kick(); },
                          .member_timeout = peers_->timeout(),
                          .ack_delay_ms = FaultAckDelayMs()});
  hub_oprf_relay_ =
      std::make_unique<hub::OprfRelayer>(hub::OprfRelayDeps{.node_id = c.node_id(),
                                                            .policy = policy_.get(),
                                                            .members = peers_.get(),
                                                            .auditor = inbound_auditor_.get(),
                                                            .now = UnixSecondsNow,
                                                            .member_timeout = peers_->timeout()});
  spdlog::info("role hub: relaying Match, Watch and the OPRF calls to {} members",
               peers_->peers().size());
  return absl::OkStatus();
}

void Node::BuildFederationService() {
  const auto& c = config_;
  federation::FederationDeps d{
      .trust_domain = c.federation(),
      .matcher = matcher_.get(),
      .limits = {.max_items = c.limits().max_items_per_request(),
                 .deadline = std::chrono::milliseconds(c.limits().server_deadline_ms()),
                 .replay = ReplayOf(c)},
      // Nothing is answered from a store that met damaged data.
      .serving_check = [store = store_.get()] { return store->health().Check(); },
      .auditor = inbound_auditor_.get(),
      .oprf = oprf_.get(),
      .node_id = c.node_id(),
      // Only a peer marked `role: hub` may relay OPRF calls for others.
      .is_hub = [peers = peers_.get()](const std::string& peer) { return peers->IsHub(peer); },
      // Relays widen nothing: a hub's call is answered only for the querier
      // that signed it (its certificate checked as a TLS peer's), under both
      // rules.
      .relay_verifier =
          std::make_unique<federation::RelayVerifier>(federation::RelayVerifier::Options{
              .node_id = c.node_id(),
              .trust_domain = c.federation(),
              .check_chain = federation::ChainCheckWith(
                  federation::MakePeerChainVerifier(tls_->active(), c.federation()),
                  c.federation()),
              .replay = ReplayOf(c)}),
      .followups = followups_.get(),
      .watches = watches_.get(),
      .inbox = inbox_.get()};
  if (oprf_ != nullptr) {
    d.key_signer = [audit = audit_.get()] { return audit != nullptr ? audit->signer() : nullptr; };
  }
  if (hub_relay_ != nullptr) {
    hub::Relay* r = hub_relay_.get();
    d.relay = [r](const std::string& peer, const ifed::v1::MatchRequest& req,
                  std::chrono::system_clock::time_point deadline,
                  ifed::v1::MatchResponse* resp) { return r->Match(peer, req, deadline, resp); };
    d.deconflict_relay = [r](const std::string& peer, const ifed::v1::DeconflictRequest& req,
                             std::chrono::system_clock::time_point deadline,
                             ifed::v1::DeconflictResponse* resp) {
      return r->Deconflict(peer, req, deadline, resp);
    };
    // Members' reports of their direct hits (node/hub/reports.h).
    d.reports = [deps = hub::ReportDeps{.policy = policy_.get(),
                                        .members = peers_.get(),
                                        .stats = hub_stats_.get(),
                                        .audit = audit_.get(),
                                        .now = UnixSecondsNow}](const std::string& peer,
                                                                const ifed::v1::HitReport& report,
                                                                ifed::v1::HitReportAck* ack) {
      return hub::AcceptHitReport(deps, peer, report, ack);
    };
    hub::WatchRelay* w = hub_watch_relay_.get();
    d.watch_relay = [w](const std::string& peer, const ifed::v1::WatchRequest& req,
                        std::chrono::system_clock::time_point deadline,
                        ifed::v1::WatchResponse* resp) {
      return w->Watch(peer, req, deadline, resp);
    };
    d.deliver_relay = [w](const std::string& peer, const ifed::v1::DeliverRequest& req,
                          ifed::v1::DeliverResponse* resp) { return w->Deliver(peer, req, resp); };
    d.oprf_relay = hub_oprf_relay_.get();
  }
  federation_service_ = std::make_unique<federation::FederationService>(std::move(d));
}

void Node::BuildAdmin() {
  const auto& c = config_;
  // Partners' signed OPRF key announcements are checked against the same
  // trust as their TLS handshakes (CA bundle and CRLs, re-read on change).
  node_verifier_ = federation::MakePeerChainVerifier(tls_->active(), c.federation());
  query_transport_ = std::make_unique<query::GrpcPeerTransport>(peers_.get(), relay_signer_.get(),
                                                                c.federation());
  admin_service_ = std::make_unique<admin::AdminService>(admin::AdminDeps{
      .node_id = c.node_id(),
      .jurisdiction = c.jurisdiction(),
      .unit = c.unit().empty() ? c.node_id() : c.unit(),
      .contact = c.contact(),
      .default_retention_days = c.default_retention_days(),
      .retention = {c.retention().begin(), c.retention().end()},
      .store = store_.get(),
      .normalizer = normalizer_.get(),
      .keys = keys_.get(),
      .sealer = sealer_.get(),
      .peers = peers_.get(),
      .relay_signer = relay_signer_.get(),
      .transport = query_transport_.get(),
      .counters = &counters_,
      .now = UnixSecondsNow,
      .started = UnixSecondsNow(),
      .policy = policy_.get(),
      .reload_policy = [this] { return ReloadPolicy(); },
      .audit = audit_.get(),
      .federation = c.federation(),
      .ca_cert = c.tls().ca_cert(),
      .oprf = oprf_querier_.get(),
      .oprf_peers = {c.oprf_peers().begin(), c.oprf_peers().end()},
      .node_verifier = node_verifier_.get(),
      .tls_files = [t = tls_.get()] { return t->active(); },
      .on_records_removed =
          [o = oprf_.get(), courier = courier_.get()] {
            if (o != nullptr) o->Invalidate();
            courier->Kick();  // withdrawals of notified records.
          },
      .on_records_changed =
          [o = oprf_.get()] {
            if (o != nullptr) o->Invalidate();
          },
      .sweep = [this] { return SweepExpired(); },
      .hub_stats = hub_stats_.get(),
      .hub_k_threshold = std::max(1u, c.hub_k_threshold()),
      .kick_outbox = [courier = courier_.get()] { courier->Kick(); },
      .keys_admin =
          [r = rotation_.get()](const ifed::v1::KeysRequest& request, const std::string& actor,
                                ifed::v1::KeysResponse* response) {
            absl::Status s = r->Handle(request, actor, response);
            return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
          }});
  ops_service_ = std::make_unique<admin::ConsoleOpsService>(admin::OpsDeps{
      .node_id = c.node_id(),
      .store = store_.get(),
      .audit = audit_.get(),
      .policy = policy_.get(),
      .crl_dir = [t = tls_.get()] { return t->active().crl_dir; },
      .now_ms = nullptr,
      .caller = nullptr});
}

absl::Status Node::StartServers() {
  const auto& c = config_;
  // Health checking and reflection on both listeners: grpcurl and
  // load balancers work out of the box. Reflection lists services and
  // message types only; every call on the federation listener is still mTLS.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  {
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort(c.listen(),
                       federation::MakeServerCredentials(tls_->active(), c.federation(),
                                                         AuditRefusals(audit_.get())),
                       &port);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> ic;
    ic.push_back(rpc_metrics_->Factory(
        "federation", [fed = c.federation(), this](const grpc::ServerContextBase& ctx) {
          auto auth = ctx.auth_context();
          auto id = auth ? federation::PeerNodeId(*auth, fed) : absl::NotFoundError("");
          return id.ok() && peers_->Has(*id) ? *id : std::string("unknown");
        }));
    ic.push_back(daemon::VersionHeaderFactory());
    b.experimental().SetInterceptorCreators(std::move(ic));
    federation::ApplyServerLimits(
        b, {.max_message_bytes = static_cast<int>(c.limits().max_message_bytes()),
            .max_metadata_bytes = static_cast<int>(c.limits().max_metadata_bytes()),
            .handshake_timeout_ms = static_cast<int>(c.limits().handshake_timeout_ms()),
            .max_concurrent_streams = static_cast<int>(c.limits().max_concurrent_streams())});
    b.RegisterService(federation_service_.get());
    federation_server_ = b.BuildAndStart();
    if (!federation_server_ || port == 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", c.listen(), " (address in use or invalid)"));
    }
    store_->health().OnDamage([this](const store::StoreDamage& d) { OnStoreDamage(d); });
  }
  // No listening port: admin::LocalListener accepts on the unix socket,
  // learns each caller's uid (SO_PEERCRED) and hands the connection over.
  grpc::ServerBuilder b;
  b.SetMaxReceiveMessageSize(federation::kMaxMessageBytes);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> ic;
  ic.push_back(rpc_metrics_->Factory(
      "admin", [](const grpc::ServerContextBase&) { return std::string("local"); }));
  b.experimental().SetInterceptorCreators(std::move(ic));
  b.RegisterService(admin_service_.get());
  b.RegisterService(ops_service_.get());
  admin_server_ = b.BuildAndStart();
  if (!admin_server_) {
    return absl::UnavailableError(absl::StrCat("cannot serve the admin socket ", c.admin_socket()));
  }
  admin::SetConsoleUids({c.console_uids().begin(), c.console_uids().end()});
  IFED_ASSIGN_OR_RETURN(admin_listener_,
                        admin::LocalListener::Start(c.admin_socket(), admin_server_.get()));
  return absl::OkStatus();
}

void Node::StartBackground() {
  sweeper_ = std::thread([this] { SweepLoop(); });
  syncer_ = std::thread([this] { FilterSyncLoop(); });
  // The policy may have changed while the node was down: held watches are
  // decided again before anything is delivered.
  if (auto changed = watches_->Review(); !changed.ok()) {
    spdlog::error("held watches not reviewed at start: {}",
                  std::string(changed.status().message()));
  }
  courier_->Start();  // delivers what a previous run left in the outbox.
  spdlog::info("node {} ({}) serving federation on {} and admin on {}; key epoch {}",
               config_.node_id(), config_.jurisdiction(), config_.listen(), config_.admin_socket(),
               keys_ ? std::to_string(keys_->current_epoch()) : "none (hub)");
}

absl::Status Node::StartMetrics() {
  metrics_ = std::make_unique<metrics::Registry>();
  rpc_metrics_ = std::make_unique<metrics::RpcMetrics>(metrics_.get());
  Counters* k = &counters_;
  auto counter = [&](const char* name, const char* help, std::atomic<uint64_t>* v) {
    metrics_->AddCallback(name, help, "counter", {}, [v] {
      return std::vector<metrics::Callback::Sample>{{{}, static_cast<double>(v->load())}};
    });
  };
  counter("ifed_inbound_queries_total", "Match requests answered for peers.", &k->inbound_queries);
  counter("ifed_inbound_items_total", "Items peers asked about.", &k->inbound_items);
  counter("ifed_inbound_hits_total", "Items peers asked about that we hold (hits).",
          &k->inbound_hits);
  counter("ifed_denied_queries_total", "Peer requests refused by policy or quota.",
          &k->denied_queries);
  counter("ifed_outbound_queries_total", "Match requests our analysts sent.",
          &k->outbound_queries);
  enumeration_alerts_ = metrics_->AddCounter(
      "ifed_oprf_enumeration_alerts_total",
      "Partners whose OPRF evaluation volume looked like enumeration, by peer and action "
      "(alert or block).",
      {"peer", "action"});
  metrics_->AddCallback("ifed_store_records", "Records held, by indicator type.", "gauge",
                        {"type"}, [store = store_.get()] {
                          std::vector<metrics::Callback::Sample> out;
                          auto counts = store->CountByType();
                          if (!counts.ok()) return out;
                          for (const auto& [type, n] : *counts) {
                            out.push_back({{TypeName(static_cast<IndicatorType>(type))},
                                           static_cast<double>(n)});
                          }
                          return out;
                        });
  AddStateMetrics();
  // The outbox and overdue follow-ups.
  metrics_->AddCallback("ifed_outbox_pending", "Deliveries waiting in the outbox.", "gauge", {},
                        [this] {
                          return std::vector<metrics::Callback::Sample>{
                              {{}, courier_ ? static_cast<double>(courier_->pending()) : 0.0}};
                        });
  metrics_->AddCallback("ifed_outbox_delivered_total",
                        "Outbox deliveries acknowledged by their receiver.", "counter", {}, [this] {
                          return std::vector<metrics::Callback::Sample>{
                              {{}, courier_ ? static_cast<double>(courier_->delivered()) : 0.0}};
                        });
  metrics_->AddCallback("ifed_outbox_expired_total",
                        "Outbox deliveries given up after 30 days undelivered.", "counter", {},
                        [this] {
                          return std::vector<metrics::Callback::Sample>{
                              {{}, courier_ ? static_cast<double>(courier_->expired()) : 0.0}};
                        });
  metrics_->AddCallback("ifed_followups_overdue",
                        "Follow-up requests from partners pending past their deadline.", "gauge",
                        {}, [this] {
                          return std::vector<metrics::Callback::Sample>{
                              {{}, static_cast<double>(followups_overdue_.load())}};
                        });
  if (config_.metrics_listen().empty()) return absl::OkStatus();
  IFED_ASSIGN_OR_RETURN(metrics_server_,
                        metrics::MetricsServer::Start(config_.metrics_listen(), metrics_.get()));
  spdlog::info("metrics on http://{}/metrics", config_.metrics_listen());
  return absl::OkStatus();
}

// Gauges read when scraped: audit chain, RocksDB, daily quota
// use per partner. Labels are node ids and fixed names only.
void Node::AddStateMetrics() {
  using Samples = std::vector<metrics::Callback::Sample>;
  metrics_->AddCallback("ifed_audit_chain_length", "Events in the audit hash chain.", "gauge", {},
                        [audit = audit_.get()] {
                          return Samples{{{}, static_cast<double>(audit->head_seq())}};
                        });
  metrics_->AddCallback("ifed_store_damaged",
                        "1 once the store met damaged data while serving (answers stopped).",
                        "gauge", {}, [store = store_.get()] {
                          return Samples{{{}, store->health().damaged() ? 1.0 : 0.0}};
                        });
  metrics_->AddCallback(
      "ifed_audit_checkpoint_age_seconds", "Seconds since the newest signed audit checkpoint.",
      "gauge", {}, [audit = audit_.get()] {
        const int64_t ts = audit->LatestCheckpoint().ts_ms;
        if (ts == 0) return Samples{};
        return Samples{{{}, static_cast<double>(audit->now_ms() - ts) / 1000.0}};
      });
  struct Property {
    const char* metric;
    const char* help;
    const char* name;
    bool db_wide;
  };
  static constexpr Property kProperties[] = {
      {"ifed_rocksdb_sst_bytes", "Size of the store's SST files.", "rocksdb.total-sst-files-size",
       false},
      {"ifed_rocksdb_memtable_bytes", "Size of the store's memtables.",
       "rocksdb.cur-size-all-mem-tables", false},
      {"ifed_rocksdb_pending_compaction_bytes", "Bytes compaction still has to rewrite.",
       "rocksdb.estimate-pending-compaction-bytes", false},
      {"ifed_rocksdb_write_stopped", "1 while RocksDB stops writes (a stall).",
       "rocksdb.is-write-stopped", true},
      {"ifed_rocksdb_delayed_write_rate_bytes",
       "Write rate RocksDB slows writers to (0 when writes are not delayed).",
       "rocksdb.actual-delayed-write-rate", true},
  };
  for (const Property& p : kProperties) {
    metrics_->AddCallback(p.metric, p.help, "gauge", {}, [store = store_.get(), p] {
      std::optional<uint64_t> v = store->IntProperty(p.name, p.db_wide);
      return v ? Samples{{{}, static_cast<double>(*v)}} : Samples{};
    });
  }
  metrics_->AddCallback(
      "ifed_oprf_filter_age_seconds",
      "Seconds since this node's copy of a partner's OPRF filter last changed (sync).", "gauge",
      {"peer"}, [this] {
        Samples out;
        const auto now = std::filesystem::file_time_type::clock::now();
        for (const ifed::v1::PeerConfig& peer : config_.peers()) {
          std::optional<std::filesystem::file_time_type> newest;
          for (const char* ext : {".filter", ".delta"}) {
            std::error_code ec;
            const auto t = std::filesystem::last_write_time(
                absl::StrCat(config_.data_dir(), "/oprf/", peer.id(), ext), ec);
            if (!ec && (!newest || t > *newest)) newest = t;
          }
          if (!newest) continue;
          out.push_back({{peer.id()},
                         std::chrono::duration<double>(now - *newest).count()});
        }
        return out;
      });
  metrics_->AddCallback(
      "ifed_quota_used_items", "Items partners asked today (UTC), against their daily quota.",
      "gauge", {"partner"}, [store = store_.get(), policy = policy_.get()] {
        Samples out;
        const int64_t now_ms = UnixMillisNow();
        std::set<std::string> partners;
        for (const policy::EffectiveRule& r : policy->Get()->rules()) {
          if (r.Covers(ifed::v1::INBOUND) && r.rule.has_quota() &&
              r.rule.quota().items_per_day() > 0) {
            partners.insert(r.rule.partner());
          }
        }
        for (const std::string& partner : partners) {
          auto used = store->Counter(policy::QuotaKeeper::DayKey(partner, now_ms));
          if (used.ok()) out.push_back({{partner}, static_cast<double>(*used)});
        }
        return out;
      });
  metrics_->AddCallback(
      "ifed_quota_limit_items", "Daily item quota per partner (inbound rules that set one).",
      "gauge", {"partner"}, [policy = policy_.get()] {
        Samples out;
        std::set<std::string> seen;
        for (const policy::EffectiveRule& r : policy->Get()->rules()) {
          if (r.Covers(ifed::v1::INBOUND) && r.rule.has_quota() &&
              r.rule.quota().items_per_day() > 0 && seen.insert(r.rule.partner()).second) {
            out.push_back({{r.rule.partner()}, static_cast<double>(r.rule.quota().items_per_day())});
          }
        }
        return out;
      });
}

absl::Status Node::ReloadPolicy() {
  const std::string before = policy_->Get()->version();
  absl::StatusOr<std::shared_ptr<const policy::Policy>> loaded =
      policy::Policy::LoadDir(config_.policy_dir());
  absl::Status s = loaded.status();
  if (audit_) {
    audit::Event e;
    e.action = "policy.reload";
    e.actor = "node";
    e.outcome = s.ok() ? "ok" : "refused";
    e.Set("before", before).Set("policy", s.ok() ? (*loaded)->version() : before);
    if (!s.ok()) e.Set("reason", std::string(s.message()));
    // A change whose audit event cannot be written is not made.
    if (absl::Status a = audit_->Append(e); !a.ok()) {
      spdlog::error("policy reload not applied, keeping {}: its audit event cannot be written: {}",
                    before, std::string(a.message()));
      return absl::UnavailableError(absl::StrCat(
          "policy reload not applied: the audit log cannot be written (", a.message(), ")"));
    }
  }
  if (s.ok()) {
    policy_->Set(std::move(*loaded));
    spdlog::info("policy {} reloaded: {} partner rules", policy_->Get()->version(),
                 policy_->Get()->size());
    // A narrowed rule suspends the watches it no longer allows (a widened
    // one resumes them); the watchers are told through the outbox.
    if (watches_) {
      if (auto changed = watches_->Review(); !changed.ok()) {
        spdlog::error("held watches not reviewed after the reload: {}",
                      std::string(changed.status().message()));
      } else if (*changed > 0 && courier_) {
        courier_->Kick();
      }
    }
  } else {
    spdlog::error("policy reload refused, keeping {}: {}", before, std::string(s.message()));
  }
  return s;
}

absl::StatusOr<uint64_t> Node::SweepExpired() {
  IFED_ASSIGN_OR_RETURN(
      uint64_t n, admin::SweepExpired(store_.get(), audit_.get(),
                                      admin::EpochAliases(store_.get(), keys_.get(), sealer_.get()),
                                      UnixSecondsNow()));
  if (n > 0) {
    if (oprf_) oprf_->Invalidate();
    if (courier_) courier_->Kick();
    spdlog::info("expiry sweep: {} records removed", n);
  }
  // The hits log is kept as long as records are by default.
  auto pruned = admin::PruneHits(
      store_.get(), (UnixSecondsNow() - int64_t{config_.default_retention_days()} * 86400) * 1000);
  if (!pruned.ok()) {
    spdlog::error("hits log pruning failed: {}", std::string(pruned.status().message()));
  } else if (*pruned > 0) {
    spdlog::info("hits log: {} entries past retention removed", *pruned);
  }
  // Standing queries past their `until`: held for partners, our
  // own, and a hub's relay mappings.
  auto watches = federation::PurgeExpiredWatches(store_.get(), audit_.get(), UnixSecondsNow());
  if (!watches.ok()) {
    spdlog::error("watch expiry failed: {}", std::string(watches.status().message()));
  } else if (*watches > 0) {
    spdlog::info("watches: {} past their end removed", *watches);
  }
  // Delivery ids seen: kept longer than any sender resends one.
  auto ids = federation::PruneReceivedIds(
      store_.get(), UnixSecondsNow() * 1000 - federation::kReceivedIdRetention.count());
  if (!ids.ok()) {
    spdlog::error("delivery id pruning failed: {}", std::string(ids.status().message()));
  } else if (*ids > 0) {
    spdlog::info("outbox: {} delivery ids past retention forgotten", *ids);
  }
  return n;
}

void Node::OnEnumeration(const federation::EnumerationAlert& a) {
  if (enumeration_alerts_ != nullptr) {
    enumeration_alerts_->Inc({a.peer, a.blocked ? "block" : "alert"});
  }
  if (!audit_) return;
  audit::Event e;
  e.action = "oprf.enumeration";
  e.actor = absl::StrCat("peer:", a.peer);
  e.outcome = a.blocked ? "blocked" : "alert";
  e.Set("peer", a.peer)
      .Set("evaluations", static_cast<int64_t>(a.evaluations))
      .Set("window_seconds", static_cast<int64_t>(a.window_s))
      .Set("budget", static_cast<int64_t>(a.budget))
      .Set("share_percent", static_cast<int64_t>(a.share * 100 + 0.5))
      .Set("policy", a.policy_version);
  if (absl::Status s = audit_->Append(e); !s.ok()) {
    spdlog::error("audit of an enumeration alert failed: {}", std::string(s.message()));
  }
}

void Node::OnOprfKeyRetired(uint32_t epoch) {
  if (!audit_) return;
  audit::Event e;
  e.action = "oprf.key.retired";
  e.actor = "node";
  e.outcome = "ok";
  e.Set("epoch", static_cast<int64_t>(epoch));
  if (absl::Status s = audit_->Append(e); !s.ok()) {
    spdlog::error("audit of an OPRF key retirement failed: {}", std::string(s.message()));
  }
}

void Node::OnStoreDamage(const store::StoreDamage& d) {
  spdlog::critical("STORE DAMAGED ({}: {}): federation answers stopped (health NOT_SERVING). "
                   "To do: {}",
                   d.where, d.detail, std::string(store::kStoreDamageAdvice));
  if (federation_server_ != nullptr) {
    if (grpc::HealthCheckServiceInterface* h = federation_server_->GetHealthCheckService()) {
      h->SetServingStatus(ifed::v1::Federation::service_full_name(), false);
      h->SetServingStatus("", false);
    }
  }
  if (!audit_) return;
  damage_thread_ = std::thread([this, d] {
    audit::Event e;
    e.action = "store.damaged";
    e.actor = "node";
    e.outcome = "degraded";
    e.Set("where", d.where).Set("detail", d.detail).Set("advice",
                                                        std::string(store::kStoreDamageAdvice));
    if (absl::Status s = audit_->Append(e); !s.ok()) {
      spdlog::error("audit of the store damage failed: {}", std::string(s.message()));
    }
  });
}

void Node::SweepLoop() {
  const auto period = std::chrono::seconds(
      config_.expiry_sweep_seconds() > 0 ? config_.expiry_sweep_seconds() : 3600);
  std::unique_lock<std::mutex> l(sweep_mu_);
  while (!sweep_cv_.wait_for(l, period, [this] { return sweep_stop_; })) {
    l.unlock();
    if (auto n = SweepExpired(); !n.ok()) {
      spdlog::error("expiry sweep failed: {}", std::string(n.status().message()));
    }
    l.lock();
  }
}

void Node::FilterSyncLoop() {
  const auto period = std::chrono::seconds(
      config_.oprf_sync_seconds() > 0 ? config_.oprf_sync_seconds() : 300);
  std::unique_lock<std::mutex> l(sweep_mu_);
  while (!sweep_cv_.wait_for(l, period, [this] { return sweep_stop_; })) {
    l.unlock();
    if (oprf_) oprf_->RetireKeys();  // the previous key, once its overlap is over
    admin_service_->SyncAllFilters();
    l.lock();
  }
}

void Node::Shutdown() {
  {
    std::lock_guard<std::mutex> l(sweep_mu_);
    sweep_stop_ = true;
  }
  sweep_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  if (syncer_.joinable()) syncer_.join();
  if (rotation_) rotation_->Stop();  // a running re-index resumes at the next start.
  if (damage_thread_.joinable()) damage_thread_.join();
  if (courier_) courier_->Stop();  // before the store and the audit log close.
  metrics_server_.reset();  // its callbacks read the store.
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(5);
  if (admin_listener_) admin_listener_->Stop();
  if (admin_server_) admin_server_->Shutdown(deadline);
  if (federation_server_) federation_server_->Shutdown(deadline);
  admin_server_.reset();
  federation_server_.reset();
  ops_service_.reset();  // stops a running chain verification before the log closes.
  if (!config_.admin_socket().empty()) ::unlink(config_.admin_socket().c_str());
  if (tls_) tls_->OnPublish(nullptr);  // no renewal into a closing audit log.
  if (audit_ && audit_open_) {  // never write into a store found damaged at start.
    audit::Event e;
    e.action = "stop";
    e.actor = "node";
    e.outcome = "ok";
    (void)audit_->Append(e);
    audit_->Close();  // final signed checkpoint.
  }
  const bool record_clean =
      audit_ != nullptr && audit_open_ && store_ != nullptr && !store_->write_failing();
  const uint64_t head = audit_ != nullptr ? audit_->head_seq() : 0;
  federation_service_.reset();
  admin_service_.reset();
  inbound_auditor_.reset();
  audit_.reset();
  const bool had_store = store_ != nullptr;
  store_.reset();
  if (had_store && record_clean) {
    if (absl::Status s = WriteCleanStop(config_.data_dir(), head); !s.ok()) {
      spdlog::error("clean stop not recorded: {}", std::string(s.message()));
    }
  }
  audit_open_ = false;
}

Node::~Node() { Shutdown(); }

}  // namespace ifed::daemon
