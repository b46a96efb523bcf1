#include "node/cli/rows.h"

#include <gtest/gtest.h>

#include <fstream>

namespace ifed::cli {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(Rows, ReadsIngestFile) {
  auto f = ReadRows(Write("ok.csv",
                          "type,value,case_ref,tlp,crime_area,region\n"
                          "phone,030 1234567,C-1,amber,migrant_smuggling,de\n"
                          "url,https://x.example/,C-2,TLP:CLEAR,,\n"),
                    true);
  ASSERT_TRUE(f.errors.empty()) << f.errors[0];
  ASSERT_EQ(f.rows.size(), 2u);
  EXPECT_EQ(f.rows[0].line(), 2u);
  EXPECT_EQ(f.rows[0].region(), "DE");
  EXPECT_EQ(f.rows[0].tlp(), ifed::v1::TLP_AMBER);
  EXPECT_EQ(f.rows[1].tlp(), ifed::v1::TLP_CLEAR);
  EXPECT_EQ(f.rows[1].type(), ifed::v1::URL);
}

TEST(Rows, ErrorsNameLineAndField) {
  auto f = ReadRows(Write("bad.csv",
                          "type,value,case_ref,tlp\n"
                          "phone,1,C,amber\n"
                          "fax,1,C,amber\n"
                          "phone,1,C,purple\n"
                          "phone,1,,amber\n"
                          "phone,1,C\n"),
                    true);
  ASSERT_EQ(f.errors.size(), 4u);
  EXPECT_EQ(f.errors[0], "line 3: field type: unknown indicator type");
  EXPECT_NE(f.errors[1].find("line 4: field tlp"), std::string::npos);
  EXPECT_EQ(f.errors[2], "line 5: field case_ref: empty");
  EXPECT_NE(f.errors[3].find("line 6: expected 4 fields"), std::string::npos);
}

TEST(Rows, PlatformColumnNamesTheHandlesPlatform) {
  auto f = ReadRows(Write("platform.csv",
                          "type,value,platform,case_ref,tlp\n"
                          "handle,@Safar_Kabul,Telegram,C-1,amber\n"
                          "handle,telegram:other_name,,C-1,amber\n"
                          "handle,some.page,fb,C-1,amber\n"
                          "phone,+4917612345678,,C-1,amber\n"),
                    true);
  ASSERT_TRUE(f.errors.empty()) << f.errors[0];
  ASSERT_EQ(f.rows.size(), 4u);
  EXPECT_EQ(f.rows[0].platform(), "telegram");
  EXPECT_EQ(f.rows[0].value(), "@Safar_Kabul");
  EXPECT_EQ(f.rows[1].platform(), "");
  EXPECT_EQ(f.rows[2].platform(), "fb");
}

TEST(Rows, BadPlatformNamesLineAndField) {
  auto f = ReadRows(Write("badplatform.csv",
                          "type,value,platform\n"
                          "handle,@name_one,myspace\n"
                          "phone,+4917612345678,telegram\n"
                          "handle,@name_two,instagram\n"),
                    false);
  ASSERT_EQ(f.errors.size(), 2u);
  EXPECT_EQ(f.errors[0].rfind("line 2: field platform: unknown platform", 0), 0u) << f.errors[0];
  EXPECT_EQ(f.errors[1], "line 3: field platform: only handle rows name a platform");
  // The value is never quoted in the error.
  EXPECT_EQ(f.errors[0].find("name_one"), std::string::npos);
  EXPECT_EQ(CheckPlatform(ifed::v1::HANDLE, "TG"), "");
  EXPECT_EQ(CheckPlatform(ifed::v1::URL, ""), "");
}

TEST(Rows, HeaderProblems) {
  EXPECT_FALSE(ReadRows(Write("h1.csv", "type,value\nphone,1\n"), true).errors.empty());
  EXPECT_TRUE(ReadRows(Write("h2.csv", "type,value\nphone,1\n"), false).errors.empty());
  EXPECT_FALSE(ReadRows(Write("h3.csv", "type,value,colour\n"), false).errors.empty());
  EXPECT_FALSE(ReadRows(Write("h4.csv", ""), false).errors.empty());
  EXPECT_FALSE(ReadRows("/nonexistent.csv", false).errors.empty());
}

TEST(Rows, ParseEnums) {
  EXPECT_EQ(ParseTlp("AMBER+STRICT"), ifed::v1::TLP_AMBER_STRICT);
  EXPECT_FALSE(ParseTlp("amber strict"));
  EXPECT_EQ(ParsePurpose("migrant-smuggling"), ifed::v1::MIGRANT_SMUGGLING);
  EXPECT_FALSE(ParsePurpose("purpose_unspecified"));
  EXPECT_FALSE(ParsePurpose("curiosity"));
}

}  // namespace
}  // namespace ifed::cli
