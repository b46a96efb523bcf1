// IMEI (3GPP TS 23.003): an optional "IMEI"/"IMEISV" label, spaces, dashes,
// dots and slashes removed, then:
//   15 digits: the Luhn check digit must match;
//   14 digits: IMEI without its check digit; the check digit is computed
//              and appended;
//   16 digits: IMEISV (14 digits + 2-digit software version); the version is
//              dropped and the check digit computed, so a device's IMEI and
//              IMEISV meet.
// Canonical: 15 digits. All-equal digit strings (000000000000000 passes
// Luhn) are refused as placeholders.
#include "node/common/status_macros.h"
#include "node/normalize/internal.h"

namespace ifed::normalize::internal {
namespace {

char LuhnCheckDigit(std::string_view body) {
  int sum = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    int d = body[body.size() - 1 - i] - '0';
    if (i % 2 == 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

}  // namespace

absl::StatusOr<std::string> NormalizeImei(const Unicode& unicode,
                                          std::string_view raw) {
  IFED_ASSIGN_OR_RETURN(std::string text, unicode.Nfkc(TrimSpace(raw)));
  text = MapDigitsToAscii(text);
  std::string_view s = TrimSpace(text);
  if (ConsumePrefixIgnoreCase(&s, "IMEISV") || ConsumePrefixIgnoreCase(&s, "IMEI")) {
    s = TrimSpace(s);
    if (!s.empty() && (s[0] == ':' || s[0] == '#')) s.remove_prefix(1);
  }
  std::string digits;
  for (char c : s) {
    if (c == ' ' || c == '-' || c == '/' || c == '.' || c == '\t') continue;
    if (c < '0' || c > '9') return Invalid("characters not allowed in an IMEI");
    digits.push_back(c);
  }
  if (digits.size() == 16) digits.resize(14);  // IMEISV: drop the SVN
  if (digits.size() == 14) {
    digits.push_back(LuhnCheckDigit(digits));
  } else if (digits.size() != 15) {
    return Invalid("an IMEI has 14, 15 or 16 digits");
  } else if (LuhnCheckDigit(std::string_view(digits).substr(0, 14)) != digits[14]) {
    return Invalid("IMEI check digit (Luhn) does not match");
  }
  if (digits.find_first_not_of(digits[0]) == 14 ||
      digits.find_first_not_of(digits[0]) == std::string::npos) {
    return Invalid("placeholder IMEI (repeated digit)");
  }
  return digits;
}

}  // namespace ifed::normalize::internal
