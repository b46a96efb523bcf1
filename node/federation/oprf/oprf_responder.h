// The OPRF scheme, responder side (the node answering a partner), plain
// logic without gRPC (the servicer in ../service.h is the edge):
//   * one RFC 9497 VOPRF key per partner, DeriveKeyPair(seed, info = the
//     partner's node id), derived on first use and cached;
//   * Evaluate: a batch of blinded elements -> evaluated elements + one
//     batched DLEQ proof, after policy (rule in force, scheme oprf, purpose,
//     batch size) and the partner's evaluation budget; the responder learns
//     only how many elements were asked;
//   * Filter: a binary fuse filter (node/crypto/filter) of the OPRF outputs,
//     under that partner's key, of exactly the records the partner may see
//     under policy (types, crime areas, TLP ceiling, national-only, not-for,
//     expiry), built from the sealed canonical values; cached and rebuilt when
//     the policy version, the record counts or the generation (Invalidate())
//     change, or when older than `filter_max_age`;
//   * Resolve: the partner's local hits (their OPRF outputs) -> reference /
//     contact per the rule's disclosure level.
//
// OPRF inputs and the filter delta digest: oprf_format.h. Nothing here logs
// an item, an output or an element: counts and peer ids only. Every status
// message is safe to return to the peer. Thread-safe.
#ifndef IFED_FEDERATION_OPRF_RESPONDER_H_
#define IFED_FEDERATION_OPRF_RESPONDER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "node/crypto/filter/binary_fuse.h"
#include "node/crypto/oprf/oprf.h"
#include "node/crypto/sealer.h"
#include "node/crypto/secret.h"
#include "node/policy/policy.h"
#include "node/policy/quota.h"
#include "node/store/store.h"
#include "proto/federation.pb.h"

namespace ifed::federation {

struct OprfBudget {
  uint32_t per_second = 1000;   // evaluations per second (burst: one second's worth).
  uint64_t per_day = 1000000;   // evaluations per UTC day.
};

// A partner whose OPRF evaluation volume looks like enumeration: more than
// `share` of what its quota lets through in `window_s` seconds was asked in
// the last `window_s` seconds (policy fields enumeration_*).
struct EnumerationAlert {
  std::string peer;
  uint64_t evaluations = 0;  // in the window, including the call that crossed.
  uint32_t window_s = 0;
  uint64_t budget = 0;       // what the quota lets through in the window.
  double share = 0;
  bool blocked = false;      // the rule says enumeration_block: refused from now on.
  std::string policy_version;
};

struct OprfResponderDeps {
  std::string node_id;
  std::string contact;                        // disclosed with HIT_WITH_CONTACT.
  store::Store* store = nullptr;  // records read; meta "oprf/block/" written
  const crypto::Sealer* sealer = nullptr;
  const policy::PolicyHolder* policy = nullptr;
  policy::QuotaKeeper* quotas = nullptr;      // null: budgets not enforced.
  OprfBudget default_budget;                  // when the partner's rule sets no quota.
  std::function<int64_t()> now;               // unix seconds.
  std::function<int64_t()> now_ms;            // unix milliseconds; default now()*1000.
  uint32_t filter_bits = 32;                  // FPR 2^-32 (<= 2^-30).
  int64_t filter_max_age_s = 300;
  // Called once per partner and window when its volume crosses the rule's
  // enumeration threshold (audit event + metric in the node); may be null.
  std::function<void(const EnumerationAlert&)> on_enumeration;
  // After a rotation takes over, the previous epoch's keys still answer
  // calls that name them for this long (seconds from the rotation time), so
  // a querier that has not synced again keeps matching; then the previous
  // seed and every key derived from it are destroyed. 0: retired at once.
  int64_t previous_key_overlap_s = 86400;
  // Called once per epoch whose key material is destroyed at run time
  // (audit event in the node); may be null.
  std::function<void(uint32_t epoch)> on_key_retired;
};

// A partner's filter as published: serialised with its digest.
struct FilterSnapshot {
  std::string bytes;
  crypto::filter::Digest digest{};
  uint64_t items = 0;
  uint64_t generation = 0;  // the version; increases only when the content changes.
  crypto::oprf::Element public_key{};
  std::string log_id;       // the change log this version belongs to.
};

// What a partner's FilterSync gets: the snapshot, or (delta) the OPRF outputs
// added and removed between `since_version` and `snapshot->generation`.
//
// Why deltas are sets of outputs and not filter patches: a binary fuse
// filter is static (its fingerprints are solved for the whole key set at
// once; adding or removing one key can change any slot), so it cannot be
// patched. The querier keeps the last snapshot filter plus a small add-set
// and remove-set of outputs; an output is a member when it is in the
// add-set, or in the snapshot and not in the remove-set. When the sets grow
// (over 1/8 of the snapshot, or the responder's log no longer reaches back),
// a fresh snapshot replaces them. 32 bytes per changed record on the wire
// instead of ~4.3 bytes per record of the whole filter.
struct FilterUpdate {
  std::shared_ptr<const FilterSnapshot> snapshot;
  bool delta = false;
  uint64_t since_version = 0;
  std::vector<crypto::filter::Key> added, removed;  // sorted
};
// The keys a partner should know: the one in use and, during an announced
// rotation, the one that replaces it at `next_activation` (unix seconds).
struct OprfKeyInfo {
  crypto::oprf::Element current{};
  uint32_t epoch = 0;
  std::optional<crypto::oprf::Element> next;
  uint32_t next_epoch = 0;
  int64_t next_activation = 0;
};

class OprfResponder {
 public:
  // InvalidArgument unless `seed` is 32 bytes. One seed epoch (1).
  static absl::StatusOr<std::unique_ptr<OprfResponder>> Create(crypto::SecretBytes seed,
                                                               OprfResponderDeps deps);
  // Key rotation: seeds by epoch (each 32 bytes). Before `rotation_at` (unix
  // seconds) the second-highest epoch is in use and the highest is announced
  // as the next key; from then on (or at once when rotation_at is 0, or with
  // one epoch) the highest is in use. Keys: DeriveKeyPair(seed of the epoch,
  // partner id), so epoch 1 keeps the keys partners pinned before rotation existed.
  // The epoch below the one in use is the previous key: served to calls
  // that name it until rotation_at + deps.previous_key_overlap_s, then
  // destroyed (RetireKeys). Seeds of older epochs are destroyed here.
  static absl::StatusOr<std::unique_ptr<OprfResponder>> Create(
      std::map<uint32_t, crypto::SecretBytes> seeds, int64_t rotation_at, OprfResponderDeps deps);

  // The OPRF scheme through the hub: every call below takes `via`,
  // the hub that relayed it on behalf of `peer` (empty: `peer` asks
  // directly; the caller verified `peer`'s signed authorization). Key,
  // budget, enumeration window and filter stay `peer`'s, so a partner
  // learns the same through the hub as directly and partners cannot pool
  // what they learn. Relays widen nothing: the rule is the intersection of
  // ours for `peer` and ours for the hub (no rule for `peer`: nothing), the
  // hub's budget is charged too, and a record "not for" either is not in a
  // relayed filter.

  // The partner's public key (pin it). PermissionDenied unless a rule in
  // force selects the oprf scheme for `peer`.
  absl::StatusOr<crypto::oprf::Element> PublicKey(const std::string& peer,
                                                  const std::string& via = "");
  // The same with the announced next key, if any.
  absl::StatusOr<OprfKeyInfo> Keys(const std::string& peer, const std::string& via = "");

  // InvalidArgument: malformed request or batch; PermissionDenied: policy;
  // ResourceExhausted: over the evaluation budget (retry hint);
  // FailedPrecondition: the request names a key (public_key) that is neither
  // the partner's key in use nor, during the overlap after a rotation, the
  // previous one (the querier must fetch the key and sync again). Under the
  // key named (none: the one in use); response->key_epoch says which.
  absl::Status Evaluate(const std::string& peer, const ifed::v1::OprfEvaluateRequest& request,
                        ifed::v1::OprfEvaluateResponse* response, const std::string& via = "");

  // The partner's current filter (built or from the cache).
  absl::StatusOr<std::shared_ptr<const FilterSnapshot>> Filter(const std::string& peer,
                                                               const std::string& via = "");

  // The partner's current filter as a delta from (`log_id`, `since_version`)
  // when the log still holds every change since then and the delta is
  // no larger than the snapshot; else the snapshot.
  absl::StatusOr<FilterUpdate> Sync(const std::string& peer, uint64_t since_version,
                                    const std::string& log_id, const std::string& via = "");

  // One result per output: HIT (with reference / contact per disclosure) for
  // an output of a record the partner may see now, else NO_HIT. During the
  // overlap after a rotation an output under the previous key resolves too.
  absl::Status Resolve(const std::string& peer, const ifed::v1::ResolveRequest& request,
                       ifed::v1::ResolveResponse* response, const std::string& via = "");

  // The records changed: every cached filter is rebuilt on next use.
  void Invalidate() { generation_.fetch_add(1); }

  // Destroys the previous epoch's seed and keys once its overlap is over
  // (every call checks; the node also calls it periodically). Returns the
  // epochs destroyed now (on_key_retired is called for each).
  std::vector<uint32_t> RetireKeys();
  // The previous epoch served now (0: none) and until when (unix seconds).
  std::pair<uint32_t, int64_t> PreviousKey() const;

  // Bounds of the per-partner change log (tests may lower them).
  size_t max_log_entries = 64;
  size_t max_log_outputs = 1 << 20;
  // Filters kept for queriers asking through a hub (querier@hub); beyond
  // it the least recently built is dropped (and rebuilt when asked again).
  size_t max_relayed_views = 256;
  // Views held now (tests).
  size_t views() {
    std::lock_guard<std::mutex> l(views_mu_);
    return views_.size();
  }

 private:
  struct Delta {
    uint64_t from = 0, to = 0;
    std::vector<crypto::filter::Key> added, removed;
  };
  struct ChangeLog {
    std::string log_id;
    std::deque<Delta> entries;  // consecutive: entries[i].to == entries[i+1].from
    size_t outputs = 0;
  };
  struct View {
    std::shared_ptr<const FilterSnapshot> filter;
    std::unordered_map<std::string, std::vector<std::string>> records;  // output -> record ids
    std::string policy_version;
    std::map<int, uint64_t> counts;
    uint64_t generation = 0;
    int64_t built_at = 0;
  };
  OprfResponder(std::map<uint32_t, crypto::SecretBytes> seeds, int64_t rotation_at,
                OprfResponderDeps deps);
  // The epoch in use now and the announced one (0: none).
  std::pair<uint32_t, uint32_t> Epochs() const;
  using Server = std::shared_ptr<const crypto::oprf::OprfServer>;
  // The partner's server under the epoch in use now (or `epoch`);
  // FailedPrecondition when that epoch's seed was destroyed.
  absl::StatusOr<Server> ServerFor(const std::string& peer, uint32_t epoch = 0);
  // The server of the key a request names (33 bytes; empty: the one in
  // use): the key in use, or the previous one during its overlap.
  absl::StatusOr<Server> ServerForKey(const std::string& peer, const std::string& key,
                                      uint32_t* epoch);
  // Destroys the seeds (and servers) of epochs below the one in use other
  // than the previous one during its overlap; returns their epochs.
  std::vector<uint32_t> DropSeeds();
  // The rule in force for `peer` with scheme oprf; policy decision with
  // purpose when given. Relayed by the hub `via`: the intersection of the
  // rules for `peer` and for the hub (policy::DecideRelayed; both must name
  // the oprf scheme), and the hub's quota, charged as well.
  struct Allowed {
    policy::EffectiveRule rule;
    std::optional<ifed::v1::Quota> hub_quota;
  };
  absl::StatusOr<Allowed> Check(const std::string& peer, const policy::Policy& policy,
                                const ifed::v1::Purpose* purpose, size_t items,
                                const std::string& via = "") const;
  // The partner's view under the epoch in use (or `epoch`, the previous
  // one: cached apart, as "peer#epoch").
  absl::StatusOr<std::shared_ptr<const View>> ViewFor(const std::string& peer,
                                                      const policy::Policy& policy,
                                                      const policy::EffectiveRule& rule,
                                                      const std::string& via = "",
                                                      uint32_t epoch = 0);
  absl::StatusOr<std::shared_ptr<View>> Build(const std::string& peer,
                                              const policy::EffectiveRule& rule,
                                              const crypto::oprf::OprfServer& server,
                                              const std::string& via = "");
  int64_t NowMs() const { return d_.now_ms ? d_.now_ms() : d_.now() * 1000; }
  // Enumeration detection before `n` evaluations for `peer` under `rule` and
  // `budget`: PermissionDenied when the partner is (or now becomes) blocked.
  absl::Status WatchVolume(const std::string& peer, const policy::EffectiveRule& rule,
                           const std::string& policy_version, const ifed::v1::Quota& budget,
                           uint64_t n);
  // Evaluations granted per partner in one-second slots of the sliding window.
  struct Volume {
    std::map<int64_t, uint64_t> slots;  // unix second -> evaluations
    uint64_t total = 0;
    int64_t alerted_at = 0;             // last alert (unix seconds); one per window.
    std::string blocked_under;          // policy version the block was set under.
    bool loaded = false;                // blocked_under read from the store.
  };
  // A block outlives a restart: kept in the store's meta as
  // "oprf/block/PEER" = the policy version it was set under, until a
  // reloaded policy lifts it.
  absl::Status SaveBlock(const std::string& peer, const std::string& policy_version);
  std::mutex volume_mu_;
  std::map<std::string, Volume> volume_;  // by volume_mu_

  const std::vector<uint32_t> epochs_;  // every epoch given, ascending
  const int64_t rotation_at_;
  const OprfResponderDeps d_;
  std::atomic<uint64_t> generation_{1};
  mutable std::mutex keys_mu_;
  std::map<uint32_t, crypto::SecretBytes> seeds_;  // by keys_mu_; destroyed when retired
  std::map<std::pair<std::string, uint32_t>, Server> servers_;  // by keys_mu_, per (peer, epoch)
  // Drops views (and their logs) not rebuilt for a while and, past
  // max_relayed_views, the least recently built relayed ones; never `keep`.
  // Under views_mu_.
  void EvictViews(int64_t now, const std::string& keep);
  std::mutex views_mu_;  // the maps; a build holds only its own builds_ entry
  std::map<std::string, std::shared_ptr<const View>> views_;  // by views_mu_
  std::map<std::string, ChangeLog> logs_;                     // by views_mu_
  std::map<std::string, std::shared_ptr<std::mutex>> builds_;  // by views_mu_: one per view
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_OPRF_RESPONDER_H_
