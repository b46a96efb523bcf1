// The console over real HTTPS (port 0 on 127.0.0.1) in front of a fake
// node: sign-in by password and by staff certificate, the API's refusals
// (403 for a role, 403 without the CSRF token, 400 for bad input, each
// leaving the node unasked) and the security headers as a browser sees them.
#include "node/console/server.h"

#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "node/common/status_matchers.h"
#include "node/console/fake_admin_test_util.h"
#include "node/console/password.h"
#include "node/console/routes.h"

namespace ifed::console {
namespace {

namespace fs = std::filesystem;
using ::ifed::testing::IsOk;
using ::testing::HasSubstr;
using nlohmann::json;

void Shell(const std::string& cmd) {
  ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
}

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("console_server_test_" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    const std::string d = dir_->string();
    const char* src = std::getenv("IFED_SOURCE_DIR");
    ASSERT_NE(src, nullptr) << "IFED_SOURCE_DIR is not set";
    const std::string certs = std::string(src) + "/certs/make-certs.sh";
    // The agency's web CA issues the console's certificate and staff
    // certificates; an unrelated CA issues one with the same CN.
    Shell(certs + " ca " + d + "/ca ifed-test.local --name 'staff CA'");
    Shell(certs + " web " + d + " console --ca-dir " + d + "/ca");
    Shell(certs + " web " + d + " 'Bob B' --client --ca-dir " + d + "/ca");
    Shell(certs + " ca " + d + "/evil ifed-test.local --name 'staff CA'");
    Shell(certs + " web " + d + "/evil-out 'Bob B' --client --ca-dir " + d + "/evil");
    Write(*dir_ / "web/signin.html", "<!doctype html><title>sign in</title>");
    Write(*dir_ / "web/analyst.html", "<!doctype html><title>analyst</title>");
    Write(*dir_ / "web/static/console.css", "body{}");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override {
    const std::string d = dir_->string();
    config_.set_listen("127.0.0.1:0");
    config_.mutable_tls()->set_cert(d + "/console.pem");
    config_.mutable_tls()->set_key(d + "/console.key");
    config_.mutable_tls()->set_staff_ca(d + "/ca/ca.pem");
    config_.set_max_body_bytes(1 << 20);
    const std::string hash = *HashPassword("pw", {.log2_n = 10});
    staff_ = *StaffDirectory::Parse("staff:\n"
                                    "  - {id: ana, roles: [analyst], password_hash: '" + hash + "'}\n"
                                    "  - {id: appr, roles: [approver], password_hash: '" + hash +
                                        "'}\n"
                                        "  - {id: bob, roles: [approver], cert_cn: Bob B}\n",
                                    "/s.yaml");
    auth_ = std::make_unique<Authenticator>(AuthOptions{.staff_certificates = true}, staff_.get(),
                                            &sessions_, Now);
    router_ = std::make_unique<Router>(auth_.get());
    RegisterAll(*router_, {.config = &config_, .admin = node_.client.get(), .staff = staff_.get(),
                           .auth = auth_.get(), .now_ms = Now, .web_dir = d + "/web"});
    absl::StatusOr<std::unique_ptr<HttpsServer>> s = HttpsServer::Start(config_, router_.get());
    ASSERT_THAT(s, IsOk());
    server_ = std::move(*s);
  }

  static int64_t Now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  std::unique_ptr<httplib::SSLClient> Client(const std::string& cert = "",
                                             const std::string& key = "") {
    auto c = cert.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port())
                          : std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port(),
                                                                 cert, key);
    c->set_ca_cert_path((*dir_ / "ca/ca.pem").c_str());
    c->enable_server_certificate_verification(true);
    return c;
  }

  // Signs in with a password: the cookie header and the CSRF token.
  std::pair<httplib::Headers, std::string> SignIn(httplib::SSLClient& c, const std::string& id) {
    auto r = c.Post("/api/signin", json{{"id", id}, {"password", "pw"}}.dump(), "application/json");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 200);
    const std::string cookie = r->get_header_value("Set-Cookie");
    EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
    EXPECT_THAT(cookie, HasSubstr("Secure"));
    EXPECT_THAT(cookie, HasSubstr("SameSite=Strict"));
    httplib::Headers h = {{"Cookie", cookie.substr(0, cookie.find(';'))}};
    auto me = c.Get("/api/me", h);
    EXPECT_TRUE(me);
    if (!me) return {};
    return {h, json::parse(me->body)["csrf"].get<std::string>()};
  }

  static fs::path* dir_;
  ifed::v1::ConsoleConfig config_;
  FakeNode node_;
  SessionStore sessions_{{}, Now};
  std::unique_ptr<StaffDirectory> staff_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpsServer> server_;
};
fs::path* ServerTest::dir_ = nullptr;

TEST_F(ServerTest, SignInPageAndHeadersOverTls) {
  auto c = Client();
  auto r = c->Get("/signin");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Content-Security-Policy"), HasSubstr("script-src 'self'"));
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");
  auto page = c->Get("/analyst");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(page->get_header_value("Location"), "/signin");
  EXPECT_EQ(c->Get("/api/me")->status, 401);
  auto wrong = c->Post("/api/signin", R"({"id":"ana","password":"no"})", "application/json");
  EXPECT_EQ(wrong->status, 401);
  EXPECT_THAT(wrong->body, HasSubstr("wrong password"));
  EXPECT_EQ(c->Post("/api/signin", "not json", "application/json")->status, 400);
}

TEST_F(ServerTest, AnalystMatchesWithCsrfAndTheNodeSeesThePerson) {
  auto c = Client();
  auto [h, csrf] = SignIn(*c, "ana");
  node_.admin.match_response.set_request_id("req-9");
  json form = {{"target", "all"}, {"case", "C-1"}, {"type", "phone"}, {"text", "+4915111"}};
  httplib::Headers with = h;
  with.emplace("X-CSRF-Token", csrf);
  auto r = c->Post("/api/match", with, form.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["request_id"], "req-9");
  EXPECT_EQ(node_.admin.staff, "ana");
  EXPECT_EQ(node_.admin.match_request.items(0).value(), "+4915111");
}

TEST_F(ServerTest, RefusalsLeaveTheNodeUnasked) {
  auto c = Client();
  auto [h, csrf] = SignIn(*c, "ana");
  httplib::Headers with = h;
  with.emplace("X-CSRF-Token", csrf);
  json form = {{"target", "all"}, {"case", "C-1"}, {"type", "phone"}, {"text", "+4915111"}};
  // No CSRF token: 403.
  auto no_csrf = c->Post("/api/match", h, form.dump(), "application/json");
  EXPECT_EQ(no_csrf->status, 403);
  EXPECT_THAT(no_csrf->body, HasSubstr("CSRF"));
  // An analyst may not decide follow-ups: 403.
  auto role = c->Post("/api/queue/decide", with,
                      json{{"id", "fu-1"}, {"decision", "approve"}, {"reply", "x"}}.dump(),
                      "application/json");
  EXPECT_EQ(role->status, 403);
  EXPECT_THAT(role->body, HasSubstr("approver"));
  // Bad input: 400 with the reason.
  form["type"] = "fax";
  auto bad = c->Post("/api/match", with, form.dump(), "application/json");
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(json::parse(bad->body)["error"].get<std::string>(), HasSubstr("type must be"));
  EXPECT_EQ(c->Post("/api/match", with, "[1,2]", "application/json")->status, 400);
  EXPECT_EQ(node_.admin.calls, 0);
  // Signed out, the token is worthless.
  EXPECT_EQ(c->Post("/api/signout", with, "{}", "application/json")->status, 200);
  form["type"] = "phone";
  EXPECT_EQ(c->Post("/api/match", with, form.dump(), "application/json")->status, 401);
  EXPECT_EQ(node_.admin.calls, 0);
}

TEST_F(ServerTest, ApproverDecidesAndAnalystPagesAreClosedToThem) {
  auto c = Client();
  auto [h, csrf] = SignIn(*c, "appr");
  node_.admin.followups_response.add_entries()->set_followup_id("fu-1");
  httplib::Headers with = h;
  with.emplace("X-CSRF-Token", csrf);
  auto r = c->Post("/api/queue/decide", with,
                   json{{"id", "fu-1"}, {"decision", "deny"}, {"reason", "no"}}.dump(),
                   "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(node_.admin.followups_request.action(), "deny");
  EXPECT_EQ(node_.admin.staff, "appr");
  EXPECT_EQ(c->Get("/analyst", h)->status, 403);
  EXPECT_EQ(c->Get("/api/alerts", h)->status, 403);
}

TEST_F(ServerTest, StaffCertificateSignsIn) {
  auto c = Client((*dir_ / "Bob_B.pem").string(), (*dir_ / "Bob_B.key").string());
  auto me = c->Get("/api/me");
  ASSERT_TRUE(me) << httplib::to_string(me.error());
  EXPECT_EQ(me->status, 200);
  EXPECT_EQ(json::parse(me->body)["id"], "bob");
  EXPECT_EQ(json::parse(me->body)["method"], "certificate");
  EXPECT_THAT(me->get_header_value("Set-Cookie"), HasSubstr("__Host-ifed_session="));
}

TEST_F(ServerTest, CertificateOfAnotherCaIsRefused) {
  auto c = Client((*dir_ / "evil-out/Bob_B.pem").string(), (*dir_ / "evil-out/Bob_B.key").string());
  auto me = c->Get("/api/me");
  // The handshake fails, or (depending on the TLS version) the request is
  // refused: either way no session.
  EXPECT_TRUE(!me || me->status == 401);
}

TEST_F(ServerTest, StaticAssetsArePublicAndCacheable) {
  auto c = Client();
  auto r = c->Get("/static/console.css");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/css"));
  EXPECT_EQ(c->Get("/static/../web/signin.html")->status, 404);
  EXPECT_EQ(c->Get("/static/missing.js")->status, 404);
}

TEST(ServerStartTest, BadCertificateIsAClearError) {
  ifed::v1::ConsoleConfig c;
  c.set_listen("127.0.0.1:0");
  c.mutable_tls()->set_cert("/nonexistent/cert.pem");
  c.mutable_tls()->set_key("/nonexistent/key.pem");
  Router router(nullptr);
  EXPECT_THAT(HttpsServer::Start(c, &router),
              ifed::testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cert.pem")));
}

}  // namespace
}  // namespace ifed::console
