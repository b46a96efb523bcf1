// ifedctl deconflict (--peer ID... | --all | --hub) --type url|handle [--json] VALUE...
//: before a referral asks a platform to take a page down, ask
// the peers whether any of them holds it under an investigative hold. One
// line per value and peer: VALUE CANONICAL PEER clear|held CONTACT. A
// summary line per value says HELD when any peer holds it. Exit 3 when a
// value is held (do not refer it), 1 on errors, 0 when all are clear.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "node/cli/cli.h"
#include "node/common/json.h"

namespace ifed::cli {

int DeconflictCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  ifed::v1::LocalDeconflictRequest req;
  ifed::v1::IndicatorType type;
  if (!TypeOption(a, &type)) return 2;
  if (type != ifed::v1::URL && type != ifed::v1::HANDLE) {
    std::cerr << "ifedctl: deconflict --type url|handle\n";
    return 2;
  }
  req.set_type(type);
  req.set_all(a.Flag("--all"));
  req.set_hub(a.Flag("--hub"));
  if (a.options.count("--peer")) {
    for (const std::string& p : a.options.at("--peer")) req.add_peers(p);
  }
  if ((req.all() || req.peers_size() > 0) == req.hub()) {
    std::cerr << "ifedctl: deconflict needs --peer ID, --all or --hub (one of them)\n";
    return 2;
  }
  for (const std::string& v : a.positional) req.add_values(v);
  if (req.values_size() == 0) {
    std::cerr << "ifedctl: deconflict needs at least one VALUE\n";
    return 2;
  }
  grpc::ClientContext ctx;
  ifed::v1::LocalDeconflictResponse r;
  grpc::Status s = stub.Deconflict(&ctx, req, &r);
  if (!s.ok()) return RpcFailed(s, a.socket);
  const bool json = a.Flag("--json");
  int rc = 0;
  for (int i = 0; i < r.items_size(); ++i) {
    const auto& item = r.items(i);
    const std::string& value = req.values(i);
    if (!item.ok()) {
      std::cout << value << "\terror: " << item.error() << "\n";
      rc = std::max(rc, 1);
      continue;
    }
    bool held = false;
    for (const auto& p : item.peers()) {
      const bool h = p.status() == ifed::v1::HOLD_HELD;
      held |= h;
      if (json) {
        std::cout << "{\"value\":\"" << JsonEscape(value) << "\",\"canonical\":\""
                  << JsonEscape(item.canonical()) << "\",\"peer\":\"" << p.peer() << "\",\"status\":\""
                  << (h ? "held" : "clear") << "\",\"contact\":\"" << JsonEscape(p.contact()) << "\"}\n";
      } else {
        std::cout << value << "\t" << item.canonical() << "\t" << p.peer() << "\t"
                  << (h ? "held" : "clear") << "\t" << (p.contact().empty() ? "-" : p.contact()) << "\n";
      }
    }
    if (!json) {
      std::cout << "  => " << item.canonical() << ": "
                << (held ? "HELD: do not refer for removal; talk to the holder first"
                         : item.peers_size() > 0 ? "clear (no peer that answered holds it)"
                                                 : "no answer")
                << "\n";
    }
    if (held) rc = 3;
  }
  for (const auto& e : r.peer_errors()) {
    std::cerr << "peer " << e.peer() << ": " << e.message() << "\n";
    if (rc == 0) rc = 1;
  }
  return rc;
}

}  // namespace ifed::cli
