// ShadowText: the normalised twin of a post in which extraction searches,
// with a map from every shadow byte back to the original text.
//
// The shadow undoes the spellings smugglers use to slip numbers past
// moderation, while the original text stays the evidence:
//  - every decimal digit of any script (Unicode Nd: Eastern Arabic ٠-٩,
//    Persian ۰-۹, full-width ０-９, Devanagari, mathematical 𝟎-𝟗, ...)
//    becomes its ASCII digit (ICU u_charDigitValue), and so do the other
//    numbers with a single-digit value (No: circled ⑤, superscript ⁵);
//  - a keycap emoji (1️⃣ = digit, U+FE0F, U+20E3) becomes its digit;
//  - full-width ASCII (U+FF01-U+FF5E) becomes ASCII, other space separators
//    (Zs) become ' ';
//  - default-ignorable code points (zero-width spaces and joiners, bidi
//    marks, variation selectors, soft hyphen) are dropped;
//  - inside a word (ICU word break) made of digits and the letters O/o (0)
//    and l/I (1) only, with at least as many real digits as letters, those
//    letters become digits ("17O 12З4" -> "170 ..."); any other word keeps
//    its letters, so Arabizi words (7abibi, 3arab, 2ool) never turn into
//    digit runs;
//  - a known contact word or identifier label glued to digits
//    ("whatsapp0532...", "IMEI3520...") gets a space before the digits, and
//    an "IBAN" label glued to an IBAN's country code ("IBANDE89...") one
//    before the country code;
//  - "[at]", "(at)", "{at}", "[@]" become '@' and "[dot]", "(dot)", "(.)",
//    "[.]" become '.', with the spaces around them ("name [at] host [dot]
//    net", "t(.)me/x"); bare " at " / " dot " are left alone (ordinary
//    words in English and French).
//
// Offsets: code points of the original text, [begin, end).
#ifndef IFED_EXTRACT_SHADOW_H_
#define IFED_EXTRACT_SHADOW_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ifed::extract {

// Evasion flags: which rewrites a found indicator's shadow text needed.
enum Evasion : uint32_t {
  kNonAsciiDigits = 1u << 0,  // Eastern Arabic, Persian or other Nd digits.
  kFullWidth = 1u << 1,       // full-width digits or ASCII.
  kKeycap = 1u << 2,          // keycap emoji digits.
  kLetterDigits = 1u << 3,    // O for 0, l/I for 1 inside a digit run.
  kInvisible = 1u << 4,       // zero-width or bidi characters removed.
  kSeparated = 1u << 5,       // digits spaced, dotted or dashed apart.
  kGlued = 1u << 6,           // digits glued to a contact word.
  kPlatformWord = 1u << 7,    // handle named by a platform word ("تلگرام: @x").
  kBracketed = 1u << 8,       // "[at]", "(dot)", "(.)" written for '@' and '.'.
};
// "eastern-digits,keycap": names of the set flags, in the order above.
std::string EvasionNames(uint32_t flags);

struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
};

class ShadowText {
 public:
  // InvalidArgument when `text` is not well-formed UTF-8 (the message names
  // the byte offset, never the text).
  static absl::StatusOr<ShadowText> Build(std::string_view text);

  const std::string& text() const { return shadow_; }  // UTF-8.
  size_t original_length() const { return cp_count_; }  // code points.
  // The original span of shadow bytes [begin, end) (end > begin).
  Span ToOriginal(size_t begin, size_t end) const;
  // Evasion flags of the shadow bytes [begin, end), including dropped
  // invisible characters between them.
  uint32_t EvasionsOf(size_t begin, size_t end) const;

 private:
  ShadowText() = default;
  void Emit(std::string_view bytes, uint32_t begin_cp, uint32_t end_cp, uint32_t flags);
  std::string shadow_;
  std::vector<uint32_t> begin_;  // per shadow byte: first original code point.
  std::vector<uint32_t> end_;    // per shadow byte: end (exclusive) in the original.
  std::vector<uint16_t> flags_;  // per shadow byte: Evasion bits.
  size_t cp_count_ = 0;
};

}  // namespace ifed::extract

#endif  // IFED_EXTRACT_SHADOW_H_
