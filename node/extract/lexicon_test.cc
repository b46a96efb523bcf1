#include "node/extract/lexicon.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "node/config/yaml_proto.h"

namespace ifed::extract {
namespace {

std::unique_ptr<Lexicon> Make(const std::string& yaml) {
  ifed::v1::LexiconFile f;
  auto s = YamlToProto(yaml, "t.yaml", &f);
  EXPECT_TRUE(s.ok()) << s;
  auto l = Lexicon::Create({{"t", f}});
  EXPECT_TRUE(l.ok()) << l.status();
  return l.ok() ? std::move(*l) : nullptr;
}

using V = std::vector<std::string>;

TEST(Lexicon, TermsFoldCaseAndWidth) {
  auto l = Make("lists:\n- name: routes\n  terms: [Lampedusa, 'ليبيا']\n");
  EXPECT_EQ(l->Tags("boat to LAMPEDUSA tonight"), V{"t/routes"});
  EXPECT_EQ(l->Tags("ＬＡＭＰＥＤＵＳＡ"), V{"t/routes"});
  EXPECT_EQ(l->Tags("nothing here"), V{});
}

TEST(Lexicon, LatinTermsNeedWordBoundariesOtherScriptsDoNot) {
  auto l = Make("lists:\n- name: r\n  terms: [ege, 'ليبيا']\n");
  EXPECT_EQ(l->Tags("college"), V{});
  EXPECT_EQ(l->Tags("Ege denizi"), V{"t/r"});
  EXPECT_EQ(l->Tags("من وليبيا"), V{"t/r"});
}

TEST(Lexicon, PatternsSeeAsciiDigits) {
  auto l = Make("lists:\n- name: prices\n  patterns: ['\\d{3,5}\\s*(€|eur|یورو|يورو)']\n");
  EXPECT_EQ(l->Tags("٢٥٠٠ يورو فقط"), V{"t/prices"});
  EXPECT_EQ(l->Tags("1500 EUR"), V{"t/prices"});
  EXPECT_EQ(l->Tags("15 EUR"), V{});
}

TEST(Lexicon, BadPatternIsAnError) {
  ifed::v1::LexiconFile f;
  ASSERT_TRUE(YamlToProto("lists:\n- name: p\n  patterns: ['(']\n", "t.yaml", &f).ok());
  auto l = Lexicon::Create({{"t", f}});
  ASSERT_FALSE(l.ok());
  EXPECT_NE(std::string(l.status().message()).find("t/p: pattern 1"), std::string::npos);
}

TEST(Lexicon, UnknownFieldNamesFileAndLine) {
  ifed::v1::LexiconFile f;
  auto s = YamlToProto("lists:\n- name: p\n  termz: [a]\n", "x.yaml", &f);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("x.yaml:3"), std::string::npos) << s;
}

TEST(Lexicon, StarterListsLoad) {
  const char* dir = std::getenv("IFED_SOURCE_DIR");
  ASSERT_NE(dir, nullptr);
  auto l = Lexicon::LoadDir(std::string(dir) + "/policy/lexicon");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_GE((*l)->lists(), 9u);
  EXPECT_FALSE((*l)->Tags("قارب إلى إيطاليا ٢٥٠٠ يورو").empty());
}

}  // namespace
}  // namespace ifed::extract
