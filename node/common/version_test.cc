#include "node/common/version.h"

#include <gtest/gtest.h>

namespace ifed::version {
namespace {

TEST(VersionTest, TextNamesEveryVersion) {
  const std::string t = VersionText("ifedctl", 7);
  EXPECT_EQ(t.rfind("ifedctl ", 0), 0u) << t;
  EXPECT_NE(t.find(std::string(Release())), std::string::npos) << t;
  EXPECT_NE(t.find("commit " + std::string(Commit())), std::string::npos) << t;
  EXPECT_NE(t.find("canonical version 7\n"), std::string::npos) << t;
  EXPECT_NE(t.find("wire protocol 1\n"), std::string::npos) << t;
  EXPECT_FALSE(Commit().empty());
}

TEST(VersionTest, MetadataRoundTrips) {
  PeerVersion v = ParseVersionMetadata(VersionMetadata(3));
  EXPECT_EQ(v.release, Release());
  EXPECT_EQ(v.commit, Commit());
  EXPECT_EQ(v.canon_version, 3u);
  EXPECT_EQ(v.wire_version, kWireProtocolVersion);
}

TEST(VersionTest, HostileMetadataIsDropped) {
  PeerVersion v = ParseVersionMetadata("release=1.0\n commit=$(rm) canon=x wire=2 extra=1 =");
  EXPECT_EQ(v.release, "");  // "1.0\n" holds a control character
  EXPECT_EQ(v.commit, "");
  EXPECT_EQ(v.canon_version, 0u);
  EXPECT_EQ(v.wire_version, 2u);
  EXPECT_EQ(ParseVersionMetadata(std::string(300, 'a')).release, "");
  EXPECT_EQ(ParseVersionMetadata("release=" + std::string(41, '1')).release, "");
  EXPECT_EQ(ParseVersionMetadata("").canon_version, 0u);
}

}  // namespace
}  // namespace ifed::version
