// Ecosystem against real nodes: STIX and MISP import through ifedctl, the
// refusal report, dry run, gRPC health over mTLS, reflection, the
// /metrics page (counters move, no test value in it) and `ifedctl peers`.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/client_unary_call.h>

#include "absl/strings/str_cat.h"
#include "node/common/version.h"
#include "node/federation/transport/tls.h"
#include "node/normalize/normalizer.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

constexpr char kPhone[] = "+43 660 9876543";
constexpr char kHandle[] = "Crossing_Fast";

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

// The value of an unlabelled or labelled sample line starting with `prefix`.
double Sample(const std::string& page, const std::string& prefix) {
  size_t p = page.find("\n" + prefix);
  if (p == std::string::npos) return -1;
  p = page.find(' ', p + 1 + prefix.size());
  return std::stod(page.substr(p + 1, page.find('\n', p) - p - 1));
}

class EcosystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("de", "DE", {{.id = "at"}});
    fed_->AddNode("at", "AT", {{.id = "de", .extra = "    quota: {items_per_day: 1000000}\n"}});
    metrics_port_ = FreePort();
    fed_->node("at").extra_yaml = absl::StrCat("metrics_listen: 127.0.0.1:", metrics_port_, "\n");
    fed_->Start();
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  static std::string Write(const std::string& name, const std::string& text) {
    const std::string path = fed_->dir() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  static LocalFederation* fed_;
  static int metrics_port_;
};

LocalFederation* EcosystemTest::fed_ = nullptr;
int EcosystemTest::metrics_port_ = 0;

std::string Bundle() {
  return absl::StrCat(R"({"type":"bundle","id":"bundle--1","objects":[
    {"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000001",
     "pattern":"[phone-number:value = ')", kPhone, R"(']","pattern_type":"stix",
     "valid_from":"2024-01-01T00:00:00Z","valid_until":"2099-01-01T00:00:00Z",
     "object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]},
    {"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000002",
     "pattern":"[user-account:account_login = ')", kHandle, R"(' AND user-account:account_type = 'telegram']",
     "pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z",
     "object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]},
    {"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000003",
     "pattern":"[url:value = 'https://x.example/']","pattern_type":"stix","revoked":true,
     "valid_from":"2024-01-01T00:00:00Z"},
    {"type":"malware","id":"malware--1","name":"x"}]})");
}

TEST_F(EcosystemTest, StixImportDryRunThenStoreThenMatch) {
  const std::string bundle = Write("bundle.json", Bundle());
  auto dry = fed_->Ctl("at", {"ingest", "--format", "stix", "--dry-run", bundle});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("dry run: nothing stored"), std::string::npos) << dry.out;
  auto stats = fed_->Ctl("at", {"stats", "--json"});
  EXPECT_NE(stats.out.find("\"records\":0"), std::string::npos) << stats.out;

  const std::string report = fed_->dir() + "/stix-report.tsv";
  auto in = fed_->Ctl("at", {"ingest", "--format", "stix", "--report", report, bundle});
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  EXPECT_NE(in.out.find("skipped objects        2"), std::string::npos) << in.out;
  const std::string rep = ReadFile(report);
  EXPECT_NE(rep.find("indicator--00000000-0000-4000-8000-000000000003)\tskipped\trevoked"),
            std::string::npos) << rep;
  // The TLP:RED phone is stored; de's policy for at allows up to amber only,
  // so de asking about it must not get a hit, while the amber handle hits.
  auto m = fed_->Ctl("de", {"match", "--peer", "at", "--type", "handle",
                            absl::StrCat("telegram:", kHandle)});
  EXPECT_NE(m.out.find("HIT"), std::string::npos) << m.out << m.err;
  auto red = fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", kPhone});
  EXPECT_NE(red.out.find("NO_HIT"), std::string::npos) << red.out << red.err;
}

TEST_F(EcosystemTest, MispImportAndAllOrNothing) {
  const std::string event = Write("event.json", R"({"Event":{"uuid":"e1","Attribute":[
      {"uuid":"a1","type":"email-src","value":"boats@example.org"},
      {"uuid":"a2","type":"phone-number","value":"not a phone"},
      {"uuid":"a3","type":"ip-dst","value":"192.0.2.1"}],
    "Object":[{"name":"instagram-account","Attribute":[
      {"uuid":"a4","object_relation":"account-name","type":"text","value":"cheap.crossings"}]}],
    "Tag":[{"name":"tlp:green"}]}})");
  const std::string report = fed_->dir() + "/misp-report.tsv";
  auto in = fed_->Ctl("de", {"ingest", "--format", "misp", "--report", report, event});
  EXPECT_EQ(in.exit_code, 1) << in.out << in.err;
  EXPECT_NE(in.out.find("stored (new records)   0"), std::string::npos) << in.out;
  EXPECT_NE(ReadFile(report).find("object 2 (attribute a2)\trefused\tfield value"),
            std::string::npos) << ReadFile(report);
  auto skip = fed_->Ctl("de", {"ingest", "--format", "misp", "--skip-invalid", event});
  EXPECT_EQ(skip.exit_code, 1) << skip.out << skip.err;
  EXPECT_NE(skip.out.find("refused, normalisation 1"), std::string::npos) << skip.out;
  auto stats = fed_->Ctl("de", {"stats", "--json"});
  EXPECT_EQ(stats.out.find("\"records\":0"), std::string::npos) << stats.out;
}

// A file larger than one staging chunk: stored in bounded memory,
// still all or nothing, and every row matches afterwards.
TEST_F(EcosystemTest, LargeIngestIsStagedAndStaysAllOrNothing) {
  constexpr int kRows = 20000;  // > 2 staging chunks of 8192 records.
  std::string csv = "type,value,case_ref,tlp\n";
  for (int i = 0; i < kRows; ++i) {
    csv += absl::StrCat("phone,+43 664 ", 1000000 + i, ",BULK-1,green\n");
  }
  const std::string good = Write("bulk.csv", csv);
  const std::string bad = Write("bulk-bad.csv", csv + "phone,not a number,BULK-1,green\n");
  auto records = [] {
    const std::string out = fed_->Ctl("at", {"stats", "--json"}).out;
    const size_t p = out.find("\"records\":");
    return p == std::string::npos ? out : out.substr(p, out.find(',', p) - p);
  };
  const std::string before = records();
  auto refused = fed_->Ctl("at", {"ingest", bad});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.out.find("stored (new records)   0"), std::string::npos) << refused.out;
  EXPECT_EQ(records(), before);
  auto m0 = fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", "+43 664 1000007"});
  EXPECT_NE(m0.out.find("NO_HIT"), std::string::npos) << m0.out << m0.err;

  auto in = fed_->Ctl("at", {"ingest", good});
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  EXPECT_NE(in.out.find(absl::StrCat("stored (new records)   ", kRows)), std::string::npos)
      << in.out;
  auto m = fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", "+43 664 1000007",
                            "+43 664 1019999", "+43 664 1020000"});
  ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
  EXPECT_EQ(Count(m.out, "\tHIT\t"), 2u) << m.out;
  // The same file again: every row updates, nothing is stored twice.
  auto again = fed_->Ctl("at", {"ingest", good});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("stored (new records)   0"), std::string::npos) << again.out;
  const std::string audit = fed_->Ctl("at", {"audit", "export"}).out;
  EXPECT_NE(audit.find("\"action\":\"ingest.applied\""), std::string::npos);
  EXPECT_EQ(audit.find("1000007"), std::string::npos);
}

// JSON log lines (the nodes log to files); the querier's and the
// responder's lines of one match carry the same request id, the one the
// CLI shows; no value of the query is in either log.
TEST_F(EcosystemTest, LogLinesOfOneMatchShareItsRequestIdOnBothNodes) {
  auto m = fed_->Ctl("de", {"match", "--peer", "at", "--json", "--type", "phone",
                            "+43 660 5550199"});
  ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
  const size_t p = m.out.find("\"request_id\":\"");
  ASSERT_NE(p, std::string::npos) << m.out;
  const std::string id = m.out.substr(p + 14, 32);
  const std::string tag = absl::StrCat("\"request_id\":\"", id, "\"");
  std::string de_log, at_log;  // logs are flushed every second.
  for (int i = 0; i < 40; ++i) {
    de_log = ReadFile(fed_->node("de").log);
    at_log = ReadFile(fed_->node("at").log);
    if (de_log.find(tag) != std::string::npos && at_log.find(tag) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(de_log.find(tag), std::string::npos) << de_log;
  EXPECT_NE(at_log.find(tag), std::string::npos) << at_log;
  for (const std::string& log : {de_log, at_log}) {
    EXPECT_EQ(log.find("5550199"), std::string::npos);
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
      EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0u) << line;
    }
  }
}

// The hits de's analysts received come out as a STIX 2.1 bundle
// of sightings with every required property, which the STIX importer reads
// back; plain JSON too; bad options are refused.
TEST_F(EcosystemTest, HitsExportAsStixSightings) {
  const std::string csv = Write("hits.csv", "type,value,case_ref,tlp\nhandle,telegram:Boat_Desk_77,HX-1,green\n");
  ASSERT_EQ(fed_->Ctl("at", {"ingest", csv}).exit_code, 0);
  auto m = fed_->Ctl("de", {"match", "--peer", "at", "--type", "handle", "telegram:boat_desk_77",
                            "telegram:nobody_here_31"});
  ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
  auto ex = fed_->Ctl("de", {"hits", "export", "--format", "stix"});
  ASSERT_EQ(ex.exit_code, 0) << ex.out << ex.err;
  const nlohmann::json bundle = nlohmann::json::parse(ex.out);
  EXPECT_EQ(bundle["type"], "bundle");
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& o : bundle["objects"]) by_id[o["id"].get<std::string>()] = o;
  int sightings = 0;
  for (const auto& [id, o] : by_id) {
    const std::string type = o["type"];
    EXPECT_EQ(id.rfind(type + "--", 0), 0u) << id;
    EXPECT_EQ(id.size(), type.size() + 2 + 36) << id;
    EXPECT_EQ(o["spec_version"], "2.1");
    EXPECT_TRUE(o.contains("created") && o.contains("modified")) << o.dump();
    if (type == "sighting") {
      ASSERT_TRUE(o.contains("sighting_of_ref")) << o.dump();
      const auto& ind = by_id.at(o["sighting_of_ref"].get<std::string>());
      EXPECT_EQ(ind["type"], "indicator");
      EXPECT_EQ(ind["pattern_type"], "stix");
      EXPECT_TRUE(ind.contains("valid_from"));
      // Earlier tests' hits are in the log too; this test's hit is one.
      if (ind["pattern"] != "[user-account:account_login = 'boat_desk_77' AND "
                            "user-account:account_type = 'telegram']") {
        continue;
      }
      ++sightings;
      ASSERT_EQ(o["where_sighted_refs"].size(), 1u);
      EXPECT_EQ(by_id.at(o["where_sighted_refs"][0].get<std::string>())["name"],
                "ifed partner at");
      EXPECT_EQ(o["x_ifed_scheme"], "keyed");
      EXPECT_FALSE(o["x_ifed_reference"].get<std::string>().empty());
    }
  }
  EXPECT_EQ(sightings, 1) << ex.out;
  // The importer reads the export back (as a MISP/OpenCTI round trip would).
  const std::string file = Write("hits-export.json", ex.out);
  auto back = fed_->Ctl("de", {"ingest", "--format", "stix", "--dry-run", "--tlp", "amber",
                               "--case-ref", "HX-BACK", file});
  EXPECT_EQ(back.exit_code, 0) << back.out << back.err;
  EXPECT_NE(back.out.find("dry run: nothing stored"), std::string::npos) << back.out;
  // Same hits, same ids: a second export is identical.
  EXPECT_EQ(fed_->Ctl("de", {"hits", "export"}).out, ex.out);
  auto plain = fed_->Ctl("de", {"hits", "export", "--format", "json"});
  EXPECT_NE(plain.out.find("\"canonical\": \"telegram:boat_desk_77\""), std::string::npos)
      << plain.out;
  EXPECT_EQ(fed_->Ctl("de", {"hits", "export", "--format", "csv"}).exit_code, 2);
  EXPECT_EQ(fed_->Ctl("de", {"hits", "export", "--since", "yesterday"}).exit_code, 2);
  auto future = fed_->Ctl("de", {"hits", "export", "--format", "json", "--since", "2999-01-01"});
  EXPECT_NE(future.out.find("\"hits\": []"), std::string::npos) << future.out;
  EXPECT_NE(fed_->Ctl("de", {"audit", "export"}).out.find("\"action\":\"hits.export\""),
            std::string::npos);
}

TEST_F(EcosystemTest, HealthAndReflectionOverMutualTls) {
  federation::TlsFiles files{fed_->ca_cert(), fed_->node("de").cert, fed_->node("de").key, ""};
  auto channel = grpc::CreateCustomChannel(
      fed_->node("at").address, federation::MakeChannelCredentials(files, fed_->trust_domain(), "at"),
      federation::ClientChannelArguments());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::ByteBuffer req, resp;
  grpc::Slice empty;
  req = grpc::ByteBuffer(&empty, 1);
  grpc::internal::RpcMethod check("/grpc.health.v1.Health/Check",
                                  grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::Status s = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel.get(), check, &ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  grpc::Slice out;
  ASSERT_TRUE(resp.DumpToSingleSlice(&out).ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.begin()), out.size()),
            std::string("\x08\x01", 2));  // status: SERVING

  // Reflection: ServerReflectionInfo is a bidi stream; list_services = field 7.
  grpc::GenericStub generic(channel);
  grpc::ClientContext rctx;
  rctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::CompletionQueue cq;
  auto call = generic.PrepareCall(&rctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  std::string list = std::string("\x3a\x00", 2);  // list_services: ""
  grpc::Slice ls(list);
  grpc::ByteBuffer lreq(&ls, 1);
  call->Write(lreq, reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::ByteBuffer lresp;
  call->Read(&lresp, reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::Slice lslice;
  ASSERT_TRUE(lresp.DumpToSingleSlice(&lslice).ok());
  const std::string services(reinterpret_cast<const char*>(lslice.begin()), lslice.size());
  EXPECT_NE(services.find("ifed.v1.Federation"), std::string::npos);
  EXPECT_NE(services.find("grpc.health.v1.Health"), std::string::npos);
  rctx.TryCancel();
  grpc::Status fs;
  call->Finish(&fs, reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {}
}

TEST_F(EcosystemTest, MetricsMoveAndHoldNoValue) {
  const std::string before = HttpGet(metrics_port_, "/metrics");
  ASSERT_NE(before.find("HTTP/1.1 200 OK"), std::string::npos) << before;
  const double items_before = Sample(before, "ifed_inbound_items_total");
  const double quota_before = Sample(before, "ifed_quota_used_items{partner=\"de\"}");
  const double chain_before = Sample(before, "ifed_audit_chain_length");
  auto m = fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", kPhone, "+43 660 5550001"});
  ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
  const std::string after = HttpGet(metrics_port_, "/metrics");
  EXPECT_EQ(Sample(after, "ifed_inbound_items_total"), items_before + 2) << after;
  EXPECT_GE(Sample(after, "ifed_rpc_requests_total{listener=\"federation\",method=\"/ifed.v1.Federation/Match\",peer=\"de\",result=\"OK\"}"), 1) << after;
  EXPECT_NE(after.find("ifed_rpc_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(after.find("ifed_store_records{type=\"phone\"}"), std::string::npos);
  EXPECT_EQ(Sample(after, "ifed_quota_used_items{partner=\"de\"}"), quota_before + 2) << after;
  EXPECT_EQ(Sample(after, "ifed_quota_limit_items{partner=\"de\"}"), 1000000) << after;
  EXPECT_GT(Sample(after, "ifed_audit_chain_length"), chain_before) << after;
  EXPECT_GE(Sample(after, "ifed_audit_checkpoint_age_seconds"), 0) << after;
  EXPECT_GE(Sample(after, "ifed_rocksdb_sst_bytes"), 0) << after;
  EXPECT_GT(Sample(after, "ifed_rocksdb_memtable_bytes"), 0) << after;
  EXPECT_EQ(Sample(after, "ifed_rocksdb_write_stopped"), 0) << after;
  for (const char* v : {"9876543", "5550001", "Crossing", "crossing", "misp:", "stix:",
                        "example.org"}) {
    EXPECT_EQ(after.find(v), std::string::npos) << v;
  }
}

TEST_F(EcosystemTest, PeersShowsHealthAndCertificateExpiry) {
  auto p = fed_->Ctl("de", {"peers", "--json"});
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  EXPECT_NE(p.out.find("\"peer\":\"at\""), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("\"health\":\"SERVING\""), std::string::npos) << p.out;
  EXPECT_EQ(p.out.find("\"cert_not_after\":0"), std::string::npos) << p.out;
  EXPECT_EQ(p.out.find("\"last_contact\":0"), std::string::npos) << p.out;
}

// Each peer announces its release, commit, canonical version and wire
// protocol with its health answer; `peers --quiet` lists the ids only.
TEST_F(EcosystemTest, PeersShowsEachPeersVersion) {
  auto p = fed_->Ctl("de", {"peers", "--json"});
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  ASSERT_NE(p.out.find("\"peer\":\"at\""), std::string::npos) << p.out;
  const std::string line_at = p.out.substr(p.out.find("\"peer\":\"at\""));
  const std::string at = line_at.substr(0, line_at.find('\n'));
  EXPECT_NE(at.find(absl::StrCat("\"release\":\"", ifed::version::Release(), "\"")),
            std::string::npos) << at;
  EXPECT_NE(at.find(absl::StrCat("\"commit\":\"", ifed::version::Commit(), "\"")),
            std::string::npos) << at;
  EXPECT_NE(at.find(absl::StrCat("\"canon_version\":", ifed::normalize::kCanonicalVersion, ",")),
            std::string::npos) << at;
  EXPECT_NE(at.find(absl::StrCat("\"wire_version\":", ifed::version::kWireProtocolVersion, "}")),
            std::string::npos) << at;
  auto text = fed_->Ctl("de", {"peers"});
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find(absl::StrCat("    version ", ifed::version::Release(), " commit ",
                                       ifed::version::Commit(), " canonical ",
                                       ifed::normalize::kCanonicalVersion, " wire ",
                                       ifed::version::kWireProtocolVersion, "\n")),
            std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("CANONICAL VERSION DIFFERS"), std::string::npos) << text.out;
  auto quiet = fed_->Ctl("de", {"peers", "--quiet"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_NE(("\n" + quiet.out).find("\nat\n"), std::string::npos) << quiet.out;
  EXPECT_EQ(quiet.out.find("SERVING"), std::string::npos) << quiet.out;
}

// The bash completion (rendered at build time next to bin/) offers the
// node's peer ids after --peer, asking the node of the --socket quietly.
TEST_F(EcosystemTest, CompletionOffersTheNodesPeers) {
  const std::string script =
      std::filesystem::path(fed_->bin("ifedctl")).parent_path().parent_path().string() +
      "/doc/ifedctl.bash";
  ASSERT_TRUE(std::filesystem::exists(script)) << script;
  auto complete = [&](const std::string& socket) {
    return ifed::testing::Run({"/bin/bash", "--norc", "--noprofile", "-c",
                "source \"$1\"; COMP_WORDS=(\"$2\" --socket \"$3\" match --peer \"\"); "
                "COMP_CWORD=5; _ifedctl; printf '%s\\n' \"${COMPREPLY[@]}\"",
                "_", script, fed_->bin("ifedctl"), socket});
  };
  auto r = complete(fed_->node("de").socket);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(("\n" + r.out).find("\nat\n"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
  auto none = complete(fed_->dir() + "/no-such.sock");
  EXPECT_EQ(none.out, "\n") << none.out;  // nothing, silently
  EXPECT_TRUE(none.err.empty()) << none.err;
}

}  // namespace
}  // namespace ifed::testing
