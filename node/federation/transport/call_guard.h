// What every federation call carries and the listener checks before a
// handler runs (items 4 and 6), after mutual TLS:
//
//   x-ifed-request-id  16-128 characters [A-Za-z0-9._:-], new for every call;
//   x-ifed-timestamp   the caller's clock, unix milliseconds (decimal);
//   x-ifed-node-id     optional: the caller's node id as it believes it to be.
//
// The caller's identity is the SPIFFE id of its verified certificate. A
// claimed node id that names anyone else is refused (PERMISSION_DENIED). A
// request id the same certificate identity already used within the window,
// a timestamp outside now ± window, or a timestamp from before this process
// started is refused (ALREADY_EXISTS / FAILED_PRECONDITION): a recorded call
// cannot be played again, not even across a restart of the node, without
// persisting the ids. Missing or malformed stamps are INVALID_ARGUMENT.
//
// The node's own clients stamp every call through the call credentials of
// MakeChannelCredentials (tls.h), so hub relays, OPRF, follow-up and health
// calls all carry them.
#ifndef IFED_FEDERATION_CALL_GUARD_H_
#define IFED_FEDERATION_CALL_GUARD_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ifed::federation {

inline constexpr char kRequestIdHeader[] = "x-ifed-request-id";
inline constexpr char kTimestampHeader[] = "x-ifed-timestamp";
inline constexpr char kNodeIdHeader[] = "x-ifed-node-id";

// The stamps of one call, read from its metadata.
struct CallStamp {
  std::string request_id;
  int64_t timestamp_ms = 0;
  std::string claimed_node;  // empty: not sent.
};

// Parses the metadata of a call: InvalidArgument (with the header's name)
// when a stamp is missing, repeated or malformed.
absl::StatusOr<CallStamp> ReadCallStamp(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

// A fresh random request id (128 bits, hex) and the current stamp headers.
std::vector<std::pair<std::string, std::string>> NewStampHeaders(const std::string& node_id);

struct ReplayOptions {
  std::chrono::seconds window{300};       // accepted clock difference, both ways.
  size_t max_ids_per_peer = 1000000;       // ids remembered per identity (~40 bytes each).
  std::function<int64_t()> now_ms;         // default: the system clock.
};

// Remembers the request ids of each certificate identity for as long as a
// call carrying them could still pass the timestamp check, then forgets
// them (a min-heap by expiry per identity; memory is bounded by
// max_ids_per_peer: a peer over it is refused, never forgotten early).
// Thread-safe.
class ReplayGuard {
 public:
  explicit ReplayGuard(ReplayOptions options = {});

  // OK, and the id is remembered; or a refusal with a reason.
  absl::Status Admit(const std::string& peer, const CallStamp& stamp);
  size_t remembered(const std::string& peer) const;
  std::chrono::seconds window() const { return o_.window; }

 private:
  // Ids are kept as 64-bit hashes (a collision can only refuse the same
  // peer's own call).
  struct PeerIds {
    absl::flat_hash_map<uint64_t, int64_t> expiry;  // id hash -> forget after (ms).
    std::priority_queue<std::pair<int64_t, uint64_t>,
                        std::vector<std::pair<int64_t, uint64_t>>, std::greater<>>
        by_expiry;
  };
  int64_t Now() const;

  const ReplayOptions o_;
  const int64_t started_ms_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, PeerIds> peers_;
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_CALL_GUARD_H_
