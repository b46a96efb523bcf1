// The OPRF scheme through the hub, and `ifedctl match --hub`, with
// real processes and certificates on 127.0.0.1.
//   hub (EU, role hub): relays de's calls to at, hu and cz; no rule for pl.
//   de (DE): the querier; no OPRF seed.
//   at (AT): OPRF member; its rules for the hub, de and cz say oprf.
//   cz (CZ): OPRF member with an oprf rule for de; the hub may relay either
//            scheme (keyed_or_oprf), and cz asks keyed through it too.
//   hu (HU): keyed member (its rules for the hub and de are keyed).
//   pl (PL): member the hub's policy does not relay to.
// at, hu and cz hold kPlanted; nobody holds kNowhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "node/normalize/normalizer.h"
#include "absl/strings/str_split.h"
#include "node/audit/signer.h"
#include "node/federation/oprf/oprf_key_statement.h"
#include "node/federation/oprf/oprf_relay.h"
#include "node/federation/transport/relay_auth.h"
#include "node/federation/transport/tls.h"
#include "proto/federation.grpc.pb.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

constexpr char kPlanted[] = "+4915112345681";
constexpr char kNowhere[] = "+4915112345683";
constexpr char kLater[] = "+4915112345685";  // at ingests it in the last test.
constexpr char kOprf[] = "    scheme: oprf\n";
constexpr char kEither[] = "    scheme: keyed_or_oprf\n";  // a hub relays either scheme

class HubOprfTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("hub", "EU",
                  {{.id = "de", .extra = "    watches: {allowed: true, max_active: 10}\n"},
                   {.id = "at"}, {.id = "hu"},
                   {.id = "cz", .disclosure = "hit_only"}});  // the hub's ceiling for cz
    // Relays widen nothing: a member answers through the hub under its rule
    // for the querier and its rule for the hub (both oprf for the OPRF calls).
    fed_->AddNode("de", "DE", {{.id = "hub"}, {.id = "cz", .extra = kOprf}});
    fed_->AddNode("at", "AT", {{.id = "hub", .extra = kOprf}, {.id = "de", .extra = kOprf},
                               {.id = "cz", .extra = kOprf}});
    fed_->AddNode("cz", "CZ", {{.id = "hub", .extra = kEither}, {.id = "de", .extra = kOprf}});
    fed_->AddNode("hu", "HU", {{.id = "hub"}, {.id = "de"}});
    fed_->AddNode("pl", "PL", {{.id = "hub"}});
    fed_->node("hub").role = "hub";
    fed_->node("hub").extra_yaml = "peer_timeout_ms: 3000\n";
    fed_->node("de").extra_yaml = "oprf_sync_seconds: 1\n";  // the periodic sync
    for (const char* id : {"at", "cz", "hu"}) {
      const std::string seed = fed_->dir() + "/" + id + "/oprf.seed";
      WriteFile(seed, std::string(64, id[0] == 'a' ? '3' : id[0] == 'c' ? '5' : '9') + "\n",
                0600);
      fed_->node(id).extra_yaml = "oprf_seed_file: " + seed + "\n" +
                                  (Measuring() ? "oprf_evals_per_second: 1000000\n" : "");
    }
    fed_->Start();
    // de holds cz's filter from before cz's ingest, so that its next direct
    // sync is a delta (FiltersReachTheQuerierThroughTheHub compares it with
    // the snapshot it gets through the hub).
    ASSERT_EQ(fed_->Ctl("de", {"filters", "sync", "--peer", "cz"}).exit_code, 0);
    for (const char* id : {"at", "cz", "hu"}) Ingest(id);
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  static void Ingest(const std::string& id, const std::string& value = kPlanted) {
    const std::string path = fed_->dir() + "/" + id + ".csv";
    WriteFile(path, "type,value,case_ref,tlp,crime_area,region\nphone," + value +
                        ",CASE-" + id + "-9,green,migrant_smuggling,DE\n");
    auto r = fed_->Ctl(id, {"ingest", path});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  static bool Measuring() { return std::getenv("IFED_HUB_OPRF_LATENCY") != nullptr; }
  static RunResult SyncViaHub() { return fed_->Ctl("de", {"filters", "sync", "--hub"}); }
  static RunResult MatchViaHub(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"match", "--hub", "--type", "phone"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(kPlanted);
    args.push_back(kNowhere);
    return fed_->Ctl("de", args);
  }
  // The row of `value` from `peer`: value, canonical, type, peer, verdict,
  // reference, contact, scheme; empty when there is none.
  static std::vector<std::string> Row(const std::string& out, const std::string& value,
                                      const std::string& peer) {
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      std::vector<std::string> r = absl::StrSplit(line, '\t');
      if (r.size() >= 8 && r[0] == value && r[3] == peer) return r;
    }
    return {};
  }
  // A federation stub to node `to` with a certificate for `as`.
  static std::unique_ptr<ifed::v1::Federation::Stub> StubAs(const std::string& as,
                                                            const std::string& to) {
    auto cert = fed_->IssueCert(as);
    federation::TlsFiles files{fed_->ca_cert(), cert.first, cert.second, ""};
    return ifed::v1::Federation::NewStub(grpc::CreateCustomChannel(
        fed_->node(to).address, federation::MakeChannelCredentials(files, fed_->trust_domain(), to),
        federation::ClientChannelArguments()));
  }
  // `request` signed by node `querier` (its own key and certificate) for
  // the hub to relay to `audience` (relay_auth.h).
  template <typename R>
  static R SignedBy(const std::string& querier, R request, const char* rpc,
                    std::vector<std::string> audience, ifed::v1::Purpose purpose) {
    auto key = audit::Signer::Load(fed_->node(querier).key, fed_->node(querier).cert);
    EXPECT_TRUE(key.ok()) << key.status();
    federation::RelaySigner signer(querier, key->get());
    auto a = signer.Sign("hub", std::move(audience), rpc, request, purpose);
    EXPECT_TRUE(a.ok()) << a.status();
    *request.mutable_relay_authorization() = *a;
    return request;
  }
  static grpc::Status KeyCall(ifed::v1::Federation::Stub& stub, const char* header,
                              const std::string& value, std::string* key = nullptr,
                              const ifed::v1::OprfPublicKeyRequest& request = {}) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (header != nullptr) ctx.AddMetadata(header, value);
    ifed::v1::OprfPublicKeyResponse resp;
    grpc::Status s = stub.OprfPublicKey(&ctx, request, &resp);
    if (key != nullptr) *key = resp.public_key();
    return s;
  }

  static LocalFederation* fed_;
};

LocalFederation* HubOprfTest::fed_ = nullptr;

TEST_F(HubOprfTest, FiltersReachTheQuerierThroughTheHub) {
  auto r = SyncViaHub();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // hu refuses OPRF for the hub.
  EXPECT_NE(r.out.find("hub/at\t"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("hub/cz\t"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("1 items"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("peer hub/hu: PERMISSION_DENIED"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("oprf scheme is not allowed"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("hub/pl"), std::string::npos) << "the hub does not relay to pl";
  EXPECT_EQ(r.err.find("hub/pl"), std::string::npos) << r.err;
  // Kept under a file name without '/'.
  EXPECT_TRUE(std::filesystem::exists(fed_->node("de").data_dir + "/oprf/hub~at.filter"));
  EXPECT_TRUE(std::filesystem::exists(fed_->node("de").data_dir + "/oprf/hub~at.pub"));
  // cz answers through the hub under its rule for de, with de's key: the
  // same filter de gets from cz directly.
  auto direct = fed_->Ctl("de", {"filters", "sync", "--peer", "cz", "--json"});
  auto relayed = fed_->Ctl("de", {"filters", "sync", "--peer", "hub/cz", "--json"});
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  // The same filter, however it came: the digest is of the filter held in
  // effect, not of the snapshot the direct deltas apply to.
  ASSERT_EQ(relayed.exit_code, 0) << relayed.err;
  const std::regex digest("\"digest\":\"([0-9a-f]+)\"");
  std::smatch a, b;
  ASSERT_TRUE(std::regex_search(direct.out, a, digest)) << direct.out;
  ASSERT_TRUE(std::regex_search(relayed.out, b, digest)) << relayed.out;
  EXPECT_EQ(a[1].str(), b[1].str());
  EXPECT_FALSE(a[1].str().empty());
}

TEST_F(HubOprfTest, MatchViaHubUsesOprfWhereTheFilterIsHeldKeyedElsewhere) {
  ASSERT_EQ(SyncViaHub().exit_code, 1);
  auto r = MatchViaHub();
  EXPECT_EQ(r.exit_code, 1) << r.err;  // pl is denied by the hub.
  auto at = Row(r.out, kPlanted, "hub/at");
  ASSERT_FALSE(at.empty()) << r.out << r.err;
  EXPECT_EQ(at[4], "HIT");
  EXPECT_EQ(at[7], "oprf");
  auto cz = Row(r.out, kPlanted, "hub/cz");
  ASSERT_FALSE(cz.empty()) << r.out;
  EXPECT_EQ(cz[4], "HIT");
  EXPECT_EQ(cz[7], "oprf");
  auto hu = Row(r.out, kPlanted, "hub/hu");
  ASSERT_FALSE(hu.empty()) << r.out << r.err;
  EXPECT_EQ(hu[4], "HIT");
  EXPECT_EQ(hu[7], "keyed");
  for (const char* member : {"hub/at", "hub/cz", "hub/hu"}) {
    auto none = Row(r.out, kNowhere, member);
    ASSERT_FALSE(none.empty()) << member << r.out;
    EXPECT_EQ(none[4], "NO_HIT") << member;
  }
  // Answered by OPRF: not asked keyed as well (no DENIED row for it).
  EXPECT_EQ(r.err.find("hub/at"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hub/cz"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hub/pl: 7 MEMBER_DENIED"), std::string::npos) << r.err;
  EXPECT_EQ(Row(r.out, kPlanted, "hub/de").size(), 0u) << "the querier is never asked";
  // at and cz had one blinded batch, fanned out by the hub (logs flush each second).
  bool fanned = false;
  for (int i = 0; i < 30 && !fanned; ++i) {
    fanned = ReadFile(fed_->node("hub").log)
                 .find("hub: oprf evaluate from de: 2 items fanned out to 2 members") !=
             std::string::npos;
    if (!fanned) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(fanned);
  // --via-hub is the same.
  auto alias = fed_->Ctl("de", {"match", "--via-hub", "--all", "--type", "phone", kPlanted});
  EXPECT_EQ(Row(alias.out, kPlanted, "hub/at").at(4), "HIT") << alias.out << alias.err;
  // --peer hub still asks the keyed relay only: at refuses keyed for the hub.
  auto keyed = fed_->Ctl("de", {"match", "--peer", "hub", "--type", "phone", kPlanted});
  EXPECT_EQ(Row(keyed.out, kPlanted, "hub/at").size(), 0u) << keyed.out;
  EXPECT_NE(keyed.err.find("hub/at: 7 MEMBER_DENIED"), std::string::npos) << keyed.err;
  EXPECT_EQ(Row(keyed.out, kPlanted, "hub/hu").at(4), "HIT");
}

TEST_F(HubOprfTest, ResolveGoesThroughTheHub) {
  ASSERT_EQ(SyncViaHub().exit_code, 1);
  auto r = MatchViaHub({"--resolve", "yes"});
  auto at = Row(r.out, kPlanted, "hub/at");
  ASSERT_FALSE(at.empty()) << r.out << r.err;
  EXPECT_EQ(at[4], "HIT");
  EXPECT_FALSE(at[5].empty()) << "reference";
  EXPECT_EQ(at[5].find("CASE-"), std::string::npos) << "a record reference, not the case";
  // cz asks at through the hub: at's rule for the hub lets it resolve, the
  // hub's ceiling for cz (hit only) withholds the reference.
  auto sync = fed_->Ctl("cz", {"filters", "sync", "--peer", "hub/at"});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  auto cz = fed_->Ctl("cz", {"match", "--hub", "--resolve", "yes", "--type", "phone", kPlanted});
  auto row = Row(cz.out, kPlanted, "hub/at");
  ASSERT_FALSE(row.empty()) << cz.out << cz.err;
  EXPECT_EQ(row[4], "HIT");
  EXPECT_EQ(row[5], "") << "the hub's disclosure ceiling for cz";
  EXPECT_EQ(row[7], "oprf");
}

TEST_F(HubOprfTest, JurisdictionRestrictsTheFanOut) {
  ASSERT_EQ(SyncViaHub().exit_code, 1);
  auto r = MatchViaHub({"--jurisdiction", "at", "--jurisdiction", "HU"});
  EXPECT_EQ(Row(r.out, kPlanted, "hub/at").at(4), "HIT") << r.out << r.err;
  EXPECT_EQ(Row(r.out, kPlanted, "hub/hu").at(4), "HIT") << r.out << r.err;
  EXPECT_EQ(Row(r.out, kPlanted, "hub/cz").size(), 0u) << r.out;
  EXPECT_EQ(r.err.find("hub/pl"), std::string::npos) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto none = MatchViaHub({"--jurisdiction", "FR"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no member of jurisdiction FR"), std::string::npos) << none.err;
  EXPECT_EQ(none.out, "");
  auto bad = MatchViaHub({"--jurisdiction", "FRA"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("ISO 3166-1 alpha-2"), std::string::npos) << bad.err;
}

TEST_F(HubOprfTest, HubPolicyDeniesAPairAndBadTargetsAreRefused) {
  // The hub has no rule for pl: nothing is relayed there.
  auto pl = fed_->Ctl("de", {"filters", "sync", "--peer", "hub/pl"});
  EXPECT_EQ(pl.exit_code, 1);
  EXPECT_NE(pl.err.find("PERMISSION_DENIED"), std::string::npos) << pl.err;
  EXPECT_NE(pl.err.find("hub policy"), std::string::npos) << pl.err;
  // pl may not ask the hub at all: no member list, no relayed call.
  auto from_pl = fed_->Ctl("pl", {"filters", "sync", "--hub"});
  EXPECT_NE(from_pl.exit_code, 0);
  EXPECT_NE(from_pl.err.find("hub policy"), std::string::npos) << from_pl.err;
  auto pl_at = fed_->Ctl("pl", {"filters", "sync", "--peer", "hub/at"});
  EXPECT_NE(pl_at.err.find("PERMISSION_DENIED"), std::string::npos) << pl_at.err;
  // Unknown and malformed members, a relay header at a node that is no hub.
  auto unknown = fed_->Ctl("de", {"filters", "sync", "--peer", "hub/xx"});
  EXPECT_NE(unknown.err.find("NOT_FOUND"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("no member 'xx'"), std::string::npos) << unknown.err;
  EXPECT_NE(fed_->Ctl("de", {"filters", "sync", "--peer", "at/hu"}).err.find("is not a hub"),
            std::string::npos);
  auto stub = StubAs("de", "hub");
  grpc::Status s = KeyCall(*stub, federation::kRelayToHeader, "AT!");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  s = KeyCall(*stub, federation::kRelayToHeader, "de");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  s = KeyCall(*stub, federation::kRelayToHeader, "nobody");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  auto direct = StubAs("de", "at");
  s = KeyCall(*direct, federation::kRelayToHeader, "hu");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  // No hub configured: --hub says so (the hub itself has none).
  auto no_hub = fed_->Ctl("hub", {"match", "--hub", "--type", "phone", kPlanted});
  EXPECT_NE(no_hub.exit_code, 0);
  EXPECT_NE(no_hub.err.find("no hub configured"), std::string::npos) << no_hub.err;
}

// One blinded batch, every member: each answers under its own key for de
// (and proves it), a member that refuses and one the hub does not relay to
// each have their status; a repeated member is refused.
TEST_F(HubOprfTest, HubFansOneBlindedBatchOutToMembers) {
  ASSERT_EQ(SyncViaHub().exit_code, 1);
  const std::string element = ReadFile(fed_->node("de").data_dir + "/oprf/hub~at.pub");
  ASSERT_EQ(element.size(), 33u);  // a valid point stands in for a blinded element
  auto stub = StubAs("de", "hub");
  auto evaluate = [&](const std::string& targets, ifed::v1::OprfEvaluateResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata(federation::kRelayToHeader, targets);
    ifed::v1::OprfEvaluateRequest req;
    req.set_request_id("fan-out-1");
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    req.set_canon_version(ifed::normalize::kCanonicalVersion);
    req.set_blinded(element + element);
    // de signs the call for the members it names ("*": every member).
    std::vector<std::string> audience = absl::StrSplit(targets, ',');
    if (targets == "*") audience = {"at", "cz", "hu"};
    req = SignedBy("de", req, federation::kRpcOprfEvaluate, audience, req.purpose());
    return stub->OprfEvaluate(&ctx, req, resp);
  };
  ifed::v1::OprfEvaluateResponse all;
  ASSERT_TRUE(evaluate("*", &all).ok());
  EXPECT_TRUE(all.evaluated().empty());
  std::map<std::string, ifed::v1::OprfMemberEvaluation> by;
  for (const auto& m : all.members()) by[m.member()] = m;
  ASSERT_EQ(by.size(), 3u) << all.DebugString();  // at, cz, hu; not pl.
  EXPECT_EQ(by["at"].status(), ifed::v1::MEMBER_ANSWERED) << by["at"].message();
  EXPECT_EQ(by["cz"].status(), ifed::v1::MEMBER_ANSWERED) << by["cz"].message();
  EXPECT_EQ(by["at"].evaluated().size(), 66u);
  EXPECT_EQ(by["at"].proof().size(), 64u);
  EXPECT_NE(by["at"].evaluated(), by["cz"].evaluated());
  EXPECT_EQ(by["hu"].status(), ifed::v1::MEMBER_DENIED);
  EXPECT_TRUE(by["hu"].evaluated().empty());
  ifed::v1::OprfEvaluateResponse two;
  ASSERT_TRUE(evaluate("at,pl", &two).ok());
  ASSERT_EQ(two.members_size(), 2);
  EXPECT_EQ(two.members(1).member(), "pl");
  EXPECT_EQ(two.members(1).status(), ifed::v1::MEMBER_DENIED);
  EXPECT_NE(two.members(1).message().find("hub policy"), std::string::npos);
  ifed::v1::OprfEvaluateResponse dup;
  EXPECT_EQ(evaluate("at,at", &dup).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(HubOprfTest, OnlyTheHubMayRelayOnBehalfOfAnother) {
  // hu is a member, not the hub: at refuses its on-behalf-of header.
  auto from_hu = StubAs("hu", "at");
  grpc::Status s = KeyCall(*from_hu, federation::kOnBehalfOfHeader, "de");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("only the hub may relay"), std::string::npos)
      << s.error_message();
  auto refused = fed_->Ctl("at", {"audit", "query", "--action", "relay.refused"});
  EXPECT_NE(refused.out.find("\"on_behalf_of\":\"de\""), std::string::npos) << refused.out;
  // The hub's identity alone gets nothing: the querier must have signed
  // the call (relays widen nothing).
  ASSERT_EQ(SyncViaHub().exit_code, 1);
  auto from_hub = StubAs("hub", "at");
  std::string for_de, for_cz;
  s = KeyCall(*from_hub, federation::kOnBehalfOfHeader, "de", &for_de);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_TRUE(for_de.empty());
  // With de's signature: de's key, the one de pinned through the hub, and
  // another querier (cz, signing) gets another key.
  auto signed_key = [](const std::string& querier) {
    return SignedBy(querier, ifed::v1::OprfPublicKeyRequest(), federation::kRpcOprfPublicKey,
                    {"at"}, ifed::v1::PURPOSE_UNSPECIFIED);
  };
  ASSERT_TRUE(
      KeyCall(*from_hub, federation::kOnBehalfOfHeader, "de", &for_de, signed_key("de")).ok());
  ASSERT_TRUE(
      KeyCall(*from_hub, federation::kOnBehalfOfHeader, "cz", &for_cz, signed_key("cz")).ok());
  // A header naming another node than the signer is refused.
  s = KeyCall(*from_hub, federation::kOnBehalfOfHeader, "cz", nullptr, signed_key("de"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(for_de, ReadFile(fed_->node("de").data_dir + "/oprf/hub~at.pub"));
  EXPECT_NE(for_de, for_cz);
  s = KeyCall(*from_hub, federation::kOnBehalfOfHeader, "Not An Id");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
}

TEST_F(HubOprfTest, AuditOnBothEndsAndNothingKeptAtTheHub) {
  ASSERT_EQ(SyncViaHub().exit_code, 1);
  ASSERT_EQ(Row(MatchViaHub({"--resolve", "yes"}).out, kPlanted, "hub/at").at(4), "HIT");
  // The member: peer = the hub, on behalf of de.
  for (const char* action : {"oprf.evaluate", "oprf.resolve", "oprf.filter.sync"}) {
    auto q = fed_->Ctl("at", {"audit", "query", "--action", action});
    EXPECT_NE(q.out.find("\"peer\":\"hub\""), std::string::npos) << action << q.out;
    EXPECT_NE(q.out.find("\"on_behalf_of\":\"peer:de\""), std::string::npos) << action << q.out;
  }
  // The querier: peer hub/at via hub.
  auto out = fed_->Ctl("de", {"audit", "query", "--action", "oprf.evaluate.out"});
  EXPECT_NE(out.out.find("\"peer\":\"hub/at\""), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("\"via\":\"hub\""), std::string::npos) << out.out;
  // The hub: each relayed call, with the member.
  auto relay = fed_->Ctl("hub", {"audit", "query", "--action", "relay.oprf.evaluate"});
  EXPECT_NE(relay.out.find("\"member\":\"at\""), std::string::npos) << relay.out;
  // Nothing the hub keeps or logs holds a test value, a case reference, or
  // an element, output or filter (32/33-byte values as hex or base64).
  const auto& hub = fed_->node("hub");
  std::string stored;
  for (const auto& e : std::filesystem::recursive_directory_iterator(hub.data_dir)) {
    if (e.is_regular_file()) stored += ReadFile(e.path().string());
  }
  const std::string log = ReadFile(hub.log);
  for (const std::string* text : std::vector<const std::string*>{&stored, &log}) {
    for (const char* needle : {"4915112345681", "4915112345683", "4915112345685", "CASE-"}) {
      EXPECT_EQ(text->find(needle), std::string::npos) << needle;
    }
  }
  EXPECT_NE(log.find("hub: oprf evaluate from de to at: 2 items"), std::string::npos);
  EXPECT_FALSE(std::regex_search(log, std::regex("[0-9a-fA-F]{64}")));
  EXPECT_FALSE(std::regex_search(log, std::regex("[A-Za-z0-9+/]{43}=")));
  EXPECT_FALSE(std::filesystem::exists(hub.data_dir + "/oprf/at.filter"));
  EXPECT_TRUE(std::filesystem::is_empty(hub.data_dir + "/oprf"));
}

// Last: at's data changes. de syncs every second, members through the hub
// included (once `filters sync --hub` found them): at's new record reaches
// de's filter of hub/at without another command. at answers the hub by OPRF
// only, so a HIT can only come from that filter.
TEST_F(HubOprfTest, PeriodicSyncIncludesMembersThroughTheHub) {
  ASSERT_EQ(SyncViaHub().exit_code, 1);
  auto before = fed_->Ctl("de", {"match", "--hub", "--type", "phone", kLater});
  ASSERT_EQ(Row(before.out, kLater, "hub/at").at(4), "NO_HIT") << before.out << before.err;
  Ingest("at", kLater);
  std::string verdict;
  for (int i = 0; i < 60 && verdict != "HIT"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    auto r = fed_->Ctl("de", {"match", "--hub", "--type", "phone", kLater});
    auto row = Row(r.out, kLater, "hub/at");
    verdict = row.empty() ? "missing" : row[4];
    if (!row.empty()) {
      EXPECT_EQ(row[7], "oprf");
    }
  }
  EXPECT_EQ(verdict, "HIT");
}

// Latency of `ifedctl match --hub` (process start included) with 100 and
// 1000 items: at and cz by OPRF through the hub (one fanned-out batch),
// hu by the keyed relay, pl denied. IFED_HUB_OPRF_LATENCY=1 to run.
// "Oprf scheme: the querier keeps its watched OPRF outputs and
// checks each filter delta itself; the responder learns nothing" — also for
// members reached through the hub. de holds at's and cz's filters through
// the hub (first test): `watch add --hub` watches them by OPRF; the hub
// relays only the keyed rest (here refused: the hub's rule for de allows no
// watches). A later ingest at at shows up at the next sync through the hub.
TEST_F(HubOprfTest, OprfWatchThroughTheHubIsCheckedByTheQuerier) {
  constexpr char kWatched[] = "+4915112345687";
  auto add = fed_->Ctl("de", {"watch", "add", "--hub", "--type", "phone", kWatched});
  EXPECT_NE(add.out.find("\thub/at\tOK"), std::string::npos) << add.out << add.err;
  EXPECT_NE(add.out.find("\thub/cz\tOK"), std::string::npos) << add.out << add.err;
  const std::string id = add.out.substr(0, add.out.find('\t'));
  ASSERT_EQ(id.rfind("w-", 0), 0u) << add.out;
  // at keeps nothing of it: no inbound watch there.
  EXPECT_EQ(fed_->Ctl("at", {"watch", "list", "--inbound"}).out.find(id), std::string::npos);
  Ingest("at", kWatched);
  auto sync = fed_->Ctl("de", {"filters", "sync", "--peer", "hub/at"});
  ASSERT_EQ(sync.exit_code, 0) << sync.out << sync.err;
  auto events = fed_->Ctl("de", {"watch", "events"});
  bool hit = false;
  for (absl::string_view line : absl::StrSplit(events.out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() > 4 && f[1] == "hub/at" && f[2] == id && f[3] == "HIT") hit = true;
  }
  EXPECT_TRUE(hit) << events.out;
  // Removed everywhere it is held (here: this node only).
  auto rm = fed_->Ctl("de", {"watch", "remove", "--hub", "--id", id});
  EXPECT_EQ(rm.exit_code, 0) << rm.out << rm.err;
  EXPECT_EQ(fed_->Ctl("de", {"watch", "list"}).out.find(id), std::string::npos);
  EXPECT_NE(fed_->Ctl("de", {"watch", "remove", "--hub", "--id", id}).exit_code, 0);

  // Only at asked (by OPRF): the hub holds no keyed part, and that is no error.
  auto only = fed_->Ctl("de", {"watch", "add", "--hub", "--jurisdiction", "AT", "--type", "phone",
                               kWatched});
  EXPECT_EQ(only.exit_code, 0) << only.out << only.err;
  EXPECT_NE(only.out.find("\thub/at\tOK"), std::string::npos) << only.out;
  EXPECT_NE(only.out.find("\thub\tOK\tno keyed part"), std::string::npos) << only.out;
  EXPECT_EQ(only.out.find("hub/hu"), std::string::npos) << only.out;
  const std::string only_id = only.out.substr(0, only.out.find('\t'));
  // The hub relayed nothing, and says so as an outcome, not a refusal.
  auto relayed = fed_->Ctl("hub", {"audit", "query", "--action", "hub.watch.add"});
  EXPECT_TRUE(std::regex_search(
      relayed.out, std::regex("\"outcome\":\"ok\"[^\n]*\"oprf_members\":1[,}]")))
      << relayed.out;
  auto listed = fed_->Ctl("de", {"watch", "list"});
  EXPECT_NE(listed.out.find(only_id), std::string::npos) << listed.out;
  auto rm_only = fed_->Ctl("de", {"watch", "remove", "--hub", "--id", only_id});
  EXPECT_EQ(rm_only.exit_code, 0) << rm_only.out << rm_only.err;
  EXPECT_EQ(fed_->Ctl("de", {"watch", "list"}).out.find(only_id), std::string::npos);
}

// A hub that puts its own OPRF key in front of a member's (to test the
// querier's items against a dictionary), on the real hub's address with the
// real hub's certificate: the key signed with the hub's own node key, the
// key unsigned, or the member's genuine signed announcement with the key
// swapped.
class SubstitutingHub final : public ifed::v1::Federation::Service {
 public:
  enum class Mode { kSignedByHub, kUnsigned, kSwappedKey };
  SubstitutingHub(std::unique_ptr<audit::Signer> signer, std::string trust_domain,
                  ifed::v1::OprfPublicKeyResponse genuine)
      : signer_(std::move(signer)), td_(std::move(trust_domain)), genuine_(std::move(genuine)) {}
  std::atomic<Mode> mode{Mode::kSignedByHub};
  std::atomic<int> calls{0};

  grpc::Status OprfPublicKey(grpc::ServerContext* ctx, const ifed::v1::OprfPublicKeyRequest*,
                             ifed::v1::OprfPublicKeyResponse* r) override {
    ++calls;
    auto to = ctx->client_metadata().find(federation::kRelayToHeader);
    const std::string member =
        to == ctx->client_metadata().end() ? "" : std::string(to->second.data(), to->second.size());
    auto querier = federation::PeerNodeId(*ctx->auth_context(), td_);
    // The hub's own key: any valid point will do (P-256's generator).
    const std::string own = absl::HexStringToBytes(
        "036b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
    if (mode == Mode::kSwappedKey) {
      *r = genuine_;
      r->set_public_key(own);
      return grpc::Status::OK;
    }
    r->set_public_key(own);
    r->set_suite("P256-SHA256");
    r->set_mode(1);
    r->set_key_epoch(1);
    if (mode == Mode::kSignedByHub && querier.ok()) {
      const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      // A statement "about" the member, signed with the hub's valid certificate.
      if (!federation::SignOprfKey(*signer_, td_, member, *querier, now, r).ok()) {
        return grpc::Status(grpc::StatusCode::INTERNAL, "sign");
      }
    }
    return grpc::Status::OK;
  }

 private:
  std::unique_ptr<audit::Signer> signer_;
  const std::string td_;
  const ifed::v1::OprfPublicKeyResponse genuine_;
};

TEST_F(HubOprfTest, AKeySubstitutedByTheHubIsRefusedAndNothingPinnedChanges) {
  // The genuine announcement of at's key for de, as the real hub relays it.
  ASSERT_EQ(fed_->Ctl("de", {"filters", "sync", "--peer", "hub/at"}).exit_code, 0);
  auto de_stub = StubAs("de", "hub");
  ifed::v1::OprfPublicKeyResponse genuine;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata(federation::kRelayToHeader, "at");
    const ifed::v1::OprfPublicKeyRequest key_req = SignedBy(
        "de", ifed::v1::OprfPublicKeyRequest(), federation::kRpcOprfPublicKey, {"at"},
        ifed::v1::PURPOSE_UNSPECIFIED);
    ASSERT_TRUE(de_stub->OprfPublicKey(&ctx, key_req, &genuine).ok());
  }
  EXPECT_FALSE(genuine.signature().empty());
  EXPECT_NE(genuine.cert_chain_pem().find("BEGIN CERTIFICATE"), std::string::npos);
  const std::string de_pin = fed_->node("de").data_dir + "/oprf/hub~at.pub";
  const std::string pl_pin = fed_->node("pl").data_dir + "/oprf/hub~at.pub";
  const std::string pinned = ReadFile(de_pin);
  ASSERT_FALSE(pinned.empty());
  ASSERT_FALSE(std::filesystem::exists(pl_pin));

  auto& hub = fed_->node("hub");
  auto signer = audit::Signer::Load(hub.key, hub.cert);
  ASSERT_TRUE(signer.ok()) << signer.status();
  SubstitutingHub fake(std::move(*signer), fed_->trust_domain(), genuine);
  fed_->StopNode("hub");
  grpc::ServerBuilder b;
  b.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  b.AddListeningPort(hub.address,
                     federation::MakeServerCredentials(
                         federation::TlsFiles{fed_->ca_cert(), hub.cert, hub.key, ""},
                         fed_->trust_domain()));
  b.RegisterService(&fake);
  std::unique_ptr<grpc::Server> server = b.BuildAndStart();
  ASSERT_NE(server, nullptr);

  struct Case {
    const char* querier;
    SubstitutingHub::Mode mode;
    const char* reason;
  };
  for (const Case& c : {Case{"de", SubstitutingHub::Mode::kSignedByHub, "not at's"},
                        Case{"de", SubstitutingHub::Mode::kUnsigned, "not signed"},
                        Case{"de", SubstitutingHub::Mode::kSwappedKey, "not the key signed"},
                        Case{"pl", SubstitutingHub::Mode::kSignedByHub, "not at's"},
                        Case{"pl", SubstitutingHub::Mode::kUnsigned, "not signed"}}) {
    fake.mode = c.mode;
    const int before = fake.calls;
    // The querier's channel may still be backing off from the hub's stop.
    RunResult r;
    for (int attempt = 0;
         attempt < 40 && r.err.find("OPRF key announcement") == std::string::npos; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
      r = fed_->Ctl(c.querier, {"filters", "sync", "--peer", "hub/at"});
    }
    EXPECT_NE(r.exit_code, 0) << c.querier << " " << c.reason << ": " << r.out;
    EXPECT_GT(fake.calls, before) << "the fake hub was asked";
    EXPECT_NE(r.err.find("OPRF key announcement of at refused"), std::string::npos)
        << c.reason << ": " << r.err;
    EXPECT_NE(r.err.find(c.reason), std::string::npos) << r.err;
  }
  // Nothing pinned changed: de keeps at's genuine key, pl pinned nothing
  // (on first use, too, an unverified key is not trusted).
  EXPECT_EQ(ReadFile(de_pin), pinned);
  EXPECT_FALSE(std::filesystem::exists(pl_pin));
  auto audit = fed_->Ctl("de", {"audit", "query", "--action", "oprf.key.unverified"});
  EXPECT_NE(audit.out.find("\"outcome\":\"refused\""), std::string::npos) << audit.out;

  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server.reset();
  fed_->StartNode("hub");
  // Through the real hub again, the member's genuine signed key is accepted.
  RunResult ok;
  for (int attempt = 0; attempt < 40 && ok.exit_code != 0; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ok = fed_->Ctl("de", {"filters", "sync", "--peer", "hub/at"});
  }
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ReadFile(de_pin), pinned);
}

TEST_F(HubOprfTest, MatchViaHubLatency) {
  if (!Measuring()) GTEST_SKIP() << "set IFED_HUB_OPRF_LATENCY=1 to measure";
  ASSERT_EQ(SyncViaHub().exit_code, 1);
  for (int n : {100, 1000}) {
    std::vector<std::string> args = {"match", "--hub", "--hits-only", "--type", "phone"};
    for (int i = 0; i < n; ++i) args.push_back("+49151123" + std::to_string(460000 + i));
    args.back() = kPlanted;
    std::vector<double> ms;
    for (int run = 0; run < 30; ++run) {
      const auto start = std::chrono::steady_clock::now();
      auto r = fed_->Ctl("de", args);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                             start)
                       .count());
      ASSERT_EQ(Row(r.out, kPlanted, "hub/at").at(7), "oprf") << r.err;
    }
    std::sort(ms.begin(), ms.end());
    std::printf("match --hub, %d items, 30 runs: p50 %.1f ms, p90 %.1f ms, max %.1f ms\n", n,
                ms[15], ms[27], ms[29]);
  }
}

}  // namespace
}  // namespace ifed::testing
