// Table-driven run of the real-world corpus, tests/data/normalize_corpus.tsv.
// Columns (tab-separated; '#' lines and blank lines are skipped):
//   type  region  platform  input  expected  [derived]
// region/platform: "-" for none. expected: the canonical value; "~value"
// when the value must also be on the warning list; "!fragment" for a
// refusal whose reason contains the fragment. derived (optional): the
// derived indicators, "type=value" joined by " | ", or "-" for none.
// Properties checked on every accepted row: the canonical value (and each
// derived value) normalises to itself, and no error quotes its input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "node/normalize/normalizer.h"

namespace ifed::normalize {
namespace {

struct Row {
  int line = 0;
  IndicatorType type = IndicatorType::kUnspecified;
  Options options;
  std::string input, expected, derived;
  bool has_derived = false;
};

std::string CorpusPath() {
  const char* dir = std::getenv("IFED_SOURCE_DIR");
  return std::string(dir && *dir ? dir : IFED_DEFAULT_SOURCE_DIR) +
         "/tests/data/normalize_corpus.tsv";
}

std::vector<Row> LoadCorpus() {
  std::ifstream in(CorpusPath());
  EXPECT_TRUE(in.good()) << "cannot read " << CorpusPath();
  std::vector<Row> rows;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 5 || f.size() > 6) {
      ADD_FAILURE() << "corpus line " << n << ": expected 5 or 6 columns";
      continue;
    }
    Row r;
    r.line = n;
    auto t = ParseType(f[0]);
    if (!t) {
      ADD_FAILURE() << "corpus line " << n << ": unknown type";
      continue;
    }
    r.type = *t;
    if (f[1] != "-") r.options.default_region = f[1];
    if (f[2] == "+rules") {
      r.options.email_provider_rules = true;
    } else if (f[2] != "-") {
      r.options.platform = f[2];
    }
    r.input = f[3];
    r.expected = f[4];
    if (f.size() == 6) r.has_derived = true, r.derived = f[5];
    rows.push_back(std::move(r));
  }
  return rows;
}

const Normalizer& N() {
  static const Normalizer* n = Normalizer::Create().value().release();
  return *n;
}

// Empty when the row behaves as expected, else what went wrong.
std::string Check(const Row& r, std::set<std::string>* platforms) {
  absl::StatusOr<Canonical> c = N().Normalize(r.type, r.input, r.options);
  if (r.expected[0] == '!') {
    if (c.ok()) return "accepted as " + c->value;
    const std::string msg(c.status().message());
    if (c.status().code() != absl::StatusCode::kInvalidArgument) return "not InvalidArgument: " + msg;
    if (msg.find(r.expected.substr(1)) == std::string::npos) return "reason: " + msg;
    if (r.input.size() >= 6 && msg.find(r.input) != std::string::npos) return "error quotes input";
    return "";
  }
  const bool warned = r.expected[0] == '~';
  const std::string want = warned ? r.expected.substr(1) : r.expected;
  if (!c.ok()) return "refused: " + std::string(c.status().message());
  if (c->value != want) return "got " + c->value;
  if ((c->AnyWarning() != nullptr) != warned) {
    return warned ? "not on the warning list" : "warned: " + *c->AnyWarning();
  }
  if (c->type == IndicatorType::kHandle) {
    platforms->insert(c->value.substr(0, c->value.find(':')));
  }
  std::vector<std::string> got;
  for (const Canonical& d : c->derived) {
    got.push_back(std::string(TypeName(d.type)) + "=" + d.value);
  }
  const std::string derived = got.empty() ? "-" : absl::StrJoin(got, " | ");
  if (r.has_derived && derived != r.derived) return "derived " + derived;
  // Idempotence of the value and of every derived value.
  std::vector<const Canonical*> forms = {&*c};
  for (const Canonical& d : c->derived) forms.push_back(&d);
  for (const Canonical* f : forms) {
    auto again = N().Normalize(f->type, f->value, Options{});
    if (!again.ok()) return "canonical " + f->value + " refused: " + std::string(again.status().message());
    if (again->value != f->value || again->type != f->type) {
      return "canonical " + f->value + " not a fixed point: " + again->value;
    }
  }
  return "";
}

TEST(CorpusTest, EveryRowAsExpected) {
  const std::vector<Row> rows = LoadCorpus();
  size_t passed = 0, refusals = 0;
  std::set<std::string> regions;
  std::set<std::string> platforms;
  std::map<IndicatorType, int> by_type;
  for (const Row& r : rows) {
    ++by_type[r.type];
    if (!r.options.default_region.empty()) regions.insert(r.options.default_region);
    if (r.expected[0] == '!') ++refusals;
    const std::string problem = Check(r, &platforms);
    if (problem.empty()) {
      ++passed;
    } else {
      ADD_FAILURE() << "corpus line " << r.line << " (" << r.input << "): " << problem;
    }
  }
  std::cout << "corpus: " << rows.size() << " cases, " << passed << " passed, "
            << refusals << " refusals, " << regions.size() << " regions, "
            << platforms.size() << " handle platforms\n";
  // The coverage floor.
  EXPECT_GE(rows.size(), 400u);
  EXPECT_GE(refusals, 100u);
  EXPECT_GE(regions.size(), 25u);
  EXPECT_GE(platforms.size(), 8u);
  EXPECT_EQ(by_type.size(), 7u);
}

}  // namespace
}  // namespace ifed::normalize
