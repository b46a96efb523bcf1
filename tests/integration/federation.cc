#include "tests/integration/federation.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace ifed::testing {

namespace fs = std::filesystem;

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) throw std::runtime_error(std::string(name) + " is not set");
  return v;
}

void Check(const RunResult& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.err + r.out);
}

}  // namespace

LocalFederation::LocalFederation(std::string trust_domain)
    : trust_domain_(std::move(trust_domain)),
      bin_dir_(Env("IFED_BIN_DIR")),
      source_dir_(Env("IFED_SOURCE_DIR")) {
  char tmpl[] = "/tmp/ifed-fed-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  fs::create_directories(dir_ + "/ca");
  Check(Run({source("certs/make-certs.sh"), "ca", dir_ + "/ca", trust_domain_}), "make CA");
  std::string key(64, '0');
  const char* hex = "0123456789abcdef";
  for (auto& c : key) c = hex[std::rand() % 16];
  WriteFile(dir_ + "/federation.key", "1 " + key + "\n", 0600);
}

LocalFederation::~LocalFederation() {
  for (auto& [id, n] : nodes_) n.process.Stop();
  if (std::getenv("IFED_KEEP_TEST_DIR") == nullptr) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::pair<std::string, std::string> LocalFederation::IssueCert(
    const std::string& id, const std::string& ca_dir, const std::vector<std::string>& extra) {
  static int issued = 0;
  const std::string out = dir_ + "/certs-" + std::to_string(issued++) + "-" + id;
  fs::create_directories(out);
  std::vector<std::string> argv = {source("certs/make-certs.sh"), "node", out, trust_domain_, id,
                                   "--ca-dir", ca_dir.empty() ? dir_ + "/ca" : ca_dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Check(Run(argv), "issue cert " + id);
  return {out + "/" + id + ".pem", out + "/" + id + ".key"};
}

std::string LocalFederation::MakeOtherCa(const std::string& name) {
  const std::string out = dir_ + "/" + name;
  fs::create_directories(out);
  Check(Run({source("certs/make-certs.sh"), "ca", out, trust_domain_}), "make other CA");
  return out;
}

void LocalFederation::AddNode(const std::string& id, const std::string& jurisdiction,
                              std::vector<PartnerSpec> partners) {
  Node n;
  n.id = id;
  n.jurisdiction = jurisdiction;
  n.partners = std::move(partners);
  n.port = FreePort();
  n.address = "127.0.0.1:" + std::to_string(n.port);
  const std::string base = dir_ + "/" + id;
  fs::create_directories(base + "/policy");
  n.socket = base + "/admin.sock";
  n.config = base + "/node.yaml";
  n.data_dir = base + "/data";
  n.log = base + "/node.log";
  n.policy_dir = base + "/policy";
  if (per_agency_) {
    Check(Run({source("certs/make-certs.sh"), "agency", dir_ + "/agencies", trust_domain_,
               "agency-" + id, "--ca-dir", dir_ + "/ca", id}),
          "make agency CA for " + id);
    n.cert = AgencyCaDir(id) + "/" + id + ".pem";
    n.key = AgencyCaDir(id) + "/" + id + ".key";
  } else {
    auto [cert, key] = IssueCert(id);
    n.cert = cert;
    n.key = key;
  }
  std::string local(64, 'a');
  for (auto& c : local) c = "0123456789abcdef"[std::rand() % 16];
  WriteFile(base + "/local.key", local + "\n", 0600);
  nodes_.emplace(id, std::move(n));
}

void LocalFederation::WriteConfig(Node& n) {
  std::string issuers;
  if (per_agency_) {
    issuers = "  issuers:\n";
    for (const auto& [id, other] : nodes_) {
      issuers += "    - name: agency-" + id + "\n      ca_file: " + AgencyCaDir(id) +
                 "/ca.pem\n      nodes: [" + id + "]\n";
    }
  }
  std::string peers;
  for (const auto& [id, other] : nodes_) {
    if (id == n.id) continue;
    peers += "  - id: " + id + "\n    address: " + other.address + "\n";
    // Members know the hub and every peer's jurisdiction.
    if (other.role == "hub") peers += "    role: hub\n";
    if (!other.jurisdiction.empty()) peers += "    jurisdiction: " + other.jurisdiction + "\n";
  }
  WriteFile(n.config,
            "node_id: " + n.id + "\nfederation: " + trust_domain_ + "\njurisdiction: " +
                n.jurisdiction + "\nrole: " + n.role + "\nlisten: " + n.address +
                "\nadmin_socket: " + n.socket + "\ntls:\n  ca_cert: " + ca_cert() +
                "\n  cert: " + n.cert + "\n  key: " + n.key + "\n" + issuers + n.tls_extra +
                "data_dir: " + n.data_dir +
                // A hub holds no federation key (it must not reverse what it relays).
                (n.role == "hub" ? std::string()
                                 : "\nfederation_key_file: " + dir_ + "/federation.key") +
                "\nlocal_key_file: " + dir_ +
                "/" + n.id + "/local.key\npolicy_dir: " + n.policy_dir +
                "\ncontact: ops@" + n.id + ".example\nlog_file: " + n.log +
                "\nlog_level: debug\n" + n.extra_yaml + (peers.empty() ? "" : "peers:\n" + peers));
  for (const auto& p : n.partners) {
    WriteFile(n.policy_dir + "/" + p.id + ".yaml",
              "partners:\n  - partner: " + p.id + "\n    types: " + p.types +
                  "\n    disclosure: " + p.disclosure + "\n    max_tlp: " + p.max_tlp +
                  "\n    purposes: " + p.purposes + "\n    legal_basis: \"" + p.legal_basis +
                  "\"\n" + p.extra);
  }
}

void LocalFederation::Start() {
  for (auto& [id, n] : nodes_) WriteConfig(n);
  for (auto& [id, n] : nodes_) Launch(n);
  for (auto& [id, n] : nodes_) WaitReady(n);
}

void LocalFederation::Launch(Node& n, const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv;
  if (!n.env.empty()) {  // env(1) execs the node: same pid.
    argv.push_back("/usr/bin/env");
    argv.insert(argv.end(), n.env.begin(), n.env.end());
  }
  argv.insert(argv.end(), {bin("ifed-node"), "--config", n.config});
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  n.process = Process(argv, n.log + ".stderr");
}

void LocalFederation::StartNode(const std::string& id,
                                const std::vector<std::string>& extra_args) {
  Node& n = nodes_.at(id);
  Launch(n, extra_args);
  WaitReady(n);
}

void LocalFederation::StopNode(const std::string& id) { nodes_.at(id).process.Stop(); }

void LocalFederation::WaitReady(Node& n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!n.process.running()) {
      throw std::runtime_error("node " + n.id + " exited: " + ReadFile(n.log + ".stderr"));
    }
    if (fs::exists(n.socket) && Ctl(n.id, {"stats"}).exit_code == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("node " + n.id + " not ready: " + ReadFile(n.log + ".stderr"));
}

RunResult LocalFederation::Ctl(const std::string& id, std::vector<std::string> args) const {
  std::vector<std::string> argv = {bin("ifedctl"), "--socket", nodes_.at(id).socket};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv);
}

std::string LocalFederation::AllLogs() const {
  std::string all;
  for (const auto& [id, n] : nodes_) all += ReadFile(n.log) + ReadFile(n.log + ".stderr");
  return all;
}

}  // namespace ifed::testing
