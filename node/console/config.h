// The console's configuration (ifed.v1.ConsoleConfig, proto/console.proto)
// and its staff file (ifed.v1.StaffFile), both YAML.
//
// LoadConsoleConfig fills defaults (listen 127.0.0.1:8443, idle 900 s,
// absolute 28800 s, admin_timeout_ms 30000, max_body_bytes 4 MiB,
// tls.proxy_header "X-Remote-User") and resolves relative paths against the
// file's directory. Errors are InvalidArgument, one line per problem,
// `FILE: field 'tls.cert': reason`.
#ifndef IFED_CONSOLE_CONFIG_H_
#define IFED_CONSOLE_CONFIG_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "node/console/sessions.h"
#include "proto/console.pb.h"

namespace ifed::console {

absl::StatusOr<ifed::v1::ConsoleConfig> LoadConsoleConfig(const std::string& path);
// Same from text; `path` names the file and its directory resolves paths.
absl::StatusOr<ifed::v1::ConsoleConfig> ParseConsoleConfig(std::string_view yaml,
                                                          const std::string& path);

// The role name of a StaffRole ("analyst", ..., "hub-operator").
std::string RoleName(ifed::v1::StaffRole role);

// The people who may sign in, by id and by certificate CN. Immutable once
// built; thread-safe.
class StaffDirectory {
 public:
  // Reads and checks a staff file: ids valid and unique, at least one role
  // each, password hashes well formed, certificate CNs unique.
  static absl::StatusOr<std::unique_ptr<StaffDirectory>> Load(const std::string& path);
  static absl::StatusOr<std::unique_ptr<StaffDirectory>> Parse(std::string_view yaml,
                                                               const std::string& path);

  // The member with this id, or nullptr.
  const ifed::v1::StaffMember* Find(const std::string& id) const;
  // The member whose certificate CN (cert_cn, or id when unset) is `cn`.
  const ifed::v1::StaffMember* FindByCn(const std::string& cn) const;
  // The console's view of a member (roles as names).
  static Staff ToStaff(const ifed::v1::StaffMember& m, std::string method);
  size_t size() const { return file_.staff_size(); }

 private:
  explicit StaffDirectory(ifed::v1::StaffFile file);
  ifed::v1::StaffFile file_;
  std::map<std::string, int> by_id_;
  std::map<std::string, int> by_cn_;
};

}  // namespace ifed::console

#endif  // IFED_CONSOLE_CONFIG_H_
