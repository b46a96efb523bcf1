// Identifiers that arrive from peers or operators (request ids, delivery
// ids, watch ids, node names inside keys): one check of their shape.
#ifndef IFED_COMMON_IDS_H_
#define IFED_COMMON_IDS_H_

#include <cstddef>
#include <string_view>

namespace ifed {

// Most printable-id lengths the wire messages allow.
inline constexpr size_t kMaxPrintableId = 128;

enum class IdSlash { kAllowed, kRefused };

// 1..max printable ASCII characters (0x21-0x7e: no space, no control
// character). With IdSlash::kRefused also no '/', for ids that become one
// segment of a meta key ("watch/out/<peer>/<id>").
inline bool PrintableId(std::string_view s, size_t max = kMaxPrintableId,
                        IdSlash slash = IdSlash::kAllowed) {
  if (s.empty() || s.size() > max) return false;
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
    if (c == '/' && slash == IdSlash::kRefused) return false;
  }
  return true;
}

}  // namespace ifed

#endif  // IFED_COMMON_IDS_H_
