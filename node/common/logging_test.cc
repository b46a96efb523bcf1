#include "node/common/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace ifed::logging {
namespace {

std::string LogTo(const std::string& name, Format format, const std::function<void()>& body) {
  const std::string path = ::testing::TempDir() + "/" + name + ".log";
  std::filesystem::remove(path);
  EXPECT_TRUE(Init("de", path, "info", format).ok());
  body();
  spdlog::default_logger()->flush();
  spdlog::drop_all();
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(LoggingTest, JsonLinesCarryTheRequestIdOfTheirScope) {
  const std::string out = LogTo("json", Format::kJson, [] {
    spdlog::info("before");
    {
      RequestScope outer("req-1");
      spdlog::info("outer");
      {
        RequestScope inner("req-2");
        spdlog::info("inner");
      }
      spdlog::info("outer again");
    }
    spdlog::info("after");
  });
  std::istringstream lines(out);
  std::vector<std::string> l;
  for (std::string line; std::getline(lines, line);) l.push_back(line);
  ASSERT_EQ(l.size(), 5u) << out;
  EXPECT_EQ(l[0].find("request_id"), std::string::npos);
  EXPECT_NE(l[1].find("\"request_id\":\"req-1\",\"msg\":\"outer\""), std::string::npos) << l[1];
  EXPECT_NE(l[2].find("\"request_id\":\"req-2\""), std::string::npos) << l[2];
  EXPECT_NE(l[3].find("\"request_id\":\"req-1\""), std::string::npos) << l[3];
  EXPECT_EQ(l[4].find("request_id"), std::string::npos);
  EXPECT_EQ(l[0].rfind("{\"ts\":\"", 0), 0u);
  EXPECT_NE(l[0].find("\"level\":\"info\",\"node\":\"de\""), std::string::npos);
}

TEST(LoggingTest, ScopesArePerThread) {
  const std::string out = LogTo("threads", Format::kJson, [] {
    RequestScope main_scope("main-req");
    std::thread([] { spdlog::info("other thread"); }).join();
  });
  EXPECT_EQ(out.find("main-req"), std::string::npos) << out;
}

TEST(LoggingTest, TextFormatIsOneReadableLinePerEvent) {
  const std::string out = LogTo("text", Format::kText, [] {
    RequestScope scope("abc123");
    spdlog::warn("first\nforged line");
  });
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find(" warning de [abc123] first forged line"), std::string::npos) << out;
  EXPECT_EQ(out.find('{'), std::string::npos) << out;
}

TEST(LoggingTest, CallerChosenIdsAreCutAndCleaned) {
  const std::string out = LogTo("clean", Format::kJson, [] {
    RequestScope scope(std::string("a\"b\\c\nd") + std::string(100, 'x'));
    spdlog::info("m");
  });
  EXPECT_NE(out.find("\"request_id\":\"a_b_c_d" + std::string(57, 'x') + "\""), std::string::npos)
      << out;
}

TEST(LoggingTest, FormatNames) {
  EXPECT_EQ(*ParseFormat(""), Format::kAuto);
  EXPECT_EQ(*ParseFormat("auto"), Format::kAuto);
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_EQ(*ParseFormat("text"), Format::kText);
  auto bad = ParseFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("expected auto, json or text"), std::string::npos);
  EXPECT_EQ(NewRequestId().size(), 32u);
  EXPECT_NE(NewRequestId(), NewRequestId());
}

}  // namespace
}  // namespace ifed::logging
