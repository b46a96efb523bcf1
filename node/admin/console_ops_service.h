// ConsoleOps: the operations part of the local API (proto/console_ops.proto)
// on the admin unix socket. Thin: checks the caller's role, translates, and
// calls the plain classes of console_ops.h.
#ifndef IFED_ADMIN_CONSOLE_OPS_SERVICE_H_
#define IFED_ADMIN_CONSOLE_OPS_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "node/admin/console_ops.h"
#include "proto/console_ops.grpc.pb.h"

namespace ifed::admin {

struct OpsDeps {
  std::string node_id;
  store::Store* store = nullptr;
  audit::AuditLog* audit = nullptr;  // null: the audit calls fail FailedPrecondition.
  const policy::PolicyHolder* policy = nullptr;
  std::function<std::string()> crl_dir;  // the CRL directory in force (empty: none).
  std::function<int64_t()> now_ms;
  // Who is calling (staff through the console, or the operator); an error
  // refuses the call (staff metadata from a uid that is not a console).
  // Null: staff.h's CallerOf (console uids only).
  std::function<absl::StatusOr<OpsCaller>(grpc::ServerContext*)> caller;
};

class ConsoleOpsService final : public ifed::v1::ConsoleOps::Service {
 public:
  explicit ConsoleOpsService(OpsDeps deps);

  grpc::Status AuditSearch(grpc::ServerContext* ctx, const ifed::v1::AuditSearchRequest* request,
                           ifed::v1::AuditSearchResponse* response) override;
  grpc::Status AuditVerifyStart(grpc::ServerContext* ctx,
                                const ifed::v1::AuditVerifyStartRequest* request,
                                ifed::v1::AuditVerifyJob* response) override;
  grpc::Status AuditVerifyStatus(grpc::ServerContext* ctx,
                                 const ifed::v1::AuditVerifyStatusRequest* request,
                                 ifed::v1::AuditVerifyJob* response) override;
  grpc::Status PolicyRules(grpc::ServerContext* ctx, const ifed::v1::PolicyRulesRequest* request,
                           ifed::v1::PolicyRulesResponse* response) override;
  grpc::Status OpsStatus(grpc::ServerContext* ctx, const ifed::v1::OpsStatusRequest* request,
                         ifed::v1::OpsStatusResponse* response) override;
  grpc::Status BackupList(grpc::ServerContext* ctx, const ifed::v1::BackupListRequest* request,
                          ifed::v1::BackupListResponse* response) override;
  grpc::Status Activity(grpc::ServerContext* ctx, const ifed::v1::ActivityRequest* request,
                        ifed::v1::ActivityResponse* response) override;
  grpc::Status Reconcile(grpc::ServerContext* ctx, const ifed::v1::ReconcileRequest* request,
                         ifed::v1::ReconcileResponse* response) override;

 private:
  // OK with the caller when it holds one of `roles`; the refusal otherwise.
  absl::StatusOr<OpsCaller> Authorize(grpc::ServerContext* ctx,
                                   std::initializer_list<const char*> roles) const;
  // Appends an audit event of `caller` (FailedPrecondition without audit).
  absl::Status Audit(const OpsCaller& caller, audit::Event e) const;

  OpsDeps d_;
  std::unique_ptr<VerifyJobs> verify_;
};

}  // namespace ifed::admin

#endif  // IFED_ADMIN_CONSOLE_OPS_SERVICE_H_
