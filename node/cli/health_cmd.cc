// ifedctl health [--service NAME] [--timeout SECONDS]: the node's own gRPC
// health (grpc.health.v1.Health/Check, served on the admin socket as on
// the federation listener). For container and orchestrator health checks:
// exit 0 when SERVING, 1 when the node answers anything else, 4 when the
// socket does not answer.
#include <chrono>
#include <iostream>

#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/strings/numbers.h"
#include "node/cli/cli.h"

namespace ifed::cli {
namespace {

// HealthCheckRequest { string service = 1; } in protobuf wire format.
std::string HealthRequestBytes(const std::string& service) {
  std::string out;
  if (service.empty()) return out;
  out.push_back(0x0a);  // field 1, length-delimited
  size_t n = service.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out + service;
}

// HealthCheckResponse { ServingStatus status = 1; }: UNKNOWN 0, SERVING 1,
// NOT_SERVING 2, SERVICE_UNKNOWN 3.
const char* StatusName(const std::string& bytes) {
  const int status = bytes.size() >= 2 && bytes[0] == 0x08 ? bytes[1] : 0;
  switch (status) {
    case 1: return "SERVING";
    case 2: return "NOT_SERVING";
    case 3: return "SERVICE_UNKNOWN";
    default: return "UNKNOWN";
  }
}

}  // namespace

int HealthCommand(const Args& a, ifed::v1::Admin::Stub&) {
  int seconds = 5;
  if (a.Flag("--timeout") && (!absl::SimpleAtoi(a.Get("--timeout"), &seconds) || seconds < 1 ||
                             seconds > 3600)) {
    std::cerr << "ifedctl: --timeout must be a whole number of seconds, 1 to 3600\n";
    return kExitUsage;
  }
  auto channel = grpc::CreateChannel("unix:" + a.socket, grpc::InsecureChannelCredentials());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  const std::string req_bytes = HealthRequestBytes(a.Get("--service"));
  grpc::Slice slice(req_bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::internal::RpcMethod method("/grpc.health.v1.Health/Check",
                                   grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::Status s = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel.get(), method, &ctx, request, &response);
  if (!s.ok()) return RpcFailed(s, a.socket);
  grpc::Slice out;
  std::string bytes;
  if (response.DumpToSingleSlice(&out).ok()) {
    bytes.assign(reinterpret_cast<const char*>(out.begin()), out.size());
  }
  const std::string status = StatusName(bytes);
  std::cout << status << "\n";
  return status == "SERVING" ? kExitOk : kExitFailed;
}

}  // namespace ifed::cli
