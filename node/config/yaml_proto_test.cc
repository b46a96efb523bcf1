#include "node/config/yaml_proto.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "proto/common.pb.h"
#include "proto/config.pb.h"
#include "proto/policy.pb.h"

namespace ifed {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The error message of mapping `yaml` onto a fresh M (empty when OK).
template <typename M>
std::string ErrorOf(const std::string& yaml) {
  M m;
  const absl::Status s = YamlToProto(yaml, "f.yaml", &m);
  if (!s.ok()) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  }
  return std::string(s.message());
}

std::string NodeErr(const std::string& yaml) {
  return ErrorOf<v1::NodeConfig>(yaml);
}
std::string PolicyErr(const std::string& yaml) {
  return ErrorOf<v1::PolicyFile>(yaml);
}

TEST(YamlToProto, NodeConfigHappyPath) {
  const std::string yaml = R"(# node config
node_id: at-bk-1
federation: eu-fed.example
jurisdiction: AT
role: hub
listen: 0.0.0.0:7443
tls:
  ca_cert: certs/ca.pem
  cert: "certs/node.pem"
  key: 'certs/node.key'
peers:
  - id: de-bka-1
    address: de.example:7443
  - {id: hu-nbi-1, address: "[::1]:7444"}
contact: |
  +43 1 000
  desk
default_retention_days: 30
peer_timeout_ms: 2500
)";
  v1::NodeConfig c;
  FieldLines lines;
  ASSERT_TRUE(YamlToProto(yaml, "node.yaml", &c, &lines).ok());
  EXPECT_EQ(c.node_id(), "at-bk-1");
  EXPECT_EQ(c.role(), v1::HUB);
  EXPECT_EQ(c.tls().cert(), "certs/node.pem");
  EXPECT_EQ(c.tls().key(), "certs/node.key");
  ASSERT_EQ(c.peers_size(), 2);
  EXPECT_EQ(c.peers(1).address(), "[::1]:7444");
  EXPECT_EQ(c.contact(), "+43 1 000\ndesk\n");
  EXPECT_EQ(c.default_retention_days(), 30u);
  EXPECT_EQ(c.peer_timeout_ms(), 2500u);
  EXPECT_EQ(lines["node_id"], 2);
  EXPECT_EQ(lines["tls.key"], 10);
  EXPECT_EQ(lines["peers[1]"], 14);
  EXPECT_EQ(lines["peers[1].address"], 14);
  EXPECT_EQ(lines["peers[0].address"], 13);
  EXPECT_EQ(lines.count("log_level"), 0u);
}

TEST(YamlToProto, PolicyFileHappyPath) {
  const std::string yaml = R"(partners:
  - partner: de-bka-1
    types: [phone, HANDLE, url, email, iban, crypto_wallet, imei]
    disclosure: hit_with_reference
    max_tlp: TLP:AMBER+STRICT
    purposes:
      - migrant_smuggling
      - PURPOSE_TERRORISM
    max_batch: 500
    quota: {items_per_second: 50, items_per_day: 5000000000}
    watches:
      allowed: true
  - partner: hu-nbi-1
    types: [crypto, wallet]
    disclosure: DISCLOSURE_HIT_ONLY
    max_tlp: clear
)";
  v1::PolicyFile p;
  ASSERT_TRUE(YamlToProto(yaml, "p.yaml", &p).ok());
  ASSERT_EQ(p.partners_size(), 2);
  const v1::Rule& r = p.partners(0);
  ASSERT_EQ(r.types_size(), 7);
  EXPECT_EQ(r.types(0), v1::PHONE);
  EXPECT_EQ(r.types(1), v1::HANDLE);
  EXPECT_EQ(r.types(5), v1::CRYPTO_WALLET);
  EXPECT_EQ(r.disclosure(), v1::HIT_WITH_REFERENCE);
  EXPECT_EQ(r.max_tlp(), v1::TLP_AMBER_STRICT);
  ASSERT_EQ(r.purposes_size(), 2);
  EXPECT_EQ(r.purposes(0), v1::MIGRANT_SMUGGLING);
  EXPECT_EQ(r.purposes(1), v1::TERRORISM);
  EXPECT_EQ(r.max_batch(), 500u);
  EXPECT_EQ(r.quota().items_per_second(), 50u);
  EXPECT_EQ(r.quota().items_per_day(), 5000000000u);
  EXPECT_FALSE(r.quota().has_burst());
  EXPECT_TRUE(r.watches().allowed());
  EXPECT_FALSE(r.has_direction());
  EXPECT_FALSE(p.partners(1).has_watches());
  EXPECT_EQ(p.partners(1).types(0), v1::CRYPTO_WALLET);
  EXPECT_EQ(p.partners(1).types(1), v1::CRYPTO_WALLET);
  EXPECT_EQ(p.partners(1).disclosure(), v1::HIT_ONLY);
  EXPECT_EQ(p.partners(1).max_tlp(), v1::TLP_CLEAR);
}

TEST(FindEnumValue, TlpSpellings) {
  const auto& tlp = *v1::Tlp_descriptor();
  const std::pair<const char*, v1::Tlp> cases[] = {
      {"TLP:CLEAR", v1::TLP_CLEAR},
      {"clear", v1::TLP_CLEAR},
      {"tlp_clear", v1::TLP_CLEAR},
      {"TLP:GREEN", v1::TLP_GREEN},
      {"Amber", v1::TLP_AMBER},
      {"amber+strict", v1::TLP_AMBER_STRICT},
      {"TLP:AMBER+STRICT", v1::TLP_AMBER_STRICT},
      {"tlp:amber+strict", v1::TLP_AMBER_STRICT},
      {"TLP_AMBER_STRICT", v1::TLP_AMBER_STRICT},
      {"amber_strict", v1::TLP_AMBER_STRICT},
      {"red", v1::TLP_RED},
  };
  for (const auto& [spelling, want] : cases) {
    const auto* v = FindEnumValue(tlp, spelling);
    ASSERT_NE(v, nullptr) << spelling;
    EXPECT_EQ(v->number(), want) << spelling;
  }
  for (const char* bad :
       {"", "unspecified", "TLP_UNSPECIFIED", "TLP:", "white", "amber-strict",
        "TLP:TLP:RED", "tlp", "3"}) {
    EXPECT_EQ(FindEnumValue(tlp, bad), nullptr) << bad;
  }
  EXPECT_EQ(FindEnumValue(*v1::Role_descriptor(), "member")->number(),
            v1::MEMBER);
  EXPECT_EQ(FindEnumValue(*v1::Role_descriptor(), "ROLE_HUB")->number(),
            v1::HUB);
  EXPECT_EQ(FindEnumValue(*v1::Role_descriptor(), "role_unspecified"),
            nullptr);
  EXPECT_EQ(FindEnumValue(*v1::IndicatorType_descriptor(), "unspecified"),
            nullptr);
}

TEST(YamlToProto, EmptyInputIsEmptyMessage) {
  for (const char* text : {"", "\n\n", "# only a comment\n", "---\n", "~\n"}) {
    v1::NodeConfig c;
    c.set_node_id("stale");
    EXPECT_TRUE(YamlToProto(text, "f.yaml", &c).ok()) << text;
    EXPECT_EQ(c.node_id(), "") << text;
  }
}

TEST(YamlToProto, NullValueLeavesFieldUnset) {
  v1::NodeConfig c;
  ASSERT_TRUE(YamlToProto("node_id:\nlisten: ~\npeers:\n", "f", &c).ok());
  EXPECT_EQ(c.node_id(), "");
  EXPECT_EQ(c.peers_size(), 0);
}

TEST(YamlToProto, UnknownKey) {
  EXPECT_THAT(NodeErr("node_id: a\nnode_idd: b\n"),
              StartsWith("f.yaml:2: field 'node_idd': unknown field of "
                         "NodeConfig; expected one of: node_id,"));
  EXPECT_THAT(NodeErr("tls:\n  ca_cert: a\n  certt: b\n"),
              StartsWith("f.yaml:3: field 'tls.certt': unknown field"));
  EXPECT_THAT(PolicyErr("partners:\n  - partner: a\n  - partner: b\n"
                        "    max_tlpp: red\n"),
              StartsWith("f.yaml:4: field 'partners[1].max_tlpp': unknown"));
  // YAML merge keys are not supported: '<<' is just an unknown key.
  EXPECT_THAT(NodeErr("x: &x {a: 1}\n"), StartsWith("f.yaml:1: field 'x'"));
}

TEST(YamlToProto, DuplicateKey) {
  EXPECT_EQ(NodeErr("node_id: a\nlisten: x\nnode_id: b\n"),
            "f.yaml:3: field 'node_id': duplicate key (first at line 1)");
  EXPECT_EQ(PolicyErr("partners:\n  - partner: a\n\n    partner: b\n"),
            "f.yaml:4: field 'partners[0].partner': duplicate key (first at "
            "line 2)");
  EXPECT_THAT(NodeErr("tls: {cert: a, cert: b}\n"),
              StartsWith("f.yaml:1: field 'tls.cert': duplicate key"));
}

TEST(YamlToProto, WrongTypes) {
  EXPECT_EQ(NodeErr("peer_timeout_ms: soon\n"),
            "f.yaml:1: field 'peer_timeout_ms': expected a non-negative "
            "integer, got 'soon'");
  EXPECT_EQ(NodeErr("\npeer_timeout_ms: \"5000\"\n"),
            "f.yaml:2: field 'peer_timeout_ms': expected a non-negative "
            "integer, got the string '5000'");
  EXPECT_EQ(NodeErr("default_retention_days: -1\n"),
            "f.yaml:1: field 'default_retention_days': '-1' is negative; "
            "uint32 must be >= 0");
  EXPECT_EQ(NodeErr("default_retention_days: 4294967296\n"),
            "f.yaml:1: field 'default_retention_days': '4294967296' is out of "
            "range for uint32 (max 4294967295)");
  EXPECT_THAT(NodeErr("default_retention_days: 3.5\n"),
              HasSubstr("expected a non-negative integer"));
  EXPECT_THAT(NodeErr("default_retention_days: 0x10\n"),
              HasSubstr("expected a non-negative integer"));
  EXPECT_EQ(NodeErr("node_id: a\ntls:\n  cert: [a, b]\n"),
            "f.yaml:3: field 'tls.cert': expected a scalar, got a sequence");
  EXPECT_EQ(NodeErr("node_id: {a: b}\n"),
            "f.yaml:1: field 'node_id': expected a scalar, got a mapping");
  EXPECT_EQ(NodeErr("tls: cert.pem\n"),
            "f.yaml:1: field 'tls': expected a mapping of TlsConfig fields, "
            "got a scalar");
  EXPECT_EQ(NodeErr("peers: a:1\n"),
            "f.yaml:1: field 'peers': expected a sequence (a list), got a "
            "scalar");
  EXPECT_EQ(NodeErr("peers:\n  id: a\n"),
            "f.yaml:1: field 'peers': expected a sequence (a list), got a "
            "mapping");
  EXPECT_EQ(NodeErr("peers:\n  - id: a\n  - x\n"),
            "f.yaml:3: field 'peers[1]': expected a mapping of PeerConfig "
            "fields, got a scalar");
  EXPECT_EQ(NodeErr("peers:\n  - id: a\n  -\n  - id: b\n"),
            "f.yaml:3: field 'peers[1]': empty list element");
  EXPECT_EQ(NodeErr("\xef\xbb\xbfpeers:\n  - id: \xc3\x96\n  -   # none\n\n"
                    "  - id: b\n"),
            "f.yaml:3: field 'peers[1]': empty list element");
  EXPECT_EQ(NodeErr("peers:\n  - id: a\n  -\n"),
            "f.yaml:3: field 'peers[1]': empty list element");
  EXPECT_EQ(NodeErr("peers: [{id: a}, , {id: b}]\n"),
            "f.yaml:1: field 'peers[1]': empty list element");
  EXPECT_EQ(PolicyErr("partners:\n- partner: a\n  types: phone\n"),
            "f.yaml:3: field 'partners[0].types': expected a sequence (a "
            "list), got a scalar");
  EXPECT_EQ(NodeErr("[1, 2]\n"),
            "f.yaml:1: expected a mapping of NodeConfig fields, got a "
            "sequence");
  EXPECT_EQ(NodeErr("just text\n"),
            "f.yaml:1: expected a mapping of NodeConfig fields, got a scalar");
  EXPECT_EQ(NodeErr("? [a]\n: b\n"),
            "f.yaml:1: keys must be field names (scalars)");
}

TEST(YamlToProto, Enums) {
  EXPECT_EQ(NodeErr("node_id: a\nrole: boss\n"),
            "f.yaml:2: field 'role': 'boss' is not a valid Role; expected one "
            "of: member, hub");
  EXPECT_EQ(NodeErr("role: unspecified\n"),
            "f.yaml:1: field 'role': 'unspecified' is not a valid Role; "
            "expected one of: member, hub");
  EXPECT_EQ(NodeErr("role: 1\n"),
            "f.yaml:1: field 'role': '1' is not a valid Role; expected one "
            "of: member, hub");
  EXPECT_EQ(PolicyErr("partners:\n  - partner: a\n    max_tlp: white\n"),
            "f.yaml:3: field 'partners[0].max_tlp': 'white' is not a valid "
            "Tlp; expected one of: clear, green, amber, amber_strict, red");
  EXPECT_EQ(PolicyErr("partners:\n  - partner: a\n    types:\n      - phone\n"
                      "      - fax\n"),
            "f.yaml:5: field 'partners[0].types[1]': 'fax' is not a valid "
            "IndicatorType; expected one of: phone, handle, url, email, iban, "
            "crypto_wallet, imei");
  EXPECT_THAT(PolicyErr("partners:\n  - disclosure: [hit_only]\n"),
              StartsWith("f.yaml:2: field 'partners[0].disclosure': expected "
                         "a scalar, got a sequence"));
  v1::NodeConfig c;
  ASSERT_TRUE(YamlToProto("role: \"MEMBER\"\n", "f", &c).ok());
  EXPECT_EQ(c.role(), v1::MEMBER);
}

TEST(YamlToProto, BoolsIntsFloatsMapsAndOneofs) {
  google::protobuf::BoolValue b;
  ASSERT_TRUE(YamlToProto("value: TRUE\n", "f", &b).ok());
  EXPECT_TRUE(b.value());
  for (const char* bad : {"yes", "1", "on", "\"true\"", "[true]"}) {
    EXPECT_FALSE(YamlToProto(std::string("value: ") + bad, "f", &b).ok())
        << bad;
  }
  google::protobuf::Int32Value i32;
  ASSERT_TRUE(YamlToProto("value: -2147483648\n", "f", &i32).ok());
  EXPECT_EQ(i32.value(), -2147483648);
  EXPECT_THAT(ErrorOf<google::protobuf::Int32Value>("value: 2147483648\n"),
              HasSubstr("out of range for int32"));
  google::protobuf::Int64Value i64;
  ASSERT_TRUE(YamlToProto("value: +42\n", "f", &i64).ok());
  EXPECT_EQ(i64.value(), 42);
  EXPECT_THAT(ErrorOf<google::protobuf::Int64Value>(
                  "value: 99999999999999999999999999999999\n"),
              HasSubstr("out of range for int64"));
  google::protobuf::UInt64Value u64;
  ASSERT_TRUE(
      YamlToProto("value: 18446744073709551615\n", "f", &u64).ok());
  EXPECT_EQ(u64.value(), 18446744073709551615u);
  EXPECT_THAT(ErrorOf<google::protobuf::UInt64Value>(
                  "value: 18446744073709551616\n"),
              HasSubstr("out of range for uint64"));
  google::protobuf::DoubleValue d;
  ASSERT_TRUE(YamlToProto("value: -1.5e3\n", "f", &d).ok());
  EXPECT_EQ(d.value(), -1500);
  EXPECT_THAT(ErrorOf<google::protobuf::DoubleValue>("value: 1e999\n"),
              HasSubstr("out of range"));
  EXPECT_THAT(ErrorOf<google::protobuf::FloatValue>("value: 1e39\n"),
              HasSubstr("out of range for float"));

  google::protobuf::Struct s;
  ASSERT_TRUE(YamlToProto("fields:\n  a: {string_value: x}\n  b:\n"
                          "    list_value: {values: [{number_value: 2}]}\n",
                          "f", &s)
                  .ok());
  EXPECT_EQ(s.fields().at("a").string_value(), "x");
  EXPECT_EQ(s.fields().at("b").list_value().values(0).number_value(), 2);
  EXPECT_EQ(ErrorOf<google::protobuf::Struct>(
                "fields:\n  a: {string_value: x}\n  a: {bool_value: true}\n"),
            "f.yaml:3: field 'fields[a]': duplicate key (first at line 2)");
  EXPECT_EQ(ErrorOf<google::protobuf::Struct>(
                "fields:\n  a:\n    string_value: x\n    bool_value: true\n"),
            "f.yaml:4: field 'fields[a].bool_value': conflicts with "
            "'string_value' (both in oneof kind)");
}

TEST(YamlToProto, SyntaxErrors) {
  EXPECT_THAT(NodeErr("node_id: a\npeers: [a, b\nlisten: x\n"),
              StartsWith("f.yaml:3: YAML syntax error: "));
  EXPECT_THAT(NodeErr("node_id: a\n listen: b\n"),
              StartsWith("f.yaml:2: YAML syntax error: "));
  // yaml-cpp's LoadAll never returns on these.
  EXPECT_EQ(NodeErr(","),
            "f.yaml:1: YAML syntax error: unexpected content after the "
            "document (a stray ',' or ']'?)");
  EXPECT_THAT(NodeErr("node_id: [a],\n"), StartsWith("f.yaml:1: YAML syntax"));
  EXPECT_THAT(NodeErr("[a],"), StartsWith("f.yaml:1: YAML syntax"));
  EXPECT_EQ(NodeErr("node_id: a\n---\nnode_id: b\n"),
            "f.yaml:3: more than one YAML document ('---') in the file is not "
            "supported");
}

TEST(YamlToProto, Tabs) {
  const std::string err = NodeErr("tls:\n  ca_cert: a\n\tcert: b\n");
  EXPECT_THAT(err, StartsWith("f.yaml:3: YAML syntax error: "));
  EXPECT_THAT(err, HasSubstr("tabs are not allowed for indentation"));
  EXPECT_THAT(NodeErr("tls:\n\tcert: b\n"),
              HasSubstr("tabs are not allowed for indentation"));
  // A tab after the value separator is fine.
  v1::NodeConfig c;
  ASSERT_TRUE(YamlToProto("node_id:\tabc\n", "f", &c).ok());
  EXPECT_EQ(c.node_id(), "abc");
}

TEST(YamlToProto, BinaryGarbageIsAnError) {
  EXPECT_EQ(NodeErr(std::string("node_id: a\nlisten: b\0c\n", 22)),
            "f.yaml:2: control character 0x00 is not allowed in YAML");
  EXPECT_EQ(NodeErr("node_id: a\n\nlisten: \xff\xfe\n"),
            "f.yaml:3: invalid UTF-8 (YAML text must be UTF-8)");
  EXPECT_EQ(NodeErr("node_id: \xc0\xaf\n"),  // overlong '/'
            "f.yaml:1: invalid UTF-8 (YAML text must be UTF-8)");
  EXPECT_EQ(NodeErr("node_id: \xed\xa0\x80\n"),  // surrogate
            "f.yaml:1: invalid UTF-8 (YAML text must be UTF-8)");
  EXPECT_THAT(NodeErr("node_id: \"\\uD800\"\n"), StartsWith("f.yaml:1: "));
  // UTF-8 with a byte order mark and non-ASCII text is fine.
  v1::NodeConfig c;
  ASSERT_TRUE(
      YamlToProto("\xef\xbb\xbfunit: \"Bundeskriminalamt \xc3\x96sterreich\"\n",
                  "f", &c)
          .ok());
  EXPECT_EQ(c.unit(), "Bundeskriminalamt \xc3\x96sterreich");
  // Every byte value, in a deterministic pseudo-random stream: never a crash.
  uint32_t x = 12345;
  for (int round = 0; round < 200; ++round) {
    std::string junk;
    for (int i = 0; i < 64 + round; ++i) {
      x = x * 1103515245u + 12345u;
      junk.push_back(static_cast<char>(x >> 24));
    }
    v1::NodeConfig m;
    (void)YamlToProto(junk, "f", &m);
    // Junk made of YAML's own characters reaches yaml-cpp itself.
    constexpr std::string_view kYamlish = " -:[]{}\n,#&*!|>'\"%@`ab1\t?";
    for (char& ch : junk) {
      ch = kYamlish[static_cast<unsigned char>(ch) % kYamlish.size()];
    }
    (void)YamlToProto(junk, "f", &m);
  }
}

TEST(YamlToProto, DeepNestingIsAnError) {
  EXPECT_EQ(NodeErr(std::string(100000, '[')),
            "f.yaml:1: YAML nested too deeply");
  EXPECT_EQ(NodeErr("tls: " + std::string(100000, '{')),
            "f.yaml:1: YAML nested too deeply");
  std::string block;
  for (int i = 0; i < 2000; ++i) block += std::string(i, ' ') + "- \n";
  EXPECT_THAT(NodeErr(block), HasSubstr("YAML nested too deeply"));
  // Recursive schemas stop at the mapper's own depth limit.
  std::string nested = "fields:\n  a: ";
  for (int i = 0; i < 100; ++i) nested += "{struct_value: {fields: {a: ";
  nested += "{bool_value: true}";
  for (int i = 0; i < 100; ++i) nested += "}}}";
  EXPECT_THAT(ErrorOf<google::protobuf::Struct>(nested),
              HasSubstr("nested too deeply"));
}

TEST(YamlToProto, AliasExpansionIsBounded) {
  // Each level multiplies the nodes by 10: 10^7 elements by alias.
  std::string yaml = "a0: &a0 {number_value: 1}\n";
  std::string prev = "a0";
  for (int i = 1; i <= 7; ++i) {
    const std::string name = "a" + std::to_string(i);
    yaml += name + ": &" + name + " {list_value: {values: [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", *" : "*") + prev;
    yaml += "]}}\n";
    prev = name;
  }
  // Struct fields all map to Value, so the aliases are walked.
  google::protobuf::Struct s;
  const absl::Status st =
      YamlToProto("fields:\n" + [&] {
        std::string indented;
        size_t pos = 0;
        while (pos < yaml.size()) {
          const size_t nl = yaml.find('\n', pos);
          indented += "  " + yaml.substr(pos, nl - pos + 1);
          pos = nl + 1;
        }
        return indented;
      }(), "f.yaml", &s);
  EXPECT_THAT(st.message(), HasSubstr("document too large or too deeply "
                                      "aliased"));
}

TEST(YamlToProto, HugeInputIsRefused) {
  const std::string big(kMaxYamlBytes + 1, '#');
  EXPECT_EQ(NodeErr(big), "f.yaml:1: file larger than 16777216 bytes");
}

TEST(LoadYamlFile, ReadsAndReportsPath) {
  const std::string path = ::testing::TempDir() + "/yaml_proto_test.yaml";
  {
    std::ofstream f(path);
    f << "partners:\n  - partner: a\n    max_batch: many\n";
  }
  v1::PolicyFile p;
  const absl::Status s = LoadYamlFile(path, &p);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), path + ":3: field 'partners[0].max_batch': expected "
                                "a non-negative integer, got 'many'");
  EXPECT_EQ(LoadYamlFile(path + ".missing", &p).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(LoadYamlFile(::testing::TempDir(), &p).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ifed
