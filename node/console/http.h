// The console's HTTP vocabulary, independent of the HTTP library: a
// request as the router sees it and the response a handler fills in. The
// HTTPS edge (server.h) converts cpp-httplib's types to and from these, so
// the router, sign-in and every handler are unit-tested without sockets.
#ifndef IFED_CONSOLE_HTTP_H_
#define IFED_CONSOLE_HTTP_H_

#include <map>
#include <set>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace ifed::console {

// Header names are compared case-insensitively; stored lower-case.
using Headers = std::map<std::string, std::string>;

// What the TLS layer verified about the client's certificate, if any.
struct PeerCertificate {
  bool present = false;
  std::string subject_cn;
  // Which configured CA it chains to: "staff", "proxy" or "" (none: the
  // handshake let it through only because client certificates are optional,
  // so it proves nothing).
  std::string issuer;
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string.
  std::map<std::string, std::string> query;  // decoded query parameters.
  Headers headers;     // lower-case names.
  std::string body;
  std::string remote;  // "ip:port", for logs.
  PeerCertificate cert;
  // Path parameters of the matched route ("{name}" segments), filled by the
  // router.
  std::map<std::string, std::string> params;

  // The header's value, or "" (name in any case).
  std::string Header(absl::string_view name) const;
  // The query parameter's value, or "".
  std::string Query(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;  // extra headers (lower-case names).

  // A JSON body {"error": message} with the HTTP status of `s`
  // (InvalidArgument 400, PermissionDenied 403, NotFound 404,
  // FailedPrecondition 409, Unauthenticated 401, ResourceExhausted 429,
  // Unavailable / DeadlineExceeded 503, others 500).
  static Response Error(const absl::Status& s);
  static Response Error(int status, absl::string_view message);
  static Response Json(std::string body, int status = 200);
};

// The HTTP status for an absl::Status code (as Response::Error).
int HttpStatusOf(absl::StatusCode code);

// The security headers every console response carries: a strict
// Content-Security-Policy (no inline script or style, no framing), nosniff,
// no referrer, HSTS, and Cache-Control: no-store unless `cacheable`.
void AddSecurityHeaders(Response* r, bool cacheable);

// The value of cookie `name` in a Cookie header, or "".
std::string CookieValue(absl::string_view cookie_header, absl::string_view name);

}  // namespace ifed::console

#endif  // IFED_CONSOLE_HTTP_H_
