// ifedctl audit verify|export|query|reconcile
//
//   audit verify [--file F --cert NODE.pem] [--against HELD.jsonl] [--json]
//   audit export [--since T] [--until T] [--format jsonl] [--out FILE]
//   audit query  [--file F] [--peer ID] [--action A] [--outcome O] [--actor X]
//                [--request-id R] [--since T] [--until T]
//   audit reconcile MINE.jsonl THEIRS.jsonl
//
// T: unix milliseconds, or an ISO date/time in UTC ("2026-01-31",
// "2026-01-31T10:00:00Z"). verify exits 1 and names the first bad sequence
// number on any break; reconcile exits 1 when the two logs disagree.
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/audit/chain.h"
#include "node/audit/event.h"
#include "node/audit/reconcile.h"
#include "node/audit/signer.h"
#include "node/cli/cli.h"

namespace ifed::cli {
namespace {

using audit::Parsed;

bool ReadLines(const std::string& path, std::vector<std::string>* out) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "ifedctl: cannot read " << path << "\n";
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out->push_back(line);
  }
  return true;
}

// The node's export, line by line.
bool FetchExport(const Args& a, ifed::v1::Admin::Stub& stub, int64_t since, int64_t until,
                 std::vector<std::string>* out, int* rc) {
  grpc::ClientContext ctx;
  ifed::v1::AuditExportRequest req;
  req.set_since_ms(since);
  req.set_until_ms(until);
  auto reader = stub.AuditExport(&ctx, req);
  ifed::v1::AuditLine line;
  while (reader->Read(&line)) out->push_back(line.line());
  grpc::Status s = reader->Finish();
  if (!s.ok()) {
    *rc = RpcFailed(s, a.socket);
    return false;
  }
  return true;
}

// Lines of --file, or the node's full export.
bool Source(const Args& a, ifed::v1::Admin::Stub& stub, int64_t since, int64_t until,
            std::vector<std::string>* out, int* rc) {
  if (!a.Get("--file").empty()) {
    if (!ReadLines(a.Get("--file"), out)) {
      *rc = 1;
      return false;
    }
    return true;
  }
  return FetchExport(a, stub, since, until, out, rc);
}

int Verify(const Args& a, ifed::v1::Admin::Stub& stub) {
  std::vector<std::string> lines;
  int rc = 0;
  if (!Source(a, stub, 0, 0, &lines, &rc)) return rc;
  std::unique_ptr<audit::Verifier> cert;
  if (!a.Get("--cert").empty()) {
    std::vector<std::string> pem;
    std::ifstream in(a.Get("--cert"));
    std::stringstream ss;
    ss << in.rdbuf();
    auto v = audit::Verifier::FromCertPem(ss.str());
    if (!v.ok()) {
      std::cerr << "ifedctl: " << a.Get("--cert") << ": " << v.status().message() << "\n";
      return 2;
    }
    cert = std::move(*v);
  } else if (!a.Get("--file").empty()) {
    std::cerr << "ifedctl: audit verify --file needs --cert NODE.pem (the node's certificate "
                 "in force at the file's first event; renewals are followed from there)\n";
    return 2;
  }
  std::vector<audit::HeldCheckpoint> held;
  for (const std::string& f : a.options.count("--against") ? a.options.at("--against")
                                                            : std::vector<std::string>{}) {
    std::vector<std::string> other;
    if (!ReadLines(f, &other)) return 1;
    std::string all;
    for (const auto& l : other) absl::StrAppend(&all, l, "\n");
    auto cps = audit::CheckpointsIn(all);
    held.insert(held.end(), cps.begin(), cps.end());
  }
  // An export with --since starts mid-chain.
  bool from_genesis = true;
  if (!lines.empty()) {
    auto h = Parsed::Parse(lines[0]);
    if (h.ok() && h->Int("since_ms").value_or(0) != 0) from_genesis = false;
  }
  audit::ChainVerifier v(cert.get(), from_genesis, std::move(held));
  for (const auto& l : lines) v.Add(l);
  audit::VerifyReport r = v.Finish();
  if (a.Flag("--json")) {
    std::cout << "{\"ok\":" << (r.ok ? "true" : "false") << ",\"node\":\"" << audit::Escape(r.node)
              << "\",\"events\":" << r.events << ",\"first_seq\":" << r.first_seq
              << ",\"last_seq\":" << r.last_seq << ",\"checkpoints\":" << r.checkpoints
              << ",\"last_signed_seq\":" << r.last_checkpoint_seq
              << ",\"held_checkpoints_matched\":" << r.held_checked
              << ",\"cert_changes\":" << r.cert_changes;
    if (!r.ok) {
      std::cout << ",\"first_bad_seq\":" << r.first_bad_seq << ",\"error\":\""
                << audit::Escape(r.error) << "\"";
    }
    std::cout << "}\n";
  } else if (r.ok) {
    std::cout << "ok: node " << r.node << ", " << r.events << " events (seq " << r.first_seq
              << ".." << r.last_seq << "), " << r.checkpoints
              << " signed checkpoints, last signed head seq " << r.last_checkpoint_seq;
    if (r.held_checked) std::cout << ", " << r.held_checked << " partner-held checkpoints matched";
    if (r.cert_changes) std::cout << ", " << r.cert_changes << " signing certificate change(s) followed";
    std::cout << "\n";
    for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
  } else {
    std::cout << "FAILED at seq " << r.first_bad_seq << ": " << r.error << "\n";
  }
  return r.ok ? 0 : 1;
}

int Export(const Args& a, ifed::v1::Admin::Stub& stub) {
  int64_t since = 0, until = 0;
  if (!ParseTime(a.Get("--since"), &since) || !ParseTime(a.Get("--until"), &until)) {
    std::cerr << "ifedctl: --since/--until: unix milliseconds or YYYY-MM-DD[THH:MM:SSZ]\n";
    return 2;
  }
  if (!a.Get("--format").empty() && a.Get("--format") != "jsonl") {
    std::cerr << "ifedctl: --format: only jsonl\n";
    return 2;
  }
  std::ofstream file;
  if (!a.Get("--out").empty()) {
    file.open(a.Get("--out"), std::ios::trunc);
    if (!file) {
      std::cerr << "ifedctl: cannot write " << a.Get("--out") << "\n";
      return 1;
    }
  }
  std::ostream& out = a.Get("--out").empty() ? std::cout : file;
  // Streamed: each line is written as it arrives.
  grpc::ClientContext ctx;
  ifed::v1::AuditExportRequest req;
  req.set_since_ms(since);
  req.set_until_ms(until);
  auto reader = stub.AuditExport(&ctx, req);
  ifed::v1::AuditLine line;
  while (reader->Read(&line)) out << line.line() << "\n";
  grpc::Status s = reader->Finish();
  if (!s.ok()) return RpcFailed(s, a.socket);
  out.flush();
  return out ? 0 : 1;
}

int Query(const Args& a, ifed::v1::Admin::Stub& stub) {
  int64_t since = 0, until = 0;
  if (!ParseTime(a.Get("--since"), &since) || !ParseTime(a.Get("--until"), &until)) {
    std::cerr << "ifedctl: --since/--until: unix milliseconds or YYYY-MM-DD[THH:MM:SSZ]\n";
    return 2;
  }
  std::vector<std::string> lines;
  int rc = 0;
  if (!Source(a, stub, since, until, &lines, &rc)) return rc;
  const std::map<std::string, std::string> want = {
      {"peer", a.Get("--peer")},       {"action", a.Get("--action")},
      {"outcome", a.Get("--outcome")}, {"actor", a.Get("--actor")},
      {"request_id", a.Get("--request-id")}};
  size_t n = 0;
  for (const auto& l : lines) {
    auto p = Parsed::Parse(l);
    if (!p.ok() || !p->Has("seq")) continue;
    const int64_t ts = p->Int("ts_ms").value_or(0);
    if ((since && ts < since) || (until && ts > until)) continue;
    bool match = true;
    for (const auto& [k, v] : want) {
      if (v.empty()) continue;
      auto got = p->Str(k);
      // --action match selects match.in and match.out; --actor a prefix.
      if (!got || (*got != v && !(k == "action" && got->rfind(v + ".", 0) == 0) &&
                   !(k == "actor" && got->rfind(v, 0) == 0))) {
        match = false;
      }
    }
    if (match) {
      std::cout << l << "\n";
      ++n;
    }
  }
  std::cerr << n << " event(s)\n";
  return 0;
}

int Reconcile(const Args& a) {
  if (a.positional.size() != 3) {
    std::cerr << "ifedctl: usage: audit reconcile MINE.jsonl THEIRS.jsonl\n";
    return 2;
  }
  std::vector<std::string> mine, theirs;
  if (!ReadLines(a.positional[1], &mine) || !ReadLines(a.positional[2], &theirs)) return 1;
  const audit::ReconcileReport r = audit::Reconcile(mine, theirs);
  for (const auto& d : r.differences) std::cout << d << "\n";
  if (r.differences.empty()) {
    std::cout << "consistent: " << r.mine << " and " << r.theirs << " agree\n";
    return 0;
  }
  std::cout << r.differences.size() << " difference(s)\n";
  return 1;
}

}  // namespace

bool AuditOffline(const Args& a) {
  const std::string sub = a.positional.empty() ? "" : a.positional[0];
  return sub == "reconcile" || ((sub == "verify" || sub == "query") && !a.Get("--file").empty());
}

int AuditCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  const std::string sub = a.positional.empty() ? "" : a.positional[0];
  if (sub == "verify") return Verify(a, stub);
  if (sub == "export") return Export(a, stub);
  if (sub == "query") return Query(a, stub);
  if (sub == "reconcile") return Reconcile(a);
  std::cerr << "ifedctl: audit verify|export|query|reconcile\n";
  return 2;
}

}  // namespace ifed::cli
