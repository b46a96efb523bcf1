#include "node/ingest/row.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/time/time.h"

namespace ifed::ingest {

std::optional<Tlp> ParseTlpName(std::string_view in) {
  std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(absl::string_view(in.data(), in.size())));
  if (s.rfind("tlp:", 0) == 0) s = s.substr(4);
  if (s == "clear" || s == "white") return Tlp::kClear;
  if (s == "green") return Tlp::kGreen;
  if (s == "amber") return Tlp::kAmber;
  if (s == "amber+strict") return Tlp::kAmberStrict;
  if (s == "red") return Tlp::kRed;
  return std::nullopt;
}

std::optional<int64_t> ParseTimestamp(std::string_view s) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(s), &t, &err)) return std::nullopt;
  return absl::ToUnixSeconds(t);
}

}  // namespace ifed::ingest
