// Phone numbers: libphonenumber does the parsing and validation; this file
// decides which spellings reach it and which results are refused.
//
// Accepted: national numbers with Options::default_region, "+CC...",
// "00CC..." (with an empty default region "00" always means international;
// with a region its own international prefix applies), "+CC (0)...",
// full-width and non-Latin digits, "tel:" URIs (RFC 3966; extensions are
// refused), and links that name a number (wa.me/, api.whatsapp.com/send,
// whatsapp://send, viber://chat, signal.me/#p/, t.me/+digits).
// Refused: vanity letters unless Options::allow_vanity, extensions (two
// people behind one switchboard must not match), emergency numbers, short
// codes, and everything libphonenumber does not hold valid.
#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <phonenumbers/shortnumberinfo.h>

#include <mutex>

#include "node/common/status_macros.h"
#include "node/normalize/internal.h"

namespace ifed::normalize::internal {
namespace {

using ::i18n::phonenumbers::PhoneNumber;
using ::i18n::phonenumbers::PhoneNumberUtil;
using ::i18n::phonenumbers::ShortNumberInfo;

const char* ParseErrorReason(PhoneNumberUtil::ErrorType e) {
  switch (e) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return "invalid or missing country code";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
      return "too short after the international prefix";
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return "phone number too short";
    case PhoneNumberUtil::TOO_LONG_NSN:
      return "phone number too long";
    default:
      return "not a phone number";
  }
}

const char* ImpossibleReason(PhoneNumberUtil::ValidationResult r) {
  switch (r) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
      return "invalid country code";
    case PhoneNumberUtil::TOO_SHORT:
      return "phone number too short";
    case PhoneNumberUtil::TOO_LONG:
      return "phone number too long";
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      return "local number without area code";
    default:
      return "phone number has an impossible length";
  }
}

bool IsUrlLike(std::string_view s) {
  for (std::string_view p : {"http://", "https://", "whatsapp://", "viber://",
                             "sgnl://", "wa.me/", "www.wa.me/",
                             "api.whatsapp.com/", "signal.me/", "t.me/"}) {
    if (StartsWithIgnoreCase(s, p)) return true;
  }
  return false;
}

// RFC 3966: "tel:" number *( ";" param ). A local number with a
// "phone-context=+CC" gets the context as its prefix.
absl::StatusOr<std::string> FromTelUri(std::string_view s) {
  std::string_view number = s.substr(0, s.find(';'));
  std::string prefix;
  while (s.find(';') != std::string_view::npos) {
    s.remove_prefix(s.find(';') + 1);
    std::string_view param = s.substr(0, s.find(';'));
    if (StartsWithIgnoreCase(param, "ext=")) {
      return Invalid("phone extensions are not accepted");
    }
    if (StartsWithIgnoreCase(param, "isub=")) {
      return Invalid("ISDN subaddresses are not accepted");
    }
    if (ConsumePrefixIgnoreCase(&param, "phone-context=") &&
        !param.empty() && param[0] == '+') {
      prefix = std::string(param);
    }
  }
  if (!prefix.empty() && !number.empty() && number[0] == '+') prefix.clear();
  return prefix + std::string(number);
}

bool HasAsciiLetter(std::string_view s) {
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  }
  return false;
}

// Digits, the separators people write, one leading "+", letters only for
// vanity numbers.
absl::Status CheckCharacters(std::string_view s, bool allow_letters) {
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '.' ||
        c == '/' || c == '(' || c == ')' || c == '\t') {
      continue;
    }
    if (c == '+' && s.find_first_not_of(" \t(") >= i) continue;
    if (allow_letters && IsAsciiAlnum(c)) continue;
    return Invalid("unexpected characters in a phone number");
  }
  return absl::OkStatus();
}

std::string DigitsOnly(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (c >= '0' && c <= '9') d.push_back(c);
  }
  return d;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Phones>> Phones::Create(const Unicode* unicode) {
  static std::once_flag once;
  std::call_once(once, [] {
    // libphonenumber may log the number it parses: never let it.
    PhoneNumberUtil::GetInstance()->SetLogger(
        new ::i18n::phonenumbers::NullLogger());
  });
  return std::unique_ptr<Phones>(
      new Phones(unicode, std::make_unique<ShortNumberInfo>()));
}

Phones::Phones(const Unicode* unicode,
               std::unique_ptr<ShortNumberInfo> short_info)
    : unicode_(unicode), short_info_(std::move(short_info)) {}

Phones::~Phones() = default;

absl::StatusOr<std::string> Phones::ToE164(std::string_view raw,
                                           const Options& options) const {
  IFED_ASSIGN_OR_RETURN(std::string text, unicode_->Nfkc(TrimSpace(raw)));
  text = MapDigitsToAscii(text);
  std::string_view v = TrimSpace(text);
  if (IsUrlLike(v)) {
    IFED_ASSIGN_OR_RETURN(UrlParts url, ParseUrl(*unicode_, v, true));
    std::optional<std::string> digits = PhoneDigitsFromUrl(url);
    if (!digits) return Invalid("link does not name a phone number");
    return InternationalDigitsToE164(*digits);
  }
  std::string number(v);
  if (ConsumePrefixIgnoreCase(&v, "tel:")) {
    IFED_ASSIGN_OR_RETURN(number, FromTelUri(v));
  }
  if (!options.allow_vanity && HasAsciiLetter(number)) {
    return Invalid("letters in a phone number (vanity) are not accepted");
  }
  IFED_RETURN_IF_ERROR(CheckCharacters(number, options.allow_vanity));
  const std::string region = AsciiUpper(options.default_region);
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  if (!region.empty() && util.GetCountryCodeForRegion(region) == 0) {
    return Invalid("unknown default region");
  }
  const size_t first = number.find_first_not_of(" \t(");
  const bool plus = first != std::string::npos && number[first] == '+';
  if (!plus) {
    const std::string digits = DigitsOnly(number);
    if (!region.empty() && short_info_->IsEmergencyNumber(digits, region)) {
      return Invalid("emergency numbers are not indicators");
    }
    if (region.empty()) {
      if (digits.size() > 2 && digits.compare(0, 2, "00") == 0) {
        return InternationalDigitsToE164(std::string_view(digits).substr(2));
      }
      return Invalid("national number needs a default region");
    }
  }
  return ParseToE164(number, region.empty() ? "ZZ" : region);
}

absl::StatusOr<std::string> Phones::InternationalDigitsToE164(
    std::string_view digits) const {
  if (!IsAsciiDigits(digits)) return Invalid("not an international number");
  return ParseToE164("+" + std::string(digits), "ZZ");
}

absl::StatusOr<std::string> Phones::ParseToE164(
    const std::string& number, const std::string& region) const {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber num;
  const PhoneNumberUtil::ErrorType err = util.Parse(number, region, &num);
  if (err != PhoneNumberUtil::NO_PARSING_ERROR) {
    return Invalid(ParseErrorReason(err));
  }
  if (num.has_extension()) {
    return Invalid("phone extensions are not accepted");
  }
  std::string number_region;
  util.GetRegionCodeForCountryCode(num.country_code(), &number_region);
  std::string nsn;
  util.GetNationalSignificantNumber(num, &nsn);
  if (short_info_->IsEmergencyNumber(nsn, number_region)) {
    return Invalid("emergency numbers are not indicators");
  }
  const PhoneNumberUtil::ValidationResult possible =
      util.IsPossibleNumberWithReason(num);
  if (possible != PhoneNumberUtil::IS_POSSIBLE) {
    if (short_info_->IsValidShortNumber(num)) {
      return Invalid("short codes and service numbers are not indicators");
    }
    return Invalid(ImpossibleReason(possible));
  }
  if (!util.IsValidNumber(num)) {
    if (short_info_->IsValidShortNumber(num)) {
      return Invalid("short codes and service numbers are not indicators");
    }
    return Invalid("not a valid phone number (no numbering plan matches)");
  }
  std::string e164;
  util.Format(num, PhoneNumberUtil::E164, &e164);
  return e164;
}

}  // namespace ifed::normalize::internal
