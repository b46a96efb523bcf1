// ifedctl policy check DIR | explain ... | diff DIR | reload
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "node/cli/cli.h"
#include "node/cli/rows.h"
#include "node/policy/policy.h"

namespace ifed::cli {
namespace {

// Offline: validates DIR; errors as DIR/file:line: reason.
int Check(const std::string& dir) {
  auto policy = policy::Policy::LoadDir(dir);
  if (!policy.ok()) {
    const std::string msg(policy.status().message());
    // Load errors start with the file name; show it under DIR.
    const bool named = msg.find(".yaml:") != std::string::npos || msg.find(".yml:") != std::string::npos;
    std::cerr << (named && msg.rfind(dir, 0) != 0 ? dir + "/" : "") << msg << "\n";
    return 1;
  }
  const auto& p = **policy;
  std::cout << "ok: " << dir << ": " << p.size() << " partner rules, version " << p.version()
            << "\n";
  for (const auto& e : p.rules()) {
    const auto& r = e.rule;
    std::vector<std::string> types, purposes;
    for (int t : r.types()) types.push_back(TypeStr(t));
    for (int x : r.purposes()) purposes.push_back(absl::AsciiStrToLower(ifed::v1::Purpose_Name(x)));
    std::cout << "  " << r.partner() << " "
              << absl::AsciiStrToLower(ifed::v1::Direction_Name(r.direction())) << " ("
              << e.source.ToString() << "): types " << absl::StrJoin(types, ",") << "; purposes "
              << absl::StrJoin(purposes, ",") << "; max_tlp "
              << absl::AsciiStrToLower(ifed::v1::Tlp_Name(r.max_tlp()).substr(4)) << "; "
              << absl::AsciiStrToLower(ifed::v1::Disclosure_Name(r.disclosure())) << "\n";
  }
  return 0;
}

int Explain(const Args& a, ifed::v1::Admin::Stub& stub) {
  ifed::v1::PolicyExplainRequest req;
  req.set_partner(absl::AsciiStrToLower(a.Get("--partner")));
  if (req.partner().empty()) {
    std::cerr << "ifedctl: policy explain needs --partner ID\n";
    return 2;
  }
  ifed::v1::IndicatorType type;
  if (!TypeOption(a, &type)) return 2;
  req.set_type(type);
  auto purpose = ParsePurpose(a.Get("--purpose"));
  if (!purpose) {
    std::cerr << "ifedctl: policy explain needs --purpose P (e.g. migrant_smuggling)\n";
    return 2;
  }
  req.set_purpose(*purpose);
  if (a.Flag("--tlp")) {
    auto tlp = ParseTlp(a.Get("--tlp"));
    if (!tlp) {
      std::cerr << "ifedctl: --tlp must be clear, green, amber, amber+strict or red\n";
      return 2;
    }
    req.set_tlp(*tlp);
  }
  const std::string dir = a.Get("--direction");
  if (dir != "" && dir != "inbound" && dir != "outbound") {
    std::cerr << "ifedctl: --direction must be inbound (the partner asks us) or outbound\n";
    return 2;
  }
  req.set_outbound(dir == "outbound");
  if (a.Flag("--dir")) {  // offline, against a directory instead of the running node.
    auto policy = policy::Policy::LoadDir(a.Get("--dir"));
    if (!policy.ok()) {
      std::cerr << "ifedctl: " << policy.status().message() << "\n";
      return 1;
    }
    policy::Query q{.partner = req.partner(),
                    .direction = req.outbound() ? policy::Direction::kOutbound
                                                : policy::Direction::kInbound,
                    .purpose = req.purpose(),
                    .types = {req.type()},
                    .now = static_cast<int64_t>(std::time(nullptr))};
    std::cout << policy::Explain(**policy, q, req.tlp());
    return 0;
  }
  if (a.socket.empty()) {
    std::cerr << "ifedctl: no node socket: give --socket PATH, set IFED_SOCKET, or --dir DIR\n";
    return 2;
  }
  grpc::ClientContext ctx;
  ifed::v1::PolicyExplainResponse resp;
  grpc::Status s = stub.PolicyExplain(&ctx, req, &resp);
  if (!s.ok()) return RpcFailed(s, a.socket);
  std::cout << resp.explanation();
  return 0;
}

int Diff(const Args& a, ifed::v1::Admin::Stub& stub, const std::string& dir) {
  auto files = policy::Policy::ReadDir(dir);
  if (!files.ok()) {
    std::cerr << "ifedctl: " << files.status().message() << "\n";
    return 1;
  }
  ifed::v1::PolicyDiffRequest req;
  for (const auto& f : *files) {
    auto* out = req.add_files();
    out->set_name(f.name);
    out->set_text(f.text);
  }
  grpc::ClientContext ctx;
  ifed::v1::PolicyDiffResponse resp;
  grpc::Status s = stub.PolicyDiff(&ctx, req, &resp);
  if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    std::cerr << dir << "/" << s.error_message() << "\n";
    return 1;
  }
  if (!s.ok()) return RpcFailed(s, a.socket);
  std::cout << "running " << resp.current_version() << " -> " << dir << " "
            << resp.candidate_version() << ": "
            << (resp.changes_size() == 0 ? "no change" : std::to_string(resp.changes_size()) +
                                                             " changes")
            << "\n";
  for (const auto& c : resp.changes()) std::cout << "  " << c << "\n";
  return 0;
}

}  // namespace

int PolicyCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  const std::string sub = a.positional.empty() ? "" : a.positional[0];
  if (sub == "check") {
    if (a.positional.size() != 2) {
      std::cerr << "ifedctl: usage: policy check DIR\n";
      return 2;
    }
    return Check(a.positional[1]);
  }
  if (sub == "explain") return Explain(a, stub);
  if (a.socket.empty() && (sub == "diff" || sub == "reload")) {
    std::cerr << "ifedctl: no node socket: give --socket PATH or set IFED_SOCKET\n";
    return 2;
  }
  if (sub == "diff") {
    if (a.positional.size() != 2) {
      std::cerr << "ifedctl: usage: policy diff DIR\n";
      return 2;
    }
    return Diff(a, stub, a.positional[1]);
  }
  if (sub == "reload") {
    grpc::ClientContext ctx;
    ifed::v1::PolicyReloadResponse resp;
    grpc::Status s = stub.PolicyReload(&ctx, {}, &resp);
    if (!s.ok()) return RpcFailed(s, a.socket);
    std::cout << "policy " << resp.version() << " in force: " << resp.rules()
              << " partner rules" << (resp.changed() ? "" : " (unchanged)") << "\n";
    return 0;
  }
  std::cerr << "ifedctl: policy needs check, explain, diff or reload\n";
  return 2;
}

}  // namespace ifed::cli
