// ifed-console: the agency's web console for its own ifed-node.
//   ifed-console --config FILE [--check-config]
//   ifed-console hash-password [--log2-n N]   (password on stdin)
//   ifed-console --version | --help
// Runs in the foreground; SIGTERM/SIGINT stop it. A changed staff file is
// read at the next start.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "node/common/logging.h"
#include "node/common/version.h"
#include "node/console/password.h"
#include "node/console/routes.h"
#include "node/console/server.h"
#include "node/console/taxii_routes.h"
#include "node/normalize/normalizer.h"

namespace {

constexpr char kUsage[] =
    "usage: ifed-console --config FILE [--check-config]\n"
    "       ifed-console hash-password [--log2-n N]   (reads the password from stdin)\n"
    "       ifed-console --version | --help\n"
    "Serves the web console of an ifed-node over HTTPS (docs/console.md).\n";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int HashPasswordCommand(int argc, char** argv) {
  ifed::console::ScryptParams params;
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--log2-n" && i + 1 < argc &&
        absl::SimpleAtoi(argv[i + 1], &params.log2_n)) {
      ++i;
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  std::string password;
  std::getline(std::cin, password);
  absl::StatusOr<std::string> hash = ifed::console::HashPassword(password, params);
  if (!hash.ok()) {
    std::cerr << "ifed-console hash-password: " << hash.status().message() << "\n";
    return 1;
  }
  std::cout << *hash << "\n";
  return 0;
}

// The static assets: web_dir when configured, else share/ifed/console
// beside the binary's bin/ directory (the build tree and an install alike).
std::string WebDir(const ifed::v1::ConsoleConfig& c, const char* argv0) {
  if (!c.web_dir().empty()) return c.web_dir();
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = argv0;
  return (self.parent_path().parent_path() / "share" / "ifed" / "console").string();
}

int Serve(const ifed::v1::ConsoleConfig& config, const char* argv0) {
  using namespace ifed::console;
  absl::StatusOr<std::unique_ptr<StaffDirectory>> staff = StaffDirectory::Load(config.staff_file());
  if (!staff.ok()) {
    std::cerr << "ifed-console: " << staff.status().message() << "\n";
    return 1;
  }
  SessionStore sessions(
      SessionLimits{.idle_ms = int64_t{config.session_idle_seconds()} * 1000,
                    .absolute_ms = int64_t{config.session_absolute_seconds()} * 1000},
      NowMs);
  AuthOptions auth_options{
      .local_accounts = config.has_local_accounts() ? config.local_accounts() : true,
      .staff_certificates = !config.tls().staff_ca().empty(),
      .proxy_cn = config.tls().proxy_cn(),
      .proxy_header = absl::AsciiStrToLower(config.tls().proxy_header())};
  Authenticator auth(auth_options, staff->get(), &sessions, NowMs);
  std::unique_ptr<AdminClient> admin =
      AdminClient::ForSocket(config.admin_socket(), static_cast<int>(config.admin_timeout_ms()));
  ConsoleDeps deps{.config = &config, .admin = admin.get(), .staff = staff->get(),
                   .auth = &auth, .now_ms = NowMs, .web_dir = WebDir(config, argv0)};
  Router router(&auth);
  RegisterAll(router, deps);
  if (absl::Status taxii = RegisterTaxiiRoutes(router, deps); !taxii.ok()) {
    std::cerr << "ifed-console: taxii: " << taxii.message() << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<HttpsServer>> server = HttpsServer::Start(config, &router);
  if (!server.ok()) {
    std::cerr << "ifed-console: " << server.status().message() << "\n";
    return 1;
  }
  // Tests and the demo read the bound port from this line.
  std::cout << "ifed-console: serving https://" << config.listen().substr(0, config.listen().rfind(':'))
            << ":" << (*server)->port() << "/" << std::endl;
  spdlog::info("console: serving on port {} ({} staff, web {})", (*server)->port(),
               (*staff)->size(), deps.web_dir);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGTERM || sig == SIGINT) break;
  }
  spdlog::info("console: stopping");
  (*server)->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Case data passes through this process: no core files, no ptrace.
  struct rlimit none = {0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0 || ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    std::cerr << "ifed-console: cannot disable core dumps: " << std::strerror(errno) << "\n";
    return 1;
  }
  if (argc >= 2 && std::string(argv[1]) == "hash-password") return HashPasswordCommand(argc, argv);
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--check-config") {
      check_only = true;
    } else if (a == "--version") {
      std::cout << ifed::version::VersionText("ifed-console", ifed::normalize::kCanonicalVersion);
      return 0;
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  absl::StatusOr<ifed::v1::ConsoleConfig> config = ifed::console::LoadConsoleConfig(config_path);
  if (!config.ok()) {
    std::cerr << "ifed-console: " << config.status().message() << "\n";
    return 1;
  }
  if (check_only) {
    absl::StatusOr<std::unique_ptr<ifed::console::StaffDirectory>> staff =
        ifed::console::StaffDirectory::Load(config->staff_file());
    if (!staff.ok()) {
      std::cerr << "ifed-console: " << staff.status().message() << "\n";
      return 1;
    }
    std::cout << "ifed-console: configuration OK (" << (*staff)->size() << " staff)\n";
    return 0;
  }
  if (absl::Status s = ifed::logging::Init("console", config->log_file(), config->log_level(),
                                           ifed::logging::Format::kAuto);
      !s.ok()) {
    std::cerr << "ifed-console: " << s.message() << "\n";
    return 1;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return Serve(*config, argv[0]);
}
