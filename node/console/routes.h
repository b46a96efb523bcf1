// Everything the console serves, registered on one Router. Each part of the
// console has a Register* function here; helpers that add pages or APIs
// (TAXII, operations) add theirs to RegisterAll.
#ifndef IFED_CONSOLE_ROUTES_H_
#define IFED_CONSOLE_ROUTES_H_

#include <functional>
#include <string>

#include "node/console/admin_client.h"
#include "node/console/auth.h"
#include "node/console/config.h"
#include "node/console/router.h"
#include "proto/console.pb.h"

namespace ifed::console {

// What route handlers may use. All pointers outlive the router.
struct ConsoleDeps {
  const ifed::v1::ConsoleConfig* config = nullptr;
  AdminClient* admin = nullptr;
  const StaffDirectory* staff = nullptr;
  Authenticator* auth = nullptr;
  std::function<int64_t()> now_ms;  // unix milliseconds.
  std::string web_dir;              // static assets and page templates.
};

// Sign-in page and API: GET /signin, POST /api/signin {"id","password"},
// POST /api/signout, GET /api/me {"id","name","roles","csrf","title"}.
void RegisterAuthRoutes(Router& router, const ConsoleDeps& deps);
// Static assets (GET /static/*, cacheable, public) and the HTML pages
// (GET / sends each person to their first page).
void RegisterStaticRoutes(Router& router, const ConsoleDeps& deps);
// (analyst.h) the analyst page and API.
void RegisterAnalystRoutes(Router& router, const ConsoleDeps& deps);
// (approver.h) the approver page and API.
void RegisterApproverRoutes(Router& router, const ConsoleDeps& deps);

// All of the above.
void RegisterAll(Router& router, const ConsoleDeps& deps);

// A page of the console: the HTML file `name` of web_dir, for signed-in
// staff with one of `roles` (any when empty).
Route PageRoute(const std::string& path, const std::string& file, std::set<std::string> roles,
                const ConsoleDeps& deps);

// The file `relative` under `dir` (no "..", only [A-Za-z0-9._/-]) with a
// content type from its extension; 404 when absent.
Response ServeFile(const std::string& dir, const std::string& relative);

}  // namespace ifed::console

#endif  // IFED_CONSOLE_ROUTES_H_
