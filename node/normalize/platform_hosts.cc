#include "node/normalize/platform_hosts.h"

#include <map>
#include <optional>

#include "node/normalize/internal.h"

namespace ifed::normalize::internal {
namespace {

struct Fold {
  std::string_view from;
  std::string_view to;
};

constexpr Fold kHostFolds[] = {
    {"www.facebook.com", "facebook.com"},
    {"m.facebook.com", "facebook.com"},
    {"mbasic.facebook.com", "facebook.com"},
    {"web.facebook.com", "facebook.com"},
    {"touch.facebook.com", "facebook.com"},
    {"mobile.facebook.com", "facebook.com"},
    {"free.facebook.com", "facebook.com"},
    {"fb.com", "facebook.com"},
    {"www.fb.com", "facebook.com"},
    {"twitter.com", "x.com"},
    {"www.twitter.com", "x.com"},
    {"mobile.twitter.com", "x.com"},
    {"m.twitter.com", "x.com"},
    {"www.x.com", "x.com"},
    {"mobile.x.com", "x.com"},
    {"www.instagram.com", "instagram.com"},
    {"m.instagram.com", "instagram.com"},
    {"instagr.am", "instagram.com"},
    {"www.tiktok.com", "tiktok.com"},
    {"m.tiktok.com", "tiktok.com"},
    {"telegram.me", "t.me"},
    {"www.telegram.me", "t.me"},
    {"telegram.dog", "t.me"},
    {"www.t.me", "t.me"},
    {"www.vk.com", "vk.com"},
    {"m.vk.com", "vk.com"},
    {"vk.ru", "vk.com"},
    {"m.vk.ru", "vk.com"},
    {"vkontakte.ru", "vk.com"},
    {"www.youtube.com", "youtube.com"},
    {"m.youtube.com", "youtube.com"},
    {"www.snapchat.com", "snapchat.com"},
    {"www.wa.me", "wa.me"},
    {"www.whatsapp.com", "whatsapp.com"},
    {"web.whatsapp.com", "whatsapp.com"},
};

constexpr std::string_view kPlatformHosts[] = {
    "facebook.com", "x.com",        "instagram.com",    "tiktok.com",
    "t.me",         "vk.com",       "youtube.com",      "snapchat.com",
    "wa.me",        "whatsapp.com", "api.whatsapp.com", "signal.me",
};

}  // namespace

std::string FoldPlatformHost(const std::string& host) {
  for (const Fold& f : kHostFolds) {
    if (host == f.from) return std::string(f.to);
  }
  return host;
}

bool IsPlatformHost(const std::string& host) {
  for (std::string_view h : kPlatformHosts) {
    if (host == h) return true;
  }
  return false;
}

const std::vector<std::string_view>& PlatformTrackingParams(
    const std::string& host) {
  static const auto* kParams =
      new std::map<std::string, std::vector<std::string_view>, std::less<>>{
          {"facebook.com",
           {"__tn__", "__cft__*", "__xts__*", "rdid", "share_url", "sfnsn",
            "_rdr", "hc_ref", "hc_location", "fref", "eav", "paipv", "refid",
            "ref_component", "ref_page", "notif_id", "notif_t", "acontext",
            "extid", "_ft_"}},
          {"x.com", {"s", "t", "cxt", "ref_src", "ref_url"}},
          {"instagram.com", {"igsh", "igshid"}},
          {"tiktok.com",
           {"_t", "_r", "is_from_webapp", "sender_device", "is_copy_url",
            "share_app_id", "share_link_id", "tt_from", "u_code", "timestamp",
            "social_sharing", "source", "sender_web_id"}},
          {"youtube.com", {"feature", "pp", "ab_channel", "embeds_referring_euri"}},
          {"vk.com", {"from"}},
      };
  static const auto* kNone = new std::vector<std::string_view>();
  const auto it = kParams->find(host);
  return it == kParams->end() ? *kNone : it->second;
}

std::optional<std::string> PhoneDigitsFromUrl(const UrlParts& url) {
  std::optional<std::string> number;
  if (url.host == "wa.me") {
    number = PercentDecode(std::string_view(url.path).substr(1));
  } else if (url.scheme == "whatsapp" ||
             ((url.host == "api.whatsapp.com" || url.host == "whatsapp.com") &&
              url.path == "/send")) {
    number = QueryValue(url, "phone");
  } else if (url.scheme == "viber") {
    number = QueryValue(url, "number");
  } else if (url.host == "signal.me" && url.fragment.rfind("p/", 0) == 0) {
    number = PercentDecode(std::string_view(url.fragment).substr(2));
  } else if (url.host == "t.me" && url.path.rfind("/+", 0) == 0) {
    number = url.path.substr(1);
    if (!IsAsciiDigits(number->substr(1))) return std::nullopt;  // invite
  }
  if (!number) return std::nullopt;
  std::string digits;
  for (char c : *number) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != '+' && c != ' ' && c != '-') {
      return std::nullopt;
    }
  }
  if (digits.empty()) return std::nullopt;
  return digits;
}

}  // namespace ifed::normalize::internal
