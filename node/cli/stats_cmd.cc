// ifedctl stats
#include <iostream>

#include "absl/strings/str_cat.h"
#include "node/cli/cli.h"
#include "node/common/logging.h"

namespace ifed::cli {

using ifed::logging::JsonEscape;

int StatsCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  grpc::ClientContext ctx;
  ifed::v1::StatsResponse r;
  grpc::Status s = stub.Stats(&ctx, ifed::v1::StatsRequest(), &r);
  if (!s.ok()) return RpcFailed(s, a.socket);
  if (a.Flag("--json")) {
    std::cout << "{\"node_id\":\"" << r.node_id() << "\",\"jurisdiction\":\"" << r.jurisdiction()
              << "\",\"records\":" << r.records() << ",\"by_type\":{";
    for (int i = 0; i < r.by_type_size(); ++i) {
      std::cout << (i ? "," : "") << "\"" << TypeStr(r.by_type(i).type())
                << "\":" << r.by_type(i).count();
    }
    std::cout << "},\"inbound_queries\":" << r.inbound_queries()
              << ",\"inbound_items\":" << r.inbound_items()
              << ",\"inbound_hits\":" << r.inbound_hits()
              << ",\"denied_queries\":" << r.denied_queries()
              << ",\"outbound_queries\":" << r.outbound_queries() << ",\"epoch\":" << r.epoch()
              << ",\"uptime_seconds\":" << r.uptime_seconds() << "}\n";
    return 0;
  }
  std::cout << "node             " << r.node_id() << " (" << r.jurisdiction() << ")\n"
            << "records          " << r.records() << "\n";
  for (const auto& t : r.by_type()) {
    std::cout << "  " << TypeStr(t.type()) << std::string(15 - TypeStr(t.type()).size(), ' ')
              << t.count() << "\n";
  }
  std::cout << "inbound queries  " << r.inbound_queries() << " (" << r.inbound_items()
            << " items, " << r.inbound_hits() << " hits, " << r.denied_queries() << " denied)\n"
            << "outbound queries " << r.outbound_queries() << "\n"
            << "key epoch        " << r.epoch() << "\n"
            << "uptime           " << r.uptime_seconds() << " s\n";
  return 0;
}

}  // namespace ifed::cli
