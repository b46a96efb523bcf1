#include "node/extract/extractor.h"

#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>
#include <unicode/utext.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ifed::extract {
namespace {

using ::i18n::phonenumbers::PhoneNumberMatch;
using ::i18n::phonenumbers::PhoneNumberMatcher;
using ::i18n::phonenumbers::PhoneNumberUtil;

// Platform words before a handle, per platform (normalize's platform names).
// Several languages and scripts: Arabic, Persian/Dari, Pashto, Kurdish
// (Sorani), Tigrinya (Ge'ez script), Turkish, French, English, Russian.
struct PlatformWords {
  const char* platform;
  std::vector<std::string> words;
};
const std::vector<PlatformWords>& Platforms() {
  static const auto* kTable = new std::vector<PlatformWords>{
      {"telegram",
       {"telegram", "telegramm", "télégram", "tlgrm", "tg", "تلگرام", "تلگرم", "تلغرام",
        "تليجرام", "تيليجرام", "تيلغرام", "التلغرام", "التليجرام", "تلیگرام", "تیلیگرام",
        "ټیلیګرام", "ټلګرام", "تێلێگرام", "تلەگرام", "ቴሌግራም", "ተሌግራም", "телеграм"}},
      {"instagram",
       {"instagram", "instagramm", "insta", "ig", "انستغرام", "انستقرام", "انستجرام",
        "الانستغرام", "انستا", "اینستاگرام", "انستاگرام", "انسټاګرام", "ئینستاگرام",
        "ኢንስታግራም", "инстаграм"}},
      {"snapchat",
       {"snapchat", "snap", "سناب شات", "سناب", "سنابشات", "اسنپ چت", "اسنپ", "سنپ چت",
        "ስናፕቻት"}},
      {"tiktok", {"tiktok", "tik tok", "تيك توك", "تيكتوك", "تیک تاک", "تیکتاک", "ቲክቶክ"}},
      {"facebook", {"facebook", "fb", "فيسبوك", "فيس بوك", "الفيسبوك", "فیسبوک", "فیس بوک", "ፌስቡክ"}},
      {"x", {"twitter", "تويتر", "توییتر"}},
      {"vk", {"vk", "vkontakte", "вконтакте"}},
  };
  return *kTable;
}

std::string RegexEscape(const std::string& w) {
  std::string out;
  for (char c : w) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c == ' ' ? ' ' : c);
  }
  return out;
}

constexpr char kEmailPattern[] =
    R"((?<![\p{L}\p{N}._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@)"
    R"((?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,24}(?![\p{L}\p{N}\-]))";
constexpr char kUrlPattern[] =
    R"((?<![\p{L}\p{N}@._\-/])(?:https?://|www\.|)"
    R"((?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}/))"
    R"([^\s<>"'«»“”‘’،؛]*)";
// Wallet addresses (checksums are the normaliser's): Ethereum 0x + 40 hex,
// Bitcoin segwit bech32/bech32m "bc1...", Bitcoin base58 "1..."/"3...",
// TRON base58 "T..." (34 characters). A boundary on both sides: no letter,
// digit or '_' glued on.
constexpr char kWalletPattern[] =
    R"((?<![\p{L}\p{N}_])(0x[0-9A-Fa-f]{40}|[bB][cC]1[02-9ac-hj-np-zAC-HJ-NP-Z]{6,87}|)"
    R"([13][1-9A-HJ-NP-Za-km-z]{25,34}|T[1-9A-HJ-NP-Za-km-z]{33})(?![\p{L}\p{N}_]))";
// Start of an IBAN: an upper-case country code and two check digits, then
// its BBAN (walked by hand: the country's length decides where it ends).
constexpr char kIbanStartPattern[] = R"((?<![\p{L}\p{N}])[A-Z]{2}[0-9]{2}(?=[ \-.]?[A-Za-z0-9]))";
// An IMEI needs its label: a bare 15-digit number that passes Luhn is as
// likely an order or parcel number (one in ten random numbers passes).
// Group 1: "sv" of IMEISV; group 2: the digits with their separators.
constexpr char kImeiPattern[] =
    R"((?<![\p{L}\p{N}])imei(sv)?(?![\p{L}])[^\p{N}\n]{0,24}?(\d(?:[ \-/.]{0,2}\d){13,17})(?![\p{L}\p{N}]))";
// Characters that end a sentence rather than a URL.
constexpr std::string_view kTrailing[] = {".", ",", ";", ":", "!", "?", ")", "]", "}",
                                          "…", "،", "؛", "؟", "۔", "*"};

struct Range {
  size_t begin, end;  // shadow bytes.
};

bool Overlaps(const std::vector<Range>& taken, size_t b, size_t e) {
  for (const Range& r : taken) {
    if (b < r.end && r.begin < e) return true;
  }
  return false;
}

// ICU regex over UTF-8 text: native indexes are byte offsets.
class Utf8Regex {
 public:
  static std::unique_ptr<icu::RegexPattern> Compile(const std::string& pattern, uint32_t flags,
                                                    absl::Status* err) {
    UErrorCode status = U_ZERO_ERROR;
    UParseError pe;
    std::unique_ptr<icu::RegexPattern> p(icu::RegexPattern::compile(
        icu::UnicodeString::fromUTF8(pattern), flags, pe, status));
    if (U_FAILURE(status)) {
      *err = absl::InternalError(absl::StrCat("regex does not compile: ", u_errorName(status)));
      return nullptr;
    }
    return p;
  }
};

// Calls fn(group spans) for each match of `pattern` in `text`.
template <typename Fn>
void ForEachMatch(const icu::RegexPattern& pattern, const std::string& text, Fn fn) {
  UErrorCode status = U_ZERO_ERROR;
  UText* ut = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
  if (U_FAILURE(status)) return;
  std::unique_ptr<icu::RegexMatcher> m(pattern.matcher(status));
  if (U_FAILURE(status)) {
    utext_close(ut);
    return;
  }
  m->reset(ut);
  m->setTimeLimit(2000, status);  // bounded work on hostile input.
  while (m->find(status) && U_SUCCESS(status)) {
    std::vector<Range> groups;
    for (int32_t g = 0; g <= m->groupCount(); ++g) {
      const int64_t b = m->start64(g, status), e = m->end64(g, status);
      if (b < 0) {
        groups.push_back(Range{0, 0});
      } else {
        groups.push_back(Range{static_cast<size_t>(b), static_cast<size_t>(e)});
      }
    }
    if (!fn(groups)) break;
  }
  utext_close(ut);
}

uint32_t SeparatedFlag(const std::string& raw) {
  int singles = 0, run = 0;
  for (size_t i = 0; i <= raw.size(); ++i) {
    if (i < raw.size() && raw[i] >= '0' && raw[i] <= '9') {
      ++run;
      continue;
    }
    if (run == 1) ++singles;
    run = 0;
  }
  return singles >= 3 ? static_cast<uint32_t>(kSeparated) : 0u;
}

}  // namespace

struct Extractor::Impl {
  const normalize::Normalizer* normalizer = nullptr;
  std::unique_ptr<icu::RegexPattern> email, url, handle, digit_run, wallet, iban_start, imei;
  std::vector<std::pair<std::string, std::string>> word_platform;  // folded word -> platform.

  // Normalises `raw` as `type`; false (and rejected++) when refused.
  bool Add(IndicatorType type, const std::string& raw, const ShadowText& shadow, Range r,
           uint32_t extra_flags, const ExtractOptions& o, Extraction* out) const {
    normalize::Options no;
    no.default_region = o.region;
    auto c = normalizer->Normalize(type, raw, no);
    if (!c.ok()) {
      ++out->rejected;
      return false;
    }
    Indicator ind;
    ind.type = c->type;
    ind.canonical = c->value;
    ind.raw = raw;
    ind.span = shadow.ToOriginal(r.begin, r.end);
    ind.evasions = shadow.EvasionsOf(r.begin, r.end) | extra_flags;
    if (const std::string* w = c->AnyWarning()) ind.warning = *w;
    ind.derived = std::move(c->derived);
    out->indicators.push_back(std::move(ind));
    return true;
  }

  // Wallets, IBANs and IMEIs (pass 3); each found range goes to `taken`.
  void Payments(const ShadowText& shadow, const ExtractOptions& o, std::vector<Range>* taken,
                Extraction* out) const;
  // A number run on into other digits ("+90 532 614 27 83 2500 euro") is
  // one over-long candidate for the matcher, which then finds nothing (pass
  // 6): the runs it left are tried group by group (space-separated),
  // longest first; each found range goes to `taken`.
  void PhoneRuns(const ShadowText& shadow, const ExtractOptions& options, std::vector<Range>* taken,
                 Extraction* out) const;
};

namespace {

bool IsAlnumByte(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// The IBAN starting at `begin` (country code + check digits): alphanumeric
// characters, groups split by at most two of ' ', '-', '.', up to the
// country's registered length, ending at a boundary. nullopt: no IBAN here.
std::optional<Range> IbanAt(const std::string& s, size_t begin) {
  const std::optional<size_t> length = normalize::IbanLength(s.substr(begin, 2));
  if (!length) return std::nullopt;
  size_t n = 0, i = begin;
  size_t end = begin;
  while (i < s.size() && n < *length) {
    if (IsAlnumByte(s[i])) {
      ++n;
      end = ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && j - i < 2 && (s[j] == ' ' || s[j] == '-' || s[j] == '.')) ++j;
    if (j == i || j >= s.size() || !IsAlnumByte(s[j])) break;
    i = j;
  }
  if (n != *length) return std::nullopt;
  if (end < s.size() && IsAlnumByte(s[end])) return std::nullopt;  // runs on.
  // Non-ASCII letters or digits glued on (shadow digits are ASCII already).
  if (end < s.size() && static_cast<unsigned char>(s[end]) >= 0x80) {
    UChar32 c = 0;
    int32_t k = static_cast<int32_t>(end);
    U8_NEXT(s.data(), k, static_cast<int32_t>(s.size()), c);
    if (u_isalnum(c)) return std::nullopt;
  }
  return Range{begin, end};
}

}  // namespace

void Extractor::Impl::Payments(const ShadowText& shadow, const ExtractOptions& o,
                               std::vector<Range>* taken, Extraction* out) const {
  const std::string& s = shadow.text();
  ForEachMatch(*wallet, s, [&](const std::vector<Range>& g) {
    const Range r = g[1];
    if (Overlaps(*taken, r.begin, r.end)) return true;
    if (Add(IndicatorType::kCryptoWallet, s.substr(r.begin, r.end - r.begin), shadow, r, 0, o,
            out)) {
      taken->push_back(r);
    }
    return true;
  });
  ForEachMatch(*iban_start, s, [&](const std::vector<Range>& g) {
    const std::optional<Range> r = IbanAt(s, g[0].begin);
    if (!r || Overlaps(*taken, r->begin, r->end)) return true;
    const std::string raw = s.substr(r->begin, r->end - r->begin);
    if (Add(IndicatorType::kIban, raw, shadow, *r, SeparatedFlag(raw), o, out)) {
      taken->push_back(*r);
    }
    return true;
  });
  ForEachMatch(*imei, s, [&](const std::vector<Range>& g) {
    const bool sv = g[1].end > g[1].begin;
    Range r = g[2];
    if (Overlaps(*taken, r.begin, r.end)) return true;
    // 15 digits (IMEI with its check digit) or, after "IMEISV", 16; a
    // 14-digit number could be an IMEI with a lost digit: not completed. A
    // number run on into other digits ("IMEI 35 209900 176148 1 1 250 000
    // EUR") ends at the group boundary after its last digit, if there is one.
    const size_t want = sv ? 16 : 15;
    size_t digits = 0, end = r.begin;
    for (size_t i = r.begin; i < r.end && digits < want; ++i) {
      if (s[i] >= '0' && s[i] <= '9') {
        ++digits;
        end = i + 1;
      }
    }
    if (digits != want || (end < r.end && s[end] >= '0' && s[end] <= '9')) {
      ++out->rejected;
      return true;
    }
    r.end = end;
    const std::string raw = s.substr(r.begin, r.end - r.begin);
    if (Add(IndicatorType::kImei, raw, shadow, r, SeparatedFlag(raw), o, out)) {
      taken->push_back(r);
    }
    return true;
  });
}

Extractor::Extractor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Extractor::~Extractor() = default;

absl::StatusOr<std::unique_ptr<Extractor>> Extractor::Create(
    const normalize::Normalizer* normalizer) {
  if (normalizer == nullptr) return absl::InvalidArgumentError("no normalizer");
  auto impl = std::make_unique<Impl>();
  impl->normalizer = normalizer;
  absl::Status err;
  impl->email = Utf8Regex::Compile(kEmailPattern, 0, &err);
  impl->url = Utf8Regex::Compile(kUrlPattern, UREGEX_CASE_INSENSITIVE, &err);
  std::vector<std::string> alternatives;
  for (const PlatformWords& p : Platforms()) {
    for (const std::string& w : p.words) {
      alternatives.push_back(w);
      icu::UnicodeString folded = icu::UnicodeString::fromUTF8(w).foldCase();
      std::string f;
      folded.toUTF8String(f);
      impl->word_platform.emplace_back(f, p.platform);
    }
  }
  std::sort(alternatives.begin(), alternatives.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (std::string& a : alternatives) a = RegexEscape(a);
  const std::string handle = absl::StrCat(
      R"((?<![\p{L}\p{N}_])()", absl::StrJoin(alternatives, "|"),
      R"()([\s:=>→\-–—]*)(@?)([A-Za-z0-9_.]{2,50})(?![A-Za-z0-9_@]))");
  impl->handle = Utf8Regex::Compile(handle, UREGEX_CASE_INSENSITIVE, &err);
  // Runs of space-separated digit groups (ASCII digits in the shadow).
  impl->wallet = Utf8Regex::Compile(kWalletPattern, 0, &err);
  impl->iban_start = Utf8Regex::Compile(kIbanStartPattern, 0, &err);
  impl->imei = Utf8Regex::Compile(kImeiPattern, UREGEX_CASE_INSENSITIVE, &err);
  impl->digit_run = Utf8Regex::Compile(
      R"((?<![\p{L}\p{N}+])\+?\d[\d.\-()/]*(?: +\d[\d.\-()/]*)+(?![\p{L}\p{N}]))", 0, &err);
  if (!err.ok()) return err;
  return std::unique_ptr<Extractor>(new Extractor(std::move(impl)));
}

void Extractor::Impl::PhoneRuns(const ShadowText& shadow, const ExtractOptions& options,
                                std::vector<Range>* taken, Extraction* out) const {
  const std::string& s = shadow.text();
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  ForEachMatch(*digit_run, s, [&](const std::vector<Range>& g) {
    const Range run = g[0];
    if (Overlaps(*taken, run.begin, run.end)) return true;
    std::vector<Range> groups;  // space-separated pieces of the run.
    for (size_t b = run.begin; b < run.end;) {
      size_t e = b;
      while (e < run.end && s[e] != ' ') ++e;
      groups.push_back({b, e});
      b = e;
      while (b < run.end && s[b] == ' ') ++b;
    }
    if (groups.size() < 2 || groups.size() > 24) return true;
    for (size_t i = 0; i < groups.size(); ++i) {
      bool found = false;
      for (size_t j = groups.size(); j-- > i && !found;) {
        if (i == 0 && j == groups.size() - 1) continue;  // the whole run: the matcher's.
        const std::string sub = s.substr(groups[i].begin, groups[j].end - groups[i].begin);
        PhoneNumberMatcher inner(util, sub, options.region.empty() ? "ZZ" : options.region,
                                 PhoneNumberMatcher::VALID, 10);
        PhoneNumberMatch im_match;
        if (!inner.HasNext() || !inner.Next(&im_match) || im_match.start() != 0 ||
            static_cast<size_t>(im_match.end()) != sub.size()) {
          continue;
        }
        const Range r{groups[i].begin, groups[j].end};
        if (Add(IndicatorType::kPhone, sub, shadow, r, SeparatedFlag(sub), options, out)) {
          taken->push_back(r);
          found = true;
          i = j;
        }
      }
    }
    return true;
  });
}

absl::StatusOr<Extraction> Extractor::Extract(std::string_view text,
                                              const ExtractOptions& options) const {
  if (text.size() > kMaxPostBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("post longer than ", kMaxPostBytes, " bytes"));
  }
  auto shadow_or = ShadowText::Build(text);
  if (!shadow_or.ok()) return shadow_or.status();
  const ShadowText& shadow = *shadow_or;
  const std::string& s = shadow.text();
  Extraction out;
  std::vector<Range> taken;
  const Impl& im = *impl_;

  // 1. E-mail addresses.
  ForEachMatch(*im.email, s, [&](const std::vector<Range>& g) {
    const Range r = g[0];
    taken.push_back(r);
    im.Add(IndicatorType::kEmail, s.substr(r.begin, r.end - r.begin), shadow, r, 0, options, &out);
    return true;
  });
  // 2. URLs, trailing sentence punctuation trimmed.
  ForEachMatch(*im.url, s, [&](const std::vector<Range>& g) {
    Range r = g[0];
    if (Overlaps(taken, r.begin, r.end)) return true;
    for (bool trimmed = true; trimmed && r.end > r.begin;) {
      trimmed = false;
      const std::string_view v(s.data() + r.begin, r.end - r.begin);
      for (std::string_view t : kTrailing) {
        if (v.size() > t.size() && v.substr(v.size() - t.size()) == t) {
          r.end -= t.size();
          trimmed = true;
        }
      }
    }
    taken.push_back(r);
    im.Add(IndicatorType::kUrl, s.substr(r.begin, r.end - r.begin), shadow, r, 0, options, &out);
    return true;
  });
  // 3. Wallets, IBANs, IMEIs (before phones: their digits are no number).
  im.Payments(shadow, options, &taken, &out);
  // 4. Handles after a platform word, with ':' or '@' before the name.
  ForEachMatch(*im.handle, s, [&](const std::vector<Range>& g) {
    const Range all = g[0], word = g[1], sep = g[2], at = g[3];
    Range name = g[4];
    const std::string sep_text = s.substr(sep.begin, sep.end - sep.begin);
    const bool marked = at.end > at.begin || sep_text.find(':') != std::string::npos ||
                        sep_text.find('=') != std::string::npos ||
                        sep_text.find('>') != std::string::npos ||
                        sep_text.find("→") != std::string::npos;
    while (name.end > name.begin && s[name.end - 1] == '.') --name.end;
    // A platform word in another script, then a Latin name that reads as a
    // handle (with '_', '.' or a digit): "تلگرام safar_rahat".
    const std::string name_text = s.substr(name.begin, name.end - name.begin);
    const bool script_switch =
        (static_cast<unsigned char>(s[word.begin]) & 0x80) != 0 && !sep_text.empty() &&
        sep_text.find_first_not_of(' ') == std::string::npos &&
        name_text.find_first_of("_.0123456789") != std::string::npos;
    if (!(marked || script_switch) || name.end <= name.begin || Overlaps(taken, all.begin, all.end)) return true;
    std::string folded;
    icu::UnicodeString::fromUTF8(s.substr(word.begin, word.end - word.begin))
        .foldCase()
        .toUTF8String(folded);
    std::string platform;
    for (const auto& [w, p] : im.word_platform) {
      if (w == folded) platform = p;
    }
    if (platform.empty()) return true;
    const Range r{word.begin, name.end};
    const std::string value = absl::StrCat(platform, ":", s.substr(name.begin, name.end - name.begin));
    if (im.Add(IndicatorType::kHandle, value, shadow, r, kPlatformWord, options, &out)) {
      taken.push_back(r);
      // The span is the name; the platform word is evidence of the type.
      out.indicators.back().span = shadow.ToOriginal(at.end > at.begin ? at.begin : name.begin,
                                                     name.end);
      out.indicators.back().evasions = shadow.EvasionsOf(name.begin, name.end) | kPlatformWord;
    }
    return true;
  });
  // 5. Phone numbers: libphonenumber's matcher over the shadow text.
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumberMatcher matcher(util, s, options.region.empty() ? "ZZ" : options.region,
                             PhoneNumberMatcher::VALID, 500);
  PhoneNumberMatch m;
  while (matcher.HasNext() && matcher.Next(&m)) {
    const Range r{static_cast<size_t>(m.start()), static_cast<size_t>(m.end())};
    if (r.end > s.size() || Overlaps(taken, r.begin, r.end)) continue;
    const std::string raw = m.raw_string();
    if (im.Add(IndicatorType::kPhone, raw, shadow, r, SeparatedFlag(raw), options, &out)) {
      taken.push_back(r);
    }
  }
  // 6. Number runs the matcher passed over as one.
  im.PhoneRuns(shadow, options, &taken, &out);
  std::stable_sort(out.indicators.begin(), out.indicators.end(),
                   [](const Indicator& a, const Indicator& b) { return a.span.begin < b.span.begin; });
  return out;
}

}  // namespace ifed::extract
