// Policy decisions, explanations and diffs. Nothing here sees an indicator
// value: queries carry types and purposes only.
#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/common/indicator_type.h"
#include "node/policy/policy.h"

namespace ifed::policy {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string Lower(const std::string& s) { return absl::AsciiStrToLower(s); }
std::string PurposeName(int p) { return Lower(ifed::v1::Purpose_Name(p)); }
std::string TypeStr(int t) { return TypeName(static_cast<IndicatorType>(t)); }
std::string TlpName(int t) {
  std::string n = ifed::v1::Tlp_Name(t);
  return n.rfind("TLP_", 0) == 0 ? Lower(n.substr(4)) : Lower(n);
}
std::string SchemeName(int s) { return Lower(ifed::v1::PseudonymScheme_Name(s)); }
std::string DirName(int d) { return Lower(ifed::v1::Direction_Name(d)); }

template <typename C, typename F>
std::string List(const C& c, F name) {
  std::vector<std::string> v;
  for (const auto& x : c) v.push_back(name(x));
  return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
}

Decision Deny(absl::Status s, const EffectiveRule* rule, std::string reason) {
  return Decision{std::move(s), rule, std::move(reason)};
}

// Renders one field (or sub-message field) of a rule for explain and diff.
std::string Render(const Message& m, const FieldDescriptor* f) {
  const auto* r = m.GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_ENUM: {
      const std::string n = Lower(r->GetEnum(m, f)->name());
      if (f->enum_type()->name() == "Tlp") return TlpName(r->GetEnumValue(m, f));
      return n;
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(m, f) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_STRING:
      return absl::StrCat("\"", r->GetString(m, f), "\"");
    default:
      return "?";
  }
}

// Scalar settings of a rule, flattened: "max_tlp" -> "amber",
// "quota.items_per_day" -> "10000". Lists are rendered as sets elsewhere.
std::map<std::string, std::string> Scalars(const ifed::v1::Rule& rule) {
  std::map<std::string, std::string> out;
  const auto* d = ifed::v1::Rule::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated() || f->name() == "partner") continue;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const Message& sub = rule.GetReflection()->GetMessage(rule, f);
      for (int k = 0; k < f->message_type()->field_count(); ++k) {
        const FieldDescriptor* g = f->message_type()->field(k);
        out[absl::StrCat(f->name(), ".", g->name())] = Render(sub, g);
      }
    } else if (!f->has_presence() || rule.GetReflection()->HasField(rule, f)) {
      out[f->name()] = Render(rule, f);
    }
  }
  return out;
}

std::map<std::string, std::set<std::string>> Lists(const ifed::v1::Rule& r) {
  std::map<std::string, std::set<std::string>> out;
  for (int t : r.types()) out["type"].insert(TypeStr(t));
  for (int p : r.purposes()) out["purpose"].insert(PurposeName(p));
  for (const auto& c : r.crime_areas()) out["crime_area"].insert(c);
  return out;
}

std::string RuleKey(const EffectiveRule& e) {
  std::string k = absl::StrCat(e.rule.partner(), " ", DirName(e.rule.direction()));
  if (e.rule.has_valid_from()) absl::StrAppend(&k, " from ", e.rule.valid_from());
  return k;
}

}  // namespace

const char* DirectionName(Direction d) {
  return d == Direction::kInbound ? "inbound" : "outbound";
}

Decision Policy::Decide(const Query& q) const {
  const EffectiveRule* e = Find(q.partner, q.direction, q.now);
  if (e == nullptr) {
    std::string why = absl::StrCat("no ", DirectionName(q.direction), " rule for partner '",
                                   q.partner, "' (default deny)");
    for (const EffectiveRule& other : rules_) {
      if (other.rule.partner() == q.partner) {
        absl::StrAppend(&why, "; rule at ", other.source.ToString(), " covers direction ",
                        DirName(other.rule.direction()),
                        other.InForce(q.now) ? "" : " and is not in force now");
      }
    }
    return Deny(absl::PermissionDeniedError("no sharing rule for this partner"), nullptr, why);
  }
  const ifed::v1::Rule& r = e->rule;
  if (std::find(r.purposes().begin(), r.purposes().end(), q.purpose) == r.purposes().end()) {
    const std::string p = q.purpose == ifed::v1::PURPOSE_UNSPECIFIED ? "unspecified"
                                                                     : PurposeName(q.purpose);
    return Deny(absl::PermissionDeniedError(
                    absl::StrCat("purpose ", p, " is not allowed for this partner")),
                e,
                absl::StrCat("purpose ", p, " is not in purposes ", List(r.purposes(), PurposeName),
                             " (", e->FieldSource("purposes").ToString(), ")"));
  }
  for (auto t : q.types) {
    if (std::find(r.types().begin(), r.types().end(), t) == r.types().end()) {
      return Deny(absl::PermissionDeniedError(absl::StrCat("indicator type ", TypeStr(t),
                                                           " is not allowed for this partner")),
                  e,
                  absl::StrCat("type ", TypeStr(t), " is not in types ", List(r.types(), TypeStr),
                               " (", e->FieldSource("types").ToString(), ")"));
    }
  }
  const bool either = r.scheme() == ifed::v1::KEYED_OR_OPRF &&
                     (q.scheme == ifed::v1::KEYED || q.scheme == ifed::v1::OPRF);
  if (q.scheme != r.scheme() && !either) {
    return Deny(absl::PermissionDeniedError(absl::StrCat(
                    "pseudonym scheme ", SchemeName(q.scheme),
                    " is not allowed for this partner (", SchemeName(r.scheme()), " required)")),
                e,
                absl::StrCat("scheme ", SchemeName(q.scheme), " but the rule requires ",
                             SchemeName(r.scheme()), " (", e->FieldSource("scheme").ToString(),
                             ")"));
  }
  if (q.items > r.max_batch()) {
    return Deny(absl::InvalidArgumentError(absl::StrCat("batch of ", q.items,
                                                        " items exceeds the limit of ",
                                                        r.max_batch())),
                e,
                absl::StrCat("batch of ", q.items, " items over max_batch ", r.max_batch(), " (",
                             e->FieldSource("max_batch").ToString(), ")"));
  }
  return Decision{absl::OkStatus(), e,
                  absl::StrCat(DirectionName(q.direction), " rule for '", q.partner, "' at ",
                               e->source.ToString())};
}

bool Policy::TlpVisible(const EffectiveRule& e, ifed::v1::Tlp tlp, std::string* reason) {
  if (tlp == ifed::v1::TLP_UNSPECIFIED) {
    if (reason) *reason = "a record without a TLP label is never shared";
    return false;
  }
  if (tlp == ifed::v1::TLP_RED) {
    if (reason) *reason = "a TLP:RED record is never shared";
    return false;
  }
  if (tlp > e.rule.max_tlp()) {
    if (reason) {
      *reason = absl::StrCat("TLP:", absl::AsciiStrToUpper(TlpName(tlp)), " is above max_tlp ",
                             TlpName(e.rule.max_tlp()), " (",
                             e.FieldSource("max_tlp").ToString(), ")");
    }
    return false;
  }
  if (reason) {
    *reason = absl::StrCat("TLP:", absl::AsciiStrToUpper(TlpName(tlp)), " is within max_tlp ",
                           TlpName(e.rule.max_tlp()), " (", e.FieldSource("max_tlp").ToString(),
                           ")");
  }
  return true;
}

bool Policy::RecordVisible(const EffectiveRule& e, const std::string& partner,
                           const ifed::v1::Record& rec, int64_t now) {
  if (!TlpVisible(e, rec.tlp(), nullptr)) return false;
  if (rec.national_only()) return false;
  if (std::find(rec.not_for().begin(), rec.not_for().end(), partner) != rec.not_for().end()) {
    return false;
  }
  if (rec.expires() != 0 && rec.expires() <= now) return false;
  const auto& areas = e.rule.crime_areas();
  if (!areas.empty() && std::find(areas.begin(), areas.end(), rec.crime_area()) == areas.end()) {
    return false;
  }
  return true;
}

std::string Explain(const Policy& policy, const Query& q, ifed::v1::Tlp tlp) {
  const Decision d = policy.Decide(q);
  std::string out =
      d.status.ok() ? "allow\n" : absl::StrCat("deny: ", d.reason, "\n");
  absl::StrAppend(&out, "  query: ", DirectionName(q.direction), ", partner ", q.partner,
                  ", purpose ",
                  q.purpose == ifed::v1::PURPOSE_UNSPECIFIED ? "unspecified"
                                                             : PurposeName(q.purpose),
                  ", types ", List(q.types, TypeStr), "\n");
  if (!d.status.ok()) {
    absl::StrAppend(&out, "  answer to the partner: ",
                    absl::StatusCodeToString(d.status.code()), ": ", d.status.message(), "\n");
  }
  if (d.rule != nullptr) {
    const EffectiveRule& e = *d.rule;
    absl::StrAppend(&out, "  rule: ", e.source.ToString(), " (partner ", e.rule.partner(),
                    e.rule.jurisdiction().empty() ? "" : ", jurisdiction " + e.rule.jurisdiction(),
                    ", direction ", DirName(e.rule.direction()), ")\n");
    if (d.status.ok() && tlp != ifed::v1::TLP_UNSPECIFIED) {
      std::string why;
      const bool ok = Policy::TlpVisible(e, tlp, &why);
      absl::StrAppend(&out, "  record at TLP:", absl::AsciiStrToUpper(TlpName(tlp)), ": ",
                      ok ? "may hit: " : "invisible: ", why, "\n");
    }
    for (const FieldView& f : Fields(e)) {
      absl::StrAppend(&out, "  ", f.name, ": ", f.value, "  (", f.source.ToString(), ")\n");
    }
  }
  absl::StrAppend(&out, "  policy version: ", policy.version(), "\n");
  return out;
}

std::vector<FieldView> Fields(const EffectiveRule& e) {
  std::vector<FieldView> out;
  auto lists = Lists(e.rule);
  for (const char* f : {"types", "purposes", "crime_areas"}) {
    const std::string name = f;
    const auto& s = lists[name == "types" ? "type" : name == "purposes" ? "purpose" : "crime_area"];
    out.push_back({name, s.empty() ? "any" : absl::StrCat("[", absl::StrJoin(s, ", "), "]"),
                   e.FieldSource(name)});
  }
  for (const auto& [name, value] : Scalars(e.rule)) {
    if (name == "jurisdiction") continue;
    out.push_back({name, value, e.FieldSource(name)});
  }
  return out;
}

std::vector<std::string> Diff(const Policy& current, const Policy& next) {
  std::map<std::string, const EffectiveRule*> a, b;
  for (const auto& e : current.rules()) a[RuleKey(e)] = &e;
  for (const auto& e : next.rules()) b[RuleKey(e)] = &e;
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    auto ia = a.find(k), ib = b.find(k);
    if (ib == b.end()) {
      out.push_back(absl::StrCat(k, ": - rule removed (", ia->second->source.ToString(),
                                 "): loses all access"));
      continue;
    }
    if (ia == a.end()) {
      const auto& r = ib->second->rule;
      out.push_back(absl::StrCat(k, ": + new rule (", ib->second->source.ToString(), "): types ",
                                 List(r.types(), TypeStr), ", purposes ",
                                 List(r.purposes(), PurposeName), ", max_tlp ",
                                 TlpName(r.max_tlp()), ", disclosure ",
                                 Lower(ifed::v1::Disclosure_Name(r.disclosure()))));
      continue;
    }
    const auto& ra = ia->second->rule;
    const auto& rb = ib->second->rule;
    auto la = Lists(ra), lb = Lists(rb);
    for (const char* f : {"type", "purpose", "crime_area"}) {
      const auto& sa = la[f];
      const auto& sb = lb[f];
      if (std::string(f) == "crime_area" && (sa.empty() || sb.empty())) {
        if (sa != sb) {
          out.push_back(absl::StrCat(k, ": ", sb.empty() ? "+" : "-", " crime_areas: ",
                                     sa.empty() ? "any" : absl::StrJoin(sa, ", "), " -> ",
                                     sb.empty() ? "any" : absl::StrJoin(sb, ", ")));
        }
        continue;
      }
      for (const auto& x : sb)
        if (!sa.count(x)) out.push_back(absl::StrCat(k, ": + ", f, " ", x));
      for (const auto& x : sa)
        if (!sb.count(x)) out.push_back(absl::StrCat(k, ": - ", f, " ", x));
    }
    auto sa = Scalars(ra), sb = Scalars(rb);
    for (const auto& [name, va] : sa) {
      const std::string vb = sb.count(name) ? sb[name] : "(unset)";
      if (va == vb) continue;
      std::string mark = "~";
      if (name == "max_tlp") mark = rb.max_tlp() > ra.max_tlp() ? "+" : "-";
      if (name == "disclosure") mark = rb.disclosure() > ra.disclosure() ? "+" : "-";
      out.push_back(absl::StrCat(k, ": ", mark, " ", name, ": ", va, " -> ", vb));
    }
    for (const auto& [name, vb] : sb) {
      if (!sa.count(name)) out.push_back(absl::StrCat(k, ": ~ ", name, ": (unset) -> ", vb));
    }
  }
  return out;
}

}  // namespace ifed::policy
