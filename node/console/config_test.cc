#include "node/console/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node/common/status_matchers.h"
#include "node/console/auth.h"
#include "node/console/password.h"

namespace ifed::console {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ConsoleConfigTest, DefaultsAndPaths) {
  absl::StatusOr<ifed::v1::ConsoleConfig> c = ParseConsoleConfig(R"(
admin_socket: run/admin.sock
staff_file: staff.yaml
tls:
  cert: certs/console.pem
  key: /abs/console.key
)", "/etc/ifed/console.yaml");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->listen(), "127.0.0.1:8443");
  EXPECT_EQ(c->admin_socket(), "/etc/ifed/run/admin.sock");
  EXPECT_EQ(c->staff_file(), "/etc/ifed/staff.yaml");
  EXPECT_EQ(c->tls().cert(), "/etc/ifed/certs/console.pem");
  EXPECT_EQ(c->tls().key(), "/abs/console.key");
  EXPECT_EQ(c->session_idle_seconds(), 900u);
  EXPECT_EQ(c->session_absolute_seconds(), 28800u);
  EXPECT_EQ(c->tls().proxy_header(), "X-Remote-User");
}

TEST(ConsoleConfigTest, ProblemsAreNamed) {
  EXPECT_THAT(ParseConsoleConfig("listen: nowhere\n", "/c.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("field 'listen'"), HasSubstr("field 'tls.cert'"),
                                        HasSubstr("field 'admin_socket': required"))));
  EXPECT_THAT(ParseConsoleConfig("bogus: 1\n", "/c.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bogus")));
  EXPECT_THAT(ParseConsoleConfig(R"(
admin_socket: a
staff_file: s
tls: {cert: c, key: k, proxy_ca: p}
session_idle_seconds: 100000
)", "/c.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("proxy_cn"), HasSubstr("session_idle_seconds"))));
}

std::string Hash(const std::string& pw) { return *HashPassword(pw, {.log2_n = 10}); }

TEST(StaffDirectoryTest, ParsesAndFinds) {
  absl::StatusOr<std::unique_ptr<StaffDirectory>> d = StaffDirectory::Parse(
      "staff:\n"
      "  - {id: alice, name: Alice A, roles: [analyst, approver], password_hash: '" +
          Hash("pw") + "'}\n"
                       "  - {id: bob, roles: [dpo], cert_cn: Bob Builder}\n",
      "/staff.yaml");
  ASSERT_THAT(d, IsOk());
  ASSERT_NE((*d)->Find("alice"), nullptr);
  EXPECT_EQ((*d)->Find("carol"), nullptr);
  EXPECT_EQ((*d)->FindByCn("Bob Builder")->id(), "bob");
  EXPECT_EQ((*d)->FindByCn("alice")->id(), "alice");
  Staff s = StaffDirectory::ToStaff(*(*d)->Find("alice"), "password");
  EXPECT_EQ(s.name, "Alice A");
  EXPECT_EQ(s.roles, (std::set<std::string>{"analyst", "approver"}));
}

TEST(StaffDirectoryTest, RefusesBadFiles) {
  EXPECT_THAT(StaffDirectory::Parse("staff:\n  - {id: Alice, roles: [analyst]}\n"
                                    "  - {id: bob, roles: []}\n"
                                    "  - {id: carol, roles: [analyst], password_hash: x}\n"
                                    "  - {id: carol, roles: [analyst]}\n",
                                    "/s.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("staff[0].id"), HasSubstr("staff[1].roles"),
                                        HasSubstr("staff[2].password_hash"),
                                        HasSubstr("staff[3].id': duplicate"))));
  EXPECT_THAT(StaffDirectory::Parse("staff:\n  - {id: a, roles: [wizard]}\n", "/s.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = *StaffDirectory::Parse(
        "staff:\n"
        "  - {id: alice, roles: [analyst], password_hash: '" + Hash("pw") + "'}\n"
        "  - {id: bob, roles: [approver], cert_cn: Bob B}\n",
        "/s.yaml");
  }
  Authenticator Make(AuthOptions o) { return Authenticator(o, dir_.get(), &sessions_, clock_); }
  int64_t now_ = 1000;
  std::function<int64_t()> clock_ = [this] { return now_; };
  SessionStore sessions_{{}, [this] { return now_; }};
  std::unique_ptr<StaffDirectory> dir_;
};

TEST_F(AuthTest, PasswordSignInAndLockout) {
  Authenticator auth = Make({.max_failures = 3, .lockout_ms = 60000});
  absl::StatusOr<Session> s = auth.SignInWithPassword("alice", "pw");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->staff.method, "password");
  EXPECT_THAT(auth.SignInWithPassword("alice", "nope"),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown staff id or wrong password"));
  EXPECT_THAT(auth.SignInWithPassword("nobody", "pw"),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown staff id or wrong password"));
  EXPECT_THAT(auth.SignInWithPassword("bob", "pw"),  // no password set.
              StatusIs(absl::StatusCode::kUnauthenticated));
  auth.SignInWithPassword("alice", "x").IgnoreError();
  auth.SignInWithPassword("alice", "y").IgnoreError();
  // Third failure locked the id: even the right password waits.
  EXPECT_THAT(auth.SignInWithPassword("alice", "pw"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  now_ += 60001;
  EXPECT_THAT(auth.SignInWithPassword("alice", "pw"), IsOk());
}

TEST_F(AuthTest, LocalAccountsOff) {
  Authenticator auth = Make({.local_accounts = false});
  EXPECT_THAT(auth.SignInWithPassword("alice", "pw"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(AuthTest, StaffCertificateAndCookie) {
  Authenticator auth = Make({.staff_certificates = true});
  Request r;
  r.cert = {.present = true, .subject_cn = "Bob B", .issuer = "staff"};
  bool created = false;
  std::optional<Session> s = auth.SessionOf(r, &created);
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(created);
  EXPECT_EQ(s->staff.id, "bob");
  EXPECT_EQ(s->staff.method, "certificate");
  // The cookie then carries the session.
  Request again;
  again.headers["cookie"] = "x=1; " + std::string(kSessionCookie) + "=" + s->id;
  ASSERT_TRUE(auth.SessionOf(again, &created).has_value());
  EXPECT_FALSE(created);
  // A certificate of an unlisted CN, or not from the staff CA, signs no one in.
  r.cert.subject_cn = "Mallory";
  EXPECT_FALSE(auth.SessionOf(r, &created).has_value());
  r.cert = {.present = true, .subject_cn = "Bob B", .issuer = ""};
  EXPECT_FALSE(auth.SessionOf(r, &created).has_value());
  // Staff certificates off: nothing.
  Authenticator off = Make({});
  r.cert.issuer = "staff";
  EXPECT_FALSE(off.SessionOf(r, &created).has_value());
}

TEST_F(AuthTest, ProxyHeaderOnlyFromTheProxy) {
  Authenticator auth = Make({.proxy_cn = "sso-proxy", .proxy_header = "x-remote-user"});
  Request r;
  r.headers["x-remote-user"] = "alice";
  bool created = false;
  // Without the proxy's certificate the header is only a claim.
  EXPECT_FALSE(auth.SessionOf(r, &created).has_value());
  r.cert = {.present = true, .subject_cn = "sso-proxy", .issuer = "staff"};
  EXPECT_FALSE(auth.SessionOf(r, &created).has_value());
  r.cert = {.present = true, .subject_cn = "other", .issuer = "proxy"};
  EXPECT_FALSE(auth.SessionOf(r, &created).has_value());
  r.cert = {.present = true, .subject_cn = "sso-proxy", .issuer = "proxy"};
  std::optional<Session> s = auth.SessionOf(r, &created);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->staff.id, "alice");
  EXPECT_EQ(s->staff.method, "proxy");
  // The proxy names someone else on the same cookie: not alice's session.
  r.headers["cookie"] = std::string(kSessionCookie) + "=" + s->id;
  r.headers["x-remote-user"] = "bob";
  std::optional<Session> t = auth.SessionOf(r, &created);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->staff.id, "bob");
  r.headers["x-remote-user"] = "nobody";
  EXPECT_FALSE(auth.SessionOf(r, &created).has_value());
}

}  // namespace
}  // namespace ifed::console
