// Verification of an exported or stored audit chain, and the checkpoint
// format. Pure code: no gRPC, no RocksDB.
//
// Rules (each break names the first bad sequence number):
//   - events are numbered 1, 2, 3, ... without gaps (a deleted or reordered
//     event is a gap or a step back);
//   - event n's "prev" is the hex SHA-256 of line n-1 exactly as exported
//     (a changed byte breaks the link to the next event);
//   - a "checkpoint" event at seq n signs (node, n-1, prev, ts_ms) with the
//     node's ECDSA P-256 key: "cp_seq" must be n-1, "cp_hash" must be prev,
//     and "sig" (hex DER) must verify under the node's certificate;
//   - checkpoints a partner holds (from receipts) must name a line of this
//     log with the same hash: a log that ends before one is truncated.
#ifndef IFED_AUDIT_CHAIN_H_
#define IFED_AUDIT_CHAIN_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "node/audit/signer.h"

namespace ifed::audit {

inline constexpr char kExportMagic[] = "ifed-audit-v1";

// The bytes a checkpoint signature covers.
std::string CheckpointMessage(absl::string_view node, uint64_t seq, absl::string_view hash_hex,
                              int64_t ts_ms);

// A signed chain head of some node, as a partner keeps it.
struct HeldCheckpoint {
  std::string node;
  uint64_t seq = 0;
  std::string hash;  // hex
  int64_t ts_ms = 0;
  std::string sig;   // hex DER
};

// Checkpoints of any node found in a file of audit lines: a node's own
// checkpoint events, and the partner checkpoints its match.out events carry.
std::vector<HeldCheckpoint> CheckpointsIn(absl::string_view jsonl);

struct VerifyReport {
  bool ok = true;
  uint64_t first_bad_seq = 0;  // valid when !ok
  std::string error;           // why, when !ok
  std::string node;
  uint64_t events = 0, checkpoints = 0, first_seq = 0, last_seq = 0;
  uint64_t last_checkpoint_seq = 0;  // last event covered by a signed checkpoint
  uint64_t held_checked = 0;         // partner-held checkpoints matched
  std::vector<std::string> notes;    // non-fatal observations
};

// Streaming verifier: Add() each line in order (header lines are allowed and
// checked), then Finish(). Not thread-safe.
class ChainVerifier {
 public:
  // `verifier`: the node's certificate. Null: taken from the export header
  // when present, otherwise checkpoints fail. `from_genesis`: the log must
  // start at seq 1 (false for --since exports). `held`: partner checkpoints.
  ChainVerifier(const Verifier* verifier, bool from_genesis, std::vector<HeldCheckpoint> held);
  void Add(absl::string_view line);
  VerifyReport Finish();

 private:
  void Fail(uint64_t seq, std::string why);
  void AddEvent(absl::string_view line);
  void LoadHeld();  // once the node is known (first event, or Finish)

  const Verifier* verifier_;
  std::unique_ptr<Verifier> header_verifier_;
  bool from_genesis_;
  std::vector<HeldCheckpoint> held_;
  VerifyReport r_;
  std::string last_hash_;
  bool seen_ = false;
  bool held_loaded_ = false;
  std::map<uint64_t, std::string> held_by_seq_;  // seq -> hash, node's own only
};

}  // namespace ifed::audit

#endif  // IFED_AUDIT_CHAIN_H_
