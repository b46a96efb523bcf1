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
//   - a "signing_cert" event at seq n (the node's certificate was renewed)
//     is signed by the key in force before it over (node, n-1, prev, ts_ms,
//     SHA-256 of the old certificate, SHA-256 of the new one); its
//     "old_cert_sha256" must be the certificate in force, its "cert" must
//     name the same node (and pass `check_cert` when given); later
//     checkpoints verify under the new certificate;
//   - checkpoints a partner holds (from receipts) must name a line of this
//     log with the same hash: a log that ends before one is truncated.
#ifndef IFED_AUDIT_CHAIN_H_
#define IFED_AUDIT_CHAIN_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "node/audit/signer.h"

namespace ifed::audit {

class Parsed;

inline constexpr char kExportMagic[] = "ifed-audit-v1";

// The bytes a checkpoint signature covers.
std::string CheckpointMessage(absl::string_view node, uint64_t seq, absl::string_view hash_hex,
                              int64_t ts_ms);

// The bytes a "signing_cert" event's signature (by the previous key) covers.
std::string SigningCertMessage(absl::string_view node, uint64_t seq, absl::string_view hash_hex,
                               int64_t ts_ms, absl::string_view old_cert_sha256,
                               absl::string_view new_cert_sha256);

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
  uint64_t cert_changes = 0;         // signing certificate renewals followed
  std::vector<std::string> notes;    // non-fatal observations
};

// Streaming verifier: Add() each line in order (header lines are allowed and
// checked), then Finish(). Not thread-safe.
class ChainVerifier {
 public:
  // `verifier`: the node's certificate in force at the first event. Null:
  // taken from the export header when present, otherwise checkpoints fail.
  // `from_genesis`: the log must start at seq 1 (false for --since exports).
  // `held`: partner checkpoints. `check_cert` (optional): whether a renewed
  // certificate (PEM chain) belongs to the node.
  using CertCheck =
      std::function<absl::Status(const std::string& node_id, const std::string& chain_pem)>;
  ChainVerifier(const Verifier* verifier, bool from_genesis, std::vector<HeldCheckpoint> held,
                CertCheck check_cert = nullptr);
  void Add(absl::string_view line);
  VerifyReport Finish();

 private:
  void Fail(uint64_t seq, std::string why);
  void AddEvent(absl::string_view line);
  void LoadHeld();  // once the node is known (first event, or Finish)
  void VerifyPendingHeld();  // held checkpoints not yet verified, under current()
  bool ChangeCert(uint64_t seq, const Parsed& p, absl::string_view prev, int64_t ts);
  const Verifier* current() const;

  const Verifier* verifier_;
  std::unique_ptr<Verifier> header_verifier_;
  std::unique_ptr<Verifier> renewed_;  // after a signing_cert event
  CertCheck check_cert_;
  std::vector<HeldCheckpoint> pending_held_;
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
