// Structured logging: one JSON object per line
//   {"ts":"2026-11-29T10:00:00.123Z","level":"info","node":"de","msg":"..."}
// Messages are the project's own text: never a raw indicator value, a key or
// a canonical form. Show counts, peer ids and pseudonym prefixes only.
#ifndef IFED_COMMON_LOGGING_H_
#define IFED_COMMON_LOGGING_H_

#include <string>

#include "absl/status/status.h"
#include "node/common/json.h"

namespace ifed::logging {

// Installs the default logger: JSON lines to `file` (stderr when empty) at
// `level` (trace|debug|info|warn|error). Flushes at warn and every second.
absl::Status Init(const std::string& node_id, const std::string& file,
                  const std::string& level);

// JSON string escaping (quotes, backslash, control characters).
using ::ifed::JsonEscape;

}  // namespace ifed::logging

#endif  // IFED_COMMON_LOGGING_H_
