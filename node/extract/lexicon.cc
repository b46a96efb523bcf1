#include "node/extract/lexicon.h"

#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/config/yaml_proto.h"

namespace ifed::extract {
namespace {

struct Term {
  icu::UnicodeString folded;
  bool latin = false;  // needs word boundaries.
};

struct List {
  std::string tag;
  std::vector<Term> terms;
  std::vector<std::unique_ptr<icu::RegexPattern>> patterns;
};

bool IsLatinScript(const icu::UnicodeString& s) {
  for (int32_t i = 0; i < s.length();) {
    const UChar32 c = s.char32At(i);
    UErrorCode st = U_ZERO_ERROR;
    const UScriptCode sc = uscript_getScript(c, &st);
    if (sc != USCRIPT_LATIN && sc != USCRIPT_COMMON && sc != USCRIPT_INHERITED) return false;
    i += U16_LENGTH(c);
  }
  return true;
}

// NFKC case fold, then every decimal digit to ASCII.
bool Fold(const icu::Normalizer2& nfkc_cf, const icu::UnicodeString& in, icu::UnicodeString* out) {
  UErrorCode st = U_ZERO_ERROR;
  icu::UnicodeString folded = nfkc_cf.normalize(in, st);
  if (U_FAILURE(st)) return false;
  out->remove();
  for (int32_t i = 0; i < folded.length();) {
    const UChar32 c = folded.char32At(i);
    if (c > 0x7f && u_charType(c) == U_DECIMAL_DIGIT_NUMBER) {
      out->append(static_cast<UChar>('0' + u_charDigitValue(c)));
    } else {
      out->append(c);
    }
    i += U16_LENGTH(c);
  }
  return true;
}

}  // namespace

struct Lexicon::Impl {
  const icu::Normalizer2* nfkc_cf = nullptr;
  std::vector<List> lists;
};

Lexicon::Lexicon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Lexicon::~Lexicon() = default;
size_t Lexicon::lists() const { return impl_->lists.size(); }

absl::StatusOr<std::unique_ptr<Lexicon>> Lexicon::Create(
    const std::vector<std::pair<std::string, ifed::v1::LexiconFile>>& files) {
  auto impl = std::make_unique<Impl>();
  UErrorCode st = U_ZERO_ERROR;
  impl->nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(st);
  if (U_FAILURE(st)) return absl::InternalError("ICU nfkc_cf unavailable");
  for (const auto& [stem, file] : files) {
    for (const ifed::v1::LexiconList& l : file.lists()) {
      if (l.name().empty()) return absl::InvalidArgumentError(absl::StrCat(stem, ": a list without a name"));
      List list;
      list.tag = absl::StrCat(stem, "/", l.name());
      for (const std::string& t : l.terms()) {
        Term term;
        if (!Fold(*impl->nfkc_cf, icu::UnicodeString::fromUTF8(t), &term.folded) ||
            term.folded.trim().isEmpty()) {
          return absl::InvalidArgumentError(absl::StrCat(list.tag, ": an empty or invalid term"));
        }
        term.latin = IsLatinScript(term.folded);
        list.terms.push_back(std::move(term));
      }
      for (int i = 0; i < l.patterns_size(); ++i) {
        UParseError pe;
        UErrorCode ps = U_ZERO_ERROR;
        std::unique_ptr<icu::RegexPattern> p(icu::RegexPattern::compile(
            icu::UnicodeString::fromUTF8(l.patterns(i)), UREGEX_CASE_INSENSITIVE, pe, ps));
        if (U_FAILURE(ps)) {
          return absl::InvalidArgumentError(absl::StrCat(list.tag, ": pattern ", i + 1,
                                                         " does not compile (", u_errorName(ps),
                                                         " at offset ", pe.offset, ")"));
        }
        list.patterns.push_back(std::move(p));
      }
      impl->lists.push_back(std::move(list));
    }
  }
  return std::unique_ptr<Lexicon>(new Lexicon(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Lexicon>> Lexicon::LoadDir(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) paths.push_back(e.path());
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": cannot read the lexicon directory"));
  std::sort(paths.begin(), paths.end());
  std::vector<std::pair<std::string, ifed::v1::LexiconFile>> files;
  for (const auto& p : paths) {
    ifed::v1::LexiconFile f;
    IFED_RETURN_IF_ERROR(LoadYamlFile(p.string(), &f));
    files.emplace_back(p.stem().string(), std::move(f));
  }
  return Create(files);
}

std::vector<std::string> Lexicon::Tags(std::string_view text) const {
  icu::UnicodeString folded;
  UErrorCode st = U_ZERO_ERROR;
  icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), text.size()));
  if (!Fold(*impl_->nfkc_cf, in, &folded)) return {};
  thread_local std::unique_ptr<icu::BreakIterator> words;
  if (words == nullptr) {
    words.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), st));
    if (U_FAILURE(st)) words.reset();
  }
  if (words != nullptr) words->setText(folded);
  auto boundary = [&](int32_t at) {
    if (words == nullptr) {
      return at == 0 || at == folded.length() || !u_isalnum(folded.char32At(at - 1)) ||
             !u_isalnum(folded.char32At(at));
    }
    return static_cast<bool>(words->isBoundary(at));
  };
  std::set<std::string> tags;
  for (const List& l : impl_->lists) {
    bool hit = false;
    for (const Term& t : l.terms) {
      for (int32_t at = folded.indexOf(t.folded); at >= 0 && !hit;
           at = folded.indexOf(t.folded, at + 1)) {
        hit = !t.latin || (boundary(at) && boundary(at + t.folded.length()));
      }
      if (hit) break;
    }
    for (size_t i = 0; i < l.patterns.size() && !hit; ++i) {
      UErrorCode ms = U_ZERO_ERROR;
      std::unique_ptr<icu::RegexMatcher> m(l.patterns[i]->matcher(folded, ms));
      if (U_FAILURE(ms)) continue;
      m->setTimeLimit(2000, ms);
      hit = m->find(ms) && U_SUCCESS(ms);
    }
    if (hit) tags.insert(l.tag);
  }
  return {tags.begin(), tags.end()};
}

}  // namespace ifed::extract
