#include "node/federation/desk/followup_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "node/common/ids.h"
#include "node/common/status_macros.h"
#include "node/federation/desk/watch_service.h"
#include "node/policy/purpose.h"
#include "node/store/tables.h"

namespace ifed::federation {
namespace {

constexpr size_t kMaxJustification = 4096;

}  // namespace

absl::StatusOr<ifed::v1::FollowUpRecord> LoadFollowUp(const store::Store& store,
                                                      const std::string& key) {
  IFED_ASSIGN_OR_RETURN(std::string value, store.GetMeta(key));
  ifed::v1::FollowUpRecord r;
  if (!r.ParseFromString(value)) return absl::DataLossError("follow-up entry does not parse");
  return r;
}

absl::Status SaveFollowUp(store::Store* store, audit::AuditLog* audit,
                          const ifed::v1::FollowUpRecord& r, const std::string& action,
                          const std::string& actor, const store::MetaWrites& extra) {
  store::MetaWrites w = extra;
  w.puts.emplace_back(store::FollowUpTable::Key(r.inbound(), r.peer(), r.followup_id()),
                      r.SerializeAsString());
  if (audit == nullptr) return store->CommitMeta(w);
  // Ids and states only: never the justification or reply text.
  audit::Event e;
  e.action = action;
  e.actor = actor;
  e.outcome = "ok";
  e.Set("followup_id", r.followup_id())
      .Set("peer", r.peer())
      .Set("reference", r.reference())
      .Set("purpose", ifed::v1::Purpose_Name(r.purpose()))
      .Set("state", ifed::v1::FollowUpState_Name(r.state()))
      .Set("deadline", r.deadline());
  if (r.overdue()) e.Set("overdue", int64_t{1});
  return audit->Write([&](const audit::AuditLog::EntriesFn& entries) {
    return store->CommitMeta(w, entries(e));
  });
}

void ToResponse(const ifed::v1::FollowUpRecord& r, ifed::v1::FollowUpResponse* out) {
  out->set_followup_id(r.followup_id());
  out->set_state(r.state());
  out->set_reply(r.reply());
  out->set_reason(r.reason());
  out->set_created(r.created());
  out->set_deadline(r.deadline());
  out->set_decided(r.decided());
}

absl::Status FollowUpDesk::CountToday(const std::string& peer, const std::string& followup_id,
                                      int64_t now, uint32_t max) const {
  auto n = d_.store->AddToCounter(absl::StrCat("quota/followup/", peer, "/", now / 86400), 1, max);
  if (n.ok()) return absl::OkStatus();
  if (d_.audit != nullptr) {
    audit::Event e;
    e.action = "followup.in";
    e.actor = "peer:" + peer;
    e.outcome = "refused";
    e.Set("followup_id", followup_id).Set("reason", "follow_ups.max_per_day");
    IFED_RETURN_IF_ERROR(d_.audit->Append(e));
  }
  return absl::IsResourceExhausted(n.status())
             ? absl::ResourceExhaustedError(
                   absl::StrCat("follow-up limit of ", max, " per day reached for this partner"))
             : n.status();
}

absl::Status FollowUpDesk::Handle(const std::string& peer,
                                  const ifed::v1::FollowUpRequest& request,
                                  ifed::v1::FollowUpResponse* response) const {
  if (!PrintableId(request.followup_id(), 64, IdSlash::kRefused)) {
    return absl::InvalidArgumentError("followup_id must be 1-64 printable ASCII characters");
  }
  const std::string key = store::FollowUpTable::Key(true, peer, request.followup_id());
  if (request.action() == ifed::v1::FOLLOW_UP_STATUS) {
    auto r = LoadFollowUp(*d_.store, key);
    if (!r.ok()) {
      return absl::IsNotFound(r.status()) ? absl::NotFoundError("no such follow-up")
                                          : r.status();
    }
    ToResponse(*r, response);
    return absl::OkStatus();
  }
  if (request.action() != ifed::v1::FOLLOW_UP_REQUEST) {
    return absl::InvalidArgumentError("unknown follow-up action");
  }
  const int64_t now = d_.now();
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  const policy::EffectiveRule* rule = policy->Find(peer, policy::Direction::kInbound, now);
  // Every refusal is audited (ids, purpose and the reason; never the text).
  auto refuse = [&](absl::Status s, const std::string& reason) -> absl::Status {
    spdlog::warn("follow-up {} from {} refused (policy {}): {}", request.followup_id(), peer,
                 policy->version(), reason);
    if (d_.audit != nullptr) {
      audit::Event e;
      e.action = "followup.in";
      e.actor = "peer:" + peer;
      e.outcome = "refused";
      e.Set("followup_id", request.followup_id())
          .Set("purpose", ifed::v1::Purpose_Name(ifed::v1::Purpose_IsValid(request.purpose())
                                                     ? request.purpose()
                                                     : ifed::v1::PURPOSE_UNSPECIFIED))
          .Set("reason", reason)
          .Set("policy", policy->version());
      IFED_RETURN_IF_ERROR(d_.audit->Append(e));
    }
    return s;
  };
  // A purpose belongs to its call: takedown deconfliction asks no follow-up.
  if (absl::Status s = policy::CheckPurpose(policy::Call::kFollowUp, request.purpose());
      !s.ok()) {
    return refuse(s, std::string(s.message()));
  }
  if (rule == nullptr || !rule->rule.follow_ups().allowed()) {
    return refuse(absl::PermissionDeniedError("follow-ups are not allowed for this partner"),
                  "policy");
  }
  if (std::find(rule->rule.purposes().begin(), rule->rule.purposes().end(), request.purpose()) ==
      rule->rule.purposes().end()) {
    return refuse(absl::PermissionDeniedError(absl::StrCat(
                      "purpose ", policy::PurposeName(request.purpose()),
                      " is not allowed for this partner")),
                  "purposes");
  }
  // A follow-up names a reference: a rule that discloses none (hit_only)
  // gives nothing to follow up.
  if (rule->rule.disclosure() < ifed::v1::HIT_WITH_REFERENCE) {
    return refuse(absl::PermissionDeniedError(
                      "this partner's rule discloses no references (hit_only): no follow-up"),
                  "disclosure");
  }
  if (request.justification().empty() || request.justification().size() > kMaxJustification ||
      request.legal_basis().empty() || request.legal_basis().size() > 512) {
    return absl::InvalidArgumentError(
        "a legal basis (max 512) and a justification (max 4096) are required");
  }
  if (auto existing = LoadFollowUp(*d_.store, key); existing.ok()) {  // a retry.
    ToResponse(*existing, response);
    return absl::OkStatus();
  }
  // The reference is the caller's own token: another partner's token, or a
  // record id, is unknown here.
  if (!PrintableId(request.reference(), 64, IdSlash::kRefused) || d_.sealer == nullptr) {
    return refuse(absl::NotFoundError("unknown reference"), "reference");
  }
  auto record_id = d_.sealer->ResolveReference(peer, request.reference());
  if (!record_id.ok()) return refuse(absl::NotFoundError("unknown reference"), "reference");
  auto record = d_.store->GetRecord(*record_id);
  if (!record.ok() || !policy::Policy::RecordVisible(*rule, peer, *record, now)) {
    return refuse(absl::NotFoundError("unknown reference"), "reference");
  }
  if (std::find(rule->rule.types().begin(), rule->rule.types().end(), record->type()) ==
      rule->rule.types().end()) {
    return refuse(absl::PermissionDeniedError(absl::StrCat(
                      "indicator type ", ifed::v1::IndicatorType_Name(record->type()),
                      " is not allowed for this partner")),
                  "types");
  }
  // follow_ups.max_per_day new requests per partner and UTC day (the
  // counter survives a restart).
  if (const uint32_t max = rule->rule.follow_ups().max_per_day(); max > 0) {
    IFED_RETURN_IF_ERROR(CountToday(peer, request.followup_id(), now, max));
  }
  ifed::v1::FollowUpRecord r;
  r.set_followup_id(request.followup_id());
  r.set_peer(peer);
  r.set_inbound(true);
  r.set_reference(request.reference());
  r.set_record_id(*record_id);  // local only: never leaves this node.
  r.set_purpose(request.purpose());
  r.set_legal_basis(request.legal_basis());
  r.set_justification(request.justification());
  r.set_state(ifed::v1::FOLLOW_UP_PENDING);
  r.set_created(now);
  r.set_deadline(now + d_.deadline_seconds);
  IFED_RETURN_IF_ERROR(SaveFollowUp(d_.store, d_.audit, r, "followup.in", "peer:" + peer));
  spdlog::info("follow-up {} from {} filed, deadline {}", r.followup_id(), peer, r.deadline());
  ToResponse(r, response);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FlagOverdue(store::Store* store, audit::AuditLog* audit, int64_t now) {
  uint64_t overdue = 0;
  std::vector<ifed::v1::FollowUpRecord> fresh;
  IFED_RETURN_IF_ERROR(store->ScanMeta(store::FollowUpTable::kInbound, [&](const std::string&,
                                                                           const std::string& v) {
    ifed::v1::FollowUpRecord r;
    if (!r.ParseFromString(v) || r.state() != ifed::v1::FOLLOW_UP_PENDING || now <= r.deadline()) {
      return true;
    }
    ++overdue;
    if (!r.overdue()) fresh.push_back(std::move(r));
    return true;
  }));
  for (ifed::v1::FollowUpRecord& r : fresh) {
    r.set_overdue(true);
    IFED_RETURN_IF_ERROR(SaveFollowUp(store, audit, r, "followup.overdue", "node"));
    spdlog::warn("follow-up {} from {} is overdue (deadline {})", r.followup_id(), r.peer(),
                 r.deadline());
  }
  return overdue;
}

}  // namespace ifed::federation
