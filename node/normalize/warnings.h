// WarningList: canonical values that would produce false cross-agency hits
// (fictional and test phone ranges, documentation domains, platform system
// pages, bare URL-shortener hosts, published example IBANs and addresses).
// The list is data, written by administrators in
// policy/normalize-warnings.yaml (schema below) and compiled into the node
// as its default; a value on the list still normalises, and the caller
// decides: the node refuses it at ingest and skips it at match.
//
// Schema (unknown keys are errors with the line number):
//   version: 1
//   entries:
//     - type: phone|handle|url|email|iban|wallet|imei
//       exact: "<canonical value>"        # one of exact, pattern, domain
//       pattern: "<glob over the canonical value: ? one char, * any run>"
//       domain: "<dns name>"   # url host or e-mail domain equal to it or
//                              # below it (a TLD such as "test" works too)
//       reason: "<short text shown to users; never a raw value>"
//       source: "<where the range is documented>"
#ifndef IFED_NORMALIZE_WARNINGS_H_
#define IFED_NORMALIZE_WARNINGS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "node/common/indicator_type.h"

namespace ifed::normalize {

class WarningList {
 public:
  struct Entry {
    IndicatorType type = IndicatorType::kUnspecified;
    enum class Kind { kExact, kPattern, kDomain } kind = Kind::kExact;
    std::string value;  // lower-case for kDomain
    std::string reason;
    std::string source;
  };

  // Parses the YAML text; `name` is used in error messages ("name:line").
  static absl::StatusOr<WarningList> Parse(std::string_view yaml,
                                           std::string_view name);
  // The list shipped in policy/normalize-warnings.yaml, compiled in.
  static const WarningList& Default();

  WarningList() = default;

  // The reason of the first entry that matches the canonical value, if any.
  std::optional<std::string> Check(IndicatorType type,
                                   std::string_view canonical) const;
  size_t size() const { return entries_.size(); }

 private:
  std::vector<Entry> entries_;
};

// Glob match: '?' one byte, '*' any run of bytes. Linear-time for the
// patterns used here (iterative with one back-track point).
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace ifed::normalize

#endif  // IFED_NORMALIZE_WARNINGS_H_
