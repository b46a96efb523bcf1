// Audit pieces of the admin service: the local caller's identity and the
// export. (Outbound-match events with the peer's verified receipt are the
// outbound matcher's, node/query/outbound_matcher.h.)
#include <spdlog/spdlog.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/admin/local_listener.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/audit/chain.h"
#include "node/audit/inbound.h"
#include "node/audit/receipt.h"
#include "node/federation/transport/peer_verifier.h"
#include "node/federation/transport/tls.h"

namespace ifed::admin {

std::string LocalActor(grpc::ServerContext* ctx) {
  // The kernel's credentials of the connection (SO_PEERCRED, read by
  // LocalListener when it accepted it); a staff identity only from a
  // console's uid (staff.h): never an identity the caller merely writes.
  absl::StatusOr<Caller> caller = CallerOf(ctx);
  if (caller.ok()) return caller->actor;
  // A refused staff identity never reaches a handler (Authorize); should
  // one, the process is the actor.
  if (ctx == nullptr) return "local:(unknown)";
  std::string actor = LocalListener::ActorForPeer(ctx->peer());
  if (!actor.empty()) return actor;
  return absl::StrCat("local:", ctx->peer().empty() ? "unix:" : ctx->peer());
}

grpc::Status AdminService::AuditExport(grpc::ServerContext* ctx,
                                       const ifed::v1::AuditExportRequest* request,
                                       grpc::ServerWriter<ifed::v1::AuditLine>* writer) {
  if (grpc::Status denied = Authorize(ctx, "AuditExport"); !denied.ok()) return denied;
  if (d_.audit == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "audit is not enabled");
  }
  audit::Event e;
  e.action = "audit.export";
  e.actor = LocalActor(ctx);
  e.outcome = "ok";
  e.Set("since_ms", request->since_ms()).Set("until_ms", request->until_ms());
  if (!d_.audit->Append(e).ok()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
  }
  // The certificate in force at the first exported event: the verifier
  // follows each renewal from there (chain.h).
  absl::StatusOr<std::string> cert = d_.audit->SigningCertAt(request->since_ms());
  if (!cert.ok()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unreadable");
  ifed::v1::AuditLine line;
  line.set_line(absl::StrCat("{\"export\":\"", audit::kExportMagic, "\",\"node\":\"",
                             audit::Escape(d_.node_id), "\",\"since_ms\":", request->since_ms(),
                             ",\"until_ms\":", request->until_ms(), ",\"cert\":\"",
                             audit::Escape(*cert), "\"}"));
  if (!writer->Write(line)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  bool cancelled = false;
  absl::Status s = d_.audit->Export(request->since_ms(), request->until_ms(),
                                    [&](const std::string& l) {
                                      line.set_line(l);
                                      if (!writer->Write(line)) cancelled = true;
                                      return !cancelled;
                                    });
  if (cancelled) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  if (!s.ok()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unreadable");
  return grpc::Status::OK;
}

}  // namespace ifed::admin
