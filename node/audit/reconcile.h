// Reconciliation of two nodes' audit exports: every consultation one side
// records with the other (match.out / match.in, by request id) must be in
// the other's log with the same request digest, item count and (when both
// answered) hit count. Pure code: no gRPC, no RocksDB.
#ifndef IFED_AUDIT_RECONCILE_H_
#define IFED_AUDIT_RECONCILE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ifed::audit {

struct ReconcileReport {
  std::string mine;    // node id of the first log.
  std::string theirs;  // node id of the second.
  // "only in MINE: match.out seq 7 request r1 peer at outcome ok", "differs
  // (hits): ..."; empty when the logs agree.
  std::vector<std::string> differences;
  uint64_t compared = 0;  // consultations between the two nodes looked at.
};

// `mine` and `theirs`: audit lines (export headers and other events are
// skipped). Calls that never reached the partner (UNAVAILABLE,
// DEADLINE_EXCEEDED) are not expected on its side.
ReconcileReport Reconcile(const std::vector<std::string>& mine,
                          const std::vector<std::string>& theirs);

}  // namespace ifed::audit

#endif  // IFED_AUDIT_RECONCILE_H_
