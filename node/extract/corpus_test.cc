// Precision and recall of the extractor over the synthetic post corpus,
// tests/data/posts/corpus.tsv. Columns (tab-separated; '#' and blank lines
// skipped):
//   id  lang  region  expected  text
// region: "-" for none. expected: "type=canonical" joined by " | " (derived
// indicators included: a wa.me link names a url and a phone), or "-" when
// the post holds no indicator. text: one line; "\n" stands for a newline.
// Both precision and recall must be 1.0; they are printed.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "node/extract/extractor.h"

namespace ifed::extract {
namespace {

struct Post {
  int line = 0;
  std::string id, lang, region, text;
  std::set<std::string> expected;
};

std::vector<Post> LoadCorpus() {
  const char* dir = std::getenv("IFED_SOURCE_DIR");
  const std::string path = std::string(dir && *dir ? dir : IFED_DEFAULT_SOURCE_DIR) +
                           "/tests/data/posts/corpus.tsv";
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<Post> posts;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    EXPECT_EQ(f.size(), 5u) << "line " << n;
    if (f.size() != 5) continue;
    Post p{n, f[0], f[1], f[2] == "-" ? "" : f[2], absl::StrReplaceAll(f[4], {{"\\n", "\n"}}), {}};
    if (f[3] != "-") {
      for (absl::string_view e : absl::StrSplit(f[3], " | ")) p.expected.insert(std::string(e));
    }
    posts.push_back(std::move(p));
  }
  return posts;
}

const Extractor& TheExtractor() {
  static const normalize::Normalizer* n = normalize::Normalizer::Create().value().release();
  static const Extractor* e = Extractor::Create(n).value().release();
  return *e;
}

std::set<std::string> Extracted(const Post& p, bool* warned) {
  ExtractOptions o;
  o.region = p.region;
  auto r = TheExtractor().Extract(p.text, o);
  EXPECT_TRUE(r.ok()) << p.id << ": " << r.status();
  std::set<std::string> out;
  if (!r.ok()) return out;
  for (const Indicator& i : r->indicators) {
    out.insert(absl::StrCat(TypeName(i.type), "=", i.canonical));
    for (const auto& d : i.derived) out.insert(absl::StrCat(TypeName(d.type), "=", d.value));
    *warned |= !i.warning.empty();
  }
  return out;
}

TEST(ExtractCorpus, PrecisionAndRecallAreOne) {
  const std::vector<Post> posts = LoadCorpus();
  ASSERT_GE(posts.size(), 150u);
  size_t tp = 0, fp = 0, fn = 0;
  std::map<std::string, int> per_lang;
  int empty = 0, arabizi_empty = 0;
  std::set<std::string> ids;
  for (const Post& p : posts) {
    EXPECT_TRUE(ids.insert(p.id).second) << "duplicate id " << p.id;
    ++per_lang[p.lang];
    bool warned = false;
    const std::set<std::string> got = Extracted(p, &warned);
    EXPECT_FALSE(warned) << p.id << ": the corpus must not use warning-list values";
    for (const std::string& g : got) {
      if (p.expected.count(g)) {
        ++tp;
      } else {
        ++fp;
        ADD_FAILURE() << p.id << " (line " << p.line << "): unexpected " << g;
      }
    }
    for (const std::string& e : p.expected) {
      if (!got.count(e)) {
        ++fn;
        ADD_FAILURE() << p.id << " (line " << p.line << "): missed " << e;
      }
    }
    empty += p.expected.empty();
    arabizi_empty += p.expected.empty() && p.lang == "arabizi";
  }
  const double precision = tp + fp == 0 ? 0 : static_cast<double>(tp) / (tp + fp);
  const double recall = tp + fn == 0 ? 0 : static_cast<double>(tp) / (tp + fn);
  std::printf("corpus: %zu posts, %zu expected indicators; precision %.4f, recall %.4f\n",
              posts.size(), tp + fn, precision, recall);
  for (const auto& [lang, n] : per_lang) std::printf("  %-8s %d posts\n", lang.c_str(), n);
  EXPECT_EQ(precision, 1.0);
  EXPECT_EQ(recall, 1.0);
  for (const char* lang : {"ar", "arabizi", "prs", "ps", "ti", "ku", "tr", "fr", "en"}) {
    EXPECT_GE(per_lang[lang], 8) << "too few posts in " << lang;
  }
  EXPECT_GE(empty, 20);
  EXPECT_GE(arabizi_empty, 8);
}

// Speed over the corpus replicated to IFED_EXTRACT_BENCH_POSTS posts (off by
// default; the figure goes to the report).
TEST(ExtractCorpus, Speed) {
  const char* env = std::getenv("IFED_EXTRACT_BENCH_POSTS");
  if (env == nullptr) GTEST_SKIP() << "set IFED_EXTRACT_BENCH_POSTS=N to measure";
  const size_t n = std::strtoul(env, nullptr, 10);
  const std::vector<Post> posts = LoadCorpus();
  ASSERT_FALSE(posts.empty());
  size_t found = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) {
    const Post& p = posts[i % posts.size()];
    ExtractOptions o;
    o.region = p.region;
    auto r = TheExtractor().Extract(p.text, o);
    ASSERT_TRUE(r.ok());
    found += r->indicators.size();
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("extract speed: %zu posts in %.2f s = %.0f posts/s (%zu indicators)\n", n, secs,
              n / secs, found);
}

}  // namespace
}  // namespace ifed::extract
