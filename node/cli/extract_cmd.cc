// ifedctl extract [--region CC] [--lang HINT] [--lexicon DIR] [--json] FILE|-
//
// Runs locally, without a node: extraction is pure (node/extract), and a
// post's text stays on the analyst's machine. Prints per post the
// indicators with their canonical forms, the code-point span in the post
// text, the evasions undone, and the lexicon tags (--json: with the
// canonical version the forms were computed under, as normalize --json). Exit 1 when a post could
// not be read (bad JSON, not UTF-8); the other posts are still printed.
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/cli/cli.h"
#include "node/cli/posts.h"
#include "node/common/json.h"
#include "node/normalize/normalizer.h"

namespace ifed::cli {
namespace {

// The code points [b, e) of `text` (valid UTF-8).
std::string Slice(const std::string& text, uint32_t b, uint32_t e) {
  std::string out;
  uint32_t cp = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool lead = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (lead && i > 0) ++cp;
    if (cp >= e) break;
    if (cp >= b) out.push_back(text[i]);
  }
  return out;
}

std::string Quote(const std::string& s) { return absl::StrCat("\"", JsonEscape(s), "\""); }

void PrintJson(const Post& p, const absl::StatusOr<extract::Extraction>& x,
               const std::vector<std::string>& tags, const std::string& lang) {
  std::string out = absl::StrCat("{\"post\":", p.number, ",\"line\":", p.line);
  if (!p.input.url().empty()) absl::StrAppend(&out, ",\"url\":", Quote(p.input.url()));
  if (!p.error.empty() || !x.ok()) {
    absl::StrAppend(&out, ",\"error\":",
                    Quote(p.error.empty() ? std::string(x.status().message()) : p.error), "}");
    std::cout << out << "\n";
    return;
  }
  absl::StrAppend(&out, ",\"sha256\":\"", p.sha256_hex, "\",\"canon_version\":",
                  normalize::kCanonicalVersion);
  if (!lang.empty()) absl::StrAppend(&out, ",\"lang\":", Quote(lang));
  absl::StrAppend(&out, ",\"indicators\":[");
  for (size_t i = 0; i < x->indicators.size(); ++i) {
    const extract::Indicator& ind = x->indicators[i];
    absl::StrAppend(&out, i ? "," : "", "{\"type\":\"", TypeName(ind.type),
                    "\",\"canonical\":", Quote(ind.canonical), ",\"span\":[", ind.span.begin, ",",
                    ind.span.end, "],\"text\":", Quote(Slice(p.input.text(), ind.span.begin, ind.span.end)),
                    ",\"evasions\":", Quote(extract::EvasionNames(ind.evasions)));
    if (!ind.warning.empty()) absl::StrAppend(&out, ",\"warning\":", Quote(ind.warning));
    if (!ind.derived.empty()) {
      absl::StrAppend(&out, ",\"derived\":[");
      for (size_t j = 0; j < ind.derived.size(); ++j) {
        absl::StrAppend(&out, j ? "," : "", "{\"type\":\"", TypeName(ind.derived[j].type),
                        "\",\"canonical\":", Quote(ind.derived[j].value), "}");
      }
      absl::StrAppend(&out, "]");
    }
    absl::StrAppend(&out, "}");
  }
  absl::StrAppend(&out, "],\"rejected\":", x->rejected, ",\"tags\":[");
  for (size_t i = 0; i < tags.size(); ++i) absl::StrAppend(&out, i ? "," : "", Quote(tags[i]));
  std::cout << out << "]}\n";
}

void PrintText(const Post& p, const absl::StatusOr<extract::Extraction>& x,
               const std::vector<std::string>& tags) {
  std::cout << "post " << p.number << " (line " << p.line << ")";
  if (!p.input.url().empty()) std::cout << " " << p.input.url();
  if (!p.error.empty() || !x.ok()) {
    std::cout << ": error: " << (p.error.empty() ? std::string(x.status().message()) : p.error)
              << "\n";
    return;
  }
  std::cout << " sha256 " << p.sha256_hex.substr(0, 16) << "\n";
  for (const extract::Indicator& ind : x->indicators) {
    std::cout << "  " << TypeName(ind.type) << "\t" << ind.canonical << "\t[" << ind.span.begin
              << "," << ind.span.end << ")\t" << Slice(p.input.text(), ind.span.begin, ind.span.end);
    const std::string ev = extract::EvasionNames(ind.evasions);
    if (!ev.empty()) std::cout << "\t(" << ev << ")";
    if (!ind.warning.empty()) std::cout << "\twarning: " << ind.warning;
    std::cout << "\n";
    for (const auto& d : ind.derived) std::cout << "    -> " << TypeName(d.type) << "\t" << d.value << "\n";
  }
  if (x->indicators.empty()) std::cout << "  (no indicator)\n";
  if (!tags.empty()) std::cout << "  tags: " << absl::StrJoin(tags, " ") << "\n";
}

}  // namespace

int ExtractCommand(const Args& a, ifed::v1::Admin::Stub&) {
  if (a.positional.size() != 1) {
    std::cerr << "ifedctl: extract takes one FILE (or - for stdin)\n";
    return 2;
  }
  const std::string region = absl::AsciiStrToUpper(a.Get("--region"));
  if (!region.empty() && (region.size() != 2 || !absl::ascii_isalpha(region[0]) ||
                          !absl::ascii_isalpha(region[1]))) {
    std::cerr << "ifedctl: --region takes an ISO 3166-1 alpha-2 code (TR, LY, ...)\n";
    return 2;
  }
  std::string lexicon = a.Get("--lexicon");
  if (lexicon.empty() && std::getenv("IFED_LEXICON_DIR") != nullptr) lexicon = std::getenv("IFED_LEXICON_DIR");
  PostTools tools;
  if (!MakePostTools(lexicon, &tools)) return 1;
  std::ifstream file;
  std::istream* in = &std::cin;
  if (a.positional[0] != "-") {
    file.open(a.positional[0], std::ios::binary);
    if (!file) {
      std::cerr << "ifedctl: " << a.positional[0] << ": cannot open\n";
      return 1;
    }
    in = &file;
  }
  const bool json = a.Flag("--json");
  int rc = 0;
  uint64_t posts = 0, found = 0;
  ReadPosts(*in, [&](Post&& p) {
    ++posts;
    extract::ExtractOptions o;
    o.region = p.input.region().empty() ? region : absl::AsciiStrToUpper(p.input.region());
    absl::StatusOr<extract::Extraction> x = absl::InvalidArgumentError(p.error);
    std::vector<std::string> tags;
    if (p.error.empty()) {
      x = tools.extractor->Extract(p.input.text(), o);
      if (x.ok() && tools.lexicon) tags = tools.lexicon->Tags(p.input.text());
    }
    if (!p.error.empty() || !x.ok()) rc = 1;
    if (x.ok()) found += x->indicators.size();
    const std::string lang = p.input.lang().empty() ? a.Get("--lang") : p.input.lang();
    json ? PrintJson(p, x, tags, lang) : PrintText(p, x, tags);
    return true;
  });
  if (!json) std::cout << posts << " posts, " << found << " indicators\n";
  return rc;
}

}  // namespace ifed::cli
