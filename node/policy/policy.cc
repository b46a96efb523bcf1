// Loading a policy set: YAML -> PolicyFile per file, inheritance
// (partner > jurisdiction > defaults), validation, version digest.
#include "node/policy/policy.h"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "node/common/status_macros.h"
#include "node/config/yaml_proto.h"

namespace ifed::policy {
namespace {

namespace fs = std::filesystem;
using google::protobuf::FieldDescriptor;
using ifed::v1::Rule;

constexpr size_t kMaxFiles = 1000;
constexpr uint32_t kDefaultMaxBatch = 10000;
constexpr uint32_t kMaxMaxBatch = 1'000'000;

// One rule as written, with where its fields were written.
struct Written {
  Rule rule;
  std::string file;
  std::string path;  // "partners[2]", "jurisdictions[0]", "defaults".
  int line = 0;
  std::map<std::string, int> fields;  // "types", "quota.burst" -> line.
};

absl::Status At(const std::string& file, int line, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", reason));
}

// The fields written under `prefix` ("partners[2]") in `lines`.
std::map<std::string, int> FieldsUnder(const FieldLines& lines, const std::string& prefix) {
  std::map<std::string, int> out;
  const std::string p = prefix + ".";
  for (auto it = lines.lower_bound(p); it != lines.end() && it->first.rfind(p, 0) == 0; ++it) {
    std::string rest = it->first.substr(p.size());
    rest = rest.substr(0, rest.find('['));
    out.emplace(rest, it->second);  // first (lowest path) wins; fine for lines.
  }
  return out;
}

bool ValidPartnerId(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool ValidJurisdiction(const std::string& s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

absl::StatusOr<int64_t> ParseWhen(const std::string& s) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%d", s, absl::UTCTimeZone(), &t, &err) ||
      absl::ParseTime(absl::RFC3339_full, s, absl::UTCTimeZone(), &t, &err)) {
    return absl::ToUnixSeconds(t);
  }
  return absl::InvalidArgumentError("expected YYYY-MM-DD or an RFC 3339 time");
}

// Overlays `w` onto `*out`: written lists replace, written scalars and
// sub-message fields override.
void Overlay(const Written& w, Rule* out, std::map<std::string, Source>* src) {
  Rule layer = w.rule;
  layer.clear_partner();
  layer.clear_jurisdiction();
  const auto* desc = Rule::descriptor();
  for (int i = 0; i < desc->field_count(); ++i) {
    const FieldDescriptor* f = desc->field(i);
    if (f->is_repeated() && w.fields.count(f->name())) {
      out->GetReflection()->ClearField(out, f);
    }
  }
  out->MergeFrom(layer);
  for (const auto& [name, line] : w.fields) (*src)[name] = Source{w.file, line};
}

void FillDefaults(Rule* r) {
  if (!r->has_direction()) r->set_direction(ifed::v1::BOTH);
  if (!r->has_max_tlp()) r->set_max_tlp(ifed::v1::TLP_GREEN);
  if (!r->has_scheme()) r->set_scheme(ifed::v1::KEYED);
  if (!r->has_disclosure()) r->set_disclosure(ifed::v1::HIT_ONLY);
  if (!r->has_max_batch()) r->set_max_batch(kDefaultMaxBatch);
  if (!r->has_query_retention_days()) r->set_query_retention_days(30);
  if (!r->has_enumeration_share()) r->set_enumeration_share(0.8);
  if (!r->has_enumeration_window_seconds()) r->set_enumeration_window_seconds(3600);
  if (!r->has_enumeration_block()) r->set_enumeration_block(false);
  auto* q = r->mutable_quota();
  if (!q->has_items_per_second()) q->set_items_per_second(0);
  if (!q->has_burst()) q->set_burst(q->items_per_second());
  if (!q->has_items_per_day()) q->set_items_per_day(0);
  auto* w = r->mutable_watches();
  if (!w->has_allowed()) w->set_allowed(false);
  if (!w->has_max_active()) w->set_max_active(1000);
  auto* f = r->mutable_follow_ups();
  if (!f->has_allowed()) f->set_allowed(false);
  if (!f->has_max_per_day()) f->set_max_per_day(50);
}

// Checks a layer as written (before inheritance).
absl::Status CheckWritten(const Written& w, bool is_partner, bool is_jurisdiction) {
  const Rule& r = w.rule;
  auto line_of = [&](const std::string& f) {
    auto it = w.fields.find(f);
    return it == w.fields.end() ? w.line : it->second;
  };
  if (is_partner && !ValidPartnerId(r.partner())) {
    return At(w.file, line_of("partner"),
              r.partner().empty() ? "field 'partner' is required"
                                  : "field 'partner': node id must be [a-z0-9-]{1,63}");
  }
  if (!is_partner && !r.partner().empty()) {
    return At(w.file, line_of("partner"), "field 'partner' is only allowed in partners rules");
  }
  if ((is_partner || is_jurisdiction) && !r.jurisdiction().empty() &&
      !ValidJurisdiction(r.jurisdiction())) {
    return At(w.file, line_of("jurisdiction"),
              "field 'jurisdiction': expected an ISO 3166-1 alpha-2 code such as AT");
  }
  if (is_jurisdiction && r.jurisdiction().empty()) {
    return At(w.file, w.line, "field 'jurisdiction' is required");
  }
  if (!is_partner && !is_jurisdiction && !r.jurisdiction().empty()) {
    return At(w.file, line_of("jurisdiction"), "field 'jurisdiction' is not allowed in defaults");
  }
  if (!is_partner) {
    for (const char* f : {"direction", "valid_from", "valid_until"}) {
      if (w.fields.count(f)) {
        return At(w.file, line_of(f),
                  absl::StrCat("field '", f, "' is only allowed in partners rules"));
      }
    }
  }
  if (r.has_max_tlp() && r.max_tlp() == ifed::v1::TLP_RED) {
    return At(w.file, line_of("max_tlp"), "field 'max_tlp': TLP:RED is never shared");
  }
  if (r.has_max_batch() && (r.max_batch() == 0 || r.max_batch() > kMaxMaxBatch)) {
    return At(w.file, line_of("max_batch"),
              absl::StrCat("field 'max_batch': must be 1..", kMaxMaxBatch));
  }
  if (r.has_enumeration_share() &&
      !(r.enumeration_share() >= 0 && r.enumeration_share() <= 1)) {
    return At(w.file, line_of("enumeration_share"),
              "field 'enumeration_share': must be 0..1 (a share of the quota; 0 = off)");
  }
  if (r.has_enumeration_window_seconds() &&
      (r.enumeration_window_seconds() == 0 || r.enumeration_window_seconds() > 86400)) {
    return At(w.file, line_of("enumeration_window_seconds"),
              "field 'enumeration_window_seconds': must be 1..86400");
  }
  if (r.has_legal_basis() && r.legal_basis().find_first_not_of(" \t\r\n") == std::string::npos) {
    return At(w.file, line_of("legal_basis"), "field 'legal_basis': must not be blank");
  }
  std::set<int> seen;
  for (int t : r.types()) {
    if (!seen.insert(t).second) return At(w.file, line_of("types"), "field 'types': listed twice");
  }
  seen.clear();
  for (int p : r.purposes()) {
    if (!seen.insert(p).second) {
      return At(w.file, line_of("purposes"), "field 'purposes': listed twice");
    }
  }
  for (const char* f : {"valid_from", "valid_until"}) {
    const std::string& v = std::string(f) == "valid_from" ? r.valid_from() : r.valid_until();
    if (w.fields.count(f) && !ParseWhen(v).ok()) {
      return At(w.file, line_of(f),
                absl::StrCat("field '", f, "': expected YYYY-MM-DD or an RFC 3339 time"));
    }
  }
  return absl::OkStatus();
}

// Required fields after inheritance, and cross-field checks.
absl::Status CheckEffective(const EffectiveRule& e, const std::string& where_to_write) {
  const Rule& r = e.rule;
  const std::string who = absl::StrCat("partner '", r.partner(), "': ");
  if (r.types().empty()) {
    return At(e.source.file, e.source.line,
              absl::StrCat(who, "no indicator types: write 'types' ", where_to_write));
  }
  if (r.purposes().empty()) {
    return At(e.source.file, e.source.line,
              absl::StrCat(who, "no purposes: write 'purposes' ", where_to_write));
  }
  if (!r.has_legal_basis()) {
    return At(e.source.file, e.source.line,
              absl::StrCat(who, "no legal basis: write 'legal_basis' ", where_to_write));
  }
  if (e.valid_from >= e.valid_until) {
    return At(e.source.file, e.FieldSource("valid_until").line,
              absl::StrCat(who, "valid_until must be after valid_from"));
  }
  if (r.quota().items_per_second() > 0 && r.quota().burst() == 0) {
    return At(e.source.file, e.FieldSource("quota.burst").line,
              absl::StrCat(who, "quota.burst must be at least 1"));
  }
  return absl::OkStatus();
}

bool DirectionsOverlap(ifed::v1::Direction a, ifed::v1::Direction b) {
  return a == ifed::v1::BOTH || b == ifed::v1::BOTH || a == b;
}

}  // namespace

std::string Source::ToString() const {
  return line == 0 ? "built-in default" : absl::StrCat(file, ":", line);
}

bool EffectiveRule::Covers(ifed::v1::Direction d) const { return DirectionsOverlap(rule.direction(), d); }

Source EffectiveRule::FieldSource(const std::string& name) const {
  auto it = fields.find(name);
  return it != fields.end() ? it->second : Source{};
}

absl::StatusOr<std::vector<PolicyText>> Policy::ReadDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": policy directory not found"));
  }
  std::vector<fs::path> paths;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) paths.push_back(e.path());
  }
  if (ec) return absl::UnavailableError(absl::StrCat(dir, ": ", ec.message()));
  if (paths.size() > kMaxFiles) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": more than ", kMaxFiles, " files"));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<PolicyText> out;
  for (const fs::path& p : paths) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return absl::PermissionDeniedError(absl::StrCat(p.string(), ": cannot read"));
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().size() > kMaxYamlBytes) {
      return absl::InvalidArgumentError(absl::StrCat(p.string(), ": file too large"));
    }
    out.push_back({p.filename().string(), text.str()});
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const Policy>> Policy::LoadDir(const std::string& dir) {
  IFED_ASSIGN_OR_RETURN(auto files, ReadDir(dir));
  return LoadTexts(std::move(files));
}

absl::StatusOr<std::shared_ptr<const Policy>> Policy::LoadTexts(std::vector<PolicyText> files) {
  std::sort(files.begin(), files.end(),
            [](const PolicyText& a, const PolicyText& b) { return a.name < b.name; });
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!sha || EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("sha256 unavailable");
  }
  std::vector<Written> partners;
  std::map<std::string, Written> jurisdictions;
  std::optional<Written> defaults;
  for (size_t i = 0; i < files.size(); ++i) {
    const PolicyText& f = files[i];
    if (i > 0 && files[i - 1].name == f.name) {
      return absl::InvalidArgumentError(absl::StrCat(f.name, ": file given twice"));
    }
    const std::string len = std::to_string(f.text.size());
    EVP_DigestUpdate(sha.get(), f.name.data(), f.name.size() + 1);
    EVP_DigestUpdate(sha.get(), len.data(), len.size() + 1);
    EVP_DigestUpdate(sha.get(), f.text.data(), f.text.size());
    ifed::v1::PolicyFile pf;
    FieldLines lines;
    IFED_RETURN_IF_ERROR(ifed::YamlToProto(f.text, f.name, &pf, &lines));
    if (lines.count("defaults")) {
      Written w{pf.defaults(), f.name, "defaults", lines.at("defaults"),
                FieldsUnder(lines, "defaults")};
      if (defaults) {
        return At(f.name, w.line,
                  absl::StrCat("defaults already given at ", defaults->file, ":", defaults->line));
      }
      IFED_RETURN_IF_ERROR(CheckWritten(w, false, false));
      defaults = std::move(w);
    }
    for (int k = 0; k < pf.jurisdictions_size(); ++k) {
      const std::string path = absl::StrCat("jurisdictions[", k, "]");
      Written w{pf.jurisdictions(k), f.name, path, lines[path], FieldsUnder(lines, path)};
      IFED_RETURN_IF_ERROR(CheckWritten(w, false, true));
      auto [it, fresh] = jurisdictions.emplace(w.rule.jurisdiction(), w);
      if (!fresh) {
        return At(f.name, w.line,
                  absl::StrCat("jurisdiction '", w.rule.jurisdiction(), "' already has a rule at ",
                               it->second.file, ":", it->second.line));
      }
    }
    for (int k = 0; k < pf.partners_size(); ++k) {
      const std::string path = absl::StrCat("partners[", k, "]");
      Written w{pf.partners(k), f.name, path, lines[path], FieldsUnder(lines, path)};
      IFED_RETURN_IF_ERROR(CheckWritten(w, true, false));
      partners.push_back(std::move(w));
    }
  }
  auto policy = std::make_shared<Policy>();
  for (const Written& w : partners) {
    EffectiveRule e;
    e.source = Source{w.file, w.line};
    std::string where = "in the partner rule or in defaults";
    if (defaults) Overlay(*defaults, &e.rule, &e.fields);
    if (!w.rule.jurisdiction().empty()) {
      where = absl::StrCat("in the partner rule, in jurisdiction '", w.rule.jurisdiction(),
                           "' or in defaults");
      auto j = jurisdictions.find(w.rule.jurisdiction());
      if (j != jurisdictions.end()) Overlay(j->second, &e.rule, &e.fields);
    }
    Overlay(w, &e.rule, &e.fields);
    e.rule.set_partner(w.rule.partner());
    e.rule.set_jurisdiction(w.rule.jurisdiction());
    FillDefaults(&e.rule);
    if (e.rule.has_valid_from()) e.valid_from = *ParseWhen(e.rule.valid_from());
    if (e.rule.has_valid_until()) e.valid_until = *ParseWhen(e.rule.valid_until());
    IFED_RETURN_IF_ERROR(CheckEffective(e, where));
    for (const EffectiveRule& other : policy->rules_) {
      if (other.rule.partner() == e.rule.partner() &&
          DirectionsOverlap(other.rule.direction(), e.rule.direction()) &&
          other.valid_from < e.valid_until && e.valid_from < other.valid_until) {
        return At(w.file, w.line,
                  absl::StrCat("partner '", e.rule.partner(), "' already has a rule at ",
                               other.source.ToString(),
                               " for the same direction and validity window (overlapping rules)"));
      }
    }
    policy->rules_.push_back(std::move(e));
  }
  std::stable_sort(policy->rules_.begin(), policy->rules_.end(),
                   [](const EffectiveRule& a, const EffectiveRule& b) {
                     return a.rule.partner() < b.rule.partner();
                   });
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_DigestFinal_ex(sha.get(), digest, &digest_len) != 1 || digest_len < 8) {
    return absl::InternalError("sha256 failed");
  }
  policy->version_ =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 8));
  return std::shared_ptr<const Policy>(std::move(policy));
}

const EffectiveRule* Policy::Find(const std::string& partner, Direction direction,
                                  int64_t now) const {
  const auto d = direction == Direction::kInbound ? ifed::v1::INBOUND : ifed::v1::OUTBOUND;
  for (const EffectiveRule& e : rules_) {
    if (e.rule.partner() == partner && e.Covers(d) && e.InForce(now)) return &e;
  }
  return nullptr;
}

absl::Status PolicyHolder::Reload(const std::string& dir) {
  IFED_ASSIGN_OR_RETURN(std::shared_ptr<const Policy> fresh, Policy::LoadDir(dir));
  Set(std::move(fresh));
  return absl::OkStatus();
}

}  // namespace ifed::policy
