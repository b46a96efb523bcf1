#include "node/console/ops_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node/common/status_matchers.h"
#include "proto/admin.pb.h"
#include "proto/console_ops.pb.h"

namespace ifed::console {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::HasSubstr;

TEST(QueryToMessageTest, FillsFieldsByName) {
  ifed::v1::AuditSearchRequest r;
  ASSERT_THAT(QueryToMessage({{"since_ms", "1767225600000"},
                              {"outcome", "refused"},
                              {"limit", "50"},
                              {"peer", ""}},
                             &r),
              IsOk());
  EXPECT_EQ(r.since_ms(), 1767225600000);
  EXPECT_EQ(r.outcome(), "refused");
  EXPECT_EQ(r.limit(), 50u);
  EXPECT_EQ(r.peer(), "");
  ifed::v1::PolicyExplainRequest e;
  ASSERT_THAT(QueryToMessage({{"partner", "at"}, {"type", "PHONE"}, {"outbound", "true"},
                              {"purpose", "CYBERCRIME"}},
                             &e),
              IsOk());
  EXPECT_EQ(e.type(), ifed::v1::PHONE);
  EXPECT_TRUE(e.outbound());
  EXPECT_EQ(e.purpose(), ifed::v1::CYBERCRIME);
}

TEST(QueryToMessageTest, RefusesUnknownAndBadParametersAndChangesNothing) {
  ifed::v1::AuditSearchRequest r;
  r.set_peer("kept");
  EXPECT_THAT(QueryToMessage({{"peer", "x"}, {"evil", "1"}}, &r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown parameter evil")));
  EXPECT_THAT(QueryToMessage({{"peer", "x"}, {"limit", "many"}}, &r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  EXPECT_THAT(QueryToMessage({{"since_ms", "-"}}, &r),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ifed::v1::PolicyExplainRequest e;
  EXPECT_THAT(QueryToMessage({{"type", "PHONEY"}}, &e),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("type")));
  EXPECT_THAT(QueryToMessage({{"outbound", "yes"}}, &e),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(r.peer(), "kept");
  EXPECT_EQ(r.limit(), 0u);
}

TEST(ToJsonTest, ProtoNamesAndDefaults) {
  ifed::v1::AuditVerifyJob j;
  j.set_job_id("v1");
  j.set_done(3);
  const std::string json = ToJson(j);
  EXPECT_THAT(json, HasSubstr("\"job_id\":\"v1\""));
  EXPECT_THAT(json, HasSubstr("\"done\":\"3\""));
  EXPECT_THAT(json, HasSubstr("\"first_bad_seq\":\"0\""));  // defaults are shown.
}

}  // namespace
}  // namespace ifed::console
