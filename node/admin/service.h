// AdminService: the local API for the agency's own staff, served on a unix
// socket (mode 0660). Raw values arrive here and stop here: the node
// normalises, pseudonymises and seals them; only pseudonyms go to peers.
#ifndef IFED_ADMIN_SERVICE_H_
#define IFED_ADMIN_SERVICE_H_

#include <functional>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "node/audit/audit_log.h"
#include "node/common/counters.h"
#include "node/crypto/keyed.h"
#include "node/crypto/sealer.h"
#include "node/federation/oprf/oprf_querier.h"
#include "node/federation/transport/peer_client.h"
#include "node/federation/transport/peer_verifier.h"
#include "node/federation/transport/relay_auth.h"
#include "node/hub/stats.h"
#include "node/normalize/normalizer.h"
#include "node/policy/policy.h"
#include "node/query/outbound_matcher.h"
#include "node/query/peer_transport.h"
#include "node/query/watch_manager.h"
#include "node/admin/staff.h"
#include "node/store/store.h"
#include "proto/admin.grpc.pb.h"
#include "proto/config.pb.h"

namespace ifed::admin {

struct AdminDeps {
  std::string node_id;
  std::string jurisdiction;
  std::string unit;
  std::string contact;  // config contact: `followup approve --contact` replies with it.
  uint32_t default_retention_days = 365;
  // Retention per type / crime area (config `retention`), most
  // specific first; default_retention_days otherwise.
  std::vector<ifed::v1::RetentionRule> retention;
  store::Store* store = nullptr;
  const normalize::Normalizer* normalizer = nullptr;
  // Null on a hub (it holds no federation key): the calls that pseudonymise
  // (ingest, match, watch, erase, deconflict) then fail FailedPrecondition.
  const crypto::KeyedPseudonymizer* keys = nullptr;
  const crypto::Sealer* sealer = nullptr;
  federation::PeerClients* peers = nullptr;
  // Signs this node's calls through a hub (federation/transport/relay_auth.h); null:
  // calls through a hub go unsigned (and members refuse them).
  const federation::RelaySigner* relay_signer = nullptr;
  // The calls of outbound queries (node/query/peer_transport.h); null: the
  // service makes one over `peers` and `relay_signer`.
  query::PeerTransport* transport = nullptr;
  Counters* counters = nullptr;
  std::function<int64_t()> now;  // unix seconds.
  int64_t started = 0;
  // Sharing policy: outbound checks in Match, explain and diff (policy_rpc.cc).
  const policy::PolicyHolder* policy = nullptr;
  // Re-reads the policy directory (Node::ReloadPolicy); a bad set keeps the old one.
  std::function<absl::Status()> reload_policy;
  // Audit: ingests and outbound matches are audited; receipts of
  // peers' answers are verified against the federation CA. Null: no audit.
  audit::AuditLog* audit = nullptr;
  std::string federation;  // SPIFFE trust domain of the peers.
  std::string ca_cert;     // PEM bundle of the federation CA(s).
  // OPRF scheme: pinned keys and partners' filters (data_dir/oprf);
  // null = no OPRF peers. `oprf_peers`: asked with OPRF when no outbound
  // policy rule selects the scheme (config oprf_peers).
  federation::OprfQuerier* oprf = nullptr;
  std::vector<std::string> oprf_peers;
  // Verifies a partner's signed OPRF key announcement as that node's before
  // anything is pinned (oprf_key_statement.h). Null: every key is refused.
  federation::PeerChainVerifier* node_verifier = nullptr;
  // Peers (peers_rpc.cc): the TLS files in force, for health checks.
  std::function<federation::TlsFiles()> tls_files;
  // Data lifecycle (lifecycle_rpc.cc): after records are removed
  // (drops derived state such as OPRF filters); the expiry sweep.
  std::function<void()> on_records_removed;
  // After an ingest stored or updated records (drops cached OPRF filters).
  std::function<void()> on_records_changed;
  std::function<absl::StatusOr<uint64_t>()> sweep;
  // The hub's statistics (role hub; null on a member).
  const hub::HubStats* hub_stats = nullptr;
  uint32_t hub_k_threshold = 1;  // config hub_k_threshold: cells below it are withheld.
  // Wakes the outbox courier after a change that enqueued
  // deliveries (ingest hitting a watch, erasure, follow-up decision).
  std::function<void()> kick_outbox;
  // Key status / rotation / drop at run time (the daemon's Node).
  std::function<grpc::Status(const ifed::v1::KeysRequest&, const std::string& actor,
                             ifed::v1::KeysResponse*)>
      keys_admin;
};

// The local caller of an admin call, for audit: "local:uid=<n>(<user>)" from
// the connection's kernel credentials (see local_listener.h).
std::string LocalActor(grpc::ServerContext* ctx);

// An absl::Status of the plain classes as the admin call's gRPC status
// (same code, same message).
inline grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// Data lifecycle helpers (lifecycle_rpc.cc), shared with the daemon.
// The index keys of a record under every other epoch still indexed and held
// in `keys` (key rotation overlap), derived from its sealed value.
store::Store::AliasFn EpochAliases(const store::Store* store,
                                   const crypto::KeyedPseudonymizer* keys,
                                   const crypto::Sealer* sealer);
// Removes every record expired at `now` (unix seconds), in batches, each
// with an "expire" audit event (counts only) when `audit` is set. Returns
// the number removed.
absl::StatusOr<uint64_t> SweepExpired(store::Store* store, audit::AuditLog* audit,
                                      const store::Store::AliasFn& aliases, int64_t now);

// (hits_rpc.cc) removes the hits log entries from before
// `before_ms` (unix ms); the daemon's sweep keeps default_retention_days.
absl::StatusOr<uint64_t> PruneHits(store::Store* store, int64_t before_ms);

// At start, completes every large ingest that was committed but not fully
// applied, and drops the uncommitted ones (query::ResumeStagedIngests).
absl::Status ResumeStagedIngests(store::Store* store, audit::AuditLog* audit);

class AdminService final : public ifed::v1::Admin::Service {
 public:
  explicit AdminService(AdminDeps deps);

  // Syncs the filter of every OPRF peer, as `ifedctl filters sync`
  // does (the node calls it every oprf_sync_seconds). Errors are logged.
  void SyncAllFilters();

  grpc::Status Ingest(grpc::ServerContext* ctx,
                      grpc::ServerReader<ifed::v1::IngestChunk>* reader,
                      ifed::v1::IngestResponse* response) override;
  grpc::Status Normalize(grpc::ServerContext* ctx, const ifed::v1::NormalizeRequest* request,
                         ifed::v1::NormalizeResponse* response) override;
  grpc::Status Match(grpc::ServerContext* ctx, const ifed::v1::LocalMatchRequest* request,
                     ifed::v1::LocalMatchResponse* response) override;
  grpc::Status Stats(grpc::ServerContext* ctx, const ifed::v1::StatsRequest* request,
                     ifed::v1::StatsResponse* response) override;
  // policy_rpc.cc
  grpc::Status PolicyReload(grpc::ServerContext* ctx, const ifed::v1::PolicyReloadRequest* request,
                            ifed::v1::PolicyReloadResponse* response) override;
  grpc::Status PolicyExplain(grpc::ServerContext* ctx,
                             const ifed::v1::PolicyExplainRequest* request,
                             ifed::v1::PolicyExplainResponse* response) override;
  grpc::Status PolicyDiff(grpc::ServerContext* ctx, const ifed::v1::PolicyDiffRequest* request,
                          ifed::v1::PolicyDiffResponse* response) override;
  // audit_rpc.cc
  // oprf_rpc.cc
  grpc::Status FiltersSync(grpc::ServerContext* ctx, const ifed::v1::FiltersSyncRequest* request,
                           ifed::v1::FiltersSyncResponse* response) override;
  grpc::Status AuditExport(grpc::ServerContext* ctx, const ifed::v1::AuditExportRequest* request,
                           grpc::ServerWriter<ifed::v1::AuditLine>* writer) override;
  // peers_rpc.cc
  grpc::Status Peers(grpc::ServerContext* ctx, const ifed::v1::PeersRequest* request,
                     ifed::v1::PeersResponse* response) override;
  // hub_rpc.cc, followup_rpc.cc
  grpc::Status HubStats(grpc::ServerContext* ctx, const ifed::v1::HubStatsRequest* request,
                        ifed::v1::HubStatsResponse* response) override;
  grpc::Status FollowUps(grpc::ServerContext* ctx, const ifed::v1::FollowUpsRequest* request,
                         ifed::v1::FollowUpsResponse* response) override;
  // lifecycle_rpc.cc
  grpc::Status Erase(grpc::ServerContext* ctx, const ifed::v1::EraseRequest* request,
                     ifed::v1::EraseResponse* response) override;
  grpc::Status Sweep(grpc::ServerContext* ctx, const ifed::v1::SweepRequest* request,
                     ifed::v1::SweepResponse* response) override;
  grpc::Status Backup(grpc::ServerContext* ctx, const ifed::v1::BackupRequest* request,
                      ifed::v1::BackupResponse* response) override;
  // records_rpc.cc: records and provenance, holds, deconfliction.
  grpc::Status RecordsShow(grpc::ServerContext* ctx, const ifed::v1::RecordsShowRequest* request,
                           ifed::v1::RecordsShowResponse* response) override;
  grpc::Status Hold(grpc::ServerContext* ctx, const ifed::v1::HoldRequest* request,
                    ifed::v1::HoldResponse* response) override;
  grpc::Status Deconflict(grpc::ServerContext* ctx, const ifed::v1::LocalDeconflictRequest* request,
                          ifed::v1::LocalDeconflictResponse* response) override;
  // watch_rpc.cc
  grpc::Status Watches(grpc::ServerContext* ctx, const ifed::v1::WatchesRequest* request,
                       ifed::v1::WatchesResponse* response) override;

  grpc::Status Keys(grpc::ServerContext* ctx, const ifed::v1::KeysRequest* request,
                    ifed::v1::KeysResponse* response) override {
    if (grpc::Status denied = Authorize(ctx, "Keys"); !denied.ok()) return denied;
    if (!d_.keys_admin) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "key rotation not available");
    }
    return d_.keys_admin(*request, LocalActor(ctx), response);
  }
  // hits_rpc.cc: the hits log, for STIX export.
  grpc::Status HitsExport(grpc::ServerContext* ctx, const ifed::v1::HitsExportRequest* request,
                          ifed::v1::HitsExportResponse* response) override;
  // taxii_rpc.cc: a page of a TAXII collection for ifed-console.
  grpc::Status TaxiiObjects(grpc::ServerContext* ctx, const ifed::v1::TaxiiObjectsRequest* request,
                            ifed::v1::TaxiiObjectsResponse* response) override;

 private:
  // The peers a local request names: every configured peer with `all`, or
  // the named ones (InvalidArgument naming an unknown one, or when none).
  absl::StatusOr<std::vector<std::string>> SelectPeers(
      bool all, const google::protobuf::RepeatedPtrField<std::string>& named) const;
  // The partners of `watch add/remove`: SelectPeers, or with `hub` the
  // configured hub(s) (FailedPrecondition when none); checks --jurisdiction.
  absl::StatusOr<std::vector<std::string>> WatchPeers(
      const ifed::v1::WatchesRequest& request) const;
  // Keeps every HIT of `response` in the hits log (sealed; never fails the
  // match: a log failure is logged).
  // (hub_rpc.cc) the hits of direct peers in `response` to each
  // hub whose outbound rule says report_hits (pseudonyms from `wire`,
  // grouped as `order`: type -> item indices). Best effort: a failure is
  // logged and audited (`hub.report.out`), never fails the match; an audit
  // failure is returned.
  absl::Status ReportHitsToHubs(grpc::ServerContext* ctx, const ifed::v1::MatchRequest& wire,
                                const std::map<int, std::vector<int>>& order,
                                const std::string& case_token,
                                const ifed::v1::LocalMatchResponse& response);
  void LogHits(const std::string& request_id, ifed::v1::Purpose purpose,
               const ifed::v1::LocalMatchResponse& response);
  // hits_rpc.cc: the watch alerts received in the request's window, as
  // hit records (source "watch"); alerts whose value is not kept here are
  // counted in `without_value`.
  absl::Status ExportWatchAlerts(const ifed::v1::HitsExportRequest& request,
                                 ifed::v1::HitsExportResponse* response, uint64_t* without_value);
  // The hits log and the watch alerts in the request's window (hits
  // first, then alerts), values opened; `truncated` past the export limit.
  absl::Status CollectHits(const ifed::v1::HitsExportRequest& request,
                           ifed::v1::HitsExportResponse* response, uint64_t* alerts_without_value);
  // OPRF scheme (oprf_rpc.cc): the filter sync of `peers` (outcome per
  // peer in `response`); the peers asked with OPRF.
  void SyncPeers(const std::string& actor, const std::vector<std::string>& peers,
                 ifed::v1::FiltersSyncResponse* response);
  std::vector<std::string> OprfPeers() const;
  // The configured hub (FailedPrecondition when none).
  absl::StatusOr<std::string> ConfiguredHub() const;
  // The partners of a local match: the configured hub (members whose
  // filter this node holds through it asked with OPRF through it) or the
  // selected peers, split into keyed `q->peers` and `q->oprf_peers`.
  grpc::Status MatchPartners(const ifed::v1::LocalMatchRequest& request, query::MatchQuery* q);
  // The refusal of a call that needs the federation key, on a hub.
  static grpc::Status NoFederationKey() {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this node is a hub: it holds no federation key (ask from a member)");
  }
  // Record ids of the canonical value under every indexed epoch (records_rpc.cc).
  absl::StatusOr<std::vector<std::string>> RecordIdsOf(const normalize::Canonical& c) const;
  AdminDeps d_;
  std::unique_ptr<query::PeerTransport> own_transport_;  // when deps give none
  query::PeerTransport* transport_ = nullptr;
  std::unique_ptr<query::OutboundMatcher> matcher_;
  std::unique_ptr<query::WatchManager> watches_;
};

}  // namespace ifed::admin

#endif  // IFED_ADMIN_SERVICE_H_
