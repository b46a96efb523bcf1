// Issue 7 end to end: node de answers partner at with the keyed scheme and
// partner cz with the OPRF scheme (per-partner key, filter, budget), on the
// same data and the same visibility rules.
//  - cz gets exactly the hits at gets, and says which scheme answered;
//  - de's log holds no item and no pseudonym/output-like hex;
//  - two queries for one value send different blinded elements;
//  - a changed key is refused, over budget is RESOURCE_EXHAUSTED.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_split.h"
#include "node/federation/oprf_service.h"
#include "node/federation/tls.h"
#include "proto/federation.grpc.pb.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

using Hit = std::tuple<std::string, std::string>;  // type, canonical

class OprfTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("de", "DE",
                  {{.id = "at"},
                   {.id = "cz", .extra = "    scheme: oprf\n"
                                         "    quota: {items_per_second: 100000, burst: 100000, "
                                         "items_per_day: 20000}\n"}});
    fed_->AddNode("at", "AT", {{.id = "de"}});
    fed_->AddNode("cz", "CZ", {{.id = "de", .extra = "    scheme: oprf\n"}});
    const std::string seed = fed_->dir() + "/de/oprf.seed";
    WriteFile(seed, std::string(64, '7') + "\n", 0600);
    fed_->node("de").extra_yaml = "oprf_seed_file: " + seed + "\n";
    fed_->Start();
    data_ = fed_->dir() + "/data";
    auto r = ifed::testing::Run({fed_->bin("ifed-synth"), "--out", data_, "--nodes", "de:DE,at:AT,hu:HU",
                                 "--count", "1500", "--seed", "7"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto in = fed_->Ctl("de", {"ingest", data_ + "/de.csv"});
    ASSERT_EQ(in.exit_code, 0) << in.err;
    ASSERT_NE(in.out.find("stored "), std::string::npos);
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }

  static std::set<Hit> Hits(const std::string& querier, std::vector<std::string> extra,
                            const std::string& scheme) {
    std::vector<std::string> args = {"match", "--peer", "de", "--hits-only", "--file",
                                     data_ + "/at.csv"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = fed_->Ctl(querier, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::set<Hit> hits;
    std::istringstream out(r.out);
    std::string line;
    while (std::getline(out, line)) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      EXPECT_EQ(f.size(), 8u) << line;
      if (f.size() < 8) continue;
      EXPECT_EQ(f[4], "HIT");
      EXPECT_EQ(f[7], scheme) << line;
      hits.insert({f[2], f[1]});
    }
    return hits;
  }

  static inline LocalFederation* fed_ = nullptr;
  static inline std::string data_;
};

TEST_F(OprfTest, OprfPartnerGetsExactlyTheKeyedHits) {
  auto sync = fed_->Ctl("cz", {"filters", "sync"});
  ASSERT_EQ(sync.exit_code, 0) << sync.err << sync.out;
  EXPECT_NE(sync.out.find("de\tupdated"), std::string::npos) << sync.out;
  EXPECT_NE(sync.out.find("key pinned"), std::string::npos) << sync.out;
  const auto keyed = Hits("at", {}, "keyed");
  const auto oprf = Hits("cz", {}, "oprf");
  ASSERT_FALSE(keyed.empty());
  EXPECT_EQ(oprf, keyed);
  // A second sync: same filter, key unchanged.
  auto again = fed_->Ctl("cz", {"filters", "sync", "--peer", "de"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("de\tunchanged"), std::string::npos) << again.out;
  // Resolve: the reference for OPRF hits (hit_with_reference).
  auto r = fed_->Ctl("cz", {"match", "--peer", "de", "--hits-only", "--resolve", "yes", "--file",
                            data_ + "/at.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream out(r.out);
  std::string line;
  size_t n = 0;
  while (std::getline(out, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ASSERT_EQ(f.size(), 8u);
    EXPECT_EQ(f[5].size(), 32u) << "reference under hit_with_reference: " << line;
    ++n;
  }
  EXPECT_EQ(n, keyed.size());
}

TEST_F(OprfTest, ResponderLogsNoItemAndNoPseudonym) {
  ASSERT_EQ(fed_->Ctl("cz", {"filters", "sync"}).exit_code, 0);
  Hits("cz", {}, "oprf");
  const std::string log = ReadFile(fed_->node("de").log) + ReadFile(fed_->node("de").log + ".stderr");
  ASSERT_NE(log.find("oprf evaluate from cz"), std::string::npos);
  std::istringstream csv(ReadFile(data_ + "/at.csv"));
  std::string line;
  std::getline(csv, line);  // header
  size_t checked = 0;
  while (std::getline(csv, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() < 2 || f[1].size() < 6) continue;
    EXPECT_EQ(log.find(f[1]), std::string::npos) << "item in de's log: " << f[1];
    ++checked;
  }
  EXPECT_GT(checked, 100u);
  // 32-byte values (pseudonyms, outputs) as hex or base64, 33-byte elements as hex.
  EXPECT_FALSE(std::regex_search(log, std::regex("[0-9a-fA-F]{64}")));
  EXPECT_FALSE(std::regex_search(log, std::regex("[A-Za-z0-9+/]{43}=")));
}

TEST_F(OprfTest, SameValueTwiceSendsDifferentBlindedElements) {
  // The querier's own code (OprfQuerier), with cz's identity, against de.
  auto cert = fed_->IssueCert("cz");
  federation::TlsFiles files{fed_->ca_cert(), cert.first, cert.second, ""};
  auto stub = ifed::v1::Federation::NewStub(grpc::CreateCustomChannel(
      fed_->node("de").address, federation::MakeChannelCredentials(files, fed_->trust_domain(), "de"),
      federation::ClientChannelArguments()));
  auto q = federation::OprfQuerier::Create(fed_->dir() + "/it-oprf");
  ASSERT_TRUE(q.ok());
  {
    grpc::ClientContext ctx;
    ifed::v1::OprfPublicKeyResponse key;
    ASSERT_TRUE(stub->OprfPublicKey(&ctx, {}, &key).ok());
    crypto::oprf::Element e;
    ASSERT_EQ(key.public_key().size(), e.size());
    std::copy(key.public_key().begin(), key.public_key().end(), e.begin());
    bool pinned = false;
    ASSERT_TRUE((*q)->PinKey("de", e, &pinned).ok());
    grpc::ClientContext fctx;
    auto reader = stub->FilterSync(&fctx, {});
    ifed::v1::FilterChunk c, first;
    std::string bytes;
    while (reader->Read(&c)) {
      if (bytes.empty()) first = c;
      bytes += c.data();
    }
    ASSERT_TRUE(reader->Finish().ok());
    crypto::filter::Digest d;
    std::copy(first.digest().begin(), first.digest().end(), d.begin());
    ASSERT_TRUE((*q)->StoreFilter("de", bytes, d, e).ok());
  }
  std::vector<std::string> sent;
  const std::vector<std::string> in = {federation::OprfInput(IndicatorType::kPhone, "+4930901820")};
  for (int i = 0; i < 2; ++i) {
    ifed::v1::OprfEvaluateRequest req;
    req.set_request_id("it-blind");
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    auto a = (*q)->Query("de", in, req, [&](const ifed::v1::OprfEvaluateRequest& r)
                                            -> absl::StatusOr<ifed::v1::OprfEvaluateResponse> {
      sent.push_back(r.blinded());
      grpc::ClientContext ctx;
      ifed::v1::OprfEvaluateResponse resp;
      grpc::Status s = stub->OprfEvaluate(&ctx, r, &resp);
      if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
      return resp;
    });
    ASSERT_TRUE(a.ok()) << a.status();
  }
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].size(), 33u);
  EXPECT_NE(sent[0], sent[1]);
}

TEST_F(OprfTest, KeyedPartnerCannotUseOprfAndOverBudgetIsExhausted) {
  // at's rule is keyed: no OPRF key for it.
  auto cert = fed_->IssueCert("at");
  federation::TlsFiles files{fed_->ca_cert(), cert.first, cert.second, ""};
  auto stub = ifed::v1::Federation::NewStub(grpc::CreateCustomChannel(
      fed_->node("de").address, federation::MakeChannelCredentials(files, fed_->trust_domain(), "de"),
      federation::ClientChannelArguments()));
  grpc::ClientContext ctx;
  ifed::v1::OprfPublicKeyResponse key;
  EXPECT_EQ(stub->OprfPublicKey(&ctx, {}, &key).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // cz: its daily budget is 20000 evaluations; batches of 9000 run out.
  ASSERT_EQ(fed_->Ctl("cz", {"filters", "sync"}).exit_code, 0);
  std::string file = fed_->dir() + "/many.csv";
  std::string csv = "type,value\n";
  for (int i = 0; i < 9000; ++i) csv += "phone,+43664" + std::to_string(1000000 + i) + "\n";
  WriteFile(file, csv);
  std::string errors;
  for (int i = 0; i < 3; ++i) {
    errors += fed_->Ctl("cz", {"match", "--peer", "de", "--hits-only", "--file", file}).err;
  }
  EXPECT_NE(errors.find("quota of 20000"), std::string::npos) << errors;
}

// The responder audits every OPRF consultation with the partner, purpose,
// item count and decision, never an item (the responder never sees one).
TEST_F(OprfTest, ZResponderAuditsOprfCalls) {
  auto r = fed_->Ctl("de", {"audit", "export", "--format", "jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"action\":\"oprf.evaluate\",\"actor\":\"peer:cz\",\"outcome\":\"ok\""),
            std::string::npos);
  EXPECT_NE(r.out.find("\"action\":\"oprf.resolve\""), std::string::npos);
  EXPECT_NE(r.out.find("\"action\":\"oprf.evaluate\",\"actor\":\"peer:cz\",\"outcome\":\"refused\""),
            std::string::npos) << "the over-budget evaluation is audited as refused";
  EXPECT_EQ(fed_->Ctl("de", {"audit", "verify"}).exit_code, 0);
}

}  // namespace
}  // namespace ifed::testing
