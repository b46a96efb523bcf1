// ifedctl erase:
//   erase --type T [--region CC] VALUE...     records of these values
//   erase --type T [--region CC] --file F     one value per line of F
//   erase --case CASE_REF                     every record of a case
//   erase --expired                           run the expiry sweep now
// All or nothing: an invalid value refuses the whole request. Values are
// never echoed.
#include <fstream>
#include <iostream>

#include "node/cli/cli.h"

namespace ifed::cli {

int EraseCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  if (a.Flag("--expired")) {
    grpc::ClientContext ctx;
    ifed::v1::SweepResponse r;
    grpc::Status s = stub.Sweep(&ctx, ifed::v1::SweepRequest(), &r);
    if (!s.ok()) return RpcFailed(s, a.socket);
    std::cout << "expired records removed: " << r.removed() << "\n";
    return 0;
  }
  ifed::v1::EraseRequest req;
  if (a.Flag("--case")) {
    if (!a.positional.empty() || a.Flag("--type") || a.Flag("--file")) {
      std::cerr << "ifedctl erase: --case takes no values or --type\n";
      return 2;
    }
    req.set_case_ref(a.Get("--case"));
  } else {
    ifed::v1::IndicatorType type;
    if (!TypeOption(a, &type)) return 2;
    req.set_type(type);
    req.set_region(a.Get("--region"));
    for (const std::string& v : a.positional) req.add_values(v);
    if (a.Flag("--file")) {
      std::ifstream in(a.Get("--file"));
      if (!in) {
        std::cerr << "ifedctl erase: cannot read " << a.Get("--file") << "\n";
        return 1;
      }
      for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) req.add_values(line);
      }
    }
    if (req.values_size() == 0) {
      std::cerr << "ifedctl erase: no values (give VALUE..., --file F or --case REF)\n";
      return 2;
    }
  }
  grpc::ClientContext ctx;
  ifed::v1::EraseResponse r;
  grpc::Status s = stub.Erase(&ctx, req, &r);
  if (!s.ok()) return RpcFailed(s, a.socket);
  std::cout << "erased records: " << r.erased();
  if (!req.case_ref().empty()) {
    std::cout << "\n";
  } else {
    std::cout << " (values without a record: " << r.not_found() << ")\n";
  }
  return 0;
}

}  // namespace ifed::cli
