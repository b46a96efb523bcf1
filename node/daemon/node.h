// Node: one running ifed-node. Owns every component, wires them together,
// serves the federation listener (mTLS) and the admin socket.
#ifndef IFED_DAEMON_NODE_H_
#define IFED_DAEMON_NODE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/status/statusor.h"
#include "node/admin/console_ops_service.h"
#include "node/admin/local_listener.h"
#include "node/admin/service.h"
#include "node/audit/audit_log.h"
#include "node/audit/inbound.h"
#include "node/daemon/binding.h"
#include "node/daemon/key_rotation.h"
#include "node/federation/matcher.h"
#include "node/federation/desk/outbox.h"
#include "node/federation/service.h"
#include "node/federation/transport/tls_reload.h"
#include "node/federation/desk/watch_service.h"
#include "node/federation/oprf/oprf_querier.h"
#include "node/federation/oprf/oprf_responder.h"
#include "node/hub/oprf_relay.h"
#include "node/hub/relay.h"
#include "node/hub/reports.h"
#include "node/hub/watch_relay.h"
#include "node/metrics/grpc_metrics.h"
#include "node/metrics/server.h"
#include "node/policy/policy.h"
#include "node/query/grpc_peer_transport.h"
#include "proto/config.pb.h"

namespace ifed::daemon {

class Node {
 public:
  // Opens keys, store and policy and starts both listeners. Any failure
  // (missing or 0644 key, bad policy, port in use) is an error naming the
  // file or address; nothing is left running.
  static absl::StatusOr<std::unique_ptr<Node>> Start(const ifed::v1::NodeConfig& config);
  ~Node();

  // Re-reads the policy directory; a bad policy keeps the old one.
  absl::Status ReloadPolicy();
  // Removes expired records now (also every expiry_sweep_seconds).
  absl::StatusOr<uint64_t> SweepExpired();
  // Stops accepting calls, lets running ones finish (bounded), closes the store.
  void Shutdown();

 private:
  explicit Node(ifed::v1::NodeConfig config) : config_(std::move(config)) {}
  // Node::Start, one step per component, in order. Each step builds what
  // it names from the config and the components built before it.
  absl::Status StartTls();  // tls_, the node trust.
  absl::Status OpenKeys();  // keys_, sealer_, normalizer_.
  // store_, checked against the data-dir binding; the audit head of the
  // last clean stop, if there was one.
  absl::StatusOr<std::optional<uint64_t>> OpenStore();
  absl::Status OpenPolicyAndAudit(std::optional<uint64_t> clean_head);
  // rotation_; staged ingests finished, keys re-indexed, binding written.
  absl::Status Recover();
  void BuildMatcher();       // inbound_auditor_, quotas_, matcher_.
  absl::Status BuildOprf();  // oprf_ (if configured), oprf_querier_.
  void BuildPeers();         // peers_, relay_signer_.
  void BuildDesks();         // followups_, watches_, inbox_, courier_.
  absl::Status BuildHub();   // role hub: statistics and relays.
  void BuildFederationService();
  void BuildAdmin();  // node_verifier_, query_transport_, admin_service_.
  // The metrics registry and, when metrics_listen is set, its HTTP server.
  absl::Status StartMetrics();
  void AddStateMetrics();
  absl::Status StartServers();  // federation listener, admin socket.
  void StartBackground();       // sweeps, filter sync, the courier.
  BindingInputs Binding() const;
  void SweepLoop();
  // Every oprf_sync_seconds (default 300), the filters of OPRF peers.
  void FilterSyncLoop();
  // A partner's OPRF volume looks like enumeration: audit + metric.
  void OnEnumeration(const federation::EnumerationAlert& alert);
  // Audit of an OPRF key epoch destroyed after its overlap.
  void OnOprfKeyRetired(uint32_t epoch);
  // The store met damaged data while serving: federation health
  // NOT_SERVING, the log says what to do, audit event (from damage_thread_:
  // the damage may be met under the store's write lock).
  void OnStoreDamage(const store::StoreDamage& damage);

  ifed::v1::NodeConfig config_;
  std::unique_ptr<federation::TlsReloader> tls_;  // before the servers that use its files.
  Counters counters_;
  std::unique_ptr<normalize::Normalizer> normalizer_;
  std::unique_ptr<crypto::KeyedPseudonymizer> keys_;  // null on a hub (no federation key).
  std::unique_ptr<crypto::Sealer> sealer_;
  std::unique_ptr<store::Store> store_;
  // Audit: destroyed before the store; closed in Shutdown().
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<audit::InboundAuditor> inbound_auditor_;
  bool audit_open_ = false;  // the store's audit head was checked: a stop may mark it clean.
  std::unique_ptr<policy::PolicyHolder> policy_;
  std::unique_ptr<policy::QuotaKeeper> quotas_;
  std::unique_ptr<federation::Matcher> matcher_;
  std::unique_ptr<federation::OprfResponder> oprf_;        // null: oprf_seed_file unset.
  std::unique_ptr<federation::OprfQuerier> oprf_querier_;
  std::unique_ptr<federation::FederationService> federation_service_;
  std::unique_ptr<federation::PeerClients> peers_;
  // Follow-ups (every node) and, with role hub, the relay and its
  // statistics.
  std::unique_ptr<federation::FollowUpDesk> followups_;
  // Watches (responder and querier side) and the durable outbox courier,
  // which also flags overdue follow-ups after each pass.
  std::unique_ptr<federation::WatchDesk> watches_;
  std::unique_ptr<federation::Inbox> inbox_;
  std::unique_ptr<federation::Courier> courier_;
  std::atomic<uint64_t> followups_overdue_{0};
  std::unique_ptr<hub::HubStats> hub_stats_;
  std::shared_ptr<federation::PeerChainVerifier> node_verifier_;  // OPRF key announcements.
  std::unique_ptr<hub::Relay> hub_relay_;
  std::unique_ptr<hub::WatchRelay> hub_watch_relay_;
  std::unique_ptr<hub::OprfRelayer> hub_oprf_relay_;  // OPRF through the hub.
  // Signs this node's calls through a hub (relay_auth.h).
  std::unique_ptr<federation::RelaySigner> relay_signer_;
  // The calls of outbound queries (match, OPRF, watches) over peers_.
  std::unique_ptr<query::GrpcPeerTransport> query_transport_;
  std::unique_ptr<admin::AdminService> admin_service_;
  std::unique_ptr<admin::ConsoleOpsService> ops_service_;  // operations calls of the console.
  // Metrics: the registry outlives the servers that feed it; the
  // HTTP server stops first in Shutdown() (its callbacks read the store).
  std::unique_ptr<metrics::Registry> metrics_;
  std::unique_ptr<metrics::RpcMetrics> rpc_metrics_;
  metrics::Counter* enumeration_alerts_ = nullptr;  // owned by metrics_.
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  std::unique_ptr<grpc::Server> federation_server_;
  std::unique_ptr<grpc::Server> admin_server_;
  std::unique_ptr<admin::LocalListener> admin_listener_;  // stopped before admin_server_.
  // The periodic expiry sweep, stopped first in Shutdown().
  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool sweep_stop_ = false;
  std::thread sweeper_;
  std::thread syncer_;
  // Federation key epochs: re-index at start, `ifedctl keys` at run time.
  std::unique_ptr<KeyRotation> rotation_;
  std::thread damage_thread_;  // audits a store damage (at most once).
};

}  // namespace ifed::daemon

#endif  // IFED_DAEMON_NODE_H_
