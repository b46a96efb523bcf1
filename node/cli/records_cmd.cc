// ifedctl records show: a local record and its evidence trail.
//   records show REF                          a record by id (a hit reference we gave out)
//   records show --type T [--region CC] VALUE every record of a value
// Prints case, TLP, hold and each post the value was extracted from (post
// URL, capture time, SHA-256 of the text, author, span). Local only: none
// of it is ever sent to a partner.
//
// ifedctl hold set|clear --type T [--region CC] [--case REF] VALUE...
//   Sets or clears the investigative hold on the records of the values and
//   of the indicators they name (a t.me link and its channel), of one case
//   with --case. Partners asking `deconflict` then learn "held".
#include <ctime>
#include <iostream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/cli/cli.h"
#include "node/cli/rows.h"
#include "node/common/json.h"

namespace ifed::cli {
namespace {

std::string Time(int64_t t) {
  if (t == 0) return "-";
  char buf[32];
  std::tm tm;
  time_t tt = static_cast<time_t>(t);
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void PrintJson(const ifed::v1::RecordView& r) {
  std::string out = absl::StrCat("{\"record_id\":\"", r.record_id(), "\",\"type\":\"", TypeStr(r.type()),
                                 "\",\"case_ref\":\"", JsonEscape(r.case_ref()), "\",\"tlp\":\"",
                                 ifed::v1::Tlp_Name(r.tlp()), "\",\"hold\":", r.hold() ? "true" : "false",
                                 ",\"first_seen\":", r.first_seen(), ",\"last_seen\":", r.last_seen(),
                                 ",\"expires\":", r.expires(), ",\"provenance\":[");
  for (int i = 0; i < r.provenance_size(); ++i) {
    const auto& p = r.provenance(i);
    absl::StrAppend(&out, i ? "," : "", "{\"post_url\":\"", JsonEscape(p.post_url()),
                    "\",\"captured_at\":", p.captured_at(), ",\"sha256\":\"",
                    absl::BytesToHexString(p.text_sha256()), "\",\"author\":\"", JsonEscape(p.author()),
                    "\",\"posted_at\":\"", JsonEscape(p.posted_at()), "\",\"span\":[", p.span_begin(),
                    ",", p.span_end(), "]}");
  }
  std::cout << out << "]}\n";
}

void PrintText(const ifed::v1::RecordView& r) {
  std::cout << "record " << r.record_id() << "  " << TypeStr(r.type()) << "  case " << r.case_ref()
            << "  " << ifed::v1::Tlp_Name(r.tlp()) << (r.hold() ? "  HOLD" : "") << "\n"
            << "  first seen " << Time(r.first_seen()) << ", last seen " << Time(r.last_seen())
            << ", expires " << Time(r.expires()) << "\n";
  if (r.provenance_size() == 0) std::cout << "  no post provenance\n";
  for (const auto& p : r.provenance()) {
    std::cout << "  post " << (p.post_url().empty() ? "(no url)" : p.post_url()) << "\n"
              << "    captured " << Time(p.captured_at()) << "  sha256 "
              << absl::BytesToHexString(p.text_sha256()) << "\n"
              << "    author " << (p.author().empty() ? "-" : p.author()) << "  posted "
              << (p.posted_at().empty() ? "-" : p.posted_at()) << "  span [" << p.span_begin()
              << "," << p.span_end() << ")\n";
  }
}

}  // namespace

int RecordsCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  if (a.positional.empty() || a.positional[0] != "show") {
    std::cerr << "ifedctl: records show (REF | --type T [--region CC] VALUE)\n";
    return 2;
  }
  ifed::v1::RecordsShowRequest req;
  if (a.Flag("--type")) {
    ifed::v1::IndicatorType type;
    if (!TypeOption(a, &type)) return 2;
    if (a.positional.size() != 2) {
      std::cerr << "ifedctl: records show --type T takes one VALUE\n";
      return 2;
    }
    req.set_type(type);
    req.set_region(a.Get("--region"));
    req.set_value(a.positional[1]);
  } else {
    if (a.positional.size() != 2) {
      std::cerr << "ifedctl: records show takes one REF (or --type T VALUE)\n";
      return 2;
    }
    req.set_reference(a.positional[1]);
  }
  grpc::ClientContext ctx;
  ifed::v1::RecordsShowResponse r;
  grpc::Status s = stub.RecordsShow(&ctx, req, &r);
  if (!s.ok()) return RpcFailed(s, a.socket);
  for (const auto& v : r.records()) a.Flag("--json") ? PrintJson(v) : PrintText(v);
  if (r.records_size() == 0 && !a.Flag("--json")) std::cout << "no record\n";
  return r.records_size() == 0 ? 1 : 0;
}

int HoldCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  if (a.positional.size() < 2 || (a.positional[0] != "set" && a.positional[0] != "clear")) {
    std::cerr << "ifedctl: hold set|clear --type T [--region CC] [--case REF] VALUE...\n";
    return 2;
  }
  ifed::v1::HoldRequest req;
  ifed::v1::IndicatorType type;
  if (!TypeOption(a, &type)) return 2;
  req.set_set(a.positional[0] == "set");
  req.set_type(type);
  req.set_region(a.Get("--region"));
  req.set_case_ref(a.Get("--case"));
  for (size_t i = 1; i < a.positional.size(); ++i) req.add_values(a.positional[i]);
  grpc::ClientContext ctx;
  ifed::v1::HoldResponse r;
  grpc::Status s = stub.Hold(&ctx, req, &r);
  if (!s.ok()) return RpcFailed(s, a.socket);
  std::cout << "hold " << a.positional[0] << ": " << r.changed() << " records changed, "
            << r.unchanged() << " unchanged, " << r.not_found() << " values without a record\n";
  return r.not_found() > 0 ? 1 : 0;
}

}  // namespace ifed::cli
