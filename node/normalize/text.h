// Internal text helpers shared by the normalisers: input checks, trimming,
// and the ICU-backed Unicode operations (NFKC, case fold, confusable
// detection, IDNA). Not part of the public interface.
#ifndef IFED_NORMALIZE_TEXT_H_
#define IFED_NORMALIZE_TEXT_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct UIDNA;
struct USpoofChecker;

namespace ifed::normalize::internal {

// Inputs longer than this are refused before any parsing.
inline constexpr size_t kMaxInputBytes = 2048;

// InvalidArgument with `reason`. The reason must never contain input bytes.
absl::Status Invalid(const char* reason);
absl::Status Invalid(const std::string& reason);

// OK if `raw` is well-formed UTF-8, at most kMaxInputBytes, not empty after
// trimming and free of control characters.
absl::Status CheckInput(std::string_view raw);

// Strips Unicode White_Space (ASCII spaces, NBSP, ideographic space...) from
// both ends.
std::string_view TrimSpace(std::string_view s);

std::string AsciiLower(std::string_view s);
std::string AsciiUpper(std::string_view s);
bool IsAscii(std::string_view s);
bool IsAsciiDigits(std::string_view s);
bool IsAsciiAlnum(char c);
// Removes `prefix` (ASCII, case-insensitive) from the front of *s if present.
bool ConsumePrefixIgnoreCase(std::string_view* s, std::string_view prefix);
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix);
// Every decimal digit of any script (Unicode Nd) becomes its ASCII digit.
std::string MapDigitsToAscii(std::string_view utf8);

// What the confusable check found.
enum class SpoofResult {
  kOk,
  kMixedScript,         // e.g. Cyrillic letters inside a Latin handle
  kWholeScriptLookalike,  // entirely another script, but reads as Latin
  kInvisible,           // invisible or mixed-number characters
};

// ICU-backed operations. Immutable after Create(); every method is
// thread-safe (ICU documents its Normalizer2, UTS46 and spoof-check
// functions as safe for concurrent use of one instance).
class Unicode {
 public:
  static absl::StatusOr<std::unique_ptr<Unicode>> Create();
  ~Unicode();
  Unicode(const Unicode&) = delete;
  Unicode& operator=(const Unicode&) = delete;

  absl::StatusOr<std::string> Nfkc(std::string_view utf8) const;
  // NFKC_Casefold: NFKC, full case folding, default-ignorables removed.
  absl::StatusOr<std::string> NfkcCaseFold(std::string_view utf8) const;
  SpoofResult CheckSpoof(std::string_view utf8) const;
  // UTS #46 ToASCII (non-transitional). `strict` applies STD3 rules
  // (letters, digits, hyphen only) as for mail domains; URL hosts use the
  // WHATWG setting (STD3 off) and are checked for forbidden code points.
  absl::StatusOr<std::string> DomainToAscii(std::string_view utf8,
                                            bool strict) const;

 private:
  Unicode() = default;
  UIDNA* idna_strict_ = nullptr;
  UIDNA* idna_lenient_ = nullptr;
  USpoofChecker* spoof_ = nullptr;
};

}  // namespace ifed::normalize::internal

#endif  // IFED_NORMALIZE_TEXT_H_
