#include "node/extract/shadow.h"

#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <array>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ifed::extract {
namespace {

constexpr UChar32 kVariationSelector16 = 0xFE0F;
constexpr UChar32 kCombiningKeycap = 0x20E3;

// Contact words that smugglers glue to a number ("whatsapp0532..."), and
// the labels of the identifiers written after them ("IMEI352099...").
constexpr std::array<std::string_view, 16> kContactWords = {
    "whatsapp", "whatsap", "watsapp", "watsap", "vatsap",  "wtsp", "wa",   "viber",
    "tel",      "tlf",     "phone",   "call",   "telefon", "numara", "imei", "imeisv"};

bool IsDigit(UChar32 c) { return u_charType(c) == U_DECIMAL_DIGIT_NUMBER; }
bool IsSubstitute(UChar32 c) { return c == 'O' || c == 'o' || c == 'l' || c == 'I'; }

// "IBANDE89 3704...": the label glued to an IBAN's country code and check
// digits (the rest of the word may hold letters: "IBANIQ98NBIQ...").
bool IbanLabelGlued(const std::vector<UChar32>& cps, size_t b, size_t e) {
  if (e - b < 8) return false;
  for (size_t i = 0; i < 4; ++i) {
    if (cps[b + i] > 0x7f || absl::ascii_tolower(static_cast<char>(cps[b + i])) != "iban"[i]) {
      return false;
    }
  }
  auto upper = [](UChar32 c) { return c >= 'A' && c <= 'Z'; };
  return upper(cps[b + 4]) && upper(cps[b + 5]) && IsDigit(cps[b + 6]) && IsDigit(cps[b + 7]);
}

// Per code point: 0 = as is, '0'/'1' = letter read as that digit; and the
// code point before which a space goes (glued contact word).
struct WordMarks {
  std::vector<char> digit_for;
  std::vector<bool> space_before;
};

WordMarks AnalyseWords(const std::vector<UChar32>& cps) {
  WordMarks marks{std::vector<char>(cps.size(), 0), std::vector<bool>(cps.size(), false)};
  icu::UnicodeString us;
  std::vector<uint32_t> cp_of;  // UTF-16 index -> code point index.
  for (size_t i = 0; i < cps.size(); ++i) {
    us.append(cps[i]);
    while (cp_of.size() < static_cast<size_t>(us.length())) cp_of.push_back(i);
  }
  cp_of.push_back(cps.size());
  thread_local std::unique_ptr<icu::BreakIterator> words;
  if (words == nullptr) {
    UErrorCode status = U_ZERO_ERROR;
    words.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) {
      words.reset();
      return marks;  // no word analysis: no letter is read as a digit.
    }
  }
  words->setText(us);
  int32_t start = words->first();
  for (int32_t end = words->next(); end != icu::BreakIterator::DONE;
       start = end, end = words->next()) {
    const int32_t rule = words->getRuleStatus();
    // ICU labels "6l4" a number and "2ool" a word: look at every non-space segment.
    if (rule < UBRK_WORD_NUMBER || rule >= UBRK_WORD_IDEO_LIMIT) continue;
    const size_t b = cp_of[start], e = cp_of[end];
    size_t digits = 0, subs = 0, others = 0, first_digit = e;
    for (size_t i = b; i < e; ++i) {
      if (IsDigit(cps[i])) {
        ++digits;
        if (first_digit == e) first_digit = i;
      } else if (IsSubstitute(cps[i])) {
        ++subs;
      } else {
        ++others;
      }
    }
    if (digits == 0) continue;
    if (others == 0 && subs <= digits) {  // "17O", "0l76": letters inside a digit run.
      for (size_t i = b; i < e; ++i) {
        if (IsSubstitute(cps[i])) marks.digit_for[i] = (cps[i] == 'O' || cps[i] == 'o') ? '0' : '1';
      }
      continue;
    }
    if (IbanLabelGlued(cps, b, e)) {
      marks.space_before[b + 4] = true;
      continue;
    }
    // "whatsapp0532...": a contact word, then digits only.
    bool all_digits_after = first_digit > b;
    for (size_t i = first_digit; i < e && all_digits_after; ++i) all_digits_after = IsDigit(cps[i]);
    if (!all_digits_after) continue;  // Arabizi and other letter-digit words stay as written.
    std::string prefix;
    for (size_t i = b; i < first_digit; ++i) {
      if (cps[i] > 0x7f) {
        prefix.clear();
        break;
      }
      prefix.push_back(absl::ascii_tolower(static_cast<char>(cps[i])));
    }
    for (std::string_view w : kContactWords) {
      if (prefix == w) marks.space_before[first_digit] = true;
    }
  }
  return marks;
}

// "[at]" / "(dot)" / "(.)" ... at cps[i], with the spaces around it: the
// replacement ('@' or '.') and the end of the match, or 0.
char Bracketed(const std::vector<UChar32>& cps, size_t i, size_t* end) {
  size_t j = i;
  while (j < cps.size() && cps[j] == ' ') ++j;
  if (j >= cps.size()) return 0;
  const UChar32 open = cps[j];
  const UChar32 close = open == '[' ? ']' : open == '(' ? ')' : open == '{' ? '}' : 0;
  if (close == 0) return 0;
  std::string word;
  size_t k = j + 1;
  for (; k < cps.size() && cps[k] != close && word.size() < 4; ++k) {
    if (cps[k] > 0x7f) return 0;
    word.push_back(absl::ascii_tolower(static_cast<char>(cps[k])));
  }
  if (k >= cps.size() || cps[k] != close) return 0;
  const char r = word == "at" || word == "@" ? '@' : word == "dot" || word == "." ? '.' : 0;
  if (r == 0) return 0;
  ++k;
  while (k < cps.size() && cps[k] == ' ') ++k;
  *end = k;
  return r;
}

}  // namespace

std::string EvasionNames(uint32_t flags) {
  static constexpr const char* kNames[] = {"non-ascii-digits", "full-width", "keycap",
                                           "letter-digits",    "invisible",  "separated",
                                           "glued",            "platform-word", "bracketed"};
  std::vector<std::string> out;
  for (int i = 0; i < 9; ++i) {
    if (flags & (1u << i)) out.push_back(kNames[i]);
  }
  return absl::StrJoin(out, ",");
}

void ShadowText::Emit(std::string_view bytes, uint32_t begin_cp, uint32_t end_cp,
                      uint32_t flags) {
  for (char c : bytes) {
    shadow_.push_back(c);
    begin_.push_back(begin_cp);
    end_.push_back(end_cp);
    flags_.push_back(static_cast<uint16_t>(flags));
  }
}

absl::StatusOr<ShadowText> ShadowText::Build(std::string_view text) {
  std::vector<UChar32> cps;
  cps.reserve(text.size());
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t n = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < n;) {
    const int32_t at = i;
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0) return absl::InvalidArgumentError(absl::StrCat("not valid UTF-8 at byte ", at));
    cps.push_back(c);
  }
  const WordMarks marks = AnalyseWords(cps);
  ShadowText out;
  out.cp_count_ = cps.size();
  out.shadow_.reserve(text.size());
  char buf[U8_MAX_LENGTH];
  for (size_t i = 0; i < cps.size(); ++i) {
    const UChar32 c = cps[i];
    const auto at = static_cast<uint32_t>(i);
    const uint32_t glued = marks.space_before[i] ? static_cast<uint32_t>(kGlued) : 0u;
    if (glued) out.Emit(" ", at, at, kGlued);
    // Keycap: a digit, an optional VS16, then U+20E3.
    if (c >= '0' && c <= '9') {
      size_t j = i + 1;
      if (j < cps.size() && cps[j] == kVariationSelector16) ++j;
      if (j < cps.size() && cps[j] == kCombiningKeycap) {
        out.Emit(std::string(1, static_cast<char>(c)), at, static_cast<uint32_t>(j + 1), kKeycap | glued);
        i = j;
        continue;
      }
    }
    if (c == ' ' || c == '[' || c == '(' || c == '{') {
      size_t end = 0;
      if (const char r = Bracketed(cps, i, &end)) {
        out.Emit(std::string(1, r), at, static_cast<uint32_t>(end), kBracketed);
        i = end - 1;
        continue;
      }
    }
    if (marks.digit_for[i] != 0) {
      out.Emit(std::string(1, marks.digit_for[i]), at, at + 1, kLetterDigits);
      continue;
    }
    if (c > 0x7f && IsDigit(c)) {
      const bool full = c >= 0xFF10 && c <= 0xFF19;
      out.Emit(std::string(1, static_cast<char>('0' + u_charDigitValue(c))), at, at + 1,
               (full ? kFullWidth : kNonAsciiDigits) | glued);
      continue;
    }
    // Circled, parenthesised, superscript and subscript digits (Unicode No
    // with a value 0-9: ⑤ ⁵ ₅ ⓪), as NFKC would read them.
    if (c > 0x7f && u_charType(c) == U_OTHER_NUMBER) {
      const double v = u_getNumericValue(c);
      if (v >= 0 && v <= 9 && v == static_cast<int>(v)) {
        out.Emit(std::string(1, static_cast<char>('0' + static_cast<int>(v))), at, at + 1,
                 kNonAsciiDigits | glued);
        continue;
      }
    }
    if (c >= 0xFF01 && c <= 0xFF5E) {
      out.Emit(std::string(1, static_cast<char>(c - 0xFEE0)), at, at + 1, kFullWidth);
      continue;
    }
    if (c > 0x7f && u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) continue;
    if (c > 0x7f && u_charType(c) == U_SPACE_SEPARATOR) {
      out.Emit(" ", at, at + 1, 0);
      continue;
    }
    int32_t len = 0;
    U8_APPEND_UNSAFE(buf, len, c);
    out.Emit(std::string_view(buf, static_cast<size_t>(len)), at, at + 1, glued);
  }
  return out;
}

Span ShadowText::ToOriginal(size_t begin, size_t end) const {
  if (begin >= shadow_.size() || end <= begin) return {};
  end = std::min(end, shadow_.size());
  return Span{begin_[begin], end_[end - 1]};
}

uint32_t ShadowText::EvasionsOf(size_t begin, size_t end) const {
  uint32_t flags = 0;
  end = std::min(end, shadow_.size());
  for (size_t k = begin; k < end; ++k) {
    flags |= flags_[k];
    if (k + 1 < end && end_[k] < begin_[k + 1]) flags |= kInvisible;  // something dropped.
  }
  return flags;
}

}  // namespace ifed::extract
