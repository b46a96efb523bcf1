// Internal entry points of the per-type normalisers. Every function expects
// input that already passed CheckInput() (valid UTF-8, length-capped) and
// returns InvalidArgument with a reason that never quotes the input.
#ifndef IFED_NORMALIZE_INTERNAL_H_
#define IFED_NORMALIZE_INTERNAL_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "node/normalize/normalizer.h"
#include "node/normalize/text.h"

namespace i18n::phonenumbers {
class ShortNumberInfo;
}  // namespace i18n::phonenumbers

namespace ifed::normalize::internal {

// Phone numbers through libphonenumber. Thread-safe after Create().
class Phones {
 public:
  static absl::StatusOr<std::unique_ptr<Phones>> Create(const Unicode* unicode);
  ~Phones();
  Phones(const Phones&) = delete;
  Phones& operator=(const Phones&) = delete;

  // Any phone spelling (national with options.default_region, +CC, 00CC,
  // "(0)", tel:, wa.me/, api.whatsapp.com/send?phone=) -> E.164.
  absl::StatusOr<std::string> ToE164(std::string_view raw,
                                     const Options& options) const;
  // Digits of an international number without "+" (wa.me links, WhatsApp
  // and Viber IDs) -> E.164.
  absl::StatusOr<std::string> InternationalDigitsToE164(
      std::string_view digits) const;

 private:
  Phones(const Unicode* unicode,
         std::unique_ptr<i18n::phonenumbers::ShortNumberInfo> short_info);
  absl::StatusOr<std::string> ParseToE164(const std::string& number,
                                          const std::string& region) const;
  const Unicode* unicode_;
  std::unique_ptr<i18n::phonenumbers::ShortNumberInfo> short_info_;
};

// A URL split into its normalised parts (see url.cc for the rules).
struct UrlParts {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower-case ASCII (punycode), platform hosts folded
  std::string port;    // empty when default
  std::string path;    // starts with "/", dot-segments resolved
  std::vector<std::pair<std::string, std::string>> query;  // tracking removed
  std::string fragment;  // kept here for platform parsers; dropped in output
  std::string Serialize() const;
};

// Parses and normalises an http(s) URL; a scheme-less "host/path" is taken
// as https. `app_schemes` also admits whatsapp:, viber:, sgnl: and tg: links
// (used to derive phones and handles, never as a canonical URL).
absl::StatusOr<UrlParts> ParseUrl(const Unicode& unicode, std::string_view raw,
                                  bool app_schemes = false);
// Decoded value of the first query parameter `name`, if present.
std::optional<std::string> QueryValue(const UrlParts& url,
                                      std::string_view name);
// Decodes every %XX escape (input already validated by ParseUrl).
std::string PercentDecode(std::string_view s);
absl::StatusOr<std::string> NormalizeUrl(const Unicode& unicode,
                                         std::string_view raw);

// If `url` names a phone number (wa.me, api.whatsapp.com/send, viber,
// signal.me, t.me/+digits), returns its international digits.
std::optional<std::string> PhoneDigitsFromUrl(const UrlParts& url);

absl::StatusOr<Canonical> NormalizeHandle(const Unicode& unicode,
                                          const Phones& phones,
                                          std::string_view raw,
                                          const Options& options);
absl::StatusOr<std::string> NormalizeEmail(const Unicode& unicode,
                                           std::string_view raw,
                                           const Options& options);
absl::StatusOr<std::string> NormalizeIban(const Unicode& unicode,
                                          std::string_view raw);
absl::StatusOr<std::string> NormalizeWallet(const Unicode& unicode,
                                            std::string_view raw);
absl::StatusOr<std::string> NormalizeImei(const Unicode& unicode,
                                          std::string_view raw);

}  // namespace ifed::normalize::internal

#endif  // IFED_NORMALIZE_INTERNAL_H_
