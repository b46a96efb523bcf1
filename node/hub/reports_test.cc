// AcceptHitReport with a real policy and real statistics: what the hub's
// policy lets in is counted like a relayed query; refusals and malformed
// reports change nothing. (A member sending reports: tests/integration/hub_it.cc.)
#include "node/hub/reports.h"

#include <gtest/gtest.h>

namespace ifed::hub {
namespace {

constexpr int64_t kNow = 1700000000;

std::unique_ptr<policy::PolicyHolder> HubPolicy() {
  auto p = policy::Policy::LoadTexts(
      {{"p.yaml",
        "defaults:\n  legal_basis: test\n  purposes: [migrant_smuggling]\n"
        "partners:\n  - partner: de\n    types: [phone]\n  - partner: at\n    types: [phone]\n"}});
  EXPECT_TRUE(p.ok()) << p.status();
  return std::make_unique<policy::PolicyHolder>(std::move(*p));
}

ifed::v1::HitReport Report(const std::string& token = "") {
  ifed::v1::HitReport r;
  r.mutable_query()->set_request_id("req-1");
  r.mutable_query()->set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  r.mutable_query()->set_case_token(token);
  auto* b = r.mutable_query()->add_batches();
  b->set_type(ifed::v1::PHONE);
  b->set_pseudonyms(std::string(32, 'a') + std::string(32, 'b'));
  for (const char* who : {"at", "pl", "se"}) {  // se is no member of this hub
    auto* h = r.add_holders();
    h->set_member(who);
    h->add_results()->set_verdict(ifed::v1::HIT);
    h->add_results()->set_verdict(who == std::string("at") ? ifed::v1::HIT : ifed::v1::NO_HIT);
  }
  return r;
}

class ReportsTest : public ::testing::Test {
 protected:
  ReportsTest()
      : policy_(HubPolicy()),
        members_(federation::TlsFiles{}, "ifed-test.eu",
                 {{"de", "127.0.0.1:1"}, {"at", "127.0.0.1:2"}, {"pl", "127.0.0.1:3"}},
                 std::chrono::milliseconds(100)),
        stats_(crypto::SecretBytes(std::vector<uint8_t>(32, 7))),
        deps_{.policy = policy_.get(), .members = &members_, .stats = &stats_,
              .now = [] { return kNow; }} {}
  std::unique_ptr<policy::PolicyHolder> policy_;
  federation::PeerClients members_;
  HubStats stats_;
  ReportDeps deps_;
};

TEST_F(ReportsTest, AllowedReportCountsLikeARelayedQuery) {
  ifed::v1::HitReportAck ack;
  ASSERT_TRUE(AcceptHitReport(deps_, "de", Report("0123456789abcdef0123456789abcdef"), &ack).ok());
  EXPECT_EQ(ack.items(), 2u);
  EXPECT_EQ(ack.holders(), 2u);  // at and pl; se is not a member here.
  auto r = stats_.Report(2);
  EXPECT_EQ(r.queries(), 1u);
  EXPECT_EQ(r.hits(), 3u);
  ASSERT_EQ(r.pairs_size(), 2);
  EXPECT_EQ(r.pairs(0).querier(), "de");
  ASSERT_EQ(r.networks_size(), 1);  // a and b, linked by the case token.
  EXPECT_EQ(r.networks(0).digests_size(), 2);
}

TEST_F(ReportsTest, RefusedByTheHubsPolicyChangesNothing) {
  ifed::v1::HitReportAck ack;
  // pl has no rule at the hub; de may not report urls; nor for terrorism.
  EXPECT_EQ(AcceptHitReport(deps_, "pl", Report(), &ack).code(),
            absl::StatusCode::kPermissionDenied);
  auto url = Report();
  url.mutable_query()->mutable_batches(0)->set_type(ifed::v1::URL);
  EXPECT_EQ(AcceptHitReport(deps_, "de", url, &ack).code(), absl::StatusCode::kPermissionDenied);
  auto purpose = Report();
  purpose.mutable_query()->set_purpose(ifed::v1::TERRORISM);
  EXPECT_EQ(AcceptHitReport(deps_, "de", purpose, &ack).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(stats_.Report(1).queries(), 0u);
}

TEST_F(ReportsTest, MalformedReportsAreRefused) {
  ifed::v1::HitReportAck ack;
  auto check = [&](ifed::v1::HitReport r, const char* why) {
    EXPECT_EQ(AcceptHitReport(deps_, "de", r, &ack).code(), absl::StatusCode::kInvalidArgument)
        << why;
  };
  auto r = Report();
  r.mutable_query()->mutable_batches(0)->mutable_pseudonyms()->push_back('x');
  check(r, "ragged pseudonyms");
  r = Report();
  r.mutable_holders(0)->add_results();
  check(r, "a result too many");
  r = Report();
  r.mutable_holders(1)->set_member("at");
  check(r, "a holder twice");
  r = Report();
  r.clear_holders();
  check(r, "no holder");
  check(Report("NOT-A-TOKEN"), "bad case token");
  r = Report();
  r.mutable_query()->set_request_id("");
  check(r, "no request id");
  EXPECT_EQ(stats_.Report(1).queries(), 0u);
  ReportDeps member = deps_;
  member.stats = nullptr;
  EXPECT_EQ(AcceptHitReport(member, "de", Report(), &ack).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ifed::hub
