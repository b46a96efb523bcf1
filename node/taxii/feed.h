// The TAXII collections of a node and the one question asked of them: "the
// objects of collection C that pass filter F, after cursor K, at most N".
// ObjectSource is that question; the console asks it of the node over the
// admin API, the node answers it from its hits log with ServeFromHits, and
// tests answer it from a list of hits. Pure: no HTTP, no gRPC, no store.
#ifndef IFED_TAXII_FEED_H_
#define IFED_TAXII_FEED_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "node/ingest/stix_export.h"

namespace ifed::taxii {

inline constexpr char kStixMediaType[] = "application/stix+json;version=2.1";

using ingest::Hits;
using ingest::ObjectRef;

// TAXII timestamp (microseconds, UTC): 2026-12-07T18:00:00.123456Z.
std::string TaxiiTimestamp(int64_t us);

// A read-only collection. `alias` is its short name (in config, in the
// audit, and accepted in URLs in place of the id).
struct Collection {
  std::string alias;        // "hits" or "watch-alerts".
  std::string id;           // UUIDv5 of the alias: stable across restarts.
  std::string title;
  std::string description;
  std::string source;       // the HitRecord.source it holds: "match" or "watch".
};

// The node's collections: the hits partners gave to matches, and the
// watch alerts (a partner ingested a value this node watches).
const std::vector<Collection>& Collections();
// By id or alias; nullptr when there is none.
const Collection* FindCollection(std::string_view id_or_alias);

// TAXII filters (match[...] and added_after). Empty lists match anything.
// Each object has one version, so match[version]=first|last|all selects it
// whatever its version; only explicit timestamps narrow.
struct Filter {
  std::optional<int64_t> added_after_us;  // strictly after.
  std::vector<std::string> ids;
  std::vector<std::string> types;
  std::vector<int64_t> versions_us;  // explicit match[version] timestamps.
  bool any_version = true;           // first, last, all, or no match[version].
  std::vector<std::string> spec_versions;
};

// Position after the last object of a page (collection order).
struct Cursor {
  int64_t added_us = 0;
  std::string id;
};

struct FetchQuery {
  std::string collection;  // alias.
  Filter filter;
  std::optional<Cursor> after;
  size_t limit = 100;      // >= 1.
  bool manifest = false;   // ids, versions and dates only, no JSON.
  std::string client;      // the TAXII client, for the node's audit.
  std::string endpoint;    // "objects", "manifest", "object", "versions": for the audit.
};

struct FetchedObject {
  std::string id;
  std::string type;
  int64_t modified_ms = 0;
  int64_t added_us = 0;
  std::string json;  // the STIX object; empty for a manifest.
};

struct FetchResult {
  std::vector<FetchedObject> objects;  // collection order.
  bool more = false;                   // objects pass the filter after these.
};

// Answers fetches. Implementations may be called from several threads.
class ObjectSource {
 public:
  virtual ~ObjectSource() = default;
  // NotFound for an unknown collection; Unavailable when the data cannot be
  // read now. Never returns more than query.limit objects.
  virtual absl::StatusOr<FetchResult> Fetch(const FetchQuery& query) = 0;
};

// True when `ref` passes `filter`.
bool Matches(const Filter& filter, const ObjectRef& ref);

// The answer from `hits` (every hit and watch alert the node keeps, in time
// order; those of other collections are skipped). NotFound for an unknown
// collection, InvalidArgument for a zero limit.
absl::StatusOr<FetchResult> ServeFromHits(const Hits& hits, const FetchQuery& query);

}  // namespace ifed::taxii

#endif  // IFED_TAXII_FEED_H_
