#include "node/normalize/warnings.h"

#include <yaml-cpp/yaml.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace ifed::normalize {

extern const char kDefaultWarningsYaml[];  // generated from the policy file

namespace {

absl::Status At(std::string_view name, const YAML::Node& n,
                std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(name), ":", n.Mark().line + 1, ": ", std::string(what)));
}

// The host of a canonical URL ("https://host[:port]/..."), or empty.
std::string_view UrlHost(std::string_view url) {
  const size_t start = url.find("://");
  if (start == std::string_view::npos) return {};
  url.remove_prefix(start + 3);
  return url.substr(0, url.find_first_of(":/?"));
}

bool InDomain(std::string_view name, std::string_view domain) {
  if (name.size() < domain.size()) return false;
  if (name.substr(name.size() - domain.size()) != domain) return false;
  return name.size() == domain.size() ||
         name[name.size() - domain.size() - 1] == '.';
}

}  // namespace

bool GlobMatch(std::string_view p, std::string_view t) {
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi, ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++, mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1, ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

absl::StatusOr<WarningList> WarningList::Parse(std::string_view yaml,
                                               std::string_view name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(name), ":", e.mark.line + 1, ": ", e.msg));
  }
  if (!root.IsMap()) return At(name, root, "expected a mapping");
  WarningList list;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>("");
    if (key == "version") {
      if (kv.second.as<std::string>("") != "1") {
        return At(name, kv.second, "unsupported version (expected 1)");
      }
    } else if (key != "entries") {
      return At(name, kv.first, absl::StrCat("unknown field '", key, "'"));
    }
  }
  const YAML::Node entries = root["entries"];
  if (!entries || !entries.IsSequence()) {
    return At(name, root, "'entries' must be a list");
  }
  for (const YAML::Node& e : entries) {
    if (!e.IsMap()) return At(name, e, "an entry must be a mapping");
    Entry out;
    int kinds = 0;
    for (const auto& kv : e) {
      const std::string key = kv.first.as<std::string>("");
      if (!kv.second.IsScalar()) {
        return At(name, kv.second, absl::StrCat("'", key, "' must be a string"));
      }
      const std::string v = kv.second.as<std::string>();
      if (key == "type") {
        std::optional<IndicatorType> t = ParseType(v);
        if (!t) return At(name, kv.second, "unknown indicator type");
        out.type = *t;
      } else if (key == "exact" || key == "pattern" || key == "domain") {
        ++kinds;
        out.kind = key == "exact"     ? Entry::Kind::kExact
                   : key == "pattern" ? Entry::Kind::kPattern
                                      : Entry::Kind::kDomain;
        out.value = key == "domain" ? absl::AsciiStrToLower(v) : v;
      } else if (key == "reason") {
        out.reason = v;
      } else if (key == "source") {
        out.source = v;
      } else {
        return At(name, kv.first, absl::StrCat("unknown field '", key, "'"));
      }
    }
    if (out.type == IndicatorType::kUnspecified) {
      return At(name, e, "entry needs a type");
    }
    if (kinds != 1 || out.value.empty()) {
      return At(name, e, "entry needs exactly one of exact, pattern, domain");
    }
    if (out.kind == Entry::Kind::kDomain && out.type != IndicatorType::kUrl &&
        out.type != IndicatorType::kEmail) {
      return At(name, e, "domain entries are for url and email only");
    }
    if (out.reason.empty()) return At(name, e, "entry needs a reason");
    list.entries_.push_back(std::move(out));
  }
  return list;
}

const WarningList& WarningList::Default() {
  static const WarningList* list = [] {
    absl::StatusOr<WarningList> l =
        Parse(kDefaultWarningsYaml, "policy/normalize-warnings.yaml");
    // The file is checked by the build's tests; a broken copy must not
    // silently disable the list.
    if (!l.ok()) std::abort();
    return new WarningList(*std::move(l));
  }();
  return *list;
}

std::optional<std::string> WarningList::Check(
    IndicatorType type, std::string_view canonical) const {
  for (const Entry& e : entries_) {
    if (e.type != type) continue;
    bool hit = false;
    switch (e.kind) {
      case Entry::Kind::kExact:
        hit = canonical == e.value;
        break;
      case Entry::Kind::kPattern:
        hit = GlobMatch(e.value, canonical);
        break;
      case Entry::Kind::kDomain: {
        std::string_view host;
        if (type == IndicatorType::kUrl) {
          host = UrlHost(canonical);
        } else {
          const size_t at = canonical.rfind('@');
          if (at != std::string_view::npos) host = canonical.substr(at + 1);
        }
        hit = !host.empty() && InDomain(host, e.value);
        break;
      }
    }
    if (hit) return e.reason;
  }
  return std::nullopt;
}

}  // namespace ifed::normalize
