// StoreHealth: whether the store met damaged data while serving.
//
// RocksDB checks a block's checksum whenever it reads it (the store keeps
// verify_checksums and paranoid_checks on); a damaged block comes back as
// Status::Corruption, a record that no longer parses as DataLoss. The first
// such answer marks the store damaged, and from then on every read of the
// serving path (match, OPRF, watches, exports) is refused with the same
// DataLoss status saying what to do, instead of answering from the rest of
// the data: a partial answer would be a silent miss. The mark lasts until
// the process stops; the operator verifies and restores (the message says
// how). Writes of the audit log still go through, so the event is kept.
//
// No RocksDB here: the store reports what it saw (Observe, MarkDamaged),
// the node subscribes (OnDamage) to flip health, metric, audit and log.
// Thread-safe.
#ifndef IFED_STORE_HEALTH_H_
#define IFED_STORE_HEALTH_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ifed::store {

// What was damaged, for the node's reactions. No record content: the place
// (a read of the store: "lookup", "scan records", "background compaction")
// and RocksDB's message (file numbers, offsets).
struct StoreDamage {
  std::string where;
  std::string detail;
  int64_t at_unix = 0;
};

// What the operator must do, in every message about the damage.
inline constexpr absl::string_view kStoreDamageAdvice =
    "stop the node; `ifed-node --config FILE --verify-store` names the damaged files; restore the "
    "latest backup into an empty data dir (ifed-node --config FILE --restore BACKUP_DIR)";

class StoreHealth {
 public:
  using Listener = std::function<void(const StoreDamage&)>;

  // `s` from a store read at `where`: DataLoss marks the store damaged (the
  // first time: the listener runs). Returns `s`, with the advice appended
  // when it is DataLoss.
  absl::Status Observe(absl::Status s, absl::string_view where);
  // Marks the store damaged (idempotent: the first damage is kept and the
  // listener runs once).
  void MarkDamaged(absl::string_view where, absl::string_view detail);

  // OK while undamaged; else DataLoss naming the first damage and the advice.
  absl::Status Check() const;
  bool damaged() const { return damaged_.load(std::memory_order_acquire); }
  // The first damage (empty `where` while undamaged).
  StoreDamage damage() const;

  // Runs on the first damage (on the thread that met it); set before serving.
  void OnDamage(Listener fn);

  // Clock for StoreDamage::at_unix (tests); default: the system clock.
  void SetClock(std::function<int64_t()> now);

 private:
  std::atomic<bool> damaged_{false};
  mutable std::mutex mu_;
  StoreDamage damage_;         // by mu_
  Listener listener_;          // by mu_
  std::function<int64_t()> now_;  // by mu_
};

}  // namespace ifed::store

#endif  // IFED_STORE_HEALTH_H_
