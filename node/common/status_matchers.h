// GoogleMock matchers for absl::Status and absl::StatusOr<T>. Debian 12's
// Abseil (20220623) ships none; this is the project's single pair, so a
// failing test prints the code and the message instead of "false".
//
//   EXPECT_THAT(store.Put(...), IsOk());
//   EXPECT_THAT(matcher.Match(...), StatusIs(absl::StatusCode::kPermissionDenied));
//   EXPECT_THAT(Parse(text), StatusIs(absl::StatusCode::kInvalidArgument,
//                                     HasSubstr("line 3")));
#ifndef IFED_COMMON_STATUS_MATCHERS_H_
#define IFED_COMMON_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace ifed::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace internal

// Matches an OK absl::Status or an absl::StatusOr holding a value.
MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& s = internal::GetStatus(arg);
  if (!s.ok()) *result_listener << "which is " << s;
  return s.ok();
}

// Matches a status (or StatusOr) whose code is `code` and, in the two-argument
// form, whose message matches `message` (a string or a matcher).
MATCHER_P(StatusIs, code,
          std::string(negation ? "has no " : "has ") + "code " +
              absl::StatusCodeToString(code)) {
  const absl::Status& s = internal::GetStatus(arg);
  *result_listener << "which is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message,
           std::string(negation ? "does not have " : "has ") + "code " +
               absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message, negation)) {
  const absl::Status& s = internal::GetStatus(arg);
  *result_listener << "which is " << s;
  return s.code() == code && ::testing::Matcher<std::string>(message).MatchAndExplain(
                                 std::string(s.message()), result_listener);
}

}  // namespace ifed::testing

#endif  // IFED_COMMON_STATUS_MATCHERS_H_
