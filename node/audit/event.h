// Audit events and their one canonical encoding.
//
// An event is one line of JSON with a fixed key order, written by Encode()
// and never re-encoded: the stored bytes are the exported bytes, and the
// chain hash is SHA-256 over exactly those bytes. So a third party can verify
// an export without this code's idea of "canonical".
//
//   {"seq":7,"prev":"<64 hex>","ts_ms":1767225600123,"node":"de",
//    "action":"match.in","actor":"peer:at","outcome":"ok", ...fields}
//
// Field values are strings or integers; there is no nesting. Events never
// carry a raw indicator value: counts, ids, and at most a short pseudonym
// digest. Pure code: no gRPC, no RocksDB.
#ifndef IFED_AUDIT_EVENT_H_
#define IFED_AUDIT_EVENT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ifed::audit {

inline constexpr char kZeroHash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

using Value = std::variant<std::string, int64_t>;

// What a caller fills in; the log assigns seq, prev, ts_ms and node.
struct Event {
  std::string action;   // e.g. "ingest", "match.in", "match.out", "start".
  std::string actor;    // "peer:<node-id>", "local:uid=<n>(<name>)", "node".
  std::string outcome;  // "ok", "refused", "error".
  std::vector<std::pair<std::string, Value>> fields;  // in output order.

  Event& Set(std::string key, std::string v) {
    fields.emplace_back(std::move(key), std::move(v));
    return *this;
  }
  Event& Set(std::string key, int64_t v) {
    fields.emplace_back(std::move(key), v);
    return *this;
  }
};

// The chain position of an event.
struct Link {
  uint64_t seq = 0;
  std::string prev;  // hex SHA-256 of the previous line; kZeroHash for seq 1.
  int64_t ts_ms = 0;
  std::string node;
};

// The canonical line (no trailing newline).
std::string Encode(const Link& link, const Event& event);

// Lower-case hex SHA-256 of `line`.
std::string HashLine(absl::string_view line);

// A parsed flat JSON object: every key once; values string or integer.
class Parsed {
 public:
  // InvalidArgument on anything but a flat object of strings and integers.
  static absl::StatusOr<Parsed> Parse(absl::string_view line);
  std::optional<std::string> Str(const std::string& key) const;
  std::optional<int64_t> Int(const std::string& key) const;
  bool Has(const std::string& key) const { return values_.count(key) > 0; }
  const std::map<std::string, Value>& values() const { return values_; }

 private:
  std::map<std::string, Value> values_;
};

// Strict hex decoding (even length, [0-9a-fA-F] only).
bool FromHex(absl::string_view hex, std::string* out);

// JSON string body escaping (no quotes added).
std::string Escape(absl::string_view s);

// Short digest of a pseudonym for events that must name one: the first 8
// bytes of SHA-256("ifed-audit-pseudonym" || p), hex.
std::string PseudonymDigest(absl::string_view pseudonym);

}  // namespace ifed::audit

#endif  // IFED_AUDIT_EVENT_H_
