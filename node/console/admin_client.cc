#include "node/console/admin_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/admin/staff.h"

namespace ifed::console {

std::unique_ptr<AdminClient> AdminClient::ForSocket(const std::string& socket_path,
                                                    int timeout_ms) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  return std::make_unique<AdminClient>(
      grpc::CreateCustomChannel("unix:" + socket_path, grpc::InsecureChannelCredentials(), args),
      timeout_ms);
}

AdminClient::AdminClient(std::shared_ptr<grpc::Channel> channel, int timeout_ms)
    : channel_(std::move(channel)),
      stub_(ifed::v1::Admin::NewStub(channel_)),
      timeout_ms_(timeout_ms) {}

std::unique_ptr<grpc::ClientContext> AdminClient::Context(const Staff& staff) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata(admin::kStaffHeader, staff.id);
  ctx->AddMetadata(admin::kStaffRolesHeader, absl::StrJoin(staff.roles, ","));
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms_));
  return ctx;
}

absl::Status AdminClient::FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return absl::UnavailableError(
        absl::StrCat("the node does not answer (", s.error_message(), ")"));
  }
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace ifed::console
