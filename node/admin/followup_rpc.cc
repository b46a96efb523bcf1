// Follow-ups over the admin socket. The querier files a request
// with the owner of a hit reference and polls its answer ("request",
// "status"); the owner's staff list, approve and deny what partners asked
// ("list", "approve", "deny"). Every step is stored (meta "followup/...")
// and audited on both sides; audit events carry ids and states, never the
// justification or reply text.
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/common/logging.h"
#include "node/federation/followup_service.h"
#include "node/federation/watch_service.h"

namespace ifed::admin {
namespace {

grpc::Status Err(grpc::StatusCode code, std::string msg) { return grpc::Status(code, msg); }

grpc::Status FromAbsl(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

std::string NewId() {
  unsigned char b[12];
  if (RAND_bytes(b, sizeof b) != 1) return {};
  return "fu-" + absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(b), sizeof b));
}

// All entries under `prefix`, optionally one id only.
std::vector<ifed::v1::FollowUpRecord> Scan(const store::Store& store, const std::string& prefix,
                                           const std::string& id, absl::Status* status) {
  std::vector<ifed::v1::FollowUpRecord> out;
  *status = store.ScanMeta(prefix, [&](const std::string&, const std::string& value) {
    ifed::v1::FollowUpRecord r;
    if (r.ParseFromString(value) && (id.empty() || r.followup_id() == id)) {
      out.push_back(std::move(r));
    }
    return true;
  });
  return out;
}

}  // namespace

grpc::Status AdminService::FollowUps(grpc::ServerContext* ctx,
                                     const ifed::v1::FollowUpsRequest* request,
                                     ifed::v1::FollowUpsResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "FollowUps", request->action()); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  const std::string& action = request->action();
  const int64_t now = d_.now();
  auto finish = [&](ifed::v1::FollowUpRecord r) {
    r.set_overdue(r.state() == ifed::v1::FOLLOW_UP_PENDING && now > r.deadline());
    *response->add_entries() = std::move(r);
  };
  if (action == "request") {
    if (!d_.peers->Has(request->peer())) {
      return Err(grpc::StatusCode::INVALID_ARGUMENT,
                 absl::StrCat("unknown peer '", request->peer(), "'"));
    }
    if (request->reference().empty() || request->justification().empty() ||
        request->legal_basis().empty()) {
      return Err(grpc::StatusCode::INVALID_ARGUMENT,
                 "a reference, a legal basis and a justification are required");
    }
    if (d_.policy != nullptr &&
        d_.policy->Get()->Find(request->peer(), policy::Direction::kOutbound, now) == nullptr) {
      return Err(grpc::StatusCode::PERMISSION_DENIED,
                 absl::StrCat("our policy has no outbound rule for ", request->peer()));
    }
    ifed::v1::FollowUpRequest wire;
    wire.set_followup_id(NewId());
    wire.set_action(ifed::v1::FOLLOW_UP_REQUEST);
    wire.set_reference(request->reference());
    wire.set_purpose(request->purpose() == ifed::v1::PURPOSE_UNSPECIFIED
                         ? ifed::v1::MIGRANT_SMUGGLING
                         : request->purpose());
    wire.set_legal_basis(request->legal_basis());
    wire.set_justification(request->justification());
    grpc::ClientContext call;
    call.set_deadline(std::chrono::system_clock::now() + d_.peers->timeout());
    ifed::v1::FollowUpResponse answer;
    grpc::Status s = d_.peers->StubOf(request->peer())->FollowUp(&call, wire, &answer);
    if (d_.audit != nullptr && !s.ok()) {
      audit::Event e;
      e.action = "followup.out";
      e.actor = LocalActor(ctx);
      e.outcome = "refused";
      e.Set("followup_id", wire.followup_id()).Set("peer", request->peer())
          .Set("code", static_cast<int64_t>(s.error_code()));
      if (!d_.audit->Append(e).ok()) return Err(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
    }
    if (!s.ok()) return s;
    ifed::v1::FollowUpRecord r;
    r.set_followup_id(wire.followup_id());
    r.set_peer(request->peer());
    r.set_inbound(false);
    r.set_reference(wire.reference());
    r.set_purpose(wire.purpose());
    r.set_legal_basis(wire.legal_basis());
    r.set_justification(wire.justification());
    r.set_state(answer.state());
    r.set_created(answer.created());
    r.set_deadline(answer.deadline());
    if (absl::Status a = federation::SaveFollowUp(d_.store, d_.audit, r, "followup.out",
                                                  LocalActor(ctx));
        !a.ok()) {
      return FromAbsl(a);
    }
    finish(std::move(r));
    return grpc::Status::OK;
  }
  if (action == "status") {  // poll the owners of our pending requests.
    absl::Status scan;
    for (auto& r : Scan(*d_.store, "followup/out/", request->followup_id(), &scan)) {
      if (r.state() == ifed::v1::FOLLOW_UP_PENDING && d_.peers->Has(r.peer())) {
        ifed::v1::FollowUpRequest wire;
        wire.set_followup_id(r.followup_id());
        wire.set_action(ifed::v1::FOLLOW_UP_STATUS);
        grpc::ClientContext call;
        call.set_deadline(std::chrono::system_clock::now() + d_.peers->timeout());
        ifed::v1::FollowUpResponse answer;
        grpc::Status s = d_.peers->StubOf(r.peer())->FollowUp(&call, wire, &answer);
        if (s.ok() && answer.state() != r.state()) {
          r.set_state(answer.state());
          r.set_reply(answer.reply());
          r.set_reason(answer.reason());
          r.set_decided(answer.decided());
          if (absl::Status a = federation::SaveFollowUp(d_.store, d_.audit, r, "followup.answer",
                                                        "peer:" + r.peer());
              !a.ok()) {
            return FromAbsl(a);
          }
        } else if (!s.ok()) {
          spdlog::warn("follow-up {} status from {}: {}", r.followup_id(), r.peer(),
                       s.error_message());
        }
      }
      finish(std::move(r));
    }
    return scan.ok() ? grpc::Status::OK : FromAbsl(scan);
  }
  if (action == "list") {
    absl::Status scan;
    for (auto& r : Scan(*d_.store, "followup/in/", request->followup_id(), &scan)) {
      finish(std::move(r));
    }
    return scan.ok() ? grpc::Status::OK : FromAbsl(scan);
  }
  if (action == "approve" || action == "deny") {
    const bool approve = action == "approve";
    std::string text = request->text();
    if (approve && request->with_contact()) {  // the contact point, as configured
      if (d_.contact.empty()) {
        return Err(grpc::StatusCode::FAILED_PRECONDITION,
                   "--contact: this node has no contact point (config `contact`)");
      }
      text = text.empty() ? absl::StrCat("contact: ", d_.contact)
                          : absl::StrCat(text, "\ncontact: ", d_.contact);
    }
    if ((request->followup_id().empty() && request->reference().empty()) || text.empty()) {
      return Err(grpc::StatusCode::INVALID_ARGUMENT,
                 approve ? "approve needs --id ID or --ref REF, and --reply TEXT or --contact"
                         : "deny needs --id ID or --ref REF, and --reason TEXT");
    }
    absl::Status scan;
    auto found = Scan(*d_.store, "followup/in/", request->followup_id(), &scan);
    if (!scan.ok()) return FromAbsl(scan);
    if (request->followup_id().empty()) {
      // By reference: the one pending request for it (of --peer, if given).
      std::vector<ifed::v1::FollowUpRecord> pending;
      std::vector<std::string> ids;
      for (auto& f : found) {
        // The partner's token or the local record id behind it.
        const bool named = f.reference() == request->reference() ||
                           (f.inbound() && !f.record_id().empty() &&
                            f.record_id() == request->reference());
        if (!named || f.state() != ifed::v1::FOLLOW_UP_PENDING ||
            (!request->peer().empty() && f.peer() != request->peer())) {
          continue;
        }
        ids.push_back(absl::StrCat(f.followup_id(), " (", f.peer(), ")"));
        pending.push_back(std::move(f));
      }
      if (pending.empty()) {
        return Err(grpc::StatusCode::NOT_FOUND,
                   absl::StrCat("no pending follow-up for reference ", request->reference()));
      }
      if (pending.size() > 1) {
        return Err(grpc::StatusCode::FAILED_PRECONDITION,
                   absl::StrCat(pending.size(), " pending follow-ups for reference ",
                                request->reference(), ": ", absl::StrJoin(ids, ", "),
                                "; give --id (or --peer)"));
      }
      found = std::move(pending);
    }
    if (found.empty()) return Err(grpc::StatusCode::NOT_FOUND, "no such follow-up");
    ifed::v1::FollowUpRecord r = std::move(found.front());
    if (r.state() != ifed::v1::FOLLOW_UP_PENDING) {
      return Err(grpc::StatusCode::FAILED_PRECONDITION,
                 absl::StrCat("already ", ifed::v1::FollowUpState_Name(r.state())));
    }
    r.set_state(approve ? ifed::v1::FOLLOW_UP_APPROVED : ifed::v1::FOLLOW_UP_DENIED);
    (approve ? r.mutable_reply() : r.mutable_reason())->assign(text);
    r.set_decided(now);
    r.set_decided_by(LocalActor(ctx));
    // The answer goes back through the durable outbox, in the same batch
    // as the decision: it reaches the requester exactly once, even if this
    // node or the requester restarts in between.
    ifed::v1::Delivery delivery;
    delivery.set_delivery_id(federation::NewDeliveryId(d_.node_id));
    federation::ToResponse(r, delivery.mutable_followup_answer());
    store::MetaWrites outbox;
    outbox.puts.emplace_back(
        federation::OutboxKey(r.peer(), delivery.delivery_id()),
        federation::MakeOutboxEntry(r.peer(), delivery, now * 1000).SerializeAsString());
    if (absl::Status a = federation::SaveFollowUp(d_.store, d_.audit, r,
                                                  approve ? "followup.approve" : "followup.deny",
                                                  LocalActor(ctx), outbox);
        !a.ok()) {
      return FromAbsl(a);
    }
    if (d_.kick_outbox) d_.kick_outbox();
    spdlog::info("follow-up {} from {} {}", r.followup_id(), r.peer(),
                 approve ? "approved" : "denied");
    finish(std::move(r));
    return grpc::Status::OK;
  }
  return Err(grpc::StatusCode::INVALID_ARGUMENT,
             "action is one of request, status, list, approve, deny");
}

}  // namespace ifed::admin
