#include "node/cli/cli.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "node/cli/help.h"
#include "node/common/indicator_type.h"

namespace ifed::cli {

bool IsFlag(const std::string& name) { return IsNoValueOption(name); }

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
      if (!IsFlag(s) && !has_value) {
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

namespace {

// Whether something accepts connections on the unix socket `path` (a node
// that answers UNAVAILABLE itself, e.g. for a failed store write, does).
bool SocketAnswers(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

int RpcFailed(const grpc::Status& s, const std::string& socket) {
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE && !SocketAnswers(socket)) {
    std::cerr << "ifedctl: cannot reach the node at " << socket << ": " << s.error_message()
              << "\n";
    return kExitUnreachable;
  }
  std::cerr << "ifedctl: " << s.error_message() << "\n";
  return kExitFailed;
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


bool ParseTime(const std::string& s, int64_t* ms) {
  if (s.empty()) {
    *ms = 0;
    return true;
  }
  if (s.find_first_not_of("0123456789") == std::string::npos) {
    *ms = std::stoll(s);
    return true;
  }
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) {
    tm = {};
    end = strptime(s.c_str(), "%Y-%m-%d", &tm);
  }
  if (end == nullptr || (*end != '\0' && std::string(end) != "Z")) return false;
  *ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  return true;
}

}  // namespace ifed::cli
