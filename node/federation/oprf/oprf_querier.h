// The OPRF scheme, querier side (this node asking a partner), plain logic
// without gRPC:
//   * pins each partner's public key on first fetch (data_dir/oprf/<peer>.pub);
//     a different key later is PermissionDenied and must be treated as an
//     alert by the caller;
//   * keeps each partner's filter on disk (data_dir/oprf/<peer>.filter,
//     written atomically) and in memory;
//   * Query: blind -> (transport) -> verify proof, finalise -> filter check.
//
// The inputs are OPRF inputs (OprfInput in oprf_format.h). Nothing here logs
// an item, an output or an element: counts and peer ids only. Every status
// message is safe to return to the peer. Thread-safe.
#ifndef IFED_FEDERATION_OPRF_QUERIER_H_
#define IFED_FEDERATION_OPRF_QUERIER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/crypto/filter/binary_fuse.h"
#include "node/crypto/oprf/oprf.h"
#include "proto/federation.pb.h"

namespace ifed::federation {

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

  // Key rotation. Checks the key `peer` uses now against the pin:
  //   kPinned  nothing was pinned: `current` is pinned now;
  //   kSame    it is the pinned key;
  //   kRotated it differs, but the peer announced it earlier (a `next` of a
  //            previous call): it is pinned now, and the old filter and
  //            deltas are dropped (made under the old key: sync again);
  //   PermissionDenied: it differs and was never announced (an alert: the
  //            pinned key stays, so nothing under the new key is used).
  // A `next` key (with its activation, unix seconds) is remembered as the
  // announcement; no `next` clears an earlier one.
  enum class KeyChange { kPinned, kSame, kRotated };
  absl::StatusOr<KeyChange> CheckKey(const std::string& peer, const crypto::oprf::Element& current,
                                     const std::optional<crypto::oprf::Element>& next,
                                     int64_t activation);
  // Whether `peer` announced a key change whose activation time has come.
  bool RotationDue(const std::string& peer, int64_t now);

  // Verifies and stores a snapshot filter received from `peer`: it must
  // deserialise, carry `digest` and have been made under the pinned key
  // (DataLoss / PermissionDenied otherwise); then it replaces the old one
  // and any deltas, on disk (atomically) and in memory, at (`log_id`,
  // `version`).
  absl::Status StoreFilter(const std::string& peer, const std::string& bytes,
                           const crypto::filter::Digest& digest,
                           const crypto::oprf::Element& public_key, const std::string& log_id = "",
                           uint64_t version = 0);
  // Applies a delta (FilterChunk with delta set): `data` is `added` then
  // `removed` packed outputs. FailedPrecondition unless the held state is at
  // (`log_id`, `since_version`); DataLoss when `digest` or the counts do not
  // match; PermissionDenied for a key other than the pinned one. Nothing
  // changes on error. Syncs of one peer must not run concurrently (the
  // admin service serialises them). `filter_digest` (32 bytes, or empty when
  // the responder sent none) is the responder's whole-filter digest at
  // `version`: FilterDigest reports it from then on.
  absl::Status ApplyDelta(const std::string& peer, const std::string& log_id,
                          uint64_t since_version, uint64_t version,
                          const crypto::oprf::Element& public_key, const std::string& data,
                          uint64_t added, uint64_t removed, const crypto::filter::Digest& digest,
                          const std::string& filter_digest = "");
  // What to ask for in the next FilterSync: the held snapshot's digest and
  // the (log_id, version) held, with version 0 when there is nothing or the
  // deltas held have grown past 1/8 of the snapshot (time for a snapshot).
  struct Position {
    std::optional<crypto::filter::Digest> digest;
    std::string log_id;
    uint64_t version = 0;
  };
  Position SyncPosition(const std::string& peer);
  // The digest of the filter held in effect, or NotFound: the responder's
  // whole-filter digest at the version held (the snapshot's own digest
  // until a delta names another), so that the same filter has the same
  // digest whether it came as a snapshot or as deltas.
  absl::StatusOr<crypto::filter::Digest> FilterDigest(const std::string& peer);
  // Forgets the filter and deltas of `peer` (after an accepted key change).
  absl::Status DropFilter(const std::string& peer);
  // The members asked through `hub` whose key is pinned here
  // ("hub/at", ...). A member through the hub is its own partner here: its
  // key, filter and deltas are kept as data_dir/oprf/hub~at.*.
  std::vector<std::string> RelayedPeers(const std::string& hub) const;

  // Evaluates over the wire (request -> response) for the blinded inputs.
  using EvaluateFn = std::function<absl::StatusOr<ifed::v1::OprfEvaluateResponse>(
      const ifed::v1::OprfEvaluateRequest&)>;
  struct Answer {
    std::vector<bool> hit;                         // per input, from the filter
    std::vector<crypto::oprf::Output> outputs;     // per input, for Resolve
  };
  // FailedPrecondition when no key is pinned or no filter is stored for
  // `peer` (run `ifedctl filters sync`); InvalidArgument when the answer is
  // malformed or its proof does not verify. More than `max_batch` inputs are
  // sent as consecutive requests of at most `max_batch` elements each (same
  // request id; each blinded and proved on its own), transparently to the
  // caller; the first failing batch fails the query. `*batches` (optional)
  // is the number of requests sent.
  absl::StatusOr<Answer> Query(const std::string& peer, const std::vector<std::string>& inputs,
                               ifed::v1::OprfEvaluateRequest request, const EvaluateFn& evaluate,
                               size_t max_batch = kDefaultQueryBatch, size_t* batches = nullptr);
  // The hub's fan-out: the same inputs asked of several members
  // through one hub, one blinded batch per request for all of them
  // (`evaluate` sends it with relay-to "at,cz" and returns
  // OprfEvaluateResponse.members). `peers[i]` ("hub/at") names the partner
  // here, `members[i]` ("at") its answer; each answer is verified under
  // that partner's pinned key and checked against its filter. One result
  // per partner, in order; a failure is that partner's only.
  std::vector<absl::StatusOr<Answer>> QueryMany(const std::vector<std::string>& peers,
                                                const std::vector<std::string>& members,
                                                const std::vector<std::string>& inputs,
                                                ifed::v1::OprfEvaluateRequest request,
                                                const EvaluateFn& evaluate,
                                                size_t max_batch = kDefaultQueryBatch,
                                                size_t* batches = nullptr);
  // The batch size when the caller's policy sets none: the federation
  // listener's default max_items_per_request.
  static constexpr size_t kDefaultQueryBatch = 10000;
  // Membership of each output (packed, 32 bytes each) in the filter of
  // `peer` stored now (the querier checks its OPRF watches
  // itself). FailedPrecondition when no filter is stored.
  absl::StatusOr<std::vector<bool>> Contains(const std::string& peer, const std::string& packed);

 private:
  // A partner's filter as held: the snapshot plus the outputs added and
  // removed since (see FilterUpdate in oprf_responder.h). Immutable once
  // published.
  struct Held {
    std::shared_ptr<const crypto::filter::BinaryFuseFilter> filter;
    std::set<crypto::filter::Key> added, removed;
    std::string log_id;
    uint64_t version = 0;
    std::optional<crypto::filter::Digest> current;  // see FilterDigest
    bool Contains(const crypto::filter::Key& k) const {
      return added.count(k) > 0 || (filter->Contains(k) && removed.count(k) == 0);
    }
  };
  explicit OprfQuerier(std::string dir) : dir_(std::move(dir)) {}
  absl::StatusOr<std::shared_ptr<const Held>> LoadHeld(const std::string& peer);
  absl::Status SaveDeltas(const std::string& peer, const Held& held);
  std::string Path(const std::string& peer, const char* ext) const;
  // One request of at most kMaxBatch inputs: blind, evaluate, verify, finalise.
  absl::StatusOr<std::vector<crypto::oprf::Output>> QueryBatch(
      const std::string& peer, const crypto::oprf::Element& key,
      absl::Span<const std::string> inputs, ifed::v1::OprfEvaluateRequest request,
      const EvaluateFn& evaluate);

  const std::string dir_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Held>> held_;  // by mu_
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_OPRF_QUERIER_H_
