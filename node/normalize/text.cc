#include "node/normalize/text.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uidna.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

namespace ifed::normalize::internal {

absl::Status Invalid(const char* reason) {
  return absl::InvalidArgumentError(reason);
}
absl::Status Invalid(const std::string& reason) {
  return absl::InvalidArgumentError(reason);
}

absl::Status CheckInput(std::string_view raw) {
  if (raw.size() > kMaxInputBytes) return Invalid("input too long");
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  const int32_t n = static_cast<int32_t>(raw.size());
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0) return Invalid("input is not valid UTF-8");
    const int8_t type = u_charType(c);
    if (c == 0 || (type == U_CONTROL_CHAR && !u_isUWhiteSpace(c)) ||
        type == U_LINE_SEPARATOR || type == U_PARAGRAPH_SEPARATOR) {
      return Invalid("input contains control characters");
    }
    if (u_isUWhiteSpace(c) && c < 0x20 && c != '\t') {
      return Invalid("input contains line breaks");
    }
  }
  if (TrimSpace(raw).empty()) return Invalid("empty value");
  return absl::OkStatus();
}

std::string_view TrimSpace(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  int32_t start = 0;
  int32_t end = static_cast<int32_t>(s.size());
  while (start < end) {
    int32_t i = start;
    UChar32 c;
    U8_NEXT(p, i, end, c);
    if (c < 0 || !u_isUWhiteSpace(c)) break;
    start = i;
  }
  while (end > start) {
    int32_t i = end;
    UChar32 c;
    U8_PREV(p, start, i, c);
    if (c < 0 || !u_isUWhiteSpace(c)) break;
    end = i;
  }
  return s.substr(start, end - start);
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool IsAsciiDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsAsciiAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  return AsciiLower(s.substr(0, prefix.size())) == AsciiLower(prefix);
}

bool ConsumePrefixIgnoreCase(std::string_view* s, std::string_view prefix) {
  if (!StartsWithIgnoreCase(*s, prefix)) return false;
  s->remove_prefix(prefix.size());
  return true;
}

std::string MapDigitsToAscii(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  const auto* p = reinterpret_cast<const uint8_t*>(utf8.data());
  const int32_t n = static_cast<int32_t>(utf8.size());
  for (int32_t i = 0; i < n;) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, n, c);
    const int32_t d = c >= 0x80 ? u_charDigitValue(c) : -1;
    if (d >= 0 && u_charType(c) == U_DECIMAL_DIGIT_NUMBER) {
      out.push_back(static_cast<char>('0' + d));
    } else {
      out.append(utf8.substr(start, i - start));
    }
  }
  return out;
}

namespace {

absl::StatusOr<std::string> ApplyNormalizer(const icu::Normalizer2* norm,
                                            std::string_view utf8) {
  icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  UErrorCode err = U_ZERO_ERROR;
  icu::UnicodeString out = norm->normalize(in, err);
  if (U_FAILURE(err)) return Invalid("Unicode normalisation failed");
  std::string result;
  out.toUTF8String(result);
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Unicode>> Unicode::Create() {
  std::unique_ptr<Unicode> u(new Unicode());
  UErrorCode err = U_ZERO_ERROR;
  const uint32_t common = UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ |
                          UIDNA_NONTRANSITIONAL_TO_ASCII;
  u->idna_strict_ = uidna_openUTS46(common | UIDNA_USE_STD3_RULES, &err);
  u->idna_lenient_ = uidna_openUTS46(common, &err);
  u->spoof_ = uspoof_open(&err);
  if (U_SUCCESS(err)) {
    uspoof_setChecks(u->spoof_,
                     USPOOF_RESTRICTION_LEVEL | USPOOF_INVISIBLE |
                         USPOOF_MIXED_NUMBERS,
                     &err);
    uspoof_setRestrictionLevel(u->spoof_, USPOOF_HIGHLY_RESTRICTIVE);
  }
  // Touch the normaliser once so a missing ICU data file fails here.
  icu::Normalizer2::getNFKCCasefoldInstance(err);
  icu::Normalizer2::getNFKCInstance(err);
  if (U_FAILURE(err)) {
    return absl::InternalError("ICU initialisation failed");
  }
  return u;
}

Unicode::~Unicode() {
  if (idna_strict_ != nullptr) uidna_close(idna_strict_);
  if (idna_lenient_ != nullptr) uidna_close(idna_lenient_);
  if (spoof_ != nullptr) uspoof_close(spoof_);
}

absl::StatusOr<std::string> Unicode::Nfkc(std::string_view utf8) const {
  UErrorCode err = U_ZERO_ERROR;
  return ApplyNormalizer(icu::Normalizer2::getNFKCInstance(err), utf8);
}

absl::StatusOr<std::string> Unicode::NfkcCaseFold(std::string_view utf8) const {
  UErrorCode err = U_ZERO_ERROR;
  return ApplyNormalizer(icu::Normalizer2::getNFKCCasefoldInstance(err), utf8);
}

SpoofResult Unicode::CheckSpoof(std::string_view utf8) const {
  UErrorCode err = U_ZERO_ERROR;
  const int32_t n = static_cast<int32_t>(utf8.size());
  const int32_t flags =
      uspoof_check2UTF8(spoof_, utf8.data(), n, nullptr, &err);
  if (U_FAILURE(err)) return SpoofResult::kInvisible;
  if (flags & USPOOF_RESTRICTION_LEVEL) return SpoofResult::kMixedScript;
  if (flags & (USPOOF_INVISIBLE | USPOOF_MIXED_NUMBERS)) {
    return SpoofResult::kInvisible;
  }
  if (!IsAscii(utf8)) {
    // Entirely non-Latin, but its confusable skeleton is plain ASCII: it
    // reads as a Latin name (Cyrillic "асе" for "ace").
    char buf[4 * kMaxInputBytes];
    const int32_t len = uspoof_getSkeletonUTF8(spoof_, 0, utf8.data(), n, buf,
                                               sizeof(buf), &err);
    if (U_SUCCESS(err) && IsAscii(std::string_view(buf, len))) {
      return SpoofResult::kWholeScriptLookalike;
    }
  }
  return SpoofResult::kOk;
}

absl::StatusOr<std::string> Unicode::DomainToAscii(std::string_view utf8,
                                                   bool strict) const {
  if (utf8.empty()) return Invalid("empty domain");
  UErrorCode err = U_ZERO_ERROR;
  UIDNAInfo info = UIDNA_INFO_INITIALIZER;
  char buf[1024];
  const int32_t len = uidna_nameToASCII_UTF8(
      strict ? idna_strict_ : idna_lenient_, utf8.data(),
      static_cast<int32_t>(utf8.size()), buf, sizeof(buf), &info, &err);
  if (U_FAILURE(err) || len >= static_cast<int32_t>(sizeof(buf))) {
    return Invalid("domain is not a valid internationalised name");
  }
  if (info.errors != 0) {
    if (info.errors & (UIDNA_ERROR_LABEL_TOO_LONG |
                       UIDNA_ERROR_DOMAIN_NAME_TOO_LONG)) {
      return Invalid("domain name or label too long");
    }
    if (info.errors & UIDNA_ERROR_EMPTY_LABEL) {
      return Invalid("domain has an empty label");
    }
    return Invalid("domain is not a valid internationalised name (IDNA)");
  }
  return std::string(buf, len);
}

}  // namespace ifed::normalize::internal
