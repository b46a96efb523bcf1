// Normalisation: raw indicator value + type (+ default region for phones)
// -> canonical string, or an error. Two spellings of one real-world
// identifier yield one canonical form; garbage is rejected, never stored.
//
// Error messages never contain the raw value (it would reach logs and peers):
// they name the rule that failed ("not a valid number for region DE",
// "handle too long for instagram (max 30)").
#ifndef IFED_NORMALIZE_NORMALIZER_H_
#define IFED_NORMALIZE_NORMALIZER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "node/common/indicator_type.h"

namespace ifed::normalize {

struct Options {
  // ISO 3166-1 alpha-2 region for national phone numbers ("DE"); empty means
  // only international forms (+CC..., 00CC...) are accepted.
  std::string default_region;
  // Accept vanity letters in phone numbers (0800-FLOWERS).
  bool allow_vanity = false;
  // Apply provider-specific e-mail rules (gmail dots and +tags).
  bool email_provider_rules = false;
};

struct Canonical {
  // The type of the canonical value: may differ from the requested one
  // (a whatsapp handle is a phone number).
  IndicatorType type = IndicatorType::kUnspecified;
  std::string value;
};

// Thread-safe after construction; one instance serves the whole process.
class Normalizer {
 public:
  static absl::StatusOr<std::unique_ptr<Normalizer>> Create();
  ~Normalizer();
  Normalizer(const Normalizer&) = delete;
  Normalizer& operator=(const Normalizer&) = delete;

  // InvalidArgument with a reason on bad input.
  absl::StatusOr<Canonical> Normalize(IndicatorType type, std::string_view raw,
                                      const Options& options) const;

 private:
  struct Impl;
  explicit Normalizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ifed::normalize

#endif  // IFED_NORMALIZE_NORMALIZER_H_
