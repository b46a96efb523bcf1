#include "node/cli/help.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ifed::cli {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(HelpTest, EveryVerbOfIfedctlHasHelp) {
  for (const char* verb :
       {"ingest", "normalize", "match", "stats", "policy", "audit", "peers", "filters", "erase",
        "backup", "hub", "followups", "followup", "extract", "records", "hold", "deconflict",
        "watch", "hits", "keys", "alerts", "help"}) {
    const VerbHelp* v = FindVerb(verb);
    ASSERT_NE(v, nullptr) << verb;
    EXPECT_FALSE(v->summary.empty()) << verb;
    EXPECT_THAT(UsageText(), HasSubstr(std::string(v->verb))) << verb;
  }
  EXPECT_EQ(FindVerb("alerts"), FindVerb("watch"));
  EXPECT_EQ(FindVerb("nosuchverb"), nullptr);
  EXPECT_EQ(FindVerb(""), nullptr);
}

TEST(HelpTest, OptionsComeFromTheSynopsis) {
  std::vector<std::string> match = VerbOptions(*FindVerb("match"));
  EXPECT_THAT(match, Contains("--peer"));
  EXPECT_THAT(match, Contains("--hub"));
  EXPECT_THAT(match, Contains("--jurisdiction"));
  EXPECT_THAT(match, Not(Contains("--")));
  EXPECT_TRUE(VerbOptions(*FindVerb("stats")) == std::vector<std::string>{"--json"});
  EXPECT_TRUE(IsNoValueOption("--json"));
  EXPECT_TRUE(IsNoValueOption("--version"));
  EXPECT_FALSE(IsNoValueOption("--type"));
}

TEST(HelpTest, TextFitsATerminalAndNamesKnownExitCodes) {
  for (const VerbHelp& v : Verbs()) {
    for (absl::string_view line : absl::StrSplit(v.text, '\n')) {
      EXPECT_LE(line.size(), 72u) << v.verb << ": " << line;
    }
    for (const std::string& line : SynopsisLines(v)) {
      EXPECT_LE(line.size(), 72u) << v.verb << ": " << line;  // man: 80 columns
    }
    for (absl::string_view code : absl::StrSplit(v.exit_codes, ' ')) {
      bool known = false;
      for (const ExitCode& c : ExitCodes()) known |= absl::StrCat(c.code) == code;
      EXPECT_TRUE(known) << v.verb << " uses exit code " << code;
    }
    EXPECT_THAT(VerbHelpText(v), HasSubstr("ifedctl " + std::string(v.verb))) << v.verb;
  }
}

TEST(HelpTest, ExitCodesAreDenseFromZero) {
  int expect = 0;
  for (const ExitCode& c : ExitCodes()) EXPECT_EQ(c.code, expect++);
  EXPECT_THAT(ExitCodeText(), HasSubstr("3  held"));
  EXPECT_THAT(VerbHelpText(*FindVerb("deconflict")), HasSubstr("3  held"));
  EXPECT_THAT(VerbHelpText(*FindVerb("match")), Not(HasSubstr("3  held")));
}

TEST(HelpTest, NodeHelpNamesItsOptions) {
  const std::string t = IfedNodeUsageText();
  for (const char* o : {"--config", "--check-config", "--restore", "--log-format", "--version"}) {
    EXPECT_THAT(t, HasSubstr(o));
  }
}

}  // namespace
}  // namespace ifed::cli
