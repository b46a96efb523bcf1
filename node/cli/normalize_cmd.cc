// ifedctl normalize
#include <iostream>

#include "absl/strings/str_cat.h"
#include "node/cli/cli.h"
#include "node/common/logging.h"

namespace ifed::cli {

using ifed::logging::JsonEscape;

int NormalizeCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  ifed::v1::NormalizeRequest req;
  ifed::v1::IndicatorType type;
  if (!TypeOption(a, &type)) return 2;
  if (a.positional.empty()) {
    std::cerr << "ifedctl: normalize needs at least one VALUE\n";
    return 2;
  }
  req.set_type(type);
  req.set_region(a.Get("--region"));
  for (const auto& v : a.positional) req.add_values(v);
  grpc::ClientContext ctx;
  ifed::v1::NormalizeResponse resp;
  grpc::Status s = stub.Normalize(&ctx, req, &resp);
  if (!s.ok()) return RpcFailed(s, a.socket);
  int rc = 0;
  const bool json = a.Flag("--json");
  if (json) std::cout << "[";
  for (int i = 0; i < resp.results_size(); ++i) {
    const auto& r = resp.results(i);
    if (!r.ok()) rc = 1;
    if (json) {
      std::cout << (i ? "," : "") << "{\"input\":\"" << JsonEscape(a.positional[i]) << "\",\"ok\":"
                << (r.ok() ? "true" : "false");
      if (r.ok()) {
        std::cout << ",\"type\":\"" << TypeStr(r.type()) << "\",\"canonical\":\""
                  << JsonEscape(r.canonical()) << "\"}";
      } else {
        std::cout << ",\"error\":\"" << JsonEscape(r.error()) << "\"}";
      }
    } else if (r.ok()) {
      std::cout << (r.type() != type ? TypeStr(r.type()) + ":" : "") << r.canonical() << "\n";
    } else {
      std::cout << "error: " << r.error() << "\n";
    }
  }
  if (json) std::cout << "]\n";
  return rc;
}

}  // namespace ifed::cli
