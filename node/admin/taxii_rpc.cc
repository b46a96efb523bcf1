// TAXII collections for ifed-console: one page of the hits or the watch
// alerts as STIX objects (node/taxii/feed.h), read from the same hits log
// and watch events as `ifedctl hits export`. Each call is audited
// ("taxii.fetch": the caller, the TAXII client it serves, the collection and
// how many objects left), since the objects carry canonical values.
#include <spdlog/spdlog.h>

#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/common/logging.h"
#include "node/taxii/feed.h"
#include "node/taxii/wire.h"

namespace ifed::admin {

grpc::Status AdminService::TaxiiObjects(grpc::ServerContext* ctx,
                                        const ifed::v1::TaxiiObjectsRequest* request,
                                        ifed::v1::TaxiiObjectsResponse* response) {
  // The console calls for a TAXII client, not for a person: no staff role opens it.
  if (grpc::Status denied = Authorize(ctx, "TaxiiObjects"); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  auto query = taxii::FromWire(*request);
  if (!query.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(query.status().message()));
  }
  if (taxii::FindCollection(query->collection) == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such collection");
  }
  ifed::v1::HitsExportResponse all;  // the whole log: an object's date added is its first hit.
  uint64_t alerts_without_value = 0;
  if (absl::Status s = CollectHits({}, &all, &alerts_without_value); !s.ok()) {
    return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
  }
  if (all.truncated()) {
    spdlog::error("taxii: the hits log is over the export limit; shorten its retention");
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "the hits log is over the export limit; shorten its retention");
  }
  auto result = taxii::ServeFromHits(all.hits(), *query);
  if (!result.ok()) {
    return grpc::Status(static_cast<grpc::StatusCode>(result.status().code()),
                        std::string(result.status().message()));
  }
  if (d_.audit != nullptr) {  // who took values out, for which client, how many.
    audit::Event e;
    e.action = "taxii.fetch";
    e.actor = LocalActor(ctx);
    e.outcome = "ok";
    e.Set("client", query->client)
        .Set("collection", query->collection)
        .Set("endpoint", query->endpoint.empty() ? "objects" : query->endpoint)
        .Set("objects", static_cast<int64_t>(result->objects.size()));
    if (absl::Status a = d_.audit->Append(e); !a.ok()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
    }
  }
  *response = taxii::ToWire(*result);
  return grpc::Status::OK;
}

}  // namespace ifed::admin
