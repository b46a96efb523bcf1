#include "node/audit/reconcile.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "node/audit/event.h"

namespace ifed::audit {
namespace {

// One consultation as one side records it.
struct Side {
  std::string node;
  std::map<std::string, Parsed> out;  // request_id|peer -> match.out event
  std::map<std::string, Parsed> in;   // request_id|peer -> match.in event
};

Side Load(const std::vector<std::string>& lines) {
  Side s;
  for (const auto& l : lines) {
    auto p = Parsed::Parse(l);
    if (!p.ok() || !p->Has("seq")) continue;
    if (s.node.empty()) s.node = p->Str("node").value_or("");
    const std::string action = p->Str("action").value_or("");
    const std::string key =
        absl::StrCat(p->Str("request_id").value_or(""), "|", p->Str("peer").value_or(""));
    if (action == "match.out") s.out.emplace(key, *p);
    if (action == "match.in") s.in.emplace(key, *p);
  }
  return s;
}

std::string Describe(const Parsed& p) {
  return absl::StrCat(p.Str("action").value_or(""), " seq ", p.Int("seq").value_or(0),
                      " request ", p.Str("request_id").value_or(""), " peer ",
                      p.Str("peer").value_or(""), " outcome ", p.Str("outcome").value_or(""));
}

// Events of `a` addressed to `b` that `b` does not have, or (with
// `differences`) has differently. Every event is counted as compared; a pair
// that differs is reported once, from our side.
void Compare(const std::string& a_name, const Side& a, const std::map<std::string, Parsed>& a_ev,
             const std::string& b_name, const Side& b, const std::map<std::string, Parsed>& b_ev,
             bool differences, ReconcileReport* r) {
  for (const auto& [key, ev] : a_ev) {
    if (ev.Str("peer") != b.node) continue;
    const std::string code = ev.Str("code").value_or("");
    if (code == "UNAVAILABLE" || code == "DEADLINE_EXCEEDED") continue;  // never delivered.
    ++r->compared;
    auto it = b_ev.find(absl::StrCat(ev.Str("request_id").value_or(""), "|", a.node));
    if (it == b_ev.end()) {
      r->differences.push_back(absl::StrCat("only in ", a_name, ": ", Describe(ev)));
      continue;
    }
    if (!differences) continue;
    for (const char* f : {"request_digest", "items"}) {
      if (ev.values().count(f) && it->second.values().count(f) &&
          ev.values().at(f) != it->second.values().at(f)) {
        r->differences.push_back(absl::StrCat("differs (", f, "): ", a_name, " ", Describe(ev),
                                              " / ", b_name, " ", Describe(it->second)));
      }
    }
    if (ev.Str("outcome") == "ok" && it->second.Str("outcome") == "ok" &&
        ev.Int("hits") != it->second.Int("hits")) {
      r->differences.push_back(absl::StrCat("differs (hits): ", a_name, " ", Describe(ev), " / ",
                                            b_name, " ", Describe(it->second)));
    }
  }
}

}  // namespace

ReconcileReport Reconcile(const std::vector<std::string>& mine_lines,
                          const std::vector<std::string>& their_lines) {
  const Side mine = Load(mine_lines);
  const Side theirs = Load(their_lines);
  ReconcileReport r;
  r.mine = mine.node;
  r.theirs = theirs.node;
  Compare("MINE", mine, mine.out, "THEIRS", theirs, theirs.in, true, &r);
  Compare("MINE", mine, mine.in, "THEIRS", theirs, theirs.out, true, &r);
  Compare("THEIRS", theirs, theirs.out, "MINE", mine, mine.in, false, &r);
  Compare("THEIRS", theirs, theirs.in, "MINE", mine, mine.out, false, &r);
  return r;
}

}  // namespace ifed::audit
