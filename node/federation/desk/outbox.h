// Courier: delivers the durable outbox. Entries (meta
// "outbox/<peer>/<delivery id>", store.proto OutboxEntry) are written by the
// change that causes them (an ingest that hits a watch, a removal that
// withdraws a notified record, a follow-up decision), in that change's
// WriteBatch. The courier sends the due entries of each peer in one Deliver
// call and deletes an entry only after the receiver acknowledged it, with
// its audit event in the same batch; a failed call is retried with
// exponential backoff. With the receiver recording delivery ids, each
// entry takes effect exactly once across restarts of either node.
// Thread-safe; one background thread.
#ifndef IFED_FEDERATION_OUTBOX_H_
#define IFED_FEDERATION_OUTBOX_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "node/audit/audit_log.h"
#include "node/federation/transport/peer_client.h"
#include "node/store/store.h"

namespace ifed::federation {

// Delivery ids are not kept for ever. A sender gives up on an entry
// `lifetime` after it was queued (deleted with an `outbox.expired` audit
// event: the receiver was unreachable or kept refusing for 30 days), so it
// never sends a delivery id older than that; a receiver keeps the ids it has
// seen for kReceivedIdRetention, longer than any sender's lifetime plus clock
// skew, and then prunes them (PruneReceivedIds, from the expiry sweep). A
// repeat therefore always meets its marker: exactly once still holds.
constexpr std::chrono::milliseconds kDeliveryLifetime{int64_t{30} * 86400 * 1000};
constexpr std::chrono::milliseconds kReceivedIdRetention{int64_t{35} * 86400 * 1000};
static_assert(kReceivedIdRetention - kDeliveryLifetime >= std::chrono::hours(24),
              "a receiver must keep delivery ids longer than a sender may repeat them");

// Deletes the receiver's delivery-id markers (meta "watch/rx/...") recorded
// before `before_ms`, in batches; returns how many.
absl::StatusOr<uint64_t> PruneReceivedIds(store::Store* store, int64_t before_ms);

struct CourierOptions {
  std::chrono::milliseconds retry{500};          // first retry after a failure.
  std::chrono::milliseconds max_backoff{60000};  // backoff ceiling.
  std::chrono::milliseconds poll{1000};          // rescan when not woken.
  size_t max_per_call = 200;                     // deliveries per Deliver call.
  std::chrono::milliseconds lifetime = kDeliveryLifetime;  // then expired, see above.
  // Called after each pass (e.g. the follow-up overdue check); may be empty.
  std::function<void()> on_pass;
};

class Courier {
 public:
  Courier(store::Store* store, PeerClients* peers, audit::AuditLog* audit, CourierOptions o)
      : store_(store), peers_(peers), audit_(audit), o_(o) {}
  ~Courier() { Stop(); }

  void Start();
  void Stop();
  // Wakes the thread (after a change that may have enqueued entries).
  void Kick();
  // One pass over the due entries; returns how many were acknowledged.
  absl::StatusOr<size_t> RunOnce();
  // Entries waiting (for metrics).
  uint64_t pending() const { return pending_.load(); }
  uint64_t delivered() const { return delivered_.load(); }
  uint64_t expired() const { return expired_.load(); }

 private:
  void Loop();
  store::Store* const store_;
  PeerClients* const peers_;
  audit::AuditLog* const audit_;
  const CourierOptions o_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, kicked_ = false;
  std::thread thread_;
  std::atomic<uint64_t> pending_{0}, delivered_{0}, expired_{0};
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_OUTBOX_H_
