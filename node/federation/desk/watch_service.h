// Standing queries (keyed scheme) and the receiving end of the
// durable outbox. Plain logic, no gRPC. Thread-safe.
//
// WatchDesk, at the node that holds records (the responder): a partner asks
// it to keep pseudonyms (WATCH_ADD, within its policy's watches.allowed and
// watches.max_active); every later ingest is checked against them inside the
// ingest's own WriteBatch (OnIngest, a Store::IngestObserver), and each
// record the partner may see enqueues a notification in the outbox (meta
// "outbox/<peer>/<delivery id>") in that same batch. Removing a record that
// was notified (erasure, expiry; OnRemove) enqueues a withdrawal in the
// removal's batch. The Courier (outbox.h) delivers.
//
// Inbox, at the node that asked (the querier): takes deliveries (watch
// notifications, follow-up answers), records each delivery id
// ("watch/rx/<sender>/<id>") in the same WriteBatch as the event and its
// audit entry, and acknowledges a repeated id without storing it twice:
// exactly once across restarts of either side.
#ifndef IFED_FEDERATION_WATCH_SERVICE_H_
#define IFED_FEDERATION_WATCH_SERVICE_H_

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/audit/audit_log.h"
#include "node/crypto/sealer.h"
#include "node/policy/policy.h"
#include "node/store/store.h"
#include "node/store/tables.h"
#include "proto/federation.pb.h"
#include "proto/store.pb.h"

namespace ifed::federation {

// A fresh delivery id: "<node id>-<32 hex>".
std::string NewDeliveryId(const std::string& node_id);
// `w` and the audit event `e` in one WriteBatch (without an event when
// `audit` is null).
// Retention of standing queries: deletes every watch whose `until` has
// passed at `now` (unix seconds): watches held for partners (with their
// pseudonym index entries: a partner's rule keeps its queries at most
// query_retention_days), this node's own watches (with the OPRF outputs it
// kept), and a hub's relay mappings; in batches, each with a `watch.expire`
// audit event (counts only). Returns how many were deleted. Called from the
// expiry sweep.
absl::StatusOr<uint64_t> PurgeExpiredWatches(store::Store* store, audit::AuditLog* audit,
                                             int64_t now);

// A refused watch call: `e` with outcome "refused" and the reason, made
// durable (when `audit` is set); returns `s`, or the audit failure.
absl::Status AuditRefusal(audit::AuditLog* audit, const audit::Event& e, absl::Status s,
                          const std::string& reason);

absl::Status CommitAudited(store::Store* store, audit::AuditLog* audit,
                           const store::MetaWrites& w, const audit::Event& e);
// The shape of a watch: packed 32-byte pseudonyms of known types, at least
// one, and an end in the future (or none). Adds each type once to `types`,
// in the order met; returns the number of pseudonyms.
absl::StatusOr<uint32_t> CheckWatchShape(const ifed::v1::WatchRequest& request, int64_t now,
                                         std::vector<ifed::v1::IndicatorType>* types);
// An outbox entry for `peer`, due now.
ifed::v1::OutboxEntry MakeOutboxEntry(const std::string& peer, ifed::v1::Delivery delivery,
                                      int64_t now_ms);

struct WatchDeps {
  std::string node_id;
  std::string contact;
  store::Store* store = nullptr;
  const policy::PolicyHolder* policy = nullptr;
  audit::AuditLog* audit = nullptr;  // may be null (tests).
  std::function<int64_t()> now;      // unix seconds.
  // Key rotation: the record's pseudonyms under the other epochs
  // this node still holds keys for (admin::EpochAliases), so that a watch
  // made under the old epoch keeps firing until that epoch is dropped. May
  // be null: own epoch only.
  store::Store::AliasFn aliases;
  // Mints the per-partner reference tokens of notifications
  // (Sealer::Reference). Null: notifications carry no reference.
  const crypto::Sealer* sealer = nullptr;
};

class WatchDesk {
 public:
  explicit WatchDesk(WatchDeps deps) : d_(std::move(deps)) {}

  // WATCH_ADD: PermissionDenied for a purpose Watch does not accept
  // (policy/purpose.h), and unless the inbound rule for `peer` allows
  // watches, the purpose and every type; ResourceExhausted past
  // max_active pseudonyms; InvalidArgument for a malformed request.
  // Idempotent on watch_id. WATCH_REMOVE: NotFound for an unknown watch.
  // Audited ("watch.in", "watch.remove") in the batch that stores it.
  // `on_behalf_of`: the querier the hub `peer` places the watch for (its
  // signed authorization verified): decided, and each later hit too, under
  // both the rule for the querier and the rule for the hub; notifications
  // carry the querier's own reference tokens.
  absl::Status Handle(const std::string& peer, const ifed::v1::WatchRequest& request,
                      ifed::v1::WatchResponse* response,
                      const std::string& on_behalf_of = "") const;

  // A purpose belongs to its call, and a watch is held only while the rule
  // in force allows it: decides every held watch again under the current
  // policy (policy::HeldWatchAllowed; for a watch placed through the hub,
  // both rules). A watch the rule no longer allows is
  // suspended (kept, fires no more; audited "watch.suspend", the watcher
  // told with a WATCH_SUSPENDED notification through the outbox); a
  // suspended watch the rule allows again is resumed ("watch.resume",
  // WATCH_RESUMED). Called after every policy reload and at start. Returns
  // how many watches changed state.
  absl::StatusOr<uint64_t> Review() const;

  // Store observers (see Store::SetIngestObserver / SetRemoveObserver).
  // OnIngest decides each held watch again at hit time under the rule in
  // force (types, purposes, TLP, not_for / national_only, crime areas,
  // scheme): a suspended watch, or one the rule no longer allows, does not
  // fire. A notification's reference is the watcher's own token.
  absl::StatusOr<store::MetaWrites> OnIngest(const std::vector<const ifed::v1::Record*>& fresh,
                                             const std::vector<const std::string*>& sealed) const;
  absl::StatusOr<store::MetaWrites> OnRemove(const std::vector<ifed::v1::Record>& removed) const;

 private:
  // WATCH_REMOVE of the watch held under `key`; `e` is its audit event.
  absl::Status Remove(const std::string& peer, const std::string& key,
                      ifed::v1::WatchResponse* response, audit::Event* e) const;

  WatchDeps d_;
};

class Inbox {
 public:
  // `ack_delay_ms` > 0 (fault injection for tests only) sleeps after a
  // delivery is durable and before the acknowledgement is sent.
  explicit Inbox(WatchDeps deps, int ack_delay_ms = 0)
      : d_(std::move(deps)), ack_delay_ms_(ack_delay_ms) {}

  // One code per delivery: OK when stored now or before; NotFound when it
  // names a watch or follow-up this node never asked `sender` for;
  // InvalidArgument when malformed. A store failure fails the whole call
  // (the sender retries).
  absl::Status Handle(const std::string& sender, const ifed::v1::DeliverRequest& request,
                      ifed::v1::DeliverResponse* response);

 private:
  absl::StatusOr<absl::StatusCode> One(const std::string& sender, const ifed::v1::Delivery& d);
  WatchDeps d_;
  const int ack_delay_ms_;
  std::mutex mu_;  // one delivery at a time: the seen-check and the write are one step.
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_WATCH_SERVICE_H_
