// ConsoleOps servicer: role check, translation, plain classes (console_ops.h).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "node/admin/console_ops_service.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/audit/reconcile.h"
#include "node/store/backups.h"

namespace ifed::admin {
namespace {

constexpr int kMaxReconcileLines = 2'000'000;

}  // namespace

ConsoleOpsService::ConsoleOpsService(OpsDeps deps) : d_(std::move(deps)) {
  if (!d_.now_ms) {
    d_.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (!d_.caller) {
    // The staff identity the console names, believed only from console
    // uids (staff.h); without one, the operator.
    d_.caller = [](grpc::ServerContext* ctx) -> absl::StatusOr<OpsCaller> {
      absl::StatusOr<Caller> c = CallerOf(ctx);
      if (!c.ok()) return c.status();
      return OpsCaller{.actor = c->actor, .roles = c->roles, .staff = c->staff()};
    };
  }
  verify_ = std::make_unique<VerifyJobs>(d_.audit, d_.now_ms);
}

absl::StatusOr<OpsCaller> ConsoleOpsService::Authorize(
    grpc::ServerContext* ctx, std::initializer_list<const char*> roles) const {
  absl::StatusOr<OpsCaller> c = d_.caller(ctx);
  if (!c.ok()) return c.status();
  if (absl::Status s = RequireRole(*c, roles); !s.ok()) return s;
  return c;
}

absl::Status ConsoleOpsService::Audit(const OpsCaller& caller, audit::Event e) const {
  if (d_.audit == nullptr) return absl::FailedPreconditionError("audit is not enabled");
  e.actor = caller.actor;
  if (!d_.audit->Append(e).ok()) return absl::UnavailableError("audit log unavailable");
  return absl::OkStatus();
}

grpc::Status ConsoleOpsService::AuditSearch(grpc::ServerContext* ctx,
                                            const ifed::v1::AuditSearchRequest* request,
                                            ifed::v1::AuditSearchResponse* response) {
  auto caller = Authorize(ctx, {kRoleDpo, kRoleAdmin});
  if (!caller.ok()) return ToGrpc(caller.status());
  if (d_.audit == nullptr || d_.store == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "audit is not enabled");
  }
  AuditFilter f{.since_ms = request->since_ms(),
                .until_ms = request->until_ms(),
                .actor = request->actor(),
                .action = request->action(),
                .outcome = request->outcome(),
                .peer = request->peer()};
  if (absl::Status s = ValidateFilter(f); !s.ok()) return ToGrpc(s);
  const uint32_t limit = request->limit() == 0 ? 100 : request->limit();
  if (limit > 1000) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "limit: 1 to 1000 events per page");
  }
  // Who looked at the audit log, and for what: the filters name no value.
  audit::Event e;
  e.action = "audit.search";
  e.outcome = "ok";
  e.Set("since_ms", f.since_ms).Set("until_ms", f.until_ms).Set("filter_actor", f.actor)
      .Set("filter_action", f.action).Set("filter_outcome", f.outcome).Set("filter_peer", f.peer);
  if (absl::Status s = Audit(*caller, std::move(e)); !s.ok()) return ToGrpc(s);
  auto page = SearchAudit(*d_.store, f, request->after_seq(), limit);
  if (!page.ok()) return ToGrpc(page.status());
  for (auto& l : page->events) response->add_events(std::move(l));
  response->set_next_after_seq(page->next_after_seq);
  response->set_scanned(page->scanned);
  response->set_head_seq(d_.audit->head_seq());
  return grpc::Status::OK;
}

grpc::Status ConsoleOpsService::AuditVerifyStart(grpc::ServerContext* ctx,
                                                 const ifed::v1::AuditVerifyStartRequest*,
                                                 ifed::v1::AuditVerifyJob* response) {
  auto caller = Authorize(ctx, {kRoleDpo, kRoleAdmin});
  if (!caller.ok()) return ToGrpc(caller.status());
  auto job = verify_->Start(caller->actor);
  if (!job.ok()) return ToGrpc(job.status());
  *response = *job;
  return grpc::Status::OK;
}

grpc::Status ConsoleOpsService::AuditVerifyStatus(grpc::ServerContext* ctx,
                                                  const ifed::v1::AuditVerifyStatusRequest* request,
                                                  ifed::v1::AuditVerifyJob* response) {
  auto caller = Authorize(ctx, {kRoleDpo, kRoleAdmin});
  if (!caller.ok()) return ToGrpc(caller.status());
  auto job = verify_->Status(request->job_id());
  if (!job.ok()) return ToGrpc(job.status());
  *response = *job;
  return grpc::Status::OK;
}

grpc::Status ConsoleOpsService::PolicyRules(grpc::ServerContext* ctx,
                                            const ifed::v1::PolicyRulesRequest* request,
                                            ifed::v1::PolicyRulesResponse* response) {
  auto caller = Authorize(ctx, {kRoleAdmin});
  if (!caller.ok()) return ToGrpc(caller.status());
  if (d_.policy == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "this node has no policy loaded");
  }
  if (request->partner().size() > 63) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "partner: a node id (at most 63)");
  }
  *response = RulesView(*d_.policy->Get(), request->partner(), d_.now_ms() / 1000);
  return grpc::Status::OK;
}

grpc::Status ConsoleOpsService::OpsStatus(grpc::ServerContext* ctx,
                                          const ifed::v1::OpsStatusRequest*,
                                          ifed::v1::OpsStatusResponse* response) {
  auto caller = Authorize(ctx, {kRoleAdmin});
  if (!caller.ok()) return ToGrpc(caller.status());
  const int64_t now_ms = d_.now_ms();
  if (d_.policy != nullptr && d_.store != nullptr) {
    for (auto& q : QuotaUses(*d_.policy->Get(), *d_.store, now_ms)) {
      *response->add_quotas() = std::move(q);
    }
  }
  const std::string dir = d_.crl_dir ? d_.crl_dir() : "";
  response->set_crl_dir(dir);
  for (auto& c : CrlStates(dir, now_ms / 1000)) *response->add_crls() = std::move(c);
  response->set_now(now_ms / 1000);
  return grpc::Status::OK;
}

grpc::Status ConsoleOpsService::BackupList(grpc::ServerContext* ctx,
                                           const ifed::v1::BackupListRequest* request,
                                           ifed::v1::BackupListResponse* response) {
  auto caller = Authorize(ctx, {kRoleAdmin});
  if (!caller.ok()) return ToGrpc(caller.status());
  auto list = store::ListBackups(request->dir());
  if (!list.ok()) return ToGrpc(list.status());
  for (const auto& b : *list) {
    auto* e = response->add_backups();
    e->set_backup_id(b.id);
    e->set_timestamp(b.timestamp);
    e->set_size(b.size);
    e->set_files(b.files);
  }
  return grpc::Status::OK;
}

grpc::Status ConsoleOpsService::Activity(grpc::ServerContext* ctx,
                                         const ifed::v1::ActivityRequest* request,
                                         ifed::v1::ActivityResponse* response) {
  auto caller = Authorize(ctx, {kRoleAdmin, kRoleDpo});
  if (!caller.ok()) return ToGrpc(caller.status());
  if (d_.audit == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "audit is not enabled");
  }
  auto w = MakeWindow(request->since_ms(), request->until_ms(), request->bucket_s(), d_.now_ms());
  if (!w.ok()) return ToGrpc(w.status());
  auto r = admin::Activity(*d_.audit, *w);
  if (!r.ok()) return ToGrpc(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status ConsoleOpsService::Reconcile(grpc::ServerContext* ctx,
                                          const ifed::v1::ReconcileRequest* request,
                                          ifed::v1::ReconcileResponse* response) {
  auto caller = Authorize(ctx, {kRoleDpo});
  if (!caller.ok()) return ToGrpc(caller.status());
  if (d_.audit == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "audit is not enabled");
  }
  if (request->their_lines_size() == 0 || request->their_lines_size() > kMaxReconcileLines) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "their export: 1 to 2000000 JSONL lines (ifedctl audit export)");
  }
  std::vector<std::string> theirs(request->their_lines().begin(), request->their_lines().end());
  size_t events = 0;
  for (const auto& l : theirs) {
    auto p = audit::Parsed::Parse(l);
    if (p.ok() && p->Has("seq")) ++events;
  }
  if (events == 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "their export holds no audit event (is it an ifedctl audit export?)");
  }
  std::vector<std::string> mine;
  absl::Status s = d_.audit->Export(0, 0, [&](const std::string& l) {
    mine.push_back(l);
    return true;
  });
  if (!s.ok()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unreadable");
  const audit::ReconcileReport r = audit::Reconcile(mine, theirs);
  if (r.theirs == d_.node_id) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "that export is this node's own log, not a partner's");
  }
  audit::Event e;
  e.action = "audit.reconcile";
  e.outcome = "ok";
  e.Set("peer", r.theirs)
      .Set("compared", static_cast<int64_t>(r.compared))
      .Set("differences", static_cast<int64_t>(r.differences.size()));
  if (absl::Status a = Audit(*caller, std::move(e)); !a.ok()) return ToGrpc(a);
  response->set_ours(d_.node_id);
  response->set_theirs(r.theirs);
  for (const auto& d : r.differences) response->add_differences(d);
  response->set_compared(r.compared);
  return grpc::Status::OK;
}

}  // namespace ifed::admin
