// Handles: which spellings name which platform account.
//
// Accepted syntax (decided here, documented in README.md):
//   platform:name        "telegram:@Name", "x:jack", "twitter:jack",
//                        "facebook:id/1000123", "facebook:group/123",
//                        "youtube:channel/UC...", "whatsapp:+49 176 ..."
//   a profile URL        https://m.facebook.com/Some.Page/?ref=share,
//                        facebook.com/profile.php?id=N, facebook.com/groups/G,
//                        t.me/s/name, telegram.me/name, tg://resolve?domain=,
//                        instagram.com/name/, x.com/name/status/1,
//                        tiktok.com/@name, vk.com/name, youtube.com/@name,
//                        snapchat.com/add/name, wa.me/N, signal.me/#p/+N,
//                        viber://chat?number=N
//   @name or name        only with Options::platform
// whatsapp and viber always yield a phone (Canonical.type = kPhone); signal
// yields a phone, or a "signal:name.NN" handle for a username. For
// whatsapp/viber a number without "+"/"00" is national if a default region
// is set, otherwise read as international digits (their IDs are).
#include <vector>

#include "node/common/status_macros.h"
#include "node/normalize/handle_rules.h"
#include "node/normalize/internal.h"

namespace ifed::normalize::internal {
namespace {

bool LooksLikeUrl(std::string_view s) {
  if (s.find("://") != std::string_view::npos) return true;
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view head = s.substr(0, slash);
  return head.find('.') != std::string_view::npos &&
         head.find_first_of(":@") == std::string_view::npos;
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) out.push_back(PercentDecode(path.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

bool OneOf(const std::string& s, std::initializer_list<std::string_view> set) {
  for (std::string_view x : set) {
    if (AsciiLower(s) == x) return true;
  }
  return false;
}

struct Located {
  Platform platform;
  std::string name;                   // as written in the URL
  std::optional<std::string> digits;  // set for click-to-chat links
};

absl::Status NotProfile() {
  return Invalid("link is not a profile, page or channel of a known platform");
}

absl::StatusOr<Located> FromFacebook(const UrlParts& url,
                                     const std::vector<std::string>& seg) {
  if (seg.size() == 1 && AsciiLower(seg[0]) == "profile.php") {
    std::optional<std::string> id = QueryValue(url, "id");
    if (id) return Located{Platform::kFacebook, "id/" + *id, {}};
    return NotProfile();
  }
  if (seg.size() >= 2 && OneOf(seg[0], {"groups", "group"})) {
    return Located{Platform::kFacebook, "group/" + seg[1], {}};
  }
  if (seg.size() >= 3 && OneOf(seg[0], {"people", "pages"})) {
    return Located{Platform::kFacebook, "id/" + seg[2], {}};
  }
  if (seg.size() >= 2 && OneOf(seg[0], {"pg"})) {
    return Located{Platform::kFacebook, seg[1], {}};
  }
  if (seg.empty() ||
      OneOf(seg[0], {"share", "sharer", "sharer.php", "login", "login.php",
                     "watch", "events", "photo", "photo.php", "story.php",
                     "permalink.php", "home.php", "help", "marketplace",
                     "gaming", "hashtag", "search", "friends", "messages",
                     "notifications", "settings", "privacy", "policies",
                     "reel", "reels", "stories", "dialog", "plugins", "l.php",
                     "business", "ads", "watch", "video.php", "media"})) {
    return NotProfile();
  }
  return Located{Platform::kFacebook, seg[0], {}};
}

absl::StatusOr<Located> FromTelegram(const UrlParts& url,
                                     const std::vector<std::string>& seg) {
  if (url.scheme == "tg") {
    std::optional<std::string> domain = QueryValue(url, "domain");
    if (url.host == "resolve" && domain) {
      return Located{Platform::kTelegram, *domain, {}};
    }
    return NotProfile();
  }
  if (seg.empty()) return NotProfile();
  if (seg[0][0] == '+' || OneOf(seg[0], {"joinchat"})) {
    return absl::InvalidArgumentError(
        "telegram invite links are not handles (use type url)");
  }
  size_t i = OneOf(seg[0], {"s"}) && seg.size() >= 2 ? 1 : 0;
  if (OneOf(seg[i], {"share", "addstickers", "addemoji", "proxy", "socks",
                     "setlanguage", "iv", "login", "bg", "addtheme",
                     "confirmphone", "c", "addlist", "boost"})) {
    return NotProfile();
  }
  return Located{Platform::kTelegram, seg[i], {}};
}

absl::StatusOr<Located> FromProfilePath(Platform platform,
                                        const std::vector<std::string>& seg) {
  if (seg.empty()) return NotProfile();
  const std::string& first = seg[0];
  switch (platform) {
    case Platform::kX:
      if (OneOf(first, {"home", "i", "intent", "share", "search", "hashtag",
                        "explore", "settings", "messages", "notifications",
                        "login", "signup", "tos", "privacy", "compose"})) {
        return NotProfile();
      }
      break;
    case Platform::kInstagram:
      if (OneOf(first, {"stories"}) && seg.size() >= 2) {
        return Located{platform, seg[1], {}};
      }
      if (OneOf(first, {"p", "reel", "reels", "tv", "explore", "accounts",
                        "direct", "about", "legal", "developer", "web",
                        "stories"})) {
        return NotProfile();
      }
      break;
    case Platform::kTiktok:
      if (first[0] != '@') return NotProfile();
      break;
    case Platform::kYoutube:
      if (OneOf(first, {"channel", "c", "user"}) && seg.size() >= 2) {
        return Located{platform, AsciiLower(first) + "/" + seg[1], {}};
      }
      if (first[0] != '@') return NotProfile();
      break;
    case Platform::kSnapchat:
      if (OneOf(first, {"add"}) && seg.size() >= 2) {
        return Located{platform, seg[1], {}};
      }
      if (first[0] != '@') return NotProfile();
      break;
    case Platform::kVk:
      if (OneOf(first, {"feed", "im", "search", "login", "away.php", "video",
                        "audio", "friends", "groups", "settings"}) ||
          first.find_first_of("-") != std::string::npos) {
        return NotProfile();
      }
      break;
    default:
      return NotProfile();
  }
  return Located{platform, first, {}};
}

absl::StatusOr<Located> LocateInUrl(const UrlParts& url) {
  if (std::optional<std::string> digits = PhoneDigitsFromUrl(url)) {
    Platform p = Platform::kWhatsapp;
    if (url.scheme == "viber") p = Platform::kViber;
    if (url.host == "signal.me") p = Platform::kSignal;
    if (url.host == "t.me") p = Platform::kTelegram;
    return Located{p, "", digits};
  }
  const std::vector<std::string> seg = Segments(url.path);
  const std::string& h = url.host;
  if (h == "facebook.com") return FromFacebook(url, seg);
  if (h == "t.me" || url.scheme == "tg") return FromTelegram(url, seg);
  if (h == "x.com") return FromProfilePath(Platform::kX, seg);
  if (h == "instagram.com") return FromProfilePath(Platform::kInstagram, seg);
  if (h == "tiktok.com") return FromProfilePath(Platform::kTiktok, seg);
  if (h == "youtube.com") return FromProfilePath(Platform::kYoutube, seg);
  if (h == "snapchat.com") return FromProfilePath(Platform::kSnapchat, seg);
  if (h == "vk.com") return FromProfilePath(Platform::kVk, seg);
  if (h == "signal.me") {
    return absl::InvalidArgumentError(
        "signal username links are encrypted and cannot be read");
  }
  return NotProfile();
}

// whatsapp, viber and signal numbers.
absl::StatusOr<Canonical> PhoneHandle(const Phones& phones, Platform platform,
                                      std::string_view name,
                                      const Options& options) {
  std::string_view n = TrimSpace(name);
  for (std::string_view suffix : {"@s.whatsapp.net", "@c.us"}) {
    if (n.size() > suffix.size() &&
        AsciiLower(n.substr(n.size() - suffix.size())) == suffix) {
      IFED_ASSIGN_OR_RETURN(std::string e164,
                            phones.InternationalDigitsToE164(
                                n.substr(0, n.size() - suffix.size())));
      return Canonical{IndicatorType::kPhone, e164};
    }
  }
  const bool plain = n.find_first_not_of("0123456789 -.()") ==
                         std::string_view::npos && !n.empty() && n[0] != '0';
  if (options.default_region.empty() && plain) {
    std::string digits;
    for (char c : n) {
      if (c >= '0' && c <= '9') digits.push_back(c);
    }
    IFED_ASSIGN_OR_RETURN(std::string e164,
                          phones.InternationalDigitsToE164(digits));
    return Canonical{IndicatorType::kPhone, e164};
  }
  IFED_ASSIGN_OR_RETURN(std::string e164, phones.ToE164(n, options));
  return Canonical{IndicatorType::kPhone, e164};
}

bool HasLetter(std::string_view s) {
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        static_cast<unsigned char>(c) >= 0x80) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<Canonical> NormalizeHandle(const Unicode& unicode,
                                          const Phones& phones,
                                          std::string_view raw,
                                          const Options& options) {
  std::optional<Platform> wanted;
  if (!options.platform.empty()) {
    wanted = ParsePlatform(options.platform);
    if (!wanted) return Invalid("unknown platform in options");
  }
  // NFKC first, so a full-width "ｉｎｓｔａｇｒａｍ：name" names its platform;
  // the name itself is NFKC-case-folded and spoof-checked below anyway.
  IFED_ASSIGN_OR_RETURN(std::string text, unicode.Nfkc(TrimSpace(raw)));
  const std::string_view s = TrimSpace(text);
  Located loc;
  if (LooksLikeUrl(s)) {
    IFED_ASSIGN_OR_RETURN(UrlParts url, ParseUrl(unicode, s, true));
    IFED_ASSIGN_OR_RETURN(loc, LocateInUrl(url));
    IFED_RETURN_IF_ERROR(CheckInput(loc.digits ? "0" : loc.name));
  } else if (const size_t colon = s.find(':');
             colon != std::string_view::npos &&
             ParsePlatform(s.substr(0, colon))) {
    loc = Located{*ParsePlatform(s.substr(0, colon)),
                  std::string(s.substr(colon + 1)), {}};
  } else if (const std::string lower = AsciiLower(s);
             !wanted && lower.find('@') != std::string::npos &&
             (lower.ends_with("@s.whatsapp.net") || lower.ends_with("@c.us"))) {
    loc = Located{Platform::kWhatsapp, std::string(s), {}};  // bare JID
  } else if (wanted) {
    loc = Located{*wanted, std::string(s), {}};
  } else if (s.find(':') != std::string_view::npos) {
    return Invalid("unknown platform");
  } else {
    return Invalid("handle needs a platform (platform:name or a profile URL)");
  }
  if (wanted && *wanted != loc.platform) {
    return Invalid("platform of the value and of the options disagree");
  }
  if (loc.digits) {
    IFED_ASSIGN_OR_RETURN(std::string e164,
                          phones.InternationalDigitsToE164(*loc.digits));
    return Canonical{IndicatorType::kPhone, e164};
  }
  const Platform p = loc.platform;
  if (p == Platform::kWhatsapp || p == Platform::kViber ||
      (p == Platform::kSignal && !HasLetter(loc.name))) {
    return PhoneHandle(phones, p, loc.name, options);
  }
  IFED_ASSIGN_OR_RETURN(std::string handle,
                        CanonicalHandle(unicode, p, loc.name));
  return Canonical{IndicatorType::kHandle, handle};
}

}  // namespace ifed::normalize::internal

namespace ifed::normalize {

bool IsKnownPlatform(std::string_view name) {
  return internal::ParsePlatform(name).has_value();
}

}  // namespace ifed::normalize
