// Audit pieces of the admin service: the local caller's identity,
// outbound-match events with the peer's verified receipt, and the export.
#include <spdlog/spdlog.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/admin/local_listener.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/audit/chain.h"
#include "node/audit/inbound.h"
#include "node/audit/receipt.h"
#include "node/federation/peer_verifier.h"
#include "node/federation/tls.h"

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

absl::Status AdminService::AuditOutbound(grpc::ServerContext* ctx, const std::string& peer,
                                         const ifed::v1::MatchRequest& wire,
                                         absl::StatusOr<ifed::v1::MatchResponse>* answer) {
  audit::Event e;
  e.action = "match.out";
  e.actor = LocalActor(ctx);
  int64_t items = 0;
  const std::string types = audit::TypeCounts(wire, &items);
  e.Set("peer", peer)
      .Set("request_id", wire.request_id())
      .Set("purpose", ifed::v1::Purpose_Name(wire.purpose()))
      .Set("epoch", static_cast<int64_t>(wire.epoch()))
      .Set("items", items)
      .Set("types", types)
      .Set("request_digest", absl::BytesToHexString(audit::RequestDigest(wire)));
  if (answer->ok()) {
    absl::Status receipt = audit::VerifyReceipt(
        wire, **answer, federation::SpiffeId(d_.federation, peer), federation::VerifyNodeChain);
    if (!receipt.ok()) {
      spdlog::warn("match {} to {}: receipt rejected: {}", wire.request_id(), peer,
                   std::string(receipt.message()));
      *answer = absl::PermissionDeniedError(
          absl::StrCat("answer rejected: ", receipt.message()));
    }
  }
  if (!answer->ok()) {
    const absl::Status& s = answer->status();
    e.outcome = s.code() == absl::StatusCode::kPermissionDenied ||
                        s.code() == absl::StatusCode::kInvalidArgument ||
                        s.code() == absl::StatusCode::kResourceExhausted
                    ? "refused"
                    : "error";
    e.Set("code", absl::StatusCodeToString(s.code()))
        .Set("reason", std::string(s.message().substr(0, 200)));
    return d_.audit->Append(e);
  }
  const ifed::v1::MatchResponse& a = **answer;
  const ifed::v1::Receipt& r = a.receipt();
  int64_t hits = 0;
  for (const auto& item : a.results()) hits += item.verdict() == ifed::v1::HIT;
  e.outcome = "ok";
  e.Set("hits", hits)
      .Set("disclosure", ifed::v1::Disclosure_Name(a.disclosure()))
      .Set("receipt_ts_ms", r.ts_ms())
      .Set("receipt_policy", r.policy_version())
      .Set("response_digest", absl::BytesToHexString(r.response_digest()))
      .Set("receipt_sig", absl::BytesToHexString(r.signature()));
  if (r.checkpoint().seq() != 0) {
    const auto& cp = r.checkpoint();
    e.Set("peer_cp_node", cp.node())
        .Set("peer_cp_seq", static_cast<int64_t>(cp.seq()))
        .Set("peer_cp_hash", cp.hash())
        .Set("peer_cp_ts_ms", cp.ts_ms())
        .Set("peer_cp_sig", absl::BytesToHexString(cp.signature()));
  }
  return d_.audit->Append(e);
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
