// Every form of an identifier, end to end with real nodes: a query asks the
// value and every form derived from it (a wa.me link asks its phone, an
// address asks its provider mailbox), directly (keyed), under OPRF and
// through the hub, and for watches; the answer names the form that hit.
// The canonicalisation version travels on match and watch requests and a
// partner on another version refuses them (FAILED_PRECONDITION, audited).
// The CSV `platform` column; watch alerts in `hits export`.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "node/federation/transport/tls.h"
#include "node/normalize/normalizer.h"
#include "proto/federation.grpc.pb.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

constexpr char kAll[] = "[phone, handle, url, email, iban, wallet, imei]";
constexpr char kOprf[] = "    scheme: oprf\n";
constexpr char kWatches[] = "    watches: {allowed: true, max_active: 6}\n";

// A rule for partner `id` over every type, with more YAML lines `extra`.
PartnerSpec Rule(const std::string& id, const std::string& extra = "") {
  PartnerSpec p;
  p.id = id;
  p.types = kAll;
  p.extra = extra;
  return p;
}

class FormsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("hub", "EU", {Rule("de"), Rule("at")});
    PartnerSpec urls_only = Rule("cz");  // de may send cz urls, not phones
    urls_only.types = "[url]";
    fed_->AddNode("de", "DE", {Rule("at"), Rule("hub"), Rule("pl", kOprf), urls_only});
    fed_->AddNode("at", "AT", {Rule("de", kWatches), Rule("hub")});
    fed_->AddNode("pl", "PL", {Rule("de", kOprf)});
    fed_->AddNode("cz", "CZ", {Rule("de")});
    fed_->node("hub").role = "hub";
    const std::string seed = fed_->dir() + "/pl/oprf.seed";
    WriteFile(seed, std::string(64, '7') + "\n", 0600);
    fed_->node("pl").extra_yaml = "oprf_seed_file: " + seed + "\n";
    fed_->node("at").extra_yaml = "outbox_retry_ms: 200\noutbox_max_backoff_ms: 800\n";
    fed_->Start();
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  // Ingests CSV rows (after the header) into node `id`; returns the result.
  static RunResult Ingest(const std::string& id, const std::string& header,
                          const std::string& rows) {
    static int n = 0;
    const std::string path = fed_->dir() + "/forms-" + std::to_string(++n) + ".csv";
    WriteFile(path, header + "\n" + rows);
    return fed_->Ctl(id, {"ingest", path});
  }
  static void IngestPhone(const std::string& id, const std::string& phone) {
    auto r = Ingest(id, "type,value,case_ref,tlp,crime_area,region",
                    "phone," + phone + ",C-F,green,migrant_smuggling,DE\n");
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  // The verdict column of the row for `peer` (ending in "/peer" through a hub).
  static std::string Verdict(const std::string& out, const std::string& peer) {
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      if (f.size() >= 5 && (f[3] == peer || absl::EndsWith(f[3], "/" + peer))) return f[4];
    }
    return "";
  }
  static bool WaitFor(const std::function<bool()>& cond, int ms = 20000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return cond();
  }
  // de's federation stub towards `target`.
  static std::unique_ptr<ifed::v1::Federation::Stub> StubFromDe(const std::string& target) {
    federation::TlsFiles files{fed_->ca_cert(), fed_->node("de").cert, fed_->node("de").key, ""};
    return ifed::v1::Federation::NewStub(grpc::CreateCustomChannel(
        fed_->node(target).address,
        federation::MakeChannelCredentials(files, fed_->trust_domain(), target),
        federation::ClientChannelArguments()));
  }
  static LocalFederation* fed_;
};

LocalFederation* FormsTest::fed_ = nullptr;

TEST_F(FormsTest, UrlQueryHitsAPartnerHoldingOnlyThePhone) {
  IngestPhone("at", "+49 176 40001001");
  auto r = fed_->Ctl("de", {"match", "--peer", "at", "--type", "url", "wa.me/4917640001001"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Verdict(r.out, "at"), "HIT (derived phone)") << r.out;
  // The value's own canonical form is what the row shows.
  EXPECT_NE(r.out.find("\thttps://wa.me/4917640001001\turl\t"), std::string::npos) << r.out;
  // JSON names the form too.
  auto j = fed_->Ctl("de", {"match", "--peer", "at", "--json", "--type", "url",
                            "https://wa.me/4917640001001?text=hi"});
  EXPECT_NE(j.out.find("\"verdict\":\"HIT\",\"derived\":true,\"form_type\":\"phone\""),
            std::string::npos)
      << j.out;
  // A link to another number misses; the phone asked directly is a plain HIT.
  auto miss = fed_->Ctl("de", {"match", "--peer", "at", "--type", "url", "wa.me/4917640001002"});
  EXPECT_EQ(Verdict(miss.out, "at"), "NO_HIT") << miss.out;
  auto phone = fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", "+4917640001001"});
  EXPECT_EQ(Verdict(phone.out, "at"), "HIT") << phone.out;
}

TEST_F(FormsTest, DerivedFormsAreAskedThroughTheHub) {
  IngestPhone("at", "+49 176 40002001");
  // Only at: the hub has no rule for pl.
  auto r = fed_->Ctl("de", {"match", "--peer", "hub", "--jurisdiction", "AT", "--type", "url",
                            "wa.me/4917640002001"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Verdict(r.out, "at"), "HIT (derived phone)") << r.out;
}

TEST_F(FormsTest, DerivedFormsAreAskedUnderOprf) {
  IngestPhone("pl", "+49 176 40003001");
  ASSERT_EQ(fed_->Ctl("de", {"filters", "sync", "--peer", "pl"}).exit_code, 0);
  auto r = fed_->Ctl("de", {"match", "--peer", "pl", "--type", "url", "wa.me/4917640003001"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Verdict(r.out, "pl"), "HIT (derived phone)") << r.out;
  auto miss = fed_->Ctl("de", {"match", "--peer", "pl", "--type", "url", "wa.me/4917640003002"});
  EXPECT_EQ(Verdict(miss.out, "pl"), "NO_HIT") << miss.out;
}

TEST_F(FormsTest, MailboxAliasesMeetBothWays) {
  auto in = Ingest("at", "type,value,case_ref,tlp",
                   "email,johndoe.forms@gmail.com,C-M,green\n"
                   "email,Route.Desk+boats@googlemail.com,C-M,green\n");
  ASSERT_EQ(in.exit_code, 0) << in.err;
  // Asked as an alias: the mailbox (derived) hits.
  auto a = fed_->Ctl("de", {"match", "--peer", "at", "--type", "email",
                            "John.Doe.Forms+travel@gmail.com"});
  EXPECT_EQ(Verdict(a.out, "at"), "HIT (derived email)") << a.out;
  // Held as an alias: ingest stored its mailbox too, so the mailbox hits.
  auto b = fed_->Ctl("de", {"match", "--peer", "at", "--type", "email", "routedesk@gmail.com"});
  EXPECT_EQ(Verdict(b.out, "at"), "HIT") << b.out;
  // No documented rule for this provider: no mailbox form, no hit.
  auto c = fed_->Ctl("de", {"match", "--peer", "at", "--type", "email",
                            "johndoe.forms+x@example-mail.net"});
  EXPECT_EQ(Verdict(c.out, "at"), "NO_HIT") << c.out;
}

TEST_F(FormsTest, PlatformColumnGivesTheHandlesPlatform) {
  auto in = Ingest("at", "type,value,platform,case_ref,tlp",
                   "handle,@Forms_Route_Desk,telegram,C-P,green\n");
  ASSERT_EQ(in.exit_code, 0) << in.err;
  auto r = fed_->Ctl("de", {"match", "--peer", "at", "--type", "handle",
                            "telegram:forms_route_desk"});
  EXPECT_EQ(Verdict(r.out, "at"), "HIT") << r.out;
  // A bad platform names the line and the field; nothing is stored.
  auto bad = Ingest("at", "type,value,platform,case_ref,tlp",
                    "handle,@forms_other_desk,telegram,C-P,green\n"
                    "handle,@forms_third_desk,myspace,C-P,green\n");
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.err.find("line 3"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("field platform: unknown platform"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("forms_third_desk"), std::string::npos) << "value in the error";
  auto none = fed_->Ctl("de", {"match", "--peer", "at", "--type", "handle",
                               "telegram:forms_other_desk"});
  EXPECT_EQ(Verdict(none.out, "at"), "NO_HIT") << none.out;
}

TEST_F(FormsTest, AnotherCanonicalVersionIsRefusedAndAudited) {
  auto stub = StubFromDe("at");
  for (uint32_t version : {normalize::kCanonicalVersion - 1, normalize::kCanonicalVersion + 1, 0u}) {
    ifed::v1::MatchRequest req;
    req.set_request_id("forms-version-" + std::to_string(version));
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    req.set_epoch(1);
    req.set_canon_version(version);
    auto* b = req.add_batches();
    b->set_type(ifed::v1::PHONE);
    b->set_pseudonyms(std::string(32, 'v'));
    ifed::v1::MatchResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status s = stub->Match(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    EXPECT_NE(s.error_message().find("version " + std::to_string(version)), std::string::npos)
        << s.error_message();
    EXPECT_NE(s.error_message().find(
                  "this node runs version " + std::to_string(normalize::kCanonicalVersion)),
              std::string::npos)
        << s.error_message();
    EXPECT_EQ(resp.results_size(), 0);
  }
  // A watch made under another version is refused the same way.
  ifed::v1::WatchRequest w;
  w.set_watch_id("forms-version-watch");
  w.set_action(ifed::v1::WATCH_ADD);
  w.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  w.set_epoch(1);
  w.set_canon_version(normalize::kCanonicalVersion + 1);
  auto* b = w.add_batches();
  b->set_type(ifed::v1::PHONE);
  b->set_pseudonyms(std::string(32, 'w'));
  ifed::v1::WatchResponse wr;
  grpc::ClientContext wctx;
  wctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status ws = stub->Watch(&wctx, w, &wr);
  EXPECT_EQ(ws.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << ws.error_message();
  EXPECT_NE(ws.error_message().find("canonicalisation version mismatch"), std::string::npos);
  // Both refusals are in at's audit log, with both versions.
  auto audit = fed_->Ctl("at", {"audit", "export", "--format", "jsonl"});
  EXPECT_NE(audit.out.find("forms-version-0"), std::string::npos) << audit.out.substr(0, 2000);
  EXPECT_NE(audit.out.find("canonicalisation version mismatch: the request was made under "
                           "version 0 (none sent)"),
            std::string::npos);
  EXPECT_NE(audit.out.find("canon_version.refused"), std::string::npos);
  // The nodes' own requests carry the version: a normal match still answers.
  auto ok = fed_->Ctl("de", {"match", "--peer", "at", "--type", "phone", "+4917640009999"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(Verdict(ok.out, "at"), "NO_HIT") << ok.out;
}

TEST_F(FormsTest, WatchOnAUrlFiresOnThePhoneAndIsExportedAsASighting) {
  auto add = fed_->Ctl("de", {"watch", "add", "--peer", "at", "--type", "url",
                              "wa.me/4917640004001"});
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  const std::string id = add.out.substr(0, add.out.find('\t'));
  IngestPhone("at", "+49 176 40004001");
  ASSERT_TRUE(WaitFor([&] {
    return fed_->Ctl("de", {"watch", "events"}).out.find(id + "\tHIT") != std::string::npos;
  })) << fed_->Ctl("de", {"watch", "events"}).out;
  auto ex = fed_->Ctl("de", {"hits", "export", "--format", "stix"});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  EXPECT_NE(ex.out.find("\"x_ifed_source\": \"watch\""), std::string::npos) << ex.out;
  EXPECT_NE(ex.out.find("\"x_ifed_watch_id\": \"" + id + "\""), std::string::npos) << ex.out;
  EXPECT_NE(ex.out.find("[phone-number:value = '+4917640004001']"), std::string::npos) << ex.out;
  EXPECT_NE(ex.out.find("Watch alert from partner at"), std::string::npos);
  auto plain = fed_->Ctl("de", {"hits", "export", "--format", "json"});
  EXPECT_NE(plain.out.find("\"source\": \"watch\""), std::string::npos) << plain.out;
  // The watch list does not carry the sealed values.
  auto list = fed_->Ctl("de", {"watch", "list", "--json"});
  EXPECT_EQ(list.out.find("sealed"), std::string::npos) << list.out;
}

// Our outbound rule for cz allows urls, not phones: a wa.me link is asked
// of cz without its derived phone form (the answer says so), instead of
// the whole query to cz being refused.
TEST_F(FormsTest, ADerivedFormOurRuleDoesNotAllowIsSkippedNotTheQuery) {
  auto in = Ingest("cz", "type,value,case_ref,tlp,crime_area",
                   "url,https://wa.me/4917640006001,C-F,green,migrant_smuggling\n");
  ASSERT_EQ(in.exit_code, 0) << in.err << in.out;
  auto r = fed_->Ctl("de", {"match", "--peer", "cz", "--type", "url", "wa.me/4917640006001"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Verdict(r.out, "cz"), "HIT") << r.out << r.err;
  EXPECT_NE(r.err.find("note: peer cz: 1 derived phone form(s) not asked: our policy"),
            std::string::npos)
      << r.err;
  auto j = fed_->Ctl("de", {"match", "--peer", "cz", "--json", "--type", "url",
                            "wa.me/4917640006002"});
  EXPECT_NE(j.out.find("\"skipped_forms\":[{\"peer\":\"cz\",\"type\":\"phone\",\"forms\":1"),
            std::string::npos)
      << j.out;
  EXPECT_NE(j.out.find("\"verdict\":\"NO_HIT\""), std::string::npos) << j.out;
  // A value whose own type the rule does not allow is still refused.
  auto phone = fed_->Ctl("de", {"match", "--peer", "cz", "--type", "phone", "+4917640006001"});
  EXPECT_NE(phone.exit_code, 0);
  EXPECT_NE(phone.err.find("refused by our own policy"), std::string::npos) << phone.err;
  // Asked of every peer at once: at gets both forms, cz the url only.
  auto both = fed_->Ctl("de", {"match", "--peer", "at", "--peer", "cz", "--type", "url",
                               "wa.me/4917640006001"});
  EXPECT_EQ(Verdict(both.out, "cz"), "HIT") << both.out << both.err;
  EXPECT_EQ(Verdict(both.out, "at"), "NO_HIT") << both.out;
}

// An OPRF watch fires on this node (the partner holds nothing) when a
// synced filter holds an item; `hits export` gives the alert as a STIX
// sighting of the value, which this node kept sealed under the OPRF output
// the alert names. Nothing of it went on the wire.
TEST_F(FormsTest, OprfWatchAlertIsExportedAsASighting) {
  ASSERT_EQ(fed_->Ctl("de", {"filters", "sync", "--peer", "pl"}).exit_code, 0);
  auto add = fed_->Ctl("de", {"watch", "add", "--peer", "pl", "--type", "url",
                              "wa.me/4917640005001"});
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  const std::string id = add.out.substr(0, add.out.find('\t'));
  IngestPhone("pl", "+49 176 40005001");
  ASSERT_EQ(fed_->Ctl("de", {"filters", "sync", "--peer", "pl"}).exit_code, 0);
  auto events = fed_->Ctl("de", {"watch", "events"});
  ASSERT_NE(events.out.find(id + "\tHIT"), std::string::npos) << events.out;
  auto ex = fed_->Ctl("de", {"hits", "export", "--format", "stix"});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  EXPECT_NE(ex.out.find("\"x_ifed_watch_id\": \"" + id + "\""), std::string::npos) << ex.out;
  EXPECT_NE(ex.out.find("[phone-number:value = '+4917640005001']"), std::string::npos) << ex.out;
  EXPECT_NE(ex.out.find("Watch alert from partner pl"), std::string::npos) << ex.out;
  // Only the derived form the partner holds fired: the wa.me URL did not.
  EXPECT_EQ(ex.out.find("wa.me/4917640005001"), std::string::npos) << ex.out;
  auto plain = fed_->Ctl("de", {"hits", "export", "--format", "json"});
  EXPECT_NE(plain.out.find("\"scheme\": \"oprf\""), std::string::npos) << plain.out;
  // Neither the list nor the partner's audit carries a value.
  auto list = fed_->Ctl("de", {"watch", "list", "--json"});
  EXPECT_EQ(list.out.find("sealed"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("4917640005001"), std::string::npos) << list.out;
  auto pl_audit = fed_->Ctl("pl", {"audit", "export", "--format", "jsonl"});
  EXPECT_EQ(pl_audit.out.find("4917640005001"), std::string::npos);
}

// Key rotation at an OPRF responder: the previous key keeps answering a
// querier that has not synced again for oprf_previous_key_overlap_seconds
// (the audit names the epoch that answered); after the overlap it is
// refused with what to do, and a sync takes the new key. Last: it
// restarts pl.
TEST_F(FormsTest, ZzPreviousOprfKeyAnswersForTheOverlapThenIsRefused) {
  IngestPhone("pl", "+49 176 40009001");
  const std::string config = fed_->node("pl").config;
  const std::string base = ReadFile(config);
  const std::string seed = fed_->dir() + "/pl/oprf.seed";
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  auto restart_pl = [&](int64_t rotation_at, int overlap) {
    fed_->StopNode("pl");
    WriteFile(seed, "1 " + std::string(64, '7') + "\n2 " + std::string(64, '8') + "\n", 0600);
    WriteFile(config, base + "oprf_rotation_at: " + std::to_string(rotation_at) +
                          "\noprf_previous_key_overlap_seconds: " + std::to_string(overlap) +
                          "\n");
    fed_->StartNode("pl");
  };
  auto ask = [&] {
    return fed_->Ctl("de", {"match", "--peer", "pl", "--type", "phone", "+4917640009001"});
  };
  auto pl_audit = [&] { return fed_->Ctl("pl", {"audit", "export", "--format", "jsonl"}).out; };
  // de pins epoch 1 and learns of a rotation announced for an hour from now.
  restart_pl(now() + 3600, 30);
  auto sync = fed_->Ctl("de", {"filters", "sync", "--peer", "pl"});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  ASSERT_NE(sync.out.find("key rotation announced"), std::string::npos) << sync.out;
  // pl's rotation takes over now instead (its clock ahead of de's, or the
  // time moved): de has not synced again and asks under epoch 1.
  const int64_t at = now();
  restart_pl(at, 30);
  auto r = ask();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Verdict(r.out, "pl"), "HIT") << r.out << r.err;
  ASSERT_LT(now(), at + 30) << "too slow to test the overlap";
  std::string audit = pl_audit();
  EXPECT_NE(audit.find("\"key_epoch\":\"1\""), std::string::npos) << audit;
  EXPECT_EQ(audit.find("\"action\":\"oprf.key.retired\""), std::string::npos);
  // After the overlap: refused, saying what to do; the seed destroyed.
  while (now() < at + 31) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto refused = ask();
  EXPECT_NE(Verdict(refused.out, "pl"), "HIT") << refused.out;
  EXPECT_NE((refused.out + refused.err).find("ifedctl filters sync"), std::string::npos)
      << refused.out << refused.err;
  audit = pl_audit();
  EXPECT_NE(audit.find("\"action\":\"oprf.key.retired\""), std::string::npos) << audit;
  // Syncing again takes the announced key; the query hits under epoch 2.
  sync = fed_->Ctl("de", {"filters", "sync", "--peer", "pl"});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  r = ask();
  EXPECT_EQ(Verdict(r.out, "pl"), "HIT") << r.out << r.err;
  EXPECT_NE(pl_audit().find("\"key_epoch\":\"2\""), std::string::npos);
  EXPECT_EQ(fed_->Ctl("pl", {"audit", "verify"}).exit_code, 0);
}

}  // namespace
}  // namespace ifed::testing
