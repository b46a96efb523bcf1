#include "node/config/node_config.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ifed {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Line numbers below refer to this text (1-based).
constexpr char kValid[] = R"(node_id: at-bk-1
federation: eu-fed.example
jurisdiction: AT
listen: 0.0.0.0:7443
admin_socket: run/admin.sock
tls:
  ca_cert: certs/ca.pem
  cert: /etc/ifed/certs/node.pem
  key: ../secrets/node.key
data_dir: ./data
federation_key_file: keys/federation.keys
local_key_file: keys/local.key
policy_dir: policy
peers:
  - id: de-bka-1
    address: de.example:7443
  - id: hu-nbi-1
    address: "[2001:db8::1]:7443"
)";

constexpr char kPath[] = "/etc/ifed/node.yaml";

// kValid with `from` replaced by `to` (which must occur).
std::string With(const std::string& from, const std::string& to) {
  std::string s = kValid;
  EXPECT_NE(s.find(from), std::string::npos) << from;
  return absl::StrReplaceAll(s, {{from, to}});
}

std::string Err(const std::string& yaml) {
  absl::StatusOr<v1::NodeConfig> c = ParseNodeConfig(yaml, kPath);
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

TEST(NodeConfig, ValidConfigWithDefaultsAndAbsolutePaths) {
  absl::StatusOr<v1::NodeConfig> c = ParseNodeConfig(kValid, kPath);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node_id(), "at-bk-1");
  EXPECT_EQ(c->role(), v1::MEMBER);
  EXPECT_EQ(c->log_level(), "info");
  EXPECT_EQ(c->default_retention_days(), 365u);
  EXPECT_EQ(c->peer_timeout_ms(), 5000u);
  EXPECT_EQ(c->admin_socket(), "/etc/ifed/run/admin.sock");
  EXPECT_EQ(c->tls().ca_cert(), "/etc/ifed/certs/ca.pem");
  EXPECT_EQ(c->tls().cert(), "/etc/ifed/certs/node.pem");
  EXPECT_EQ(c->tls().key(), "/etc/secrets/node.key");
  EXPECT_EQ(c->tls().crl_dir(), "");
  EXPECT_EQ(c->data_dir(), "/etc/ifed/data");
  EXPECT_EQ(c->federation_key_file(), "/etc/ifed/keys/federation.keys");
  EXPECT_EQ(c->local_key_file(), "/etc/ifed/keys/local.key");
  EXPECT_EQ(c->policy_dir(), "/etc/ifed/policy");
  EXPECT_EQ(c->log_file(), "");
  ASSERT_EQ(c->peers_size(), 2);
  EXPECT_EQ(c->peers(1).address(), "[2001:db8::1]:7443");
}

TEST(NodeConfig, ExplicitSettingsAreKept) {
  absl::StatusOr<v1::NodeConfig> c = ParseNodeConfig(
      absl::StrReplaceAll(With("data_dir: ./data\n",
           "data_dir: ./data\nrole: HUB\nlog_level: Debug\n"
           "log_file: log/node.json\ndefault_retention_days: 30\n"
           "peer_timeout_ms: 250\nlog_format: Text\n"),
                          {{"federation_key_file: keys/federation.keys\n", ""}}),
      kPath);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->log_format(), "text");
  EXPECT_EQ(c->role(), v1::HUB);
  EXPECT_EQ(c->log_level(), "debug");
  EXPECT_EQ(c->log_file(), "/etc/ifed/log/node.json");
  EXPECT_EQ(c->default_retention_days(), 30u);
  EXPECT_EQ(c->peer_timeout_ms(), 250u);
}

// A hub relays pseudonyms it must not be able to reverse: it has no
// federation key (a config naming one is refused), and may name the key of
// its statistics' digests; a member needs the federation key.
TEST(NodeConfig, AHubHoldsNoFederationKey) {
  const std::string hub = absl::StrReplaceAll(
      With("data_dir: ./data\n", "data_dir: ./data\nrole: hub\n"),
      {{"federation_key_file: keys/federation.keys\n", ""}});
  absl::StatusOr<v1::NodeConfig> c = ParseNodeConfig(hub, kPath);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->federation_key_file(), "");
  EXPECT_EQ(c->hub_stats_key_file(), "");
  c = ParseNodeConfig(hub + "hub_stats_key_file: keys/hub-stats.key\n", kPath);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->hub_stats_key_file(), "/etc/ifed/keys/hub-stats.key");
  EXPECT_THAT(Err(With("data_dir: ./data\n", "data_dir: ./data\nrole: hub\n")),
              HasSubstr("field 'federation_key_file': a hub must not hold the federation key"));
  EXPECT_THAT(Err(absl::StrReplaceAll(kValid, {{"federation_key_file: keys/federation.keys\n",
                                                 ""}})),
              HasSubstr("field 'federation_key_file': required"));
  EXPECT_THAT(Err(std::string(kValid) + "hub_stats_key_file: k\n"),
              HasSubstr("field 'hub_stats_key_file': is for role hub only"));
}

TEST(NodeConfig, LogFormatIsAutoByDefaultAndChecked) {
  absl::StatusOr<v1::NodeConfig> c = ParseNodeConfig(With("data_dir: ./data\n",
                                                          "data_dir: ./data\n"), kPath);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->log_format(), "auto");
  EXPECT_THAT(Err(With("data_dir: ./data\n", "data_dir: ./data\nlog_format: xml\n")),
              HasSubstr("field 'log_format': 'xml' is not one of auto, json, text"));
}

TEST(NodeConfig, RetentionRulesAreParsedAndChecked) {
  absl::StatusOr<v1::NodeConfig> c = ParseNodeConfig(
      With("data_dir: ./data\n",
           "data_dir: ./data\nretention:\n  - {type: phone, days: 180}\n"
           "  - {type: url, crime_area: migrant_smuggling, days: 90}\n"),
      kPath);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->retention_size(), 2);
  EXPECT_EQ(c->retention(0).type(), v1::PHONE);
  EXPECT_EQ(c->retention(1).crime_area(), "migrant_smuggling");
  EXPECT_EQ(c->retention(1).days(), 90u);
  const std::string err = Err(With("data_dir: ./data\n",
                                   "data_dir: ./data\nretention:\n  - {type: phone}\n"
                                   "  - {days: 5}\n  - {type: phone, days: 3}\n"));
  EXPECT_THAT(err, HasSubstr("field 'retention[0].days': must be at least 1"));
  EXPECT_THAT(err, HasSubstr("field 'retention[1]': needs a type or a crime_area"));
  EXPECT_THAT(err, HasSubstr("field 'retention[2]': same type and crime_area as retention[0]"));
}

TEST(NodeConfig, MissingRequiredFieldsAreAllReported) {
  const std::string err = Err("log_level: info\n");
  for (const char* field :
       {"node_id", "federation", "jurisdiction", "listen", "admin_socket",
        "tls.ca_cert", "tls.cert", "tls.key", "data_dir",
        "federation_key_file", "local_key_file", "policy_dir"}) {
    EXPECT_THAT(err, HasSubstr(absl::StrCat("/etc/ifed/node.yaml: field '",
                                            field, "': required")))
        << field;
  }
  EXPECT_EQ(Err(""), Err("# nothing\n"));
  EXPECT_EQ(Err(With("node_id: at-bk-1", "node_id: ''")),
            "/etc/ifed/node.yaml:1: field 'node_id': must not be empty");
}

TEST(NodeConfig, IdentityChecks) {
  EXPECT_EQ(Err(With("node_id: at-bk-1", "node_id: AT_bk")),
            "/etc/ifed/node.yaml:1: field 'node_id': 'AT_bk' is not a valid "
            "node id (1-63 of a-z, 0-9, '-', not starting with '-')");
  EXPECT_THAT(Err(With("node_id: at-bk-1", "node_id: -at")),
              HasSubstr(":1: field 'node_id'"));
  EXPECT_THAT(Err(With("node_id: at-bk-1", "node_id: " + std::string(64, 'a'))),
              HasSubstr(":1: field 'node_id'"));
  EXPECT_EQ(Err(With("node_id: at-bk-1", "node_id: " + std::string(63, 'a'))),
            "");
  EXPECT_EQ(Err(With("eu-fed.example", "EU-Fed.example")),
            "/etc/ifed/node.yaml:2: field 'federation': 'EU-Fed.example' is "
            "not a valid trust domain (a lower-case DNS name, e.g. "
            "eu-fed.example)");
  for (const char* bad : {"a..b", ".a", "a.", "-a.b", "a-.b", "a b", "a/b"}) {
    EXPECT_THAT(Err(With("eu-fed.example", std::string("'") + bad + "'")),
                HasSubstr(":2: field 'federation'"))
        << bad;
  }
  EXPECT_EQ(Err(With("jurisdiction: AT", "jurisdiction: at")),
            "/etc/ifed/node.yaml:3: field 'jurisdiction': 'at' is not two "
            "upper-case letters (ISO 3166-1 alpha-2, e.g. DE)");
  EXPECT_THAT(Err(With("jurisdiction: AT", "jurisdiction: AUT")),
              HasSubstr(":3: field 'jurisdiction'"));
}

TEST(NodeConfig, ListenAndPeerAddresses) {
  for (const char* good :
       {"127.0.0.1:1", "[::]:7443", "node-a.example:65535", "ifed_node:80"}) {
    EXPECT_EQ(Err(With("0.0.0.0:7443", std::string("'") + good + "'")), "")
        << good;
  }
  for (const char* bad :
       {"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1", ":7443", "host:",
        "host:http", "::1:7443", "[::1:7443", "[host]:7443", "a b:1",
        "h:99999999999999999999", "h:+80"}) {
    EXPECT_THAT(Err(With("0.0.0.0:7443", std::string("'") + bad + "'")),
                HasSubstr("/etc/ifed/node.yaml:4: field 'listen': "))
        << bad;
  }
  EXPECT_EQ(Err(With("de.example:7443", "de.example:0")),
            "/etc/ifed/node.yaml:16: field 'peers[0].address': "
            "'de.example:0' has an invalid port '0' (expected 1..65535)");
}

TEST(NodeConfig, PeerChecks) {
  EXPECT_EQ(Err(With("id: hu-nbi-1", "id: de-bka-1")),
            "/etc/ifed/node.yaml:17: field 'peers[1].id': duplicate of "
            "peers[0].id ('de-bka-1')");
  EXPECT_EQ(Err(With("id: hu-nbi-1", "id: at-bk-1")),
            "/etc/ifed/node.yaml:17: field 'peers[1].id': is this node's own "
            "node_id");
  EXPECT_EQ(Err(With("id: hu-nbi-1", "id: Hu")),
            "/etc/ifed/node.yaml:17: field 'peers[1].id': 'Hu' is not a valid "
            "node id (1-63 of a-z, 0-9, '-', not starting with '-')");
  EXPECT_EQ(Err(With("  - id: hu-nbi-1\n", "  - \n")),
            "/etc/ifed/node.yaml: field 'peers[1].id': required");
  EXPECT_EQ(Err(With("    address: de.example:7443\n", "")),
            "/etc/ifed/node.yaml: field 'peers[0].address': required");
}

TEST(NodeConfig, PeerRoleAndJurisdiction) {
  auto c = ParseNodeConfig(
      With("    address: de.example:7443\n",
           "    address: de.example:7443\n    role: hub\n    jurisdiction: EU\n"),
      kPath);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->peers(0).role(), v1::HUB);
  EXPECT_EQ(c->peers(0).jurisdiction(), "EU");
  EXPECT_EQ(c->peers(1).role(), v1::ROLE_UNSPECIFIED);
  EXPECT_THAT(Err(With("    address: de.example:7443\n",
                       "    address: de.example:7443\n    jurisdiction: deu\n")),
              HasSubstr("field 'peers[0].jurisdiction': 'deu' is not an ISO 3166-1 alpha-2"));
  EXPECT_THAT(Err(With("    address: de.example:7443\n",
                       "    address: de.example:7443\n    role: boss\n")),
              HasSubstr("peers[0].role"));
}

TEST(NodeConfig, SettingsChecks) {
  EXPECT_EQ(Err(absl::StrCat(kValid, "log_level: verbose\n")),
            "/etc/ifed/node.yaml:19: field 'log_level': 'verbose' is not one "
            "of trace, debug, info, warn, error");
  EXPECT_EQ(Err(absl::StrCat(kValid, "default_retention_days: 0\n")),
            "/etc/ifed/node.yaml:19: field 'default_retention_days': must be "
            "at least 1");
  EXPECT_EQ(Err(absl::StrCat(kValid, "peer_timeout_ms: 0\n")),
            "/etc/ifed/node.yaml:19: field 'peer_timeout_ms': must be at "
            "least 1");
  EXPECT_EQ(Err(absl::StrCat(kValid, "role: unspecified\n")),
            "/etc/ifed/node.yaml:19: field 'role': 'unspecified' is not a "
            "valid Role; expected one of: member, hub");
}

TEST(NodeConfig, PathChecks) {
  EXPECT_EQ(Err(With("run/admin.sock", "unix:/run/admin.sock")),
            "/etc/ifed/node.yaml:5: field 'admin_socket': give a filesystem "
            "path, without the 'unix:' scheme");
  EXPECT_THAT(Err(With("run/admin.sock", std::string(120, 's'))),
              HasSubstr("/etc/ifed/node.yaml:5: field 'admin_socket': socket "
                        "path is 130 bytes once absolute"));
  EXPECT_EQ(Err(With("./data", "\"da\\tta\"")),
            "/etc/ifed/node.yaml:10: field 'data_dir': path contains a "
            "control character");
}

TEST(NodeConfig, SeveralProblemsOneLineEach) {
  const std::string err =
      Err(With("jurisdiction: AT", "jurisdiction: Austria")
              .append("log_level: loud\n"));
  EXPECT_EQ(err,
            "/etc/ifed/node.yaml:3: field 'jurisdiction': 'Austria' is not "
            "two upper-case letters (ISO 3166-1 alpha-2, e.g. DE)\n"
            "/etc/ifed/node.yaml:19: field 'log_level': 'loud' is not one of "
            "trace, debug, info, warn, error");
}

TEST(NodeConfig, IssuerPinsAreResolvedAndChecked) {
  const std::string pins =
      "  key: ../secrets/node.key\n  issuers:\n"
      "    - {name: at-bk, ca_file: pki/at.pem, nodes: [at-bk-1, at-bk-2]}\n"
      "    - {name: de-bka, ca_file: /pki/de.pem, nodes: [de-bka-1]}\n";
  absl::StatusOr<v1::NodeConfig> c =
      ParseNodeConfig(With("  key: ../secrets/node.key\n", pins), kPath);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->tls().issuers_size(), 2);
  EXPECT_EQ(c->tls().issuers(0).ca_file(), "/etc/ifed/pki/at.pem");
  EXPECT_EQ(c->tls().issuers(0).nodes(1), "at-bk-2");
  EXPECT_EQ(c->tls().issuers(1).ca_file(), "/pki/de.pem");

  EXPECT_THAT(Err(With("  key: ../secrets/node.key\n",
                       "  key: ../secrets/node.key\n  issuers:\n"
                       "    - {name: a, ca_file: a.pem, nodes: [x]}\n"
                       "    - {name: b, ca_file: b.pem, nodes: [x]}\n")),
              HasSubstr("tls.issuers[1].nodes[0]': node 'x' is also listed by tls.issuers[0]"));
  EXPECT_THAT(Err(With("  key: ../secrets/node.key\n",
                       "  key: ../secrets/node.key\n  issuers:\n"
                       "    - {name: a, ca_file: a.pem}\n")),
              HasSubstr("tls.issuers[0].nodes': names no node id"));
  EXPECT_THAT(Err(With("  key: ../secrets/node.key\n",
                       "  key: ../secrets/node.key\n  issuers:\n"
                       "    - {name: a, nodes: [Bad_Id]}\n")),
              AllOf(HasSubstr("tls.issuers[0].ca_file"), HasSubstr("'Bad_Id' is not a valid node id")));
}

TEST(NodeConfig, StructuralErrorsComeFromTheMapper) {
  EXPECT_THAT(Err(With("tls:\n", "tls:\n  crl: x\n")),
              StartsWith("/etc/ifed/node.yaml:7: field 'tls.crl': unknown "
                         "field of TlsConfig; expected one of: ca_cert, cert, "
                         "key, crl_dir"));
}

TEST(NodeConfig, LoadFromFileResolvesAgainstItsDirectory) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "node_config_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "node.yaml").string();
  {
    std::ofstream f(path);
    f << kValid;
  }
  absl::StatusOr<v1::NodeConfig> c = LoadNodeConfig(path);
  ASSERT_TRUE(c.ok()) << c.status();
  const std::filesystem::path abs_dir =
      std::filesystem::absolute(dir).lexically_normal();
  EXPECT_EQ(c->data_dir(), (abs_dir / "data").string());
  EXPECT_EQ(c->tls().key(),
            (abs_dir.parent_path() / "secrets/node.key").string());
  // The files it names do not exist: not this layer's business.
  EXPECT_FALSE(std::filesystem::exists(c->tls().ca_cert()));

  {
    std::ofstream f(path);
    f << With("listen: 0.0.0.0:7443", "listen: 127.0.0.1:0");
  }
  c = LoadNodeConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            path + ":4: field 'listen': '127.0.0.1:0' has an invalid port '0' "
                   "(expected 1..65535)");
  EXPECT_EQ(LoadNodeConfig(path + ".missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(LoadNodeConfig(path + ".missing").status().message()),
              Not(HasSubstr("\n")));
}

// Limit defaults, and values that would disable a defence refused.
TEST(NodeConfig, HardeningLimitsDefaultsAndMaxima) {
  absl::StatusOr<v1::NodeConfig> c = ParseNodeConfig(kValid, kPath);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->limits().max_message_bytes(), 1u << 20);
  EXPECT_EQ(c->limits().handshake_timeout_ms(), 10000u);
  EXPECT_EQ(c->limits().replay_window_seconds(), 300u);
  EXPECT_EQ(c->limits().replay_ids_per_peer(), 1000000u);
  EXPECT_EQ(c->min_free_disk_mb(), 64u);
  const std::string peers = "peers:\n";
  EXPECT_THAT(Err(With(peers, "limits:\n  replay_window_seconds: 7200\n" + peers)),
              HasSubstr("limits.replay_window_seconds"));
  EXPECT_THAT(Err(With(peers, "limits:\n  handshake_timeout_ms: 60000\n" + peers)),
              HasSubstr("limits.handshake_timeout_ms"));
  auto set = ParseNodeConfig(With(peers, "limits:\n  replay_window_seconds: 60\n"
                                         "min_free_disk_mb: 2\n" + peers),
                             kPath);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->limits().replay_window_seconds(), 60u);
  EXPECT_EQ(set->min_free_disk_mb(), 2u);
}

}  // namespace
}  // namespace ifed
