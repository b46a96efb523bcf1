// Logging. Two formats:
//   json: one object per line, for files, journald and log shippers
//     {"ts":"2026-11-29T10:00:00.123Z","level":"info","node":"de",
//      "request_id":"3f2a...","msg":"..."}
//   text: for a person at a terminal
//     2026-11-29T10:00:00.123Z info    de [3f2a...] ...
// `auto` picks text when the log goes to a terminal, json otherwise.
// Every line written while a RequestScope is active on the thread carries
// that request's id, so the lines of one request can be followed across the
// querier's and the responder's logs (the id travels in the request).
// Messages are the project's own text: never a raw indicator value, a key or
// a canonical form. Show counts, peer ids and pseudonym prefixes only.
#ifndef IFED_COMMON_LOGGING_H_
#define IFED_COMMON_LOGGING_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/common/json.h"

namespace ifed::logging {

enum class Format { kAuto, kJson, kText };

// "auto", "json" or "text" (empty = auto).
absl::StatusOr<Format> ParseFormat(std::string_view name);

// Installs the default logger: lines to `file` (stderr when empty) at
// `level` (trace|debug|info|warn|error). Flushes at warn and every second.
absl::Status Init(const std::string& node_id, const std::string& file,
                  const std::string& level, Format format = Format::kJson);

// The request id of the lines logged on this thread while it lives (nested
// scopes restore the outer id). A caller-chosen id is cut to 64 characters
// of [A-Za-z0-9._:-]; others become '_'.
class RequestScope {
 public:
  explicit RequestScope(std::string_view request_id);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;
  // The id of the innermost scope on this thread ("" when none).
  static const std::string& Current();

 private:
  std::string previous_;
};

// A fresh random request id (32 hex digits).
std::string NewRequestId();

// JSON string escaping (quotes, backslash, control characters).
using ::ifed::JsonEscape;

}  // namespace ifed::logging

#endif  // IFED_COMMON_LOGGING_H_
