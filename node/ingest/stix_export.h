// Hits as STIX 2.1 (the export side of stix.h): per hit, a `sighting` of an
// `indicator` (the pattern stix.h reads back) sighted at the partner, an
// `identity` (organization). Ids are UUIDv5 of the content, so the same hit
// always gives the same objects and importers deduplicate them. Partner
// references and contacts travel as the custom properties x_ifed_reference
// / x_ifed_contact, the scheme as x_ifed_scheme.
//
// One builder for every way out: `ifedctl hits export --format stix` and
// the console's export (a bundle), and the TAXII collections (node/taxii:
// objects with the time they were added). The values are canonical
// indicator values: callers hand them only to the agency's own analysts or
// CTI platform, never to a log. Pure: no gRPC, no store.
#ifndef IFED_INGEST_STIX_EXPORT_H_
#define IFED_INGEST_STIX_EXPORT_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "proto/admin.pb.h"

namespace ifed::ingest {

using Hits = google::protobuf::RepeatedPtrField<ifed::v1::HitRecord>;

// One STIX object of a list of hits, before it is rendered.
struct ObjectRef {
  std::string id;            // "<type>--<uuid>".
  std::string type;          // "identity", "indicator" or "sighting".
  int64_t modified_ms = 0;   // its one version (STIX `modified`).
  // When it joined the collection: the time of the first hit that carries
  // it, in microseconds; the objects of one millisecond get successive
  // microseconds (up to 1000 of them), so that `added_after` pages well.
  int64_t added_us = 0;
  size_t hit = 0;            // index of that hit in the list.
};

// The objects of `hits`, which must be in time order: per hit, the partner's
// identity and the indicator where they first appear, then the sighting,
// in that order (a collection sorts them with SortByAdded).
std::vector<ObjectRef> IndexObjects(const Hits& hits);

// Sorts `objects` by (added_us, id): the order of a TAXII collection.
void SortByAdded(std::vector<ObjectRef>& objects);

// The STIX JSON of `ref`, built from the hit it names.
nlohmann::json RenderObject(const ObjectRef& ref, const ifed::v1::HitRecord& hit);

// Every object of `r` in one STIX bundle, whose id is derived from the
// content (`ifedctl hits export --format stix`, the console's export).
nlohmann::json StixBundle(const ifed::v1::HitsExportResponse& r);

// RFC 9562 UUID version 5 of `name` in ifed's namespace.
std::string Uuid5(const std::string& name);
// RFC 3339 UTC with milliseconds: 2026-12-07T18:00:00.123Z.
std::string Timestamp(int64_t ms);
// The STIX pattern of a canonical value, in the vocabulary stix.h reads.
std::string Pattern(ifed::v1::IndicatorType type, const std::string& canonical);

}  // namespace ifed::ingest

#endif  // IFED_INGEST_STIX_EXPORT_H_
