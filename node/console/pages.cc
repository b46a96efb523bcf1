// The analyst and approver pages and their JSON API: thin handlers that
// parse, call Analyst / Approver, and render (status codes as http.h).
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "node/console/analyst.h"
#include "node/console/approver.h"
#include "node/console/routes.h"

namespace ifed::console {
using nlohmann::json;

namespace {

// A handler taking the request's JSON body (400 when it is not a JSON
// object) and returning JSON or a status.
Handler JsonBody(std::function<absl::StatusOr<json>(const Call&, const json&)> fn) {
  return [fn = std::move(fn)](const Call& call) {
    json body = json::parse(call.request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Response::Error(400, "send a JSON object");
    }
    absl::StatusOr<json> out = fn(call, body);
    if (!out.ok()) return Response::Error(out.status());
    return Response::Json(out->dump(-1, ' ', false, json::error_handler_t::replace));
  };
}

Handler NoBody(std::function<absl::StatusOr<json>(const Call&)> fn) {
  return [fn = std::move(fn)](const Call& call) {
    absl::StatusOr<json> out = fn(call);
    if (!out.ok()) return Response::Error(out.status());
    return Response::Json(out->dump(-1, ' ', false, json::error_handler_t::replace));
  };
}

Response Download(const absl::StatusOr<std::string>& body, const std::string& type,
                  const std::string& file) {
  if (!body.ok()) return Response::Error(body.status());
  Response r;
  r.content_type = type;
  r.body = *body;
  r.headers["content-disposition"] = "attachment; filename=\"" + file + "\"";
  return r;
}

}  // namespace

void RegisterAnalystRoutes(Router& router, const ConsoleDeps& deps) {
  auto analyst = std::make_shared<Analyst>(deps.admin, deps.now_ms);
  const std::set<std::string> roles = {"analyst"};
  router.Add(PageRoute("/analyst", "analyst.html", roles, deps));
  auto add = [&](const char* method, const char* path, Handler h) {
    router.Add({.method = method, .pattern = path, .roles = roles, .handler = std::move(h)});
  };
  add("GET", "/api/peers", NoBody([analyst](const Call& c) { return analyst->Peers(c.staff()); }));
  add("POST", "/api/match", JsonBody([analyst](const Call& c, const json& b) {
        return analyst->Match(c.staff(), b);
      }));
  add("POST", "/api/match/export", [now = deps.now_ms](const Call& c) {
    json body = json::parse(c.request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return Response::Error(400, "send a JSON object");
    const std::string format = body.value("format", "");
    const json rows = body.value("rows", json());
    if (format == "csv") return Download(Analyst::ExportCsv(rows), "text/csv", "ifed-match.csv");
    if (format == "stix") {
      return Download(Analyst::ExportStix(rows, now()), "application/stix+json;version=2.1",
                      "ifed-match.stix.json");
    }
    return Response::Error(400, "format is csv or stix");
  });
  add("POST", "/api/trace", JsonBody([analyst](const Call& c, const json& b) {
        return analyst->Trace(c.staff(), b);
      }));
  add("POST", "/api/followups", JsonBody([analyst](const Call& c, const json& b) {
        return analyst->RequestFollowUp(c.staff(), b);
      }));
  add("GET", "/api/followups", NoBody([analyst](const Call& c) {
        return analyst->FollowUpStatus(c.staff());
      }));
  add("GET", "/api/watches", NoBody([analyst](const Call& c) {
        return analyst->ListWatches(c.staff());
      }));
  add("POST", "/api/watches", JsonBody([analyst](const Call& c, const json& b) {
        return analyst->AddWatch(c.staff(), b);
      }));
  add("POST", "/api/watches/remove", JsonBody([analyst](const Call& c, const json& b) {
        return analyst->RemoveWatch(c.staff(), b);
      }));
  add("GET", "/api/alerts", NoBody([analyst](const Call& c) -> absl::StatusOr<json> {
        int64_t since = 0;
        const std::string s = c.request.Query("since");
        if (!s.empty() && !absl::SimpleAtoi(s, &since)) {
          return absl::InvalidArgumentError("since: unix milliseconds");
        }
        return analyst->Alerts(c.staff(), since);
      }));
}

void RegisterApproverRoutes(Router& router, const ConsoleDeps& deps) {
  auto approver = std::make_shared<Approver>(deps.admin, deps.now_ms);
  const std::set<std::string> roles = {"approver"};
  router.Add(PageRoute("/approver", "approver.html", roles, deps));
  router.Add({.method = "GET", .pattern = "/api/queue", .roles = roles,
              .handler = NoBody([approver](const Call& c) { return approver->Queue(c.staff()); })});
  router.Add({.method = "POST", .pattern = "/api/queue/decide", .roles = roles,
              .handler = JsonBody([approver](const Call& c, const json& b) {
                return approver->Decide(c.staff(), b);
              })});
}

}  // namespace ifed::console
