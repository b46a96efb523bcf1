// The OPRF scheme (issue 7), plain logic without gRPC, for both sides.
//
// OprfResponder (the node answering a partner):
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
// OprfQuerier (this node asking a partner):
//   * pins each partner's public key on first fetch (data_dir/oprf/<peer>.pub);
//     a different key later is PermissionDenied and must be treated as an
//     alert by the caller;
//   * keeps each partner's filter on disk (data_dir/oprf/<peer>.filter,
//     written atomically) and in memory;
//   * Query: blind -> (transport) -> verify proof, finalise -> filter check.
//
// OPRF input of an item: TypeName(type) || 0x00 || canonical, as in the
// keyed scheme. Nothing here logs an item, an output or an element: counts
// and peer ids only. Every status message is safe to return to the peer.
// Thread-safe.
#ifndef IFED_FEDERATION_OPRF_SERVICE_H_
#define IFED_FEDERATION_OPRF_SERVICE_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "node/common/indicator_type.h"
#include "node/crypto/filter/binary_fuse.h"
#include "node/crypto/oprf/oprf.h"
#include "node/crypto/sealer.h"
#include "node/crypto/secret.h"
#include "node/policy/policy.h"
#include "node/policy/quota.h"
#include "node/store/store.h"
#include "proto/federation.pb.h"

namespace ifed::federation {

// The OPRF input of a canonical value (see above).
std::string OprfInput(IndicatorType type, const std::string& canonical);

struct OprfBudget {
  uint32_t per_second = 1000;   // evaluations per second (burst: one second's worth).
  uint64_t per_day = 1000000;   // evaluations per UTC day.
};

struct OprfResponderDeps {
  std::string node_id;
  std::string contact;                        // disclosed with HIT_WITH_CONTACT.
  const store::Store* store = nullptr;
  const crypto::Sealer* sealer = nullptr;
  const policy::PolicyHolder* policy = nullptr;
  policy::QuotaKeeper* quotas = nullptr;      // null: budgets not enforced.
  OprfBudget default_budget;                  // when the partner's rule sets no quota.
  std::function<int64_t()> now;               // unix seconds.
  std::function<int64_t()> now_ms;            // unix milliseconds; default now()*1000.
  uint32_t filter_bits = 32;                  // FPR 2^-32 (<= 2^-30, issue 7).
  int64_t filter_max_age_s = 300;
};

// A partner's filter as published: serialised with its digest.
struct FilterSnapshot {
  std::string bytes;
  crypto::filter::Digest digest{};
  uint64_t items = 0;
  uint64_t generation = 0;
  crypto::oprf::Element public_key{};
};

class OprfResponder {
 public:
  // InvalidArgument unless `seed` is 32 bytes.
  static absl::StatusOr<std::unique_ptr<OprfResponder>> Create(crypto::SecretBytes seed,
                                                               OprfResponderDeps deps);

  // The partner's public key (pin it). PermissionDenied unless a rule in
  // force selects the oprf scheme for `peer`.
  absl::StatusOr<crypto::oprf::Element> PublicKey(const std::string& peer);

  // InvalidArgument: malformed request or batch; PermissionDenied: policy;
  // ResourceExhausted: over the evaluation budget (retry hint).
  absl::Status Evaluate(const std::string& peer, const ifed::v1::OprfEvaluateRequest& request,
                        ifed::v1::OprfEvaluateResponse* response);

  // The partner's current filter (built or from the cache).
  absl::StatusOr<std::shared_ptr<const FilterSnapshot>> Filter(const std::string& peer);

  // One result per output: HIT (with reference / contact per disclosure) for
  // an output of a record the partner may see now, else NO_HIT.
  absl::Status Resolve(const std::string& peer, const ifed::v1::ResolveRequest& request,
                       ifed::v1::ResolveResponse* response);

  // The records changed: every cached filter is rebuilt on next use.
  void Invalidate() { generation_.fetch_add(1); }

 private:
  struct View {
    std::shared_ptr<const FilterSnapshot> filter;
    std::unordered_map<std::string, std::vector<std::string>> records;  // output -> record ids
    std::string policy_version;
    std::map<int, uint64_t> counts;
    uint64_t generation = 0;
    int64_t built_at = 0;
  };
  OprfResponder(crypto::SecretBytes seed, OprfResponderDeps deps)
      : seed_(std::move(seed)), d_(std::move(deps)) {}
  absl::StatusOr<const crypto::oprf::OprfServer*> ServerFor(const std::string& peer);
  // The rule in force for `peer` with scheme oprf; policy decision with purpose when given.
  absl::StatusOr<const policy::EffectiveRule*> Check(const std::string& peer,
                                                     const policy::Policy& policy,
                                                     const ifed::v1::Purpose* purpose,
                                                     size_t items) const;
  absl::StatusOr<std::shared_ptr<const View>> ViewFor(const std::string& peer,
                                                      const policy::Policy& policy,
                                                      const policy::EffectiveRule& rule);
  absl::StatusOr<std::shared_ptr<View>> Build(const std::string& peer,
                                              const policy::EffectiveRule& rule,
                                              const crypto::oprf::OprfServer& server);
  int64_t NowMs() const { return d_.now_ms ? d_.now_ms() : d_.now() * 1000; }

  const crypto::SecretBytes seed_;
  const OprfResponderDeps d_;
  std::atomic<uint64_t> generation_{1};
  std::mutex keys_mu_;
  std::map<std::string, std::unique_ptr<crypto::oprf::OprfServer>> servers_;  // by keys_mu_
  std::mutex views_mu_;  // also serialises builds
  std::map<std::string, std::shared_ptr<const View>> views_;  // by views_mu_
};

// Querier side. `dir` holds the pinned keys and filters (created 0700).
class OprfQuerier {
 public:
  static absl::StatusOr<std::unique_ptr<OprfQuerier>> Create(std::string dir);

  // Pins `key` for `peer` if none is pinned (*pinned_now = true); OK if it
  // equals the pinned one; PermissionDenied if it differs (an alert).
  absl::Status PinKey(const std::string& peer, const crypto::oprf::Element& key,
                      bool* pinned_now);
  // The pinned key, or NotFound.
  absl::StatusOr<crypto::oprf::Element> PinnedKey(const std::string& peer);

  // Verifies and stores a filter received from `peer`: it must deserialise,
  // carry `digest` and have been made under the pinned key (DataLoss /
  // PermissionDenied otherwise); then it replaces the old one on disk
  // (atomically) and in memory.
  absl::Status StoreFilter(const std::string& peer, const std::string& bytes,
                           const crypto::filter::Digest& digest,
                           const crypto::oprf::Element& public_key);
  // The stored filter's digest, or NotFound.
  absl::StatusOr<crypto::filter::Digest> FilterDigest(const std::string& peer);

  // Evaluates over the wire (request -> response) for the blinded inputs.
  using EvaluateFn = std::function<absl::StatusOr<ifed::v1::OprfEvaluateResponse>(
      const ifed::v1::OprfEvaluateRequest&)>;
  struct Answer {
    std::vector<bool> hit;                         // per input, from the filter
    std::vector<crypto::oprf::Output> outputs;     // per input, for Resolve
  };
  // FailedPrecondition when no key is pinned or no filter is stored for
  // `peer` (run `ifedctl filters sync`); InvalidArgument when the answer is
  // malformed or its proof does not verify.
  absl::StatusOr<Answer> Query(const std::string& peer, const std::vector<std::string>& inputs,
                               ifed::v1::OprfEvaluateRequest request, const EvaluateFn& evaluate);
  // Membership of each output (packed, 32 bytes each) in the filter of
  // `peer` stored now (issue 10: the querier checks its OPRF watches
  // itself). FailedPrecondition when no filter is stored.
  absl::StatusOr<std::vector<bool>> Contains(const std::string& peer, const std::string& packed);

 private:
  explicit OprfQuerier(std::string dir) : dir_(std::move(dir)) {}
  absl::StatusOr<std::shared_ptr<const crypto::filter::BinaryFuseFilter>> LoadFilter(
      const std::string& peer);
  std::string Path(const std::string& peer, const char* ext) const;

  const std::string dir_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const crypto::filter::BinaryFuseFilter>> filters_;
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_OPRF_SERVICE_H_
