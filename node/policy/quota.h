// Quotas of a partner rule: items per second (token bucket with burst) and
// items per UTC day. The per-second buckets live in memory; the daily
// counters go through a DailyLedger so that they survive a restart (the node
// backs it with the store's meta column family).
#ifndef IFED_POLICY_QUOTA_H_
#define IFED_POLICY_QUOTA_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/policy.pb.h"

namespace ifed::policy {

// Adds `n` to the counter `key` unless that would exceed `limit`; returns the
// new value, or ResourceExhausted (counter unchanged). Must be atomic.
using DailyLedger =
    std::function<absl::StatusOr<uint64_t>(const std::string& key, uint64_t n, uint64_t limit)>;

// An in-memory ledger (tests, or a node without a store).
DailyLedger MemoryLedger();

// Thread-safe.
class QuotaKeeper {
 public:
  explicit QuotaKeeper(DailyLedger ledger) : ledger_(std::move(ledger)) {}

  // Takes `items` from `partner`'s quotas under `quota` at `now_ms` (unix
  // milliseconds). ResourceExhausted with a "retry after N s" hint the partner
  // may see, or InvalidArgument when one batch can never fit the burst.
  absl::Status Take(const std::string& partner, const ifed::v1::Quota& quota, uint64_t items,
                    int64_t now_ms);

  // The ledger key of `partner`'s daily counter for the UTC day of `now_ms`.
  static std::string DayKey(const std::string& partner, int64_t now_ms);

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_ms = 0;
    bool fresh = true;
  };
  DailyLedger ledger_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace ifed::policy

#endif  // IFED_POLICY_QUOTA_H_
