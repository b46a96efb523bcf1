#include "node/common/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ifed {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/atomic_file_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    SetAtomicFileObserverForTest([this](const std::string& step) { steps_.push_back(step); });
  }
  void TearDown() override { SetAtomicFileObserverForTest(nullptr); }
  std::string dir_;
  std::vector<std::string> steps_;
};

TEST_F(AtomicFileTest, SyncsTheFileThenRenamesThenSyncsTheDirectory) {
  const std::string path = dir_ + "/key";
  ASSERT_TRUE(WriteFileAtomic(path, "one\n").ok());
  ASSERT_EQ(steps_.size(), 3u);
  EXPECT_EQ(steps_[0], "fsync-file " + path + ".tmp");
  EXPECT_EQ(steps_[1], "rename " + path + ".tmp " + path);
  EXPECT_EQ(steps_[2], "fsync-dir " + dir_);
  EXPECT_EQ(Read(path), "one\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(AtomicFileTest, ReplacesWithTheGivenModeWhateverTheUmask) {
  const std::string path = dir_ + "/key";
  ASSERT_TRUE(WriteFileAtomic(path, "old").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "new", {.mode = 0644, .mtime = 1000000000}).ok());
  EXPECT_EQ(Read(path), "new");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(st.st_mtime, 1000000000);
  ASSERT_TRUE(WriteFileAtomic(path, "secret").ok());
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AtomicFileTest, AStaleTemporaryFileFromACrashIsReplaced) {
  const std::string path = dir_ + "/pin";
  { std::ofstream(path + ".tmp") << "half written"; }
  ASSERT_TRUE(WriteFileAtomic(path, "whole").ok());
  EXPECT_EQ(Read(path), "whole");
}

TEST_F(AtomicFileTest, AMissingDirectoryFailsAndNamesThePath) {
  const std::string path = dir_ + "/no/such/dir/key";
  absl::Status s = WriteFileAtomic(path, "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find(path + ".tmp"), std::string::npos) << s;
  EXPECT_TRUE(steps_.empty());
}

TEST_F(AtomicFileTest, AFailedRenameKeepsTheOldFile) {
  const std::string path = dir_ + "/target";
  std::filesystem::create_directories(path + "/occupied");  // rename onto a non-empty dir fails.
  absl::Status s = WriteFileAtomic(path, "x");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(std::filesystem::is_directory(path + "/occupied"));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(AtomicFileTest, RenameDurablySyncsBothDirectories) {
  std::filesystem::create_directories(dir_ + "/a");
  std::filesystem::create_directories(dir_ + "/b");
  { std::ofstream(dir_ + "/a/f") << "x"; }
  ASSERT_TRUE(RenameDurably(dir_ + "/a/f", dir_ + "/b/f").ok());
  ASSERT_EQ(steps_.size(), 3u);
  EXPECT_EQ(steps_[1], "fsync-dir " + dir_ + "/b");
  EXPECT_EQ(steps_[2], "fsync-dir " + dir_ + "/a");
  EXPECT_EQ(SyncDirectory(dir_ + "/none").code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ifed
