// E-mail addresses.
//  - "mailto:" and surrounding spaces are removed; exactly one address.
//  - local part: dot-atom only (quoted strings and comments refused),
//    UTF-8 allowed (RFC 6531), NFKC + case-folded. RFC 5321 calls the local
//    part case-sensitive, but no provider in use treats it so, and two
//    spellings of one mailbox must match: we fold case. Max 64 bytes.
//  - domain: IDNA UTS #46 (STD3) to punycode, lower-case, trailing dot
//    removed, needs a dot; address literals ([1.2.3.4]) refused.
//  - provider mailbox rules (the mailbox form): gmail.com and
//    googlemail.com drop dots and "+tag" and become gmail.com; Microsoft
//    (outlook.com, hotmail.com, live.com), Fastmail (fastmail.com,
//    fastmail.fm) and Proton (proton.me, protonmail.com, protonmail.ch,
//    pm.me) drop "+tag". Normalize() returns the literal address and, when
//    it differs, the mailbox as a derived e-mail, on every node alike (the
//    rule set is part of kCanonicalVersion); Options::email_provider_rules
//    makes the mailbox the main value (offline tools and tests only).
#include "node/common/status_macros.h"
#include "node/normalize/internal.h"

namespace ifed::normalize::internal {
namespace {

bool IsAtext(char c) {
  return IsAsciiAlnum(c) ||
         std::string_view("!#$%&'*+/=?^_`{|}~-").find(c) !=
             std::string_view::npos ||
         static_cast<unsigned char>(c) >= 0x80;
}

absl::Status CheckLocal(const std::string& local) {
  if (local.empty()) return Invalid("e-mail local part is empty");
  if (local.size() > 64) return Invalid("e-mail local part too long (max 64)");
  if (local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string::npos) {
    return Invalid("misplaced dot in e-mail local part");
  }
  for (char c : local) {
    if (c != '.' && !IsAtext(c)) {
      return Invalid("characters not allowed in e-mail local part");
    }
  }
  return absl::OkStatus();
}

// Documented mailbox rules of the providers (README.md "E-mail mailbox
// rules" cites each): Gmail ignores dots and a "+tag" and serves
// googlemail.com as gmail.com; Microsoft (Outlook.com, Hotmail, Live),
// Fastmail and Proton deliver "local+tag" to "local".
std::string ApplyProviderRules(std::string local, std::string* domain) {
  const bool gmail = *domain == "gmail.com" || *domain == "googlemail.com";
  bool plus_tags = gmail;
  for (std::string_view d :
       {"outlook.com", "hotmail.com", "live.com", "fastmail.com", "fastmail.fm",
        "proton.me", "protonmail.com", "protonmail.ch", "pm.me"}) {
    if (*domain == d) plus_tags = true;
  }
  if (plus_tags) {
    const size_t plus = local.find('+');
    if (plus != std::string::npos && plus > 0) local.erase(plus);
  }
  if (gmail) {
    std::erase(local, '.');
    *domain = "gmail.com";
  }
  return local;
}

}  // namespace

absl::StatusOr<std::string> NormalizeEmail(const Unicode& unicode,
                                           std::string_view raw,
                                           const Options& options) {
  // NFKC first: a full-width "＠" (U+FF20) or "．" in CJK text is an @ / dot.
  IFED_ASSIGN_OR_RETURN(std::string text, unicode.Nfkc(TrimSpace(raw)));
  std::string_view s = TrimSpace(text);
  if (ConsumePrefixIgnoreCase(&s, "mailto:")) s = s.substr(0, s.find('?'));
  const size_t at = s.rfind('@');
  if (at == std::string_view::npos) return Invalid("e-mail address needs an @");
  if (s.find('"') != std::string_view::npos ||
      s.find('(') != std::string_view::npos) {
    return Invalid("quoted or commented e-mail local parts are not accepted");
  }
  IFED_ASSIGN_OR_RETURN(std::string local, unicode.NfkcCaseFold(s.substr(0, at)));
  IFED_RETURN_IF_ERROR(CheckLocal(local));
  std::string_view domain_raw = s.substr(at + 1);
  if (!domain_raw.empty() && domain_raw.front() == '[') {
    return Invalid("e-mail address literals are not accepted");
  }
  IFED_ASSIGN_OR_RETURN(std::string domain,
                        unicode.DomainToAscii(domain_raw, /*strict=*/true));
  // The root dot goes after IDNA, which allows one empty last label: taken
  // off before, "k.." became "k." and that passed the dot check below.
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  const size_t last_dot = domain.rfind('.');
  if (last_dot == std::string::npos) return Invalid("e-mail domain needs a dot");
  if (IsAsciiDigits(std::string_view(domain).substr(last_dot + 1))) {
    return Invalid("e-mail domain has a numeric top-level label");
  }
  if (options.email_provider_rules) local = ApplyProviderRules(local, &domain);
  if (local.empty()) return Invalid("e-mail local part is empty");
  if (local.size() + 1 + domain.size() > 254) {
    return Invalid("e-mail address too long (max 254)");
  }
  return local + "@" + domain;
}

}  // namespace ifed::normalize::internal
