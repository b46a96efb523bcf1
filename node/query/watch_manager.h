// WatchManager: this node's standing queries at its partners. "add"
// pseudonymises the normalised forms of the values and asks each partner
// to hold the pseudonyms (keyed scheme, directly or through a hub), or
// keeps OPRF outputs here and compares them with the partner's filter at
// each sync (OPRF scheme); "remove" withdraws a watch; "list" and "events"
// read what is held. The watch is kept locally before the partner is
// asked, so a notification that arrives at once finds it. Audited:
// "watch.out", "watch.remove", "watch.event" (ids, counts and types, never
// a value). Calls go through the outbound matcher's PeerTransport. No gRPC.
#ifndef IFED_QUERY_WATCH_MANAGER_H_
#define IFED_QUERY_WATCH_MANAGER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "node/audit/audit_log.h"
#include "node/crypto/keyed.h"
#include "node/crypto/sealer.h"
#include "node/federation/oprf/oprf_querier.h"
#include "node/policy/policy.h"
#include "node/query/outbound_matcher.h"
#include "node/query/peer_transport.h"
#include "node/store/store.h"
#include "proto/admin.pb.h"

namespace ifed::query {

struct WatchDeps {
  store::Store* store = nullptr;
  audit::AuditLog* audit = nullptr;  // null: no audit
  const crypto::KeyedPseudonymizer* keys = nullptr;
  const crypto::Sealer* sealer = nullptr;
  const policy::PolicyHolder* policy = nullptr;
  PeerTransport* transport = nullptr;
  OutboundMatcher* matcher = nullptr;  // OPRF evaluation, hub signatures
  federation::OprfQuerier* oprf = nullptr;  // null: no OPRF watches
  std::function<int64_t()> now;  // unix seconds
};

// A watch to add: the forms of its values (each value and every form
// derived from it), already normalised.
struct NewWatch {
  std::string actor;
  ifed::v1::Purpose purpose = ifed::v1::MIGRANT_SMUGGLING;
  int64_t until = 0;  // unix seconds; 0: as the partner allows
  std::vector<std::pair<ifed::v1::IndicatorType, std::string>> forms;  // type, canonical
  std::vector<std::string> peers;          // partners or hubs
  std::vector<std::string> jurisdictions;  // through a hub: its members there only
};

class WatchManager {
 public:
  explicit WatchManager(WatchDeps deps) : d_(std::move(deps)) {}

  // Notifications received since `since_ms`.
  absl::Status Events(int64_t since_ms, ifed::v1::WatchesResponse* response) const;
  // The watches this node asked for, or with `inbound` those partners hold
  // here, the hub's relayed ones and the outbox (counts only).
  absl::Status List(bool inbound, ifed::v1::WatchesResponse* response) const;
  // Withdraws `watch_id` at each of `peers` (one row per peer in `response`).
  absl::Status Remove(const std::string& actor, const std::vector<std::string>& peers,
                      const std::string& watch_id, ifed::v1::WatchesResponse* response);
  // Asks each partner of `w` to hold it (one row per partner in `response`).
  absl::Status Add(const NewWatch& w, ifed::v1::WatchesResponse* response);
  // Compares the OPRF watches held for `peer` with its filter just stored,
  // and records a HIT (WITHDRAWN) event for each item that entered (left)
  // it, with one audit event per watch.
  absl::Status CheckOprfWatches(const std::string& peer);

 private:
  // The wire request of `w` and what stays here (see watch_manager.cc).
  struct Prepared;
  absl::Status Prepare(const NewWatch& w, Prepared* p) const;
  absl::Status AddKeyed(const NewWatch& w, const Prepared& p, const std::string& peer,
                        ifed::v1::WatchPeerResult* pr, ifed::v1::WatchesResponse* response);
  // Through a hub: its members watched here with OPRF (skipped by the hub),
  // then the signature for the others.
  absl::Status HubParts(const NewWatch& w, const Prepared& p, const std::string& hub,
                        ifed::v1::WatchRequest* to_peer, ifed::v1::WatchesResponse* response);
  absl::Status AddOprf(const NewWatch& w, const Prepared& p, const std::string& peer,
                       ifed::v1::WatchPeerResult* pr, ifed::v1::WatchesResponse* response);
  absl::Status RemoveAt(const std::string& actor, const std::string& peer,
                        const std::string& watch_id, ifed::v1::WatchesResponse* response);
  absl::StatusOr<std::vector<std::string>> RemoveTargets(const std::vector<std::string>& peers,
                                                         const std::string& watch_id) const;
  absl::Status Save(const store::MetaWrites& w, const audit::Event* e) const;

  WatchDeps d_;
};

}  // namespace ifed::query

#endif  // IFED_QUERY_WATCH_MANAGER_H_
