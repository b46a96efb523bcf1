#include "node/console/http.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ifed::console {

std::string Request::Header(absl::string_view name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? "" : it->second;
}

std::string Request::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded: return 503;
    default: return 500;
  }
}

Response Response::Error(const absl::Status& s) {
  return Error(HttpStatusOf(s.code()), s.message());
}

Response Response::Error(int status, absl::string_view message) {
  Response r;
  r.status = status;
  // nlohmann escapes; invalid UTF-8 in a message is replaced, never thrown.
  r.body = nlohmann::json{{"error", std::string(message)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::Json(std::string body, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

void AddSecurityHeaders(Response* r, bool cacheable) {
  r->headers["content-security-policy"] =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
      "form-action 'self'; frame-ancestors 'none'";
  r->headers["x-content-type-options"] = "nosniff";
  r->headers["x-frame-options"] = "DENY";
  r->headers["referrer-policy"] = "no-referrer";
  r->headers["cross-origin-opener-policy"] = "same-origin";
  r->headers["cross-origin-resource-policy"] = "same-origin";
  r->headers["permissions-policy"] = "camera=(), microphone=(), geolocation=()";
  r->headers["strict-transport-security"] = "max-age=31536000";
  if (cacheable) {
    r->headers["cache-control"] = "private, max-age=300";
  } else {
    r->headers["cache-control"] = "no-store";
    r->headers["pragma"] = "no-cache";
  }
}

std::string CookieValue(absl::string_view cookie_header, absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(cookie_header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return "";
}

}  // namespace ifed::console
