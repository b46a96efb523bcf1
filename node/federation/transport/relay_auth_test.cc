// The querier's signed authorization of a relayed call: signed by one node,
// verified by the member; every field changed, a foreign certificate, a bad
// signature, a replay or an expired one is refused.
#include "node/federation/transport/relay_auth.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "node/federation/transport/peer_verifier.h"

namespace ifed::federation {
namespace {

namespace fs = std::filesystem;
constexpr char kDomain[] = "t.eu";
constexpr int64_t kNowMs = 1'900'000'000'000;

class RelayAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/ifed-relay-auth-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    const std::string d = *dir_;
    auto sh = [](const std::string& cmd) { ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd; };
    for (const char* ca : {"ca", "evil"}) {
      sh(absl::StrCat("cd ", d, " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256",
                      " -nodes -keyout ", ca, ".key -out ", ca, ".pem -subj /CN=ca -days 2",
                      " 2>/dev/null"));
    }
    // hu, at (federation CA) and evil-hu (another CA naming hu).
    for (auto [file, id, ca] : {std::tuple{"hu", "hu", "ca"}, std::tuple{"at", "at", "ca"},
                                std::tuple{"evil-hu", "hu", "evil"}}) {
      const std::string n = file;
      sh(absl::StrCat("cd ", d, " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes",
                      " -keyout ", n, ".key -out ", n, ".csr -subj /CN=", id, " 2>/dev/null",
                      " && printf 'subjectAltName=URI:spiffe://", kDomain, "/node/", id,
                      "\\nbasicConstraints=CA:FALSE\\n' > ", n, ".ext",
                      " && openssl x509 -req -in ", n, ".csr -CA ", ca, ".pem -CAkey ", ca,
                      ".key -CAcreateserial -days 2 -extfile ", n, ".ext -out ", n,
                      ".pem 2>/dev/null"));
    }
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    for (const char* n : {"hu", "at", "evil-hu"}) {
      auto s = audit::Signer::Load(*dir_ + "/" + n + ".key", *dir_ + "/" + n + ".pem");
      ASSERT_TRUE(s.ok()) << s.status();
      signers_[n] = std::move(*s);
    }
    verifier_ = NewVerifier();
    request_.set_request_id("req-1");
    request_.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    request_.set_epoch(1);
    auto* b = request_.add_batches();
    b->set_type(ifed::v1::PHONE);
    b->set_pseudonyms(std::string(64, 'p'));
  }
  std::unique_ptr<RelayVerifier> NewVerifier() {
    auto chain = std::make_shared<PeerChainVerifier>(
        PeerChainVerifier::Options{.ca_file = *dir_ + "/ca.pem", .crl_dir = ""});
    return std::make_unique<RelayVerifier>(RelayVerifier::Options{
        .node_id = "de",
        .trust_domain = kDomain,
        .check_chain = ChainCheckWith(chain, kDomain),
        .replay = {.window = std::chrono::seconds(300), .now_ms = [] { return kNowMs; }}});
  }
  ifed::v1::SignedRelayAuthorization Sign(const char* who = "hu") {
    RelaySigner signer(who == std::string("evil-hu") ? "hu" : who, signers_[who].get(),
                       [] { return kNowMs; });
    auto a = signer.Sign("eu", {"de", "at"}, kRpcMatch, request_, ifed::v1::MIGRANT_SMUGGLING);
    EXPECT_TRUE(a.ok()) << a.status();
    return *a;
  }
  // `a` with its authorization changed by `edit` and signed again by `who`.
  ifed::v1::SignedRelayAuthorization Resign(
      const ifed::v1::SignedRelayAuthorization& a,
      const std::function<void(ifed::v1::RelayAuthorization*)>& edit, const char* who = "hu") {
    ifed::v1::RelayAuthorization body;
    EXPECT_TRUE(body.ParseFromString(a.authorization()));
    edit(&body);
    ifed::v1::SignedRelayAuthorization out = a;
    out.set_authorization(body.SerializeAsString());
    auto sig = signers_[who]->Sign(absl::StrCat("ifed-relay-auth-v1", out.authorization()));
    EXPECT_TRUE(sig.ok());
    out.set_signature(*sig);
    return out;
  }
  absl::StatusOr<std::string> Verify(const ifed::v1::SignedRelayAuthorization& a,
                                     const char* hub = "eu", const char* rpc = kRpcMatch) {
    return verifier_->Verify(hub, rpc, request_, request_.purpose(), a);
  }

  static std::string* dir_;
  std::map<std::string, std::unique_ptr<audit::Signer>> signers_;
  std::unique_ptr<RelayVerifier> verifier_;
  ifed::v1::MatchRequest request_;
};

std::string* RelayAuthTest::dir_ = nullptr;

TEST_F(RelayAuthTest, SignedCallVerifiesAsTheQuerier) {
  auto q = Verify(Sign());
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(*q, "hu");
}

TEST_F(RelayAuthTest, FieldsTheHubStripsAreNotSigned) {
  const auto a = Sign();
  request_.set_case_token(std::string(32, 'a'));
  request_.add_jurisdictions("DE");
  request_.add_skip_members("cz");
  *request_.mutable_relay_authorization() = a;
  EXPECT_TRUE(Verify(a).ok());
}

TEST_F(RelayAuthTest, EveryFieldChangedIsRefused) {
  const auto a = Sign();
  const std::vector<std::pair<const char*, std::function<void(ifed::v1::RelayAuthorization*)>>>
      edits = {
          {"querier", [](auto* b) { b->set_querier("at"); }},
          {"hub", [](auto* b) { b->set_hub("other-hub"); }},
          {"audience", [](auto* b) {
             b->clear_audience();
             b->add_audience("at");
           }},
          {"audience unsorted", [](auto* b) {
             b->clear_audience();
             b->add_audience("de");
             b->add_audience("at");
           }},
          {"rpc", [](auto* b) { b->set_rpc(kRpcDeconflict); }},
          {"digest", [](auto* b) { (*b->mutable_request_digest())[0] ^= 1; }},
          {"purpose", [](auto* b) { b->set_purpose(ifed::v1::TAKEDOWN_DECONFLICTION); }},
          {"issued_at old", [](auto* b) { b->set_issued_at_ms(kNowMs - 301'000); }},
          {"issued_at future", [](auto* b) { b->set_issued_at_ms(kNowMs + 301'000); }},
          {"nonce", [](auto* b) { b->set_nonce("short"); }},
      };
  for (const auto& [name, edit] : edits) {
    auto r = Verify(Resign(a, edit));
    EXPECT_FALSE(r.ok()) << name;
    EXPECT_TRUE(absl::IsPermissionDenied(r.status()) || absl::IsUnauthenticated(r.status()))
        << name << ": " << r.status();
  }
  // The untouched one still passes (nothing above consumed its nonce).
  EXPECT_TRUE(Verify(a).ok());
}

TEST_F(RelayAuthTest, TheCallMustMatchWhatWasSigned) {
  const auto a = Sign();
  EXPECT_TRUE(absl::IsPermissionDenied(Verify(a, "other-hub").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(Verify(a, "eu", kRpcDeconflict).status()));
  request_.mutable_batches(0)->mutable_pseudonyms()->append(32, 'x');  // widened
  EXPECT_TRUE(absl::IsPermissionDenied(Verify(a).status()));
  request_.mutable_batches(0)->mutable_pseudonyms()->resize(64);
  request_.set_epoch(2);
  EXPECT_TRUE(absl::IsPermissionDenied(Verify(a).status()));
  request_.set_epoch(1);
  EXPECT_TRUE(Verify(a).ok());
}

TEST_F(RelayAuthTest, ReplayIsRefused) {
  const auto a = Sign();
  ASSERT_TRUE(Verify(a).ok());
  auto again = Verify(a);
  EXPECT_TRUE(absl::IsPermissionDenied(again.status())) << again.status();
}

TEST_F(RelayAuthTest, SignatureAndCertificateAreChecked) {
  const auto a = Sign();
  for (size_t i = 0; i < a.signature().size(); i += 7) {
    auto bad = a;
    (*bad.mutable_signature())[i] ^= 0x01;
    EXPECT_TRUE(absl::IsUnauthenticated(Verify(bad).status())) << "signature byte " << i;
  }
  for (size_t i = 0; i < a.authorization().size(); i += 5) {
    auto bad = a;
    (*bad.mutable_authorization())[i] ^= 0x01;
    EXPECT_FALSE(Verify(bad).ok()) << "authorization byte " << i;
  }
  // Signed by at, presented with hu's certificate.
  EXPECT_TRUE(absl::IsUnauthenticated(Verify(Resign(a, [](auto*) {}, "at")).status()));
  // at's own certificate and key, claiming to be hu.
  auto at = Resign(a, [](auto*) {}, "at");
  at.set_cert_chain_pem(signers_["at"]->cert_pem());
  EXPECT_TRUE(absl::IsUnauthenticated(Verify(at).status()));
  // Another CA's certificate for hu.
  EXPECT_TRUE(absl::IsUnauthenticated(Verify(Sign("evil-hu")).status()));
  // Nothing at all.
  EXPECT_TRUE(absl::IsUnauthenticated(Verify({}).status()));
  auto no_cert = a;
  no_cert.clear_cert_chain_pem();
  EXPECT_TRUE(absl::IsUnauthenticated(Verify(no_cert).status()));
}

TEST_F(RelayAuthTest, MemberOutsideTheAudienceIsRefused) {
  RelaySigner signer("hu", signers_["hu"].get(), [] { return kNowMs; });
  auto a = signer.Sign("eu", {"at", "cz"}, kRpcMatch, request_, ifed::v1::MIGRANT_SMUGGLING);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(Verify(*a).status()));
  EXPECT_FALSE(signer.Sign("eu", {}, kRpcMatch, request_, ifed::v1::MIGRANT_SMUGGLING).ok());
}

TEST(RelayRequestDigest, CoversTheContentNotWhatTheHubChanges) {
  ifed::v1::WatchRequest w;
  w.set_watch_id("w1");
  w.set_action(ifed::v1::WATCH_ADD);
  w.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  w.set_epoch(1);
  w.add_batches()->set_pseudonyms(std::string(32, 'a'));
  const std::string d = RelayRequestDigest(w);
  EXPECT_EQ(d.size(), 32u);
  auto same = w;
  same.set_watch_id("hw-123");
  same.set_until(99);
  same.add_jurisdictions("AT");
  same.add_skip_members("cz");
  EXPECT_EQ(RelayRequestDigest(same), d);
  auto other = w;
  other.set_epoch(2);
  EXPECT_NE(RelayRequestDigest(other), d);
  other = w;
  other.set_action(ifed::v1::WATCH_REMOVE);
  EXPECT_NE(RelayRequestDigest(other), d);
  // The same bytes as another message type differ too.
  ifed::v1::MatchRequest m;
  EXPECT_NE(RelayRequestDigest(m), RelayRequestDigest(ifed::v1::DeconflictRequest()));
}

}  // namespace
}  // namespace ifed::federation
