#include "node/store/tables.h"

#include <cstdio>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ifed::store {
namespace {

std::string Ms16(int64_t ms) {
  char ts[24];
  std::snprintf(ts, sizeof ts, "%016lld", static_cast<long long>(ms));
  return ts;
}

const absl::string_view kTablePrefixes[] = {
    WatchTable::kPrefix, OutboxTable::kPrefix,    FollowUpTable::kPrefix, HubStatsTable::kPrefix,
    HitsTable::kPrefix,  OprfStateTable::kPrefix, BindingTable::kPrefix};

}  // namespace

bool IsTableKey(absl::string_view key) {
  for (absl::string_view p : kTablePrefixes) {
    if (absl::StartsWith(key, p)) return true;
  }
  return false;
}

const char* TablePrefixList() { return "watch/, outbox/, followup/, hub/, hits/, oprf/ and node/"; }

absl::Status MetaTable::Inside(const std::string& key) const {
  if (!absl::StartsWith(key, prefix_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("meta key outside the table ", std::string(prefix_)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> MetaTable::Get(const std::string& key) const {
  if (absl::Status s = Inside(key); !s.ok()) return s;
  return store_->GetMeta(key);
}

absl::Status MetaTable::Scan(const std::string& prefix, const ScanFn& fn) const {
  if (absl::Status s = Inside(prefix); !s.ok()) return s;
  return store_->ScanMeta(prefix, fn);
}

absl::Status MetaTable::Put(const std::string& key, const std::string& value) const {
  if (absl::Status s = Inside(key); !s.ok()) return s;
  return store_->PutMeta(key, value);
}

std::string WatchTable::InboundKey(const std::string& peer, const std::string& watch_id) {
  return absl::StrCat(kInbound, peer, "/", watch_id);
}

std::string WatchTable::IndexPrefix(uint32_t epoch, absl::string_view pseudonym) {
  char e[9];
  std::snprintf(e, sizeof e, "%08x", epoch);
  return absl::StrCat(kIndex, e, absl::BytesToHexString(pseudonym), "/");
}

std::string WatchTable::IndexKey(uint32_t epoch, absl::string_view pseudonym,
                                 const std::string& peer, const std::string& watch_id) {
  return absl::StrCat(IndexPrefix(epoch, pseudonym), peer, "/", watch_id);
}

std::string WatchTable::SentPrefix(const std::string& record_id) {
  return absl::StrCat(kSent, record_id, "/");
}

std::string WatchTable::SentKey(const std::string& record_id, const std::string& peer,
                                const std::string& watch_id) {
  return absl::StrCat(SentPrefix(record_id), peer, "/", watch_id);
}

std::string WatchTable::OutboundPrefix(const std::string& peer) {
  return absl::StrCat(kOutbound, peer, "/");
}

std::string WatchTable::OutboundKey(const std::string& peer, const std::string& watch_id) {
  return absl::StrCat(OutboundPrefix(peer), watch_id);
}

std::string WatchTable::RelayedKey(const std::string& hub_watch_id) {
  return absl::StrCat(kRelayed, hub_watch_id);
}

std::string WatchTable::EventKey(int64_t received_ms, const std::string& sender,
                                 const std::string& delivery_id) {
  return absl::StrCat(kEvents, Ms16(received_ms), "/", sender, "/", delivery_id);
}

std::string WatchTable::ReceivedKey(const std::string& sender, const std::string& delivery_id) {
  return absl::StrCat(kReceived, sender, "/", delivery_id);
}

std::string OutboxTable::Key(const std::string& peer, const std::string& delivery_id) {
  return absl::StrCat(kPrefix, peer, "/", delivery_id);
}

std::string FollowUpTable::Key(bool inbound, const std::string& peer, const std::string& id) {
  return absl::StrCat(inbound ? kInbound : kOutbound, peer, "/", id);
}

std::string HitsTable::Key(int64_t ms, const std::string& id) {
  return absl::StrCat(kPrefix, Ms16(ms), "/", id);
}

std::string OprfStateTable::BlockKey(const std::string& peer) {
  return absl::StrCat("oprf/block/", peer);
}

}  // namespace ifed::store
