// ifedctl peers [--json]: each configured peer's health (gRPC health check
// over mTLS, made by the node), last answered check and certificate expiry.
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
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ifed::v1::PeersResponse r;
  grpc::Status s = stub.Peers(&ctx, ifed::v1::PeersRequest(), &r);
  if (!s.ok()) return RpcFailed(s, a.socket);
  using ifed::logging::JsonEscape;
  if (a.Flag("--json")) {
    for (const auto& p : r.peers()) {
      std::cout << "{\"peer\":\"" << JsonEscape(p.id()) << "\",\"address\":\"" << JsonEscape(p.address())
                << "\",\"health\":\"" << p.health() << "\",\"latency_ms\":" << p.latency_ms()
                << ",\"last_contact\":" << p.last_contact()
                << ",\"cert_not_after\":" << p.cert_not_after() << ",\"error\":\""
                << JsonEscape(p.error()) << "\"}\n";
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
    bad += p.health() != "SERVING";
  }
  if (r.peers_size() == 0) std::cout << "(no peers configured)\n";
  return bad > 0 ? 1 : 0;
}

}  // namespace ifed::cli
