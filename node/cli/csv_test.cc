#include "node/cli/csv.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ifed::cli {
namespace {

TEST(Csv, PlainQuotedMultilineAndCrlf) {
  std::istringstream in(
      "type,value\r\nphone,\"030 1234567\"\n\nurl,\"a,b\"\"c\"\nhandle,\"x\ny\"\n");
  CsvReader r(in);
  auto a = r.Next();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->line, 1u);
  EXPECT_EQ(a->fields, (std::vector<std::string>{"type", "value"}));
  auto b = r.Next();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->fields[1], "030 1234567");
  auto c = r.Next();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->line, 4u);
  EXPECT_EQ(c->fields[1], "a,b\"c");
  auto d = r.Next();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->fields[1], "x\ny");
  EXPECT_EQ(r.Next().status().code(), absl::StatusCode::kNotFound);
}

TEST(Csv, EmptyTrailingField) {
  std::istringstream in("a,,\n");
  CsvReader r(in);
  auto a = r.Next();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->fields.size(), 3u);
}

TEST(Csv, MalformedQuotesNameTheLine) {
  std::istringstream bad1("a,b\nx,\"open\n");
  CsvReader r1(bad1);
  ASSERT_TRUE(r1.Next().ok());
  auto e = r1.Next();
  ASSERT_FALSE(e.ok());
  EXPECT_NE(std::string(e.status().message()).find("line 2"), std::string::npos);
  std::istringstream bad2("ab\"c\n");
  EXPECT_FALSE(CsvReader(bad2).Next().ok());
  std::istringstream bad3("\"ab\"c\n");
  EXPECT_FALSE(CsvReader(bad3).Next().ok());
}

}  // namespace
}  // namespace ifed::cli
