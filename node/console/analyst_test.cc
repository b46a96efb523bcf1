#include "node/console/analyst.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node/common/status_matchers.h"
#include "node/console/fake_admin_test_util.h"

namespace ifed::console {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::HasSubstr;
using nlohmann::json;

class AnalystTest : public ::testing::Test {
 protected:
  FakeNode node_;
  Analyst analyst_{node_.client.get(), [] { return int64_t{1'800'000'000'000}; }};
  Staff ana_{.id = "ana", .name = "Ana", .roles = {"analyst"}};

  json MatchForm() {
    return {{"target", "peers"}, {"peers", {"at", "hu"}}, {"purpose", "migrant_smuggling"},
            {"case", "CASE-1"},  {"type", "phone"},       {"region", "de"},
            {"text", "+49 151 1\n\n  0151 2  \n"}};
  }
};

TEST_F(AnalystTest, MatchSendsTheItemsAndSortsHitsFirst) {
  auto* item = node_.admin.match_response.add_items();
  item->set_index(0);
  item->set_ok(true);
  item->set_type(ifed::v1::PHONE);
  item->set_canonical("+491511");
  auto* p = item->add_peers();
  p->set_peer("at");
  p->set_verdict(ifed::v1::NO_HIT);
  p = item->add_peers();
  p->set_peer("hu");
  p->set_verdict(ifed::v1::HIT);
  p->set_reference("ref-hu-1");
  p->set_scheme("keyed");
  auto* bad = node_.admin.match_response.add_items();
  bad->set_index(1);
  bad->set_ok(false);
  bad->set_error("not a phone number");
  node_.admin.match_response.set_request_id("req-1");

  absl::StatusOr<json> r = analyst_.Match(ana_, MatchForm());
  ASSERT_THAT(r, IsOk());
  const auto& req = node_.admin.match_request;
  ASSERT_EQ(req.items_size(), 2);
  EXPECT_EQ(req.items(0).value(), "+49 151 1");
  EXPECT_EQ(req.items(1).value(), "0151 2");
  EXPECT_EQ(req.items(1).region(), "DE");
  EXPECT_EQ(req.case_ref(), "CASE-1");
  EXPECT_EQ(req.peers_size(), 2);
  EXPECT_FALSE(req.all());
  EXPECT_EQ(node_.admin.staff, "ana");
  EXPECT_EQ(node_.admin.roles, "analyst");
  EXPECT_EQ((*r)["hits"], 1);
  ASSERT_EQ((*r)["rows"].size(), 2u);
  EXPECT_EQ((*r)["rows"][0]["verdict"], "HIT");
  EXPECT_EQ((*r)["rows"][0]["peer"], "hu");
  EXPECT_EQ((*r)["rows"][0]["reference"], "ref-hu-1");
  EXPECT_EQ((*r)["rows"][0]["request_id"], "req-1");
  EXPECT_EQ((*r)["errors"][0]["item"], 2);
}

TEST_F(AnalystTest, MatchFromCsvAndHub) {
  json form = MatchForm();
  form.erase("text");
  form["csv"] = "type,value,platform\nhandle,@smuggler,telegram\nurl,https://x.example/a\n";
  form["target"] = "hub";
  form["jurisdictions"] = {"at"};
  ASSERT_THAT(analyst_.Match(ana_, form), IsOk());
  const auto& req = node_.admin.match_request;
  ASSERT_EQ(req.items_size(), 2);
  EXPECT_EQ(req.items(0).type(), ifed::v1::HANDLE);
  EXPECT_EQ(req.items(0).platform(), "telegram");
  EXPECT_EQ(req.items(1).type(), ifed::v1::URL);
  EXPECT_TRUE(req.hub());
  EXPECT_EQ(req.jurisdictions(0), "AT");
}

TEST_F(AnalystTest, BadInputIsRefusedBeforeTheNodeIsAsked) {
  struct Case {
    std::function<void(json&)> edit;
    std::string message;
  } cases[] = {
      {[](json& f) { f["text"] = "  \n"; }, "nothing to match"},
      {[](json& f) { f["case"] = ""; }, "case"},
      {[](json& f) { f["type"] = "fax"; }, "type must be one of"},
      {[](json& f) { f["purpose"] = "curiosity"; }, "unknown purpose"},
      {[](json& f) { f["target"] = "everyone"; }, "target is peers, all or hub"},
      {[](json& f) { f["peers"] = json::array(); }, "at least one partner"},
      {[](json& f) { f["peers"] = "at"; }, "peers: not a list"},
      {[](json& f) { f["csv"] = "type,value\nphone,1"; }, "either pasted values or a CSV"},
      {[](json& f) { f.erase("text"); f["csv"] = "value\n1\n"; }, "header line"},
      {[](json& f) { f.erase("text"); f["csv"] = "type,value\nfax,1\n"; }, "CSV line 2"},
      {[](json& f) { f.erase("text"); f["csv"] = "type,value,platform\nurl,x,telegram\n"; },
       "platform"},
      {[](json& f) { f["target"] = "hub"; f["jurisdictions"] = {"Austria"}; }, "two-letter"},
      {[](json& f) { f["case"] = 7; }, "case: not text"},
  };
  for (const Case& c : cases) {
    json form = MatchForm();
    c.edit(form);
    EXPECT_THAT(analyst_.Match(ana_, form),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << form.dump();
  }
  EXPECT_EQ(node_.admin.calls, 0);
}

TEST_F(AnalystTest, TooManyValues) {
  json form = MatchForm();
  std::string text;
  for (size_t i = 0; i <= kMaxConsoleItems; ++i) text += "1\n";
  form["text"] = text;
  EXPECT_THAT(analyst_.Match(ana_, form), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(node_.admin.calls, 0);
}

TEST_F(AnalystTest, NodeRefusalIsPassedOn) {
  node_.admin.status = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "Match needs the role analyst");
  EXPECT_THAT(analyst_.Match(ana_, MatchForm()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("analyst")));
}

TEST_F(AnalystTest, ExportCsvNeutralisesFormulas) {
  json rows = {{{"verdict", "HIT"}, {"peer", "hu"}, {"item", 1}, {"type", "phone"},
                {"value", "+49 151, \"x\""}, {"canonical", "=cmd()"}, {"derived", false}}};
  absl::StatusOr<std::string> csv = Analyst::ExportCsv(rows);
  ASSERT_THAT(csv, IsOk());
  EXPECT_THAT(*csv, HasSubstr("verdict,peer,item,type,value,canonical"));
  EXPECT_THAT(*csv, HasSubstr("HIT,hu,1,phone,\"'+49 151, \"\"x\"\"\",'=cmd()"));
  EXPECT_THAT(Analyst::ExportCsv(json("rows")), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AnalystTest, ExportStixHasASightingPerHit) {
  json rows = {{{"verdict", "HIT"}, {"peer", "hu"}, {"type", "phone"}, {"canonical", "+491511"},
                {"scheme", "keyed"}, {"reference", "r1"}, {"derived", false}},
               {{"verdict", "NO_HIT"}, {"peer", "at"}, {"type", "phone"}, {"canonical", "+491511"}}};
  absl::StatusOr<std::string> stix = Analyst::ExportStix(rows, 1'800'000'000'000);
  ASSERT_THAT(stix, IsOk());
  json bundle = json::parse(*stix);
  EXPECT_EQ(bundle["type"], "bundle");
  int sightings = 0;
  for (const json& o : bundle["objects"]) sightings += o["type"] == "sighting";
  EXPECT_EQ(sightings, 1);
  EXPECT_THAT(*stix, HasSubstr("[phone-number:value = '+491511']"));
  EXPECT_THAT(Analyst::ExportStix({{{"verdict", "HIT"}}}, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AnalystTest, TraceFollowUpsWatchesAlerts) {
  auto* rec = node_.admin.records_response.add_records();
  rec->set_record_id("r-1");
  rec->set_case_ref("CASE-DE-7");
  rec->add_provenance()->set_post_url("https://forum.example/p/1");
  absl::StatusOr<json> t = analyst_.Trace(ana_, {{"reference", " r-1 "}});
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(node_.admin.records_request.reference(), "r-1");
  EXPECT_EQ((*t)["records"][0]["case"], "CASE-DE-7");
  EXPECT_EQ((*t)["records"][0]["posts"][0]["post_url"], "https://forum.example/p/1");
  EXPECT_THAT(analyst_.Trace(ana_, {{"reference", ""}}), StatusIs(absl::StatusCode::kInvalidArgument));
  node_.admin.records_response.Clear();
  EXPECT_THAT(analyst_.Trace(ana_, {{"reference", "zz"}}), StatusIs(absl::StatusCode::kNotFound));

  node_.admin.followups_response.add_entries()->set_followup_id("fu-1");
  json fu = {{"peer", "hu"}, {"reference", "ref-hu-1"}, {"legal_basis", "Art. 39"},
             {"justification", "same number in our case"}};
  ASSERT_THAT(analyst_.RequestFollowUp(ana_, fu), IsOk());
  EXPECT_EQ(node_.admin.followups_request.action(), "request");
  EXPECT_EQ(node_.admin.followups_request.peer(), "hu");
  const int before = node_.admin.calls;
  fu.erase("legal_basis");
  EXPECT_THAT(analyst_.RequestFollowUp(ana_, fu),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("legal basis")));
  EXPECT_EQ(node_.admin.calls, before);
  ASSERT_THAT(analyst_.FollowUpStatus(ana_), IsOk());
  EXPECT_EQ(node_.admin.followups_request.action(), "status");

  json watch = {{"target", "all"}, {"type", "phone"}, {"text", "+491511\n+491512"},
                {"until_days", 30}};
  ASSERT_THAT(analyst_.AddWatch(ana_, watch), IsOk());
  EXPECT_EQ(node_.admin.watches_request.action(), "add");
  EXPECT_EQ(node_.admin.watches_request.values_size(), 2);
  EXPECT_TRUE(node_.admin.watches_request.all());
  EXPECT_EQ(node_.admin.watches_request.until(), 1'800'000'000 + 30 * 86400);
  watch["until_days"] = 0;
  EXPECT_THAT(analyst_.AddWatch(ana_, watch), StatusIs(absl::StatusCode::kInvalidArgument));
  watch["until_days"] = 5;
  watch.erase("text");
  watch["csv"] = "type,value\nphone,1\nurl,https://a.example\n";
  EXPECT_THAT(analyst_.AddWatch(ana_, watch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("one type")));
  ASSERT_THAT(analyst_.RemoveWatch(ana_, {{"watch_id", "w-1"}, {"peers", {"hu"}}}), IsOk());
  EXPECT_EQ(node_.admin.watches_request.action(), "remove");
  EXPECT_EQ(node_.admin.watches_request.watch_id(), "w-1");
  EXPECT_THAT(analyst_.RemoveWatch(ana_, json::object()),
              StatusIs(absl::StatusCode::kInvalidArgument));

  auto* ev = node_.admin.watches_response.add_events();
  ev->set_sender("hu");
  ev->set_received_ms(5);
  ev->mutable_notification()->set_kind(ifed::v1::WATCH_HIT);
  ev->mutable_notification()->set_pseudonym("secret-pseudonym");
  absl::StatusOr<json> alerts = analyst_.Alerts(ana_, 3);
  ASSERT_THAT(alerts, IsOk());
  EXPECT_EQ(node_.admin.watches_request.action(), "events");
  EXPECT_EQ(node_.admin.watches_request.since_ms(), 3);
  EXPECT_EQ((*alerts)["count"], 1);
  EXPECT_EQ((*alerts)["alerts"][0]["kind"], "WATCH_HIT");
  EXPECT_THAT(alerts->dump(), ::testing::Not(HasSubstr("secret-pseudonym")));
}

}  // namespace
}  // namespace ifed::console
