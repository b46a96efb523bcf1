// TaxiiServer: the TAXII 2.1 API (OASIS TAXII Version 2.1, 10 June 2021),
// read-only, as plain requests and responses: the HTTP edge (ifed-console)
// authenticates the client, hands over method, path, decoded query
// parameters and the Accept header, and writes back what comes out. No
// sockets here, so every rule below has a unit test.
//
// Endpoints under /taxii2/ (sections 4 and 5 of the specification):
//   GET /taxii2/                                     discovery (4.1)
//   GET /taxii2/ifed/                                API root (4.2)
//   GET /taxii2/ifed/status/{id}/                    404: nothing is ever written (4.3)
//   GET /taxii2/ifed/collections/                    collections (5.1)
//   GET /taxii2/ifed/collections/{id}/               a collection (5.2)
//   GET /taxii2/ifed/collections/{id}/manifest/      manifests (5.3)
//   GET /taxii2/ifed/collections/{id}/objects/       objects, in an envelope (5.4, 3.7)
//   GET /taxii2/ifed/collections/{id}/objects/{oid}/ one object (5.6)
//   GET /taxii2/ifed/collections/{id}/objects/{oid}/versions/   (5.8)
// POST objects (5.5) and DELETE an object (5.7) are 403: the collections are
// not writable. Filters (3.4): added_after, match[id|type|version|
// spec_version]; pagination (3.5): limit, next, `more`, and the headers
// X-TAXII-Date-Added-First / -Last (3.2). Errors are error messages (3.6.1).
// Status codes: 401 without a client identity, 404 for anything unknown or
// a collection the client is not granted, 405 for a method but GET or
// HEAD, 406
// unless Accept names application/taxii+json (version 2.1 or none), 400 for
// a bad filter, limit or next token. Thread-safe.
#ifndef IFED_TAXII_SERVER_H_
#define IFED_TAXII_SERVER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "node/taxii/feed.h"
#include "node/taxii/page_token.h"

namespace ifed::taxii {

inline constexpr char kTaxiiMediaType[] = "application/taxii+json;version=2.1";

struct HttpRequest {
  std::string method;  // "GET", ...
  std::string path;    // URL path, without the query string.
  std::vector<std::pair<std::string, std::string>> params;  // decoded query, in order.
  std::string accept;  // the Accept header; empty when absent.
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The authenticated TAXII client (empty id: none).
struct Client {
  std::string id;
  std::vector<std::string> collections;  // aliases it may read; empty: all.
};

struct ServerOptions {
  std::string title = "ifed TAXII 2.1";
  std::string description = "Hits and watch alerts of this ifed node, as STIX 2.1 sightings.";
  std::string contact;
  // Scheme and authority the clients use ("https://cti.example:8443"); the
  // discovery resource lists absolute API root URLs under it. Empty:
  // absolute paths.
  std::string base_url;
  size_t default_limit = 100;  // page size without `limit`.
  size_t max_limit = 1000;     // larger `limit` values are lowered to it.
  int64_t max_content_length = 0;  // the API root's: no request bodies accepted.
};

class TaxiiServer {
 public:
  // `source` must outlive the server. Tokens: a fresh random key if null.
  static absl::StatusOr<std::unique_ptr<TaxiiServer>> Create(
      ServerOptions options, ObjectSource* source, std::unique_ptr<PageTokens> tokens = nullptr);

  HttpResponse Handle(const HttpRequest& request, const Client& client) const;

 private:
  struct Route;
  struct Paging;
  TaxiiServer(ServerOptions options, ObjectSource* source, std::unique_ptr<PageTokens> tokens)
      : options_(std::move(options)), source_(source), tokens_(std::move(tokens)) {}

  HttpResponse Discovery() const;
  HttpResponse ApiRoot() const;
  HttpResponse CollectionList(const Client& client) const;
  HttpResponse Paged(const Route& route, const HttpRequest& request, const Client& client) const;
  absl::StatusOr<Paging> ParsePaging(const Route& route, const HttpRequest& request,
                                     const Client& client) const;

  ServerOptions options_;
  ObjectSource* source_;
  std::unique_ptr<PageTokens> tokens_;
};

// True when `accept` names the TAXII 2.1 media type (the specification's
// content negotiation): application/taxii+json with version=2.1 or no
// version parameter, and not q=0.
bool AcceptsTaxii(const std::string& accept);

// A TAXII timestamp (RFC 3339, UTC, "Z") in microseconds; InvalidArgument
// otherwise.
absl::StatusOr<int64_t> ParseTimestampUs(const std::string& text);

}  // namespace ifed::taxii

#endif  // IFED_TAXII_SERVER_H_
