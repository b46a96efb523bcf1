#include "node/federation/oprf/oprf_key_statement.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace ifed::federation {
namespace {

constexpr char kDomain[] = "ifed-test.eu";
constexpr int64_t kNow = 1900000000;

// A federation CA with nodes de (the member), at (the querier) and hub, and
// an "evil" CA that also issues a "de", all made by certs/make-certs.sh.
class OprfKeyStatementTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/ifed-keystmt-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    const char* src = std::getenv("IFED_SOURCE_DIR");
    const std::string script = std::string(src != nullptr ? src : ".") + "/certs/make-certs.sh";
    auto run = [&](const std::string& args) {
      const std::string cmd = script + " " + args + " >/dev/null 2>&1";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    };
    std::filesystem::create_directories(*dir_ + "/ca");
    std::filesystem::create_directories(*dir_ + "/evil");
    run("ca " + *dir_ + "/ca " + kDomain);
    run("ca " + *dir_ + "/evil " + kDomain);
    for (const char* id : {"de", "at", "hub"}) {
      run("node " + *dir_ + "/ca " + kDomain + " " + id);
    }
    run("node " + *dir_ + "/evil " + kDomain + " de");
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    verifier_ = std::make_unique<PeerChainVerifier>(
        PeerChainVerifier::Options{.ca_file = *dir_ + "/ca/ca.pem", .crl_dir = ""});
  }
  static std::unique_ptr<audit::Signer> SignerOf(const std::string& ca, const std::string& id) {
    auto s = audit::Signer::Load(*dir_ + "/" + ca + "/" + id + ".key",
                                 *dir_ + "/" + ca + "/" + id + ".pem");
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // de's key for at, with an announced rotation, signed by `signer` as `node`.
  static ifed::v1::OprfPublicKeyResponse Announce(const audit::Signer& signer,
                                                  const std::string& node = "de",
                                                  const std::string& partner = "at",
                                                  int64_t now = kNow) {
    ifed::v1::OprfPublicKeyResponse r;
    r.set_public_key(std::string(1, '\2') + std::string(32, 'k'));
    r.set_suite("P256-SHA256");
    r.set_mode(1);
    r.set_key_epoch(1);
    r.set_next_public_key(std::string(1, '\3') + std::string(32, 'n'));
    r.set_next_activation(kNow + 3600);
    r.set_next_key_epoch(2);
    EXPECT_TRUE(SignOprfKey(signer, kDomain, node, partner, now, &r).ok());
    return r;
  }
  absl::Status Verify(const ifed::v1::OprfPublicKeyResponse& r, int64_t now = kNow) {
    return VerifyOprfKey(*verifier_, kDomain, "de", "at", now, r);
  }

  static std::string* dir_;
  std::unique_ptr<PeerChainVerifier> verifier_;
};

std::string* OprfKeyStatementTest::dir_ = nullptr;

TEST_F(OprfKeyStatementTest, TheMembersSignedKeyIsAccepted) {
  auto de = SignerOf("ca", "de");
  const auto r = Announce(*de);
  EXPECT_FALSE(r.signature().empty());
  EXPECT_NE(r.cert_chain_pem().find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_TRUE(Verify(r).ok()) << Verify(r);
  // Valid up to its end, with a little clock skew tolerated at the start.
  EXPECT_TRUE(Verify(r, kNow + kOprfKeyStatementSeconds).ok());
  EXPECT_TRUE(Verify(r, kNow - 60).ok());
}

TEST_F(OprfKeyStatementTest, AnUnsignedKeyIsRefused) {
  auto de = SignerOf("ca", "de");
  auto r = Announce(*de);
  r.clear_signature();
  absl::Status s = Verify(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("not signed"), std::string::npos) << s;
  r = Announce(*de);
  r.clear_statement();
  r.clear_signature();
  r.clear_cert_chain_pem();
  EXPECT_EQ(Verify(r).code(), absl::StatusCode::kPermissionDenied);
}

// The hub puts its own key in front of de's and signs it with its own,
// valid, certificate: refused, as it is not de's.
TEST_F(OprfKeyStatementTest, AKeySignedByTheHubIsRefused) {
  auto hub = SignerOf("ca", "hub");
  absl::Status s = Verify(Announce(*hub, "de"));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("not de's"), std::string::npos) << s;
  EXPECT_NE(s.message().find("spiffe://ifed-test.eu/node/hub"), std::string::npos) << s;
  // Its honest statement about itself is still not de's key.
  EXPECT_EQ(Verify(Announce(*hub, "hub")).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(OprfKeyStatementTest, AnotherCasDeIsRefused) {
  auto evil = SignerOf("evil", "de");
  absl::Status s = Verify(Announce(*evil));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("certificate"), std::string::npos) << s;
}

// The hub keeps de's genuine chain and swaps the key, the statement or the
// signature: each is refused.
TEST_F(OprfKeyStatementTest, ATamperedAnnouncementIsRefused) {
  auto de = SignerOf("ca", "de");
  auto hub = SignerOf("ca", "hub");
  const auto genuine = Announce(*de);
  auto swapped = genuine;
  swapped.set_public_key(std::string(1, '\2') + std::string(32, 'h'));
  EXPECT_NE(Verify(swapped).message().find("not the key signed"), std::string::npos);
  auto next = genuine;
  next.clear_next_public_key();
  EXPECT_EQ(Verify(next).code(), absl::StatusCode::kPermissionDenied);
  auto by_hub = Announce(*hub, "de");
  by_hub.set_cert_chain_pem(genuine.cert_chain_pem());  // de's chain, the hub's signature.
  EXPECT_NE(Verify(by_hub).message().find("signature does not verify"), std::string::npos);
  // Every bit of the statement matters.
  for (size_t i = 0; i < genuine.statement().size(); ++i) {
    auto flipped = genuine;
    (*flipped.mutable_statement())[i] ^= 0x01;
    ASSERT_EQ(Verify(flipped).code(), absl::StatusCode::kPermissionDenied) << "byte " << i;
  }
}

TEST_F(OprfKeyStatementTest, AKeyForAnotherPartnerOrNodeOrTimeIsRefused) {
  auto de = SignerOf("ca", "de");
  EXPECT_NE(Verify(Announce(*de, "de", "pl")).message().find("announced for pl"),
            std::string::npos);
  // de's chain, but a statement about node "cz": not de's statement.
  EXPECT_EQ(Verify(Announce(*de, "cz")).code(), absl::StatusCode::kPermissionDenied);
  // Replayed after its validity, or dated in the future.
  const auto r = Announce(*de);
  EXPECT_NE(Verify(r, kNow + kOprfKeyStatementSeconds + 1).message().find("validity"),
            std::string::npos);
  EXPECT_EQ(Verify(r, kNow - kOprfKeyClockSkewSeconds - 1).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace ifed::federation
