// ifed-synth: deterministic synthetic indicator sets for the demo and the
// integration tests.
//
//   ifed-synth --out DIR --nodes de:DE,at:AT,hu:HU [--count 3000] [--seed 42]
//              [--pair-overlap 20] [--all-overlap 5]
//
// Writes DIR/<id>.csv per node in the ingest format
// (type,value,case_ref,tlp,crime_area,region) and DIR/planted.csv
// (type,canonical,holders): identifiers deliberately held by two or by all
// nodes, each holder writing its own spelling so that only normalisation makes
// them match. Every other value is unique across all nodes by canonical form,
// and every value written normalises (checked with the project's normaliser).
// The same seed and normaliser give byte-identical output.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "node/common/atomic_file.h"
#include "node/common/indicator_type.h"
#include "node/common/status_macros.h"
#include "node/normalize/normalizer.h"
#include "phonenumbers/phonenumber.pb.h"
#include "phonenumbers/phonenumberutil.h"

namespace ifed::synth {
namespace {

using ::i18n::phonenumbers::PhoneNumber;
using ::i18n::phonenumbers::PhoneNumberUtil;

constexpr int kMaxAttempts = 200;

struct NodeSpec {
  std::string id;      // node id, e.g. "de"
  std::string region;  // ISO 3166-1 alpha-2, e.g. "DE"
};

struct Flags {
  std::filesystem::path out;
  std::vector<NodeSpec> nodes;
  int count = 3000;
  uint64_t seed = 42;
  int pair_overlap = 20;
  int all_overlap = 5;
};

// Deterministic across platforms: mt19937_64 is fully specified, and the
// helpers below avoid the implementation-defined std distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : engine_() % n; }
  bool Chance(int percent) {
    return Below(100) < static_cast<uint64_t>(percent);
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }
  std::string Digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + Below(10)));
    return s;
  }
  // n digits without a leading zero (an id, a message number).
  std::string Number(int n) {
    return std::string(1, static_cast<char>('1' + Below(9))) + Digits(n - 1);
  }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

// ---------------------------------------------------------------------------
// Identifiers and their spellings.

// One real-world identifier, able to spell itself as a given node would.
class Identifier {
 public:
  virtual ~Identifier() = default;
  virtual IndicatorType type() const = 0;
  // Candidate spellings as an analyst in `region` would write them, preferred
  // first; all denote the same identifier.
  virtual std::vector<std::string> Spellings(const std::string& region,
                                             Rng& rng) const = 0;
};

const std::vector<std::string>& Words() {
  static const auto* w = new std::vector<std::string>{
      "safe",     "route",  "travel",  "euro",   "balkan", "road",  "taxi",
      "transfer", "border", "trip",    "fast",   "way",    "north", "west",
      "star",     "line",   "express", "move",   "go",     "path",  "vip",
      "help",     "docs",   "visa",    "hope",   "bridge", "door",  "land",
      "sea",      "boat",   "car",     "van",    "amir",   "omar",  "ali",
      "karim",    "nadia",  "samir",   "yusuf",  "leyla",  "milan", "marko",
      "zoran",    "ivan",   "dragan",  "andrei", "emre",   "deniz"};
  return *w;
}

// A lower-case name of 6-15 characters: letters and digits joined by `sep`
// (empty for none), starting with a letter.
std::string MakeName(Rng& rng, const std::string& sep) {
  std::string name = rng.Pick(Words());
  name += sep.empty() ? "" : sep;
  name += rng.Pick(Words());
  if (rng.Chance(70)) name += rng.Digits(1 + static_cast<int>(rng.Below(3)));
  if (name.size() > 15) name.resize(15);
  while (!name.empty() &&
         !absl::ascii_isalnum(static_cast<unsigned char>(name.back()))) {
    name.pop_back();
  }
  while (name.size() < 6) name += rng.Digits(1);
  return name;
}

// Upper-cases the first letter of each word ("safe_route24" -> "Safe_Route24").
std::string TitleCase(const std::string& s) {
  std::string out = s;
  bool start = true;
  for (char& c : out) {
    if (start && absl::ascii_isalpha(static_cast<unsigned char>(c)))
      c = absl::ascii_toupper(c);
    start = !absl::ascii_isalnum(static_cast<unsigned char>(c));
  }
  return out;
}

// ----- phones

class Phone final : public Identifier {
 public:
  explicit Phone(PhoneNumber number) : number_(std::move(number)) {}
  IndicatorType type() const override { return IndicatorType::kPhone; }

  std::vector<std::string> Spellings(const std::string& region,
                                     Rng& rng) const override {
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    std::string region_of_number;
    util.GetRegionCodeForNumber(number_, &region_of_number);
    std::string e164, intl, nsn, out_of_country;
    util.Format(number_, PhoneNumberUtil::E164, &e164);
    util.Format(number_, PhoneNumberUtil::INTERNATIONAL, &intl);
    util.GetNationalSignificantNumber(number_, &nsn);
    const std::string cc = absl::StrCat(number_.country_code());
    const int ndc_len =
        std::max(1, util.GetLengthOfNationalDestinationCode(number_));
    const std::string ndc = nsn.substr(0, ndc_len);
    const std::string subscriber = nsn.substr(ndc_len);

    std::vector<std::string> national, international;
    if (region_of_number == region) {
      std::string nat;
      util.Format(number_, PhoneNumberUtil::NATIONAL, &nat);
      const std::string prefix = NationalPrefix(nat, ndc);
      national = {
          nat, prefix + nsn, absl::StrCat(prefix, ndc, "/", subscriber),
          absl::StrCat(prefix, ndc, "-", Group(subscriber, 4, "-")),
          absl::StrCat("(", prefix, ndc, ") ", Group(subscriber, 3, " "))};
    } else {
      util.FormatOutOfCountryCallingNumber(number_, region, &out_of_country);
    }
    international = {
        intl, e164,
        absl::StrCat("+", cc, " ", ndc, " ", Group(subscriber, 4, " "))};
    if (!out_of_country.empty() && out_of_country != intl) {
      international.push_back(out_of_country);
      international.push_back(absl::StrReplaceAll(out_of_country, {{" ", ""}}));
    } else {
      international.push_back(
          absl::StrCat("00", cc, " ", ndc, " ", subscriber));
      international.push_back(absl::StrCat("00", cc, nsn));
    }
    // Mostly the national form for a number of one's own country, otherwise
    // one of the international forms; the rest follow as fallbacks.
    rng.Shuffle(national);
    rng.Shuffle(international);
    std::vector<std::string> all;
    if (!national.empty() && rng.Chance(75)) {
      all = national;
      all.insert(all.end(), international.begin(), international.end());
    } else {
      all = international;
      all.insert(all.end(), national.begin(), national.end());
    }
    return all;
  }

 private:
  // The national prefix in front of the NDC in the NATIONAL format ("0",
  // "06"), spaces removed.
  static std::string NationalPrefix(const std::string& nat,
                                    const std::string& ndc) {
    std::string digits;
    for (char c : nat) {
      if (absl::ascii_isdigit(static_cast<unsigned char>(c)))
        digits.push_back(c);
    }
    const size_t at = digits.find(ndc);
    return at == std::string::npos ? "" : digits.substr(0, at);
  }
  static std::string Group(const std::string& s, size_t n,
                           const std::string& sep) {
    std::string out;
    for (size_t i = 0; i < s.size(); i += n) {
      if (!out.empty()) out += sep;
      out += s.substr(i, n);
    }
    return out;
  }

  PhoneNumber number_;
};

// Mobile prefixes (NDCs) and national significant number lengths per region;
// other regions start from libphonenumber's example mobile number.
struct MobilePlan {
  std::vector<std::string> ndcs;
  std::vector<int> nsn_lengths;
};

const std::map<std::string, MobilePlan>& MobilePlans() {
  static const auto* plans = new std::map<std::string, MobilePlan>{
      {"DE",
       {{"151", "152", "157", "159", "160", "162", "163", "170", "171", "172",
         "173", "174", "175", "176", "177", "178", "179"},
        {11, 10}}},
      {"AT",
       {{"650", "660", "664", "676", "677", "678", "680", "681", "688", "699"},
        {10, 11}}},
      {"HU", {{"20", "30", "31", "50", "70"}, {9}}},
  };
  return *plans;
}

// Regions foreign numbers come from besides the nodes' own.
const std::vector<std::string>& ForeignRegions() {
  static const auto* r = new std::vector<std::string>{
      "TR", "RS", "GR", "IQ", "SY", "AF", "MA", "PK",
      "GB", "IT", "RO", "BG", "AL", "MK", "LY"};
  return *r;
}

std::optional<PhoneNumber> RandomMobile(const std::string& region, Rng& rng) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const int cc = util.GetCountryCodeForRegion(region);
  if (cc == 0) return std::nullopt;
  std::string example_nsn;
  PhoneNumber example;
  if (util.GetExampleNumberForType(region, PhoneNumberUtil::MOBILE, &example)) {
    util.GetNationalSignificantNumber(example, &example_nsn);
  }
  const auto plan = MobilePlans().find(region);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::string nsn;
    if (plan != MobilePlans().end() && attempt < kMaxAttempts / 2) {
      const std::string& ndc = rng.Pick(plan->second.ndcs);
      const int len = rng.Pick(plan->second.nsn_lengths);
      nsn = ndc + rng.Digits(len - static_cast<int>(ndc.size()));
    } else if (example_nsn.size() >= 6) {
      const size_t keep = std::min<size_t>(3, example_nsn.size() - 4);
      nsn = example_nsn.substr(0, keep) +
            rng.Digits(static_cast<int>(example_nsn.size() - keep));
    } else {
      return std::nullopt;
    }
    if (nsn[0] == '0') continue;
    PhoneNumber n;
    n.set_country_code(cc);
    uint64_t national = 0;
    if (!absl::SimpleAtoi(nsn, &national)) continue;
    n.set_national_number(national);
    if (!util.IsValidNumberForRegion(n, region)) continue;
    const auto t = util.GetNumberType(n);
    if (t != PhoneNumberUtil::MOBILE &&
        t != PhoneNumberUtil::FIXED_LINE_OR_MOBILE)
      continue;
    return n;
  }
  return std::nullopt;
}

// ----- handles

class Handle final : public Identifier {
 public:
  Handle(std::string platform, std::string name)
      : platform_(std::move(platform)), name_(std::move(name)) {}
  IndicatorType type() const override { return IndicatorType::kHandle; }

  std::vector<std::string> Spellings(const std::string&,
                                     Rng& rng) const override {
    const std::string& n = name_;
    const std::string t = TitleCase(name_);
    std::vector<std::string> s;
    if (platform_ == "telegram") {
      s = {"telegram:@" + n, "telegram:" + n,     "https://t.me/" + n,
           "Telegram:@" + t, "https://t.me/" + t, "telegram:@" + t};
    } else if (platform_ == "instagram") {
      s = {"https://instagram.com/" + n,
           "instagram:" + n,
           "https://www.instagram.com/" + n + "/",
           "instagram:@" + t,
           "Instagram:" + t,
           "https://www.instagram.com/" + t};
    } else if (platform_ == "tiktok") {
      s = {"tiktok:@" + n, "https://www.tiktok.com/@" + n, "TikTok:@" + t,
           "tiktok:" + t};
    } else if (platform_ == "x") {
      s = {"x:@" + n, "https://x.com/" + n, "X:@" + t,
           "https://twitter.com/" + t};
    } else {  // facebook
      s = {"facebook:" + n, "https://www.facebook.com/" + n, "Facebook:" + t,
           "https://facebook.com/" + t};
    }
    rng.Shuffle(s);
    return s;
  }

 private:
  std::string platform_;
  std::string name_;
};

std::unique_ptr<Identifier> RandomHandle(Rng& rng) {
  static const std::vector<std::string> kPlatforms = {
      "telegram", "telegram", "instagram", "tiktok", "x", "facebook"};
  const std::string& platform = rng.Pick(kPlatforms);
  std::string sep = "_";
  if (platform == "instagram")
    sep = rng.Pick(std::vector<std::string>{"_", ".", ""});
  if (platform == "facebook") sep = rng.Pick(std::vector<std::string>{".", ""});
  return std::make_unique<Handle>(platform, MakeName(rng, sep));
}

// ----- URLs

class Url final : public Identifier {
 public:
  Url(std::string host, std::string path, std::string query)
      : host_(std::move(host)),
        path_(std::move(path)),
        query_(std::move(query)) {}
  IndicatorType type() const override { return IndicatorType::kUrl; }

  std::vector<std::string> Spellings(const std::string&,
                                     Rng& rng) const override {
    static const std::vector<std::string> kTracking = {
        "utm_source=facebook&utm_medium=social",
        "utm_source=telegram&utm_campaign=spring", "fbclid=IwAR",
        "gclid=Cj0KCQ", "utm_medium=cpc&utm_term=route"};
    std::string tracking = rng.Pick(kTracking);
    if (tracking == "fbclid=IwAR" || tracking == "gclid=Cj0KCQ")
      tracking += rng.Digits(12);
    const std::string q = query_.empty() ? "" : "?" + query_;
    const std::string with_tracking =
        query_.empty() ? "?" + tracking
                       : absl::StrCat("?", query_, "&", tracking);
    std::string upper_host = absl::AsciiStrToUpper(host_);
    std::string dotted = path_;
    const size_t slash = dotted.find('/', 1);
    if (slash != std::string::npos) dotted.insert(slash, "/.");
    std::vector<std::string> s = {
        absl::StrCat("https://", host_, path_, with_tracking),
        absl::StrCat("https://", host_, path_, q),
        absl::StrCat("HTTPS://", upper_host, path_, q),
        absl::StrCat("https://", host_, ":443", path_, with_tracking),
        absl::StrCat("https://", upper_host, path_, q, "#contact"),
        absl::StrCat("https://", host_, dotted, with_tracking),
    };
    // The first two are the common ones; keep them in front most of the time.
    if (rng.Chance(30)) rng.Shuffle(s);
    return s;
  }

 private:
  std::string host_;
  std::string path_;   // starts with '/'
  std::string query_;  // without '?', may be empty
};

std::unique_ptr<Identifier> RandomUrl(Rng& rng) {
  static const std::vector<std::string> kTlds = {"com", "net",    "info",
                                                 "eu",  "online", "site"};
  switch (rng.Below(5)) {
    case 0:
      return std::make_unique<Url>(
          "www.facebook.com",
          absl::StrCat("/groups/", rng.Number(15), "/posts/", rng.Number(16)),
          "");
    case 1:
      return std::make_unique<Url>(
          "t.me",
          absl::StrCat("/", MakeName(rng, "_"), "/", 1 + rng.Below(5000)), "");
    case 2:
      return std::make_unique<Url>(
          "www.tiktok.com",
          absl::StrCat("/@", MakeName(rng, "."), "/video/", rng.Number(19)),
          "");
    default: {
      std::string host = absl::StrCat(rng.Pick(Words()), "-", rng.Pick(Words()),
                                      "-", rng.Digits(3), ".", rng.Pick(kTlds));
      if (rng.Chance(40)) host = "www." + host;
      static const std::vector<std::string> kPages = {
          "/offers/", "/contact/", "/trips/", "/booking/", "/news/"};
      std::string path =
          absl::StrCat(rng.Pick(kPages), rng.Pick(Words()), "-", rng.Digits(4));
      std::string query =
          rng.Chance(40) ? absl::StrCat("id=", rng.Digits(5)) : "";
      return std::make_unique<Url>(std::move(host), std::move(path),
                                   std::move(query));
    }
  }
}

// ----- e-mail

class Email final : public Identifier {
 public:
  Email(std::string local, std::string domain)
      : local_(std::move(local)), domain_(std::move(domain)) {}
  IndicatorType type() const override { return IndicatorType::kEmail; }

  std::vector<std::string> Spellings(const std::string&,
                                     Rng& rng) const override {
    std::string alternating = domain_;
    for (size_t i = 0; i < alternating.size(); i += 2) {
      alternating[i] = absl::ascii_toupper(alternating[i]);
    }
    std::vector<std::string> s = {
        local_ + "@" + domain_, local_ + "@" + absl::AsciiStrToUpper(domain_),
        local_ + "@" + TitleCase(domain_), local_ + "@" + alternating,
        "mailto:" + local_ + "@" + domain_};
    if (rng.Chance(30)) rng.Shuffle(s);
    return s;
  }

 private:
  std::string local_;
  std::string domain_;
};

std::unique_ptr<Identifier> RandomEmail(Rng& rng) {
  static const std::vector<std::string> kDomains = {
      "gmail.com",   "outlook.com",  "hotmail.com", "yahoo.com",
      "proton.me",   "gmx.de",       "gmx.at",      "web.de",
      "freemail.hu", "citromail.hu", "mail.ru",     "yandex.ru"};
  const std::string sep = rng.Pick(std::vector<std::string>{".", "_", ""});
  return std::make_unique<Email>(MakeName(rng, sep), rng.Pick(kDomains));
}

// ---------------------------------------------------------------------------
// Generation.

struct Row {
  IndicatorType type;
  std::string value;
  std::string region;  // default region for phones, else empty
  bool shared = false;
};

struct Planted {
  IndicatorType type;
  std::string canonical;
  std::vector<std::string> holders;  // sorted node ids
};

class Generator {
 public:
  Generator(const Flags& flags, const normalize::Normalizer& normalizer)
      : flags_(flags), normalizer_(normalizer), rng_(flags.seed) {}

  absl::Status Run() {
    rows_.assign(flags_.nodes.size(), {});
    IFED_RETURN_IF_ERROR(PlantOverlaps());
    for (size_t i = 0; i < flags_.nodes.size(); ++i) {
      if (static_cast<int>(rows_[i].size()) > flags_.count) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--count ", flags_.count, " is smaller than the ", rows_[i].size(),
            " planted rows of node ", flags_.nodes[i].id));
      }
    }
    for (size_t i = 0; i < flags_.nodes.size(); ++i) {
      while (static_cast<int>(rows_[i].size()) < flags_.count) {
        std::optional<Row> row = UniqueRow(i);
        if (!row) {
          return absl::InternalError(absl::StrCat(
              "cannot generate enough unique values for ", flags_.nodes[i].id));
        }
        rows_[i].push_back(*std::move(row));
      }
      rng_.Shuffle(rows_[i]);
    }
    return WriteAll();
  }

  int reused_spellings() const { return reused_spellings_; }

 private:
  IndicatorType RandomType() {
    const uint64_t r = rng_.Below(100);
    if (r < 45) return IndicatorType::kPhone;
    if (r < 70) return IndicatorType::kHandle;
    if (r < 85) return IndicatorType::kUrl;
    return IndicatorType::kEmail;
  }

  // A random identifier of `type`; phones come from `phone_regions` mostly.
  std::unique_ptr<Identifier> RandomIdentifier(
      IndicatorType type, const std::vector<std::string>& phone_regions) {
    switch (type) {
      case IndicatorType::kPhone: {
        const std::string& region = rng_.Chance(75)
                                        ? rng_.Pick(phone_regions)
                                        : rng_.Pick(ForeignRegions());
        std::optional<PhoneNumber> n = RandomMobile(region, rng_);
        if (!n) return nullptr;
        return std::make_unique<Phone>(*std::move(n));
      }
      case IndicatorType::kHandle:
        return RandomHandle(rng_);
      case IndicatorType::kUrl:
        return RandomUrl(rng_);
      default:
        return RandomEmail(rng_);
    }
  }

  absl::StatusOr<normalize::Canonical> Canonicalize(
      IndicatorType type, const std::string& value,
      const std::string& region) const {
    normalize::Options options;
    if (type == IndicatorType::kPhone) options.default_region = region;
    return normalizer_.Normalize(type, value, options);
  }

  static std::string Key(IndicatorType type, const std::string& canonical) {
    return absl::StrCat(std::string(TypeName(type)), "\t", canonical);
  }

  // Values must be safe in an unquoted CSV field.
  static bool CsvSafe(const std::string& v) {
    return !v.empty() && v.find_first_of(",\"\r\n") == std::string::npos;
  }

  // Keys of a canonical value and of every indicator derived from it (a post
  // URL derives the handle it names): all of them become records on ingest,
  // so all of them must be unique outside the planted overlaps.
  static std::vector<std::string> AllKeys(const normalize::Canonical& c) {
    std::vector<std::string> keys = {Key(c.type, c.value)};
    for (const auto& d : c.derived) keys.push_back(Key(d.type, d.value));
    return keys;
  }

  bool AnyTaken(const std::vector<std::string>& keys) const {
    for (const auto& k : keys) {
      if (taken_.count(k) != 0) return true;
    }
    return false;
  }

  // One spelling for `node` from `spellings` that normalises to `want` (any
  // canonical form of the right type when `want` is empty), avoiding `avoid`.
  // Returns the spelling, its canonical form and the keys it will occupy.
  struct Choice {
    std::string spelling;
    std::string canonical;
    std::vector<std::string> keys;
  };
  std::optional<Choice> ChooseSpelling(
      IndicatorType type, const std::vector<std::string>& spellings,
      const std::string& region, const std::string& want,
      const std::set<std::string>& avoid) const {
    for (const std::string& s : spellings) {
      if (avoid.count(s) != 0 || !CsvSafe(s)) continue;
      absl::StatusOr<normalize::Canonical> c = Canonicalize(type, s, region);
      if (!c.ok() || c->type != type || c->value.empty()) continue;
      if (!want.empty() && c->value != want) continue;
      return Choice{s, c->value, AllKeys(*c)};
    }
    return std::nullopt;
  }

  // Plants one identifier held by the nodes with indices `holders`.
  bool PlantOne(const std::vector<size_t>& holders, IndicatorType type) {
    std::vector<std::string> regions;
    for (size_t h : holders) regions.push_back(flags_.nodes[h].region);
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      std::unique_ptr<Identifier> id = RandomIdentifier(type, regions);
      if (!id) continue;
      std::string canonical;
      std::set<std::string> used;
      std::vector<std::string> values;
      std::vector<std::string> keys;
      bool ok = true;
      bool reused = false;
      for (size_t h : holders) {
        const std::string& region = flags_.nodes[h].region;
        const std::vector<std::string> spellings = id->Spellings(region, rng_);
        auto pick = ChooseSpelling(type, spellings, region, canonical, used);
        if (!pick) {  // no distinct spelling left: accept a repeated one
          pick = ChooseSpelling(type, spellings, region, canonical, {});
          reused = pick.has_value();
        }
        if (!pick) {
          ok = false;
          break;
        }
        canonical = pick->canonical;
        used.insert(pick->spelling);
        values.push_back(pick->spelling);
        keys.insert(keys.end(), pick->keys.begin(), pick->keys.end());
      }
      if (!ok || AnyTaken(keys)) continue;
      taken_.insert(keys.begin(), keys.end());
      if (reused) ++reused_spellings_;
      Planted p{type, canonical, {}};
      for (size_t k = 0; k < holders.size(); ++k) {
        const size_t h = holders[k];
        rows_[h].push_back(Row{
            type, values[k],
            type == IndicatorType::kPhone ? flags_.nodes[h].region : "", true});
        p.holders.push_back(flags_.nodes[h].id);
      }
      std::sort(p.holders.begin(), p.holders.end());
      planted_.push_back(std::move(p));
      return true;
    }
    return false;
  }

  absl::Status PlantOverlaps() {
    static const std::vector<IndicatorType> kCycle = {
        IndicatorType::kPhone, IndicatorType::kHandle, IndicatorType::kPhone,
        IndicatorType::kUrl,   IndicatorType::kEmail,  IndicatorType::kHandle};
    size_t next_type = 0;
    const size_t n = flags_.nodes.size();
    if (n < 2) return absl::OkStatus();
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = i;
    auto plant = [&](const std::vector<size_t>& holders) -> absl::Status {
      const IndicatorType type = kCycle[next_type++ % kCycle.size()];
      if (PlantOne(holders, type)) return absl::OkStatus();
      return absl::InternalError(absl::StrCat(
          "cannot plant a shared ", std::string(TypeName(type)),
          ": the normaliser rejected every spelling generated for it"));
    };
    for (int k = 0; k < flags_.all_overlap; ++k)
      IFED_RETURN_IF_ERROR(plant(all));
    for (size_t a = 0; a < n; ++a) {
      for (size_t b = a + 1; b < n; ++b) {
        for (int k = 0; k < flags_.pair_overlap; ++k)
          IFED_RETURN_IF_ERROR(plant({a, b}));
      }
    }
    return absl::OkStatus();
  }

  // A row for node `i` whose canonical form no node holds yet.
  std::optional<Row> UniqueRow(size_t i) {
    const std::string& region = flags_.nodes[i].region;
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      const IndicatorType type = RandomType();
      std::unique_ptr<Identifier> id = RandomIdentifier(type, {region});
      if (!id) continue;
      auto pick =
          ChooseSpelling(type, id->Spellings(region, rng_), region, "", {});
      if (!pick || AnyTaken(pick->keys)) continue;
      taken_.insert(pick->keys.begin(), pick->keys.end());
      return Row{type, pick->spelling,
                 type == IndicatorType::kPhone ? region : "", false};
    }
    return std::nullopt;
  }

  std::string Tlp() {
    const uint64_t r = rng_.Below(100);
    if (r < 15) return "clear";
    if (r < 65) return "green";
    return "amber";
  }

  absl::Status WriteAll() {
    std::error_code ec;
    std::filesystem::create_directories(flags_.out, ec);
    if (ec)
      return absl::InternalError(
          absl::StrCat("cannot create ", flags_.out.string()));
    for (size_t i = 0; i < flags_.nodes.size(); ++i) {
      const NodeSpec& node = flags_.nodes[i];
      // A pool of cases per node; several indicators belong to one case.
      const int cases = std::max(1, flags_.count / 6);
      std::vector<std::string> case_refs;
      std::set<std::string> seen;
      while (static_cast<int>(case_refs.size()) < cases) {
        std::string ref =
            absl::StrCat(node.region, "-", rng_.Chance(70) ? "2026" : "2025",
                         "-", rng_.Digits(6));
        if (seen.insert(ref).second) case_refs.push_back(ref);
      }
      std::string csv = "type,value,case_ref,tlp,crime_area,region\n";
      for (const Row& row : rows_[i]) {
        absl::StrAppend(&csv, std::string(TypeName(row.type)), ",", row.value,
                        ",", rng_.Pick(case_refs), ",", Tlp(),
                        ",migrant_smuggling,", row.region, "\n");
      }
      IFED_RETURN_IF_ERROR(WriteFile(flags_.out / (node.id + ".csv"), csv));
      std::cout << "wrote " << (flags_.out / (node.id + ".csv")).string()
                << " (" << rows_[i].size() << " rows, "
                << std::count_if(rows_[i].begin(), rows_[i].end(),
                                 [](const Row& r) { return r.shared; })
                << " planted)\n";
    }
    std::sort(planted_.begin(), planted_.end(),
              [](const Planted& a, const Planted& b) {
                return std::tie(a.holders, a.type, a.canonical) <
                       std::tie(b.holders, b.type, b.canonical);
              });
    std::string csv = "type,canonical,holders\n";
    for (const Planted& p : planted_) {
      absl::StrAppend(&csv, std::string(TypeName(p.type)), ",", p.canonical,
                      ",", absl::StrJoin(p.holders, ";"), "\n");
    }
    IFED_RETURN_IF_ERROR(WriteFile(flags_.out / "planted.csv", csv));
    std::cout << "wrote " << (flags_.out / "planted.csv").string() << " ("
              << planted_.size() << " planted identifiers)\n";
    return absl::OkStatus();
  }

  static absl::Status WriteFile(const std::filesystem::path& path,
                                const std::string& data) {
    return WriteFileAtomic(path.string(), data, {.mode = 0644});
  }

  const Flags& flags_;
  const normalize::Normalizer& normalizer_;
  Rng rng_;
  std::vector<std::vector<Row>> rows_;  // per node, same order as flags_.nodes
  std::vector<Planted> planted_;
  std::set<std::string> taken_;  // Key(type, canonical) of every value written
  int reused_spellings_ = 0;
};

// ---------------------------------------------------------------------------
// Command line.

constexpr char kUsage[] =
    "usage: ifed-synth --out DIR --nodes ID:REGION[,ID:REGION...] [--count N]\n"
    "                  [--seed S] [--pair-overlap N] [--all-overlap N]\n"
    "\n"
    "Writes DIR/<ID>.csv (N rows per node, default 3000) in the ingest CSV "
    "format\n"
    "and DIR/planted.csv (type,canonical,holders): identifiers held by each "
    "pair\n"
    "of nodes (--pair-overlap, default 20) and by all nodes (--all-overlap,\n"
    "default 5), spelled differently by each holder. Deterministic in --seed\n"
    "(default 42). Example: ifed-synth --out .demo/data --nodes "
    "de:DE,at:AT,hu:HU\n";

bool ValidNodeId(const std::string& id) {
  if (id.empty() || id.size() > 63) return false;
  if (!absl::ascii_islower(static_cast<unsigned char>(id[0])) &&
      !absl::ascii_isdigit(static_cast<unsigned char>(id[0]))) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

absl::StatusOr<std::vector<NodeSpec>> ParseNodes(const std::string& arg) {
  std::vector<NodeSpec> nodes;
  std::set<std::string> ids;
  for (absl::string_view item : absl::StrSplit(arg, ',', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(item, ':');
    if (parts.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("--nodes: '", item, "' is not ID:REGION"));
    }
    NodeSpec n{parts[0], absl::AsciiStrToUpper(parts[1])};
    if (!ValidNodeId(n.id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--nodes: invalid node id '", n.id, "'"));
    }
    if (n.region.size() != 2 ||
        PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(n.region) ==
            0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--nodes: unknown region '", parts[1], "' for ", n.id));
    }
    if (!ids.insert(n.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--nodes: duplicate node id '", n.id, "'"));
    }
    nodes.push_back(std::move(n));
  }
  if (nodes.empty())
    return absl::InvalidArgumentError("--nodes: no nodes given");
  return nodes;
}

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  bool have_out = false, have_nodes = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (i + 1 >= argc)
      return absl::InvalidArgumentError(absl::StrCat(a, ": missing value"));
    const std::string v = argv[++i];
    auto parse_int = [&](int* out, int min, int max) -> absl::Status {
      if (!absl::SimpleAtoi(v, out) || *out < min || *out > max) {
        return absl::InvalidArgumentError(absl::StrCat(
            a, ": want an integer in [", min, ", ", max, "], got '", v, "'"));
      }
      return absl::OkStatus();
    };
    absl::Status s;
    if (a == "--out") {
      f.out = std::filesystem::absolute(v);
      have_out = true;
    } else if (a == "--nodes") {
      absl::StatusOr<std::vector<NodeSpec>> n = ParseNodes(v);
      if (!n.ok()) return n.status();
      f.nodes = *std::move(n);
      have_nodes = true;
    } else if (a == "--count") {
      s = parse_int(&f.count, 1, 10000000);
    } else if (a == "--seed") {
      if (!absl::SimpleAtoi(v, &f.seed)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--seed: not an unsigned integer: ", v));
      }
    } else if (a == "--pair-overlap") {
      s = parse_int(&f.pair_overlap, 0, 100000);
    } else if (a == "--all-overlap") {
      s = parse_int(&f.all_overlap, 0, 100000);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", a));
    }
    if (!s.ok()) return s;
  }
  if (!have_out || !have_nodes)
    return absl::InvalidArgumentError("--out and --nodes are required");
  return f;
}

}  // namespace
}  // namespace ifed::synth

int main(int argc, char** argv) {
  using namespace ifed::synth;  // NOLINT(build/namespaces)
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::cerr << "ifed-synth: " << flags.status().message() << "\n\n" << kUsage;
    return 2;
  }
  absl::StatusOr<std::unique_ptr<ifed::normalize::Normalizer>> normalizer =
      ifed::normalize::Normalizer::Create();
  if (!normalizer.ok()) {
    std::cerr << "ifed-synth: normaliser: " << normalizer.status() << "\n";
    return 1;
  }
  Generator generator(*flags, **normalizer);
  if (absl::Status s = generator.Run(); !s.ok()) {
    std::cerr << "ifed-synth: " << s.message() << "\n";
    return 1;
  }
  if (generator.reused_spellings() > 0) {
    std::cerr << "ifed-synth: warning: " << generator.reused_spellings()
              << " planted identifiers share one spelling between holders "
                 "(the normaliser accepted no second spelling)\n";
  }
  return 0;
}
