// End to end: three national nodes (de, at, hu) and real certificates on
// 127.0.0.1. Synthetic data with planted overlaps; only the planted
// identifiers may hit, refused callers get nothing, and no raw value reaches
// a log.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <tuple>

#include "node/normalize/normalizer.h"
#include "absl/strings/str_split.h"
#include "node/crypto/key_file.h"
#include "node/crypto/keyed.h"
#include "node/federation/transport/tls.h"
#include "proto/federation.grpc.pb.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

using Hit = std::tuple<std::string, std::string, std::string, std::string>;  // querier,type,canonical,peer

class FederationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("de", "DE", {{.id = "at"}, {.id = "hu"}});
    fed_->AddNode("at", "AT", {{.id = "de"}, {.id = "hu"}});
    fed_->AddNode("hu", "HU", {{.id = "de"}, {.id = "at"}});
    fed_->Start();
    data_ = fed_->dir() + "/data";
    auto r = ifed::testing::Run({fed_->bin("ifed-synth"), "--out", data_, "--nodes", "de:DE,at:AT,hu:HU",
                  "--count", "1500", "--seed", "7"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* id : {"de", "at", "hu"}) {
      auto in = fed_->Ctl(id, {"ingest", data_ + "/" + id + ".csv"});
      ASSERT_EQ(in.exit_code, 0) << in.err;
      ASSERT_NE(in.out.find("stored "), std::string::npos);
    }
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }

  // Calls `target`'s federation port directly with a given client identity.
  static grpc::Status RawMatch(const std::string& target, const std::string& cert,
                               const std::string& key, const std::string& expected_peer,
                               ifed::v1::MatchResponse* out) {
    federation::TlsFiles files{fed_->ca_cert(), cert, key, ""};
    auto channel = grpc::CreateCustomChannel(
        fed_->node(target).address,
        federation::MakeChannelCredentials(files, fed_->trust_domain(), expected_peer),
        federation::ClientChannelArguments());
    auto stub = ifed::v1::Federation::NewStub(channel);
    ifed::v1::MatchRequest req;
    req.set_request_id("it-1");
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    req.set_canon_version(ifed::normalize::kCanonicalVersion);
    req.set_epoch(1);
    auto* b = req.add_batches();
    b->set_type(ifed::v1::PHONE);
    b->set_pseudonyms(std::string(32, 'x'));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return stub->Match(&ctx, req, out);
  }

  static LocalFederation* fed_;
  static std::string data_;
};

LocalFederation* FederationTest::fed_ = nullptr;
std::string FederationTest::data_;

TEST_F(FederationTest, PlantedOverlapsHitAndNothingElse) {
  std::set<Hit> expected;
  std::istringstream planted(ReadFile(data_ + "/planted.csv"));
  std::string line;
  std::getline(planted, line);  // header
  size_t rows = 0;
  while (std::getline(planted, line)) {
    if (line.empty()) continue;
    // type,canonical,holders; the canonical form may itself contain commas
    // only inside quotes, which the generator never writes.
    std::vector<std::string> f = absl::StrSplit(line, ',');
    ASSERT_EQ(f.size(), 3u) << line;
    std::vector<std::string> holders = absl::StrSplit(f[2], ';');
    for (const auto& q : holders)
      for (const auto& p : holders)
        if (q != p) expected.insert({q, f[0], f[1], p});
    ++rows;
  }
  ASSERT_GT(rows, 10u);

  std::set<Hit> actual;
  for (const char* id : {"de", "at", "hu"}) {
    auto r = fed_->Ctl(id, {"match", "--all", "--hits-only", "--file", data_ + "/" + id + ".csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream out(r.out);
    while (std::getline(out, line)) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      ASSERT_GE(f.size(), 6u) << line;
      EXPECT_EQ(f[4], "HIT");
      // A per-partner token (Sealer::Reference), never the record id.
      EXPECT_EQ(f[5].size(), 45u) << "reference disclosed under hit_with_reference";
      EXPECT_EQ(f[5][0], 'r') << line;
      actual.insert({id, f[2], f[1], f[3]});
    }
  }
  EXPECT_EQ(actual, expected);
}

TEST_F(FederationTest, SingleValueMatchAcrossSpellings) {
  // Take one planted phone held by de and at; ask from de with at's spelling
  // normalised away: canonical E.164 with region-free international form.
  std::istringstream planted(ReadFile(data_ + "/planted.csv"));
  std::string line, phone;
  while (std::getline(planted, line)) {
    if (line.rfind("phone,", 0) == 0 && line.find("at") != std::string::npos &&
        line.find("de") != std::string::npos) {
      phone = std::vector<std::string>(absl::StrSplit(line, ','))[1];
      break;
    }
  }
  ASSERT_FALSE(phone.empty());
  auto r = fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", phone});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\tat\tHIT\t"), std::string::npos) << r.out;
  auto miss = fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", "+49 30 901820"});
  ASSERT_EQ(miss.exit_code, 0) << miss.err;
  EXPECT_NE(miss.out.find("\tat\tNO_HIT"), std::string::npos) << miss.out;
}

TEST_F(FederationTest, OtherCaIsRefused) {
  const std::string evil = fed_->MakeOtherCa("evil-ca");
  auto [cert, key] = fed_->IssueCert("at", evil);  // claims to be "at"
  ifed::v1::MatchResponse resp;
  grpc::Status s = RawMatch("de", cert, key, "de", &resp);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);  // refused before policy
  EXPECT_EQ(resp.results_size(), 0);
}

TEST_F(FederationTest, PartnerNotInPolicyIsPermissionDenied) {
  auto [cert, key] = fed_->IssueCert("xx");
  ifed::v1::MatchResponse resp;
  grpc::Status s = RawMatch("de", cert, key, "de", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(resp.results_size(), 0);
}

TEST_F(FederationTest, MemberWithValidCertIsAnswered) {
  auto [cert, key] = fed_->IssueCert("at");  // a second cert for at
  ifed::v1::MatchResponse resp;
  grpc::Status s = RawMatch("de", cert, key, "de", &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.results_size(), 1);
  EXPECT_EQ(resp.results(0).verdict(), ifed::v1::NO_HIT);
  EXPECT_EQ(resp.responder(), "de");
}

TEST_F(FederationTest, ClientRefusesServerWithOtherIdentity) {
  auto [cert, key] = fed_->IssueCert("at");
  ifed::v1::MatchResponse resp;
  // Reaching de while expecting hu: the client must refuse the handshake.
  grpc::Status s = RawMatch("de", cert, key, "hu", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(FederationTest, BadIngestStoresNothingAndNamesTheLine) {
  const std::string bad = fed_->dir() + "/bad.csv";
  WriteFile(bad,
            "type,value,case_ref,tlp,crime_area,region\n"
            "phone,+43 664 1234567,C-9,amber,migrant_smuggling,AT\n"
            "phone,12,C-9,amber,migrant_smuggling,AT\n");
  auto before = fed_->Ctl("at", {"stats", "--json"});
  auto r = fed_->Ctl("at", {"ingest", bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 3: field value"), std::string::npos) << r.err;
  EXPECT_EQ(fed_->Ctl("at", {"stats", "--json"}).out.substr(0, 80), before.out.substr(0, 80));
}

TEST_F(FederationTest, SharingRestrictionsHideRecordsFromPartners) {
  const std::string file = fed_->dir() + "/restricted.csv";
  WriteFile(file,
            "type,value,case_ref,tlp,sharing\n"
            "phone,+49 171 3300001,R-1,green,national_only\n"
            "phone,+49 171 3300002,R-1,green,not_for:at\n"
            "phone,+49 171 3300003,R-1,green,\n");
  auto in = fed_->Ctl("de", {"ingest", file});
  ASSERT_EQ(in.exit_code, 0) << in.err << in.out;
  auto ask = [&](const std::string& from) {
    auto r = fed_->Ctl(from, {"match", "--peer", "de", "--hits-only", "--type", "phone",
                              "+491713300001", "+491713300002", "+491713300003"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> hits;
    std::istringstream out(r.out);
    std::string line;
    while (std::getline(out, line)) hits.insert(std::vector<std::string>(absl::StrSplit(line, '\t'))[1]);
    return hits;
  };
  EXPECT_EQ(ask("at"), (std::set<std::string>{"+491713300003"}));
  EXPECT_EQ(ask("hu"), (std::set<std::string>{"+491713300002", "+491713300003"}));
  WriteFile(file, "type,value,case_ref,tlp,sharing\nphone,+49 171 3300004,R-2,green,not_for:AT!\n");
  auto bad = fed_->Ctl("de", {"ingest", file});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE((bad.err + bad.out).find("field sharing"), std::string::npos) << bad.err << bad.out;
}

TEST_F(FederationTest, AuditNamesTheLocalUserFromKernelCredentials) {
  auto r = fed_->Ctl("de", {"audit", "export", "--format", "jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string me = "\"actor\":\"local:uid=" + std::to_string(::getuid()) + "(";
  EXPECT_NE(r.out.find("\"action\":\"ingest\"," ), std::string::npos);
  EXPECT_NE(r.out.find(me), std::string::npos) << "no ingest attributed to uid " << ::getuid();
  EXPECT_EQ(r.out.find("\"actor\":\"local:unix"), std::string::npos);
}

TEST_F(FederationTest, NormalizeCommand) {
  auto r = fed_->Ctl("de", {"normalize", "--type", "phone", "--region", "DE", "030 1234567"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "+49301234567\n");
  auto bad = fed_->Ctl("de", {"normalize", "--type", "phone", "--region", "DE", "12"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.out.rfind("error: ", 0), 0u) << bad.out;
}

// MatchStream: several requests in flight on one stream, answered
// in order exactly like unary Match; refusals and bad input end the stream.
using MatchStreamRw = grpc::ClientReaderWriter<ifed::v1::MatchRequest, ifed::v1::MatchResponse>;

std::unique_ptr<ifed::v1::Federation::Stub> StreamStubAs(LocalFederation& fed, const std::string& id) {
  auto [cert, key] = fed.IssueCert(id);
  federation::TlsFiles files{fed.ca_cert(), cert, key, ""};
  return ifed::v1::Federation::NewStub(grpc::CreateCustomChannel(
      fed.node("de").address, federation::MakeChannelCredentials(files, fed.trust_domain(), "de"),
      federation::ClientChannelArguments()));
}

ifed::v1::MatchRequest StreamRequest(const std::string& id, const std::string& packed) {
  ifed::v1::MatchRequest req;
  req.set_request_id(id);
  req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  req.set_canon_version(ifed::normalize::kCanonicalVersion);
  req.set_epoch(1);
  auto* b = req.add_batches();
  b->set_type(ifed::v1::PHONE);
  b->set_pseudonyms(packed);
  return req;
}

std::string PhonePseudonym(LocalFederation& fed, const std::string& canonical) {
  auto keys = crypto::LoadFederationKeys(fed.dir() + "/federation.key");
  EXPECT_TRUE(keys.ok()) << keys.status();
  auto p = crypto::KeyedPseudonymizer::Create(*keys);
  EXPECT_TRUE(p.ok()) << p.status();
  auto ps = (*p)->Pseudonymize(1, IndicatorType::kPhone, canonical);
  EXPECT_TRUE(ps.ok()) << ps.status();
  return std::string(ps->begin(), ps->end());
}

TEST_F(FederationTest, MatchStreamPipelinedRequestsAnsweredInOrder) {
  WriteFile(fed_->dir() + "/stream.csv",
            "type,value,case_ref,tlp\nphone,+49 171 3300077,S-1,green\n");
  ASSERT_EQ(fed_->Ctl("de", {"ingest", fed_->dir() + "/stream.csv"}).exit_code, 0);
  const std::string hit = PhonePseudonym(*fed_, "+491713300077");
  const std::string miss(32, 'm');
  auto stub = StreamStubAs(*fed_, "at");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<MatchStreamRw> stream = stub->MatchStream(&ctx);
  // Three requests written before any answer is read.
  ASSERT_TRUE(stream->Write(StreamRequest("st-1", hit + miss)));
  ASSERT_TRUE(stream->Write(StreamRequest("st-2", miss)));
  ASSERT_TRUE(stream->Write(StreamRequest("st-3", miss + miss + hit)));
  ASSERT_TRUE(stream->WritesDone());
  std::vector<ifed::v1::MatchResponse> got;
  ifed::v1::MatchResponse r;
  while (stream->Read(&r)) got.push_back(r);
  grpc::Status s = stream->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].request_id(), "st-1");
  EXPECT_EQ(got[1].request_id(), "st-2");
  EXPECT_EQ(got[2].request_id(), "st-3");
  ASSERT_EQ(got[0].results_size(), 2);
  EXPECT_EQ(got[0].results(0).verdict(), ifed::v1::HIT);
  EXPECT_EQ(got[0].results(0).reference().size(), 45u);  // the partner's token.
  EXPECT_EQ(got[0].results(1).verdict(), ifed::v1::NO_HIT);
  ASSERT_EQ(got[1].results_size(), 1);
  EXPECT_EQ(got[1].results(0).verdict(), ifed::v1::NO_HIT);
  ASSERT_EQ(got[2].results_size(), 3);
  EXPECT_EQ(got[2].results(2).verdict(), ifed::v1::HIT);
  EXPECT_TRUE(got[2].receipt().signature().size() > 0) << "each answer carries its receipt";
  // Each request is audited like a unary Match.
  auto audit = fed_->Ctl("de", {"audit", "export", "--format", "jsonl"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  for (const char* id : {"st-1", "st-2", "st-3"}) {
    EXPECT_NE(audit.out.find(std::string("\"") + id + "\""), std::string::npos) << id;
  }
}

TEST_F(FederationTest, MatchStreamPartnerNotInPolicyIsDenied) {
  auto stub = StreamStubAs(*fed_, "xx");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<MatchStreamRw> stream = stub->MatchStream(&ctx);
  stream->Write(StreamRequest("st-x", std::string(32, 'm')));
  stream->WritesDone();
  ifed::v1::MatchResponse r;
  EXPECT_FALSE(stream->Read(&r));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// A purpose belongs to its call: takedown deconfliction is not a match
// purpose, on a stream either; the refusal names the purpose and the RPC.
TEST_F(FederationTest, MatchStreamRefusesTakedownDeconfliction) {
  auto stub = StreamStubAs(*fed_, "at");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<MatchStreamRw> stream = stub->MatchStream(&ctx);
  ifed::v1::MatchRequest req = StreamRequest("st-td", std::string(32, 'm'));
  req.set_purpose(ifed::v1::TAKEDOWN_DECONFLICTION);
  stream->Write(req);
  stream->WritesDone();
  ifed::v1::MatchResponse r;
  EXPECT_FALSE(stream->Read(&r));
  grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("purpose takedown_deconfliction is not accepted by MatchStream"),
            std::string::npos)
      << s.error_message();
}

TEST_F(FederationTest, MatchStreamBadRequestEndsTheStreamAfterEarlierAnswers) {
  auto stub = StreamStubAs(*fed_, "hu");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<MatchStreamRw> stream = stub->MatchStream(&ctx);
  ASSERT_TRUE(stream->Write(StreamRequest("st-ok", std::string(32, 'm'))));
  stream->Write(StreamRequest("st-bad", std::string(31, 'm')));  // not packed 32-byte values
  stream->Write(StreamRequest("st-after", std::string(32, 'm')));
  stream->WritesDone();
  std::vector<std::string> ids;
  ifed::v1::MatchResponse r;
  while (stream->Read(&r)) ids.push_back(r.request_id());
  grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("32-byte"), std::string::npos) << s.error_message();
  EXPECT_EQ(ids, std::vector<std::string>{"st-ok"});
}

// Runs last (alphabetical order is not guaranteed, so it reads all logs now):
// no raw value of the test data may appear in any node's log.
TEST_F(FederationTest, ZLogsCarryNoRawValues) {
  std::string logs = fed_->AllLogs();
  ASSERT_FALSE(logs.empty());
  size_t checked = 0;
  for (const char* id : {"de", "at", "hu"}) {
    std::istringstream csv(ReadFile(data_ + "/" + id + ".csv"));
    std::string line;
    std::getline(csv, line);
    while (std::getline(csv, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ',');
      if (f.size() < 2 || f[1].size() < 6) continue;
      EXPECT_EQ(logs.find(f[1]), std::string::npos) << "raw value in log: " << f[1];
      ++checked;
    }
  }
  std::istringstream planted(ReadFile(data_ + "/planted.csv"));
  std::string line;
  while (std::getline(planted, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() == 3 && f[1].size() >= 6) {
      EXPECT_EQ(logs.find(f[1]), std::string::npos) << "canonical value in log: " << f[1];
    }
  }
  EXPECT_GT(checked, 1000u);
}

}  // namespace
}  // namespace ifed::testing
