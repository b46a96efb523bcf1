// Checks shared by the admin calls that take raw items from staff (ingest
// rows, match items) before anything is normalised.
#ifndef IFED_QUERY_ITEM_CHECKS_H_
#define IFED_QUERY_ITEM_CHECKS_H_

#include <string>

#include "node/normalize/normalizer.h"
#include "proto/common.pb.h"

namespace ifed::query {

// The normaliser's options for an item of `region` (national phone numbers)
// naming `platform` (handles).
inline normalize::Options ItemOptions(const std::string& region, const std::string& platform = "") {
  normalize::Options o;
  o.default_region = region;
  o.platform = platform;
  return o;
}

// The reason an item's platform does not fit its type, or "" (no platform,
// or a known platform on a handle).
inline std::string PlatformError(ifed::v1::IndicatorType type, const std::string& platform) {
  if (platform.empty()) return "";
  if (type != ifed::v1::HANDLE) return "only handle rows name a platform";
  if (!normalize::IsKnownPlatform(platform)) return "unknown platform";
  return "";
}

}  // namespace ifed::query

#endif  // IFED_QUERY_ITEM_CHECKS_H_
