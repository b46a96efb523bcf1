#include "node/ingest/stix.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace ifed::ingest {
namespace {

using json = nlohmann::json;

// ---- Pattern subset ---------------------------------------------------------

enum class Tok { kLBrack, kRBrack, kLParen, kRParen, kAnd, kOr, kPath, kEq, kString, kOther };

struct Token {
  Tok kind;
  std::string text;
};

absl::StatusOr<std::vector<Token>> Lex(std::string_view p) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '[' || c == ']' || c == '(' || c == ')') {
      out.push_back({c == '[' ? Tok::kLBrack : c == ']' ? Tok::kRBrack
                     : c == '(' ? Tok::kLParen : Tok::kRParen, ""});
      ++i;
    } else if (c == '\'') {
      std::string v;
      ++i;
      bool closed = false;
      while (i < p.size()) {
        if (p[i] == '\\' && i + 1 < p.size() && (p[i + 1] == '\'' || p[i + 1] == '\\')) {
          v.push_back(p[i + 1]);
          i += 2;
        } else if (p[i] == '\'') {
          closed = true;
          ++i;
          break;
        } else {
          v.push_back(p[i++]);
        }
      }
      if (!closed) return absl::InvalidArgumentError("unterminated string in pattern");
      out.push_back({Tok::kString, std::move(v)});
    } else if (c == '=') {
      out.push_back({Tok::kEq, ""});
      ++i;
    } else if (c == '!' || c == '<' || c == '>') {
      out.push_back({Tok::kOther, std::string(1, c)});
      ++i;
    } else {
      size_t j = i;
      while (j < p.size() && !absl::ascii_isspace(static_cast<unsigned char>(p[j])) &&
             p[j] != '[' && p[j] != ']' && p[j] != '(' && p[j] != ')' && p[j] != '=' &&
             p[j] != '\'' && p[j] != '!' && p[j] != '<' && p[j] != '>') {
        ++j;
      }
      std::string w(p.substr(i, j - i));
      i = j;
      if (w == "AND") {
        out.push_back({Tok::kAnd, w});
      } else if (w == "OR") {
        out.push_back({Tok::kOr, w});
      } else if (w.find(':') != std::string::npos) {
        out.push_back({Tok::kPath, w});
      } else {
        out.push_back({Tok::kOther, w});  // keyword or non-string literal.
      }
    }
  }
  return out;
}

// A token for an error message: STIX keywords by name, anything else (which
// may be part of a value) not at all.
std::string Describe(const Token& t) {
  if (t.kind == Tok::kAnd) return "AND";
  if (t.kind == Tok::kOr) return "OR";
  if (!t.text.empty() && t.text.size() <= 12 &&
      std::all_of(t.text.begin(), t.text.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return t.text;
  }
  if (t.text.size() == 1 && (t.text == "!" || t.text == "<" || t.text == ">")) return t.text;
  return "(token)";
}

struct Comparison {
  std::string object;    // "url", "user-account", ...
  std::string property;  // "value", "account_login", ...
  std::string value;
};

absl::StatusOr<PatternValue> MapSingle(const Comparison& c) {
  const std::string& o = c.object;
  const std::string& p = c.property;
  if (o == "url" && p == "value") return PatternValue{IndicatorType::kUrl, c.value};
  if (o == "email-addr" && p == "value") return PatternValue{IndicatorType::kEmail, c.value};
  if (o == "domain-name" && p == "value") {
    return PatternValue{IndicatorType::kUrl, absl::StrCat("https://", c.value, "/")};
  }
  if ((o == "phone-number" || o == "x-phone-number") && p == "value") {
    return PatternValue{IndicatorType::kPhone, c.value};
  }
  if (o == "bank-account" && p == "iban") return PatternValue{IndicatorType::kIban, c.value};
  if (o == "cryptocurrency-wallet" && p == "value") {
    return PatternValue{IndicatorType::kCryptoWallet, c.value};
  }
  if (o == "user-account" && p == "account_login") {
    return absl::InvalidArgumentError("user-account:account_login without account_type");
  }
  auto ident = [](const std::string& w) {
    return !w.empty() && w.size() <= 64 && std::all_of(w.begin(), w.end(), [](char ch) {
      return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ||
             ch == '.';
    });
  };
  // Unimplemented: a well-formed comparison on something the node does not hold.
  if (!ident(o) || !ident(p)) return absl::UnimplementedError("unsupported property");
  return absl::UnimplementedError(absl::StrCat("unsupported property ", o, ":", p));
}

absl::StatusOr<PatternValue> MapConjunction(const std::vector<Comparison>& cs) {
  if (cs.size() == 1) return MapSingle(cs[0]);
  const std::string* login = nullptr;
  const std::string* type = nullptr;
  for (const Comparison& c : cs) {
    if (c.object != "user-account") {
      return absl::InvalidArgumentError("AND of comparisons other than user-account's");
    }
    if (c.property == "account_login" && login == nullptr) {
      login = &c.value;
    } else if (c.property == "account_type" && type == nullptr) {
      type = &c.value;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported user-account comparison on ", c.property));
    }
  }
  if (login == nullptr || type == nullptr) {
    return absl::InvalidArgumentError("user-account needs account_login and account_type");
  }
  return PatternValue{IndicatorType::kHandle,
                      absl::StrCat(absl::AsciiStrToLower(*type), ":", *login)};
}

// Parses "[ cmp (op cmp)* ]" starting at tokens[*i] (a '[').
absl::Status ParseObservation(const std::vector<Token>& t, size_t* i,
                              std::vector<PatternValue>* out) {
  ++*i;  // '['
  std::vector<Comparison> cs;
  std::optional<Tok> joint;
  for (;;) {
    while (*i < t.size() && t[*i].kind == Tok::kLParen) ++*i;
    if (*i + 2 >= t.size() || t[*i].kind != Tok::kPath) {
      return absl::InvalidArgumentError("expected object:property in pattern");
    }
    const std::string& path = t[*i].text;
    if (t[*i + 1].kind != Tok::kEq) {
      return absl::InvalidArgumentError("only '=' comparisons are supported");
    }
    if (t[*i + 2].kind != Tok::kString) {
      return absl::InvalidArgumentError("only string literals are supported");
    }
    const size_t colon = path.find(':');
    cs.push_back({path.substr(0, colon), path.substr(colon + 1), t[*i + 2].text});
    *i += 3;
    while (*i < t.size() && t[*i].kind == Tok::kRParen) ++*i;
    if (*i >= t.size()) return absl::InvalidArgumentError("unterminated observation");
    if (t[*i].kind == Tok::kRBrack) {
      ++*i;
      break;
    }
    if (t[*i].kind != Tok::kAnd && t[*i].kind != Tok::kOr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported pattern operator ", Describe(t[*i])));
    }
    if (joint && *joint != t[*i].kind) {
      return absl::InvalidArgumentError("AND and OR mixed in one observation");
    }
    joint = t[*i].kind;
    ++*i;
  }
  if (joint == Tok::kAnd) {
    auto v = MapConjunction(cs);
    if (!v.ok()) return v.status();
    out->push_back(std::move(*v));
    return absl::OkStatus();
  }
  for (const Comparison& c : cs) {
    auto v = MapSingle(c);
    if (!v.ok()) return v.status();
    out->push_back(std::move(*v));
  }
  return absl::OkStatus();
}

// ---- Markings -----------------------------------------------------------------

const std::map<std::string, Tlp>& StandardMarkings() {
  static const auto* m = new std::map<std::string, Tlp>{
      // TLP 1.0 (STIX 2.1 section 7.2.1.4).
      {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Tlp::kClear},
      {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Tlp::kGreen},
      {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", Tlp::kAmber},
      {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Tlp::kRed},
      // TLP 2.0 (OASIS extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d).
      {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", Tlp::kClear},
      {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", Tlp::kGreen},
      {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", Tlp::kAmber},
      {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", Tlp::kAmberStrict},
      {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", Tlp::kRed},
  };
  return *m;
}

std::optional<Tlp> MarkingTlp(const json& o) {
  auto str = [](const json& j, const char* k) -> std::string {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (str(o, "definition_type") == "tlp" && o.contains("definition") &&
      o["definition"].is_object()) {
    if (auto t = ParseTlpName(str(o["definition"], "tlp"))) return t;
  }
  if (auto ext = o.find("extensions"); ext != o.end() && ext->is_object()) {
    for (const auto& [k, v] : ext->items()) {
      if (v.is_object()) {
        if (auto t = ParseTlpName(str(v, "tlp_2_0"))) return t;
      }
    }
  }
  const std::string name = str(o, "name");
  if (name.rfind("TLP:", 0) == 0) return ParseTlpName(name);
  return std::nullopt;
}

class BundleReader {
 public:
  BundleReader(const ReadOptions& options, const Sinks& sinks)
      : options_(options), sinks_(sinks), markings_(StandardMarkings()) {}

  void Object(json& o) {
    ++ordinal_;
    if (!o.is_object() || !o.contains("type") || !o["type"].is_string()) {
      Refuse("object without a type", "malformed object", false);
      return;
    }
    const std::string type = o["type"].get<std::string>();
    const std::string id = o.contains("id") && o["id"].is_string() ? o["id"].get<std::string>() : type;
    if (type == "marking-definition") {
      if (auto t = MarkingTlp(o)) markings_[id] = *t;
      return;
    }
    if (type != "indicator") {
      Refuse(id, absl::StrCat("not an indicator (", type, "), skipped"), true);
      return;
    }
    Indicator(o, id);
  }

  // Rows whose marking definition came after them. References that never
  // resolve to a TLP marking (statements, copyright) are ignored.
  void Finish() {
    for (Pending& p : pending_) {
      std::optional<Tlp> tlp;
      if (p.row.tlp != Tlp::kUnspecified) tlp = p.row.tlp;
      for (const std::string& ref : p.unknown) Stricter(ref, &tlp);
      p.row.tlp = tlp.value_or(Tlp::kUnspecified);
      sinks_.row(std::move(p.row));
    }
    pending_.clear();
  }

 private:
  struct Pending {
    Row row;
    std::vector<std::string> unknown;  // marking refs not resolved yet.
  };

  void Refuse(const std::string& source, std::string reason, bool skipped) {
    sinks_.refusal(Refusal{ordinal_, source, std::move(reason), skipped});
  }

  // Folds the TLP of marking `ref` into *tlp (most restrictive); false when unknown.
  bool Stricter(const std::string& ref, std::optional<Tlp>* tlp) {
    auto it = markings_.find(ref);
    if (it == markings_.end()) return false;
    if (!*tlp || static_cast<int>(it->second) > static_cast<int>(**tlp)) *tlp = it->second;
    return true;
  }

  void Indicator(const json& o, const std::string& id) {
    if (o.value("revoked", false) == true) return Refuse(id, "revoked, skipped", true);
    if (o.contains("pattern_type") &&
        (!o["pattern_type"].is_string() || o["pattern_type"].get<std::string>() != "stix")) {
      return Refuse(id, "pattern_type is not stix, skipped", true);
    }
    if (!o.contains("pattern") || !o["pattern"].is_string()) {
      return Refuse(id, "malformed indicator: no pattern", false);
    }
    int64_t expires = 0;
    if (o.contains("valid_until")) {
      std::optional<int64_t> t;
      if (o["valid_until"].is_string()) t = ParseTimestamp(o["valid_until"].get<std::string>());
      if (!t) return Refuse(id, "malformed indicator: valid_until is not a timestamp", false);
      if (*t <= options_.now) return Refuse(id, "expired (valid_until passed), skipped", true);
      expires = *t;
    }
    auto values = ParseStixPattern(o["pattern"].get<std::string>());
    if (!values.ok()) {
      return Refuse(id, std::string(values.status().message()),
                    values.status().code() == absl::StatusCode::kUnimplemented);
    }
    std::optional<Tlp> tlp;
    std::vector<std::string> unknown;
    if (auto refs = o.find("object_marking_refs"); refs != o.end()) {
      if (!refs->is_array()) return Refuse(id, "malformed object_marking_refs", false);
      for (const json& r : *refs) {
        if (!r.is_string()) return Refuse(id, "malformed object_marking_refs", false);
        if (!Stricter(r.get<std::string>(), &tlp)) unknown.push_back(r.get<std::string>());
      }
    }
    for (PatternValue& v : *values) {
      Row row;
      row.ordinal = ordinal_;
      row.source = id;
      row.type = v.type;
      row.value = std::move(v.value);
      row.tlp = tlp.value_or(Tlp::kUnspecified);
      row.expires = expires;
      if (!unknown.empty() && (!tlp || *tlp != Tlp::kRed)) {
        // A later definition may be stricter: wait for the end of the bundle.
        pending_.push_back(Pending{std::move(row), unknown});
        continue;
      }
      sinks_.row(std::move(row));
    }
  }

  const ReadOptions& options_;
  const Sinks& sinks_;
  std::map<std::string, Tlp> markings_;
  std::vector<Pending> pending_;
  uint32_t ordinal_ = 0;
};

}  // namespace

absl::StatusOr<std::vector<PatternValue>> ParseStixPattern(std::string_view pattern) {
  auto tokens = Lex(pattern);
  if (!tokens.ok()) return tokens.status();
  const std::vector<Token>& t = *tokens;
  std::vector<PatternValue> out;
  size_t i = 0;
  for (;;) {
    if (i >= t.size() || t[i].kind != Tok::kLBrack) {
      return absl::InvalidArgumentError("expected '[' in pattern");
    }
    if (absl::Status s = ParseObservation(t, &i, &out); !s.ok()) return s;
    if (i == t.size()) break;
    if (t[i].kind != Tok::kOr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported pattern operator between observations: ",
                       Describe(t[i])));
    }
    ++i;
  }
  return out;
}

absl::Status ReadStixBundle(std::istream& in, const ReadOptions& options, const Sinks& sinks) {
  BundleReader reader(options, sinks);
  std::vector<std::string> keys(8);
  bool top_object = false;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t ev, json& parsed) {
    if (depth == 0 && ev == json::parse_event_t::object_start) top_object = true;
    if (ev == json::parse_event_t::key) {
      if (static_cast<size_t>(depth) >= keys.size()) keys.resize(depth + 1);
      keys[depth] = parsed.is_string() ? parsed.get<std::string>() : "";
      return true;
    }
    if (depth == 2 && top_object && keys[1] == "objects" &&
        ev == json::parse_event_t::object_end) {
      reader.Object(parsed);
      return false;  // handled: do not keep it.
    }
    if (depth == 2 && top_object && keys[1] == "objects" && ev == json::parse_event_t::value) {
      json bad;  // a non-object element.
      reader.Object(bad);
      return false;
    }
    return true;
  };
  try {
    json doc = json::parse(in, cb);
    if (!top_object || !doc.is_object()) return absl::InvalidArgumentError("not a STIX bundle");
    if (doc.value("type", "") != "bundle") {
      return absl::InvalidArgumentError("not a STIX bundle (type is not \"bundle\")");
    }
  } catch (const json::parse_error& e) {
    // Not e.what(): it quotes the input near the error, which may be a value.
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON near byte ", e.byte));
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError("invalid JSON");
  }
  reader.Finish();
  return absl::OkStatus();
}

}  // namespace ifed::ingest
