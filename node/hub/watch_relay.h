// WatchRelay: standing queries through the hub (keyed scheme).
//
// A querier Q asks the hub to watch pseudonyms (federation Watch). The hub's
// policy decides as for a relayed Match: its inbound rule for Q must allow
// the purpose, the types and watches (`watches: {allowed, max_active}`; the
// hub counts Q's items over all its relayed watches), and its outbound rule
// for each member must allow the query (default deny); `jurisdictions`
// narrows the members to those the hub's config places there. The hub
// relays the WatchRequest to those members in parallel under one deadline,
// under a hub watch id that no two queriers can share (HubWatchId), keeps
// the mapping hub watch id -> (Q, Q's watch id, members, until) in its
// store (meta "watch/hub/<id>", store.proto HubWatch; no pseudonym) and
// answers one outcome per member. WATCH_REMOVE is relayed the same way; the
// mapping goes once every member confirmed (a member that could not be
// reached keeps it, marked removing, until a later remove reaches it).
//
// A member keeps the watch for the hub as for any partner and notifies the
// hub through its durable outbox. The hub takes each notification (Deliver)
// like the querier's inbox would: in ONE WriteBatch it records the member's
// delivery id as received ("watch/rx/<member>/<id>": a repeated delivery is
// acknowledged and changes nothing), queues the notification for Q in its
// own outbox (delivery id derived from the member and the member's delivery
// id; watch id = Q's own; `member` = the member) with its audit event, and
// only then acknowledges. The hub's courier delivers to Q, whose inbox
// deduplicates: each notification takes effect once at Q across kill -9 of
// the member, the hub or Q. The hub re-checks its policy for each hit and
// applies its disclosure ceiling for Q; an unknown or removed watch is a
// permanent refusal (NOT_FOUND, audited "hub.watch.drop"). Deliveries that
// are not relayed watches go to the hub's own inbox. Thread-safe.
#ifndef IFED_HUB_WATCH_RELAY_H_
#define IFED_HUB_WATCH_RELAY_H_

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/audit/audit_log.h"
#include "node/federation/transport/peer_client.h"
#include "node/federation/desk/watch_service.h"
#include "node/policy/policy.h"
#include "node/store/store.h"
#include "proto/federation.pb.h"
#include "proto/store.pb.h"

namespace ifed::hub {

struct WatchRelayDeps {
  std::string node_id;
  store::Store* store = nullptr;
  const policy::PolicyHolder* policy = nullptr;
  audit::AuditLog* audit = nullptr;          // may be null (then nothing is audited).
  federation::PeerClients* members = nullptr;  // the configured peers.
  federation::Inbox* inbox = nullptr;        // deliveries that are not relayed watches.
  std::function<int64_t()> now;              // unix seconds.
  std::function<void()> kick_outbox;         // wakes the courier; may be empty.
  // Longest wait for one member (the caller's deadline may cut it shorter).
  std::chrono::milliseconds member_timeout{3000};
  int ack_delay_ms = 0;  // fault injection for tests only (as Inbox).
};

class WatchRelay {
 public:
  explicit WatchRelay(WatchRelayDeps deps) : d_(std::move(deps)) {}

  // WATCH_ADD: InvalidArgument for a malformed request; PermissionDenied
  // when the hub's policy refuses Q or watches; ResourceExhausted past Q's
  // max_active at the hub. Otherwise OK with one HubWatchMember per member
  // (a member's refusal is its outcome, not the call's). WATCH_REMOVE:
  // NotFound for a watch the hub does not relay for Q. Audited
  // ("hub.watch.add", "hub.watch.remove"): ids and counts only.
  absl::Status Watch(const std::string& querier, const ifed::v1::WatchRequest& request,
                     std::chrono::system_clock::time_point deadline,
                     ifed::v1::WatchResponse* response);

  // One code per delivery, in order (see the file comment). A store or
  // audit failure fails the whole call (the member retries).
  absl::Status Deliver(const std::string& sender, const ifed::v1::DeliverRequest& request,
                       ifed::v1::DeliverResponse* response);

  // The id the members hold: "hw-" + 40 hex digits of SHA-256(querier ||
  // 0x00 || watch id). Printable, 43 characters, no '/'.
  static std::string HubWatchId(const std::string& querier, const std::string& watch_id);
  // The delivery id of a relayed notification: "<hub>-via-" + 40 hex digits
  // of SHA-256(member || 0x00 || the member's delivery id).
  static std::string RelayedDeliveryId(const std::string& hub, const std::string& member,
                                       const std::string& delivery_id);
  // Meta key of the mapping.
  static std::string MappingKey(const std::string& hub_watch_id);

 private:
  absl::Status Add(const std::string& querier, const ifed::v1::WatchRequest& request,
                   std::chrono::system_clock::time_point deadline,
                   ifed::v1::WatchResponse* response);
  // Steps of Add: the querier's items over its other relayed watches; the
  // members the hub's outbound rules allow (the others added to `response`
  // and `refused`); the mapping kept before the members are asked; the
  // mapping settled to the members that hold it, with the audit event.
  absl::StatusOr<uint32_t> ActiveItems(const std::string& querier, const std::string& hub_id,
                                       int64_t now) const;
  std::vector<std::string> Targets(const std::string& querier,
                                   const ifed::v1::WatchRequest& request,
                                   const policy::Policy& policy, policy::Query q,
                                   ifed::v1::WatchResponse* response,
                                   std::vector<std::string>* refused) const;
  absl::StatusOr<ifed::v1::HubWatch> KeepPending(const std::string& querier,
                                                 const std::string& hub_id,
                                                 const ifed::v1::WatchRequest& request,
                                                 const std::vector<ifed::v1::IndicatorType>& types,
                                                 uint32_t items, int64_t now, int64_t until,
                                                 const std::vector<std::string>& targets);
  absl::Status Settle(const std::string& hub_id, const ifed::v1::HubWatch& pending,
                      const std::vector<std::string>& targets,
                      const std::vector<std::string>& holding, bool oprf_only, audit::Event* e);
  absl::Status Remove(const std::string& querier, const ifed::v1::WatchRequest& request,
                      std::chrono::system_clock::time_point deadline,
                      ifed::v1::WatchResponse* response);
  // Sends `wire` to each of `members` in parallel, on behalf of `querier`
  // (x-ifed-on-behalf-of: the members' notifications carry the querier's
  // reference tokens); one outcome each, in order.
  std::vector<ifed::v1::HubWatchMember> Relay(const std::string& querier,
                                              const std::vector<std::string>& members,
                                              const ifed::v1::WatchRequest& wire,
                                              std::chrono::system_clock::time_point deadline);
  absl::StatusOr<absl::StatusCode> One(const std::string& sender, const ifed::v1::Delivery& d);
  absl::StatusOr<ifed::v1::HubWatch> Load(const std::string& hub_watch_id) const;

  WatchRelayDeps d_;
  std::mutex mu_;  // mappings' read-modify-write and the received-check of a delivery.
};

}  // namespace ifed::hub

#endif  // IFED_HUB_WATCH_RELAY_H_
