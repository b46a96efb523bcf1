// HubStats: the hub's aggregate picture of the federation (issue 10). Pure
// core: no gRPC, no RocksDB. It sees pseudonyms (keyed scheme) and the
// members' verdicts, and keeps only counts and a one-way digest of each
// pseudonym that hit: never a raw value, never a case reference or a record
// reference. Thread-safe.
#ifndef IFED_HUB_STATS_H_
#define IFED_HUB_STATS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "proto/admin.pb.h"
#include "proto/federation.pb.h"

namespace ifed::hub {

class HubStats {
 public:
  // Digest shown for a pseudonym: hex SHA-256 prefix (16 bytes) over a
  // domain label, the type and the pseudonym. One-way; no key involved.
  static std::string Digest(ifed::v1::IndicatorType type, const std::string& pseudonym);

  // Accounts one relayed query: `request` as the querier sent it, `answer`
  // as the hub merged it (members[] with their results). `now`: unix seconds.
  void Record(const std::string& querier, const ifed::v1::MatchRequest& request,
              const ifed::v1::MatchResponse& answer, int64_t now);

  // Totals, per type, per querier/member pair, per day, and the clusters
  // (pseudonyms seen in at least `min_jurisdictions` members; 0 means 2).
  ifed::v1::HubStatsResponse Report(uint32_t min_jurisdictions) const;

 private:
  struct Cluster {
    ifed::v1::IndicatorType type = ifed::v1::INDICATOR_TYPE_UNSPECIFIED;
    std::set<std::string> jurisdictions;
    uint64_t hits = 0;
    int64_t first_seen = 0, last_seen = 0;
  };
  struct Pair {
    uint64_t queries = 0, items = 0, hits = 0;
  };
  struct Day {
    uint64_t queries = 0, hits = 0;
  };
  mutable std::mutex mu_;
  uint64_t queries_ = 0, items_ = 0, hits_ = 0;
  std::map<int, uint64_t> hits_by_type_;
  std::map<std::pair<std::string, std::string>, Pair> pairs_;
  std::map<std::string, Day> days_;
  std::map<std::string, Cluster> clusters_;  // by digest.
};

}  // namespace ifed::hub

#endif  // IFED_HUB_STATS_H_
