#include "node/console/router.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ifed::console {

bool MatchPattern(const std::string& pattern, const std::string& path,
                  std::map<std::string, std::string>* params) {
  std::vector<std::string> want = absl::StrSplit(pattern, '/');
  std::vector<std::string> got = absl::StrSplit(path, '/');
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "*" && i + 1 == want.size()) {
      std::vector<std::string> rest(got.begin() + std::min(i, got.size()), got.end());
      out["*"] = absl::StrJoin(rest, "/");
      *params = std::move(out);
      return i <= got.size();
    }
    if (i >= got.size()) return false;
    if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}') {
      if (got[i].empty()) return false;
      out[want[i].substr(1, want[i].size() - 2)] = got[i];
    } else if (want[i] != got[i]) {
      return false;
    }
  }
  if (got.size() != want.size()) return false;
  *params = std::move(out);
  return true;
}

void Router::Add(Route route) {
  for (Route& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern) {
      r = std::move(route);
      return;
    }
  }
  routes_.push_back(std::move(route));
}

bool Router::Has(const std::string& method, const std::string& pattern) const {
  for (const Route& r : routes_) {
    if (r.method == method && r.pattern == pattern) return true;
  }
  return false;
}

const Route* Router::Find(Request* request, bool* path_known) const {
  *path_known = false;
  const std::string method = request->method == "HEAD" ? "GET" : request->method;
  for (const Route& r : routes_) {
    std::map<std::string, std::string> params;
    if (!MatchPattern(r.pattern, request->path, &params)) continue;
    *path_known = true;
    if (r.method != method) continue;
    request->params = std::move(params);
    return &r;
  }
  return nullptr;
}

namespace {

bool ChangesState(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// The browser's Origin, when sent, must be this console's own.
bool SameOrigin(const Request& request) {
  const std::string origin = request.Header("origin");
  if (origin.empty()) return true;
  return origin == "https://" + request.Header("host");
}

}  // namespace

Response Router::Checked(const Route& route, const Request& request, std::string* staff_id) const {
  if (route.access == Access::kPublic || route.access == Access::kCustom) {
    if (route.access == Access::kPublic && ChangesState(request.method) && !SameOrigin(request)) {
      return Response::Error(403, "cross-origin request refused");
    }
    return route.handler(Call{request, nullptr});
  }
  bool created = false;
  std::optional<Session> session = auth_->SessionOf(request, &created);
  if (!session) {
    if (route.page) {
      Response r;
      r.status = 303;
      r.content_type = "text/plain";
      r.body = "sign in first";
      r.headers["location"] = "/signin";
      return r;
    }
    return Response::Error(401, "sign in first");
  }
  *staff_id = session->staff.id;
  if (!route.roles.empty()) {
    bool allowed = false;
    for (const std::string& role : route.roles) allowed = allowed || session->staff.Has(role);
    if (!allowed) {
      return Response::Error(
          403, "this needs the role " + absl::StrJoin(route.roles, " or "));
    }
  }
  if (ChangesState(request.method)) {
    if (!TokensEqual(request.Header("x-csrf-token"), session->csrf)) {
      return Response::Error(403, "missing or wrong CSRF token (reload the page)");
    }
    if (!SameOrigin(request)) return Response::Error(403, "cross-origin request refused");
  }
  Response r = route.handler(Call{request, &*session});
  if (created) r.headers["set-cookie"] = Authenticator::SessionCookie(session->id);
  return r;
}

Response Router::Dispatch(Request request) const {
  const auto start = std::chrono::steady_clock::now();
  bool path_known = false;
  const Route* route = Find(&request, &path_known);
  std::string staff_id;
  Response r;
  if (route == nullptr) {
    r = path_known ? Response::Error(405, "method not allowed") : Response::Error(404, "not found");
  } else {
    try {
      r = Checked(*route, request, &staff_id);
    } catch (const std::exception&) {
      // A handler bug must not take the console down or leak detail.
      r = Response::Error(500, "internal error");
      spdlog::error("console: handler for {} {} threw", request.method, route->pattern);
    }
  }
  AddSecurityHeaders(&r, route != nullptr && route->cacheable && r.status == 200);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  spdlog::info("http {} {} {} staff={} {}ms", request.method,
               route != nullptr ? route->pattern : std::string("-"), r.status,
               staff_id.empty() ? "-" : staff_id, ms);
  return r;
}

}  // namespace ifed::console
