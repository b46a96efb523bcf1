// libFuzzer target: any bytes as a post. The extractor must not crash, must
// refuse non-UTF-8 with InvalidArgument, and every span must lie inside the
// text with begin < end.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "node/extract/extractor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ifed::normalize::Normalizer* n =
      ifed::normalize::Normalizer::Create().value().release();
  static const ifed::extract::Extractor* e =
      ifed::extract::Extractor::Create(n).value().release();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* region : {"", "TR"}) {
    ifed::extract::ExtractOptions o;
    o.region = region;
    auto r = e->Extract(text, o);
    if (!r.ok()) {
      if (r.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
      continue;
    }
    for (const auto& i : r->indicators) {
      if (i.span.begin >= i.span.end || i.span.end > size) std::abort();
      if (i.canonical.empty()) std::abort();
    }
  }
  return 0;
}
