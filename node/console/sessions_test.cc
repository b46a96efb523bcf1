#include "node/console/sessions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node/common/status_matchers.h"
#include "absl/strings/escaping.h"
#include "node/console/password.h"

namespace ifed::console {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;

TEST(SessionsTest, CreateTouchAndExpire) {
  int64_t now = 1'000'000;
  SessionStore store({.idle_ms = 1000, .absolute_ms = 5000}, [&] { return now; });
  absl::StatusOr<Session> s = store.Create({.id = "alice", .roles = {"analyst"}});
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->id.size(), 43u);  // 256 bits, base64url.
  EXPECT_EQ(s->csrf.size(), 43u);
  EXPECT_NE(s->id, s->csrf);
  now += 900;
  ASSERT_TRUE(store.Touch(s->id).has_value());
  now += 900;  // idle timer restarted by the touch.
  ASSERT_TRUE(store.Touch(s->id).has_value());
  now += 1000;  // idle too long.
  EXPECT_FALSE(store.Touch(s->id).has_value());
  EXPECT_EQ(store.size(), 0u);
}

TEST(SessionsTest, AbsoluteExpiryHoldsEvenWhenBusy) {
  int64_t now = 0;
  SessionStore store({.idle_ms = 1000, .absolute_ms = 3000}, [&] { return now; });
  Session s = *store.Create({.id = "bob"});
  for (int i = 0; i < 5; ++i) {
    now += 500;
    ASSERT_TRUE(store.Touch(s.id).has_value());
  }
  now += 600;  // 3100 ms since sign-in.
  EXPECT_FALSE(store.Touch(s.id).has_value());
}

TEST(SessionsTest, UnknownEmptyAndRemoved) {
  int64_t now = 0;
  SessionStore store({}, [&] { return now; });
  EXPECT_FALSE(store.Touch("").has_value());
  EXPECT_FALSE(store.Touch("nope").has_value());
  Session a = *store.Create({.id = "a"});
  Session b = *store.Create({.id = "a"});
  store.Create({.id = "c"}).IgnoreError();
  store.Remove(a.id);
  EXPECT_FALSE(store.Touch(a.id).has_value());
  EXPECT_EQ(store.RemoveStaff("a"), 1u);
  EXPECT_FALSE(store.Touch(b.id).has_value());
  EXPECT_EQ(store.size(), 1u);
}

TEST(SessionsTest, CapacityDropsTheLeastRecentlyUsed) {
  int64_t now = 0;
  SessionStore store({.max_sessions = 2}, [&] { return now; });
  Session a = *store.Create({.id = "a"});
  now += 1;
  Session b = *store.Create({.id = "b"});
  now += 1;
  ASSERT_TRUE(store.Touch(a.id).has_value());
  now += 1;
  Session c = *store.Create({.id = "c"});
  EXPECT_TRUE(store.Touch(a.id).has_value());
  EXPECT_FALSE(store.Touch(b.id).has_value());
  EXPECT_TRUE(store.Touch(c.id).has_value());
}

TEST(SessionsTest, TokensCompare) {
  EXPECT_TRUE(TokensEqual("abc", "abc"));
  EXPECT_FALSE(TokensEqual("abc", "abd"));
  EXPECT_FALSE(TokensEqual("abc", "abcd"));
  EXPECT_FALSE(TokensEqual("", ""));
}

TEST(PasswordTest, HashAndVerify) {
  absl::StatusOr<std::string> h = HashPassword("correct horse", {.log2_n = 10});
  ASSERT_THAT(h, IsOk());
  EXPECT_EQ(h->rfind("scrypt$10$8$1$", 0), 0u);
  EXPECT_THAT(VerifyPassword("correct horse", *h), IsOk());
  EXPECT_THAT(VerifyPassword("correct hors", *h), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(VerifyPassword("", *h), StatusIs(absl::StatusCode::kPermissionDenied));
  // Same password, fresh salt: a different string.
  EXPECT_NE(*HashPassword("correct horse", {.log2_n = 10}), *h);
}

TEST(PasswordTest, EveryBitOfTheKeyMatters) {
  const std::string h = *HashPassword("pw", {.log2_n = 10});
  const size_t at = h.rfind('$') + 1;
  std::string key;
  ASSERT_TRUE(absl::Base64Unescape(h.substr(at), &key));
  for (size_t i = 0; i < key.size() * 8; i += 7) {
    std::string flipped = key;
    flipped[i / 8] = static_cast<char>(flipped[i / 8] ^ (1 << (i % 8)));
    EXPECT_THAT(VerifyPassword("pw", h.substr(0, at) + absl::Base64Escape(flipped)),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

TEST(PasswordTest, MalformedHashesAndParameters) {
  EXPECT_THAT(HashPassword(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(HashPassword("x", {.log2_n = 9}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(HashPassword("x", {.log2_n = 10, .r = 0}), StatusIs(absl::StatusCode::kInvalidArgument));
  for (const char* bad : {"", "plain", "scrypt$10$8$1$c2FsdHNhbHQ=", "bcrypt$10$8$1$a$b",
                          "scrypt$40$8$1$c2FsdHNhbHQ=$AAAA", "scrypt$x$8$1$c2FsdHNhbHQ=$AAAA",
                          "scrypt$10$8$1$c2FsdHNhbHQ=$AAAA"}) {
    EXPECT_THAT(CheckHashFormat(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_THAT(VerifyPassword("x", bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace ifed::console
