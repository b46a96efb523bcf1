#include "node/admin/staff.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ifed::admin {
namespace {

bool IsRole(absl::string_view r) {
  return std::find(std::begin(kRoleNames), std::end(kRoleNames), r) != std::end(kRoleNames);
}

}  // namespace

bool IsValidStaffId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  auto lower_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_digit(id[0])) return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return lower_digit(c) || c == '.' || c == '_' || c == '-'; });
}

absl::StatusOr<Caller> ResolveCaller(const std::string& process_actor, long uid,
                                     const std::vector<uint32_t>& console_uids,
                                     const std::string* staff, const std::string* roles) {
  Caller c;
  c.actor = process_actor;
  if (staff == nullptr && roles == nullptr) return c;
  const bool console =
      uid >= 0 && std::find(console_uids.begin(), console_uids.end(),
                            static_cast<uint32_t>(uid)) != console_uids.end();
  if (!console) {
    return absl::PermissionDeniedError(absl::StrCat(
        "a staff identity is accepted only from a console (config console_uids); this "
        "connection is ", process_actor));
  }
  if (staff == nullptr || !IsValidStaffId(*staff)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kStaffHeader, ": missing or not a staff id ([a-z0-9][a-z0-9._-]{0,63})"));
  }
  if (roles == nullptr || roles->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kStaffRolesHeader, ": missing"));
  }
  for (absl::string_view r : absl::StrSplit(*roles, ',')) {
    const std::string role(absl::StripAsciiWhitespace(r));
    if (!IsRole(role)) {
      return absl::InvalidArgumentError(
          absl::StrCat(kStaffRolesHeader, ": unknown role (one of ",
                       absl::StrJoin(kRoleNames, ", "), ")"));
    }
    c.roles.insert(role);
  }
  c.staff_id = *staff;
  c.actor = absl::StrCat("staff:", *staff, " via ", process_actor);
  return c;
}

std::set<std::string> RolesFor(absl::string_view method, absl::string_view action) {
  // Staff roles per admin call. Calls not listed are for the node's
  // operator (ifedctl) only.
  static const auto* table = new std::map<std::string, std::set<std::string>, std::less<>>{
      {"Normalize", {"analyst", "approver", "admin", "dpo", "hub-operator"}},
      {"Stats", {"analyst", "approver", "admin", "dpo", "hub-operator"}},
      {"Peers", {"analyst", "approver", "admin", "hub-operator"}},
      {"Match", {"analyst"}},
      {"Ingest", {"analyst", "admin"}},
      {"RecordsShow", {"analyst", "dpo"}},
      {"Hold", {"analyst"}},
      {"Deconflict", {"analyst"}},
      {"HitsExport", {"analyst"}},
      {"FiltersSync", {"analyst", "admin"}},
      {"PolicyExplain", {"analyst", "admin", "dpo"}},
      {"PolicyReload", {"admin"}},
      {"PolicyDiff", {"admin"}},
      {"AuditExport", {"admin", "dpo"}},
      {"HubStats", {"hub-operator", "admin"}},
      {"Erase", {"admin", "dpo"}},
      {"Sweep", {"admin"}},
      {"Backup", {"admin"}},
      {"Keys", {"admin"}},
  };
  if (method == "FollowUps") {
    if (action == "approve" || action == "deny") return {"approver"};
    if (action == "request") return {"analyst"};
    return {"analyst", "approver"};  // status, list
  }
  if (method == "Watches") {
    if (action == "inbound") return {"analyst", "admin", "dpo"};
    return {"analyst"};
  }
  auto it = table->find(method);
  return it == table->end() ? std::set<std::string>{} : it->second;
}

absl::Status CheckRole(const Caller& caller, absl::string_view method, absl::string_view action) {
  if (!caller.staff()) return absl::OkStatus();
  const std::set<std::string> allowed = RolesFor(method, action);
  for (const std::string& r : caller.roles) {
    if (allowed.count(r) != 0) return absl::OkStatus();
  }
  std::string what = std::string(method);
  if (!action.empty()) absl::StrAppend(&what, " ", action);
  if (allowed.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, " is not open to staff through the console"));
  }
  return absl::PermissionDeniedError(absl::StrCat(
      what, " needs the role ", absl::StrJoin(allowed, " or "), "; staff:", caller.staff_id,
      " has ", caller.roles.empty() ? "none" : absl::StrJoin(caller.roles, ", ")));
}

}  // namespace ifed::admin
