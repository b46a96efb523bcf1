// Hosts of the social platforms the normaliser knows: folding of mobile and
// www variants, per-platform tracking parameters; platform_hosts.cc also
// holds PhoneDigitsFromUrl (internal.h). Internal.
#ifndef IFED_NORMALIZE_PLATFORM_HOSTS_H_
#define IFED_NORMALIZE_PLATFORM_HOSTS_H_

#include <string>
#include <string_view>
#include <vector>

namespace ifed::normalize::internal {

// "m.facebook.com" -> "facebook.com", "mobile.twitter.com" -> "x.com",
// "telegram.me" -> "t.me", ...; any other host is returned unchanged.
std::string FoldPlatformHost(const std::string& host);
// True for a folded platform host (facebook.com, x.com, t.me, ...).
bool IsPlatformHost(const std::string& host);
// Query parameters that only track on this (folded) host; a trailing "*"
// matches a prefix.
const std::vector<std::string_view>& PlatformTrackingParams(
    const std::string& host);

}  // namespace ifed::normalize::internal

#endif  // IFED_NORMALIZE_PLATFORM_HOSTS_H_
