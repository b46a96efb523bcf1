// ifedctl followups: step 2 of the Prüm model.
#include <algorithm>
#include <ctime>
#include <iostream>

#include "node/cli/cli.h"
#include "node/cli/rows.h"
#include "node/common/logging.h"

namespace ifed::cli {
namespace {

constexpr char kUsage[] =
    "ifedctl: followup request --peer ID --ref REF --legal-basis TEXT --justification TEXT "
    "[--purpose P] | status [--id ID] | list [--id ID] | approve (--id ID | --ref REF) "
    "(--reply TEXT | --contact) | deny (--id ID | --ref REF) --reason TEXT [--json]\n";

std::string State(ifed::v1::FollowUpState s) {
  switch (s) {
    case ifed::v1::FOLLOW_UP_PENDING: return "PENDING";
    case ifed::v1::FOLLOW_UP_APPROVED: return "APPROVED";
    case ifed::v1::FOLLOW_UP_DENIED: return "DENIED";
    default: return "UNKNOWN";
  }
}

}  // namespace

int FollowUpsCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  if (a.positional.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  ifed::v1::FollowUpsRequest req;
  req.set_action(a.positional[0]);
  req.set_peer(a.Get("--peer"));
  req.set_reference(a.Get("--ref"));
  req.set_legal_basis(a.Get("--legal-basis"));
  req.set_justification(a.Get("--justification"));
  req.set_followup_id(a.Get("--id"));
  req.set_text(req.action() == "approve" ? a.Get("--reply") : a.Get("--reason"));
  req.set_with_contact(a.Flag("--contact"));
  static const char* const kActions[] = {"request", "status", "list", "approve", "deny"};
  if (std::find(std::begin(kActions), std::end(kActions), req.action()) == std::end(kActions)) {
    std::cerr << "ifedctl: unknown followup action '" << req.action() << "'\n" << kUsage;
    return 2;
  }
  if (a.Flag("--purpose")) {
    auto p = ParsePurpose(a.Get("--purpose"));
    if (!p) {
      std::cerr << "ifedctl: unknown --purpose (e.g. migrant_smuggling)\n";
      return 2;
    }
    req.set_purpose(*p);
  }
  grpc::ClientContext ctx;
  ifed::v1::FollowUpsResponse r;
  grpc::Status s = stub.FollowUps(&ctx, req, &r);
  if (!s.ok()) return RpcFailed(s, a.socket);
  const int64_t now = std::time(nullptr);
  const bool json = a.Flag("--json");
  if (json) std::cout << "[";
  for (int i = 0; i < r.entries_size(); ++i) {
    const auto& e = r.entries(i);
    const std::string text = e.state() == ifed::v1::FOLLOW_UP_DENIED ? e.reason() : e.reply();
    if (json) {
      using ifed::logging::JsonEscape;
      std::cout << (i ? "," : "") << "{\"id\":\"" << e.followup_id() << "\",\"peer\":\""
                << e.peer() << "\",\"direction\":\"" << (e.inbound() ? "in" : "out")
                << "\",\"reference\":\"" << JsonEscape(e.reference()) << "\",\"state\":\""
                << State(e.state()) << "\",\"overdue\":" << (e.overdue() ? "true" : "false")
                << ",\"age_s\":" << now - e.created() << ",\"deadline\":" << e.deadline()
                << ",\"text\":\"" << JsonEscape(text) << "\"}";
    } else {
      std::cout << e.followup_id() << "\t" << e.peer() << "\t" << (e.inbound() ? "in" : "out")
                << "\t" << e.reference() << "\t" << State(e.state())
                << (e.overdue() ? " OVERDUE" : "") << "\tage " << (now - e.created()) / 60
                << "m\tdue in " << (e.deadline() - now) / 3600 << "h\t" << text << "\n";
    }
  }
  if (json) std::cout << "]\n";
  return 0;
}

}  // namespace ifed::cli
