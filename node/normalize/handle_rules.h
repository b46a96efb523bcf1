// Per-platform handle rules (characters, lengths, case, dots). Internal.
#ifndef IFED_NORMALIZE_HANDLE_RULES_H_
#define IFED_NORMALIZE_HANDLE_RULES_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "node/normalize/text.h"

namespace ifed::normalize::internal {

enum class Platform {
  kFacebook,
  kInstagram,
  kTiktok,
  kX,
  kTelegram,
  kVk,
  kYoutube,
  kSnapchat,
  kWhatsapp,
  kViber,
  kSignal,
};

// Names and aliases, case-insensitive: facebook/fb, instagram/ig,
// tiktok, x/twitter, telegram/tg, vk/vkontakte, youtube/yt,
// snapchat/snap, whatsapp/wa, viber, signal.
std::optional<Platform> ParsePlatform(std::string_view name);
std::string_view PlatformName(Platform p);

// `name` is the platform's part of the handle as the user wrote it (leading
// "@", any case, full-width...). Returns "platform:name" in canonical form,
// including the structured forms facebook:id/N, facebook:group/G,
// youtube:channel/UC..., youtube:c/N, youtube:user/N.
absl::StatusOr<std::string> CanonicalHandle(const Unicode& unicode,
                                            Platform platform,
                                            std::string_view name);

}  // namespace ifed::normalize::internal

#endif  // IFED_NORMALIZE_HANDLE_RULES_H_
