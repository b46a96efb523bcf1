// The console's router: every route says who may call it, and the router
// enforces it before the handler runs, so handlers stay thin (parse, call a
// plain class, render). Other parts of the console (TAXII, operations
// pages) register their routes here too (routes.h).
//
// For a route with Access::kSignedIn the router
//   1. finds the session (cookie, or a verified certificate / proxy);
//      none: 401 for the API, a redirect to /signin for a page;
//   2. checks the route's roles (any one suffices): 403 otherwise;
//   3. on every method but GET/HEAD: requires the session's CSRF token in
//      the X-CSRF-Token header and, when the browser sends Origin, the
//      console's own origin: 403 otherwise;
// then calls the handler, adds the security headers (http.h) and logs one
// line per request: method, path (never the query string), status, staff
// id, duration. Thread-safe after the routes are added.
#ifndef IFED_CONSOLE_ROUTER_H_
#define IFED_CONSOLE_ROUTER_H_

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "node/console/auth.h"
#include "node/console/http.h"

namespace ifed::console {

enum class Access {
  kSignedIn,  // a session and one of the roles (or any role when empty).
  kPublic,    // anyone (sign-in page, static assets); no CSRF check.
  kCustom,    // the handler authenticates itself (e.g. TAXII's HTTP Basic).
};

struct Call {
  const Request& request;
  const Session* session = nullptr;  // set for kSignedIn routes.
  const Staff& staff() const { return session->staff; }
};

using Handler = std::function<Response(const Call&)>;

struct Route {
  std::string method;   // "GET", "POST", "DELETE", ...
  // "/api/watches/{id}": literal segments and {name} segments (one path
  // segment each, available in Request::params); a final "*" matches the
  // rest of the path (params["*"]).
  std::string pattern;
  Access access = Access::kSignedIn;
  std::set<std::string> roles;  // kSignedIn: any of these; empty = any signed-in person.
  bool page = false;            // HTML page: redirect to /signin when signed out.
  bool cacheable = false;       // static assets only: no case data.
  Handler handler;
};

class Router {
 public:
  explicit Router(Authenticator* auth) : auth_(auth) {}

  // Registers a route. A second route with the same method and pattern
  // replaces the first.
  void Add(Route route);

  // True when a route of `method` has exactly this pattern.
  bool Has(const std::string& method, const std::string& pattern) const;

  // Runs the request through the checks above and the matching handler
  // (404 when no route matches the path, 405 when none the method).
  Response Dispatch(Request request) const;

 private:
  const Route* Find(Request* request, bool* path_known) const;
  Response Checked(const Route& route, const Request& request, std::string* staff_id) const;

  Authenticator* const auth_;
  std::vector<Route> routes_;
};

// True when `pattern` matches `path`; fills `params`.
bool MatchPattern(const std::string& pattern, const std::string& path,
                  std::map<std::string, std::string>* params);

}  // namespace ifed::console

#endif  // IFED_CONSOLE_ROUTER_H_
