#include "node/console/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node/console/password.h"

namespace ifed::console {
namespace {

using ::testing::HasSubstr;

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = *StaffDirectory::Parse(
        "staff:\n"
        "  - {id: ana, roles: [analyst], password_hash: '" +
            *HashPassword("pw", {.log2_n = 10}) + "'}\n"
            "  - {id: appr, roles: [approver], password_hash: '" +
            *HashPassword("pw", {.log2_n = 10}) + "'}\n",
        "/s.yaml");
    auth_ = std::make_unique<Authenticator>(AuthOptions{}, dir_.get(), &sessions_, clock_);
    router_ = std::make_unique<Router>(auth_.get());
    router_->Add({.method = "POST", .pattern = "/api/approve/{id}", .roles = {"approver"},
                  .handler = [this](const Call& c) {
                    ++changes_;
                    return Response::Json("{\"id\":\"" + c.request.params.at("id") + "\"}");
                  }});
    router_->Add({.method = "GET", .pattern = "/api/data", .handler = [](const Call& c) {
                    return Response::Json("{\"who\":\"" + c.staff().id + "\"}");
                  }});
    router_->Add({.method = "GET", .pattern = "/page", .page = true,
                  .handler = [](const Call&) { return Response::Json("{}"); }});
    router_->Add({.method = "GET", .pattern = "/static/*", .access = Access::kPublic,
                  .cacheable = true, .handler = [](const Call& c) {
                    return Response::Json(c.request.params.at("*"));
                  }});
    router_->Add({.method = "GET", .pattern = "/boom", .handler = [](const Call&) -> Response {
                    throw std::runtime_error("secret detail");
                  }});
  }

  Request As(const std::string& who, const std::string& method, const std::string& path,
             bool with_csrf = true) {
    Session s = *auth_->SignInWithPassword(who, "pw");
    Request r;
    r.method = method;
    r.path = path;
    r.headers["cookie"] = std::string(kSessionCookie) + "=" + s.id;
    r.headers["host"] = "127.0.0.1:8443";
    if (with_csrf) r.headers["x-csrf-token"] = s.csrf;
    return r;
  }

  int64_t now_ = 0;
  std::function<int64_t()> clock_ = [this] { return now_; };
  SessionStore sessions_{{}, [this] { return now_; }};
  std::unique_ptr<StaffDirectory> dir_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<Router> router_;
  int changes_ = 0;
};

TEST_F(RouterTest, RoleAndCsrfAllowTheChange) {
  Response r = router_->Dispatch(As("appr", "POST", "/api/approve/fu-1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"id\":\"fu-1\"}");
  EXPECT_EQ(changes_, 1);
}

TEST_F(RouterTest, WrongRoleIs403AndChangesNothing) {
  Response r = router_->Dispatch(As("ana", "POST", "/api/approve/fu-1"));
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(r.body, HasSubstr("approver"));
  EXPECT_EQ(changes_, 0);
}

TEST_F(RouterTest, MissingOrWrongCsrfIs403AndChangesNothing) {
  Response r = router_->Dispatch(As("appr", "POST", "/api/approve/fu-1", /*with_csrf=*/false));
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(r.body, HasSubstr("CSRF"));
  Request wrong = As("appr", "POST", "/api/approve/fu-1");
  wrong.headers["x-csrf-token"] = "forged";
  EXPECT_EQ(router_->Dispatch(wrong).status, 403);
  // Another session's token does not do either.
  Request other = As("appr", "POST", "/api/approve/fu-1");
  Request mine = As("appr", "POST", "/api/approve/fu-1");
  mine.headers["x-csrf-token"] = other.headers["x-csrf-token"];
  EXPECT_EQ(router_->Dispatch(mine).status, 403);
  EXPECT_EQ(changes_, 0);
}

TEST_F(RouterTest, CrossOriginChangeIsRefused) {
  Request r = As("appr", "POST", "/api/approve/fu-1");
  r.headers["origin"] = "https://evil.example";
  EXPECT_EQ(router_->Dispatch(r).status, 403);
  r.headers["origin"] = "https://127.0.0.1:8443";
  EXPECT_EQ(router_->Dispatch(r).status, 200);
}

TEST_F(RouterTest, SignedOutGets401OrARedirect) {
  Request r;
  r.method = "GET";
  r.path = "/api/data";
  EXPECT_EQ(router_->Dispatch(r).status, 401);
  r.headers["cookie"] = std::string(kSessionCookie) + "=made-up";
  EXPECT_EQ(router_->Dispatch(r).status, 401);
  r.path = "/page";
  Response page = router_->Dispatch(r);
  EXPECT_EQ(page.status, 303);
  EXPECT_EQ(page.headers["location"], "/signin");
  // A session that idled out is signed out.
  Request live = As("ana", "GET", "/api/data");
  EXPECT_EQ(router_->Dispatch(live).status, 200);
  now_ += 16 * 60 * 1000;
  EXPECT_EQ(router_->Dispatch(live).status, 401);
}

TEST_F(RouterTest, GetNeedsNoCsrfButASession) {
  Response r = router_->Dispatch(As("ana", "GET", "/api/data", /*with_csrf=*/false));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"who\":\"ana\"}");
}

TEST_F(RouterTest, SecurityHeadersOnEveryResponse) {
  for (const Request& r : {As("ana", "GET", "/api/data"), As("ana", "GET", "/nowhere"),
                           As("ana", "POST", "/api/data")}) {
    Response resp = router_->Dispatch(r);
    EXPECT_THAT(resp.headers["content-security-policy"],
                ::testing::AllOf(HasSubstr("default-src 'self'"), HasSubstr("frame-ancestors 'none'"),
                                 ::testing::Not(HasSubstr("unsafe-inline"))));
    EXPECT_EQ(resp.headers["cache-control"], "no-store");
    EXPECT_EQ(resp.headers["x-content-type-options"], "nosniff");
  }
  Request asset;
  asset.method = "GET";
  asset.path = "/static/app.js";
  Response a = router_->Dispatch(asset);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "app.js");
  EXPECT_THAT(a.headers["cache-control"], HasSubstr("max-age"));
}

TEST_F(RouterTest, NotFoundMethodAndHandlerFailure) {
  EXPECT_EQ(router_->Dispatch(As("ana", "GET", "/nowhere")).status, 404);
  EXPECT_EQ(router_->Dispatch(As("ana", "DELETE", "/api/data")).status, 405);
  Response boom = router_->Dispatch(As("ana", "GET", "/boom"));
  EXPECT_EQ(boom.status, 500);
  EXPECT_THAT(boom.body, ::testing::Not(HasSubstr("secret")));
}

TEST(PatternTest, Matches) {
  std::map<std::string, std::string> p;
  EXPECT_TRUE(MatchPattern("/a/{x}/c", "/a/b/c", &p));
  EXPECT_EQ(p["x"], "b");
  EXPECT_FALSE(MatchPattern("/a/{x}/c", "/a//c", &p));
  EXPECT_FALSE(MatchPattern("/a/{x}", "/a/b/c", &p));
  EXPECT_TRUE(MatchPattern("/s/*", "/s/x/y.js", &p));
  EXPECT_EQ(p["*"], "x/y.js");
  EXPECT_FALSE(MatchPattern("/s/*", "/t/x", &p));
  EXPECT_TRUE(MatchPattern("/", "/", &p));
  EXPECT_FALSE(MatchPattern("/", "/x", &p));
}

}  // namespace
}  // namespace ifed::console
