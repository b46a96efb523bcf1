#include "node/console/routes.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ifed::console {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Each role's own page, in the order a person with several roles lands.
const std::pair<const char*, const char*> kLandingPages[] = {
    {"analyst", "/analyst"}, {"approver", "/approver"}, {"admin", "/admin"},
    {"dpo", "/dpo"},         {"hub-operator", "/hub"}};

std::string ContentType(const std::string& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},               {".png", "image/png"},
      {".json", "application/json"},           {".ico", "image/x-icon"},
      {".map", "application/json"}};
  for (const auto& [ext, type] : kTypes) {
    if (absl::EndsWith(path, ext)) return type;
  }
  return "application/octet-stream";
}

bool SafeRelative(const std::string& p) {
  if (p.empty() || p.front() == '/' || absl::StrContains(p, "..")) return false;
  for (char c : p) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
          c == '-' || c == '/')) {
      return false;
    }
  }
  return true;
}

}  // namespace

Response ServeFile(const std::string& dir, const std::string& relative) {
  if (!SafeRelative(relative)) return Response::Error(404, "not found");
  const fs::path path = fs::path(dir) / relative;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Response::Error(404, "not found");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Response::Error(404, "not found");
  Response r;
  r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  r.content_type = ContentType(relative);
  return r;
}

Route PageRoute(const std::string& path, const std::string& file, std::set<std::string> roles,
                const ConsoleDeps& deps) {
  return Route{.method = "GET",
               .pattern = path,
               .access = Access::kSignedIn,
               .roles = std::move(roles),
               .page = true,
               .handler = [dir = deps.web_dir, file](const Call&) { return ServeFile(dir, file); }};
}

void RegisterAuthRoutes(Router& router, const ConsoleDeps& deps) {
  router.Add({.method = "GET", .pattern = "/signin", .access = Access::kPublic,
              .handler = [dir = deps.web_dir](const Call&) {
                return ServeFile(dir, "signin.html");
              }});
  router.Add({.method = "POST", .pattern = "/api/signin", .access = Access::kPublic,
              .handler = [auth = deps.auth](const Call& call) {
                json body = json::parse(call.request.body, nullptr, false);
                if (!body.is_object() || !body.value("id", json()).is_string() ||
                    !body.value("password", json()).is_string()) {
                  return Response::Error(400, "send {\"id\": ..., \"password\": ...}");
                }
                absl::StatusOr<Session> s = auth->SignInWithPassword(
                    body["id"].get<std::string>(), body["password"].get<std::string>());
                if (!s.ok()) return Response::Error(s.status());
                Response r = Response::Json(json{{"id", s->staff.id}}.dump());
                r.headers["set-cookie"] = Authenticator::SessionCookie(s->id);
                return r;
              }});
  router.Add({.method = "POST", .pattern = "/api/signout",
              .handler = [auth = deps.auth](const Call& call) {
                auth->SignOut(call.session->id);
                Response r = Response::Json("{}");
                r.headers["set-cookie"] = Authenticator::ClearedCookie();
                return r;
              }});
  router.Add({.method = "GET", .pattern = "/api/me",
              .handler = [title = deps.config ? deps.config->title() : std::string()](
                             const Call& call) {
                const Staff& s = call.staff();
                return Response::Json(json{{"id", s.id},
                                           {"name", s.name},
                                           {"roles", s.roles},
                                           {"method", s.method},
                                           {"csrf", call.session->csrf},
                                           {"title", title}}
                                          .dump());
              }});
}

void RegisterStaticRoutes(Router& router, const ConsoleDeps& deps) {
  router.Add({.method = "GET", .pattern = "/static/*", .access = Access::kPublic,
              .cacheable = true,
              .handler = [dir = deps.web_dir](const Call& call) {
                return ServeFile(dir + "/static", call.request.params.at("*"));
              }});
  // The landing page: each person's first page by role (among the pages
  // registered), else /home, which lists their pages.
  router.Add({.method = "GET", .pattern = "/", .page = true,
              .handler = [&router](const Call& call) {
                const Staff& s = call.staff();
                std::string to = "/home";
                for (const auto& [role, page] : kLandingPages) {
                  if (s.Has(role) && router.Has("GET", page)) {
                    to = page;
                    break;
                  }
                }
                Response r;
                r.status = 303;
                r.content_type = "text/plain";
                r.headers["location"] = to;
                return r;
              }});
  router.Add(PageRoute("/home", "home.html", {}, deps));
}

void RegisterAll(Router& router, const ConsoleDeps& deps) {
  RegisterAuthRoutes(router, deps);
  RegisterStaticRoutes(router, deps);
  RegisterAnalystRoutes(router, deps);
  RegisterApproverRoutes(router, deps);
}

}  // namespace ifed::console
