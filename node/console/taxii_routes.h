// TAXII 2.1 in the console: the routes under /taxii2/ (node/taxii/server.h),
// for the agency's own CTI platform (OpenCTI, MISP) to pull the node's hits
// and watch alerts as STIX sightings. Thin: it authenticates the TAXII
// client (HTTP Basic against the scrypt hashes of `taxii.clients`, or a
// client certificate from the staff CA whose CN is a client's cert_cn),
// hands the request to taxii::TaxiiServer, and fetches objects from the
// node with the admin call TaxiiObjects, which audits each fetch with the
// client's id and the number of objects. Registers nothing unless
// `taxii.enabled`.
#ifndef IFED_CONSOLE_TAXII_ROUTES_H_
#define IFED_CONSOLE_TAXII_ROUTES_H_

#include <memory>

#include "absl/status/status.h"
#include "node/console/routes.h"
#include "node/taxii/feed.h"

namespace ifed::console {

// Fetches TAXII objects from the node (admin call TaxiiObjects), without a
// staff identity: the node audits the console process and the client.
class AdminObjectSource final : public taxii::ObjectSource {
 public:
  AdminObjectSource(AdminClient* admin, int timeout_ms) : admin_(admin), timeout_ms_(timeout_ms) {}
  absl::StatusOr<taxii::FetchResult> Fetch(const taxii::FetchQuery& query) override;

 private:
  AdminClient* const admin_;
  const int timeout_ms_;
};

// InvalidArgument when the TAXII section of the config is wrong (bad
// client ids, unknown collections, malformed password hashes).
absl::Status RegisterTaxiiRoutes(Router& router, const ConsoleDeps& deps);

}  // namespace ifed::console

#endif  // IFED_CONSOLE_TAXII_ROUTES_H_
