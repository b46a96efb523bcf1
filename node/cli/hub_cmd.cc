// ifedctl hub stats: the hub's aggregate statistics. Pseudonyms
// appear only as digests; no value, no case or record reference.
#include <fstream>
#include <iostream>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "node/cli/cli.h"

namespace ifed::cli {

int HubCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  if (a.positional.empty() || (a.positional[0] != "stats" && a.positional[0] != "report")) {
    std::cerr << "ifedctl: hub stats|report [--min-jurisdictions N] [--json] [--dot FILE]\n";
    return 2;
  }
  ifed::v1::HubStatsRequest req;
  if (a.Flag("--min-jurisdictions")) {
    uint32_t n = 0;
    if (!absl::SimpleAtoi(a.Get("--min-jurisdictions"), &n) || n < 1 || n > 1000) {
      std::cerr << "ifedctl: --min-jurisdictions takes a number from 1 to 1000\n";
      return 2;
    }
    req.set_min_jurisdictions(n);
  }
  grpc::ClientContext ctx;
  ifed::v1::HubStatsResponse r;
  grpc::Status s = stub.HubStats(&ctx, req, &r);
  if (!s.ok()) return RpcFailed(s, a.socket);
  if (a.Flag("--dot")) {  // clusters and the jurisdictions they link, for Graphviz.
    std::ofstream dot(a.Get("--dot"), std::ios::trunc);
    if (!dot) {
      std::cerr << "ifedctl hub: cannot write " << a.Get("--dot") << "\n";
      return 1;
    }
    dot << "graph ifed_hub {\n  node [shape=box];\n";
    std::set<std::string> members;
    for (const auto& c : r.clusters()) members.insert(c.jurisdictions().begin(), c.jurisdictions().end());
    for (const auto& m : members) dot << "  \"" << m << "\" [shape=ellipse];\n";
    for (const auto& c : r.clusters()) {
      dot << "  \"" << c.digest() << "\" [label=\"" << TypeStr(c.type()) << " "
          << c.digest().substr(0, 8) << "\\n" << c.hits() << " hits\"];\n";
      for (const auto& j : c.jurisdictions()) dot << "  \"" << c.digest() << "\" -- \"" << j << "\";\n";
    }
    // Networks: the cases (opaque ids) that link their pseudonyms.
    std::set<std::string> shown;
    for (const auto& c : r.clusters()) shown.insert(c.digest());
    for (int i = 0; i < r.networks_size(); ++i) {
      const auto& n = r.networks(i);
      dot << "  subgraph cluster_" << i << " {\n    label=\"network " << i + 1 << ": "
          << n.jurisdictions_size() << " jurisdictions, " << n.hits() << " hits\";\n";
      for (const auto& d : n.digests()) {
        if (shown.insert(d).second) dot << "    \"" << d << "\" [label=\"" << d.substr(0, 8) << "\"];\n";
      }
      for (const auto& c : n.cases()) {
        dot << "    \"case:" << c.case_id() << "\" [shape=diamond, label=\"case "
            << c.case_id().substr(0, 8) << "\"];\n";
      }
      dot << "  }\n";
    }
    for (const auto& n : r.networks()) {
      for (const auto& c : n.cases()) {
        for (const auto& d : c.digests()) {  // the case asked for it, and it hit
          dot << "  \"case:" << c.case_id() << "\" -- \"" << d << "\" [style=dashed];\n";
        }
      }
    }
    dot << "}\n";
  }
  if (a.Flag("--json")) {
    std::cout << "{\"queries\":" << r.queries() << ",\"items\":" << r.items()
              << ",\"hits\":" << r.hits() << ",\"pairs\":[";
    for (int i = 0; i < r.pairs_size(); ++i) {
      const auto& p = r.pairs(i);
      std::cout << (i ? "," : "") << "{\"querier\":\"" << p.querier() << "\",\"member\":\""
                << p.member() << "\",\"queries\":" << p.queries() << ",\"items\":" << p.items()
                << ",\"hits\":" << p.hits() << "}";
    }
    std::cout << "],\"clusters\":[";
    for (int i = 0; i < r.clusters_size(); ++i) {
      const auto& c = r.clusters(i);
      std::cout << (i ? "," : "") << "{\"digest\":\"" << c.digest() << "\",\"type\":\""
                << TypeStr(c.type()) << "\",\"jurisdictions\":[\""
                << absl::StrJoin(c.jurisdictions(), "\",\"") << "\"],\"hits\":" << c.hits()
                << ",\"first_seen\":" << c.first_seen() << ",\"last_seen\":" << c.last_seen()
                << "}";
    }
    std::cout << "],\"networks\":[";
    for (int i = 0; i < r.networks_size(); ++i) {
      const auto& n = r.networks(i);
      std::cout << (i ? "," : "") << "{\"digests\":[\"" << absl::StrJoin(n.digests(), "\",\"")
                << "\"],\"jurisdictions\":[\"" << absl::StrJoin(n.jurisdictions(), "\",\"")
                << "\"],\"hits\":" << n.hits() << ",\"first_seen\":" << n.first_seen()
                << ",\"last_seen\":" << n.last_seen() << ",\"cases\":[";
      for (int j = 0; j < n.cases_size(); ++j) {
        std::cout << (j ? "," : "") << "{\"case_id\":\"" << n.cases(j).case_id()
                  << "\",\"digests\":[\"" << absl::StrJoin(n.cases(j).digests(), "\",\"") << "\"]}";
      }
      std::cout << "]}";
    }
    std::cout << "],\"k_threshold\":" << r.k_threshold() << ",\"suppressed\":" << r.suppressed()
              << "}\n";
    return 0;
  }
  std::cout << "queries " << r.queries() << "  items " << r.items() << "  hits " << r.hits()
            << "  k " << r.k_threshold() << "  suppressed " << r.suppressed() << "\n";
  for (const auto& t : r.by_type()) std::cout << "hits " << TypeStr(t.type()) << " " << t.count() << "\n";
  for (const auto& d : r.days()) {
    std::cout << "day " << d.day() << " queries " << d.queries() << " hits " << d.hits() << "\n";
  }
  for (const auto& p : r.pairs()) {
    std::cout << "pair " << p.querier() << " -> " << p.member() << " queries " << p.queries()
              << " items " << p.items() << " hits " << p.hits() << "\n";
  }
  for (const auto& c : r.clusters()) {
    std::cout << "cluster " << c.digest() << "\t" << TypeStr(c.type()) << "\t"
              << c.jurisdictions_size() << "\t" << absl::StrJoin(c.jurisdictions(), ",") << "\t"
              << c.hits() << "\n";
  }
  // network <digests> <jurisdiction count> <jurisdictions> <hits> <cases> <first> <last>
  for (const auto& n : r.networks()) {
    std::cout << "network " << absl::StrJoin(n.digests(), ",") << "\t" << n.jurisdictions_size()
              << "\t" << absl::StrJoin(n.jurisdictions(), ",") << "\t" << n.hits() << "\t"
              << n.cases_size() << " cases\t" << n.first_seen() << "\t" << n.last_seen() << "\n";
  }
  return 0;
}

}  // namespace ifed::cli
