// AuditLog: the node's append-only, hash-chained audit log in the store's
// `audit` column family. Every append is one synced RocksDB write: when a
// method returns OK, the event is durable, so a reply sent after it is never
// ahead of its event. Ingest writes the records and their event in one
// WriteBatch. Every `checkpoint_every` events, every `checkpoint_seconds`
// (background thread) and at Close(), the head is signed with the node's key
// as a "checkpoint" event; with the background thread, a count-due
// checkpoint of Append is signed there, off the appenders' commit. When the node's certificate is renewed,
// RotateSigner() records the change as a "signing_cert" event signed by the
// previous key (chain.h) and signs on with the new one. Thread-safe: appends
// are serialised.
#ifndef IFED_AUDIT_AUDIT_LOG_H_
#define IFED_AUDIT_AUDIT_LOG_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "node/audit/chain.h"
#include "node/audit/event.h"
#include "node/audit/signer.h"
#include "node/store/store.h"

namespace ifed::audit {

struct AuditOptions {
  std::string node_id;
  uint64_t checkpoint_every = 100;   // events; 0 = never by count.
  uint32_t checkpoint_seconds = 60;  // 0 = no timer.
  std::function<int64_t()> now_ms;   // unix milliseconds; default: system clock.
};

class AuditLog {
 public:
  // Reads the chain head of `store` (not owned; must outlive the log) and
  // starts the checkpoint timer. `signer` (not owned) signs checkpoints.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(store::Store* store, const Signer* signer,
                                                        AuditOptions options);
  // The same with a shared signer.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(store::Store* store,
                                                        std::shared_ptr<const Signer> signer,
                                                        AuditOptions options);
  ~AuditLog();  // Close()

  // Appends one event; OK once it is durable.
  absl::Status Append(const Event& event);
  // Ingests `items` and the event `make(result)` in one WriteBatch.
  absl::StatusOr<store::IngestResult> Ingest(
      absl::Span<const store::IngestItem> items,
      const std::function<Event(const store::IngestResult&)>& make);
  // A store change other than an ingest (: removal), with its event
  // in the same WriteBatch: `write` is given `entries`, which turns the
  // event into the audit entries to write; the event is chained only if
  // `write` returns OK.
  using EntriesFn = std::function<store::Store::AuditEntries(const Event&)>;
  absl::Status Write(const std::function<absl::Status(const EntriesFn& entries)>& write);
  // Signs the head if it moved since the last checkpoint.
  absl::Status Checkpoint();
  // Switches to `next` (a renewed certificate and/or key): appends a
  // "signing_cert" event that the current key signs (it names the head, the
  // old certificate's SHA-256 and carries the new chain), then a checkpoint
  // with the new key. OK without an event when `next` holds the same
  // certificate. On error the current signer stays.
  absl::Status RotateSigner(std::shared_ptr<const Signer> next);
  // Stops the timer and writes a final checkpoint. Idempotent.
  void Close();

  // The newest checkpoint (seq 0 before the first).
  HeldCheckpoint LatestCheckpoint() const;
  uint64_t head_seq() const;
  const std::string& node_id() const { return o_.node_id; }
  // The current signer; with LatestCheckpoint() in one consistent pair.
  std::shared_ptr<const Signer> signer() const;
  std::pair<std::shared_ptr<const Signer>, HeldCheckpoint> SigningState() const;
  // The certificate (PEM chain) that signed the log at the first event with
  // ts_ms >= since_ms (the current one when no change follows).
  absl::StatusOr<std::string> SigningCertAt(int64_t since_ms) const;
  int64_t now_ms() const { return o_.now_ms(); }

  // Event lines in order, with ts_ms in [since_ms, until_ms] (0 = open),
  // plus every checkpoint event after the first selected one (so that the
  // export can be verified). Stops when `fn` returns false.
  absl::Status Export(int64_t since_ms, int64_t until_ms,
                      const std::function<bool(const std::string& line)>& fn) const;

 private:
  AuditLog(store::Store* store, std::shared_ptr<const Signer> signer, AuditOptions o)
      : store_(store), signer_(std::move(signer)), o_(std::move(o)) {}
  Link NextLink() const;  // requires mu_
  void Advance(const Link& link, const std::string& line);  // requires mu_
  absl::Status CheckpointLocked();
  absl::Status MaybeCheckpointLocked();
  absl::Status ReloadHead();  // requires mu_
  void TimerLoop();

  store::Store* const store_;
  std::shared_ptr<const Signer> signer_;  // guarded by mu_
  const AuditOptions o_;
  mutable std::mutex mu_;
  // Group commit of Append (see audit_log.cc): queued callers and whether a
  // leader is writing; guarded by queue_mu_, taken before mu_ never after.
  struct PendingAppend {
    const Event* event;
    absl::Status status;
    bool done = false;
  };
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<PendingAppend*> queue_;
  bool leader_active_ = false;
  uint64_t head_seq_ = 0;
  std::string head_hash_ = kZeroHash;
  HeldCheckpoint latest_;
  bool closed_ = false;
  // A count-due checkpoint handed by the commit leader to the timer thread
  // (signing and its synced write stay off the callers' path); guarded by mu_.
  bool checkpoint_wanted_ = false;
  std::condition_variable cv_;
  std::thread timer_;
};

// "seq" key of the audit column family: 8 bytes, big-endian.
std::string SeqKey(uint64_t seq);

}  // namespace ifed::audit

#endif  // IFED_AUDIT_AUDIT_LOG_H_
