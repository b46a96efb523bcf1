// Hits as STIX 2.1 (the export side of stix.h): a bundle with, per hit, a
// `sighting` of an `indicator` (the pattern stix.h reads back) sighted at
// the partner, an `identity` (organization). Ids are UUIDv5 of the content,
// so exporting the same hit twice gives the same objects and an importer
// deduplicates them. Partner references and contacts travel as the custom
// properties x_ifed_reference / x_ifed_contact, the scheme as
// x_ifed_scheme. Used by `ifedctl hits export` and the console's export.
#ifndef IFED_INGEST_STIX_EXPORT_H_
#define IFED_INGEST_STIX_EXPORT_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "proto/admin.pb.h"

namespace ifed::ingest {

// RFC 9562 UUID version 5 of `name` in ifed's namespace.
std::string Uuid5(const std::string& name);
// RFC 3339 UTC with milliseconds.
std::string Timestamp(int64_t ms);
// The STIX pattern of a canonical value, in the vocabulary stix.h reads.
std::string Pattern(ifed::v1::IndicatorType type, const std::string& canonical);
// The bundle of `r`'s hits.
nlohmann::json StixBundle(const ifed::v1::HitsExportResponse& r);

}  // namespace ifed::ingest

#endif  // IFED_INGEST_STIX_EXPORT_H_
