// libFuzzer target for every normaliser (build: tests/fuzz.sh, which sets
// -DIFED_FUZZ=ON with clang; seeds in testdata/normalize_fuzz_corpus/).
// Input: byte 0 picks the type (and options), the rest is the raw value.
// Properties, checked with abort() so libFuzzer reports them:
//  - no crash or sanitizer report;
//  - idempotence: every accepted canonical value (and every derived one)
//    normalises to itself under its own type;
//  - an error message never contains the input (when the input is long
//    enough that a chance substring match is implausible, and a marker put
//    around the input shows up too: an input made of message text is no echo).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "node/normalize/normalizer.h"

namespace {

using ifed::IndicatorType;
using ifed::normalize::Canonical;
using ifed::normalize::Normalizer;
using ifed::normalize::Options;

const Normalizer& N() {
  static const Normalizer* n = Normalizer::Create().value().release();
  return *n;
}

void CheckFixedPoint(const Canonical& c) {
  absl::StatusOr<Canonical> again = N().Normalize(c.type, c.value, Options{});
  if (!again.ok() || again->type != c.type || again->value != c.value) abort();
}

// The message contained the input, but the fuzzer can build an input out of
// a fixed message ("ess fails its checksum or" is inside the wallet reason).
// A real echo also quotes a marker put around the input; a fixed one cannot.
bool EchoesInput(IndicatorType type, std::string_view raw,
                 const Options& options) {
  static constexpr std::string_view kMarker = "QZXJQMARK";
  for (const std::string& marked :
       {std::string(kMarker) + std::string(raw),
        std::string(raw) + std::string(kMarker)}) {
    absl::StatusOr<Canonical> c = N().Normalize(type, marked, options);
    if (!c.ok() &&
        std::string(c.status().message()).find(kMarker) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  const std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto type = static_cast<IndicatorType>(1 + selector % 7);
  Options options;
  static const char* kRegions[] = {"", "DE", "US", "GB", "HU"};
  static const char* kPlatforms[] = {"", "facebook", "telegram", "whatsapp"};
  options.default_region = kRegions[(selector / 7) % 5];
  options.platform = kPlatforms[(selector / 35) % 4];
  options.email_provider_rules = (selector & 0x80) != 0;
  absl::StatusOr<Canonical> c = N().Normalize(type, raw, options);
  if (!c.ok()) {
    // absl::string_view is not std::string_view on Debian's Abseil.
    const std::string msg(c.status().message());
    if (raw.size() >= 8 && msg.find(raw) != std::string::npos &&
        EchoesInput(type, raw, options)) {
      abort();
    }
    return 0;
  }
  CheckFixedPoint(*c);
  for (const Canonical& d : c->derived) CheckFixedPoint(d);
  return 0;
}
