#include "node/console/taxii_routes.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/console/password.h"
#include "node/taxii/client_auth.h"
#include "node/taxii/server.h"
#include "node/taxii/wire.h"

namespace ifed::console {
namespace {

// What the /taxii2/ routes share; lives as long as the router's handlers.
struct TaxiiEndpoint {
  std::unique_ptr<AdminObjectSource> source;
  std::unique_ptr<taxii::TaxiiServer> server;
  std::unique_ptr<taxii::ClientAuthenticator> clients;
};

absl::StatusOr<std::vector<taxii::ClientAccount>> Accounts(const ifed::v1::TaxiiConfig& c) {
  std::vector<taxii::ClientAccount> out;
  for (const ifed::v1::TaxiiClient& k : c.clients()) {
    if (!k.password_hash().empty()) {
      if (absl::Status s = CheckHashFormat(k.password_hash()); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("taxii.clients ", k.id(), ": password_hash: ", s.message()));
      }
    }
    out.push_back({k.id(), k.password_hash(), k.cert_cn(),
                   std::vector<std::string>(k.collections().begin(), k.collections().end())});
  }
  return out;
}

Response Serve(const TaxiiEndpoint& t, const Call& call) {
  const Request& req = call.request;
  taxii::Client client;
  if (req.cert.present && req.cert.issuer == "staff") {
    if (auto c = t.clients->FromCertificate(req.cert.subject_cn); c.ok()) client = *c;
  }
  if (client.id.empty()) {
    if (const std::string h = req.Header("authorization"); !h.empty()) {
      auto c = t.clients->FromBasic(h);
      if (c.ok()) {
        client = *c;
      } else if (c.status().code() == absl::StatusCode::kResourceExhausted) {
        Response r = Response::Json(
            R"({"title":"Too Many Requests","description":"too many failed attempts; try again later","http_status":"429"})",
            429);
        r.content_type = taxii::kTaxiiMediaType;
        r.headers["retry-after"] = "60";
        return r;
      }
    }
  }
  taxii::HttpRequest in{req.method, req.path, {}, req.Header("accept")};
  for (const auto& [k, v] : req.query) in.params.emplace_back(k, v);
  taxii::HttpResponse out = t.server->Handle(in, client);
  Response r;
  r.status = out.status;
  r.content_type = out.content_type;
  r.body = std::move(out.body);
  for (auto& [k, v] : out.headers) r.headers[absl::AsciiStrToLower(k)] = std::move(v);
  return r;
}

}  // namespace

absl::StatusOr<taxii::FetchResult> AdminObjectSource::Fetch(const taxii::FetchQuery& query) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms_));
  ifed::v1::TaxiiObjectsResponse response;
  IFED_RETURN_IF_ERROR(
      AdminClient::FromGrpc(admin_->stub().TaxiiObjects(&ctx, taxii::ToWire(query), &response)));
  return taxii::FromWire(response);
}

absl::Status RegisterTaxiiRoutes(Router& router, const ConsoleDeps& deps) {
  const ifed::v1::TaxiiConfig& c = deps.config->taxii();
  if (!c.enabled()) return absl::OkStatus();
  auto t = std::make_shared<TaxiiEndpoint>();
  t->source = std::make_unique<AdminObjectSource>(
      deps.admin, static_cast<int>(deps.config->admin_timeout_ms()));
  taxii::ServerOptions o;
  if (!c.title().empty()) o.title = c.title();
  if (!c.description().empty()) o.description = c.description();
  o.contact = c.contact();
  o.base_url = c.base_url();
  if (c.default_page() > 0) o.default_limit = c.default_page();
  if (c.max_page() > 0) o.max_limit = c.max_page();
  IFED_ASSIGN_OR_RETURN(t->server, taxii::TaxiiServer::Create(o, t->source.get()));
  IFED_ASSIGN_OR_RETURN(std::vector<taxii::ClientAccount> accounts, Accounts(c));
  IFED_ASSIGN_OR_RETURN(t->clients,
                        taxii::ClientAuthenticator::Create(std::move(accounts), VerifyPassword,
                                                           deps.now_ms));
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}) {
    for (const char* pattern : {"/taxii2", "/taxii2/*"}) {
      Route route;
      route.method = method;
      route.pattern = pattern;
      route.access = Access::kCustom;  // TAXII authenticates its clients itself.
      route.handler = [t](const Call& call) { return Serve(*t, call); };
      router.Add(std::move(route));
    }
  }
  return absl::OkStatus();
}

}  // namespace ifed::console
