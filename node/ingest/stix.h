// STIX 2.1 bundle reader (ifedctl ingest --format stix).
//
// Accepted: `indicator` objects with pattern_type "stix" whose pattern is one
// or more observation expressions joined by OR, each holding equality
// comparisons joined all by OR (one row each) or all by AND (one row):
//   [url:value = '...']                         -> url
//   [email-addr:value = '...']                  -> email
//   [domain-name:value = 'example.org']         -> url "https://example.org/"
//       (the node has no domain type: the site's root URL stands for it)
//   [user-account:account_login = 'name' AND user-account:account_type = 'telegram']
//                                               -> handle "telegram:name"
//   [phone-number:value = '+43...']             -> phone (OpenCTI's custom
//       `phone-number` observable; `x-phone-number:value` is accepted too)
//   [bank-account:iban = '...']                 -> iban (OpenCTI custom)
//   [cryptocurrency-wallet:value = '...']       -> crypto (OpenCTI custom)
// TLP: object_marking_refs naming a TLP marking definition, either the
// standard TLP 1.0/2.0 ids or a marking-definition in the bundle (TLP 1.0
// `definition.tlp`, the TLP 2.0 extension's `tlp_2_0`, or a name "TLP:X");
// the most restrictive wins. A definition may come after its use.
// valid_until -> expiry; revoked or expired indicators are skipped; other
// object types, other pattern types and comparisons on properties the node
// does not hold (ipv4-addr:value, file:hashes...) are skipped (reported).
// Anything else (LIKE, MATCHES, FOLLOWEDBY, qualifiers, non-string literals,
// no pattern) is refused with a reason.
//
// Memory: one object at a time, plus the rows waiting for a marking
// definition that the bundle has not shown yet.
#ifndef IFED_INGEST_STIX_H_
#define IFED_INGEST_STIX_H_

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/ingest/row.h"

namespace ifed::ingest {

// One value a pattern names.
struct PatternValue {
  IndicatorType type = IndicatorType::kUnspecified;
  std::string value;
};

// Parses a STIX pattern as described above. InvalidArgument (with a reason
// that never quotes a value) when it is not in the accepted subset.
absl::StatusOr<std::vector<PatternValue>> ParseStixPattern(std::string_view pattern);

// Reads a bundle from `in`. Returns an error only when the input is not a
// JSON object (the rows already handed out stay valid for the caller to
// judge); object-level problems go to sinks.refusal.
absl::Status ReadStixBundle(std::istream& in, const ReadOptions& options, const Sinks& sinks);

}  // namespace ifed::ingest

#endif  // IFED_INGEST_STIX_H_
