// What a binary is: the release, the git commit it was built from, and the
// versions that must agree across a federation (the canonicalisation rules
// and the wire protocol). `--version` of every binary prints VersionText;
// a node announces VersionMetadata to peers that check its health.
#ifndef IFED_COMMON_VERSION_H_
#define IFED_COMMON_VERSION_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

namespace ifed::version {

// The wire protocol: the major version of the protobuf packages (ifed.v1).
// Bump it only with a new package (ifed.v2) that old nodes cannot read.
inline constexpr uint32_t kWireProtocolVersion = 1;

// The release (the CMake project version, "0.1.0").
absl::string_view Release();
// The git commit of the source tree at build time (12 hex digits, with
// "-dirty" when tracked files were modified), or "unknown" when the source
// is not a git checkout (a release tarball).
absl::string_view Commit();

// The lines `--version` prints, e.g.
//   ifedctl 0.1.0
//   commit 1a2b3c4d5e6f
//   canonical version 1
//   wire protocol 1
// canon_version is normalize::kCanonicalVersion (common does not link the
// normaliser).
std::string VersionText(absl::string_view program, uint32_t canon_version);

// Initial-metadata key and value a node attaches to its health answers:
// "release=0.1.0 commit=1a2b3c4d5e6f canon=1 wire=1".
inline constexpr char kMetadataKey[] = "ifed-version";
std::string VersionMetadata(uint32_t canon_version);

struct PeerVersion {
  std::string release;  // "" when not announced
  std::string commit;
  uint32_t canon_version = 0;  // 0 when not announced
  uint32_t wire_version = 0;
};
// Parses a peer's VersionMetadata. The value comes from another node: keys
// it does not know are skipped, values are cut to 40 characters and may
// only hold [0-9A-Za-z.+_-] (anything else empties the field).
PeerVersion ParseVersionMetadata(absl::string_view value);

}  // namespace ifed::version

#endif  // IFED_COMMON_VERSION_H_
