// ifedctl: the command line of the agency's staff, talking to their own node
// over its admin unix socket.
#include <iostream>
#include <map>

#include "node/cli/cli.h"

namespace {

constexpr char kUsage[] = R"(usage: ifedctl [--socket PATH] COMMAND [ARGS]

The socket defaults to $IFED_SOCKET.

commands:
  ingest FILE.csv
      Store indicators. CSV header: type,value,case_ref,tlp[,crime_area][,region].
      A bad row is reported with its line; then nothing is stored.
  normalize --type T [--region CC] [--json] VALUE...
      Print the canonical form of each value (or "error: <reason>").
  match (--peer ID... | --all) [--purpose P] [--hits-only] [--json]
        (--type T [--region CC] VALUE... | --file FILE.csv)
      Ask peers whether they hold the values. One line per value and peer:
      VALUE  CANONICAL  TYPE  PEER  HIT|NO_HIT  REFERENCE
  stats [--json]
      Record counts and query counters of the node.

types: phone handle url email iban crypto imei
)";

}  // namespace

using namespace ifed::cli;

int main(int argc, char** argv) {
  Args a;
  std::string err;
  if (!Parse(argc, argv, &a, &err)) {
    std::cerr << "ifedctl: " << err << "\n" << kUsage;
    return 2;
  }
  if (a.Flag("--help") || a.command.empty() || a.command == "help") {
    std::cout << kUsage;
    return a.command.empty() && !a.Flag("--help") ? 2 : 0;
  }
  static const std::map<std::string, Command> kCommands = {
      {"ingest", IngestCommand},
      {"normalize", NormalizeCommand},
      {"match", MatchCommand},
      {"stats", StatsCommand},
  };
  auto it = kCommands.find(a.command);
  if (it == kCommands.end()) {
    std::cerr << "ifedctl: unknown command '" << a.command << "'\n" << kUsage;
    return 2;
  }
  if (a.socket.empty()) {
    std::cerr << "ifedctl: no node socket: give --socket PATH or set IFED_SOCKET\n";
    return 2;
  }
  auto stub = Connect(a.socket);
  return it->second(a, *stub);
}
