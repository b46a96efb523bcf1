// ifedctl watch: standing queries.
//   watch add (--peer ID... | --all | --hub [--jurisdiction CC]...) --type T
//             [--region CC] [--purpose P] [--until YYYY-MM-DD] VALUE... | --file F
//   watch list [--inbound]     watch remove (--peer ID | --hub) --id WATCH_ID
//   watch events [--since T] [--json]        (alias: ifedctl alerts)
// Through a hub, rows name HUB/MEMBER (the member that holds the watch or
// the record).
#include <cctype>
#include <ctime>
#include <fstream>
#include <iostream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "node/cli/cli.h"
#include "node/cli/rows.h"

namespace ifed::cli {
namespace {

constexpr char kUsage[] =
    "ifedctl: watch add (--peer ID | --all | --hub [--jurisdiction CC]...) --type T "
    "[--region CC] [--purpose P] [--until YYYY-MM-DD] VALUE... | --file F; "
    "watch list [--inbound]; watch remove (--peer ID | --hub) --id WATCH_ID; "
    "watch events [--since T] [--json]\n";

std::string Iso(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Kind(ifed::v1::WatchEventKind k) {
  switch (k) {
    case ifed::v1::WATCH_HIT:
      return "HIT";
    case ifed::v1::WATCH_WITHDRAWN:
      return "WITHDRAWN";
    case ifed::v1::WATCH_SUSPENDED:
      return "SUSPENDED";
    case ifed::v1::WATCH_RESUMED:
      return "RESUMED";
    default:
      return "?";
  }
}

// "HUB/MEMBER" when a hub relayed, else the peer.
std::string Via(const std::string& peer, const std::string& member) {
  return member.empty() ? peer : peer + "/" + member;
}

int PeerResults(const ifed::v1::WatchesResponse& r) {
  int rc = 0;
  for (const auto& p : r.peers()) {
    if (p.code() == 0 && p.answer().members_size() == 0 && !p.message().empty()) {
      std::cout << p.answer().watch_id() << "\t" << p.peer() << "\tOK\t" << p.message() << "\n";
    } else if (p.code() == 0) {
      std::cout << p.answer().watch_id() << "\t" << p.peer() << "\tOK\titems "
                << p.answer().items() << "\tactive " << p.answer().active() << "/"
                << p.answer().max_active() << "\tuntil "
                << (p.answer().until() > 0 ? Iso(p.answer().until()) : "-") << "\n";
    } else {
      std::cerr << "peer " << p.peer() << ": " << p.code() << " " << p.message() << "\n";
      rc = 1;
    }
    // Through a hub: each member's outcome (a refusal there fails no other).
    for (const auto& m : p.answer().members()) {
      if (m.status() == ifed::v1::MEMBER_ANSWERED) {
        std::cout << p.answer().watch_id() << "\t" << Via(p.peer(), m.member()) << "\tOK\titems "
                  << m.items() << "\tactive " << m.active() << "/" << m.max_active()
                  << "\tuntil " << (m.until() > 0 ? Iso(m.until()) : "-") << "\n";
      } else {
        std::cerr << "peer " << Via(p.peer(), m.member()) << ": " << m.code() << " "
                  << ifed::v1::MemberStatus_Name(m.status()) << " " << m.message() << "\n";
        rc = 1;
      }
    }
  }
  return rc;
}

// Alerts received: one line (or JSON object) per event.
void PrintEvents(const ifed::v1::WatchesResponse& r, bool json) {
  if (json) std::cout << "[";
  for (int i = 0; i < r.events_size(); ++i) {
    const auto& e = r.events(i);
    const auto& n = e.notification();
    const std::string digest = absl::BytesToHexString(n.pseudonym().substr(0, 8));
    if (json) {
      std::cout << (i ? "," : "") << "{\"received_ms\":" << e.received_ms() << ",\"peer\":\""
                << Via(e.sender(), n.member()) << "\",\"watch_id\":\"" << n.watch_id()
                << "\",\"kind\":\"" << Kind(n.kind()) << "\",\"type\":\"" << TypeStr(n.type())
                << "\",\"pseudonym\":\"" << digest << "\",\"reference\":\"" << n.reference()
                << "\",\"delivery_id\":\"" << e.delivery_id() << "\"}";
    } else {
      std::cout << Iso(e.received_ms() / 1000) << "\t" << Via(e.sender(), n.member()) << "\t"
                << n.watch_id() << "\t" << Kind(n.kind()) << "\t" << TypeStr(n.type()) << "\t"
                << digest << "\t" << (n.reference().empty() ? "-" : n.reference()) << "\t"
                << (n.contact().empty() ? "-" : n.contact()) << "\t" << e.delivery_id() << "\n";
    }
  }
  if (json) std::cout << "]\n";
}

// Watches this node placed, relays (on a hub), watches held for partners
// and the outbox.
void PrintList(const ifed::v1::WatchesResponse& r) {
  for (const auto& w : r.watches()) {
    std::vector<std::string> types;
    for (int t : w.types()) types.push_back(TypeStr(t));
    std::cout << w.watch_id() << "\t" << w.peer() << "\t" << w.state() << "\titems " << w.items()
              << "\t" << absl::StrJoin(types, ",") << "\tuntil " << Iso(w.until());
    if (!w.suspended_reason().empty()) std::cout << "\t" << w.suspended_reason();
    std::cout << "\n";
    for (const auto& m : w.members()) {  // through a hub: per member.
      std::cout << "member\t" << w.watch_id() << "\t" << Via(w.peer(), m.member()) << "\t"
                << ifed::v1::MemberStatus_Name(m.status()) << "\titems " << m.items();
      if (!m.message().empty()) std::cout << "\t" << m.message();
      std::cout << "\n";
    }
  }
  for (const auto& w : r.relayed()) {  // on a hub.
    std::cout << "relayed\t" << w.hub_watch_id() << "\t" << w.querier() << "\t"
              << w.querier_watch_id() << "\tmembers " << absl::StrJoin(w.members(), ",")
              << "\titems " << w.items() << "\trelayed " << w.relayed() << "\tuntil "
              << Iso(w.until()) << (w.removing() ? "\tremoving" : "") << "\n";
  }
  for (const auto& w : r.inbound()) {
    uint64_t items = 0;
    for (const auto& b : w.batches()) items += b.pseudonyms().size() / 32;
    std::cout << "inbound\t" << w.watch_id() << "\t" << w.peer() << "\titems " << items
              << "\tnotified " << w.notified() << "\tuntil " << Iso(w.until());
    if (w.suspended()) std::cout << "\tsuspended\t" << w.suspended_reason();
    std::cout << "\n";
  }
  for (const auto& e : r.outbox()) {
    std::cout << "outbox\t" << e.peer() << "\t" << e.delivery().delivery_id() << "\t"
              << (e.delivery().has_watch() ? "watch" : "followup") << "\tattempts " << e.attempts()
              << "\t" << e.last_error() << "\n";
  }
}

}  // namespace

int WatchCommand(const Args& a, ifed::v1::Admin::Stub& stub) {
  const bool alerts = a.command == "alerts";
  if (!alerts && a.positional.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  ifed::v1::WatchesRequest req;
  req.set_action(alerts ? "events" : a.positional[0]);
  if (a.options.count("--peer")) {
    for (const std::string& p : a.options.at("--peer")) req.add_peers(p);
  }
  req.set_all(a.Flag("--all"));
  req.set_hub(a.Flag("--hub"));
  if (a.options.count("--jurisdiction")) {
    for (std::string j : a.options.at("--jurisdiction")) {
      for (char& c : j) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      req.add_jurisdictions(j);
    }
  }
  req.set_inbound(a.Flag("--inbound"));
  req.set_watch_id(a.Get("--id"));
  if (req.action() == "add") {
    ifed::v1::IndicatorType type;
    if (!TypeOption(a, &type)) return 2;
    req.set_type(type);
    req.set_region(a.Get("--region"));
    if (a.Flag("--purpose")) {
      auto p = ParsePurpose(a.Get("--purpose"));
      if (!p) {
        std::cerr << "ifedctl: unknown --purpose (e.g. migrant_smuggling)\n";
        return 2;
      }
      req.set_purpose(*p);
    }
    int64_t until_ms = 0;
    if (!ParseTime(a.Get("--until"), &until_ms)) {
      std::cerr << "ifedctl: --until: YYYY-MM-DD[THH:MM:SSZ] or unix milliseconds\n";
      return 2;
    }
    req.set_until(until_ms / 1000);
    for (size_t i = 1; i < a.positional.size(); ++i) req.add_values(a.positional[i]);
    if (a.Flag("--file")) {
      std::ifstream in(a.Get("--file"));
      if (!in) {
        std::cerr << "ifedctl watch: cannot read " << a.Get("--file") << "\n";
        return 1;
      }
      for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) req.add_values(line);
      }
    }
    if (req.values_size() == 0) {
      std::cerr << "ifedctl watch add: no values (give VALUE... or --file F)\n";
      return 2;
    }
  } else if (req.action() == "events") {
    int64_t since = 0;
    if (!ParseTime(a.Get("--since"), &since)) {
      std::cerr << "ifedctl: --since: YYYY-MM-DD[THH:MM:SSZ] or unix milliseconds\n";
      return 2;
    }
    req.set_since_ms(since);
  }
  grpc::ClientContext ctx;
  ifed::v1::WatchesResponse r;
  grpc::Status s = stub.Watches(&ctx, req, &r);
  for (const std::string& e : r.errors()) std::cerr << "ifedctl watch: " << e << "\n";
  if (!s.ok()) return RpcFailed(s, a.socket);
  if (req.action() == "add" || req.action() == "remove") return PeerResults(r);
  if (req.action() == "events") {
    PrintEvents(r, a.Flag("--json"));
  } else {
    PrintList(r);
  }
  return 0;
}

}  // namespace ifed::cli
