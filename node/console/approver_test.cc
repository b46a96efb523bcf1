#include "node/console/approver.h"

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

class ApproverTest : public ::testing::Test {
 protected:
  FakeNode node_;
  Approver approver_{node_.client.get(), [] { return int64_t{1000} * 1000; }};
  Staff appr_{.id = "appr", .roles = {"approver"}};

  void Add(const std::string& id, ifed::v1::FollowUpState state, int64_t deadline) {
    auto* e = node_.admin.followups_response.add_entries();
    e->set_followup_id(id);
    e->set_state(state);
    e->set_deadline(deadline);
    e->set_peer("at");
  }
};

TEST_F(ApproverTest, QueueIsPendingFirstByDeadlineWithOverdueMarked) {
  Add("done", ifed::v1::FOLLOW_UP_APPROVED, 10);
  Add("later", ifed::v1::FOLLOW_UP_PENDING, 5000);
  Add("late", ifed::v1::FOLLOW_UP_PENDING, 900);
  absl::StatusOr<json> q = approver_.Queue(appr_);
  ASSERT_THAT(q, IsOk());
  EXPECT_EQ(node_.admin.followups_request.action(), "list");
  EXPECT_EQ(node_.admin.staff, "appr");
  const json& list = (*q)["followups"];
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["id"], "late");
  EXPECT_EQ(list[0]["overdue"], true);
  EXPECT_EQ(list[0]["seconds_left"], -100);
  EXPECT_EQ(list[1]["id"], "later");
  EXPECT_EQ(list[1]["overdue"], false);
  EXPECT_EQ(list[1]["seconds_left"], 4000);
  EXPECT_EQ(list[2]["id"], "done");
  EXPECT_EQ(list[2]["overdue"], false);
  EXPECT_EQ((*q)["now"], 1000);
}

TEST_F(ApproverTest, ApproveAndDeny) {
  Add("fu-1", ifed::v1::FOLLOW_UP_APPROVED, 5000);
  ASSERT_THAT(approver_.Decide(appr_, {{"id", "fu-1"}, {"decision", "approve"},
                                       {"reply", "call us"}, {"with_contact", true}}),
              IsOk());
  EXPECT_EQ(node_.admin.followups_request.action(), "approve");
  EXPECT_EQ(node_.admin.followups_request.followup_id(), "fu-1");
  EXPECT_EQ(node_.admin.followups_request.text(), "call us");
  EXPECT_TRUE(node_.admin.followups_request.with_contact());
  ASSERT_THAT(approver_.Decide(appr_, {{"id", "fu-1"}, {"decision", "deny"},
                                       {"reason", "no legal basis"}}),
              IsOk());
  EXPECT_EQ(node_.admin.followups_request.action(), "deny");
  EXPECT_EQ(node_.admin.followups_request.text(), "no legal basis");
}

TEST_F(ApproverTest, BadDecisionsChangeNothing) {
  for (const json& form : {json{{"decision", "approve"}, {"reply", "x"}},
                           json{{"id", "fu-1"}, {"decision", "approve"}},
                           json{{"id", "fu-1"}, {"decision", "deny"}, {"reason", "   "}},
                           json{{"id", "fu-1"}, {"decision", "maybe"}},
                           json{{"id", 5}, {"decision", "deny"}, {"reason", "r"}}}) {
    EXPECT_THAT(approver_.Decide(appr_, form), StatusIs(absl::StatusCode::kInvalidArgument))
        << form.dump();
  }
  EXPECT_EQ(node_.admin.calls, 0);
}

TEST_F(ApproverTest, NodeRefusalsArePassedOn) {
  node_.admin.status =
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "already FOLLOW_UP_APPROVED");
  EXPECT_THAT(approver_.Decide(appr_, {{"id", "fu-1"}, {"decision", "deny"}, {"reason", "r"}}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already")));
  node_.admin.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "connect failed");
  EXPECT_THAT(approver_.Queue(appr_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("node does not answer")));
}

}  // namespace
}  // namespace ifed::console
