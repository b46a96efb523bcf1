#include "node/policy/policy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ifed::policy {
namespace {

namespace fs = std::filesystem;

class PolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("policy_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  fs::path dir_;
};

constexpr char kAt[] = R"(partners:
  - partner: at
    types: [phone, handle]
    disclosure: hit_with_reference
    max_tlp: amber
)";

TEST_F(PolicyTest, LoadsAndDecides) {
  Write("at.yaml", kAt);
  Write("hu.yml", "partners:\n  - partner: hu\n    types: [url]\n");
  Write("README.txt", "not a policy");
  auto p = Policy::LoadDir(dir_.string());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->size(), 2u);
  auto at = (*p)->For("at");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ((*at)->source, "at.yaml");
  EXPECT_TRUE(Policy::Allows((*at)->rule, ifed::v1::PHONE));
  EXPECT_FALSE(Policy::Allows((*at)->rule, ifed::v1::URL));
  EXPECT_TRUE(Policy::AllowsTlp((*at)->rule, ifed::v1::TLP_AMBER));
  EXPECT_FALSE(Policy::AllowsTlp((*at)->rule, ifed::v1::TLP_AMBER_STRICT));
  EXPECT_FALSE(Policy::AllowsTlp((*at)->rule, ifed::v1::TLP_RED));
  EXPECT_TRUE(Policy::AllowsPurpose((*at)->rule, ifed::v1::MIGRANT_SMUGGLING));
  EXPECT_FALSE(Policy::AllowsPurpose((*at)->rule, ifed::v1::PURPOSE_UNSPECIFIED));
  auto hu = (*p)->For("hu");
  ASSERT_TRUE(hu.ok());
  EXPECT_EQ((*hu)->rule.disclosure(), ifed::v1::HIT_ONLY);  // default
  EXPECT_EQ((*hu)->rule.max_tlp(), ifed::v1::TLP_GREEN);    // default
  EXPECT_EQ((*p)->For("xx").status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(PolicyTest, RedIsNeverShared) {
  Write("a.yaml", "partners:\n  - partner: at\n    types: [phone]\n    max_tlp: red\n");
  auto p = Policy::LoadDir(dir_.string());
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(Policy::AllowsTlp((*(*p)->For("at"))->rule, ifed::v1::TLP_RED));
}

TEST_F(PolicyTest, DuplicatePartnerNamesBothFiles) {
  Write("a.yaml", kAt);
  Write("b.yaml", kAt);
  auto p = Policy::LoadDir(dir_.string());
  ASSERT_FALSE(p.ok());
  const std::string msg(p.status().message());
  EXPECT_NE(msg.find("b.yaml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("a.yaml"), std::string::npos) << msg;
}

TEST_F(PolicyTest, BadFileFailsWithFileAndLine) {
  Write("a.yaml", "partners:\n  - partner: at\n    typos: [phone]\n");
  auto p = Policy::LoadDir(dir_.string());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(std::string(p.status().message()).find("a.yaml:3"), std::string::npos)
      << p.status();
  EXPECT_FALSE(Policy::LoadDir((dir_ / "missing").string()).ok());
}

TEST_F(PolicyTest, FailedReloadKeepsOldPolicy) {
  Write("at.yaml", kAt);
  auto p = Policy::LoadDir(dir_.string());
  ASSERT_TRUE(p.ok());
  PolicyHolder holder(*p);
  Write("at.yaml", "partners: [");
  EXPECT_FALSE(holder.Reload(dir_.string()).ok());
  EXPECT_TRUE(holder.Get()->For("at").ok());
  Write("at.yaml", "partners:\n  - partner: hu\n    types: [url]\n");
  EXPECT_TRUE(holder.Reload(dir_.string()).ok());
  EXPECT_FALSE(holder.Get()->For("at").ok());
  EXPECT_TRUE(holder.Get()->For("hu").ok());
}

}  // namespace
}  // namespace ifed::policy
