#include "node/query/followup_manager.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/federation/desk/followup_service.h"
#include "node/federation/desk/watch_service.h"
#include "node/store/tables.h"

namespace ifed::query {
namespace {

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

ifed::v1::FollowUpRecord FollowUpManager::Finish(ifed::v1::FollowUpRecord r, int64_t now) {
  r.set_overdue(r.state() == ifed::v1::FOLLOW_UP_PENDING && now > r.deadline());
  return r;
}

absl::StatusOr<ifed::v1::FollowUpRecord> FollowUpManager::Request(const std::string& actor,
                                                                  const FollowUpAsk& ask) {
  const int64_t now = d_.now();
  if (!d_.transport->Has(ask.peer)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown peer '", ask.peer, "'"));
  }
  if (ask.reference.empty() || ask.justification.empty() || ask.legal_basis.empty()) {
    return absl::InvalidArgumentError("a reference, a legal basis and a justification are required");
  }
  if (d_.policy != nullptr &&
      d_.policy->Get()->Find(ask.peer, policy::Direction::kOutbound, now) == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("our policy has no outbound rule for ", ask.peer));
  }
  ifed::v1::FollowUpRequest wire;
  wire.set_followup_id(NewId());
  wire.set_action(ifed::v1::FOLLOW_UP_REQUEST);
  wire.set_reference(ask.reference);
  wire.set_purpose(ask.purpose == ifed::v1::PURPOSE_UNSPECIFIED ? ifed::v1::MIGRANT_SMUGGLING
                                                                : ask.purpose);
  wire.set_legal_basis(ask.legal_basis);
  wire.set_justification(ask.justification);
  absl::StatusOr<ifed::v1::FollowUpResponse> answer = d_.transport->Send(ask.peer, wire);
  if (d_.audit != nullptr && !answer.ok()) {
    audit::Event e;
    e.action = "followup.out";
    e.actor = actor;
    e.outcome = "refused";
    e.Set("followup_id", wire.followup_id()).Set("peer", ask.peer)
        .Set("code", static_cast<int64_t>(answer.status().code()));
    if (!d_.audit->Append(e).ok()) return absl::UnavailableError("audit log unavailable");
  }
  if (!answer.ok()) return answer.status();
  ifed::v1::FollowUpRecord r;
  r.set_followup_id(wire.followup_id());
  r.set_peer(ask.peer);
  r.set_inbound(false);
  r.set_reference(wire.reference());
  r.set_purpose(wire.purpose());
  r.set_legal_basis(wire.legal_basis());
  r.set_justification(wire.justification());
  r.set_state(answer->state());
  r.set_created(answer->created());
  r.set_deadline(answer->deadline());
  if (absl::Status a = federation::SaveFollowUp(d_.store, d_.audit, r, "followup.out", actor);
      !a.ok()) {
    return a;
  }
  return Finish(std::move(r), now);
}

absl::StatusOr<std::vector<ifed::v1::FollowUpRecord>> FollowUpManager::Poll(
    const std::string& followup_id) {
  const int64_t now = d_.now();
  absl::Status scan;
  std::vector<ifed::v1::FollowUpRecord> out;
  for (auto& r : Scan(*d_.store, store::FollowUpTable::kOutbound, followup_id, &scan)) {
    if (r.state() == ifed::v1::FOLLOW_UP_PENDING && d_.transport->Has(r.peer())) {
      ifed::v1::FollowUpRequest wire;
      wire.set_followup_id(r.followup_id());
      wire.set_action(ifed::v1::FOLLOW_UP_STATUS);
      absl::StatusOr<ifed::v1::FollowUpResponse> answer = d_.transport->Send(r.peer(), wire);
      if (answer.ok() && answer->state() != r.state()) {
        r.set_state(answer->state());
        r.set_reply(answer->reply());
        r.set_reason(answer->reason());
        r.set_decided(answer->decided());
        if (absl::Status a = federation::SaveFollowUp(d_.store, d_.audit, r, "followup.answer",
                                                      "peer:" + r.peer());
            !a.ok()) {
          return a;
        }
      } else if (!answer.ok()) {
        spdlog::warn("follow-up {} status from {}: {}", r.followup_id(), r.peer(),
                     std::string(answer.status().message()));
      }
    }
    out.push_back(Finish(std::move(r), now));
  }
  if (!scan.ok()) return scan;
  return out;
}

absl::StatusOr<std::vector<ifed::v1::FollowUpRecord>> FollowUpManager::List(
    const std::string& followup_id) {
  const int64_t now = d_.now();
  absl::Status scan;
  std::vector<ifed::v1::FollowUpRecord> out;
  for (auto& r : Scan(*d_.store, store::FollowUpTable::kInbound, followup_id, &scan)) {
    out.push_back(Finish(std::move(r), now));
  }
  if (!scan.ok()) return scan;
  return out;
}

absl::StatusOr<ifed::v1::FollowUpRecord> FollowUpManager::FindPending(
    const FollowUpDecision& decision) {
  absl::Status scan;
  auto found = Scan(*d_.store, store::FollowUpTable::kInbound, decision.followup_id, &scan);
  if (!scan.ok()) return scan;
  if (decision.followup_id.empty()) {
    // By reference: the one pending request for it (of `peer`, if given).
    std::vector<ifed::v1::FollowUpRecord> pending;
    std::vector<std::string> ids;
    for (auto& f : found) {
      // The partner's token or the local record id behind it.
      const bool named = f.reference() == decision.reference ||
                         (f.inbound() && !f.record_id().empty() &&
                          f.record_id() == decision.reference);
      if (!named || f.state() != ifed::v1::FOLLOW_UP_PENDING ||
          (!decision.peer.empty() && f.peer() != decision.peer)) {
        continue;
      }
      ids.push_back(absl::StrCat(f.followup_id(), " (", f.peer(), ")"));
      pending.push_back(std::move(f));
    }
    if (pending.empty()) {
      return absl::NotFoundError(
          absl::StrCat("no pending follow-up for reference ", decision.reference));
    }
    if (pending.size() > 1) {
      return absl::FailedPreconditionError(
          absl::StrCat(pending.size(), " pending follow-ups for reference ", decision.reference,
                       ": ", absl::StrJoin(ids, ", "), "; give --id (or --peer)"));
    }
    found = std::move(pending);
  }
  if (found.empty()) return absl::NotFoundError("no such follow-up");
  ifed::v1::FollowUpRecord r = std::move(found.front());
  if (r.state() != ifed::v1::FOLLOW_UP_PENDING) {
    return absl::FailedPreconditionError(
        absl::StrCat("already ", ifed::v1::FollowUpState_Name(r.state())));
  }
  return r;
}

absl::StatusOr<ifed::v1::FollowUpRecord> FollowUpManager::Decide(
    const std::string& actor, const FollowUpDecision& decision) {
  const int64_t now = d_.now();
  const bool approve = decision.approve;
  std::string text = decision.text;
  if (approve && decision.with_contact) {  // the contact point, as configured
    if (d_.contact.empty()) {
      return absl::FailedPreconditionError(
          "--contact: this node has no contact point (config `contact`)");
    }
    text = text.empty() ? absl::StrCat("contact: ", d_.contact)
                        : absl::StrCat(text, "\ncontact: ", d_.contact);
  }
  if ((decision.followup_id.empty() && decision.reference.empty()) || text.empty()) {
    return absl::InvalidArgumentError(
        approve ? "approve needs --id ID or --ref REF, and --reply TEXT or --contact"
                : "deny needs --id ID or --ref REF, and --reason TEXT");
  }
  absl::StatusOr<ifed::v1::FollowUpRecord> found = FindPending(decision);
  if (!found.ok()) return found.status();
  ifed::v1::FollowUpRecord r = std::move(*found);
  r.set_state(approve ? ifed::v1::FOLLOW_UP_APPROVED : ifed::v1::FOLLOW_UP_DENIED);
  (approve ? r.mutable_reply() : r.mutable_reason())->assign(text);
  r.set_decided(now);
  r.set_decided_by(actor);
  // The answer goes back through the durable outbox, in the same batch
  // as the decision: it reaches the requester exactly once, even if this
  // node or the requester restarts in between.
  ifed::v1::Delivery delivery;
  delivery.set_delivery_id(federation::NewDeliveryId(d_.node_id));
  federation::ToResponse(r, delivery.mutable_followup_answer());
  store::MetaWrites outbox;
  outbox.puts.emplace_back(
      store::OutboxTable::Key(r.peer(), delivery.delivery_id()),
      federation::MakeOutboxEntry(r.peer(), delivery, now * 1000).SerializeAsString());
  if (absl::Status a = federation::SaveFollowUp(
          d_.store, d_.audit, r, approve ? "followup.approve" : "followup.deny", actor, outbox);
      !a.ok()) {
    return a;
  }
  if (d_.kick_outbox) d_.kick_outbox();
  spdlog::info("follow-up {} from {} {}", r.followup_id(), r.peer(),
               approve ? "approved" : "denied");
  return Finish(std::move(r), now);
}

}  // namespace ifed::query
