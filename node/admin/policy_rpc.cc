// AdminService: the sharing-policy RPCs (reload, explain, diff). Explain and
// diff never see indicator values; diff gets the candidate files' text in the
// request, so the node reads no path the caller names.
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/common/logging.h"

namespace ifed::admin {
namespace {

constexpr size_t kMaxDiffFiles = 1000;
constexpr size_t kMaxDiffBytes = 16 << 20;

}  // namespace

grpc::Status AdminService::PolicyReload(grpc::ServerContext* ctx,
                                        const ifed::v1::PolicyReloadRequest*,
                                        ifed::v1::PolicyReloadResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "PolicyReload"); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  if (d_.policy == nullptr || !d_.reload_policy) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "this node cannot reload its policy");
  }
  const std::string before = d_.policy->Get()->version();
  absl::Status s = d_.reload_policy();
  if (!s.ok()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("reload refused, policy ", before,
                                     " stays in force: ", s.message()));
  }
  auto now = d_.policy->Get();
  response->set_version(now->version());
  response->set_rules(static_cast<uint32_t>(now->size()));
  response->set_changed(now->version() != before);
  return grpc::Status::OK;
}

grpc::Status AdminService::PolicyExplain(grpc::ServerContext* ctx,
                                         const ifed::v1::PolicyExplainRequest* request,
                                         ifed::v1::PolicyExplainResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "PolicyExplain"); !denied.ok()) return denied;
  if (d_.policy == nullptr) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "this node has no policy loaded");
  if (request->partner().empty() || request->partner().size() > 63) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "partner is required");
  }
  auto policy = d_.policy->Get();
  policy::Query q{.partner = request->partner(),
                  .direction = request->outbound() ? policy::Direction::kOutbound
                                                   : policy::Direction::kInbound,
                  .purpose = request->purpose(),
                  .types = {},
                  .now = d_.now()};
  if (request->type() != ifed::v1::INDICATOR_TYPE_UNSPECIFIED) q.types.push_back(request->type());
  response->set_allowed(policy->Decide(q).status.ok());
  response->set_explanation(policy::Explain(*policy, q, request->tlp()));
  response->set_version(policy->version());
  return grpc::Status::OK;
}

grpc::Status AdminService::PolicyDiff(grpc::ServerContext* ctx,
                                      const ifed::v1::PolicyDiffRequest* request,
                                      ifed::v1::PolicyDiffResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "PolicyDiff"); !denied.ok()) return denied;
  if (d_.policy == nullptr) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "this node has no policy loaded");
  if (request->files_size() > static_cast<int>(kMaxDiffFiles)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "too many policy files");
  }
  std::vector<policy::PolicyText> files;
  size_t bytes = 0;
  for (const auto& f : request->files()) {
    bytes += f.text().size();
    if (f.name().empty() || f.name().find('/') != std::string::npos || bytes > kMaxDiffBytes) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "policy files need plain names and at most 16 MiB in all");
    }
    files.push_back({f.name(), f.text()});
  }
  auto candidate = policy::Policy::LoadTexts(std::move(files));
  if (!candidate.ok()) return ToGrpc(candidate.status());
  auto current = d_.policy->Get();
  response->set_current_version(current->version());
  response->set_candidate_version((*candidate)->version());
  for (auto& line : policy::Diff(*current, **candidate)) response->add_changes(std::move(line));
  return grpc::Status::OK;
}

}  // namespace ifed::admin
