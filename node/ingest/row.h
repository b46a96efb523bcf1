// Rows read from foreign formats (STIX 2.1 bundles, MISP event JSON) for the
// admin API's Ingest call. Pure: no gRPC, no store. The readers stream: they
// hand each row and each refusal to a callback as soon as it is known, so a
// caller can forward rows in chunks without holding the file.
#ifndef IFED_INGEST_ROW_H_
#define IFED_INGEST_ROW_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "node/common/indicator_type.h"

namespace ifed::ingest {

// Mirrors ifed.v1.Tlp (proto/common.proto); the values must match.
enum class Tlp : int {
  kUnspecified = 0,
  kClear = 1,
  kGreen = 2,
  kAmber = 3,
  kAmberStrict = 4,
  kRed = 5,
};

// "clear"/"white", "green", "amber", "amber+strict", "red", with or without
// "tlp:" (any case). nullopt for anything else.
std::optional<Tlp> ParseTlpName(std::string_view s);

// One indicator, as IngestRow wants it. `ordinal` numbers the source object
// (1-based: the bundle's objects, the MISP attributes in file order), so a
// refusal from the node can be traced back to `source`.
struct Row {
  uint32_t ordinal = 0;
  std::string source;          // "indicator--<uuid>", "attribute <uuid>", ...
  IndicatorType type = IndicatorType::kUnspecified;
  std::string value;           // raw: normalised by the node.
  Tlp tlp = Tlp::kUnspecified; // kUnspecified: no marking; the caller's default applies.
  std::string case_ref;        // empty: the caller's default applies.
  int64_t expires = 0;         // unix seconds; 0 = the node's default retention.
};

// An object the reader did not turn into rows. `skipped` objects are fine
// (revoked, expired, not an indicator); the others are errors in the input.
struct Refusal {
  uint32_t ordinal = 0;
  std::string source;  // object id or type; never an indicator value.
  std::string reason;
  bool skipped = false;
};

struct Sinks {
  std::function<void(Row&&)> row;
  std::function<void(Refusal&&)> refusal;
};

struct ReadOptions {
  int64_t now = 0;  // unix seconds: indicators whose validity ended before are skipped.
};

// RFC 3339 timestamp ("2025-01-31T12:00:00Z", fractions and offsets allowed)
// to unix seconds.
std::optional<int64_t> ParseTimestamp(std::string_view s);

}  // namespace ifed::ingest

#endif  // IFED_INGEST_ROW_H_
