// Relays widen nothing, end to end with real processes and certificates:
//   eu (EU, role hub): relays hu's and at's calls to de and cz.
//   de (DE): keyed member. Its rule for the hub eu is wide (every type,
//            amber, deconfliction, watches); its rule for hu is narrow (url
//            only, green); its rule for at is oprf. de has an OPRF seed.
//   hu (HU): the querier. at (AT): another node. cz (CZ): OPRF member whose
//            rule for the hub is oprf (the filter map of item "invented names").
// What hu learns from de through eu is at most what de tells hu directly and
// what it tells eu; only calls hu signed are answered; the member's audit
// names both the hub (actor) and the querier (on_behalf_of).
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "node/audit/signer.h"
#include "node/federation/oprf/oprf_relay.h"
#include "node/federation/transport/relay_auth.h"
#include "node/federation/transport/tls.h"
#include "node/normalize/normalizer.h"
#include "proto/federation.grpc.pb.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

constexpr char kNotForHu[] = "+4915112345691";
constexpr char kGreen[] = "+4915112345692";
constexpr char kAmber[] = "+4915112345693";
constexpr char kUrlNotForHu[] = "https://route-offers.net/p/a";
constexpr char kUrlGreen[] = "https://route-offers.net/p/b";
constexpr char kUrlAmber[] = "https://route-offers.net/p/c";
constexpr char kBoth[] = "[migrant_smuggling, takedown_deconfliction]";
constexpr char kWatches[] = "    watches: {allowed: true, max_active: 10}\n";
constexpr char kOprf[] = "    scheme: oprf\n";

class RelayTrustTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("eu", "EU", {{.id = "hu", .purposes = kBoth, .extra = kWatches},
                               {.id = "at", .purposes = kBoth, .extra = ""},
                               {.id = "de", .purposes = kBoth, .extra = ""},
                               {.id = "cz", .purposes = kBoth, .extra = ""}});
    fed_->node("eu").role = "hub";
    fed_->AddNode("de", "DE",
                  {{.id = "eu", .types = "[phone, handle, url, email]", .max_tlp = "amber",
                    .purposes = kBoth, .extra = kWatches},
                   {.id = "hu", .types = "[url]", .max_tlp = "green", .purposes = kBoth,
                    .extra = kWatches},
                   {.id = "at", .extra = kOprf}});
    fed_->AddNode("cz", "CZ", {{.id = "eu", .extra = kOprf}, {.id = "hu", .extra = kOprf}});
    fed_->AddNode("hu", "HU", {{.id = "eu", .purposes = kBoth, .extra = ""},
                               {.id = "de", .purposes = kBoth, .extra = ""}});
    fed_->AddNode("at", "AT", {{.id = "eu", .purposes = kBoth, .extra = ""}});
    for (const char* id : {"de", "cz"}) {
      const std::string seed = fed_->dir() + "/" + id + "/oprf.seed";
      WriteFile(seed, std::string(64, id[0] == 'd' ? '4' : '6') + "\n", 0600);
      fed_->node(id).extra_yaml = "oprf_seed_file: " + seed + "\n";
    }
    fed_->Start();
    std::string csv = "type,value,case_ref,tlp,crime_area,region,sharing\n";
    for (const auto& [type, a, b, c] :
         {std::tuple{"phone", kNotForHu, kGreen, kAmber},
          std::tuple{"url", kUrlNotForHu, kUrlGreen, kUrlAmber}}) {
      csv += std::string(type) + "," + a + ",CASE-de-1,green,migrant_smuggling,DE,not_for:hu\n";
      csv += std::string(type) + "," + b + ",CASE-de-2,green,migrant_smuggling,DE,\n";
      csv += std::string(type) + "," + c + ",CASE-de-3,amber,migrant_smuggling,DE,\n";
    }
    const std::string path = fed_->dir() + "/de.csv";
    WriteFile(path, csv);
    auto r = fed_->Ctl("de", {"ingest", "--hold", path});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    WriteFile(fed_->dir() + "/cz.csv",
              "type,value,case_ref,tlp,crime_area,region\nurl,https://route-offers.net/cz/x,CASE-cz-1,"
              "green,migrant_smuggling,CZ\n");
    ASSERT_EQ(fed_->Ctl("cz", {"ingest", fed_->dir() + "/cz.csv"}).exit_code, 0);
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  // The verdict of `value` from `peer` in `match` output ("missing": no row).
  static std::string Verdict(const std::string& out, const std::string& value,
                             const std::string& peer) {
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      std::vector<std::string> r = absl::StrSplit(line, '\t');
      if (r.size() >= 5 && r[0] == value && r[3] == peer) return r[4];
    }
    return "missing";
  }
  // A federation stub to node `to` with a fresh certificate for `as`.
  static std::unique_ptr<ifed::v1::Federation::Stub> StubAs(const std::string& as,
                                                            const std::string& to) {
    auto cert = fed_->IssueCert(as);
    federation::TlsFiles files{fed_->ca_cert(), cert.first, cert.second, ""};
    return ifed::v1::Federation::NewStub(grpc::CreateCustomChannel(
        fed_->node(to).address, federation::MakeChannelCredentials(files, fed_->trust_domain(), to),
        federation::ClientChannelArguments()));
  }
  static std::unique_ptr<audit::Signer> NodeSigner(const std::string& id) {
    auto s = audit::Signer::Load(fed_->node(id).key, fed_->node(id).cert);
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(*s);
  }
  static ifed::v1::MatchRequest UrlMatch(const std::string& request_id) {
    ifed::v1::MatchRequest m;
    m.set_request_id(request_id);
    m.set_canon_version(ifed::normalize::kCanonicalVersion);
    m.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    m.set_epoch(1);
    auto* b = m.add_batches();
    b->set_type(ifed::v1::URL);
    b->set_pseudonyms(std::string(64, 'u'));
    return m;
  }
  static grpc::Status Match(ifed::v1::Federation::Stub& stub, const ifed::v1::MatchRequest& m) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    ifed::v1::MatchResponse resp;
    return stub.Match(&ctx, m, &resp);
  }
  static std::string Audit(const std::string& node, const std::string& action) {
    return fed_->Ctl(node, {"audit", "query", "--action", action}).out;
  }

  static LocalFederation* fed_;
};

LocalFederation* RelayTrustTest::fed_ = nullptr;

// Reproduction: de limits hu to url and green. Directly and through the hub
// hu gets the same: phones refused, the not_for and amber urls absent.
TEST_F(RelayTrustTest, MatchThroughTheHubIsNoWiderThanDirect) {
  auto direct = fed_->Ctl("hu", {"match", "--peer", "de", "--type", "phone", kNotForHu, kGreen,
                                 kAmber});
  EXPECT_NE(direct.exit_code, 0);
  EXPECT_EQ(Verdict(direct.out, kGreen, "de"), "missing") << direct.out;
  auto via = fed_->Ctl("hu", {"match", "--hub", "--type", "phone", kNotForHu, kGreen, kAmber});
  for (const char* v : {kNotForHu, kGreen, kAmber}) {
    EXPECT_EQ(Verdict(via.out, v, "eu/de"), "missing") << v << via.out << via.err;
  }
  EXPECT_NE(via.err.find("eu/de: 7 MEMBER_DENIED"), std::string::npos) << via.err;

  auto urls = fed_->Ctl("hu", {"match", "--peer", "de", "--type", "url", kUrlNotForHu, kUrlGreen,
                               kUrlAmber});
  ASSERT_EQ(urls.exit_code, 0) << urls.err;
  auto urls_via = fed_->Ctl("hu", {"match", "--hub", "--type", "url", kUrlNotForHu, kUrlGreen,
                                   kUrlAmber});
  for (const auto& [v, expected] : {std::pair{kUrlNotForHu, "NO_HIT"},
                                    std::pair{kUrlGreen, "HIT"}, std::pair{kUrlAmber, "NO_HIT"}}) {
    EXPECT_EQ(Verdict(urls.out, v, "de"), expected) << v << urls.out;
    EXPECT_EQ(Verdict(urls_via.out, v, "eu/de"), expected) << v << urls_via.out << urls_via.err;
  }
  // de's audit names the hub as the actor and hu as the querier.
  const std::string in = Audit("de", "match.in");
  EXPECT_TRUE(std::regex_search(
      in, std::regex("\"actor\":\"peer:eu\"[^\n]*\"on_behalf_of\":\"peer:hu\"")))
      << in;
}

TEST_F(RelayTrustTest, DeconflictThroughTheHubIsNoWiderThanDirect) {
  auto direct = fed_->Ctl("hu", {"deconflict", "--peer", "de", "--type", "url", kUrlNotForHu,
                                 kUrlGreen, kUrlAmber});
  auto via = fed_->Ctl("hu", {"deconflict", "--hub", "--type", "url", kUrlNotForHu, kUrlGreen,
                              kUrlAmber});
  EXPECT_EQ(direct.exit_code, 3) << direct.err << direct.out;  // 3: something is held
  // One held item (green) of three, directly and through the hub.
  auto held = [](const std::string& out) {
    size_t n = 0;
    for (size_t at = out.find("HELD"); at != std::string::npos; at = out.find("HELD", at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(held(direct.out), 1u) << direct.out;
  EXPECT_EQ(held(via.out), 1u) << via.out << via.err;
  const std::string in = Audit("de", "deconflict.in");
  EXPECT_TRUE(std::regex_search(
      in, std::regex("\"actor\":\"peer:eu\"[^\n]*\"on_behalf_of\":\"peer:hu\"")))
      << in;
}

TEST_F(RelayTrustTest, WatchThroughTheHubIsDecidedUnderBothRules) {
  // Phones: de's rule for hu has none, so de keeps no watch for them.
  auto phones = fed_->Ctl("hu", {"watch", "add", "--hub", "--type", "phone", kGreen});
  EXPECT_NE(phones.exit_code, 0) << phones.out;
  EXPECT_EQ(phones.out.find("\teu/de\tOK"), std::string::npos) << phones.out;
  // Urls: kept, and de's audit names both.
  auto urls = fed_->Ctl("hu", {"watch", "add", "--hub", "--type", "url", kUrlGreen});
  EXPECT_NE(urls.out.find("\teu/de\tOK"), std::string::npos) << urls.out << urls.err;
  const std::string in = Audit("de", "watch.in");
  EXPECT_TRUE(std::regex_search(
      in, std::regex("\"actor\":\"peer:eu\",\"outcome\":\"refused\"[^\n]*"
                     "\"on_behalf_of\":\"peer:hu\"")))
      << in;
  EXPECT_TRUE(std::regex_search(
      in, std::regex("\"actor\":\"peer:eu\",\"outcome\":\"ok\"[^\n]*"
                     "\"on_behalf_of\":\"peer:hu\"")))
      << in;
}

// Reproduction: the hub's own certificate, claiming to act for at (or for
// nobody), gets nothing without at's signature of that very call.
TEST_F(RelayTrustTest, HubCannotActForAnyoneWithoutTheirSignature) {
  auto hub = StubAs("eu", "de");
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    ctx.AddMetadata(federation::kOnBehalfOfHeader, "at");
    ifed::v1::OprfPublicKeyResponse key;
    grpc::Status s = hub->OprfPublicKey(&ctx, {}, &key);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    EXPECT_TRUE(key.public_key().empty());
  }
  {
    grpc::ClientContext ctx;  // evaluation under at's budget
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    ctx.AddMetadata(federation::kOnBehalfOfHeader, "at");
    ifed::v1::OprfEvaluateRequest req;
    req.set_request_id("forged-eval-1");
    req.set_canon_version(ifed::normalize::kCanonicalVersion);
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    req.set_blinded(std::string(33, '\x02'));
    ifed::v1::OprfEvaluateResponse resp;
    EXPECT_EQ(hub->OprfEvaluate(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // A keyed match as the hub itself: a hub is a router, not a partner.
  EXPECT_EQ(Match(*hub, UrlMatch("hub-itself-1")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // at's real signature of an OPRF call still gets nothing: de's rule for
  // the hub is keyed only.
  auto at_signer = NodeSigner("at");
  federation::RelaySigner at("at", at_signer.get());
  ifed::v1::OprfPublicKeyRequest key_req;
  auto signed_key = at.Sign("eu", {"de"}, federation::kRpcOprfPublicKey, key_req,
                            ifed::v1::PURPOSE_UNSPECIFIED);
  ASSERT_TRUE(signed_key.ok()) << signed_key.status();
  *key_req.mutable_relay_authorization() = *signed_key;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    ctx.AddMetadata(federation::kOnBehalfOfHeader, "at");
    ifed::v1::OprfPublicKeyResponse key;
    grpc::Status s = hub->OprfPublicKey(&ctx, key_req, &key);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    EXPECT_NE(s.error_message().find("hub"), std::string::npos) << s.error_message();
  }
  const std::string refused = Audit("de", "relay.refused");
  EXPECT_NE(refused.find("\"actor\":\"peer:eu\""), std::string::npos) << refused;
  EXPECT_NE(refused.find("OprfPublicKey"), std::string::npos) << refused;
  EXPECT_NE(refused.find("\"rpc\":\"Match\""), std::string::npos) << refused;
}

// Forged, replayed and widened authorizations of a keyed match are refused
// and audited; hu's own, unchanged, is answered.
TEST_F(RelayTrustTest, ForgedReplayedAndWidenedAuthorizationsAreRefused) {
  auto hub = StubAs("eu", "de");
  auto hu_signer = NodeSigner("hu");
  auto at_signer = NodeSigner("at");
  federation::RelaySigner hu("hu", hu_signer.get());
  auto sign = [&](const federation::RelaySigner& s, ifed::v1::MatchRequest m,
                  std::vector<std::string> audience = {"de"}) {
    auto a = s.Sign("eu", std::move(audience), federation::kRpcMatch, m, m.purpose());
    EXPECT_TRUE(a.ok()) << a.status();
    *m.mutable_relay_authorization() = *a;
    return m;
  };
  const ifed::v1::MatchRequest good = sign(hu, UrlMatch("relay-good-1"));
  ASSERT_TRUE(Match(*hub, good).ok());
  // Replayed.
  auto replay = Match(*hub, good);
  EXPECT_EQ(replay.error_code(), grpc::StatusCode::PERMISSION_DENIED) << replay.error_message();
  // Another member.
  auto other = Match(*hub, sign(hu, UrlMatch("relay-other-1"), {"at", "cz"}));
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED) << other.error_message();
  // Widened: more items than signed (the digest differs).
  ifed::v1::MatchRequest widened = sign(hu, UrlMatch("relay-wide-1"));
  widened.mutable_batches(0)->mutable_pseudonyms()->append(32, 'w');
  auto wide = Match(*hub, widened);
  EXPECT_EQ(wide.error_code(), grpc::StatusCode::PERMISSION_DENIED) << wide.error_message();
  // Another purpose than signed.
  ifed::v1::MatchRequest purpose = sign(hu, UrlMatch("relay-purpose-1"));
  purpose.set_purpose(ifed::v1::TAKEDOWN_DECONFLICTION);
  EXPECT_EQ(Match(*hub, purpose).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Expired.
  federation::RelaySigner stale("hu", hu_signer.get(), [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() -
           3'600'000;
  });
  EXPECT_EQ(Match(*hub, sign(stale, UrlMatch("relay-stale-1"))).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Signed by another node (at's key and certificate) in hu's name.
  federation::RelaySigner as_hu("hu", at_signer.get());
  EXPECT_EQ(Match(*hub, sign(as_hu, UrlMatch("relay-at-1"))).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // hu's authorization presented by a node that is not the hub.
  auto cz = StubAs("cz", "de");
  EXPECT_EQ(Match(*cz, sign(hu, UrlMatch("relay-cz-1"))).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string refused = Audit("de", "relay.refused");
  size_t n = 0;
  for (absl::string_view line : absl::StrSplit(refused, '\n', absl::SkipEmpty())) {
    n += line.find("\"rpc\":\"Match\"") != absl::string_view::npos;
  }
  EXPECT_GE(n, 7u) << refused;
}

// Invented names get no filter: cz's rule for the hub is oprf, yet the hub
// cannot make cz build (and keep) a filter for a node that did not sign.
TEST_F(RelayTrustTest, HubCannotGrowAMembersFilterMapWithInventedNames) {
  auto hub = StubAs("eu", "cz");
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    ctx.AddMetadata(federation::kOnBehalfOfHeader, "ghost-" + std::to_string(i));
    auto reader = hub->FilterSync(&ctx, {});
    ifed::v1::FilterChunk chunk;
    EXPECT_FALSE(reader->Read(&chunk));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED) << i;
  }
  // hu's own relayed sync works (cz has rules for hu and for the hub).
  auto sync = fed_->Ctl("hu", {"filters", "sync", "--peer", "eu/cz"});
  EXPECT_EQ(sync.exit_code, 0) << sync.out << sync.err;
  std::string log;
  for (int i = 0; i < 30 && log.find("oprf filter for hu via eu built") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    log = ReadFile(fed_->node("cz").log);
  }
  EXPECT_NE(log.find("oprf filter for hu via eu built"), std::string::npos) << log;
  EXPECT_EQ(log.find("oprf filter for ghost"), std::string::npos);
}

}  // namespace
}  // namespace ifed::testing
