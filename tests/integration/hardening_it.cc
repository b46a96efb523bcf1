// Issue 6, hardening: every defence of the federation listener proven against
// real ifed-node processes and real certificates on 127.0.0.1. Each test
// fails if its defence is removed (the expected refusal would succeed).
//
// Node "de" runs with a CRL directory, a 1 s TLS reload interval and a small
// item limit; node "at" is a real partner whose calls must keep working.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "node/federation/tls.h"
#include "node/federation/tls_reload.h"
#include "proto/federation.grpc.pb.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr int kItemLimit = 100;

class HardeningTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("de", "DE", {{.id = "at"}});
    fed_->AddNode("at", "AT", {{.id = "de"}});
    crl_dir_ = fed_->dir() + "/ca/crl";
    MakeCerts({"crl", fed_->dir() + "/ca"});
    auto& de = fed_->node("de");
    de.tls_extra = "  crl_dir: " + crl_dir_ + "\n  reload_seconds: 1\n";
    de.extra_yaml = "limits:\n  max_items_per_request: " + std::to_string(kItemLimit) + "\n";
    fed_->Start();
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }

  static void MakeCerts(std::vector<std::string> args) {
    args.insert(args.begin(), fed_->source("certs/make-certs.sh"));
    auto r = ifed::testing::Run(args);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }

  // A fresh channel per call (a unique channel arg defeats subchannel
  // sharing), so every call makes a new TLS handshake.
  static std::shared_ptr<grpc::Channel> Channel(
      const std::string& address, std::shared_ptr<grpc::ChannelCredentials> creds) {
    static std::atomic<int> nonce{0};
    grpc::ChannelArguments args = federation::ClientChannelArguments();
    args.SetInt("ifed.test.nonce", nonce++);
    return grpc::CreateCustomChannel(address, creds, args);
  }

  static ifed::v1::MatchRequest Request(size_t items) {
    ifed::v1::MatchRequest req;
    req.set_request_id("hard-1");
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    req.set_epoch(1);
    auto* b = req.add_batches();
    b->set_type(ifed::v1::PHONE);
    b->set_pseudonyms(std::string(32 * items, 'x'));
    return req;
  }

  static grpc::Status Call(std::shared_ptr<grpc::Channel> channel, size_t items = 1,
                           std::string* server_cert = nullptr) {
    auto stub = ifed::v1::Federation::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ifed::v1::MatchResponse resp;
    grpc::Status s = stub->Match(&ctx, Request(items), &resp);
    if (s.ok() && server_cert != nullptr) {
      auto v = ctx.auth_context()->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
      if (!v.empty()) *server_cert = std::string(v[0].data(), v[0].size());
    }
    if (!s.ok()) EXPECT_EQ(resp.results_size(), 0) << "a refused call returned results";
    return s;
  }

  // Calls de presenting (cert, key), expecting de to be the server.
  static grpc::Status CallDe(const std::string& cert, const std::string& key, size_t items = 1,
                             std::string* server_cert = nullptr) {
    federation::TlsFiles files{fed_->ca_cert(), cert, key, ""};
    return Call(Channel(fed_->node("de").address,
                        federation::MakeChannelCredentials(files, fed_->trust_domain(), "de")),
                items, server_cert);
  }

  // A certificate made with the openssl CLI and arbitrary leaf extensions
  // (shapes make-certs.sh refuses to make), signed by the federation CA.
  static std::pair<std::string, std::string> RogueCert(const std::string& name,
                                                        const std::string& extensions) {
    const std::string d = fed_->dir() + "/rogue-" + name;
    fs::create_directories(d);
    WriteFile(d + "/ext.cnf", "[leaf]\n" + extensions + "\n");
    const std::string ca = fed_->dir() + "/ca";
    for (std::vector<std::string> argv :
         {std::vector<std::string>{"/usr/bin/openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                                   "ec_paramgen_curve:P-256", "-out", d + "/key.pem"},
          {"/usr/bin/openssl", "req", "-new", "-key", d + "/key.pem", "-subj", "/CN=" + name,
           "-out", d + "/req.csr"},
          {"/usr/bin/openssl", "x509", "-req", "-in", d + "/req.csr", "-CA", ca + "/ca.pem",
           "-CAkey", ca + "/ca.key", "-CAcreateserial", "-days", "30", "-extfile",
           d + "/ext.cnf", "-extensions", "leaf", "-out", d + "/cert.pem"}}) {
      auto r = ifed::testing::Run(argv);
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    ::chmod((d + "/key.pem").c_str(), 0600);
    return {d + "/cert.pem", d + "/key.pem"};
  }

  // The CRL checker re-reads the directory at most once a second.
  static void WaitCrlRefresh() { std::this_thread::sleep_for(milliseconds(1300)); }

  static LocalFederation* fed_;
  static std::string crl_dir_;
};

LocalFederation* HardeningTest::fed_ = nullptr;
std::string HardeningTest::crl_dir_;

// --- item 1: who gets in --------------------------------------------------

TEST_F(HardeningTest, ValidMemberIsAnswered) {
  auto [cert, key] = fed_->IssueCert("at");
  grpc::Status s = CallDe(cert, key);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(HardeningTest, NoClientCertificateIsRefused) {
  grpc::SslCredentialsOptions opts;
  opts.pem_root_certs = ReadFile(fed_->ca_cert());  // trusts de, presents nothing.
  grpc::Status s = Call(Channel(fed_->node("de").address, grpc::SslCredentials(opts)));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(HardeningTest, PlaintextIsRefused) {
  grpc::Status s = Call(Channel(fed_->node("de").address, grpc::InsecureChannelCredentials()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(HardeningTest, EvilCaWithSameSubjectIsRefused) {
  const std::string evil = fed_->MakeOtherCa("evil-ca-h");
  auto subject = [](const std::string& pem) {
    return ifed::testing::Run({"/usr/bin/openssl", "x509", "-in", pem, "-noout", "-subject"}).out;
  };
  ASSERT_EQ(subject(evil + "/ca.pem"), subject(fed_->ca_cert()));
  auto [cert, key] = fed_->IssueCert("at", evil);
  grpc::Status s = CallDe(cert, key);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(HardeningTest, ExpiredAndNotYetValidClientCertsAreRefused) {
  auto [old_cert, old_key] =
      fed_->IssueCert("at", "", {"--not-before", "20200101000000Z", "--not-after", "20210101000000Z"});
  EXPECT_EQ(CallDe(old_cert, old_key).error_code(), grpc::StatusCode::UNAVAILABLE);
  auto [new_cert, new_key] = fed_->IssueCert("at", "", {"--not-before", "20400101000000Z"});
  EXPECT_EQ(CallDe(new_cert, new_key).error_code(), grpc::StatusCode::UNAVAILABLE);
}

// A server (in this process, on the node's own TLS code) whose certificate is
// expired or not yet valid: the client refuses it. Control: a valid one is
// reached (UNIMPLEMENTED from the empty service, i.e. the handshake passed).
TEST_F(HardeningTest, ClientRefusesExpiredAndNotYetValidServer) {
  auto [ok_cert, ok_key] = fed_->IssueCert("de");
  auto [old_cert, old_key] =
      fed_->IssueCert("de", "", {"--not-before", "20200101000000Z", "--not-after", "20210101000000Z"});
  auto [new_cert, new_key] = fed_->IssueCert("de", "", {"--not-before", "20400101000000Z"});
  auto [client_cert, client_key] = fed_->IssueCert("at");
  federation::TlsFiles client{fed_->ca_cert(), client_cert, client_key, ""};
  ifed::v1::Federation::Service empty;
  for (auto [cert, key, want] :
       {std::tuple{ok_cert, ok_key, grpc::StatusCode::UNIMPLEMENTED},
        std::tuple{old_cert, old_key, grpc::StatusCode::UNAVAILABLE},
        std::tuple{new_cert, new_key, grpc::StatusCode::UNAVAILABLE}}) {
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0",
                       federation::MakeServerCredentials({fed_->ca_cert(), cert, key, ""},
                                                         fed_->trust_domain()),
                       &port);
    federation::ApplyServerLimits(b);
    b.RegisterService(&empty);
    auto server = b.BuildAndStart();
    ASSERT_NE(port, 0);
    auto creds = federation::MakeChannelCredentials(client, fed_->trust_domain(), "de");
    grpc::Status s = Call(Channel("127.0.0.1:" + std::to_string(port), creds));
    EXPECT_EQ(s.error_code(), want) << cert << ": " << s.error_message();
    server->Shutdown(std::chrono::system_clock::now() + milliseconds(500));
  }
}

TEST_F(HardeningTest, RevokedLeafIsRefusedWithoutRestart) {
  auto [cert, key] = fed_->IssueCert("at");
  ASSERT_TRUE(CallDe(cert, key).ok());
  MakeCerts({"crl", fed_->dir() + "/ca", "--revoke", cert});
  WaitCrlRefresh();
  grpc::Status s = CallDe(cert, key);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  auto [fresh, fresh_key] = fed_->IssueCert("at");
  EXPECT_TRUE(CallDe(fresh, fresh_key).ok()) << "an unrevoked cert must still pass";
  EXPECT_NE(fed_->AllLogs().find("certificate revoked"), std::string::npos);
}

// gRPC 1.51's own CRL directory would let these handshakes through.
TEST_F(HardeningTest, BrokenCrlDirectoryFailsClosed) {
  auto [cert, key] = fed_->IssueCert("at");
  ASSERT_TRUE(CallDe(cert, key).ok());
  const std::string crl = crl_dir_ + "/ca.crl.pem";
  const std::string saved = fed_->dir() + "/saved.crl.pem";
  fs::copy_file(crl, saved, fs::copy_options::overwrite_existing);
  auto restore_ok = [&] {
    fs::copy_file(saved, crl, fs::copy_options::overwrite_existing);
    WaitCrlRefresh();
    grpc::Status s = CallDe(cert, key);
    EXPECT_TRUE(s.ok()) << "after restoring the CRL: " << s.error_message();
  };

  SCOPED_TRACE("missing");
  fs::remove(crl);
  WaitCrlRefresh();
  EXPECT_EQ(CallDe(cert, key).error_code(), grpc::StatusCode::UNAVAILABLE);
  restore_ok();

  SCOPED_TRACE("unreadable (truncated)");
  const std::string text = ReadFile(saved);
  WriteFile(crl, text.substr(0, text.size() / 2));
  WaitCrlRefresh();
  EXPECT_EQ(CallDe(cert, key).error_code(), grpc::StatusCode::UNAVAILABLE);
  restore_ok();

  SCOPED_TRACE("badly signed (evil CA, same issuer name)");
  const std::string evil = fed_->MakeOtherCa("evil-crl-ca");
  MakeCerts({"crl", evil});
  fs::copy_file(evil + "/crl/ca.crl.pem", crl_dir_ + "/evil.crl.pem");
  WaitCrlRefresh();
  EXPECT_EQ(CallDe(cert, key).error_code(), grpc::StatusCode::UNAVAILABLE);
  fs::remove(crl_dir_ + "/evil.crl.pem");
  restore_ok();

  SCOPED_TRACE("past nextUpdate");
  const std::string copy = fed_->dir() + "/ca-copy";
  fs::copy(fed_->dir() + "/ca", copy, fs::copy_options::recursive);
  MakeCerts({"crl", copy, "--last-update", "20200101000000Z", "--next-update", "20200201000000Z"});
  fs::copy_file(copy + "/crl/ca.crl.pem", crl, fs::copy_options::overwrite_existing);
  WaitCrlRefresh();
  EXPECT_EQ(CallDe(cert, key).error_code(), grpc::StatusCode::UNAVAILABLE);
  restore_ok();
}

// --- item 2: SPIFFE shape -------------------------------------------------

TEST_F(HardeningTest, LeafThatIsACaIsRefused) {
  const std::string san = "subjectAltName = URI:spiffe://" + fed_->trust_domain() + "/node/at\n";
  auto [ca_cert, ca_key] = RogueCert(
      "leaf-ca", "basicConstraints = critical, CA:TRUE\nkeyUsage = critical, digitalSignature, "
                 "keyCertSign\nextendedKeyUsage = serverAuth, clientAuth\n" + san);
  EXPECT_EQ(CallDe(ca_cert, ca_key).error_code(), grpc::StatusCode::UNAVAILABLE);
  auto [ks_cert, ks_key] = RogueCert(
      "leaf-certsign", "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, "
                       "digitalSignature, keyCertSign\nextendedKeyUsage = clientAuth\n" + san);
  EXPECT_EQ(CallDe(ks_cert, ks_key).error_code(), grpc::StatusCode::UNAVAILABLE);
  // Control: the same recipe with a proper leaf passes.
  auto [ok_cert, ok_key] = RogueCert(
      "leaf-ok", "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, "
                 "digitalSignature\nextendedKeyUsage = clientAuth\n" + san);
  EXPECT_TRUE(CallDe(ok_cert, ok_key).ok());
}

TEST_F(HardeningTest, ExactlyOneUriSan) {
  const std::string td = fed_->trust_domain();
  auto [two, two_key] = RogueCert(
      "two-uris", "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n"
                  "subjectAltName = URI:spiffe://" + td + "/node/at, URI:spiffe://" + td +
                      "/node/hu\n");
  EXPECT_EQ(CallDe(two, two_key).error_code(), grpc::StatusCode::UNAVAILABLE);
  auto [none, none_key] = RogueCert(
      "no-uri", "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n"
                "subjectAltName = DNS:at.example\n");
  EXPECT_EQ(CallDe(none, none_key).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(HardeningTest, ClientChecksServerIdentity) {
  auto [cert, key] = fed_->IssueCert("at");
  federation::TlsFiles files{fed_->ca_cert(), cert, key, ""};
  grpc::Status s = Call(Channel(fed_->node("de").address,
                                federation::MakeChannelCredentials(files, fed_->trust_domain(), "hu")));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

// --- item 3: reload without restart ---------------------------------------

TEST_F(HardeningTest, CertificateReloadKeepsOldOnBadFilesAndLosesNoCall) {
  auto& de = fed_->node("de");
  auto [client, client_key] = fed_->IssueCert("at");
  std::string presented;
  ASSERT_TRUE(CallDe(client, client_key, 1, &presented).ok());
  const std::string original = ReadFile(de.cert);
  ASSERT_EQ(presented, original);

  // Load: new handshakes all the time while the files change underneath.
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0}, failures{0};
  std::thread load([&] {
    while (!stop) {
      grpc::Status s = CallDe(client, client_key);
      ++calls;
      if (!s.ok()) ++failures;
    }
  });

  // Half-written certificate: the old one stays.
  WriteFile(de.cert, original.substr(0, original.size() / 2));
  std::this_thread::sleep_for(milliseconds(2500));
  ASSERT_TRUE(CallDe(client, client_key, 1, &presented).ok());
  EXPECT_EQ(presented, original);

  // A complete certificate with the wrong key: the old pair stays.
  auto [other_cert, other_key] = fed_->IssueCert("de");
  WriteFile(de.cert, ReadFile(other_cert));
  std::this_thread::sleep_for(milliseconds(2500));
  ASSERT_TRUE(CallDe(client, client_key, 1, &presented).ok());
  EXPECT_EQ(presented, original);

  // The matching key arrives: the new pair is served, no restart.
  WriteFile(de.key, ReadFile(other_key), 0600);
  const std::string renewed = ReadFile(other_cert);
  for (int i = 0; i < 50 && presented != renewed; ++i) {
    std::this_thread::sleep_for(milliseconds(200));
    ASSERT_TRUE(CallDe(client, client_key, 1, &presented).ok());
  }
  EXPECT_EQ(presented, renewed);
  std::this_thread::sleep_for(milliseconds(500));
  stop = true;
  load.join();
  EXPECT_GT(calls.load(), 10);
  EXPECT_EQ(failures.load(), 0) << "calls lost during the reloads";
  const std::string logs = fed_->AllLogs();
  EXPECT_NE(logs.find("TLS reload refused"), std::string::npos);
  EXPECT_NE(logs.find("does not match the certificate"), std::string::npos);
  EXPECT_TRUE(fed_->node("de").process.running());
}

// --- item 5/6: limits -----------------------------------------------------

TEST_F(HardeningTest, OversizedMessageIsResourceExhausted) {
  auto [cert, key] = fed_->IssueCert("at");
  grpc::Status s = CallDe(cert, key, (1 << 20) / 32 + 1024);  // > 1 MiB default
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_TRUE(CallDe(cert, key).ok()) << "the node keeps serving";
}

TEST_F(HardeningTest, ItemsOverTheLimitAreResourceExhausted) {
  auto [cert, key] = fed_->IssueCert("at");
  EXPECT_TRUE(CallDe(cert, key, kItemLimit).ok());
  grpc::Status s = CallDe(cert, key, kItemLimit + 1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("limit"), std::string::npos);
}

// Hundreds of connections that never finish the TLS handshake: a partner's
// calls still succeed, new handshakes included, and its p99 stays bounded.
TEST_F(HardeningTest, HalfOpenConnectionsDoNotStarvePartners) {
  auto [cert, key] = fed_->IssueCert("at");
  federation::TlsFiles files{fed_->ca_cert(), cert, key, ""};
  auto channel = Channel(fed_->node("de").address,
                         federation::MakeChannelCredentials(files, fed_->trust_domain(), "de"));
  ASSERT_TRUE(Call(channel).ok());
  auto p99 = [&](int n) {
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      EXPECT_TRUE(Call(channel).ok());
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                       .count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() * 99 / 100];
  };
  const double unloaded = p99(200);

  std::vector<int> fds;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(fed_->node("de").port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string partial_hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  for (int i = 0; i < 300; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    if (i % 2 == 0) (void)!::write(fd, partial_hello.data(), partial_hello.size());
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(milliseconds(300));
  const double loaded = p99(200);
  EXPECT_TRUE(CallDe(cert, key).ok()) << "a new partner handshake under the flood";
  EXPECT_TRUE(fed_->Ctl("at", {"match", "--peer", "de", "--type", "phone", "+43 664 1234567"})
                  .exit_code == 0);
  for (int fd : fds) ::close(fd);
  // 2x of the unloaded p99, with a small absolute floor for a shared CI box.
  EXPECT_LE(loaded, std::max(2 * unloaded, unloaded + 20.0))
      << "unloaded p99 " << unloaded << " ms, loaded p99 " << loaded << " ms";
}

// --- item 11: secrets -----------------------------------------------------

TEST_F(HardeningTest, DaemonHasCoreDumpsOff) {
  const std::string limits =
      ReadFile("/proc/" + std::to_string(fed_->node("de").process.pid()) + "/limits");
  const auto at = limits.find("Max core file size");
  ASSERT_NE(at, std::string::npos);
  const std::string line = limits.substr(at, limits.find('\n', at) - at);
  EXPECT_NE(line.find("0                    0"), std::string::npos) << line;
  if (::geteuid() != 0) {  // with PR_SET_DUMPABLE 0, /proc/<pid> belongs to root.
    struct stat st;
    ASSERT_EQ(::stat(("/proc/" + std::to_string(fed_->node("de").process.pid())).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
  }
}

TEST_F(HardeningTest, TlsKeyMustBePrivateAndMatch) {
  auto [cert, key] = fed_->IssueCert("de");
  federation::TlsFiles files{fed_->ca_cert(), cert, key, ""};
  EXPECT_TRUE(federation::TlsReloader::Validate(files, fed_->trust_domain(), "de").ok());
  EXPECT_FALSE(federation::TlsReloader::Validate(files, fed_->trust_domain(), "at").ok())
      << "a certificate for another node id";
  ::chmod(key.c_str(), 0644);
  auto s = federation::TlsReloader::Validate(files, fed_->trust_domain(), "de");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
}

}  // namespace
}  // namespace ifed::testing
