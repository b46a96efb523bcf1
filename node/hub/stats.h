// HubStats: the hub's aggregate picture of the federation. Pure
// core: no gRPC, no RocksDB. It sees pseudonyms (keyed scheme) and the
// members' verdicts, and keeps only counts and a one-way digest of each
// pseudonym that hit: never a raw value, never a case reference or a record
// reference. The digest is keyed with a key only the hub holds, so a member
// (who holds the federation key) cannot turn a reported digest back into a
// value by trying candidates; the hub holds no federation key, so it cannot
// either. Every cell a query changes is handed to a persist callback as
// (key, serialised message) pairs under "hub/..." (the daemon writes them to
// its store) and read back with Load() at start, so the picture survives a
// restart. Thread-safe.
#ifndef IFED_HUB_STATS_H_
#define IFED_HUB_STATS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "node/crypto/secret.h"
#include "proto/admin.pb.h"
#include "proto/federation.pb.h"

namespace ifed::hub {

class HubStats {
 public:
  using Entries = std::vector<std::pair<std::string, std::string>>;
  // Called under the stats lock with the cells one Record() changed, so
  // writes reach the store in the order they were made. May be empty.
  using PersistFn = std::function<void(const Entries& changed)>;

  // `digest_key`: the hub-local key of the digests (32 bytes).
  explicit HubStats(crypto::SecretBytes digest_key, PersistFn persist = nullptr)
      : digest_key_(std::move(digest_key)), persist_(std::move(persist)) {}

  // The case id kept for a querier's case token: a one-way digest of it.
  static std::string CaseId(const std::string& case_token);
  // Most pseudonyms linked to one case (more hits are counted, not linked).
  static constexpr int kMaxCaseLinks = 10000;

  // Digest shown for a pseudonym: hex of the first 16 bytes of
  // HMAC-SHA256(digest key, domain label || 0x00 || type || pseudonym).
  std::string Digest(ifed::v1::IndicatorType type, const std::string& pseudonym) const;

  // Restores one persisted cell (a key under "hub/"); InvalidArgument for an
  // unknown key or a value that does not parse.
  absl::Status Load(const std::string& key, const std::string& value);

  // Accounts one relayed query: `request` as the querier sent it, `answer`
  // as the hub merged it (members[] with their results). `now`: unix seconds.
  void Record(const std::string& querier, const ifed::v1::MatchRequest& request,
              const ifed::v1::MatchResponse& answer, int64_t now);

  // Totals, per type, per querier/member pair, per day, and the clusters
  // (pseudonyms seen in at least `min_jurisdictions` members; 0 means 2).
  // k-anonymity: a cell whose count is below `k` (a type's hits, a pair's
  // or a day's hits when not zero, a cluster's hits) is left out and
  // counted in `suppressed`; the totals are always shown.
  ifed::v1::HubStatsResponse Report(uint32_t min_jurisdictions, uint32_t k = 1) const;

 private:
  const crypto::SecretBytes digest_key_;
  PersistFn persist_;
  mutable std::mutex mu_;
  ifed::v1::HubStatsResponse totals_;                  // queries, items, hits only.
  std::map<int, ifed::v1::TypeCount> types_;
  std::map<std::pair<std::string, std::string>, ifed::v1::HubPairCount> pairs_;
  std::map<std::string, ifed::v1::HubDayCount> days_;
  std::map<std::string, ifed::v1::HubCluster> clusters_;  // by digest.
  std::map<std::string, ifed::v1::HubCaseLinks> cases_;   // by case id.
};

}  // namespace ifed::hub

#endif  // IFED_HUB_STATS_H_
