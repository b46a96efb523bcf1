// Per-node issuer pins of PeerChainVerifier (an identity belongs to its
// issuer): certificates made with certs/make-certs.sh, a federation root
// with two agency intermediates (AT, HU).
#include "node/federation/transport/peer_verifier.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ifed::federation {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class IssuerPinTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/ifed-pins-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    const char* src = std::getenv("IFED_SOURCE_DIR");
    ASSERT_NE(src, nullptr) << "IFED_SOURCE_DIR is not set";
    const std::string mk = std::string(src) + "/certs/make-certs.sh";
    const std::string d = *dir_;
    auto sh = [&](const std::string& args) {
      const std::string cmd = "cd " + d + " && " + mk + " " + args + " >/dev/null";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    };
    sh("ca root t.eu");
    sh("intermediate at-ca t.eu --ca-dir root --name 'AT agency CA'");
    sh("intermediate hu-ca t.eu --ca-dir root --name 'HU agency CA'");
    sh("node at-ca t.eu at");                       // the real at
    sh("node forged t.eu at --ca-dir hu-ca");       // HU's CA minting "at"
    sh("node hu-ca t.eu hu");                       // the real hu
    sh("node root t.eu de");                        // straight from the root
    sh("node expired t.eu at --ca-dir at-ca --not-before 20200101000000Z "
       "--not-after 20200201000000Z");
    sh("node revoked t.eu at --ca-dir at-ca");
    sh("crl root");
    sh("crl hu-ca");
    sh("crl at-ca --revoke revoked/at.pem");
    fs::create_directories(d + "/crls");
    fs::copy_file(d + "/root/crl/ca.crl.pem", d + "/crls/root.pem");
    fs::copy_file(d + "/at-ca/crl/ca.crl.pem", d + "/crls/at.pem");
    fs::copy_file(d + "/hu-ca/crl/ca.crl.pem", d + "/crls/hu.pem");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  static PeerChainVerifier::Options Pinned(bool crls = false) {
    const std::string d = *dir_;
    return {.ca_file = d + "/root/ca.pem",
            .crl_dir = crls ? d + "/crls" : "",
            .issuers = {{"AT agency", d + "/at-ca/ca.pem", {"at"}},
                        {"HU agency", d + "/hu-ca/ca.pem", {"hu"}},
                        {"federation root", d + "/root/ca.pem", {"de"}}},
            .trust_domain = "t.eu"};
  }
  static std::string Cert(const std::string& rel) { return Slurp(*dir_ + "/" + rel); }

  static std::string* dir_;
};
std::string* IssuerPinTest::dir_ = nullptr;

TEST_F(IssuerPinTest, RightIssuerIsAccepted) {
  PeerChainVerifier v(Pinned());
  ASSERT_TRUE(v.Reload().ok()) << v.Reload();
  const std::string at = Cert("at-ca/at.pem");  // leaf + AT intermediate
  EXPECT_TRUE(v.CheckNode("at", at, at).ok()) << v.CheckNode("at", at, at);
  EXPECT_TRUE(v.CheckNodeChain("at", at).ok()) << v.CheckNodeChain("at", at);
  EXPECT_TRUE(v.CheckNodeChain("hu", Cert("hu-ca/hu.pem")).ok());
  EXPECT_TRUE(v.CheckNodeChain("de", Cert("root/de.pem")).ok());
}

TEST_F(IssuerPinTest, WrongIssuerIsRefused) {
  PeerChainVerifier v(Pinned());
  const std::string forged = Cert("forged/at.pem");  // HU's CA naming at
  absl::Status s = v.CheckNode("at", forged, forged);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("must be issued by AT agency"), std::string::npos) << s;
  EXPECT_FALSE(v.CheckNodeChain("at", forged).ok());
  // The root pinned for de does not let de's pin pass a node of an agency.
  EXPECT_FALSE(v.CheckNodeChain("hu", Cert("root/de.pem")).ok());
}

TEST_F(IssuerPinTest, WithoutPinsTheSharedRootIssuesAnyNode) {
  PeerChainVerifier v({.ca_file = *dir_ + "/root/ca.pem", .trust_domain = "t.eu"});
  const std::string forged = Cert("forged/at.pem");
  EXPECT_TRUE(v.CheckNodeChain("at", forged).ok());
  EXPECT_TRUE(v.CheckNodeChain("de", Cert("root/de.pem")).ok());
}

TEST_F(IssuerPinTest, UnknownPeerIsRefusedOncePinsExist) {
  PeerChainVerifier v(Pinned());
  const std::string d = *dir_;
  ASSERT_EQ(std::system(("cd " + d + " && " + std::getenv("IFED_SOURCE_DIR") +
                         "/certs/make-certs.sh node stray t.eu zz --ca-dir at-ca >/dev/null")
                            .c_str()),
            0);
  absl::Status s = v.CheckNodeChain("zz", Cert("stray/zz.pem"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("no issuer is configured for node zz"), std::string::npos) << s;
}

TEST_F(IssuerPinTest, CertificateMustNameTheNode) {
  PeerChainVerifier v(Pinned());
  absl::Status s = v.CheckNodeChain("hu", Cert("at-ca/at.pem"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("does not name node hu"), std::string::npos) << s;
}

TEST_F(IssuerPinTest, ExpiredIsRefusedUnderTheRightIssuer) {
  PeerChainVerifier v(Pinned());
  absl::Status s = v.CheckNodeChain("at", Cert("expired/at.pem"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("expired"), std::string::npos) << s;
}

TEST_F(IssuerPinTest, RevokedIsRefusedAndCrlsStillApply) {
  PeerChainVerifier v(Pinned(/*crls=*/true));
  ASSERT_TRUE(v.Reload().ok()) << v.Reload();
  EXPECT_TRUE(v.CheckNodeChain("at", Cert("at-ca/at.pem")).ok())
      << v.CheckNodeChain("at", Cert("at-ca/at.pem"));
  absl::Status s = v.CheckNodeChain("at", Cert("revoked/at.pem"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("revoked"), std::string::npos) << s;
}

TEST_F(IssuerPinTest, DerChainsAreAccepted) {
  PeerChainVerifier v(Pinned());
  const std::string d = *dir_;
  ASSERT_EQ(std::system(("cd " + d + " && openssl x509 -in at-ca/at.pem -outform DER -out at.der"
                         " && openssl x509 -in at-ca/ca.pem -outform DER -out atca.der"
                         " && cat at.der atca.der > chain.der")
                            .c_str()),
            0);
  EXPECT_TRUE(v.CheckNodeChain("at", Cert("chain.der")).ok()) << v.CheckNodeChain("at", Cert("chain.der"));
  // The leaf alone cannot reach the root.
  EXPECT_FALSE(v.CheckNodeChain("at", Cert("at.der")).ok());
  EXPECT_FALSE(v.CheckNodeChain("at", "not a certificate").ok());
  EXPECT_FALSE(v.CheckNodeChain("at", "").ok());
}

TEST_F(IssuerPinTest, BadPinConfigurationFailsClosed) {
  const std::string d = *dir_;
  PeerChainVerifier missing({.ca_file = d + "/root/ca.pem",
                             .issuers = {{"AT", d + "/nope.pem", {"at"}}}});
  EXPECT_FALSE(missing.Reload().ok());
  EXPECT_FALSE(missing.CheckNodeChain("at", Cert("at-ca/at.pem")).ok());
  PeerChainVerifier twice({.ca_file = d + "/root/ca.pem",
                           .issuers = {{"AT", d + "/at-ca/ca.pem", {"at"}},
                                       {"HU", d + "/hu-ca/ca.pem", {"at"}}}});
  absl::Status s = twice.Reload();
  EXPECT_NE(s.message().find("pinned to two issuers"), std::string::npos) << s;
  PeerChainVerifier leaf_pin({.ca_file = d + "/root/ca.pem",
                              .issuers = {{"AT", d + "/at-ca/at.pem", {"at"}}}});
  EXPECT_FALSE(leaf_pin.Reload().ok());
}

TEST_F(IssuerPinTest, VerifyNodeChainUsesTheInstalledTrust) {
  InstallNodeTrust(nullptr);
  EXPECT_EQ(VerifyNodeChain("at", Cert("at-ca/at.pem")).code(),
            absl::StatusCode::kFailedPrecondition);
  InstallNodeTrust(std::make_shared<PeerChainVerifier>(Pinned()));
  EXPECT_TRUE(VerifyNodeChain("at", Cert("at-ca/at.pem")).ok());
  EXPECT_FALSE(VerifyNodeChain("at", Cert("forged/at.pem")).ok());
  InstallNodeTrust(nullptr);
}

}  // namespace
}  // namespace ifed::federation
