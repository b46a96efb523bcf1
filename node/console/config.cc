#include "node/console/config.h"

#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/admin/staff.h"
#include "node/config/node_config.h"
#include "node/config/yaml_proto.h"
#include "node/console/password.h"

namespace ifed::console {
namespace fs = std::filesystem;
namespace {

struct Problems {
  std::string file;
  std::vector<std::string> lines;
  void Add(absl::string_view field, absl::string_view why) {
    lines.push_back(absl::StrCat(file, ": field '", field, "': ", why));
  }
  absl::Status ToStatus() const {
    if (lines.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }
};

void Resolve(const fs::path& base, std::string* p) {
  if (p->empty()) return;
  fs::path path(*p);
  if (path.is_relative()) path = base / path;
  *p = path.lexically_normal().string();
}

void Defaults(ifed::v1::ConsoleConfig& c) {
  if (c.listen().empty()) c.set_listen("127.0.0.1:8443");
  if (c.session_idle_seconds() == 0) c.set_session_idle_seconds(900);
  if (c.session_absolute_seconds() == 0) c.set_session_absolute_seconds(28800);
  if (c.admin_timeout_ms() == 0) c.set_admin_timeout_ms(30000);
  if (c.max_body_bytes() == 0) c.set_max_body_bytes(4 << 20);
  if (c.tls().proxy_header().empty()) c.mutable_tls()->set_proxy_header("X-Remote-User");
  if (c.log_level().empty()) c.set_log_level("info");
}

absl::Status Check(const std::string& path, ifed::v1::ConsoleConfig& c) {
  Problems p{path, {}};
  Defaults(c);
  if (absl::Status s = CheckHostPort(c.listen()); !s.ok()) p.Add("listen", s.message());
  const fs::path base = fs::absolute(fs::path(path)).parent_path();
  struct PathField {
    absl::string_view name;
    std::string* value;
    bool required;
  };
  ifed::v1::ConsoleTlsConfig* tls = c.mutable_tls();
  const PathField fields[] = {
      {"admin_socket", c.mutable_admin_socket(), true},
      {"staff_file", c.mutable_staff_file(), true},
      {"tls.cert", tls->mutable_cert(), true},
      {"tls.key", tls->mutable_key(), true},
      {"tls.staff_ca", tls->mutable_staff_ca(), false},
      {"tls.proxy_ca", tls->mutable_proxy_ca(), false},
      {"web_dir", c.mutable_web_dir(), false},
      {"log_file", c.mutable_log_file(), false},
  };
  for (const PathField& f : fields) {
    if (f.required && f.value->empty()) {
      p.Add(f.name, "required");
      continue;
    }
    Resolve(base, f.value);
  }
  if (tls->proxy_ca().empty() != tls->proxy_cn().empty()) {
    p.Add("tls.proxy_ca", "proxy_ca and proxy_cn go together (the proxy's CA and its CN)");
  }
  if (c.session_idle_seconds() > c.session_absolute_seconds()) {
    p.Add("session_idle_seconds", "is longer than session_absolute_seconds");
  }
  static constexpr const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  c.set_log_level(absl::AsciiStrToLower(c.log_level()));
  if (std::find(std::begin(kLevels), std::end(kLevels), absl::string_view(c.log_level())) ==
      std::end(kLevels)) {
    p.Add("log_level", "is one of trace, debug, info, warn, error");
  }
  return p.ToStatus();
}

}  // namespace

absl::StatusOr<ifed::v1::ConsoleConfig> ParseConsoleConfig(std::string_view yaml,
                                                          const std::string& path) {
  ifed::v1::ConsoleConfig c;
  if (absl::Status s = YamlToProto(yaml, path, &c); !s.ok()) return s;
  if (absl::Status s = Check(path, c); !s.ok()) return s;
  return c;
}

absl::StatusOr<ifed::v1::ConsoleConfig> LoadConsoleConfig(const std::string& path) {
  ifed::v1::ConsoleConfig c;
  if (absl::Status s = LoadYamlFile(path, &c); !s.ok()) return s;
  if (absl::Status s = Check(path, c); !s.ok()) return s;
  return c;
}

std::string RoleName(ifed::v1::StaffRole role) {
  switch (role) {
    case ifed::v1::ANALYST: return "analyst";
    case ifed::v1::APPROVER: return "approver";
    case ifed::v1::ADMIN: return "admin";
    case ifed::v1::DPO: return "dpo";
    case ifed::v1::HUB_OPERATOR: return "hub-operator";
    default: return "";
  }
}

StaffDirectory::StaffDirectory(ifed::v1::StaffFile file) : file_(std::move(file)) {
  for (int i = 0; i < file_.staff_size(); ++i) {
    const auto& m = file_.staff(i);
    by_id_[m.id()] = i;
    by_cn_[m.cert_cn().empty() ? m.id() : m.cert_cn()] = i;
  }
}

absl::StatusOr<std::unique_ptr<StaffDirectory>> StaffDirectory::Parse(std::string_view yaml,
                                                                      const std::string& path) {
  ifed::v1::StaffFile f;
  if (absl::Status s = YamlToProto(yaml, path, &f); !s.ok()) return s;
  Problems p{path, {}};
  std::map<std::string, int> ids, cns;
  for (int i = 0; i < f.staff_size(); ++i) {
    const auto& m = f.staff(i);
    const std::string at = absl::StrCat("staff[", i, "]");
    if (!admin::IsValidStaffId(m.id())) {
      p.Add(at + ".id", "is not a staff id ([a-z0-9][a-z0-9._-]{0,63})");
    } else if (!ids.emplace(m.id(), i).second) {
      p.Add(at + ".id", absl::StrCat("duplicate of staff[", ids[m.id()], "]"));
    }
    if (m.roles_size() == 0) p.Add(at + ".roles", "at least one role");
    if (!m.password_hash().empty()) {
      if (absl::Status s = CheckHashFormat(m.password_hash()); !s.ok()) {
        p.Add(at + ".password_hash", s.message());
      }
    }
    const std::string cn = m.cert_cn().empty() ? m.id() : m.cert_cn();
    if (!cns.emplace(cn, i).second) {
      p.Add(at + ".cert_cn", absl::StrCat("same certificate CN as staff[", cns[cn], "]"));
    }
  }
  if (absl::Status s = p.ToStatus(); !s.ok()) return s;
  return std::unique_ptr<StaffDirectory>(new StaffDirectory(std::move(f)));
}

absl::StatusOr<std::unique_ptr<StaffDirectory>> StaffDirectory::Load(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(path, ": ", ec.message()));
  if (size > kMaxYamlBytes) return absl::InvalidArgumentError(absl::StrCat(path, ": too large"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot be read"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return Parse(text, path);
}

const ifed::v1::StaffMember* StaffDirectory::Find(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &file_.staff(it->second);
}

const ifed::v1::StaffMember* StaffDirectory::FindByCn(const std::string& cn) const {
  auto it = by_cn_.find(cn);
  return it == by_cn_.end() ? nullptr : &file_.staff(it->second);
}

Staff StaffDirectory::ToStaff(const ifed::v1::StaffMember& m, std::string method) {
  Staff s{.id = m.id(), .name = m.name().empty() ? m.id() : m.name(), .method = std::move(method)};
  for (int r : m.roles()) {
    std::string n = RoleName(static_cast<ifed::v1::StaffRole>(r));
    if (!n.empty()) s.roles.insert(n);
  }
  return s;
}

}  // namespace ifed::console
