// ifedctl normalize --type TYPE [--region CC] [--platform NAME] [--json] VALUE...
//
// Text output, per value: the canonical form on the first line, then one
// line per derived indicator, "<type> <canonical>" (for example
// "handle facebook:somepage" under a profile URL), then "warning: <reason>"
// when the value is on the normalisation warning list (ingest refuses it,
// match skips it). A refused value prints "error: <reason>"; the exit code
// is 1 when any value was refused. --json prints one array of objects with
// the canonicalisation version.
//
// Without a socket the values are normalised here, by the same library and
// compiled-in warning list as the node (normalisation is a pure function of
// the value and the canonical version); with --socket or $IFED_SOCKET the
// node answers, and a node of another canonical version is named on stderr.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "node/cli/cli.h"
#include "node/common/logging.h"
#include "node/normalize/normalizer.h"

namespace ifed::cli {
namespace {

using ifed::logging::JsonEscape;

// The type names on the CLI: "wallet" rather than the enum's
// CRYPTO_WALLET (the pseudonym domain separator stays "crypto").
std::string CliTypeName(int type) {
  if (type == ifed::v1::CRYPTO_WALLET) return "wallet";
  return TypeStr(type);
}

void PrintJson(const std::string& input, const ifed::v1::NormalizeResult& r,
               uint32_t version, bool first) {
  std::cout << (first ? "" : ",") << "{\"input\":\"" << JsonEscape(input)
            << "\",\"ok\":" << (r.ok() ? "true" : "false");
  if (!r.ok()) {
    std::cout << ",\"error\":\"" << JsonEscape(r.error()) << "\"}";
    return;
  }
  std::cout << ",\"type\":\"" << CliTypeName(r.type()) << "\",\"canonical\":\""
            << JsonEscape(r.canonical()) << "\",\"canon_version\":" << version
            << ",\"derived\":[";
  for (int j = 0; j < r.derived_size(); ++j) {
    const auto& d = r.derived(j);
    std::cout << (j ? "," : "") << "{\"type\":\"" << CliTypeName(d.type())
              << "\",\"canonical\":\"" << JsonEscape(d.canonical()) << "\"";
    if (!d.warning().empty()) {
      std::cout << ",\"warning\":\"" << JsonEscape(d.warning()) << "\"";
    }
    std::cout << "}";
  }
  std::cout << "]";
  if (!r.warning().empty()) {
    std::cout << ",\"warning\":\"" << JsonEscape(r.warning()) << "\"";
  }
  std::cout << "}";
}

void PrintText(const ifed::v1::NormalizeResult& r) {
  if (!r.ok()) {
    std::cout << "error: " << r.error() << "\n";
    return;
  }
  std::cout << r.canonical() << "\n";
  for (const auto& d : r.derived()) {
    std::cout << CliTypeName(d.type()) << " " << d.canonical() << "\n";
  }
  if (!r.warning().empty()) std::cout << "warning: " << r.warning() << "\n";
}

// What AdminService::Normalize answers, computed here.
bool NormalizeLocally(const ifed::v1::NormalizeRequest& req, ifed::v1::NormalizeResponse* resp) {
  auto normalizer = normalize::Normalizer::Create();
  if (!normalizer.ok()) {
    std::cerr << "ifedctl: normalizer: " << normalizer.status().message() << "\n";
    return false;
  }
  resp->set_canon_version(normalize::kCanonicalVersion);
  normalize::Options options;
  options.default_region = req.region();
  options.platform = req.platform();
  for (const std::string& v : req.values()) {
    auto* r = resp->add_results();
    auto c = (*normalizer)->Normalize(static_cast<IndicatorType>(req.type()), v, options);
    if (!c.ok()) {
      r->set_error(std::string(c.status().message()));
      continue;
    }
    r->set_ok(true);
    r->set_type(static_cast<ifed::v1::IndicatorType>(c->type));
    r->set_canonical(c->value);
    if (const std::string* w = c->AnyWarning()) r->set_warning(*w);
    for (const normalize::Canonical& d : c->derived) {
      auto* out = r->add_derived();
      out->set_type(static_cast<ifed::v1::IndicatorType>(d.type));
      out->set_canonical(d.value);
      out->set_warning(d.warning);
    }
  }
  return true;
}

}  // namespace

int NormalizeCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  ifed::v1::NormalizeRequest req;
  ifed::v1::IndicatorType type;
  if (!TypeOption(a, &type)) return 2;
  if (a.positional.empty()) {
    std::cerr << "ifedctl: normalize needs at least one VALUE\n";
    return 2;
  }
  req.set_type(type);
  req.set_region(a.Get("--region"));
  req.set_platform(a.Get("--platform"));
  for (const auto& v : a.positional) req.add_values(v);
  ifed::v1::NormalizeResponse resp;
  if (a.socket.empty()) {
    if (!NormalizeLocally(req, &resp)) return 1;
  } else {
    grpc::ClientContext ctx;
    grpc::Status s = stub.Normalize(&ctx, req, &resp);
    if (!s.ok()) return RpcFailed(s, a.socket);
    if (resp.canon_version() != normalize::kCanonicalVersion) {
      std::cerr << "ifedctl: note: the node normalises with canonical version "
                << resp.canon_version() << ", this ifedctl with " << normalize::kCanonicalVersion
                << "\n";
    }
    if (resp.results_size() != req.values_size()) {
      std::cerr << "ifedctl: the node answered " << resp.results_size() << " results for "
                << req.values_size() << " values\n";
      return 1;
    }
  }
  int rc = 0;
  const bool json = a.Flag("--json");
  if (json) std::cout << "[";
  for (int i = 0; i < resp.results_size(); ++i) {
    const auto& r = resp.results(i);
    if (!r.ok()) rc = 1;
    if (json) {
      PrintJson(a.positional[i], r, resp.canon_version(), i == 0);
    } else {
      PrintText(r);
    }
  }
  if (json) std::cout << "]\n";
  return rc;
}

}  // namespace ifed::cli
