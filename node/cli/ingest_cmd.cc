// ifedctl ingest
#include <unistd.h>

#include "node/cli/rows.h"
#include <iostream>

#include "absl/strings/str_cat.h"
#include "node/cli/cli.h"
#include "node/common/logging.h"

namespace ifed::cli {

using ifed::logging::JsonEscape;

int IngestCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
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

}  // namespace ifed::cli
