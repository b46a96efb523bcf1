// ifedctl keys status | rotate --epoch N --key-file F [--wait] | drop --epoch N
//
// Federation key epochs at run time. `rotate` puts the new key
// file in force (it must keep the current epoch), then the node
// re-pseudonymises every record from its sealed value in the background
// while both epochs are served; `--wait` follows the progress until done.
// `drop` removes an old epoch after the overlap: its pseudonyms stop
// matching.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "absl/strings/str_join.h"
#include "node/cli/cli.h"

namespace ifed::cli {
namespace {

void Print(const ifed::v1::KeysResponse& r) {
  std::cout << "current epoch    " << r.current_epoch() << "\n"
            << "key set          " << absl::StrJoin(r.epochs(), ",") << "\n"
            << "indexed epochs   " << absl::StrJoin(r.indexed_epochs(), ",") << "\n"
            << "records          " << r.records() << "\n";
  if (r.rotating()) {
    std::cout << "rotation         to epoch " << r.rotation_epoch() << ": " << r.rotated() << " of "
              << r.records() << " records\n";
  } else if (r.rotation_epoch() != 0) {
    std::cout << "rotation         to epoch " << r.rotation_epoch() << " done";
    if (r.rotation_ms() > 0) std::cout << " (" << r.rotation_ms() << " ms)";
    std::cout << "\n";
  }
  if (!r.last_error().empty()) std::cout << "last error       " << r.last_error() << "\n";
}

}  // namespace

int KeysCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  const std::string action = a.positional.empty() ? "status" : a.positional[0];
  if (action != "status" && action != "rotate" && action != "drop") {
    std::cerr << "ifedctl keys: usage: keys status | rotate --epoch N --key-file F [--wait] | "
                 "drop --epoch N\n";
    return 2;
  }
  ifed::v1::KeysRequest req;
  req.set_action(action);
  if (action != "status") {
    char* end = nullptr;
    const std::string epoch = a.Get("--epoch");
    const unsigned long n = std::strtoul(epoch.c_str(), &end, 10);
    if (epoch.empty() || *end != '\0' || n == 0 || n > 0xffffffffUL) {
      std::cerr << "ifedctl keys " << action << ": --epoch: a positive integer is required\n";
      return 2;
    }
    req.set_epoch(static_cast<uint32_t>(n));
  }
  if (action == "rotate") {
    if (a.Get("--key-file").empty()) {
      std::cerr << "ifedctl keys rotate: --key-file is required\n";
      return 2;
    }
    char path[4096];
    // The node opens the file itself: give it an absolute path.
    req.set_key_file(::realpath(a.Get("--key-file").c_str(), path) != nullptr
                         ? std::string(path)
                         : a.Get("--key-file"));
  }
  ifed::v1::KeysResponse r;
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub.Keys(&ctx, req, &r);
    if (!s.ok()) return RpcFailed(s, a.socket);
  }
  while (action == "rotate" && a.Flag("--wait") && r.rotating()) {
    std::cerr << "\rrotating: " << r.rotated() << " of " << r.records() << " records" << std::flush;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ifed::v1::KeysRequest status;
    status.set_action("status");
    grpc::ClientContext ctx;
    grpc::Status s = stub.Keys(&ctx, status, &r);
    if (!s.ok()) return RpcFailed(s, a.socket);
  }
  if (action == "rotate" && a.Flag("--wait")) std::cerr << "\n";
  Print(r);
  return r.last_error().empty() ? 0 : 1;
}

}  // namespace ifed::cli
