// ifedctl backup create DIR: a verified RocksDB backup of the
// running node's store into DIR (on the node's host; incremental when DIR
// already holds backups). Restore with `ifed-node --config F --restore DIR`.
#include <filesystem>
#include <iostream>

#include "node/cli/cli.h"

namespace ifed::cli {

int BackupCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  if (a.positional.size() != 2 || a.positional[0] != "create") {
    std::cerr << "usage: ifedctl backup create DIR\n";
    return 2;
  }
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::absolute(a.positional[1], ec);
  if (ec) {
    std::cerr << "ifedctl backup: bad directory " << a.positional[1] << "\n";
    return 2;
  }
  ifed::v1::BackupRequest req;
  req.set_dir(dir.lexically_normal().string());
  grpc::ClientContext ctx;
  ifed::v1::BackupResponse r;
  grpc::Status s = stub.Backup(&ctx, req, &r);
  if (!s.ok()) return RpcFailed(s, a.socket);
  std::cout << "backup " << r.backup_id() << " written and verified in " << r.dir() << "\n";
  return 0;
}

}  // namespace ifed::cli
