// ifedctl: the command line of the agency's staff, talking to their own node
// over its admin unix socket.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "node/cli/rows.h"
#include "node/common/indicator_type.h"
#include "node/common/logging.h"
#include "proto/admin.grpc.pb.h"

namespace {

using ifed::logging::JsonEscape;

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

struct Args {
  std::string socket;
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;  // --name -> values
  bool Flag(const std::string& n) const { return options.count(n) > 0; }
  std::string Get(const std::string& n) const {
    auto it = options.find(n);
    return it == options.end() || it->second.empty() ? "" : it->second.back();
  }
};

const std::map<std::string, bool> kOptions = {  // name -> takes a value
    {"--socket", true}, {"--type", true},      {"--region", true}, {"--peer", true},
    {"--file", true},   {"--purpose", true},   {"--json", false},  {"--all", false},
    {"--hits-only", false}, {"--help", false}};

bool Parse(int argc, char** argv, Args* a, std::string* err) {
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--") {
      for (++i; i < argc; ++i) a->positional.push_back(argv[i]);
      break;
    }
    if (s.rfind("--", 0) == 0) {
      std::string value;
      bool has_value = false;
      if (auto eq = s.find('='); eq != std::string::npos) {
        value = s.substr(eq + 1);
        s = s.substr(0, eq);
        has_value = true;
      }
      auto it = kOptions.find(s);
      if (it == kOptions.end()) {
        *err = absl::StrCat("unknown option ", s);
        return false;
      }
      if (it->second && !has_value) {
        if (i + 1 >= argc) {
          *err = absl::StrCat(s, " needs a value");
          return false;
        }
        value = argv[++i];
      }
      a->options[s].push_back(value);
    } else if (a->command.empty()) {
      a->command = s;
    } else {
      a->positional.push_back(s);
    }
  }
  a->socket = a->Get("--socket");
  if (a->socket.empty()) {
    const char* env = std::getenv("IFED_SOCKET");
    if (env != nullptr) a->socket = env;
  }
  return true;
}

std::unique_ptr<ifed::v1::Admin::Stub> Connect(const std::string& socket) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(16 << 20);
  return ifed::v1::Admin::NewStub(
      grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args));
}

int RpcFailed(const grpc::Status& s, const std::string& socket) {
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    std::cerr << "ifedctl: cannot reach the node at " << socket << ": " << s.error_message()
              << "\n";
  } else {
    std::cerr << "ifedctl: " << s.error_message() << "\n";
  }
  return 1;
}

std::string TypeStr(int t) { return std::string(ifed::TypeName(static_cast<ifed::IndicatorType>(t))); }

bool TypeOption(const Args& a, ifed::v1::IndicatorType* type) {
  auto t = ifed::ParseType(a.Get("--type"));
  if (!t) {
    std::cerr << "ifedctl: --type must be one of phone handle url email iban crypto imei\n";
    return false;
  }
  *type = static_cast<ifed::v1::IndicatorType>(*t);
  return true;
}

int Ingest(const Args& a, ifed::v1::Admin::Stub& stub) {
  if (a.positional.size() != 1) {
    std::cerr << "ifedctl: ingest takes one FILE.csv\n";
    return 2;
  }
  ifed::cli::FileRows file = ifed::cli::ReadRows(a.positional[0], /*for_ingest=*/true);
  if (!file.errors.empty()) {
    for (const auto& e : file.errors) std::cerr << a.positional[0] << ": " << e << "\n";
    std::cerr << "ifedctl: nothing stored\n";
    return 1;
  }
  const bool progress = ::isatty(STDERR_FILENO);
  grpc::ClientContext ctx;
  ifed::v1::IngestResponse response;
  auto writer = stub.Ingest(&ctx, &response);
  constexpr size_t kChunk = 2000;
  for (size_t i = 0; i < file.rows.size(); i += kChunk) {
    ifed::v1::IngestChunk chunk;
    for (size_t j = i; j < std::min(file.rows.size(), i + kChunk); ++j) {
      *chunk.add_rows() = std::move(file.rows[j]);
    }
    if (!writer->Write(chunk)) break;
    if (progress) {
      const size_t done = std::min(file.rows.size(), i + kChunk);
      const int bar = static_cast<int>(30 * done / file.rows.size());
      std::cerr << "\r[" << std::string(bar, '#') << std::string(30 - bar, ' ') << "] " << done
                << "/" << file.rows.size() << " rows" << std::flush;
    }
  }
  if (progress) std::cerr << "\n";
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) return RpcFailed(s, a.socket);
  if (response.errors_size() > 0) {
    for (const auto& e : response.errors()) {
      std::cerr << a.positional[0] << ": line " << e.line() << ": field " << e.field() << ": "
                << e.reason() << "\n";
    }
    std::cerr << "ifedctl: nothing stored\n";
    return 1;
  }
  std::cout << "stored " << response.stored() << " updated " << response.updated() << "\n";
  return 0;
}

int Normalize(const Args& a, ifed::v1::Admin::Stub& stub) {
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

int Match(const Args& a, ifed::v1::Admin::Stub& stub) {
  ifed::v1::LocalMatchRequest req;
  req.set_all(a.Flag("--all"));
  if (a.options.count("--peer")) {
    for (const auto& p : a.options.at("--peer")) req.add_peers(p);
  }
  if (req.all() == (req.peers_size() > 0)) {
    std::cerr << "ifedctl: match needs either --peer ID (repeatable) or --all\n";
    return 2;
  }
  if (a.Flag("--purpose")) {
    auto p = ifed::cli::ParsePurpose(a.Get("--purpose"));
    if (!p) {
      std::cerr << "ifedctl: unknown --purpose (e.g. migrant_smuggling)\n";
      return 2;
    }
    req.set_purpose(*p);
  }
  std::vector<std::string> values;
  if (a.Flag("--file")) {
    if (!a.positional.empty() || a.Flag("--type")) {
      std::cerr << "ifedctl: give either --file or --type with values, not both\n";
      return 2;
    }
    auto file = ifed::cli::ReadRows(a.Get("--file"), /*for_ingest=*/false);
    if (!file.errors.empty()) {
      for (const auto& e : file.errors) std::cerr << a.Get("--file") << ": " << e << "\n";
      return 1;
    }
    for (const auto& r : file.rows) {
      auto* item = req.add_items();
      item->set_type(r.type());
      item->set_value(r.value());
      item->set_region(r.region());
      values.push_back(r.value());
    }
  } else {
    ifed::v1::IndicatorType type;
    if (!TypeOption(a, &type)) return 2;
    if (a.positional.empty()) {
      std::cerr << "ifedctl: match needs at least one VALUE or --file\n";
      return 2;
    }
    for (const auto& v : a.positional) {
      auto* item = req.add_items();
      item->set_type(type);
      item->set_value(v);
      item->set_region(a.Get("--region"));
      values.push_back(v);
    }
  }
  if (req.items_size() == 0) {
    std::cerr << "ifedctl: nothing to match\n";
    return 1;
  }
  grpc::ClientContext ctx;
  ifed::v1::LocalMatchResponse resp;
  grpc::Status s = stub.Match(&ctx, req, &resp);
  if (!s.ok()) return RpcFailed(s, a.socket);
  const bool json = a.Flag("--json"), hits_only = a.Flag("--hits-only");
  int rc = resp.peer_errors_size() > 0 ? 1 : 0;
  if (json) {
    std::cout << "{\"request_id\":\"" << resp.request_id() << "\",\"results\":[";
  }
  bool first = true;
  for (const auto& item : resp.items()) {
    const std::string& value = values[item.index()];
    if (!item.ok()) {
      rc = 1;
      if (json) {
        std::cout << (first ? "" : ",") << "{\"value\":\"" << JsonEscape(value)
                  << "\",\"error\":\"" << JsonEscape(item.error()) << "\"}";
        first = false;
      } else {
        std::cerr << "error: item " << item.index() + 1 << ": " << item.error() << "\n";
      }
      continue;
    }
    for (const auto& p : item.peers()) {
      const bool hit = p.verdict() == ifed::v1::HIT;
      if (hits_only && !hit) continue;
      if (json) {
        std::cout << (first ? "" : ",") << "{\"value\":\"" << JsonEscape(value)
                  << "\",\"canonical\":\"" << JsonEscape(item.canonical()) << "\",\"type\":\""
                  << TypeStr(item.type()) << "\",\"peer\":\"" << p.peer()
                  << "\",\"verdict\":\"" << (hit ? "HIT" : "NO_HIT") << "\",\"reference\":\""
                  << JsonEscape(p.reference()) << "\",\"contact\":\"" << JsonEscape(p.contact())
                  << "\"}";
        first = false;
      } else {
        std::cout << value << "\t" << item.canonical() << "\t" << TypeStr(item.type()) << "\t"
                  << p.peer() << "\t" << (hit ? "HIT" : "NO_HIT") << "\t" << p.reference()
                  << (p.contact().empty() ? "" : "\t" + p.contact()) << "\n";
      }
    }
  }
  if (json) {
    std::cout << "],\"peer_errors\":[";
    for (int i = 0; i < resp.peer_errors_size(); ++i) {
      const auto& e = resp.peer_errors(i);
      std::cout << (i ? "," : "") << "{\"peer\":\"" << e.peer() << "\",\"code\":" << e.code()
                << ",\"message\":\"" << JsonEscape(e.message()) << "\"}";
    }
    std::cout << "]}\n";
  }
  for (const auto& e : resp.peer_errors()) {
    std::cerr << "peer " << e.peer() << ": "
              << grpc::StatusCode(e.code()) << " " << e.message() << "\n";
  }
  return rc;
}

int Stats(const Args& a, ifed::v1::Admin::Stub& stub) {
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

}  // namespace

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
  static const std::map<std::string, int (*)(const Args&, ifed::v1::Admin::Stub&)> kCommands = {
      {"ingest", Ingest}, {"normalize", Normalize}, {"match", Match}, {"stats", Stats}};
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
