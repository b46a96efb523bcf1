#include "node/taxii/feed.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace ifed::taxii {
namespace {

bool Contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool After(const ObjectRef& ref, const Cursor& c) {
  return ref.added_us != c.added_us ? ref.added_us > c.added_us : ref.id > c.id;
}

}  // namespace

std::string TaxiiTimestamp(int64_t us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(us), absl::UTCTimeZone());
}

const std::vector<Collection>& Collections() {
  static const auto* const kCollections = new std::vector<Collection>{
      {"hits", ingest::Uuid5("taxii-collection:hits"), "ifed hits",
       "Hits partners gave this node's matches, as STIX sightings of indicators at the "
       "partner (the objects of `ifedctl hits export --format stix`).",
       "match"},
      {"watch-alerts", ingest::Uuid5("taxii-collection:watch-alerts"), "ifed watch alerts",
       "Watch alerts: a partner ingested a value this node watches, as STIX sightings.",
       "watch"},
  };
  return *kCollections;
}

const Collection* FindCollection(std::string_view id_or_alias) {
  for (const Collection& c : Collections()) {
    if (c.id == id_or_alias || c.alias == id_or_alias) return &c;
  }
  return nullptr;
}

bool Matches(const Filter& f, const ObjectRef& ref) {
  if (f.added_after_us && ref.added_us <= *f.added_after_us) return false;
  if (!f.ids.empty() && !Contains(f.ids, ref.id)) return false;
  if (!f.types.empty() && !Contains(f.types, ref.type)) return false;
  if (!f.any_version && std::find(f.versions_us.begin(), f.versions_us.end(),
                                  ref.modified_ms * 1000) == f.versions_us.end()) {
    return false;
  }
  if (!f.spec_versions.empty() && !Contains(f.spec_versions, "2.1")) return false;
  return true;
}

absl::StatusOr<FetchResult> ServeFromHits(const Hits& all, const FetchQuery& q) {
  const Collection* c = FindCollection(q.collection);
  if (c == nullptr) return absl::NotFoundError("no such collection");
  if (q.limit == 0) return absl::InvalidArgumentError("limit must be at least 1");
  Hits hits;
  for (const ifed::v1::HitRecord& h : all) {
    if ((h.source().empty() ? "match" : h.source()) == c->source) *hits.Add() = h;
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const auto& a, const auto& b) { return a.ts_ms() < b.ts_ms(); });
  std::vector<ObjectRef> refs = ingest::IndexObjects(hits);
  ingest::SortByAdded(refs);
  FetchResult out;
  for (const ObjectRef& ref : refs) {
    if (q.after && !After(ref, *q.after)) continue;
    if (!Matches(q.filter, ref)) continue;
    if (out.objects.size() == q.limit) {
      out.more = true;
      break;
    }
    FetchedObject o{ref.id, ref.type, ref.modified_ms, ref.added_us, ""};
    if (!q.manifest) o.json = ingest::RenderObject(ref, hits[static_cast<int>(ref.hit)]).dump();
    out.objects.push_back(std::move(o));
  }
  return out;
}

}  // namespace ifed::taxii
