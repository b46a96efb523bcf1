// LocalFederation: real ifed-node processes with real certificates on
// 127.0.0.1, built from the same scripts a user runs (certs/make-certs.sh).
// Everything lives in a scratch directory removed at the end.
#ifndef IFED_TESTS_FEDERATION_H_
#define IFED_TESTS_FEDERATION_H_

#include <map>
#include <string>
#include <vector>

#include "tests/integration/process.h"

namespace ifed::testing {

struct PartnerSpec {
  std::string id;
  std::string types = "[phone, handle, url, email]";
  std::string disclosure = "hit_with_reference";
  std::string max_tlp = "amber";
  std::string purposes = "[migrant_smuggling]";
  std::string legal_basis = "integration test";
  std::string extra;  // more YAML lines of the rule ("    quota: {items_per_day: 5}\n").
};

class LocalFederation {
 public:
  struct Node {
    std::string id, jurisdiction;
    int port = 0;
    std::string address, socket, config, data_dir, log, cert, key, policy_dir;
    std::vector<PartnerSpec> partners;
    std::string tls_extra;   // extra YAML lines inside `tls:` ("  crl_dir: ...\n").
    std::string extra_yaml;  // extra top-level YAML ("limits:\n  ...\n").
    std::string role = "member";  // "hub" for the hub role.
    std::vector<std::string> env;  // extra environment ("K=V") of the node process.
    Process process;
  };

  explicit LocalFederation(std::string trust_domain = "ifed-test.eu");
  ~LocalFederation();

  // Per-agency issuers (call before AddNode): each node's certificate comes
  // from its own agency's intermediate CA under the federation root
  // (make-certs.sh agency), and every config pins each node id to its
  // agency (tls.issuers). Default: one shared root issues every node.
  void UsePerAgencyIssuers() { per_agency_ = true; }
  // The CA directory of node `id`'s agency (per-agency issuers), to issue
  // more certificates from it with IssueCert.
  std::string AgencyCaDir(const std::string& id) const { return dir_ + "/agencies/agency-" + id; }

  // Declares a node that allows `partners` to query it. Its certificate is
  // made at once; configs are written by Start().
  void AddNode(const std::string& id, const std::string& jurisdiction,
               std::vector<PartnerSpec> partners);
  // Writes configs (every other node is a peer), starts all nodes, and waits
  // until each answers `ifedctl stats`. Throws on failure.
  void Start();
  // `extra_args`: more ifed-node arguments (e.g. {"--restore", DIR}).
  void StartNode(const std::string& id, const std::vector<std::string>& extra_args = {});
  void StopNode(const std::string& id);

  RunResult Ctl(const std::string& id, std::vector<std::string> args) const;
  // A certificate for `id` from this federation's CA (or another CA dir),
  // without a node: for rogue clients. Returns {cert, key}.
  // `extra`: more make-certs.sh options (e.g. --not-after DATE).
  std::pair<std::string, std::string> IssueCert(const std::string& id,
                                                const std::string& ca_dir = "",
                                                const std::vector<std::string>& extra = {});
  // A separate CA ("evil"), with the same subject name as the real one.
  std::string MakeOtherCa(const std::string& name);

  // Every node's log text, concatenated.
  std::string AllLogs() const;

  const std::string& dir() const { return dir_; }
  const std::string& trust_domain() const { return trust_domain_; }
  std::string ca_cert() const { return dir_ + "/ca/ca.pem"; }
  Node& node(const std::string& id) { return nodes_.at(id); }
  std::string bin(const std::string& name) const { return bin_dir_ + "/" + name; }
  std::string source(const std::string& rel) const { return source_dir_ + "/" + rel; }

 private:
  void WriteConfig(Node& n);
  void Launch(Node& n, const std::vector<std::string>& extra_args = {});
  void WaitReady(Node& n);

  std::string trust_domain_, dir_, bin_dir_, source_dir_;
  std::map<std::string, Node> nodes_;
  bool per_agency_ = false;
};

}  // namespace ifed::testing

#endif  // IFED_TESTS_FEDERATION_H_
