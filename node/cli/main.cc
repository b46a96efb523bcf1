// ifedctl: the command line of the agency's staff, talking to their own node
// over its admin unix socket.
#include <iostream>
#include <map>

#include "node/cli/cli.h"
#include "node/cli/help.h"
#include "node/common/version.h"
#include "node/normalize/normalizer.h"

using namespace ifed::cli;

int main(int argc, char** argv) {
  Args a;
  std::string err;
  if (!Parse(argc, argv, &a, &err)) {
    std::cerr << "ifedctl: " << err << " (ifedctl help" << (a.command.empty() ? "" : " ")
              << a.command << ")\n";
    return kExitUsage;
  }
  if (a.Flag("--version")) {
    std::cout << ifed::version::VersionText("ifedctl", ifed::normalize::kCanonicalVersion);
    return kExitOk;
  }
  if (a.command.empty()) {
    (a.Flag("--help") ? std::cout : std::cerr) << UsageText();
    return a.Flag("--help") ? kExitOk : kExitUsage;
  }
  if (a.command == "help" || a.Flag("--help")) {
    const std::string name = a.command == "help" ? (a.positional.empty() ? "" : a.positional[0])
                                                 : a.command;
    if (name.empty()) {
      std::cout << UsageText();
      return kExitOk;
    }
    const VerbHelp* v = FindVerb(name);
    if (v == nullptr) {
      std::cerr << "ifedctl: unknown verb '" << name << "' (ifedctl help)\n";
      return kExitUsage;
    }
    std::cout << VerbHelpText(*v);
    return kExitOk;
  }
  static const std::map<std::string, Command> kCommands = {
      {"ingest", IngestCommand},
      {"normalize", NormalizeCommand},
      {"match", MatchCommand},
      {"stats", StatsCommand},
      {"health", HealthCommand},
      {"policy", PolicyCommand},
      {"audit", AuditCommand},
      {"peers", PeersCommand},
      {"filters", FiltersCommand},
      {"erase", EraseCommand},
      {"backup", BackupCommand},
      {"hub", HubCommand},
      {"followups", FollowUpsCommand},
      {"followup", FollowUpsCommand},
      {"extract", ExtractCommand},
      {"records", RecordsCommand},
      {"hold", HoldCommand},
      {"deconflict", DeconflictCommand},
      {"watch", WatchCommand},
      {"hits", HitsCommand},
      {"keys", KeysCommand},
      {"alerts", WatchCommand},
  };
  auto it = kCommands.find(a.command);
  if (it == kCommands.end()) {
    std::cerr << "ifedctl: unknown verb '" << a.command << "' (ifedctl help)\n";
    return kExitUsage;
  }
  // Offline without a socket: normalize and extract (pure functions of the
  // input), policy check/explain --dir, audit on files.
  if (a.socket.empty() && a.command != "policy" && a.command != "extract" &&
      a.command != "normalize" && !(a.command == "audit" && AuditOffline(a))) {
    std::cerr << "ifedctl: no node socket: give --socket PATH or set IFED_SOCKET\n";
    return kExitUsage;
  }
  auto stub = Connect(a.socket);
  return it->second(a, *stub);
}
