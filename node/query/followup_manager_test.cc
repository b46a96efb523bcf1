// FollowUpManager against a temp-dir Store and a fake transport: a request
// is sent and stored, a partner our policy refuses is never asked and
// nothing is stored, a partner's refusal stores nothing, a poll stores the
// changed answer, a decision queues its answer in the outbox.
#include "node/query/followup_manager.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "absl/strings/str_format.h"
#include "node/common/status_matchers.h"
#include "node/federation/desk/followup_service.h"
#include "node/store/tables.h"

namespace ifed::query {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kNow = 2000000000;

class FakeTransport : public FollowUpTransport {
 public:
  bool Has(const std::string& peer) const override { return peer == "at" || peer == "hu"; }
  absl::StatusOr<ifed::v1::FollowUpResponse> Send(
      const std::string& peer, const ifed::v1::FollowUpRequest& request) override {
    sent.emplace_back(peer, request);
    return answer;
  }
  absl::StatusOr<ifed::v1::FollowUpResponse> answer;
  std::vector<std::pair<std::string, ifed::v1::FollowUpRequest>> sent;
};

class FollowUpManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrFormat("%s/followup_manager_%d", ::testing::TempDir(), ::getpid());
    std::filesystem::remove_all(dir_);
    auto s = store::Store::Open({.path = dir_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    // An outbound (and inbound) rule for at; none for hu.
    auto p = policy::Policy::LoadTexts(
        {{"at.yaml",
          "partners:\n  - partner: at\n    legal_basis: t\n    types: [phone]\n"
          "    purposes: [migrant_smuggling]\n    disclosure: hit_with_reference\n"
          "    follow_ups: {allowed: true}\n"}});
    ASSERT_TRUE(p.ok()) << p.status();
    holder_ = std::make_unique<policy::PolicyHolder>(*p);
    ifed::v1::FollowUpResponse answer;
    answer.set_state(ifed::v1::FOLLOW_UP_PENDING);
    answer.set_created(kNow);
    answer.set_deadline(kNow + 3600);
    transport_.answer = answer;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  FollowUpManager Manager(std::string contact = "") {
    return FollowUpManager({.node_id = "de",
                            .contact = std::move(contact),
                            .store = store_.get(),
                            .audit = nullptr,
                            .policy = holder_.get(),
                            .transport = &transport_,
                            .now = [this] { return now_; },
                            .kick_outbox = [this] { ++kicks_; }});
  }
  std::map<std::string, std::string> Meta(const std::string& prefix) {
    std::map<std::string, std::string> out;
    EXPECT_THAT(store_->ScanMeta(prefix, [&](const std::string& k, const std::string& v) {
      out[k] = v;
      return true;
    }), IsOk());
    return out;
  }
  static FollowUpAsk Ask(const std::string& peer) {
    return {.peer = peer, .reference = "ref-1", .legal_basis = "art. 7",
            .justification = "same network"};
  }
  // A partner's pending request to this node about `reference`.
  void FileInbound(const std::string& peer, const std::string& id, const std::string& reference) {
    ifed::v1::FollowUpRecord r;
    r.set_followup_id(id);
    r.set_peer(peer);
    r.set_inbound(true);
    r.set_reference(reference);
    r.set_state(ifed::v1::FOLLOW_UP_PENDING);
    r.set_created(kNow);
    r.set_deadline(kNow + 100);
    ASSERT_THAT(federation::SaveFollowUp(store_.get(), nullptr, r, "followup.in", "peer:" + peer),
                IsOk());
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<policy::PolicyHolder> holder_;
  FakeTransport transport_;
  int64_t now_ = kNow;
  int kicks_ = 0;
};

TEST_F(FollowUpManagerTest, RequestIsSentAndStored) {
  auto r = Manager().Request("local:uid=1(a)", Ask("at"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->peer(), "at");
  EXPECT_FALSE(r->inbound());
  EXPECT_EQ(r->state(), ifed::v1::FOLLOW_UP_PENDING);
  EXPECT_EQ(r->purpose(), ifed::v1::MIGRANT_SMUGGLING);  // the default purpose.
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].second.action(), ifed::v1::FOLLOW_UP_REQUEST);
  EXPECT_EQ(transport_.sent[0].second.followup_id(), r->followup_id());
  EXPECT_EQ(Meta(store::FollowUpTable::kOutbound).count(
                store::FollowUpTable::Key(false, "at", r->followup_id())),
            1u);
}

TEST_F(FollowUpManagerTest, PartnerOurPolicyRefusesIsNeverAsked) {
  EXPECT_THAT(Manager().Request("a", Ask("hu")),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("our policy has no outbound rule for hu")));
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_TRUE(Meta(store::FollowUpTable::kPrefix).empty());
}

TEST_F(FollowUpManagerTest, PartnersRefusalStoresNothing) {
  transport_.answer = absl::PermissionDeniedError("no follow-ups for you");
  EXPECT_THAT(Manager().Request("a", Ask("at")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no follow-ups")));
  EXPECT_TRUE(Meta(store::FollowUpTable::kPrefix).empty());
}

TEST_F(FollowUpManagerTest, BadRequestsAreInvalidArgument) {
  EXPECT_THAT(Manager().Request("a", Ask("xx")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown peer 'xx'")));
  FollowUpAsk ask = Ask("at");
  ask.justification.clear();
  EXPECT_THAT(Manager().Request("a", ask), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(FollowUpManagerTest, PollStoresTheChangedAnswer) {
  auto r = Manager().Request("a", Ask("at"));
  ASSERT_THAT(r, IsOk());
  ifed::v1::FollowUpResponse approved;
  approved.set_state(ifed::v1::FOLLOW_UP_APPROVED);
  approved.set_reply("the case officer is X");
  approved.set_decided(kNow + 10);
  transport_.answer = approved;
  auto polled = Manager().Poll("");
  ASSERT_THAT(polled, IsOk());
  ASSERT_EQ(polled->size(), 1u);
  EXPECT_EQ((*polled)[0].state(), ifed::v1::FOLLOW_UP_APPROVED);
  EXPECT_EQ(transport_.sent.back().second.action(), ifed::v1::FOLLOW_UP_STATUS);
  // Decided: not asked again.
  const size_t asked = transport_.sent.size();
  ASSERT_THAT(Manager().Poll(r->followup_id()), IsOk());
  EXPECT_EQ(transport_.sent.size(), asked);
}

TEST_F(FollowUpManagerTest, ApproveByReferenceQueuesTheAnswer) {
  FileInbound("at", "fu-1", "tok-1");
  now_ = kNow + 200;  // past the deadline: listed overdue.
  auto listed = Manager().List("");
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].overdue());
  auto r = Manager("desk@bka.example").Decide(
      "local:uid=1(a)", {.approve = true, .reference = "tok-1", .text = "yes", .with_contact = true});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->state(), ifed::v1::FOLLOW_UP_APPROVED);
  EXPECT_EQ(r->reply(), "yes\ncontact: desk@bka.example");
  EXPECT_EQ(r->decided_by(), "local:uid=1(a)");
  EXPECT_FALSE(r->overdue());
  EXPECT_EQ(Meta("outbox/").size(), 1u);
  EXPECT_EQ(kicks_, 1);
  // Decided once only.
  EXPECT_THAT(Manager().Decide("a", {.approve = false, .followup_id = "fu-1", .text = "no"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already FOLLOW_UP_APPROVED")));
  EXPECT_EQ(Meta("outbox/").size(), 1u);
}

TEST_F(FollowUpManagerTest, DecisionsThatNameNoOneRequestChangeNothing) {
  FileInbound("at", "fu-1", "tok-1");
  FileInbound("hu", "fu-2", "tok-1");
  EXPECT_THAT(Manager().Decide("a", {.approve = false, .reference = "tok-1", .text = "no"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("2 pending follow-ups for reference tok-1")));
  EXPECT_THAT(Manager().Decide("a", {.approve = false, .reference = "tok-9", .text = "no"}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Manager().Decide("a", {.approve = false, .followup_id = "fu-9", .text = "no"}),
              StatusIs(absl::StatusCode::kNotFound, "no such follow-up"));
  EXPECT_THAT(Manager().Decide("a", {.approve = true, .followup_id = "fu-1"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Manager().Decide("a", {.approve = true, .followup_id = "fu-1", .with_contact = true}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no contact point")));
  // By reference and peer: exactly one.
  EXPECT_THAT(Manager().Decide("a", {.approve = false, .reference = "tok-1", .peer = "hu",
                                     .text = "no"}),
              IsOk());
  EXPECT_EQ(Meta("outbox/").size(), 1u);
}

}  // namespace
}  // namespace ifed::query
