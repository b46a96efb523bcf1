#include "node/taxii/server.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "node/common/status_macros.h"

namespace ifed::taxii {
namespace {

constexpr char kApiRootName[] = "ifed";
constexpr size_t kMaxParamValue = 4096;
constexpr size_t kMaxListItems = 100;

enum class Kind { kDiscovery, kApiRoot, kStatus, kCollections, kCollection, kManifest,
                  kObjects, kObject, kVersions };

const char* ReasonOf(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

HttpResponse Json(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = kTaxiiMediaType;
  r.body = body.dump();
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// An error message resource (section 3.6.1).
HttpResponse Error(int status, const std::string& description) {
  return Json(status, {{"title", ReasonOf(status)},
                       {"description", description},
                       {"http_status", std::to_string(status)}});
}

HttpResponse FromStatus(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument: return Error(400, std::string(s.message()));
    case absl::StatusCode::kNotFound: return Error(404, std::string(s.message()));
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return Error(503, "the node cannot be read now; try again later");
    default: return Error(500, "the node could not answer");
  }
}

bool Granted(const Client& client, const Collection& c) {
  return client.collections.empty() ||
         std::find(client.collections.begin(), client.collections.end(), c.alias) !=
             client.collections.end();
}

// Comma-separated values; InvalidArgument on an empty item or too many.
absl::StatusOr<std::vector<std::string>> ListOf(const std::string& name, const std::string& v) {
  std::vector<std::string> out = absl::StrSplit(v, ',');
  if (out.size() > kMaxListItems) return absl::InvalidArgumentError(name + ": too many values");
  for (std::string& item : out) {
    absl::StripAsciiWhitespace(&item);
    if (item.empty()) return absl::InvalidArgumentError(name + ": an empty value");
  }
  return out;
}

bool IsTypeName(const std::string& t) {
  return !t.empty() && t.size() <= 250 && std::all_of(t.begin(), t.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
  });
}

absl::Status ApplyMatch(const std::string& field, const std::string& value, Filter* f) {
  IFED_ASSIGN_OR_RETURN(std::vector<std::string> items, ListOf("match[" + field + "]", value));
  if (field == "id") {
    f->ids = std::move(items);
  } else if (field == "type") {
    for (const std::string& t : items) {
      if (!IsTypeName(t)) return absl::InvalidArgumentError("match[type]: not a STIX type name");
    }
    f->types = std::move(items);
  } else if (field == "version") {
    f->any_version = false;
    for (const std::string& v : items) {
      if (v == "first" || v == "last" || v == "all") {
        f->any_version = true;
        continue;
      }
      auto us = ParseTimestampUs(v);
      if (!us.ok()) return absl::InvalidArgumentError("match[version]: first, last, all or a timestamp");
      f->versions_us.push_back(*us);
    }
  } else {
    f->spec_versions = std::move(items);
  }
  return absl::OkStatus();
}

}  // namespace

struct TaxiiServer::Route {
  Kind kind = Kind::kDiscovery;
  const Collection* collection = nullptr;
  std::string object_id;
  const char* endpoint = "";  // for the audit and the page token binding.
};

struct TaxiiServer::Paging {
  Filter filter;
  size_t limit = 0;
  std::optional<Cursor> after;
};

bool AcceptsTaxii(const std::string& accept) {
  for (absl::string_view range : absl::StrSplit(accept, ',')) {
    std::vector<std::string> parts = absl::StrSplit(range, ';');
    std::string type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    if (type != "application/taxii+json") continue;
    bool ok = true;
    for (size_t i = 1; i < parts.size(); ++i) {
      std::string p = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[i]));
      p.erase(std::remove(p.begin(), p.end(), ' '), p.end());
      if (absl::StartsWith(p, "version=") && p != "version=2.1") ok = false;
      if (absl::StartsWith(p, "q=")) {
        double q = 1;
        if (!absl::SimpleAtod(p.substr(2), &q) || q <= 0) ok = false;
      }
    }
    if (ok) return true;
  }
  return false;
}

absl::StatusOr<int64_t> ParseTimestampUs(const std::string& text) {
  absl::Time t;
  std::string err;
  if (text.size() > 40 || !absl::EndsWith(text, "Z") ||
      !absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", text, absl::UTCTimeZone(), &t, &err)) {
    return absl::InvalidArgumentError("not a timestamp (YYYY-MM-DDTHH:MM:SS[.ssssss]Z)");
  }
  return absl::ToUnixMicros(t);
}

absl::StatusOr<std::unique_ptr<TaxiiServer>> TaxiiServer::Create(
    ServerOptions options, ObjectSource* source, std::unique_ptr<PageTokens> tokens) {
  if (source == nullptr) return absl::InvalidArgumentError("no object source");
  if (options.default_limit == 0 || options.max_limit == 0) {
    return absl::InvalidArgumentError("page sizes must be at least 1");
  }
  options.default_limit = std::min(options.default_limit, options.max_limit);
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  if (tokens == nullptr) {
    IFED_ASSIGN_OR_RETURN(tokens, PageTokens::Create());
  }
  return std::unique_ptr<TaxiiServer>(
      new TaxiiServer(std::move(options), source, std::move(tokens)));
}

namespace {

// The route of `path` (segments after /taxii2/); nullopt when none.
std::optional<std::pair<Kind, std::vector<std::string>>> Parse(const std::string& path) {
  absl::string_view p = path;
  if (!absl::ConsumePrefix(&p, "/taxii2")) return std::nullopt;
  std::vector<std::string> seg = absl::StrSplit(p, '/', absl::SkipEmpty());
  // Every TAXII URL ends with a slash; its absence is tolerated.
  if (seg.empty()) return std::make_pair(Kind::kDiscovery, seg);
  if (seg[0] != kApiRootName) return std::nullopt;
  const size_t n = seg.size();
  if (n == 1) return std::make_pair(Kind::kApiRoot, seg);
  if (seg[1] == "status" && n == 3) return std::make_pair(Kind::kStatus, seg);
  if (seg[1] != "collections") return std::nullopt;
  if (n == 2) return std::make_pair(Kind::kCollections, seg);
  if (n == 3) return std::make_pair(Kind::kCollection, seg);
  if (n == 4 && seg[3] == "manifest") return std::make_pair(Kind::kManifest, seg);
  if (n == 4 && seg[3] == "objects") return std::make_pair(Kind::kObjects, seg);
  if (n == 5 && seg[3] == "objects") return std::make_pair(Kind::kObject, seg);
  if (n == 6 && seg[3] == "objects" && seg[5] == "versions") {
    return std::make_pair(Kind::kVersions, seg);
  }
  return std::nullopt;
}

const char* EndpointOf(Kind k) {
  switch (k) {
    case Kind::kManifest: return "manifest";
    case Kind::kObjects: return "objects";
    case Kind::kObject: return "object";
    case Kind::kVersions: return "versions";
    default: return "";
  }
}

// POST objects and DELETE an object are defined but refused (read-only).
bool WriteMethodOf(Kind k, const std::string& method) {
  return (k == Kind::kObjects && method == "POST") || (k == Kind::kObject && method == "DELETE");
}

}  // namespace

HttpResponse TaxiiServer::Handle(const HttpRequest& req, const Client& client) const {
  if (client.id.empty()) {
    HttpResponse r = Error(401, "authentication required (HTTP Basic over HTTPS)");
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"ifed TAXII\", charset=\"UTF-8\"");
    return r;
  }
  auto parsed = Parse(req.path);
  if (!parsed) return Error(404, "no such TAXII resource");
  Route route;
  route.kind = parsed->first;
  const std::vector<std::string>& seg = parsed->second;
  route.endpoint = EndpointOf(route.kind);
  if (seg.size() >= 3 && route.kind != Kind::kStatus) {
    route.collection = FindCollection(seg[2]);
    if (route.collection == nullptr || !Granted(client, *route.collection)) {
      return Error(404, "no such collection");
    }
  }
  if (seg.size() >= 5) route.object_id = seg[4];
  if (WriteMethodOf(route.kind, req.method)) {
    return Error(403, "this collection is read-only");
  }
  if (req.method != "GET" && req.method != "HEAD") {  // HEAD: the edge drops the body.
    HttpResponse r = Error(405, "only GET is served here");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (!AcceptsTaxii(req.accept)) {
    return Error(406, std::string("the Accept header must name ") + kTaxiiMediaType);
  }
  switch (route.kind) {
    case Kind::kDiscovery: return Discovery();
    case Kind::kApiRoot: return ApiRoot();
    case Kind::kStatus: return Error(404, "no such status: nothing is ever written here");
    case Kind::kCollections: return CollectionList(client);
    case Kind::kCollection: {
      const Collection& c = *route.collection;
      return Json(200, {{"id", c.id}, {"title", c.title}, {"description", c.description},
                        {"alias", c.alias}, {"can_read", true}, {"can_write", false},
                        {"media_types", {kStixMediaType}}});
    }
    default: return Paged(route, req, client);
  }
}

HttpResponse TaxiiServer::Discovery() const {
  const std::string root = absl::StrCat(options_.base_url, "/taxii2/", kApiRootName, "/");
  nlohmann::json d = {{"title", options_.title}, {"default", root}, {"api_roots", {root}}};
  if (!options_.description.empty()) d["description"] = options_.description;
  if (!options_.contact.empty()) d["contact"] = options_.contact;
  return Json(200, d);
}

HttpResponse TaxiiServer::ApiRoot() const {
  nlohmann::json r = {{"title", options_.title},
                      {"versions", {kTaxiiMediaType}},
                      {"max_content_length", options_.max_content_length}};
  if (!options_.description.empty()) r["description"] = options_.description;
  return Json(200, r);
}

HttpResponse TaxiiServer::CollectionList(const Client& client) const {
  nlohmann::json list = nlohmann::json::array();
  for (const Collection& c : Collections()) {
    if (!Granted(client, c)) continue;
    list.push_back({{"id", c.id}, {"title", c.title}, {"description", c.description},
                    {"alias", c.alias}, {"can_read", true}, {"can_write", false},
                    {"media_types", {kStixMediaType}}});
  }
  nlohmann::json body = nlohmann::json::object();
  if (!list.empty()) body["collections"] = std::move(list);  // empty lists are not allowed.
  return Json(200, body);
}

absl::StatusOr<TaxiiServer::Paging> TaxiiServer::ParsePaging(const Route& route,
                                                            const HttpRequest& req,
                                                            const Client& client) const {
  // match fields each endpoint takes (section 3.4.1); others are ignored.
  const std::vector<std::string> fields =
      route.kind == Kind::kVersions ? std::vector<std::string>{"spec_version"}
      : route.kind == Kind::kObject ? std::vector<std::string>{"version", "spec_version"}
                                    : std::vector<std::string>{"id", "type", "version", "spec_version"};
  Paging p;
  p.limit = options_.default_limit;
  std::map<std::string, int> seen;
  std::string next;
  for (const auto& [key, value] : req.params) {
    if (++seen[key] > 1) return absl::InvalidArgumentError(key + ": given more than once");
    if (value.size() > kMaxParamValue) return absl::InvalidArgumentError(key + ": too long");
    if (key == "added_after") {
      IFED_ASSIGN_OR_RETURN(int64_t us, ParseTimestampUs(value));
      p.filter.added_after_us = us;
    } else if (key == "limit") {
      uint64_t n = 0;
      if (!absl::SimpleAtoi(value, &n) || n == 0) {
        return absl::InvalidArgumentError("limit: a positive integer");
      }
      p.limit = static_cast<size_t>(std::min<uint64_t>(n, options_.max_limit));
    } else if (key == "next") {
      next = value;
    } else if (absl::StartsWith(key, "match[") && absl::EndsWith(key, "]")) {
      const std::string field = key.substr(6, key.size() - 7);
      if (std::find(fields.begin(), fields.end(), field) == fields.end()) continue;
      IFED_RETURN_IF_ERROR(ApplyMatch(field, value, &p.filter));
    }
  }
  if (!route.object_id.empty()) p.filter.ids = {route.object_id};
  if (seen.count("next") > 0) {
    const std::string binding =
        BindingOf(client.id, route.endpoint, route.collection->id, route.object_id, p.filter);
    IFED_ASSIGN_OR_RETURN(p.after, tokens_->Verify(binding, next));
  }
  return p;
}

HttpResponse TaxiiServer::Paged(const Route& route, const HttpRequest& req,
                                const Client& client) const {
  auto paging = ParsePaging(route, req, client);
  if (!paging.ok()) return Error(400, std::string(paging.status().message()));
  FetchQuery q;
  q.collection = route.collection->alias;
  q.filter = paging->filter;
  q.after = paging->after;
  q.limit = paging->limit;
  q.manifest = route.kind == Kind::kManifest || route.kind == Kind::kVersions;
  q.client = client.id;
  q.endpoint = route.endpoint;
  auto fetched = source_->Fetch(q);
  if (!fetched.ok()) return FromStatus(fetched.status());
  const std::vector<FetchedObject>& objs = fetched->objects;
  const bool single = route.kind == Kind::kObject || route.kind == Kind::kVersions;
  if (single && objs.empty() && !paging->after) return Error(404, "no such object");
  nlohmann::json body = {{"more", fetched->more}};
  if (fetched->more && !objs.empty()) {
    body["next"] = tokens_->Mint(
        BindingOf(client.id, route.endpoint, route.collection->id, route.object_id, q.filter),
        {objs.back().added_us, objs.back().id});
  }
  if (!objs.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const FetchedObject& o : objs) {
      if (route.kind == Kind::kVersions) {
        list.push_back(ingest::Timestamp(o.modified_ms));
      } else if (route.kind == Kind::kManifest) {
        list.push_back({{"id", o.id}, {"date_added", TaxiiTimestamp(o.added_us)},
                        {"version", ingest::Timestamp(o.modified_ms)}, {"media_type", kStixMediaType}});
      } else {
        auto obj = nlohmann::json::parse(o.json, nullptr, /*allow_exceptions=*/false);
        if (obj.is_discarded()) return Error(500, "the node sent an object that is not JSON");
        list.push_back(std::move(obj));
      }
    }
    body[route.kind == Kind::kVersions ? "versions" : "objects"] = std::move(list);
  }
  HttpResponse r = Json(200, body);
  if (!objs.empty()) {
    r.headers.emplace_back("X-TAXII-Date-Added-First", TaxiiTimestamp(objs.front().added_us));
    r.headers.emplace_back("X-TAXII-Date-Added-Last", TaxiiTimestamp(objs.back().added_us));
  }
  return r;
}

}  // namespace ifed::taxii
