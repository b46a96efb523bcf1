#include "node/common/status_matchers.h"

#include "gtest/gtest.h"

namespace ifed::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(StatusMatchers, IsOk) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(absl::StatusOr<int>(3), IsOk());
  EXPECT_THAT(absl::NotFoundError("x"), Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(absl::InternalError("y")), Not(IsOk()));
}

TEST(StatusMatchers, StatusIs) {
  const absl::Status denied = absl::PermissionDeniedError("no rule for peer at");
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(denied, Not(StatusIs(absl::StatusCode::kNotFound)));
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no rule")));
  EXPECT_THAT(denied, Not(StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("quota"))));
  EXPECT_THAT(absl::StatusOr<int>(absl::InvalidArgumentError("line 3: bad")),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 3: bad"));
  EXPECT_THAT(absl::StatusOr<int>(1), StatusIs(absl::StatusCode::kOk));
}

TEST(StatusMatchers, ExplainsAFailure) {
  ::testing::StringMatchResultListener listener;
  const auto m = ::testing::Matcher<absl::Status>(IsOk());
  EXPECT_FALSE(m.MatchAndExplain(absl::DataLossError("block 7"), &listener));
  EXPECT_THAT(listener.str(), HasSubstr("DATA_LOSS"));
  EXPECT_THAT(listener.str(), HasSubstr("block 7"));
}

}  // namespace
}  // namespace ifed::testing
