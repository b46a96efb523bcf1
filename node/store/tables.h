// The typed tables of the meta column family. Each class owns the key
// layout of one durable table (store.proto documents the values) and reads
// and writes only under its own prefix; code outside node/store/ never
// spells a meta key. Writes that must land in one WriteBatch with other
// changes (an ingest, an audit entry) are built with the Key functions and
// committed through Store::CommitMeta or an IngestObserver.
//
//   WatchTable     watch/...     standing queries, both directions, and
//                                received notifications
//   OutboxTable    outbox/...    deliveries waiting for their peer
//   FollowUpTable  followup/...  follow-up requests, both directions
//   HubStatsTable  hub/...       a hub's statistics cells
//   HitsTable      hits/...      hits reported to hubs, by time
//   OprfStateTable oprf/...      per-partner OPRF state (blocked partners)
//   BindingTable   node/binding  what the data dir belongs to
#ifndef IFED_STORE_TABLES_H_
#define IFED_STORE_TABLES_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "node/store/store.h"

namespace ifed::store {

// Every prefix a meta table owns (Store::CommitMeta refuses other keys).
bool IsTableKey(absl::string_view key);
// The prefixes above, for the refusal message.
const char* TablePrefixList();

// Shared reads of one table: Get and a prefix scan, refused outside the
// table's own prefix.
class MetaTable {
 public:
  using ScanFn = std::function<bool(const std::string& key, const std::string& value)>;

  absl::StatusOr<std::string> Get(const std::string& key) const;
  bool Has(const std::string& key) const { return Get(key).ok(); }
  // Entries under `prefix` (which must lie inside the table), in key order,
  // until `fn` returns false.
  absl::Status Scan(const std::string& prefix, const ScanFn& fn) const;
  absl::Status Put(const std::string& key, const std::string& value) const;

 protected:
  MetaTable(Store* store, absl::string_view prefix) : store_(store), prefix_(prefix) {}
  Store* store_;
  absl::string_view prefix_;

 private:
  absl::Status Inside(const std::string& key) const;
};

class WatchTable : public MetaTable {
 public:
  static constexpr char kPrefix[] = "watch/";
  static constexpr char kInbound[] = "watch/in/w/";  // held here for a partner
  static constexpr char kIndex[] = "watch/in/p/";    // pseudonym index of those
  static constexpr char kSent[] = "watch/sent/";     // notifications already sent
  static constexpr char kOutbound[] = "watch/out/";  // this node's own watches
  static constexpr char kRelayed[] = "watch/hub/";   // a hub's relay mappings
  static constexpr char kEvents[] = "watch/ev/";     // notifications received
  static constexpr char kReceived[] = "watch/rx/";   // delivery ids seen

  explicit WatchTable(Store* store) : MetaTable(store, kPrefix) {}

  // "watch/in/w/<peer>/<watch id>".
  static std::string InboundKey(const std::string& peer, const std::string& watch_id);
  // "watch/in/p/<hex epoch||pseudonym>/<peer>/<watch id>"; the prefix
  // without peer and id lists every watch of one pseudonym.
  static std::string IndexPrefix(uint32_t epoch, absl::string_view pseudonym);
  static std::string IndexKey(uint32_t epoch, absl::string_view pseudonym, const std::string& peer,
                              const std::string& watch_id);
  // "watch/sent/<record id>/<peer>/<watch id>".
  static std::string SentPrefix(const std::string& record_id);
  static std::string SentKey(const std::string& record_id, const std::string& peer,
                             const std::string& watch_id);
  // "watch/out/<peer>/<watch id>"; OutboundPrefix(peer) = all of one peer.
  static std::string OutboundPrefix(const std::string& peer);
  static std::string OutboundKey(const std::string& peer, const std::string& watch_id);
  // "watch/hub/<hub watch id>".
  static std::string RelayedKey(const std::string& hub_watch_id);
  // "watch/ev/<received ms, 16 digits>/<sender>/<delivery id>".
  static std::string EventKey(int64_t received_ms, const std::string& sender,
                              const std::string& delivery_id);
  // "watch/rx/<sender>/<delivery id>".
  static std::string ReceivedKey(const std::string& sender, const std::string& delivery_id);
};

class OutboxTable : public MetaTable {
 public:
  static constexpr char kPrefix[] = "outbox/";
  explicit OutboxTable(Store* store) : MetaTable(store, kPrefix) {}
  // "outbox/<peer>/<delivery id>".
  static std::string Key(const std::string& peer, const std::string& delivery_id);
  absl::Status ScanAll(const ScanFn& fn) const { return Scan(kPrefix, fn); }
};

class FollowUpTable : public MetaTable {
 public:
  static constexpr char kPrefix[] = "followup/";
  static constexpr char kInbound[] = "followup/in/";    // asked of this node
  static constexpr char kOutbound[] = "followup/out/";  // asked by this node
  explicit FollowUpTable(Store* store) : MetaTable(store, kPrefix) {}
  // "followup/in|out/<peer>/<id>".
  static std::string Key(bool inbound, const std::string& peer, const std::string& id);
};

class HubStatsTable : public MetaTable {
 public:
  static constexpr char kPrefix[] = "hub/";
  static constexpr char kTotal[] = "hub/total";
  static constexpr char kType[] = "hub/type/";
  static constexpr char kPair[] = "hub/pair/";
  static constexpr char kDay[] = "hub/day/";
  static constexpr char kCluster[] = "hub/cluster/";
  static constexpr char kCase[] = "hub/case/";
  explicit HubStatsTable(Store* store) : MetaTable(store, kPrefix) {}
  // Inline: the hub's statistics core (no RocksDB) builds these keys too.
  static std::string PairKey(const std::string& querier, const std::string& member) {
    return absl::StrCat(kPair, querier, "/", member);
  }
  static std::string TypeKey(int type) { return absl::StrCat(kType, type); }
  static std::string DayKey(const std::string& day) { return absl::StrCat(kDay, day); }
  static std::string ClusterKey(const std::string& digest) {
    return absl::StrCat(kCluster, digest);
  }
  static std::string CaseKey(const std::string& id) { return absl::StrCat(kCase, id); }
  absl::Status ScanAll(const ScanFn& fn) const { return Scan(kPrefix, fn); }
};

class HitsTable : public MetaTable {
 public:
  static constexpr char kPrefix[] = "hits/";
  explicit HitsTable(Store* store) : MetaTable(store, kPrefix) {}
  // "hits/<ms, 16 digits>/<id>"; with an empty id, the first key at `ms`.
  static std::string Key(int64_t ms, const std::string& id);
  // A key after every hit.
  static std::string End() { return "hits0"; }
  absl::Status ScanAll(const ScanFn& fn) const { return Scan(kPrefix, fn); }
};

class OprfStateTable : public MetaTable {
 public:
  static constexpr char kPrefix[] = "oprf/";
  explicit OprfStateTable(Store* store) : MetaTable(store, kPrefix) {}
  // "oprf/block/<peer>" = the policy version a partner was blocked under.
  static std::string BlockKey(const std::string& peer);
};

class BindingTable : public MetaTable {
 public:
  static constexpr char kPrefix[] = "node/";
  static constexpr char kKey[] = "node/binding";
  explicit BindingTable(Store* store) : MetaTable(store, kPrefix) {}
};

}  // namespace ifed::store

#endif  // IFED_STORE_TABLES_H_
