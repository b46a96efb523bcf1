// Shared fixture of the normaliser tests: one Normalizer for the binary and
// a compact "value or !reason" rendering for table-driven cases.
#ifndef IFED_NORMALIZE_TEST_UTIL_H_
#define IFED_NORMALIZE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "node/normalize/normalizer.h"

namespace ifed::normalize::testing {

inline const Normalizer& TheNormalizer() {
  static const Normalizer* n = Normalizer::Create().value().release();
  return *n;
}

// The canonical value, or "!" + the error message.
inline std::string Norm(IndicatorType type, std::string_view raw,
                        const Options& options = {}) {
  absl::StatusOr<Canonical> c = TheNormalizer().Normalize(type, raw, options);
  if (!c.ok()) {
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    return "!" + std::string(c.status().message());
  }
  return c->value;
}

inline Options Region(std::string region) {
  Options o;
  o.default_region = std::move(region);
  return o;
}

inline Options OnPlatform(std::string platform) {
  Options o;
  o.platform = std::move(platform);
  return o;
}

// A table row: input, options, and the expected canonical value or, for a
// refusal, "!" and a fragment of the reason.
struct Case {
  std::string raw;
  Options options;
  std::string want;
};

inline void RunCases(IndicatorType type, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    const std::string got = Norm(type, c.raw, c.options);
    if (!c.want.empty() && c.want[0] == '!') {
      EXPECT_EQ(got.rfind("!", 0), 0u) << "accepted: " << c.raw << " -> " << got;
      EXPECT_NE(got.find(c.want.substr(1)), std::string::npos)
          << "input: " << c.raw << " reason: " << got;
    } else {
      EXPECT_EQ(got, c.want) << "input: " << c.raw;
    }
  }
}

}  // namespace ifed::normalize::testing

#endif  // IFED_NORMALIZE_TEST_UTIL_H_
