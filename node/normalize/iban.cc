// IBAN (ISO 13616): "IBAN" prefix, spaces and dashes removed, upper-cased;
// country must be in the IBAN registry with its exact length; BBAN
// alphanumeric; check digits verified with ISO 7064 mod 97-10. Canonical:
// the electronic format (no spaces). The national BBAN structure (which
// positions are digits) is not checked beyond mod 97.
#include <map>

#include "node/common/status_macros.h"
#include "node/normalize/internal.h"

namespace ifed::normalize::internal {
namespace {

// SWIFT IBAN registry: country -> total length. Checked against the
// registry's BBAN formats as republished in python-stdnum's iban.dat
// (generated from SWIFT's iban-registry.txt): all 89 countries agree; HN
// (Honduras) and YE (Yemen) were added from it.
const std::map<std::string, size_t, std::less<>>& IbanLengths() {
  static const auto* kLengths = new std::map<std::string, size_t, std::less<>>{
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20},
      {"BE", 16}, {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28},
      {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27},
      {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
      {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23},
      {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HN", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22},
      {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30},
      {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
      {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19},
      {"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18},
      {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25},
      {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
      {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23},
      {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
      {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
  };
  return *kLengths;
}

// ISO 7064 mod 97-10 over the rearranged IBAN, letters as 10..35.
int Mod97(std::string_view iban) {
  const std::string moved = std::string(iban.substr(4)) + std::string(iban.substr(0, 4));
  int rem = 0;
  for (char c : moved) {
    const int v = (c >= '0' && c <= '9') ? c - '0' : c - 'A' + 10;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem;
}

}  // namespace

absl::StatusOr<std::string> NormalizeIban(const Unicode& unicode,
                                          std::string_view raw) {
  IFED_ASSIGN_OR_RETURN(std::string text, unicode.Nfkc(TrimSpace(raw)));
  std::string_view s = TrimSpace(text);
  if (ConsumePrefixIgnoreCase(&s, "IBAN")) {
    s = TrimSpace(s);
    if (!s.empty() && s[0] == ':') s.remove_prefix(1);
  }
  std::string iban;
  for (char c : s) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    if (!IsAsciiAlnum(c)) return Invalid("characters not allowed in an IBAN");
    iban.push_back(c);
  }
  iban = AsciiUpper(iban);
  if (iban.size() < 5 || iban.size() > 34) return Invalid("IBAN length out of range");
  if (!(iban[0] >= 'A' && iban[0] <= 'Z' && iban[1] >= 'A' && iban[1] <= 'Z') ||
      !IsAsciiDigits(std::string_view(iban).substr(2, 2))) {
    return Invalid("IBAN must start with a country code and two check digits");
  }
  const auto it = IbanLengths().find(std::string_view(iban).substr(0, 2));
  if (it == IbanLengths().end()) return Invalid("IBAN country is not in the IBAN registry");
  if (iban.size() != it->second) return Invalid("IBAN has the wrong length for its country");
  if (Mod97(iban) != 1) return Invalid("IBAN check digits do not match");
  return iban;
}

}  // namespace ifed::normalize::internal

namespace ifed::normalize {

std::optional<size_t> IbanLength(std::string_view country) {
  const auto& lengths = internal::IbanLengths();
  const auto it = lengths.find(country);
  if (it == lengths.end()) return std::nullopt;
  return it->second;
}

}  // namespace ifed::normalize
