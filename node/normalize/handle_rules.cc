// Handle rules per platform (what each platform lets a user register, as
// documented by the platform or observed; deliberately a little lenient on
// minimum lengths because old accounts predate today's limits):
//
//   platform   characters (after NFKC + case fold)  length  notes
//   facebook   a-z 0-9 .                            5-50    dots ignored
//   instagram  a-z 0-9 . _                          1-30    no ./.. at ends
//   tiktok     a-z 0-9 . _                          2-24    no final .
//   x          a-z 0-9 _                            1-15
//   telegram   a-z 0-9 _                            4-32    letter first
//   vk         a-z 0-9 . _                          3-32
//   youtube    letters/digits of one script . _ -   3-30    @handle
//   snapchat   a-z 0-9 . _ -                        3-15    letter first
//   signal     a-z 0-9 _ then "." and 2-9 digits    3-32    username
//
// Unicode: the name is NFKC-case-folded (full-width letters become ASCII,
// invisible default-ignorables vanish). Then every platform but YouTube is
// ASCII-only: a remaining non-ASCII character is refused, with the reason
// "look-alike" when ICU's spoof checker says it is a mixed-script (e.g. a
// Cyrillic "а" in a Latin name) or whole-script confusable. For YouTube,
// single-script non-Latin handles are accepted and mixed-script ones refused.
// Confusables are refused rather than mapped to their skeleton: a mapped
// value could match an innocent account that merely looks similar.
#include "node/normalize/handle_rules.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "node/common/status_macros.h"

namespace ifed::normalize::internal {
namespace {

struct Rule {
  Platform platform;
  std::string_view name;
  size_t min;
  size_t max;
  std::string_view extra;  // allowed besides a-z 0-9
};

constexpr Rule kRules[] = {
    {Platform::kFacebook, "facebook", 5, 50, "."},
    {Platform::kInstagram, "instagram", 1, 30, "._"},
    {Platform::kTiktok, "tiktok", 2, 24, "._"},
    {Platform::kX, "x", 1, 15, "_"},
    {Platform::kTelegram, "telegram", 4, 32, "_"},
    {Platform::kVk, "vk", 3, 32, "._"},
    {Platform::kYoutube, "youtube", 3, 30, "._-"},
    {Platform::kSnapchat, "snapchat", 3, 15, "._-"},
    {Platform::kWhatsapp, "whatsapp", 0, 0, ""},
    {Platform::kViber, "viber", 0, 0, ""},
    {Platform::kSignal, "signal", 3, 32, "_"},
};

const Rule& RuleFor(Platform p) {
  for (const Rule& r : kRules) {
    if (r.platform == p) return r;
  }
  return kRules[0];
}

std::string Reason(const char* what, const Rule& rule) {
  return std::string(what) + " for " + std::string(rule.name);
}

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

absl::Status CheckNonAscii(const Unicode& unicode, const Rule& rule,
                           const std::string& name) {
  switch (unicode.CheckSpoof(name)) {
    case SpoofResult::kMixedScript:
      return Invalid(Reason("mixed-script look-alike characters in handle",
                            rule));
    case SpoofResult::kInvisible:
      return Invalid(Reason("invisible or mixed-number characters in handle",
                            rule));
    case SpoofResult::kWholeScriptLookalike:
      if (rule.platform != Platform::kYoutube) {
        return Invalid(Reason("look-alike characters from another script in handle",
                              rule));
      }
      return absl::OkStatus();
    case SpoofResult::kOk:
      break;
  }
  if (rule.platform != Platform::kYoutube) {
    return Invalid(Reason("characters not allowed in handle", rule));
  }
  const auto* p = reinterpret_cast<const uint8_t*>(name.data());
  const int32_t len = static_cast<int32_t>(name.size());
  for (int32_t i = 0; i < len;) {
    UChar32 c;
    U8_NEXT(p, i, len, c);
    const bool mark = (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0;
    if (c >= 0x80 && !u_isalnum(c) && !mark) {
      return Invalid(Reason("characters not allowed in handle", rule));
    }
  }
  return absl::OkStatus();
}

// Characters and length; `name` is already case-folded.
absl::Status CheckChars(const Rule& rule, const std::string& name) {
  size_t length = 0;
  for (unsigned char c : name) {
    if ((c & 0xC0) != 0x80) ++length;  // count code points
    if (c >= 0x80) continue;           // vetted by CheckNonAscii
    if (!IsLowerAlnum(static_cast<char>(c)) &&
        rule.extra.find(static_cast<char>(c)) == std::string_view::npos) {
      return Invalid(Reason("characters not allowed in handle", rule));
    }
  }
  if (length < rule.min) {
    return Invalid(Reason("handle too short", rule) + " (min " +
                   std::to_string(rule.min) + ")");
  }
  if (length > rule.max) {
    return Invalid(Reason("handle too long", rule) + " (max " +
                   std::to_string(rule.max) + ")");
  }
  return absl::OkStatus();
}

absl::Status CheckShape(const Rule& rule, const std::string& n) {
  const bool letter_first = n[0] >= 'a' && n[0] <= 'z';
  switch (rule.platform) {
    case Platform::kInstagram:
      if (n.front() == '.' || n.back() == '.' ||
          n.find("..") != std::string::npos) {
        return Invalid(Reason("misplaced dot in handle", rule));
      }
      break;
    case Platform::kTiktok:
      if (n.back() == '.') return Invalid(Reason("handle ends with a dot", rule));
      break;
    case Platform::kTelegram:
      if (!letter_first) return Invalid(Reason("handle must start with a letter", rule));
      if (n.back() == '_' || n.find("__") != std::string::npos) {
        return Invalid(Reason("misplaced underscore in handle", rule));
      }
      break;
    case Platform::kSnapchat:
      if (!letter_first || !IsLowerAlnum(n.back())) {
        return Invalid(Reason("handle must start with a letter and end with a letter or digit", rule));
      }
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

// facebook:id/N, facebook:group/G, youtube:channel/UC..., youtube:c/N,
// youtube:user/N. `name` is as written (channel ids are case-sensitive).
absl::StatusOr<std::string> StructuredHandle(const Unicode& unicode,
                                             const Rule& rule,
                                             std::string_view name) {
  const size_t slash = name.find('/');
  const std::string kind = AsciiLower(name.substr(0, slash));
  const std::string_view rest = name.substr(slash + 1);
  const std::string prefix = std::string(rule.name) + ":" + kind + "/";
  if (rest.empty() || rest.size() > 100) {
    return Invalid(Reason("malformed structured handle", rule));
  }
  if (rule.platform == Platform::kFacebook && kind == "id") {
    if (!IsAsciiDigits(rest)) return Invalid("facebook id must be digits");
    return prefix + std::string(rest);
  }
  if (rule.platform == Platform::kYoutube && kind == "channel") {
    if (rest.size() != 24 || rest.substr(0, 2) != "UC") {
      return Invalid("malformed youtube channel id");
    }
    for (char c : rest) {
      if (!IsAsciiAlnum(c) && c != '-' && c != '_') {
        return Invalid("malformed youtube channel id");
      }
    }
    return prefix + std::string(rest);
  }
  const bool group = rule.platform == Platform::kFacebook && kind == "group";
  const bool legacy = rule.platform == Platform::kYoutube &&
                      (kind == "c" || kind == "user");
  if (!group && !legacy) {
    return Invalid(Reason("unknown structured handle", rule));
  }
  IFED_ASSIGN_OR_RETURN(std::string folded, unicode.NfkcCaseFold(rest));
  for (char c : folded) {
    if (!IsLowerAlnum(c) && c != '.' && c != '_' && c != '-') {
      return Invalid(Reason("characters not allowed in handle", rule));
    }
  }
  return prefix + folded;
}

}  // namespace

std::optional<Platform> ParsePlatform(std::string_view name) {
  const std::string n = AsciiLower(name);
  for (const Rule& r : kRules) {
    if (n == r.name) return r.platform;
  }
  if (n == "fb") return Platform::kFacebook;
  if (n == "ig") return Platform::kInstagram;
  if (n == "twitter") return Platform::kX;
  if (n == "tg") return Platform::kTelegram;
  if (n == "vkontakte") return Platform::kVk;
  if (n == "yt") return Platform::kYoutube;
  if (n == "snap") return Platform::kSnapchat;
  if (n == "wa") return Platform::kWhatsapp;
  return std::nullopt;
}

std::string_view PlatformName(Platform p) { return RuleFor(p).name; }

absl::StatusOr<std::string> CanonicalHandle(const Unicode& unicode,
                                            Platform platform,
                                            std::string_view name) {
  const Rule& rule = RuleFor(platform);
  if (name.find('/') != std::string_view::npos) {
    return StructuredHandle(unicode, rule, name);
  }
  IFED_ASSIGN_OR_RETURN(std::string n, unicode.NfkcCaseFold(name));
  n = std::string(TrimSpace(n));
  if (!n.empty() && n[0] == '@') n.erase(0, 1);
  if (n.empty()) return Invalid(Reason("empty handle", rule));
  if (!IsAscii(n)) IFED_RETURN_IF_ERROR(CheckNonAscii(unicode, rule, n));
  if (platform == Platform::kSignal) {
    const size_t dot = n.rfind('.');
    const std::string_view digits =
        dot == std::string::npos ? "" : std::string_view(n).substr(dot + 1);
    if (digits.size() < 2 || digits.size() > 9 || !IsAsciiDigits(digits) ||
        (n[0] >= '0' && n[0] <= '9')) {
      return Invalid("signal username needs a name, a dot and 2-9 digits");
    }
    IFED_RETURN_IF_ERROR(CheckChars(rule, n.substr(0, dot)));
    return "signal:" + n;
  }
  if (platform == Platform::kFacebook) {
    std::erase(n, '.');  // facebook ignores dots (and case) in usernames
    if (IsAsciiDigits(n)) return "facebook:id/" + n;
  }
  IFED_RETURN_IF_ERROR(CheckChars(rule, n));
  IFED_RETURN_IF_ERROR(CheckShape(rule, n));
  return std::string(rule.name) + ":" + n;
}

}  // namespace ifed::normalize::internal
