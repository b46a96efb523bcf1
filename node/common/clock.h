// The node's one wall clock: Unix time in seconds, milliseconds or microseconds.
// Code that needs a testable clock takes a `std::function<int64_t()>` and
// defaults it to one of these.
#ifndef IFED_COMMON_CLOCK_H_
#define IFED_COMMON_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace ifed {

inline int64_t UnixSecondsNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t UnixMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t UnixMicrosNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace ifed

#endif  // IFED_COMMON_CLOCK_H_
