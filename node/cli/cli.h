// Shared pieces of ifedctl: argument parsing, the admin connection, and
// output helpers. Each command lives in its own file and is registered in
// main.cc.
#ifndef IFED_CLI_CLI_H_
#define IFED_CLI_CLI_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "proto/admin.grpc.pb.h"

namespace ifed::cli {

struct Args {
  std::string socket;
  std::string command;
  std::vector<std::string> positional;  // after the command (sub-commands too)
  std::map<std::string, std::vector<std::string>> options;  // --name -> values
  bool Flag(const std::string& n) const { return options.count(n) > 0; }
  std::string Get(const std::string& n) const {
    auto it = options.find(n);
    return it == options.end() || it->second.empty() ? "" : it->second.back();
  }
};

// Exit codes, the same for every verb (help.cc ExitCodes() describes them;
// docs/cli.md and ifedctl(1) print that table).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // ran; an error answer, a refusal, a failed check
inline constexpr int kExitUsage = 2;        // nothing done: bad verb, option or argument
inline constexpr int kExitHeld = 3;         // deconflict: a value is held by a peer
inline constexpr int kExitUnreachable = 4;  // the admin socket does not answer

// Options that take no value. Every other --option takes one (--x v or --x=v).
bool IsFlag(const std::string& name);

bool Parse(int argc, char** argv, Args* a, std::string* err);
std::unique_ptr<ifed::v1::Admin::Stub> Connect(const std::string& socket);
// Prints a failed call; returns kExitUnreachable (naming the socket) when
// the node's admin socket does not accept a connection, else kExitFailed.
int RpcFailed(const grpc::Status& s, const std::string& socket);
std::string TypeStr(int type);
// "" (0), unix milliseconds, or YYYY-MM-DD[THH:MM:SS[Z]] (UTC) -> unix ms.
bool ParseTime(const std::string& s, int64_t* ms);
// Reads --type; prints an error and returns false when missing or unknown.
bool TypeOption(const Args& a, ifed::v1::IndicatorType* type);

using Command = int (*)(const Args&, ifed::v1::Admin::Stub&);

// Commands (one file each).
int IngestCommand(const Args& a, ifed::v1::Admin::Stub& stub);
int NormalizeCommand(const Args& a, ifed::v1::Admin::Stub& stub);
int MatchCommand(const Args& a, ifed::v1::Admin::Stub& stub);
int StatsCommand(const Args& a, ifed::v1::Admin::Stub& stub);
int HealthCommand(const Args& a, ifed::v1::Admin::Stub& stub);  // health_cmd.cc
int PolicyCommand(const Args& a, ifed::v1::Admin::Stub& stub);
int AuditCommand(const Args& a, ifed::v1::Admin::Stub& stub);
int PeersCommand(const Args& a, ifed::v1::Admin::Stub& stub);
int FiltersCommand(const Args& a, ifed::v1::Admin::Stub& stub);  // filters_cmd.cc
int EraseCommand(const Args& a, ifed::v1::Admin::Stub& stub);    // Erase_cmd.cc
int BackupCommand(const Args& a, ifed::v1::Admin::Stub& stub);   // Backup_cmd.cc
int HubCommand(const Args& a, ifed::v1::Admin::Stub& stub);        // Hub_cmd.cc
int FollowUpsCommand(const Args& a, ifed::v1::Admin::Stub& stub);  // Followups_cmd.cc
// Extract_cmd.cc (local, no node), records_cmd.cc (records show,
// hold set|clear), deconflict_cmd.cc.
int ExtractCommand(const Args& a, ifed::v1::Admin::Stub& stub);
int RecordsCommand(const Args& a, ifed::v1::Admin::Stub& stub);
int HoldCommand(const Args& a, ifed::v1::Admin::Stub& stub);
int DeconflictCommand(const Args& a, ifed::v1::Admin::Stub& stub);
int WatchCommand(const Args& a, ifed::v1::Admin::Stub& stub);  // Watch_cmd.cc
int HitsCommand(const Args& a, ifed::v1::Admin::Stub& stub);   // Hits_cmd.cc
int KeysCommand(const Args& a, ifed::v1::Admin::Stub& stub);   // Keys_cmd.cc
// Whether `audit ...` runs on files alone (no node socket needed).
bool AuditOffline(const Args& a);

}  // namespace ifed::cli

#endif  // IFED_CLI_CLI_H_
