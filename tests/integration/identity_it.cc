// An identity belongs to its issuer, and receipts/checkpoints verify across
// intermediates and certificate renewals: real ifed-node processes whose
// certificates come from per-agency intermediate CAs under one federation
// root (make-certs.sh agency), each node id pinned to its agency
// (tls.issuers).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_split.h"
#include "node/federation/transport/tls.h"
#include "node/normalize/normalizer.h"
#include "proto/federation.grpc.pb.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Lines(const std::string& s) {
  return absl::StrSplit(s, '\n', absl::SkipEmpty());
}

std::string Csv(const std::string& phone) {
  return "type,value,case_ref,crime_area,tlp,region\nphone," + phone +
         ",AT-CASE-1,migrant_smuggling,amber,AT\n";
}

// A fresh channel per call (a unique channel arg defeats subchannel
// sharing), so every call makes a new TLS handshake.
std::shared_ptr<grpc::Channel> Channel(const std::string& address,
                                       std::shared_ptr<grpc::ChannelCredentials> creds) {
  static std::atomic<int> nonce{0};
  grpc::ChannelArguments args = federation::ClientChannelArguments();
  args.SetInt("ifed.test.identity.nonce", nonce++);
  return grpc::CreateCustomChannel(address, creds, args);
}

// One Match call to `to`, presenting (cert, key) with `request_id`.
grpc::Status CallAs(LocalFederation& fed, const std::string& to, const std::string& cert,
                    const std::string& key, const std::string& request_id,
                    ifed::v1::MatchResponse* resp) {
  federation::TlsFiles files{fed.ca_cert(), cert, key, ""};
  auto stub = ifed::v1::Federation::NewStub(Channel(
      fed.node(to).address, federation::MakeChannelCredentials(files, fed.trust_domain(), to)));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  ifed::v1::MatchRequest req;
  req.set_request_id(request_id);
  req.set_canon_version(ifed::normalize::kCanonicalVersion);
  req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  req.set_epoch(1);
  auto* b = req.add_batches();
  b->set_type(ifed::v1::PHONE);
  b->set_pseudonyms(std::string(32, 'x'));
  return stub->Match(&ctx, req, resp);
}

PartnerSpec P(const std::string& id) {
  PartnerSpec p;
  p.id = id;
  return p;
}

class PerAgencyIt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->UsePerAgencyIssuers();
    fed_->AddNode("de", "DE", {P("at"), P("hu")});
    fed_->AddNode("at", "AT", {P("de"), P("hu")});
    fed_->AddNode("hu", "HU", {P("de")});
    fed_->node("at").tls_extra = "  reload_seconds: 1\n";
    fed_->node("hu").tls_extra = "  reload_seconds: 1\n";
    fed_->Start();
    const std::string f = fed_->dir() + "/at.csv";
    WriteFile(f, Csv("+43 664 3000005"));
    auto r = fed_->Ctl("at", {"ingest", "--no-progress", f});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  static std::string Export(const std::string& id) {
    auto r = fed_->Ctl(id, {"audit", "export", "--format", "jsonl"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  static RunResult MatchDeToAt() {
    return fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", "--region", "AT",
                            "+43 664 3000005"});
  }
  static LocalFederation* fed_;
};
LocalFederation* PerAgencyIt::fed_ = nullptr;

// Reproduction: the HU agency's intermediate issues spiffe://.../node/at.
// de refuses it in the handshake (no answer) and audits the refusal; at's
// real certificate, from the AT agency, is answered.
TEST_F(PerAgencyIt, ForeignAgencyCannotIssueAnotherAgencysNode) {
  auto [forged, forged_key] = fed_->IssueCert("at", fed_->AgencyCaDir("hu"));
  ifed::v1::MatchResponse resp;
  grpc::Status s = CallAs(*fed_, "de", forged, forged_key, "forged-at-1", &resp);
  EXPECT_FALSE(s.ok()) << "de answered a certificate of at issued by HU's CA";
  EXPECT_EQ(resp.results_size(), 0);

  const std::string de_log = Export("de");
  bool refused = false;
  for (const auto& l : Lines(de_log)) {
    EXPECT_EQ(l.find("forged-at-1"), std::string::npos) << "the forged call reached the service";
    if (l.find("\"action\":\"peer.refused\"") != std::string::npos &&
        l.find("\"claimed_node\":\"at\"") != std::string::npos &&
        l.find("must be issued by agency-at") != std::string::npos) {
      refused = true;
    }
  }
  EXPECT_TRUE(refused) << "no audited refusal in de's log:\n" << de_log;

  ifed::v1::MatchResponse ok;
  const auto& at = fed_->node("at");
  s = CallAs(*fed_, "de", at.cert, at.key, "real-at-1", &ok);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ok.results_size(), 1);

  // The same CA issuing a node it is pinned to is fine (hu from HU).
  ifed::v1::MatchResponse hu;
  s = CallAs(*fed_, "de", fed_->node("hu").cert, fed_->node("hu").key, "real-hu-1", &hu);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// A server certificate from the wrong agency is refused by the client too:
// de calling "at" reaches a listener whose certificate HU's CA issued.
TEST_F(PerAgencyIt, ClientRefusesServerFromAnotherAgency) {
  auto [forged, forged_key] = fed_->IssueCert("at", fed_->AgencyCaDir("hu"));
  grpc::ServerBuilder b;
  int port = 0;
  ifed::v1::Federation::Service empty;
  b.AddListeningPort("127.0.0.1:0",
                     federation::MakeServerCredentials({fed_->ca_cert(), forged, forged_key, ""},
                                                       fed_->trust_domain()),
                     &port);
  federation::ApplyServerLimits(b);
  b.RegisterService(&empty);
  auto server = b.BuildAndStart();
  ASSERT_NE(port, 0);
  const auto& de = fed_->node("de");
  auto call = [&](const std::vector<federation::IssuerPin>& pins) {
    federation::TlsFiles files{fed_->ca_cert(), de.cert, de.key, "", pins};
    auto stub = ifed::v1::Federation::NewStub(
        Channel("127.0.0.1:" + std::to_string(port),
                federation::MakeChannelCredentials(files, fed_->trust_domain(), "at")));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    ifed::v1::MatchResponse resp;
    return stub->Match(&ctx, ifed::v1::MatchRequest(), &resp);
  };
  // Shared root only: the handshake passes (UNIMPLEMENTED from the empty service).
  EXPECT_EQ(call({}).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // With at pinned to the AT agency: refused.
  grpc::Status s = call({{"agency-at", fed_->AgencyCaDir("at") + "/ca.pem", {"at"}}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
}

// Receipts of a node whose certificate an intermediate issued verify (the
// receipt carries the intermediate); after a renewal with a new key, new
// checkpoints and receipts use the new key and the audit chain verifies
// across it; a tampered key-change event fails verification.
TEST_F(PerAgencyIt, ReceiptsAndAuditAcrossIntermediateAndRenewal) {
  auto m = MatchDeToAt();
  ASSERT_EQ(m.exit_code, 0) << m.err << m.out;
  EXPECT_NE(m.out.find("\tat\tHIT"), std::string::npos) << m.out;
  auto q = fed_->Ctl("de", {"audit", "query", "--action", "match.out", "--peer", "at"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find("\"outcome\":\"ok\""), std::string::npos) << q.out;
  EXPECT_EQ(q.out.find("receipt"), q.out.find("receipt_")) << "receipt rejected: " << q.out;

  // Renew at's certificate and key in place (same agency), mid-run.
  const std::string agency = fed_->AgencyCaDir("at");
  auto r = ifed::testing::Run({fed_->source("certs/make-certs.sh"), "node", agency, fed_->trust_domain(), "at",
                "--ca-dir", agency, "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string at_log;
  while (std::chrono::steady_clock::now() < deadline) {
    at_log = Export("at");
    if (at_log.find("\"action\":\"signing_cert\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_NE(at_log.find("\"action\":\"signing_cert\""), std::string::npos)
      << "no certificate change recorded";

  // A receipt after the renewal verifies under the new certificate.
  m = MatchDeToAt();
  ASSERT_EQ(m.exit_code, 0) << m.err << m.out;
  q = fed_->Ctl("de", {"audit", "query", "--action", "match.out", "--peer", "at"});
  size_t ok = 0, pos = 0;
  while ((pos = q.out.find("\"outcome\":\"ok\"", pos)) != std::string::npos) ++ok, ++pos;
  EXPECT_EQ(ok, 2u) << q.out;

  // at's own chain verifies across the renewal (live, and from an export
  // whose header names the first certificate).
  auto v = fed_->Ctl("at", {"audit", "verify", "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("\"cert_changes\":1"), std::string::npos) << v.out;
  at_log = Export("at");
  const std::string file = fed_->dir() + "/at-export.jsonl";
  WriteFile(file, at_log);
  const std::string old_cert = fed_->dir() + "/at-first.pem";
  // The header's cert is the one in force at the first event: write it out.
  {
    auto header = Lines(at_log).front();
    auto from = header.find("\"cert\":\"");
    ASSERT_NE(from, std::string::npos);
    std::string pem = header.substr(from + 8);
    pem = pem.substr(0, pem.find('"'));
    std::string unescaped;
    for (size_t i = 0; i < pem.size(); ++i) {
      if (pem[i] == '\\' && i + 1 < pem.size() && pem[i + 1] == 'n') {
        unescaped += '\n';
        ++i;
      } else {
        unescaped += pem[i];
      }
    }
    WriteFile(old_cert, unescaped);
  }
  v = fed_->Ctl("at", {"audit", "verify", "--file", file, "--cert", old_cert});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  // The current (renewed) certificate does not verify the old checkpoints.
  v = fed_->Ctl("at", {"audit", "verify", "--file", file, "--cert", agency + "/at.pem"});
  EXPECT_EQ(v.exit_code, 1) << v.out;

  // Tamper with the key-change event: its signature.
  std::string tampered;
  for (const auto& l : Lines(at_log)) {
    std::string line = l;
    if (line.find("\"action\":\"signing_cert\"") != std::string::npos) {
      const size_t sig = line.find("\"sig\":\"");
      ASSERT_NE(sig, std::string::npos);
      line[sig + 12] = line[sig + 12] == 'a' ? 'b' : 'a';
    }
    tampered += line + "\n";
  }
  WriteFile(file, tampered);
  v = fed_->Ctl("at", {"audit", "verify", "--file", file, "--cert", old_cert});
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_NE(v.out.find("FAILED"), std::string::npos) << v.out;
}

// A renewal from another agency's CA is not published: hu keeps its
// certificate (and answers), the log says why.
TEST_F(PerAgencyIt, RenewalFromAnotherAgencyIsRefused) {
  auto [wrong, wrong_key] = fed_->IssueCert("hu", fed_->AgencyCaDir("at"));
  auto& hu = fed_->node("hu");
  const std::string good = ReadFile(hu.cert), good_key = ReadFile(hu.key);
  WriteFile(hu.key, ReadFile(wrong_key), 0600);
  WriteFile(hu.cert, ReadFile(wrong));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool refused = false;
  while (!refused && std::chrono::steady_clock::now() < deadline) {
    refused = ReadFile(hu.log).find("must be issued by agency-hu") != std::string::npos;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(refused) << ReadFile(hu.log);
  // Restore the real files; calls to hu work throughout.
  WriteFile(hu.key, good_key, 0600);
  WriteFile(hu.cert, good);
  ifed::v1::MatchResponse resp;
  const auto& de = fed_->node("de");
  EXPECT_TRUE(CallAs(*fed_, "hu", de.cert, de.key, "after-refused-renewal", &resp).ok());
}

// The single shared root still works: no pins, every node from one CA.
TEST(SharedRootIt, OneRootIssuesEveryNode) {
  LocalFederation fed;
  fed.AddNode("de", "DE", {P("at")});
  fed.AddNode("at", "AT", {P("de")});
  fed.Start();
  const std::string f = fed.dir() + "/at.csv";
  WriteFile(f, Csv("+43 664 3000005"));
  ASSERT_EQ(fed.Ctl("at", {"ingest", "--no-progress", f}).exit_code, 0);
  auto m = fed.Ctl("de", {"match", "--peer", "at", "--type", "phone", "--region", "AT",
                          "+43 664 3000005"});
  ASSERT_EQ(m.exit_code, 0) << m.err << m.out;
  EXPECT_NE(m.out.find("\tat\tHIT"), std::string::npos) << m.out;
  EXPECT_EQ(fed.Ctl("at", {"audit", "verify"}).exit_code, 0);
}

}  // namespace
}  // namespace ifed::testing
