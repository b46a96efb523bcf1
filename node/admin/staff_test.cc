#include "node/admin/staff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node/common/status_matchers.h"

namespace ifed::admin {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::HasSubstr;

const std::vector<uint32_t> kConsoles = {1234};
const std::string kProcess = "local:uid=1234(ifed)";

TEST(StaffTest, NoMetadataIsTheOperator) {
  absl::StatusOr<Caller> c = ResolveCaller(kProcess, 1234, kConsoles, nullptr, nullptr);
  ASSERT_THAT(c, IsOk());
  EXPECT_FALSE(c->staff());
  EXPECT_EQ(c->actor, kProcess);
  EXPECT_THAT(CheckRole(*c, "FollowUps", "approve"), IsOk());
}

TEST(StaffTest, ConsoleUidNamesThePerson) {
  const std::string id = "alice", roles = "analyst, approver";
  absl::StatusOr<Caller> c = ResolveCaller(kProcess, 1234, kConsoles, &id, &roles);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->actor, "staff:alice via local:uid=1234(ifed)");
  EXPECT_EQ(c->roles, (std::set<std::string>{"analyst", "approver"}));
}

TEST(StaffTest, OtherUidCannotClaimAPerson) {
  const std::string id = "alice", roles = "approver";
  EXPECT_THAT(ResolveCaller("local:uid=99(eve)", 99, kConsoles, &id, &roles),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("console_uids")));
  EXPECT_THAT(ResolveCaller("local:uid=99(eve)", -1, kConsoles, &id, &roles),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ResolveCaller(kProcess, 1234, {}, &id, &roles),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(StaffTest, MalformedIdentityIsRefused) {
  const std::string bad_id = "Alice Smith", id = "alice", bad_role = "analyst,root", empty;
  const std::string roles = "analyst";
  EXPECT_THAT(ResolveCaller(kProcess, 1234, kConsoles, &bad_id, &roles),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveCaller(kProcess, 1234, kConsoles, &id, &bad_role),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown role")));
  EXPECT_THAT(ResolveCaller(kProcess, 1234, kConsoles, &id, &empty),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveCaller(kProcess, 1234, kConsoles, &id, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveCaller(kProcess, 1234, kConsoles, nullptr, &roles),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StaffTest, RolesAreCheckedPerCall) {
  Caller analyst{.actor = "staff:a", .staff_id = "a", .roles = {"analyst"}};
  Caller approver{.actor = "staff:b", .staff_id = "b", .roles = {"approver"}};
  EXPECT_THAT(CheckRole(analyst, "Match", ""), IsOk());
  EXPECT_THAT(CheckRole(analyst, "FollowUps", "request"), IsOk());
  EXPECT_THAT(CheckRole(analyst, "FollowUps", "approve"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("approver")));
  EXPECT_THAT(CheckRole(analyst, "FollowUps", "deny"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckRole(approver, "FollowUps", "approve"), IsOk());
  EXPECT_THAT(CheckRole(approver, "FollowUps", "list"), IsOk());
  EXPECT_THAT(CheckRole(approver, "Match", ""), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckRole(approver, "Watches", "add"), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckRole(analyst, "Keys", ""), StatusIs(absl::StatusCode::kPermissionDenied));
  // A call no role lists is for the operator only.
  EXPECT_THAT(CheckRole(analyst, "NoSuchCall", ""),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not open to staff")));
}

TEST(StaffTest, StaffIds) {
  EXPECT_TRUE(IsValidStaffId("alice"));
  EXPECT_TRUE(IsValidStaffId("a.b-c_9"));
  EXPECT_FALSE(IsValidStaffId(""));
  EXPECT_FALSE(IsValidStaffId("-a"));
  EXPECT_FALSE(IsValidStaffId("A"));
  EXPECT_FALSE(IsValidStaffId(std::string(65, 'a')));
  EXPECT_FALSE(IsValidStaffId("a b"));
}

}  // namespace
}  // namespace ifed::admin
