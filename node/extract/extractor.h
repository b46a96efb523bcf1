// Extractor: indicators (phones, URLs, e-mail addresses, handles, crypto
// wallets, IBANs, IMEIs) found in
// the text of a monitored post, each with its canonical form (through
// node/normalize, the node's own rules) and the span where it was written.
//
// Search runs on a ShadowText (shadow.h) that undoes digit evasions; spans
// are CODE POINTS of the original text, [begin, end). Passes, each skipping
// text an earlier one claimed:
//  1. e-mail addresses (local@domain.tld);
//  2. URLs: http(s)://..., www...., and scheme-less host.tld/path
//     (wa.me/N, t.me/name, facebook.com/Page, bit.ly/x); a URL that names a
//     handle or phone (wa.me, t.me, profile links) carries it in `derived`;
//  3. payment identifiers, each only if node/normalize accepts its
//     checksum: wallets (Ethereum 0x + 40 hex, EIP-55 when mixed case;
//     Bitcoin bech32/bech32m bc1..., base58check 1.../3...; TRON T...);
//     IBANs (a country code and check digits, then as many characters as
//     the country's registered length, groups split by spaces, dashes or
//     dots; mod 97); IMEIs only after an "IMEI"/"IMEISV" label (15 digits,
//     Luhn; 16 after IMEISV; a number run on into a price ends at the group
//     after its last digit), since a bare Luhn-valid number is as likely
//     an order number. Digits of any script (the shadow maps them); a label
//     glued to the number ("IBANDE89...", "IMEI3520...") is split off by
//     the shadow as a glued contact word is.
//  4. handles: a platform word in one of several languages and scripts
//     ("telegram", "تلگرام", "تيليجرام", "insta", "snap", "ቴሌግራም", ...;
//     table in extractor.cc) followed by ':' or '@' and a name, or a
//     non-Latin platform word, a space and a Latin name with '_', '.' or a
//     digit ("تلگرام safar_rahat");
//  5. phone numbers: libphonenumber's PhoneNumberMatcher (leniency VALID)
//     over the shadow text, with the default region of Options (without a
//     region only +CC / 00CC numbers are found).
// A candidate the normaliser refuses is dropped (counted in `rejected`); a
// canonical value on the normaliser's warning list is kept with `warning`
// set (ingest refuses it).
//
// Not handled (known): numbers written out in words ("zero five three...",
// "sıfır beş"), digits interleaved with letters other than O/l/I or
// separated by 'x'/'*', look-alike letters for digits (Cyrillic З for 3),
// unbracketed "name at domain dot com", bare "@name" without a platform
// word, Latin platform words without ':' or '@', handles in non-Latin
// scripts, URLs with spaces inside ("wa . me / N" yields only the number),
// numbers split across two posts or drawn in images.
#ifndef IFED_EXTRACT_EXTRACTOR_H_
#define IFED_EXTRACT_EXTRACTOR_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "node/common/indicator_type.h"
#include "node/extract/shadow.h"
#include "node/normalize/normalizer.h"

namespace ifed::extract {

// Largest post accepted (bytes); longer text is refused, not truncated.
inline constexpr size_t kMaxPostBytes = 64 << 10;

struct ExtractOptions {
  // ISO 3166-1 alpha-2 region for national phone numbers ("TR"); empty:
  // only international numbers.
  std::string region;
};

struct Indicator {
  IndicatorType type = IndicatorType::kUnspecified;  // canonical type.
  std::string canonical;
  // What was handed to the normaliser (shadow text: ASCII digits).
  std::string raw;
  Span span;                 // code points of the original post text.
  uint32_t evasions = 0;     // Evasion bits.
  std::string warning;       // warning-list reason, if any (value or derived).
  std::vector<normalize::Canonical> derived;  // handle/phone a URL names, ...
};

struct Extraction {
  std::vector<Indicator> indicators;  // in text order; one per occurrence.
  uint32_t rejected = 0;              // candidates the normaliser refused.
};

// Thread-safe after Create.
class Extractor {
 public:
  // `normalizer` is not owned and must outlive the extractor.
  static absl::StatusOr<std::unique_ptr<Extractor>> Create(
      const normalize::Normalizer* normalizer);
  ~Extractor();
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  // InvalidArgument: not UTF-8 (names the byte offset) or over kMaxPostBytes.
  absl::StatusOr<Extraction> Extract(std::string_view text, const ExtractOptions& options) const;

 private:
  struct Impl;
  explicit Extractor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ifed::extract

#endif  // IFED_EXTRACT_EXTRACTOR_H_
