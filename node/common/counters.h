// Process-wide activity counters shown by `ifedctl stats`. Counts only:
// never values.
#ifndef IFED_COMMON_COUNTERS_H_
#define IFED_COMMON_COUNTERS_H_

#include <atomic>
#include <cstdint>

namespace ifed {

struct Counters {
  std::atomic<uint64_t> inbound_queries{0};
  std::atomic<uint64_t> inbound_items{0};
  std::atomic<uint64_t> inbound_hits{0};
  std::atomic<uint64_t> denied_queries{0};
  std::atomic<uint64_t> outbound_queries{0};
};

}  // namespace ifed

#endif  // IFED_COMMON_COUNTERS_H_
