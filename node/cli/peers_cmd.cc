// ifedctl peers [--json] [--quiet]: each configured peer's health (gRPC
// health check over mTLS, made by the node), last answered check,
// certificate expiry, and the release / commit / canonical version / wire
// protocol the peer announced. A canonical version other than this node's
// is flagged (the same value is keyed differently there). --quiet: the ids
// only, no health check (for shell completion).
#include <ctime>
#include <iostream>

#include "absl/strings/str_format.h"
#include "node/cli/cli.h"
#include "node/common/logging.h"

namespace ifed::cli {
namespace {

std::string Time(int64_t t) {
  if (t == 0) return "-";
  char buf[32];
  std::tm tm{};
  time_t tt = static_cast<time_t>(t);
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int PeersCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  const bool quiet = a.Flag("--quiet");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ifed::v1::PeersRequest req;
  req.set_list_only(quiet);
  ifed::v1::PeersResponse r;
  grpc::Status s = stub.Peers(&ctx, req, &r);
  if (!s.ok()) return RpcFailed(s, a.socket);
  if (quiet) {
    for (const auto& p : r.peers()) std::cout << p.id() << "\n";
    return 0;
  }
  using ifed::logging::JsonEscape;
  if (a.Flag("--json")) {
    for (const auto& p : r.peers()) {
      std::cout << "{\"peer\":\"" << JsonEscape(p.id()) << "\",\"address\":\"" << JsonEscape(p.address())
                << "\",\"health\":\"" << p.health() << "\",\"latency_ms\":" << p.latency_ms()
                << ",\"last_contact\":" << p.last_contact()
                << ",\"cert_not_after\":" << p.cert_not_after() << ",\"error\":\""
                << JsonEscape(p.error()) << "\",\"release\":\"" << JsonEscape(p.release())
                << "\",\"commit\":\"" << JsonEscape(p.commit())
                << "\",\"canon_version\":" << p.canon_version()
                << ",\"wire_version\":" << p.wire_version() << "}\n";
    }
    return 0;
  }
  std::cout << absl::StrFormat("%-12s %-22s %-12s %8s  %-20s  %-20s\n", "PEER", "ADDRESS", "HEALTH",
                               "LATENCY", "LAST CONTACT", "CERT EXPIRES");
  int bad = 0;
  for (const auto& p : r.peers()) {
    std::cout << absl::StrFormat("%-12s %-22s %-12s %6dms  %-20s  %-20s\n", p.id(), p.address(),
                                 p.health(), p.latency_ms(), Time(p.last_contact()),
                                 Time(p.cert_not_after()));
    if (!p.error().empty()) std::cout << "    " << p.error() << "\n";
    if (!p.release().empty() || p.canon_version() != 0) {
      std::cout << "    version " << (p.release().empty() ? "-" : p.release()) << " commit "
                << (p.commit().empty() ? "-" : p.commit()) << " canonical " << p.canon_version()
                << " wire " << p.wire_version() << "\n";
    }
    if (p.canon_version() != 0 && p.canon_version() != r.canon_version()) {
      std::cout << "    CANONICAL VERSION DIFFERS: this node runs " << r.canon_version()
                << "; the same value is keyed differently there\n";
    }
    bad += p.health() != "SERVING";
  }
  if (r.peers_size() == 0) std::cout << "(no peers configured)\n";
  return bad > 0 ? 1 : 0;
}

}  // namespace ifed::cli
