#include "node/cli/posts.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ifed::cli {
namespace {

std::vector<Post> Read(const std::string& text) {
  std::istringstream in(text);
  std::vector<Post> out;
  ReadPosts(in, [&](Post&& p) {
    out.push_back(std::move(p));
    return true;
  });
  return out;
}

TEST(Posts, PlainTextBlocksSeparatedByBlankLines) {
  auto posts = Read("\n\nfirst post\nsecond line\n\n\n  \nsecond post\r\n");
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].input.text(), "first post\nsecond line");
  EXPECT_EQ(posts[0].line, 3u);
  EXPECT_EQ(posts[0].number, 1u);
  EXPECT_EQ(posts[1].input.text(), "second post");
  EXPECT_EQ(posts[1].line, 8u);
  EXPECT_EQ(posts[1].sha256.size(), 32u);
}

TEST(Posts, JsonLinesWithFieldsAndErrors) {
  auto posts = Read(
      "{\"text\":\"a\",\"url\":\"u\",\"author\":\"x\",\"posted_at\":\"2026-01-01\",\"region\":\"tr\"}\n"
      "\n"
      "{\"text\":\"\"}\n"
      "{\"text\":\"b\",\"nope\":1}\n"
      "not json at all\n");
  ASSERT_EQ(posts.size(), 4u);
  EXPECT_EQ(posts[0].input.url(), "u");
  EXPECT_EQ(posts[0].input.region(), "tr");
  EXPECT_TRUE(posts[0].error.empty());
  EXPECT_EQ(posts[1].line, 3u);
  EXPECT_EQ(posts[1].error, "field text: missing or empty");
  EXPECT_NE(posts[2].error.find("not a post object"), std::string::npos);
  EXPECT_NE(posts[3].error.find("not a post object"), std::string::npos);
  EXPECT_EQ(posts[3].line, 5u);
  EXPECT_LE(posts[3].error.size(), 124u);
}

TEST(Posts, HashIsSha256OfTheText) {
  auto posts = Read("abc\n");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].sha256_hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Posts, StopsWhenTheCallbackSaysSo) {
  std::istringstream in("a\n\nb\n\nc\n");
  int n = 0;
  ReadPosts(in, [&](Post&&) { return ++n < 2; });
  EXPECT_EQ(n, 2);
}

}  // namespace
}  // namespace ifed::cli
