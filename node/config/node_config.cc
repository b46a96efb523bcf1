#include "node/config/node_config.h"

#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/common/status_macros.h"
#include "node/config/yaml_proto.h"

namespace ifed {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kDefaultRetentionDays = 365;
constexpr uint32_t kDefaultPeerTimeoutMs = 5000;
constexpr std::string_view kDefaultLogLevel = "info";
// sizeof(sockaddr_un::sun_path) - 1 on Linux.
constexpr size_t kMaxUnixSocketPath = 107;

absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool HasControlChar(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  }
  return false;
}

// Collects every problem of one file, each with the line of its field.
class Problems {
 public:
  Problems(std::string_view file, const FieldLines& lines)
      : file_(file), lines_(lines) {}

  void Add(std::string_view field, std::string_view reason) {
    const auto it = lines_.find(field);
    if (it == lines_.end()) {
      list_.push_back(absl::StrCat(AV(file_), ": field '", AV(field), "': ",
                                   AV(reason)));
    } else {
      list_.push_back(absl::StrCat(AV(file_), ":", it->second, ": field '",
                                   AV(field), "': ", AV(reason)));
    }
  }
  bool Present(std::string_view field) const {
    return lines_.find(field) != lines_.end();
  }
  absl::Status ToStatus() const {
    if (list_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(list_, "\n"));
  }

 private:
  std::string_view file_;
  const FieldLines& lines_;
  std::vector<std::string> list_;
};

// A required string: absent -> "required", written but empty -> "empty".
bool Required(Problems& p, std::string_view field, const std::string& value) {
  if (!value.empty()) return true;
  p.Add(field, p.Present(field) ? "must not be empty" : "required");
  return false;
}

// Makes `*value` absolute against `base` (the config file's directory).
void ResolvePath(Problems& p, std::string_view field, const fs::path& base,
                 std::string* value) {
  if (value->empty()) return;
  if (HasControlChar(*value)) {
    p.Add(field, "path contains a control character");
    return;
  }
  fs::path path(*value);
  if (path.is_relative()) path = base / path;
  *value = path.lexically_normal().string();
}

void CheckNodeId(Problems& p, std::string_view field, const std::string& id) {
  if (!Required(p, field, id)) return;
  if (!IsValidNodeId(id)) {
    p.Add(field, absl::StrCat("'", id,
                              "' is not a valid node id (1-63 of a-z, 0-9, "
                              "'-', not starting with '-')"));
  }
}

void CheckAddress(Problems& p, std::string_view field,
                  const std::string& value) {
  if (!Required(p, field, value)) return;
  if (absl::Status s = CheckHostPort(value); !s.ok()) {
    p.Add(field, std::string(s.message()));
  }
}

void CheckIdentity(Problems& p, const v1::NodeConfig& c) {
  CheckNodeId(p, "node_id", c.node_id());
  if (Required(p, "federation", c.federation()) &&
      !IsValidTrustDomain(c.federation())) {
    p.Add("federation", absl::StrCat("'", c.federation(),
                                     "' is not a valid trust domain (a "
                                     "lower-case DNS name, e.g. "
                                     "eu-fed.example)"));
  }
  const std::string& j = c.jurisdiction();
  if (Required(p, "jurisdiction", j) &&
      !(j.size() == 2 && absl::ascii_isupper(j[0]) &&
        absl::ascii_isupper(j[1]))) {
    p.Add("jurisdiction",
          absl::StrCat("'", j,
                       "' is not two upper-case letters (ISO 3166-1 alpha-2, "
                       "e.g. DE)"));
  }
  CheckAddress(p, "listen", c.listen());
}

void CheckPaths(Problems& p, const fs::path& base, v1::NodeConfig& c) {
  struct PathField {
    std::string_view name;
    std::string* value;
    bool required;
  };
  const PathField fields[] = {
      {"admin_socket", c.mutable_admin_socket(), true},
      {"tls.ca_cert", c.mutable_tls()->mutable_ca_cert(), true},
      {"tls.cert", c.mutable_tls()->mutable_cert(), true},
      {"tls.key", c.mutable_tls()->mutable_key(), true},
      {"tls.crl_dir", c.mutable_tls()->mutable_crl_dir(), false},
      {"data_dir", c.mutable_data_dir(), true},
      {"federation_key_file", c.mutable_federation_key_file(), c.role() != v1::HUB},
      {"hub_stats_key_file", c.mutable_hub_stats_key_file(), false},
      {"local_key_file", c.mutable_local_key_file(), true},
      {"policy_dir", c.mutable_policy_dir(), true},
      {"log_file", c.mutable_log_file(), false},
  };
  // A hub relays keyed pseudonyms: with the federation key it could reverse
  // every low-entropy one (a phone block by brute force), so it has none.
  if (c.role() == v1::HUB && !c.federation_key_file().empty()) {
    p.Add("federation_key_file",
          "a hub must not hold the federation key (it would reverse the pseudonyms it relays); "
          "remove the field");
  }
  if (c.role() != v1::HUB && !c.hub_stats_key_file().empty()) {
    p.Add("hub_stats_key_file", "is for role hub only");
  }
  for (int i = 0; i < c.tls().issuers_size(); ++i) {
    v1::IssuerConfig* issuer = c.mutable_tls()->mutable_issuers(i);
    const std::string at = absl::StrCat("tls.issuers[", i, "]");
    if (Required(p, absl::StrCat(at, ".ca_file"), issuer->ca_file())) {
      ResolvePath(p, absl::StrCat(at, ".ca_file"), base, issuer->mutable_ca_file());
    }
  }
  for (const PathField& f : fields) {
    if (f.required && !Required(p, f.name, *f.value)) continue;
    if (f.name == "admin_socket" && f.value->rfind("unix:", 0) == 0) {
      p.Add(f.name, "give a filesystem path, without the 'unix:' scheme");
      continue;
    }
    ResolvePath(p, f.name, base, f.value);
  }
  if (c.admin_socket().size() > kMaxUnixSocketPath) {
    p.Add("admin_socket",
          absl::StrCat("socket path is ", c.admin_socket().size(),
                       " bytes once absolute; at most ", kMaxUnixSocketPath,
                       " fit in a unix socket address"));
  }
}

void CheckPeers(Problems& p, const v1::NodeConfig& c) {
  std::map<std::string, int> first;  // peer id -> index
  for (int i = 0; i < c.peers_size(); ++i) {
    const v1::PeerConfig& peer = c.peers(i);
    const std::string at = absl::StrCat("peers[", i, "]");
    const std::string id_field = absl::StrCat(at, ".id");
    CheckNodeId(p, id_field, peer.id());
    if (!peer.id().empty()) {
      if (peer.id() == c.node_id()) {
        p.Add(id_field, "is this node's own node_id");
      } else if (auto [it, fresh] = first.emplace(peer.id(), i); !fresh) {
        p.Add(id_field, absl::StrCat("duplicate of peers[", it->second, "].id ('",
                                     peer.id(), "')"));
      }
    }
    CheckAddress(p, absl::StrCat(at, ".address"), peer.address());
    const std::string& j = peer.jurisdiction();
    if (!j.empty() && (j.size() != 2 || !absl::ascii_isupper(static_cast<unsigned char>(j[0])) ||
                       !absl::ascii_isupper(static_cast<unsigned char>(j[1])))) {
      p.Add(absl::StrCat(at, ".jurisdiction"),
            absl::StrCat("'", j, "' is not an ISO 3166-1 alpha-2 code such as AT"));
    }
  }
}

// Issuer pins: each lists valid node ids, and no node has two issuers.
void CheckIssuers(Problems& p, const v1::NodeConfig& c) {
  std::map<std::string, int> first;  // node id -> issuer index
  for (int i = 0; i < c.tls().issuers_size(); ++i) {
    const v1::IssuerConfig& issuer = c.tls().issuers(i);
    const std::string at = absl::StrCat("tls.issuers[", i, "]");
    if (issuer.nodes_size() == 0) p.Add(absl::StrCat(at, ".nodes"), "names no node id");
    for (int j = 0; j < issuer.nodes_size(); ++j) {
      const std::string field = absl::StrCat(at, ".nodes[", j, "]");
      CheckNodeId(p, field, issuer.nodes(j));
      if (auto [it, fresh] = first.emplace(issuer.nodes(j), i); !fresh && it->second != i) {
        p.Add(field, absl::StrCat("node '", issuer.nodes(j), "' is also listed by tls.issuers[",
                                  it->second, "]: a node has one issuer"));
      } else if (!fresh) {
        p.Add(field, absl::StrCat("node '", issuer.nodes(j), "' is listed twice"));
      }
    }
  }
}

// Federation listener limits: 0 takes the documented default;
// values that would disable a defence are errors.
void CheckLimits(Problems& p, v1::NodeConfig& c) {
  struct Limit {
    std::string_view name;
    uint32_t (v1::LimitsConfig::*get)() const;
    void (v1::LimitsConfig::*set)(uint32_t);
    uint32_t def, max;
  };
  const Limit limits[] = {
      {"limits.max_message_bytes", &v1::LimitsConfig::max_message_bytes,
       &v1::LimitsConfig::set_max_message_bytes, 1u << 20, 64u << 20},
      {"limits.max_metadata_bytes", &v1::LimitsConfig::max_metadata_bytes,
       &v1::LimitsConfig::set_max_metadata_bytes, 16u << 10, 1u << 20},
      {"limits.handshake_timeout_ms", &v1::LimitsConfig::handshake_timeout_ms,
       &v1::LimitsConfig::set_handshake_timeout_ms, 10000, 10000},
      {"limits.max_concurrent_streams", &v1::LimitsConfig::max_concurrent_streams,
       &v1::LimitsConfig::set_max_concurrent_streams, 64, 1000},
      {"limits.server_deadline_ms", &v1::LimitsConfig::server_deadline_ms,
       &v1::LimitsConfig::set_server_deadline_ms, 10000, 600000},
      {"limits.max_items_per_request", &v1::LimitsConfig::max_items_per_request,
       &v1::LimitsConfig::set_max_items_per_request, 10000, 1000000},
      {"limits.replay_window_seconds", &v1::LimitsConfig::replay_window_seconds,
       &v1::LimitsConfig::set_replay_window_seconds, 300, 3600},
      {"limits.replay_ids_per_peer", &v1::LimitsConfig::replay_ids_per_peer,
       &v1::LimitsConfig::set_replay_ids_per_peer, 1000000, 10000000},
  };
  v1::LimitsConfig* l = c.mutable_limits();
  for (const Limit& f : limits) {
    const uint32_t v = (l->*f.get)();
    if (v == 0) {
      (l->*f.set)(f.def);
    } else if (v > f.max) {
      p.Add(f.name, absl::StrCat(v, " is above the maximum of ", f.max));
    }
  }
  if (c.tls().reload_seconds() == 0) c.mutable_tls()->set_reload_seconds(10);
  if (c.min_free_disk_mb() == 0) c.set_min_free_disk_mb(64);
}

void CheckSettingsAndDefaults(Problems& p, v1::NodeConfig& c) {
  if (c.role() == v1::ROLE_UNSPECIFIED) c.set_role(v1::MEMBER);

  if (!p.Present("log_level") || c.log_level().empty()) {
    if (p.Present("log_level") && c.log_level().empty()) {
      p.Add("log_level", "must be one of trace, debug, info, warn, error");
    }
    c.set_log_level(std::string(kDefaultLogLevel));
  } else {
    const std::string level = absl::AsciiStrToLower(c.log_level());
    if (level != "trace" && level != "debug" && level != "info" &&
        level != "warn" && level != "error") {
      p.Add("log_level", absl::StrCat("'", c.log_level(),
                                      "' is not one of trace, debug, info, "
                                      "warn, error"));
    }
    c.set_log_level(level);
  }

  {
    const std::string format = absl::AsciiStrToLower(c.log_format());
    if (format.empty() || format == "auto" || format == "json" || format == "text") {
      c.set_log_format(format.empty() ? "auto" : format);
    } else {
      p.Add("log_format", absl::StrCat("'", c.log_format(), "' is not one of auto, json, text"));
    }
  }

  for (int i = 0; i < c.retention_size(); ++i) {
    const v1::RetentionRule& r = c.retention(i);
    if (r.days() == 0) {
      p.Add(absl::StrCat("retention[", i, "].days"), "must be at least 1");
    }
    if (r.type() == v1::INDICATOR_TYPE_UNSPECIFIED && r.crime_area().empty()) {
      p.Add(absl::StrCat("retention[", i, "]"),
            "needs a type or a crime_area (default_retention_days is the default)");
    }
    for (int j = 0; j < i; ++j) {
      if (c.retention(j).type() == r.type() && c.retention(j).crime_area() == r.crime_area()) {
        p.Add(absl::StrCat("retention[", i, "]"),
              absl::StrCat("same type and crime_area as retention[", j, "]"));
      }
    }
  }

  if (c.default_retention_days() == 0) {
    if (p.Present("default_retention_days")) {
      p.Add("default_retention_days", "must be at least 1");
    }
    c.set_default_retention_days(kDefaultRetentionDays);
  }
  if (c.peer_timeout_ms() == 0) {
    if (p.Present("peer_timeout_ms")) {
      p.Add("peer_timeout_ms", "must be at least 1");
    }
    c.set_peer_timeout_ms(kDefaultPeerTimeoutMs);
  }
  CheckLimits(p, c);
}

// Directory of the configuration file, absolute.
absl::StatusOr<fs::path> ConfigDir(const std::string& path) {
  std::error_code ec;
  const fs::path abs = fs::absolute(fs::path(path), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot make the path absolute: ", ec.message()));
  }
  return abs.lexically_normal().parent_path();
}

absl::StatusOr<v1::NodeConfig> Validate(const std::string& path,
                                        const FieldLines& lines,
                                        v1::NodeConfig config) {
  IFED_ASSIGN_OR_RETURN(const fs::path base, ConfigDir(path));
  Problems p(path, lines);
  CheckIdentity(p, config);
  CheckPaths(p, base, config);
  CheckPeers(p, config);
  CheckIssuers(p, config);
  CheckSettingsAndDefaults(p, config);
  IFED_RETURN_IF_ERROR(p.ToStatus());
  return config;
}

}  // namespace

bool IsValidNodeId(std::string_view id) {
  if (id.empty() || id.size() > 63 || !IsLowerAlnum(id[0])) return false;
  for (char c : id) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

bool IsValidTrustDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = domain.find('.', start);
    const std::string_view label = domain.substr(
        start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsLowerAlnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

absl::Status CheckHostPort(std::string_view host_port) {
  const std::string example = " (expected host:port, e.g. 0.0.0.0:7443)";
  const size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", AV(host_port), "' has no port", example));
  }
  std::string_view host = host_port.substr(0, colon);
  const std::string_view port = host_port.substr(colon + 1);
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", AV(host_port), "' has no host", example));
  }
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return absl::InvalidArgumentError(
          absl::StrCat("'", AV(host_port), "' has an unterminated '['"));
    }
    const std::string_view v6 = host.substr(1, host.size() - 2);
    if (v6.find(':') == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", AV(host_port), "': brackets are for IPv6 only"));
    }
    for (char c : v6) {
      if (!absl::ascii_isxdigit(c) && c != ':' && c != '.') {
        return absl::InvalidArgumentError(absl::StrCat(
            "'", AV(host_port), "' has an invalid IPv6 address"));
      }
    }
  } else {
    if (host.find(':') != std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", AV(host_port),
          "': write an IPv6 address in brackets, e.g. [::1]:7443"));
    }
    for (char c : host) {
      if (!absl::ascii_isalnum(c) && c != '-' && c != '.' && c != '_') {
        return absl::InvalidArgumentError(absl::StrCat(
            "'", AV(host_port), "' has an invalid host name"));
      }
    }
  }
  bool digits = !port.empty() && port.size() <= 5;
  uint32_t n = 0;
  for (char c : port) {
    if (!absl::ascii_isdigit(c)) digits = false;
    if (digits) n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  if (!digits || n < 1 || n > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", AV(host_port), "' has an invalid port '", AV(port),
                     "' (expected 1..65535)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::NodeConfig> ParseNodeConfig(std::string_view yaml_text,
                                               const std::string& path) {
  v1::NodeConfig config;
  FieldLines lines;
  IFED_RETURN_IF_ERROR(YamlToProto(yaml_text, path, &config, &lines));
  return Validate(path, lines, std::move(config));
}

absl::StatusOr<v1::NodeConfig> LoadNodeConfig(const std::string& path) {
  v1::NodeConfig config;
  FieldLines lines;
  IFED_RETURN_IF_ERROR(LoadYamlFile(path, &config, &lines));
  return Validate(path, lines, std::move(config));
}

}  // namespace ifed
