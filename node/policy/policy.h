// Policy: the sharing rules of this node, loaded from the YAML files of the
// policy directory (schema and precedence: proto/policy.proto).
//
// Default deny: a partner no rule names, a purpose or an indicator type the
// rule does not list, a record above the rule's TLP ceiling (TLP:RED always),
// marked national-only or "not for" the partner, or outside the rule's crime
// areas gets nothing. Every decision carries the rule that made it (file and
// line) and the version of the policy set, so it can be explained and
// audited. Explanations never contain indicator values: a policy decision
// never sees one.
//
// Pure: no gRPC, no RocksDB.
#ifndef IFED_POLICY_POLICY_H_
#define IFED_POLICY_POLICY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/policy.pb.h"
#include "proto/store.pb.h"

namespace ifed::policy {

// Where something was written: "at.yaml", line 3. Line 0: a built-in default.
struct Source {
  std::string file;
  int line = 0;
  std::string ToString() const;  // "at.yaml:3" or "built-in default".
};

// One partner rule after inheritance (partner > jurisdiction > defaults) with
// every built-in default filled in.
struct EffectiveRule {
  ifed::v1::Rule rule;
  Source source;                         // the partner rule itself.
  std::map<std::string, Source> fields;  // "types", "quota.items_per_day", ... -> where set.
  int64_t valid_from = INT64_MIN;        // unix seconds, inclusive.
  int64_t valid_until = INT64_MAX;       // unix seconds, exclusive.

  bool Covers(ifed::v1::Direction d) const;
  bool InForce(int64_t now) const { return now >= valid_from && now < valid_until; }
  // Where field `name` got its value (the rule itself when never written).
  Source FieldSource(const std::string& name) const;
};

enum class Direction { kInbound, kOutbound };
const char* DirectionName(Direction d);  // "inbound" / "outbound"

// A query, as far as policy is concerned: no values, no pseudonyms.
struct Query {
  std::string partner;
  Direction direction = Direction::kInbound;
  ifed::v1::Purpose purpose = ifed::v1::PURPOSE_UNSPECIFIED;
  std::vector<ifed::v1::IndicatorType> types;
  ifed::v1::PseudonymScheme scheme = ifed::v1::KEYED;
  size_t items = 0;  // 0: do not check the batch size.
  int64_t now = 0;   // unix seconds.
};

struct Decision {
  // OK, PermissionDenied (no rule, purpose, type, scheme) or InvalidArgument
  // (batch too large). The message is safe to show the partner.
  absl::Status status;
  const EffectiveRule* rule = nullptr;  // the rule applied; null when none.
  std::string reason;                   // for the administrator: check, field and file:line.
};

// One policy file's text, for loading without a directory (admin API diff).
struct PolicyText {
  std::string name;  // file name, e.g. "at.yaml".
  std::string text;
};

// Immutable once loaded: share it freely between threads.
class Policy {
 public:
  // Loads every *.yaml / *.yml file of `dir`. Any error (YAML, schema,
  // duplicate or overlapping rule, missing required field after
  // inheritance, bad date) fails the whole load with "FILE:LINE: reason".
  static absl::StatusOr<std::shared_ptr<const Policy>> LoadDir(const std::string& dir);
  // The same from texts; file names must be unique. Order does not matter.
  static absl::StatusOr<std::shared_ptr<const Policy>> LoadTexts(std::vector<PolicyText> files);
  // Reads the *.yaml / *.yml files of `dir` (sorted by name).
  static absl::StatusOr<std::vector<PolicyText>> ReadDir(const std::string& dir);

  // Whether the query may be answered (inbound) or sent (outbound).
  Decision Decide(const Query& q) const;

  // Whether `record` may be a hit for `partner` under `rule` at `now`: TLP
  // at or under the ceiling and never RED, not national-only, not "not for"
  // the partner, in the rule's crime areas, not expired. A record that is not
  // visible must change nothing in the answer.
  static bool RecordVisible(const EffectiveRule& rule, const std::string& partner,
                            const ifed::v1::Record& record, int64_t now);
  // The same for a hypothetical record of this TLP, with the reason.
  static bool TlpVisible(const EffectiveRule& rule, ifed::v1::Tlp tlp, std::string* reason);

  // The rule for `partner` in `direction` in force at `now`, or null.
  const EffectiveRule* Find(const std::string& partner, Direction direction, int64_t now) const;

  const std::vector<EffectiveRule>& rules() const { return rules_; }
  size_t size() const { return rules_.size(); }
  // Fingerprint (SHA-256 prefix, hex) of the file names and contents.
  const std::string& version() const { return version_; }

 private:
  std::vector<EffectiveRule> rules_;  // sorted by partner, then file order.
  std::string version_;
};

// Relays widen nothing: what a member answers a call that a hub relays for a
// querier is at most what it would answer the querier directly and what it
// would answer the hub (relayed.cc).
//
// The rule of such a call: types, purposes and crime areas intersected (no
// crime-area list = any; two lists with nothing in common = no record), the
// lower TLP ceiling, disclosure, max_batch and query retention, watches and
// follow-ups only when both allow them (the lower limits), the validity
// both share, and a scheme only when both allow it (keyed_or_oprf allows
// either; two different schemes leave unspecified, which no query asks). The quota stays the querier's: callers
// charge each partner under its own rule. Source and fields: the querier's.
EffectiveRule IntersectRules(const EffectiveRule& querier, const EffectiveRule& hub);

// A relayed decision: `q` (partner = the querier) decided under this node's
// rule for the querier and, with partner = `hub`, under its rule for the hub.
// No rule for either (or either refusing) refuses. On OK `rule` is their
// intersection and `querier_rule` / `hub_rule` point into `policy`.
struct RelayedDecision {
  absl::Status status;
  EffectiveRule rule;
  const EffectiveRule* querier_rule = nullptr;
  const EffectiveRule* hub_rule = nullptr;
  std::string reason;
};
RelayedDecision DecideRelayed(const Policy& policy, const Query& q, const std::string& hub);

// Whether `record` may be a hit for every one of `partners` under `rule`
// (each one's not_for counts).
bool RecordVisibleToAll(const EffectiveRule& rule, const std::vector<std::string>& partners,
                        const ifed::v1::Record& record, int64_t now);

// Multi-line human explanation of the decision for `q` (plus, with `tlp`,
// whether a record of that TLP would be visible). Starts with "allow" or
// "deny".
std::string Explain(const Policy& policy, const Query& q, ifed::v1::Tlp tlp);

// Each field of `e`'s rule after inheritance, as the explanation shows it,
// with where it was set: the lists (types, purposes, crime_areas; "any"
// when empty) first, then every scalar ("max_tlp", "quota.items_per_day",
// ...) except partner and jurisdiction, by name.
struct FieldView {
  std::string name;
  std::string value;
  Source source;
};
std::vector<FieldView> Fields(const EffectiveRule& e);

// What each partner gains ("+") and loses ("-") if `next` replaced `current`,
// one line per change, e.g. "at inbound: + type url", "hu both: rule removed".
// Empty when nothing changes.
std::vector<std::string> Diff(const Policy& current, const Policy& next);

// The policy in force, swapped atomically on reload. Callers take one
// snapshot per request (Get) so a request never sees two policies. A failed
// reload keeps the old policy.
class PolicyHolder {
 public:
  explicit PolicyHolder(std::shared_ptr<const Policy> initial)
      : current_(std::move(initial)) {}
  std::shared_ptr<const Policy> Get() const {
    std::lock_guard<std::mutex> l(mu_);
    return current_;
  }
  absl::Status Reload(const std::string& dir);
  void Set(std::shared_ptr<const Policy> p) {
    std::lock_guard<std::mutex> l(mu_);
    current_ = std::move(p);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Policy> current_;
};

}  // namespace ifed::policy

#endif  // IFED_POLICY_POLICY_H_
