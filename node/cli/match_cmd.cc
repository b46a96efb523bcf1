// ifedctl match
#include "node/cli/rows.h"
#include <cctype>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "node/cli/cli.h"
#include "node/common/logging.h"

namespace ifed::cli {

using ifed::logging::JsonEscape;

namespace {

// The answer, one line (or JSON object) per item and peer; 1 when an item
// or a peer failed.
int PrintMatch(const ifed::v1::LocalMatchResponse& resp, const std::vector<std::string>& values,
               bool json, bool hits_only) {
  int rc = resp.peer_errors_size() > 0 ? 1 : 0;
  if (json) {
    std::cout << "{\"request_id\":\"" << resp.request_id() << "\",\"results\":[";
  }
  bool first = true;
  for (const auto& item : resp.items()) {
    const std::string& value = values[item.index()];
    if (!item.ok()) {
      rc = 1;
      if (json) {
        std::cout << (first ? "" : ",") << "{\"value\":\"" << JsonEscape(value)
                  << "\",\"error\":\"" << JsonEscape(item.error()) << "\"}";
        first = false;
      } else {
        std::cerr << "error: item " << item.index() + 1 << ": " << item.error() << "\n";
      }
      continue;
    }
    for (const auto& p : item.peers()) {
      const bool hit = p.verdict() == ifed::v1::HIT;
      if (hits_only && !hit) continue;
      // A hit on a form derived from the value (a wa.me link's phone):
      // "HIT (derived phone)".
      const std::string verdict =
          !hit ? "NO_HIT"
               : p.derived() ? absl::StrCat("HIT (derived ", TypeStr(p.form_type()), ")") : "HIT";
      if (json) {
        std::cout << (first ? "" : ",") << "{\"value\":\"" << JsonEscape(value)
                  << "\",\"canonical\":\"" << JsonEscape(item.canonical()) << "\",\"type\":\""
                  << TypeStr(item.type()) << "\",\"peer\":\"" << p.peer()
                  << "\",\"verdict\":\"" << (hit ? "HIT" : "NO_HIT") << "\",\"derived\":"
                  << (p.derived() ? "true" : "false") << ",\"form_type\":\""
                  << (p.derived() ? TypeStr(p.form_type()) : "") << "\",\"reference\":\""
                  << JsonEscape(p.reference()) << "\",\"contact\":\"" << JsonEscape(p.contact())
                  << "\",\"scheme\":\"" << p.scheme() << "\"}";
        first = false;
      } else {
        std::cout << value << "\t" << item.canonical() << "\t" << TypeStr(item.type()) << "\t"
                  << p.peer() << "\t" << verdict << "\t" << p.reference()
                  << "\t" << p.contact() << "\t" << p.scheme() << "\n";
      }
    }
  }
  if (json) {
    std::cout << "],\"peer_errors\":[";
    for (int i = 0; i < resp.peer_errors_size(); ++i) {
      const auto& e = resp.peer_errors(i);
      std::cout << (i ? "," : "") << "{\"peer\":\"" << e.peer() << "\",\"code\":" << e.code()
                << ",\"message\":\"" << JsonEscape(e.message()) << "\"}";
    }
    std::cout << "],\"skipped_forms\":[";
    for (int i = 0; i < resp.skipped_forms_size(); ++i) {
      const auto& f = resp.skipped_forms(i);
      std::cout << (i ? "," : "") << "{\"peer\":\"" << f.peer() << "\",\"type\":\""
                << TypeStr(f.type()) << "\",\"forms\":" << f.forms() << ",\"reason\":\""
                << JsonEscape(f.reason()) << "\"}";
    }
    std::cout << "]}\n";
  }
  // Derived forms left out for a peer: the values were asked, those forms not.
  for (const auto& f : resp.skipped_forms()) {
    std::cerr << "note: peer " << f.peer() << ": " << f.forms() << " derived "
              << TypeStr(f.type()) << " form(s) not asked: " << f.reason() << "\n";
  }
  for (const auto& e : resp.peer_errors()) {
    std::cerr << "peer " << e.peer() << ": "
              << grpc::StatusCode(e.code()) << " " << e.message() << "\n";
  }
  return rc;
}

}  // namespace

int MatchCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  ifed::v1::LocalMatchRequest req;
  req.set_all(a.Flag("--all"));
  if (a.options.count("--peer")) {
    for (const auto& p : a.options.at("--peer")) req.add_peers(p);
  }
  req.set_hub(a.Flag("--hub") || a.Flag("--via-hub"));
  if (a.options.count("--jurisdiction")) {
    for (std::string j : a.options.at("--jurisdiction")) {
      for (char& c : j) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (j.size() != 2 || !std::isupper(static_cast<unsigned char>(j[0])) ||
          !std::isupper(static_cast<unsigned char>(j[1]))) {
        std::cerr << "ifedctl: --jurisdiction takes an ISO 3166-1 alpha-2 code such as AT\n";
        return 2;
      }
      req.add_jurisdictions(j);
    }
  }
  if (req.hub()) {
    // `--via-hub --all` is the spelling of `--hub`.
    if (req.peers_size() > 0) {
      std::cerr << "ifedctl: --hub asks the configured hub; give no --peer with it\n";
      return 2;
    }
    req.set_all(false);
  } else if (req.all() == (req.peers_size() > 0)) {
    std::cerr << "ifedctl: match needs --peer ID (repeatable), --all or --hub\n";
    return 2;
  }
  if (a.Flag("--purpose")) {
    auto p = ifed::cli::ParsePurpose(a.Get("--purpose"));
    if (!p) {
      std::cerr << "ifedctl: unknown --purpose (e.g. migrant_smuggling)\n";
      return 2;
    }
    req.set_purpose(*p);
  }
  std::vector<std::string> values;
  if (a.Flag("--file")) {
    if (!a.positional.empty() || a.Flag("--type")) {
      std::cerr << "ifedctl: give either --file or --type with values, not both\n";
      return 2;
    }
    auto file = ifed::cli::ReadRows(a.Get("--file"), /*for_ingest=*/false);
    if (!file.errors.empty()) {
      for (const auto& e : file.errors) std::cerr << a.Get("--file") << ": " << e << "\n";
      return 1;
    }
    for (const auto& r : file.rows) {
      auto* item = req.add_items();
      item->set_type(r.type());
      item->set_value(r.value());
      item->set_region(r.region());
      item->set_platform(r.platform());
      values.push_back(r.value());
    }
  } else {
    ifed::v1::IndicatorType type;
    if (!TypeOption(a, &type)) return 2;
    if (a.positional.empty()) {
      std::cerr << "ifedctl: match needs at least one VALUE or --file\n";
      return 2;
    }
    for (const auto& v : a.positional) {
      auto* item = req.add_items();
      item->set_type(type);
      item->set_value(v);
      item->set_region(a.Get("--region"));
      values.push_back(v);
    }
  }
  if (req.items_size() == 0) {
    std::cerr << "ifedctl: nothing to match\n";
    return 1;
  }
  if (a.Flag("--case")) {  // stays on this node; a hub gets an opaque token.
    if (a.Get("--case").empty()) {
      std::cerr << "ifedctl: --case needs a case reference\n";
      return 2;
    }
    req.set_case_ref(a.Get("--case"));
  }
  if (a.Flag("--resolve")) {  // OPRF peers: ask for reference/contact of hits.
    if (a.Get("--resolve") != "yes" && a.Get("--resolve") != "no") {
      std::cerr << "ifedctl: --resolve takes yes or no\n";
      return 2;
    }
    req.set_resolve(a.Get("--resolve") == "yes");
  }
  grpc::ClientContext ctx;
  ifed::v1::LocalMatchResponse resp;
  grpc::Status s = stub.Match(&ctx, req, &resp);
  if (!s.ok()) return RpcFailed(s, a.socket);
  return PrintMatch(resp, values, a.Flag("--json"), a.Flag("--hits-only"));
}

}  // namespace ifed::cli
