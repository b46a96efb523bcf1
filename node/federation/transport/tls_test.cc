#include "node/federation/transport/tls.h"

#include <gtest/gtest.h>

namespace ifed::federation {
namespace {

TEST(Spiffe, RoundTrip) {
  EXPECT_EQ(SpiffeId("fed.eu", "de"), "spiffe://fed.eu/node/de");
  auto id = NodeIdFromSpiffe("spiffe://fed.eu/node/de-1", "fed.eu");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "de-1");
}

TEST(Spiffe, RefusesOtherDomainsAndShapes) {
  for (const char* uri : {"spiffe://other.eu/node/de", "spiffe://fed.eu/node/",
                          "spiffe://fed.eu/node/DE", "spiffe://fed.eu/node/de/x",
                          "spiffe://fed.eu/user/de", "https://fed.eu/node/de",
                          "spiffe://fed.eu.evil/node/de", "spiffe://fed.eu/node/-de"}) {
    EXPECT_EQ(NodeIdFromSpiffe(uri, "fed.eu").status().code(),
              absl::StatusCode::kPermissionDenied)
        << uri;
  }
  EXPECT_FALSE(NodeIdFromSpiffe("spiffe:///node/de", "").ok());
}

TEST(TlsFilesCheck, MissingFilesFailClosed) {
  TlsFiles f{"/nonexistent/ca.pem", "/nonexistent/c.pem", "/nonexistent/k.pem", ""};
  EXPECT_FALSE(CheckTlsFiles(f).ok());
  EXPECT_FALSE(CheckTlsFiles(TlsFiles{}).ok());
}

}  // namespace
}  // namespace ifed::federation
