#include "node/taxii/wire.h"

#include "absl/strings/ascii.h"

namespace ifed::taxii {

bool IsValidClientId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  if (!absl::ascii_islower(id[0]) && !absl::ascii_isdigit(id[0])) return false;
  for (char c : id) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

ifed::v1::TaxiiObjectsRequest ToWire(const FetchQuery& q) {
  ifed::v1::TaxiiObjectsRequest r;
  r.set_collection(q.collection);
  ifed::v1::TaxiiFilter* f = r.mutable_filter();
  if (q.filter.added_after_us) f->set_added_after_us(*q.filter.added_after_us);
  for (const std::string& id : q.filter.ids) f->add_ids(id);
  for (const std::string& t : q.filter.types) f->add_types(t);
  f->set_versions_only(!q.filter.any_version);
  for (int64_t v : q.filter.versions_us) f->add_versions_us(v);
  for (const std::string& s : q.filter.spec_versions) f->add_spec_versions(s);
  if (q.after) {
    r.set_has_after(true);
    r.set_after_added_us(q.after->added_us);
    r.set_after_id(q.after->id);
  }
  r.set_limit(static_cast<uint32_t>(std::min(q.limit, kMaxWireLimit)));
  r.set_manifest(q.manifest);
  r.set_client(q.client);
  r.set_endpoint(q.endpoint);
  return r;
}

absl::StatusOr<FetchQuery> FromWire(const ifed::v1::TaxiiObjectsRequest& r) {
  if (r.limit() == 0 || r.limit() > kMaxWireLimit) {
    return absl::InvalidArgumentError("limit must be 1..10000");
  }
  if (!IsValidClientId(r.client())) {
    return absl::InvalidArgumentError("client must match [a-z0-9][a-z0-9._-]{0,63}");
  }
  FetchQuery q;
  q.collection = r.collection();
  const ifed::v1::TaxiiFilter& f = r.filter();
  if (f.has_added_after_us()) q.filter.added_after_us = f.added_after_us();
  q.filter.ids.assign(f.ids().begin(), f.ids().end());
  q.filter.types.assign(f.types().begin(), f.types().end());
  q.filter.any_version = !f.versions_only();
  q.filter.versions_us.assign(f.versions_us().begin(), f.versions_us().end());
  q.filter.spec_versions.assign(f.spec_versions().begin(), f.spec_versions().end());
  if (r.has_after()) q.after = Cursor{r.after_added_us(), r.after_id()};
  q.limit = r.limit();
  q.manifest = r.manifest();
  q.client = r.client();
  q.endpoint = r.endpoint();
  return q;
}

ifed::v1::TaxiiObjectsResponse ToWire(const FetchResult& result) {
  ifed::v1::TaxiiObjectsResponse r;
  for (const FetchedObject& o : result.objects) {
    ifed::v1::TaxiiObject* w = r.add_objects();
    w->set_id(o.id);
    w->set_type(o.type);
    w->set_modified_ms(o.modified_ms);
    w->set_added_us(o.added_us);
    w->set_json(o.json);
  }
  r.set_more(result.more);
  return r;
}

FetchResult FromWire(const ifed::v1::TaxiiObjectsResponse& r) {
  FetchResult out;
  for (const ifed::v1::TaxiiObject& w : r.objects()) {
    out.objects.push_back({w.id(), w.type(), w.modified_ms(), w.added_us(), w.json()});
  }
  out.more = r.more();
  return out;
}

}  // namespace ifed::taxii
