// ifedctl filters sync [--peer ID|HUB/MEMBER]... [--hub] [--json]
// Fetches each OPRF peer's filter of its OPRF outputs, pinning the
// peer's OPRF public key on first contact. A changed key is an error.
// --hub: every member the configured hub relays to, through it.
#include <iostream>

#include "node/cli/cli.h"
#include "node/common/logging.h"

namespace ifed::cli {

using ifed::logging::JsonEscape;

int FiltersCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  if (a.positional.size() != 1 || a.positional[0] != "sync") {
    std::cerr << "ifedctl: usage: filters sync [--peer ID|HUB/MEMBER]... [--hub] [--json]\n";
    return 2;
  }
  ifed::v1::FiltersSyncRequest req;
  req.set_hub(a.Flag("--hub") || a.Flag("--via-hub"));
  if (a.options.count("--peer")) {
    for (const auto& p : a.options.at("--peer")) req.add_peers(p);
  }
  grpc::ClientContext ctx;
  ifed::v1::FiltersSyncResponse resp;
  grpc::Status s = stub.FiltersSync(&ctx, req, &resp);
  if (!s.ok()) return RpcFailed(s, a.socket);
  int rc = 0;
  const bool json = a.Flag("--json");
  if (json) std::cout << "[";
  for (int i = 0; i < resp.peers_size(); ++i) {
    const auto& p = resp.peers(i);
    if (!p.ok()) rc = 1;
    if (json) {
      std::cout << (i ? "," : "") << "{\"peer\":\"" << JsonEscape(p.peer())
                << "\",\"ok\":" << (p.ok() ? "true" : "false") << ",\"items\":" << p.items()
                << ",\"bytes\":" << p.bytes() << ",\"digest\":\"" << p.digest()
                << "\",\"changed\":" << (p.changed() ? "true" : "false")
                << ",\"key_pinned\":" << (p.key_pinned() ? "true" : "false")
                << ",\"version\":" << p.version() << ",\"delta\":" << (p.delta() ? "true" : "false")
                << ",\"added\":" << p.added() << ",\"removed\":" << p.removed()
                << ",\"key_rotated\":" << (p.key_rotated() ? "true" : "false")
                << ",\"rotation_announced\":" << (p.rotation_announced() ? "true" : "false")
                << ",\"error\":\"" << JsonEscape(p.error()) << "\"}";
    } else if (p.ok()) {
      std::cout << p.peer() << "\t" << (p.changed() ? "updated" : "unchanged") << "\t"
                << p.items() << " items\t" << p.digest() << "\tversion " << p.version();
      if (p.changed()) {
        if (p.delta()) {
          std::cout << "\tdelta +" << p.added() << " -" << p.removed();
        } else {
          std::cout << "\tsnapshot " << p.bytes() << " bytes";
        }
      }
      std::cout << (p.key_pinned() ? "\tkey pinned" : "")
                << (p.key_rotated() ? "\tkey rotated as announced" : "")
                << (p.rotation_announced() ? "\tkey rotation announced" : "") << "\n";
    } else {
      std::cerr << "peer " << p.peer() << ": " << p.error() << "\n";
    }
  }
  if (json) std::cout << "]\n";
  if (resp.peers_size() == 0 && !json) std::cerr << "no OPRF peer to sync\n";
  return rc;
}

}  // namespace ifed::cli
