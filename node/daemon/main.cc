// ifed-node: the federation node daemon.
//   ifed-node --config FILE [--check-config | --verify-store] | --version | --help
// Runs in the foreground; SIGTERM/SIGINT stop it cleanly, SIGHUP reloads the
// sharing policy.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "node/audit/chain.h"
#include "node/audit/signer.h"
#include "node/cli/help.h"
#include "node/common/logging.h"
#include "node/common/version.h"
#include "node/normalize/normalizer.h"
#include "node/common/status_macros.h"
#include "node/store/store.h"
#include "node/config/node_config.h"
#include "node/daemon/node.h"

namespace {

int Usage() {
  std::cerr << ifed::cli::IfedNodeUsageText();
  return 2;
}

}  // namespace

// Restores the latest backup of `dir` into the (fresh) data dir and
// verifies the restored audit chain, with its signed checkpoints, before the
// node serves anything.
absl::Status RestoreAndVerify(const std::string& dir, const ifed::v1::NodeConfig& c) {
  std::error_code ec;
  std::filesystem::create_directories(c.data_dir(), ec);
  const std::string db = c.data_dir() + "/db";
  IFED_RETURN_IF_ERROR(ifed::store::Store::Restore(dir, db));
  IFED_ASSIGN_OR_RETURN(auto store, ifed::store::Store::Open({.path = db}));
  std::ifstream in(c.tls().cert());
  std::stringstream pem;
  pem << in.rdbuf();
  IFED_ASSIGN_OR_RETURN(auto verifier, ifed::audit::Verifier::FromCertPem(pem.str()));
  ifed::audit::ChainVerifier chain(verifier.get(), /*from_genesis=*/true, {});
  IFED_RETURN_IF_ERROR(store->ScanAudit("", [&](const std::string&, const std::string& line) {
    chain.Add(line);
    return true;
  }));
  ifed::audit::VerifyReport report = chain.Finish();
  if (!report.ok) {
    return absl::DataLossError(absl::StrCat("restored audit chain breaks at seq ",
                                            report.first_bad_seq, ": ", report.error));
  }
  return absl::OkStatus();
}

// Key material and police data must not end up in a core file or be
// readable through ptrace by another process of the same user.
bool DisableCoreDumps() {
  struct rlimit none = {0, 0};
  return ::setrlimit(RLIMIT_CORE, &none) == 0 && ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
}

int main(int argc, char** argv) {
  if (!DisableCoreDumps()) {
    std::cerr << "ifed-node: cannot disable core dumps: " << std::strerror(errno) << "\n";
    return 1;
  }
  std::string config_path;
  bool check_only = false;
  bool verify_store = false;  // Check every SST block's checksum, then exit.
  std::string restore_dir;  // Restore a backup into a fresh data dir first.
  std::string log_format;   // Overrides the config's log_format.
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a == "--restore" && i + 1 < argc) {
      restore_dir = argv[++i];
    } else if (a == "--log-format" && i + 1 < argc) {
      log_format = argv[++i];
    } else if (a.rfind("--log-format=", 0) == 0) {
      log_format = a.substr(13);
    } else if (a == "--check-config") {
      check_only = true;
    } else if (a == "--verify-store") {
      verify_store = true;
    } else if (a == "--help" || a == "-h") {
      std::cout << ifed::cli::IfedNodeUsageText();
      return 0;
    } else if (a == "--version") {
      std::cout << ifed::version::VersionText("ifed-node", ifed::normalize::kCanonicalVersion);
      return 0;
    } else {
      std::cerr << "ifed-node: unknown argument '" << a << "'\n";
      return Usage();
    }
  }
  if (config_path.empty()) return Usage();
  auto config = ifed::LoadNodeConfig(config_path);
  if (!config.ok()) {
    std::cerr << "ifed-node: " << config.status().message() << "\n";
    return 1;
  }
  if (check_only) {
    std::cout << "config ok: node " << config->node_id() << "\n";
    return 0;
  }
  if (verify_store) {  // the node must be stopped (RocksDB's lock says so otherwise).
    auto store = ifed::store::Store::Open({.path = config->data_dir() + "/db",
                                           .verify_on_open = true});
    if (!store.ok()) {
      std::cerr << "ifed-node: store " << config->data_dir() << "/db: "
                << store.status().message() << "\n";
      return 1;
    }
    std::cout << "store ok: every block of " << config->data_dir()
              << "/db matches its checksum\n";
    return 0;
  }
  ::umask(0007);  // files and the admin socket: owner and group only.
  auto format = ifed::logging::ParseFormat(log_format.empty() ? config->log_format() : log_format);
  if (!format.ok()) {
    std::cerr << "ifed-node: --log-format: " << format.status().message() << "\n";
    return 2;
  }
  if (auto s = ifed::logging::Init(config->node_id(), config->log_file(), config->log_level(),
                                   *format);
      !s.ok()) {
    std::cerr << "ifed-node: " << s.message() << "\n";
    return 1;
  }
  // Block the signals we handle before any thread starts, then wait for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  spdlog::info("starting");
  if (!restore_dir.empty()) {
    if (auto s = RestoreAndVerify(restore_dir, *config); !s.ok()) {
      spdlog::error("restore failed: {}", std::string(s.message()));
      spdlog::default_logger()->flush();
      std::cerr << "ifed-node: restore failed: " << s.message() << "\n";
      return 1;
    }
    std::cerr << "ifed-node: restored " << restore_dir << "; audit chain verified\n";
  }
  auto node = ifed::daemon::Node::Start(*config);
  if (!node.ok()) {
    spdlog::error("start failed: {}", std::string(node.status().message()));
    spdlog::default_logger()->flush();
    std::cerr << "ifed-node: " << node.status().message() << "\n";
    return 1;
  }
  std::cerr << "ifed-node: " << config->node_id() << " ready\n";
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      (void)(*node)->ReloadPolicy();
      continue;
    }
    spdlog::info("stopping on signal {}", strsignal(sig));
    break;
  }
  (*node)->Shutdown();
  node->reset();
  spdlog::info("stopped");
  spdlog::default_logger()->flush();
  return 0;
}
