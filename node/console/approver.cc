#include "node/console/approver.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "node/console/analyst.h"

namespace ifed::console {
using nlohmann::json;

namespace {

json Entry(const ifed::v1::FollowUpRecord& r, int64_t now) {
  const bool pending = r.state() == ifed::v1::FOLLOW_UP_PENDING;
  json j = FollowUpJson(r);
  j["record_id"] = r.record_id();
  j["decided_by"] = r.decided_by();
  j["overdue"] = pending && now > r.deadline();
  j["seconds_left"] = pending ? r.deadline() - now : 0;
  return j;
}

}  // namespace

absl::StatusOr<json> Approver::Queue(const Staff& staff) {
  ifed::v1::FollowUpsRequest req;
  req.set_action("list");
  ifed::v1::FollowUpsResponse resp;
  if (absl::Status s = admin_->Call(staff, &ifed::v1::Admin::StubInterface::FollowUps, req, &resp);
      !s.ok()) {
    return s;
  }
  const int64_t now = now_ms_() / 1000;
  std::vector<ifed::v1::FollowUpRecord> list(resp.entries().begin(), resp.entries().end());
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
    const bool pa = a.state() == ifed::v1::FOLLOW_UP_PENDING;
    const bool pb = b.state() == ifed::v1::FOLLOW_UP_PENDING;
    if (pa != pb) return pa;
    return pa ? a.deadline() < b.deadline() : a.decided() > b.decided();
  });
  json out = json::array();
  for (const auto& r : list) out.push_back(Entry(r, now));
  return json{{"followups", out}, {"now", now}};
}

absl::StatusOr<json> Approver::Decide(const Staff& staff, const json& form) {
  absl::StatusOr<std::string> id = FormString(form, "id", 128);
  absl::StatusOr<std::string> decision = FormString(form, "decision", 16);
  absl::StatusOr<std::string> reply = FormString(form, "reply", 4096);
  absl::StatusOr<std::string> reason = FormString(form, "reason", 4096);
  for (const auto* s : {&id, &decision, &reply, &reason}) {
    if (!s->ok()) return s->status();
  }
  if (id->empty()) return absl::InvalidArgumentError("which follow-up? (id)");
  const bool with_contact = form.value("with_contact", false) == true;
  ifed::v1::FollowUpsRequest req;
  req.set_followup_id(*id);
  if (*decision == "approve") {
    if (reply->empty() && !with_contact) {
      return absl::InvalidArgumentError("to approve, write a reply or include our contact point");
    }
    req.set_action("approve");
    req.set_text(*reply);
    req.set_with_contact(with_contact);
  } else if (*decision == "deny") {
    if (std::string(absl::StripAsciiWhitespace(*reason)).empty()) {
      return absl::InvalidArgumentError("to deny, give the reason");
    }
    req.set_action("deny");
    req.set_text(*reason);
  } else {
    return absl::InvalidArgumentError("decision is approve or deny");
  }
  ifed::v1::FollowUpsResponse resp;
  if (absl::Status s = admin_->Call(staff, &ifed::v1::Admin::StubInterface::FollowUps, req, &resp);
      !s.ok()) {
    return s;
  }
  if (resp.entries_size() == 0) return absl::InternalError("the node answered no follow-up");
  return Entry(resp.entries(0), now_ms_() / 1000);
}

}  // namespace ifed::console
