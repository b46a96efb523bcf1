// FetchQuery / FetchResult to and from the admin API messages
// (proto/admin.proto TaxiiObjects), for the console and the node.
#ifndef IFED_TAXII_WIRE_H_
#define IFED_TAXII_WIRE_H_

#include "absl/status/statusor.h"
#include "node/taxii/feed.h"
#include "proto/admin.pb.h"

namespace ifed::taxii {

inline constexpr size_t kMaxWireLimit = 10000;

ifed::v1::TaxiiObjectsRequest ToWire(const FetchQuery& query);
// InvalidArgument for a limit outside 1..kMaxWireLimit or a malformed client.
absl::StatusOr<FetchQuery> FromWire(const ifed::v1::TaxiiObjectsRequest& request);

ifed::v1::TaxiiObjectsResponse ToWire(const FetchResult& result);
FetchResult FromWire(const ifed::v1::TaxiiObjectsResponse& response);

// [a-z0-9][a-z0-9._-]{0,63}: a TAXII client id as configured and audited.
bool IsValidClientId(std::string_view id);

}  // namespace ifed::taxii

#endif  // IFED_TAXII_WIRE_H_
