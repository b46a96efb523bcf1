// ifedctl hits export [--format stix|json] [--since T] [--until T] [--out FILE]
//
// The hits this node's queries received, for the agency's own
// MISP or OpenCTI. STIX 2.1: a bundle with, per hit, a `sighting` of an
// `indicator` (the pattern the STIX importer reads back, see
// node/ingest/stix.h) sighted at the partner, which is an `identity`
// (organization). Ids are UUIDv5 of the content, so exporting the same hit
// twice gives the same objects and the importer deduplicates them. Partner
// references and contacts travel as the custom properties
// x_ifed_reference / x_ifed_contact, the scheme as x_ifed_scheme.
#include <openssl/sha.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "node/cli/cli.h"
#include "node/ingest/stix_export.h"

namespace ifed::cli {
namespace {

nlohmann::json PlainJson(const ifed::v1::HitsExportResponse& r) {
  using ingest::Timestamp;
  nlohmann::json hits = nlohmann::json::array();
  for (const ifed::v1::HitRecord& h : r.hits()) {
    hits.push_back({{"time", Timestamp(h.ts_ms())},
                    {"peer", h.peer()},
                    {"scheme", h.scheme()},
                    {"type", TypeStr(h.type())},
                    {"canonical", h.canonical()},
                    {"reference", h.reference()},
                    {"contact", h.contact()},
                    {"request_id", h.request_id()},
                    {"source", h.source().empty() ? "match" : h.source()},
                    {"watch_id", h.watch_id()}});
  }
  return {{"hits", std::move(hits)}, {"truncated", r.truncated()}};
}

}  // namespace

int HitsCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  if (a.positional.empty() || a.positional[0] != "export") {
    std::cerr << "ifedctl hits: usage: hits export [--format stix|json] [--since T] [--until T] "
                 "[--out FILE]\n";
    return 2;
  }
  const std::string format = a.Get("--format").empty() ? "stix" : a.Get("--format");
  if (format != "stix" && format != "json") {
    std::cerr << "ifedctl hits export: --format: '" << format << "' is not stix or json\n";
    return 2;
  }
  int64_t since_ms = 0, until_ms = 0;
  if (!ParseTime(a.Get("--since"), &since_ms)) {
    std::cerr << "ifedctl hits export: --since: not a time (YYYY-MM-DD[THH:MM:SSZ])\n";
    return 2;
  }
  if (!ParseTime(a.Get("--until"), &until_ms)) {
    std::cerr << "ifedctl hits export: --until: not a time (YYYY-MM-DD[THH:MM:SSZ])\n";
    return 2;
  }
  ifed::v1::HitsExportRequest req;
  req.set_since(since_ms / 1000);
  req.set_until(until_ms / 1000);
  grpc::ClientContext ctx;
  ifed::v1::HitsExportResponse r;
  grpc::Status s = stub.HitsExport(&ctx, req, &r);
  if (!s.ok()) return RpcFailed(s, a.socket);
  const std::string text = (format == "stix" ? ingest::StixBundle(r) : PlainJson(r)).dump(2) + "\n";
  if (const std::string out = a.Get("--out"); !out.empty()) {
    std::ofstream f(out, std::ios::trunc);
    f << text;
    if (!f.good()) {
      std::cerr << "ifedctl hits export: cannot write " << out << "\n";
      return 1;
    }
    std::cerr << r.hits_size() << " hits written to " << out << "\n";
  } else {
    std::cout << text;
  }
  if (r.truncated()) {
    std::cerr << "ifedctl hits export: truncated at " << r.hits_size()
              << " hits; narrow --since/--until\n";
    return 1;
  }
  return 0;
}

}  // namespace ifed::cli
