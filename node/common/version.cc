#include "node/common/version.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/common/build_info.h"

namespace ifed::version {
namespace {

bool SafeToken(absl::string_view v) {
  if (v.empty() || v.size() > 40) return false;
  for (char c : v) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '+' && c != '_' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::string_view Release() { return build_info::kRelease; }
absl::string_view Commit() { return build_info::kCommit; }

std::string VersionText(absl::string_view program, uint32_t canon_version) {
  return absl::StrCat(program, " ", Release(), "\ncommit ", Commit(), "\ncanonical version ",
                      canon_version, "\nwire protocol ", kWireProtocolVersion, "\n");
}

std::string VersionMetadata(uint32_t canon_version) {
  return absl::StrCat("release=", Release(), " commit=", Commit(), " canon=", canon_version,
                      " wire=", kWireProtocolVersion);
}

PeerVersion ParseVersionMetadata(absl::string_view value) {
  PeerVersion out;
  if (value.size() > 256) return out;
  for (absl::string_view field : absl::StrSplit(value, ' ', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(field, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || !SafeToken(kv[1])) continue;
    if (kv[0] == "release") {
      out.release = std::string(kv[1]);
    } else if (kv[0] == "commit") {
      out.commit = std::string(kv[1]);
    } else if (kv[0] == "canon") {
      if (!absl::SimpleAtoi(kv[1], &out.canon_version)) out.canon_version = 0;
    } else if (kv[0] == "wire") {
      if (!absl::SimpleAtoi(kv[1], &out.wire_version)) out.wire_version = 0;
    }
  }
  return out;
}

}  // namespace ifed::version
