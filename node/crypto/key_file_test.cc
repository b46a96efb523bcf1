#include "node/crypto/key_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace ifed::crypto {
namespace {

constexpr char kHex[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string Write(const std::string& name, const std::string& text, mode_t mode) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(KeyFile, LoadsEpochs) {
  auto keys = LoadFederationKeys(Write(
      "fed1", std::string("# federation keys\n1 ") + kHex + "\n\n3 " + kHex + "\n", 0600));
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ(keys->rbegin()->first, 3u);
  EXPECT_EQ(keys->at(1).span()[31], 0x1f);
}

TEST(KeyFile, RefusesGroupOrOtherReadable) {
  auto keys = LoadFederationKeys(Write("fed2", std::string("1 ") + kHex, 0644));
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kPermissionDenied);
  auto local = LoadLocalKey(Write("loc2", kHex, 0640));
  EXPECT_EQ(local.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(KeyFile, BadContentNamesLineWithoutKeyMaterial) {
  const std::string bad = std::string(kHex).substr(0, 62) + "zz";
  auto keys = LoadFederationKeys(Write("fed3", "1 " + bad + "\n", 0600));
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(std::string(keys.status().message()).find("fed3:1"), std::string::npos);
  EXPECT_EQ(std::string(keys.status().message()).find(bad.substr(0, 16)),
            std::string::npos);
  EXPECT_FALSE(LoadFederationKeys(Write("fed4", "", 0600)).ok());
  EXPECT_FALSE(LoadFederationKeys(Write("fed5", std::string("0 ") + kHex, 0600)).ok());
  EXPECT_FALSE(LoadFederationKeys(
      Write("fed6", std::string("1 ") + kHex + "\n1 " + kHex, 0600)).ok());
  EXPECT_FALSE(LoadLocalKey(Write("loc3", "abcd", 0600)).ok());
  EXPECT_EQ(LoadLocalKey(::testing::TempDir() + "/missing").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(KeyFile, LocalKey) {
  auto key = LoadLocalKey(Write("loc1", std::string(kHex) + "\n", 0600));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), 32u);
}

}  // namespace
}  // namespace ifed::crypto
