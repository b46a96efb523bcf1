// The admin edge's side of staff identity (staff.h): the console uids
// and the caller of a call on the admin socket.
#include <mutex>

#include "absl/strings/str_cat.h"
#include "node/admin/local_listener.h"
#include "node/admin/staff.h"

namespace ifed::admin {
namespace {

std::mutex g_uids_mu;
std::vector<uint32_t>& ConsoleUids() {
  static auto* v = new std::vector<uint32_t>();
  return *v;
}

// The one metadata value of `key`, or nullptr (a repeated key is refused by
// the caller: two values are never merged).
const std::string* Metadata(grpc::ServerContext* ctx, const char* key, std::string* storage,
                            bool* repeated) {
  auto range = ctx->client_metadata().equal_range(key);
  if (range.first == range.second) return nullptr;
  *storage = std::string(range.first->second.data(), range.first->second.size());
  *repeated = std::next(range.first) != range.second;
  return storage;
}

}  // namespace

void SetConsoleUids(std::vector<uint32_t> uids) {
  std::lock_guard<std::mutex> lock(g_uids_mu);
  ConsoleUids() = std::move(uids);
}

absl::StatusOr<Caller> CallerOf(grpc::ServerContext* ctx) {
  if (ctx == nullptr) return Caller{.actor = "local:(unknown)"};
  std::string actor = LocalListener::ActorForPeer(ctx->peer());
  if (actor.empty()) actor = absl::StrCat("local:", ctx->peer().empty() ? "unix:" : ctx->peer());
  std::string staff_buf, roles_buf;
  bool staff_rep = false, roles_rep = false;
  const std::string* staff = Metadata(ctx, kStaffHeader, &staff_buf, &staff_rep);
  const std::string* roles = Metadata(ctx, kStaffRolesHeader, &roles_buf, &roles_rep);
  if (staff_rep || roles_rep) {
    return absl::InvalidArgumentError("a staff header is given more than once");
  }
  std::vector<uint32_t> uids;
  {
    std::lock_guard<std::mutex> lock(g_uids_mu);
    uids = ConsoleUids();
  }
  return ResolveCaller(actor, LocalListener::UidForPeer(ctx->peer()), uids, staff, roles);
}

grpc::Status Authorize(grpc::ServerContext* ctx, absl::string_view method, absl::string_view action) {
  absl::StatusOr<Caller> caller = CallerOf(ctx);
  absl::Status s = caller.ok() ? CheckRole(*caller, method, action) : caller.status();
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace ifed::admin
