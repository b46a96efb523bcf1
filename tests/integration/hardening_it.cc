// Hardening: every defence of the federation listener proven against
// real ifed-node processes and real certificates on 127.0.0.1. Each test
// fails if its defence is removed (the expected refusal would succeed).
//
// Node "de" runs with a CRL directory, a 1 s TLS reload interval and a small
// item limit; node "at" is a real partner whose calls must keep working.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "node/normalize/normalizer.h"
#include "node/federation/transport/call_guard.h"
#include "node/federation/transport/tls.h"
#include "node/federation/transport/tls_reload.h"
#include "proto/federation.grpc.pb.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr int kItemLimit = 100;
constexpr int kHandshakeTimeoutMs = 3000;

class HardeningTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    // cz: an OPRF partner without a node (FilterSync streams to its cert).
    fed_->AddNode("de", "DE", {{.id = "at"}, {.id = "cz", .extra = "    scheme: oprf\n"}});
    fed_->AddNode("at", "AT", {{.id = "de"}});
    crl_dir_ = fed_->dir() + "/ca/crl";
    MakeCerts({"crl", fed_->dir() + "/ca"});
    auto& de = fed_->node("de");
    de.tls_extra = "  crl_dir: " + crl_dir_ + "\n  reload_seconds: 1\n";
    const std::string seed = fed_->dir() + "/de/oprf.seed";
    WriteFile(seed, std::string(64, '5') + "\n", 0600);
    de.extra_yaml = "oprf_seed_file: " + seed + "\nlimits:\n  max_items_per_request: " +
                    std::to_string(kItemLimit) + "\n  handshake_timeout_ms: " +
                    std::to_string(kHandshakeTimeoutMs) + "\n";
    suite_start_ms_ = std::chrono::duration_cast<milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
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
    req.set_canon_version(ifed::normalize::kCanonicalVersion);
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
    if (!s.ok()) {
      EXPECT_EQ(resp.results_size(), 0) << "a refused call returned results";
    }
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
  static int64_t suite_start_ms_;  // just before the nodes started.
};

LocalFederation* HardeningTest::fed_ = nullptr;
std::string HardeningTest::crl_dir_;
int64_t HardeningTest::suite_start_ms_ = 0;

// --- item 1: who gets in --------------------------------------------------

TEST_F(HardeningTest, ValidMemberIsAnswered) {
  auto [cert, key] = fed_->IssueCert("at");
  grpc::Status s = CallDe(cert, key);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// The container and orchestrator health check: gRPC health over the admin
// socket, no certificate needed there (the socket is the node's own).
TEST_F(HardeningTest, HealthOverTheAdminSocket) {
  auto ok = fed_->Ctl("de", {"health"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "SERVING\n");
  auto unknown = fed_->Ctl("de", {"health", "--service", "no.such.Service"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out;
  auto bad = fed_->Ctl("de", {"health", "--timeout", "0"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
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


// --- item 4: claimed identity, TLS versions ------------------------------

// A call on mutual TLS as `at` with hand-made stamps (no automatic ones).
grpc::Status StampedCall(const std::string& address, const federation::TlsFiles& files,
                         const std::string& trust_domain,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  static std::atomic<int> nonce{1000};
  grpc::ChannelArguments args = federation::ClientChannelArguments();
  args.SetInt("ifed.test.nonce", nonce++);
  auto stub = ifed::v1::Federation::NewStub(grpc::CreateCustomChannel(
      address, federation::MakeTlsChannelCredentials(files, trust_domain, "de"), args));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  for (const auto& [k, v] : headers) ctx.AddMetadata(k, v);
  ifed::v1::MatchRequest req;
  req.set_request_id("stamped-1");
  req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  req.set_canon_version(ifed::normalize::kCanonicalVersion);
  req.set_epoch(1);
  auto* b = req.add_batches();
  b->set_type(ifed::v1::PHONE);
  b->set_pseudonyms(std::string(32, 'y'));
  ifed::v1::MatchResponse resp;
  grpc::Status s = stub->Match(&ctx, req, &resp);
  if (!s.ok()) {
    EXPECT_EQ(resp.results_size(), 0);
  }
  return s;
}

std::vector<std::pair<std::string, std::string>> Stamps(const std::string& id, int64_t skew_ms = 0,
                                                        const std::string& node = "") {
  const int64_t now = std::chrono::duration_cast<milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<std::pair<std::string, std::string>> h = {
      {federation::kRequestIdHeader, id},
      {federation::kTimestampHeader, std::to_string(now + skew_ms)}};
  if (!node.empty()) h.emplace_back(federation::kNodeIdHeader, node);
  return h;
}

std::string AuditOf(LocalFederation& fed, const std::string& node) {
  auto r = fed.Ctl(node, {"audit", "export", "--format", "jsonl"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// The audit line of `action` that contains `needle`, or "".
std::string AuditLine(const std::string& jsonl, const std::string& action,
                      const std::string& needle) {
  size_t pos = 0;
  while (pos < jsonl.size()) {
    size_t end = jsonl.find('\n', pos);
    if (end == std::string::npos) end = jsonl.size();
    const std::string line = jsonl.substr(pos, end - pos);
    if (line.find("\"action\":\"" + action + "\"") != std::string::npos &&
        line.find(needle) != std::string::npos) {
      return line;
    }
    pos = end + 1;
  }
  return "";
}

TEST_F(HardeningTest, ClaimedIdentityOtherThanCertificateIsRefusedAndAudited) {
  auto [cert, key] = fed_->IssueCert("at");
  federation::TlsFiles files{fed_->ca_cert(), cert, key, ""};
  const std::string addr = fed_->node("de").address;
  // Control: claiming the certificate's own id passes.
  grpc::Status ok = StampedCall(addr, files, fed_->trust_domain(),
                                Stamps("claim-ok-0123456789", 0, "at"));
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  grpc::Status s = StampedCall(addr, files, fed_->trust_domain(),
                               Stamps("claim-hu-0123456789", 0, "hu"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_NE(s.error_message().find("'hu'"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("certificate is node 'at'"), std::string::npos);
  const std::string line =
      AuditLine(AuditOf(*fed_, "de"), "identity.mismatch", "claim");  // method Match
  EXPECT_NE(line.find("\"certificate\":\"at\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"claimed\":\"hu\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"outcome\":\"refused\""), std::string::npos) << line;
  // A claim that is not even a node id is refused without echoing it.
  s = StampedCall(addr, files, fed_->trust_domain(), Stamps("claim-bad-0123456789", 0, "A\"B"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message().find("A\"B"), std::string::npos) << s.error_message();
}

// Raw TLS client on OpenSSL (not gRPC): offers exactly [min, max].
struct TlsResult {
  bool handshake_ok = false;
  std::string version;  // negotiated, when ok.
  std::string error;    // OpenSSL's reason, when not.
};

SSL_CTX* ClientCtx(int min_version, int max_version, const std::string& cert,
                   const std::string& key) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  // Debian's openssl.cnf sets MinProtocol TLSv1.2 and SECLEVEL 2: lift both so
  // that the refusal, if any, comes from the server.
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(ctx, min_version);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  if (!cert.empty()) {
    SSL_CTX_use_certificate_chain_file(ctx, cert.c_str());
    SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM);
  }
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof(kAlpn));
  return ctx;
}

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TlsResult Handshake(SSL_CTX* ctx, int fd, SSL** keep = nullptr) {
  TlsResult r;
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  ERR_clear_error();
  if (SSL_connect(ssl) == 1) {
    r.handshake_ok = true;
    r.version = SSL_get_version(ssl);
  } else {
    const unsigned long e = ERR_peek_error();
    r.error = e != 0 ? ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?" : "closed";
  }
  ERR_clear_error();
  if (keep != nullptr && r.handshake_ok) {
    *keep = ssl;
  } else {
    SSL_free(ssl);
  }
  return r;
}

// A local OpenSSL server that accepts TLS 1.0-1.3, to prove the probing
// client really offers TLS 1.1 (else the node's refusal proves nothing).
TlsResult HandshakeWithPermissiveServer(int version, const std::string& cert,
                                        const std::string& key) {
  int sv[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  std::thread server([&] {
    SSL_CTX* sctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_security_level(sctx, 0);
    SSL_CTX_set_cipher_list(sctx, "ALL:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(sctx, TLS1_VERSION);
    SSL_CTX_use_certificate_chain_file(sctx, cert.c_str());
    SSL_CTX_use_PrivateKey_file(sctx, key.c_str(), SSL_FILETYPE_PEM);
    SSL* ssl = SSL_new(sctx);
    SSL_set_fd(ssl, sv[1]);
    (void)SSL_accept(ssl);
    SSL_free(ssl);
    SSL_CTX_free(sctx);
    ::close(sv[1]);
  });
  SSL_CTX* ctx = ClientCtx(version, version, "", "");
  TlsResult r = Handshake(ctx, sv[0]);
  SSL_CTX_free(ctx);
  ::close(sv[0]);
  server.join();
  return r;
}

TEST_F(HardeningTest, TlsBelow12IsRefusedAnd12And13Accepted) {
  auto [cert, key] = fed_->IssueCert("at");
  for (int v : {TLS1_VERSION, TLS1_1_VERSION}) {
    TlsResult control = HandshakeWithPermissiveServer(v, cert, key);
    ASSERT_TRUE(control.handshake_ok) << "the probe cannot speak version " << v << ": "
                                      << control.error;
    SSL_CTX* ctx = ClientCtx(v, v, cert, key);
    int fd = Connect(fed_->node("de").port);
    ASSERT_GE(fd, 0);
    TlsResult r = Handshake(ctx, fd);
    ::close(fd);
    SSL_CTX_free(ctx);
    EXPECT_FALSE(r.handshake_ok) << "the node accepted " << r.version;
    EXPECT_FALSE(r.error.empty());
  }
  for (int v : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SSL_CTX* ctx = ClientCtx(v, v, cert, key);
    int fd = Connect(fed_->node("de").port);
    ASSERT_GE(fd, 0);
    TlsResult r = Handshake(ctx, fd);
    ::close(fd);
    SSL_CTX_free(ctx);
    EXPECT_TRUE(r.handshake_ok) << "version " << v << ": " << r.error;
    EXPECT_EQ(r.version, v == TLS1_2_VERSION ? "TLSv1.2" : "TLSv1.3");
  }
  EXPECT_TRUE(CallDe(cert, key).ok());
}

// --- item 6: cancelled streams, slow clients, replays ---------------------

TEST_F(HardeningTest, ReplayedOrStaleRequestIsRefusedAndAudited) {
  auto [cert, key] = fed_->IssueCert("at");
  federation::TlsFiles files{fed_->ca_cert(), cert, key, ""};
  const std::string addr = fed_->node("de").address;
  const std::string td = fed_->trust_domain();
  grpc::Status first = StampedCall(addr, files, td, Stamps("replay-0123456789abcdef"));
  ASSERT_TRUE(first.ok()) << first.error_message();
  grpc::Status again = StampedCall(addr, files, td, Stamps("replay-0123456789abcdef"));
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS) << again.error_message();
  EXPECT_NE(again.error_message().find("replay"), std::string::npos);
  // Outside the 300 s window, either way.
  grpc::Status old = StampedCall(addr, files, td, Stamps("stale-0123456789abcdef", -400000));
  EXPECT_EQ(old.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << old.error_message();
  grpc::Status future = StampedCall(addr, files, td, Stamps("future-0123456789abcdef", 400000));
  EXPECT_EQ(future.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Inside the window (a caller's clock 2 s behind): fine.
  EXPECT_TRUE(StampedCall(addr, files, td, Stamps("skewed-0123456789abcdef", -2000)).ok());
  // Stamped before the node started (a call recorded before a restart).
  const int64_t now_ms = std::chrono::duration_cast<milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  ASSERT_LT(now_ms - suite_start_ms_, 280000) << "suite too slow for the pre-start check";
  grpc::Status before = StampedCall(addr, files, td,
                                    Stamps("prestart-0123456789abcdef",
                                           suite_start_ms_ - 1000 - now_ms));
  EXPECT_EQ(before.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << before.error_message();
  EXPECT_NE(before.error_message().find("before this node started"), std::string::npos);
  // No stamps, or malformed ones.
  EXPECT_EQ(StampedCall(addr, files, td, {}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(StampedCall(addr, files, td,
                        {{federation::kRequestIdHeader, "short"},
                         {federation::kTimestampHeader, "1"}})
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(StampedCall(addr, files, td,
                        {{federation::kRequestIdHeader, "notime-0123456789abcdef"},
                         {federation::kTimestampHeader, "soon"}})
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  const std::string audit = AuditOf(*fed_, "de");
  const std::string line = AuditLine(audit, "replay.refused", "replay-0123456789abcdef");
  EXPECT_NE(line.find("\"actor\":\"peer:at\""), std::string::npos) << line;
  EXPECT_NE(line.find("ALREADY_EXISTS"), std::string::npos) << line;
  EXPECT_NE(AuditLine(audit, "replay.refused", "stale-0123456789abcdef"), "");
  // The node's own clients stamp every call: ifedctl match goes through at's
  // peer client (a call without stamps would be INVALID_ARGUMENT).
  auto m = fed_->Ctl("at", {"match", "--peer", "de", "--type", "phone", "+43 664 7654321"});
  EXPECT_EQ(m.exit_code, 0) << m.err << m.out;
}

// The messages say request_id is 1-128 printable characters: an empty one
// is INVALID_ARGUMENT on every call that carries one (Match, MatchStream,
// OprfEvaluate, Resolve), as a missing call stamp is; the node keeps serving.
TEST_F(HardeningTest, EmptyRequestIdIsInvalidArgumentOnEveryCall) {
  auto [cert, key] = fed_->IssueCert("at");
  federation::TlsFiles files{fed_->ca_cert(), cert, key, ""};
  auto stub = ifed::v1::Federation::NewStub(
      Channel(fed_->node("de").address,
              federation::MakeChannelCredentials(files, fed_->trust_domain(), "de")));
  auto deadline = [] { return std::chrono::system_clock::now() + std::chrono::seconds(10); };
  auto expect_refused = [](const grpc::Status& s, const char* call) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << call << ": "
                                                                  << s.error_message();
    EXPECT_NE(s.error_message().find("request_id"), std::string::npos) << call;
  };
  ifed::v1::MatchRequest req = Request(1);
  req.set_request_id("");
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    ifed::v1::MatchResponse resp;
    expect_refused(stub->Match(&ctx, req, &resp), "Match");
    EXPECT_EQ(resp.results_size(), 0);
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    auto stream = stub->MatchStream(&ctx);
    ASSERT_TRUE(stream->Write(req));
    stream->WritesDone();
    ifed::v1::MatchResponse resp;
    int answers = 0;
    while (stream->Read(&resp)) ++answers;
    expect_refused(stream->Finish(), "MatchStream");
    EXPECT_EQ(answers, 0);
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    ifed::v1::OprfEvaluateRequest oreq;
    oreq.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    oreq.set_blinded(std::string(1, '\2') + std::string(32, '\1'));
    oreq.set_canon_version(ifed::normalize::kCanonicalVersion);
    ifed::v1::OprfEvaluateResponse oresp;
    expect_refused(stub->OprfEvaluate(&ctx, oreq, &oresp), "OprfEvaluate");
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    ifed::v1::ResolveRequest rreq;
    rreq.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    rreq.set_outputs(std::string(32, 'o'));
    ifed::v1::ResolveResponse rresp;
    expect_refused(stub->Resolve(&ctx, rreq, &rresp), "Resolve");
  }
  EXPECT_TRUE(CallDe(cert, key).ok()) << "the node keeps serving";
}

int ThreadsOf(pid_t pid) {
  const std::string st = ReadFile("/proc/" + std::to_string(pid) + "/status");
  const auto at = st.find("Threads:");
  return at == std::string::npos ? -1 : std::atoi(st.c_str() + at + 8);
}

long RssKbOf(pid_t pid) {
  const std::string st = ReadFile("/proc/" + std::to_string(pid) + "/status");
  const auto at = st.find("VmRSS:");
  return at == std::string::npos ? -1 : std::atol(st.c_str() + at + 6);
}

TEST_F(HardeningTest, StreamsAndCallsCancelledInALoopLeakNothing) {
  std::string csv = "type,value,case_ref,tlp\n";
  for (int i = 0; i < 300; ++i) csv += "phone,+49151" + std::to_string(20000000 + i) + ",C-1,amber\n";
  WriteFile(fed_->dir() + "/cancel.csv", csv);
  auto in = fed_->Ctl("de", {"ingest", fed_->dir() + "/cancel.csv"});
  ASSERT_EQ(in.exit_code, 0) << in.err;

  auto [cert, key] = fed_->IssueCert("cz");
  federation::TlsFiles files{fed_->ca_cert(), cert, key, ""};
  auto channel = Channel(fed_->node("de").address,
                         federation::MakeChannelCredentials(files, fed_->trust_domain(), "de"));
  auto stub = ifed::v1::Federation::NewStub(channel);
  {  // The stream works when not cancelled.
    grpc::ClientContext ctx;
    auto reader = stub->FilterSync(&ctx, ifed::v1::FilterSyncRequest());
    ifed::v1::FilterChunk chunk;
    ASSERT_TRUE(reader->Read(&chunk));
    EXPECT_GT(chunk.total_bytes(), 0u);
    while (reader->Read(&chunk)) {
    }
    grpc::Status s = reader->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  const pid_t pid = fed_->node("de").process.pid();
  auto cycle = [&](int n) {
    for (int i = 0; i < n; ++i) {
      {
        grpc::ClientContext ctx;
        auto reader = stub->FilterSync(&ctx, ifed::v1::FilterSyncRequest());
        ifed::v1::FilterChunk chunk;
        if (i % 2 == 1) (void)reader->Read(&chunk);
        ctx.TryCancel();
        (void)reader->Finish();
      }
      {
        grpc::ClientContext ctx;
        ifed::v1::MatchResponse resp;
        std::mutex mu;
        std::condition_variable cv;
        bool done = false;
        const ifed::v1::MatchRequest req = Request(1);
        stub->async()->Match(&ctx, &req, &resp, [&](grpc::Status) {
          std::lock_guard<std::mutex> l(mu);
          done = true;
          cv.notify_all();
        });
        ctx.TryCancel();
        std::unique_lock<std::mutex> l(mu);
        cv.wait(l, [&] { return done; });
      }
    }
  };
  cycle(30);  // warm up thread pools and allocator arenas.
  const int threads0 = ThreadsOf(pid);
  const long rss0 = RssKbOf(pid);
  cycle(300);
  std::this_thread::sleep_for(milliseconds(500));
  const int threads1 = ThreadsOf(pid);
  const long rss1 = RssKbOf(pid);
  EXPECT_TRUE(fed_->node("de").process.running());
  EXPECT_LE(threads1, threads0 + 8) << "threads " << threads0 << " -> " << threads1;
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan the node keeps freed memory in its quarantine (256 MB by
  // default), so RSS says nothing here; LeakSanitizer reports the node's
  // leaks in its stderr log when it exits.
  (void)rss1;
#else
  EXPECT_LE(rss1 - rss0, 32 * 1024) << "RSS " << rss0 << " kB -> " << rss1 << " kB";
#endif
  auto [acert, akey] = fed_->IssueCert("at");
  EXPECT_TRUE(CallDe(acert, akey).ok()) << "a partner's call after the loop";
  std::cerr << "600 cancelled calls: threads " << threads0 << " -> " << threads1 << ", RSS "
            << rss0 << " -> " << rss1 << " kB\n";
}

// Milliseconds until the peer closes `fd` (reads return 0 or an error),
// while `feed` is called every 200 ms to dribble bytes; -1 after `max_ms`.
int64_t MsUntilClosed(int fd, int max_ms, const std::function<void()>& feed) {
  const auto t0 = std::chrono::steady_clock::now();
  while (true) {
    const int64_t ms =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
    if (ms > max_ms) return -1;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) > 0) {
      char buf[4096];
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n <= 0) return ms;
      continue;  // an alert or data: keep waiting for the close.
    }
    if (feed) feed();
  }
}

TEST_F(HardeningTest, SlowClientsAreCutOffAndOthersServed) {
  auto [cert, key] = fed_->IssueCert("at");
  // 1. A ClientHello dribbled a byte at a time: the handshake timeout
  //    (3 s here) closes it.
  const std::string hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  int fd = Connect(fed_->node("de").port);
  ASSERT_GE(fd, 0);
  size_t sent = 0;
  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, failed{0};
  std::thread partner([&] {
    while (!stop) {
      (CallDe(cert, key).ok() ? served : failed)++;
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  const int64_t dribble_ms = MsUntilClosed(fd, 15000, [&] {
    if (sent < hello.size()) (void)!::write(fd, hello.data() + sent++, 1);
  });
  ::close(fd);
  EXPECT_GE(dribble_ms, kHandshakeTimeoutMs - 500) << "closed before the timeout?";
  EXPECT_LE(dribble_ms, kHandshakeTimeoutMs + 3000) << "the slow handshake was not cut off";

  // 2. TLS done (a valid partner certificate), then silence: no HTTP/2
  //    preface. Closed by the same timeout, not held forever.
  SSL_CTX* ctx = ClientCtx(TLS1_2_VERSION, TLS1_3_VERSION, cert, key);
  fd = Connect(fed_->node("de").port);
  ASSERT_GE(fd, 0);
  SSL* ssl = nullptr;
  TlsResult r = Handshake(ctx, fd, &ssl);
  ASSERT_TRUE(r.handshake_ok) << r.error;
  const int64_t silent_ms = MsUntilClosed(fd, 15000, nullptr);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  EXPECT_GE(silent_ms, 0) << "a silent TLS connection was kept open";
  EXPECT_LE(silent_ms, kHandshakeTimeoutMs + 3000);

  stop = true;
  partner.join();
  EXPECT_GT(served.load(), 5);
  EXPECT_EQ(failed.load(), 0) << "partner calls failed while slow clients were connected";
  std::cerr << "slow handshake closed after " << dribble_ms << " ms, silent TLS after "
            << silent_ms << " ms; partner calls served meanwhile: " << served << "\n";
}


// --- item 1: intermediate CAs ---------------------------------------------

// Publishes the CRL of the CA in `ca_dir` into de's CRL directory as NAME,
// atomically (hidden temporary file, then rename).
void PublishCrl(const std::string& ca_dir, const std::string& crl_dir, const std::string& name) {
  fs::copy_file(ca_dir + "/crl/ca.crl.pem", crl_dir + "/." + name,
                fs::copy_options::overwrite_existing);
  fs::rename(crl_dir + "/." + name, crl_dir + "/" + name);
}

TEST_F(HardeningTest, RevokedIntermediateIsRefusedValidIntermediateAccepted) {
  const std::string root = fed_->dir() + "/ca";
  const std::string good = fed_->dir() + "/int-good", bad = fed_->dir() + "/int-bad";
  MakeCerts({"intermediate", good, fed_->trust_domain(), "--ca-dir", root});
  MakeCerts({"intermediate", bad, fed_->trust_domain(), "--ca-dir", root});
  auto [good_cert, good_key] = fed_->IssueCert("at", good);
  auto [bad_cert, bad_key] = fed_->IssueCert("at", bad);
  ASSERT_NE(ReadFile(good_cert).find("BEGIN CERTIFICATE", 30), std::string::npos)
      << "the node certificate carries its chain";
  // The intermediates have no CRL in the directory yet: fail closed.
  EXPECT_EQ(CallDe(good_cert, good_key).error_code(), grpc::StatusCode::UNAVAILABLE);
  MakeCerts({"crl", good});
  MakeCerts({"crl", bad});
  PublishCrl(good, crl_dir_, "int-good.crl.pem");
  PublishCrl(bad, crl_dir_, "int-bad.crl.pem");
  WaitCrlRefresh();
  grpc::Status s = CallDe(good_cert, good_key);
  EXPECT_TRUE(s.ok()) << "a leaf under a valid intermediate: " << s.error_message();
  s = CallDe(bad_cert, bad_key);
  EXPECT_TRUE(s.ok()) << "before the revocation: " << s.error_message();

  // The root revokes one intermediate: its leaves are refused, the other's pass.
  MakeCerts({"crl", root, "--revoke", bad + "/ca.pem"});
  WaitCrlRefresh();
  EXPECT_EQ(CallDe(bad_cert, bad_key).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(CallDe(good_cert, good_key).ok());

  // A leaf revoked by its intermediate's own CRL.
  auto [rev_cert, rev_key] = fed_->IssueCert("at", good);
  ASSERT_TRUE(CallDe(rev_cert, rev_key).ok());
  MakeCerts({"crl", good, "--revoke", rev_cert});
  PublishCrl(good, crl_dir_, "int-good.crl.pem");
  WaitCrlRefresh();
  EXPECT_EQ(CallDe(rev_cert, rev_key).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(CallDe(good_cert, good_key).ok());

  // The intermediate's CRL goes missing: its leaves are refused again.
  const std::string saved = ReadFile(crl_dir_ + "/int-good.crl.pem");
  fs::remove(crl_dir_ + "/int-good.crl.pem");
  WaitCrlRefresh();
  EXPECT_EQ(CallDe(good_cert, good_key).error_code(), grpc::StatusCode::UNAVAILABLE)
      << "a chain whose intermediate has no CRL";
  WriteFile(crl_dir_ + "/int-good.crl.pem", saved);
  WaitCrlRefresh();
  EXPECT_TRUE(CallDe(good_cert, good_key).ok());
  EXPECT_TRUE(fed_->node("de").process.running());
}

}  // namespace
}  // namespace ifed::testing
