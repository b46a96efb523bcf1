// Faults and durability (items 9 and 10) against real ifed-node
// processes: a full disk (a small tmpfs as the data dir), damaged SST and
// WAL files, a truncated WAL, and a data dir that belongs to another node or
// key set. Each test fails if its defence is removed: the node would accept
// the write, serve silently wrong data, or start on the wrong data dir.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <regex>
#include <set>
#include <stdexcept>
#include <thread>

#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

namespace fs = std::filesystem;

// German mobile numbers: 151, then the prefix digit and 7 more.
std::string Phone(const std::string& prefix, int i) {
  return "+49151" + prefix + std::to_string(1000000 + i);
}

std::string Csv(const std::string& prefix, int n) {
  std::string csv = "type,value,case_ref,tlp\n";
  for (int i = 0; i < n; ++i) csv += "phone," + Phone(prefix, i) + ",CASE-D,amber\n";
  return csv;
}

// Whether `at` gets a hit for `phone` from de.
bool Hit(LocalFederation& fed, const std::string& phone, RunResult* out = nullptr) {
  auto r = fed.Ctl("at", {"match", "--peer", "de", "--type", "phone", phone});
  if (out != nullptr) *out = r;
  return r.exit_code == 0 && r.out.find("HIT") != std::string::npos &&
         r.out.find("NO_HIT") == std::string::npos;
}

// Starts `id` and expects it to refuse: returns what it said, "" if it served.
std::string StartRefused(LocalFederation& fed, const std::string& id) {
  try {
    fed.StartNode(id);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  fed.StopNode(id);
  return "";
}

void FlipByte(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << path;
  unsigned char b = 0;
  ASSERT_EQ(::pread(fd, &b, 1, static_cast<off_t>(offset)), 1);
  b ^= 0x5a;
  ASSERT_EQ(::pwrite(fd, &b, 1, static_cast<off_t>(offset)), 1);
  ::fsync(fd);
  ::close(fd);
}

// The data dir's files matching `re` (file name), largest first.
std::vector<std::string> DbFiles(const std::string& data_dir, const std::string& re) {
  std::vector<std::pair<uintmax_t, std::string>> found;
  const std::regex r(re);
  for (const auto& e : fs::directory_iterator(data_dir + "/db")) {
    if (e.is_regular_file() && std::regex_match(e.path().filename().string(), r)) {
      found.emplace_back(e.file_size(), e.path().string());
    }
  }
  std::sort(found.rbegin(), found.rend());
  std::vector<std::string> out;
  for (auto& [size, p] : found) out.push_back(p);
  return out;
}

// --- item 9: disk full ------------------------------------------------------

class DiskFullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("de", "DE", {{.id = "at"}});
    fed_->AddNode("at", "AT", {{.id = "de"}});
    auto& de = fed_->node("de");
    de.extra_yaml = "min_free_disk_mb: 2\n";
    fs::create_directories(de.data_dir);
    // 16 MiB: too small for RocksDB's WAL preallocation; the node keeps 2 MiB
    // free (min_free_disk_mb) and refuses writes below that.
    if (::mount("tmpfs", de.data_dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                "size=16m,mode=0700") != 0) {
      skip_ = std::string("cannot mount a tmpfs as the data dir (needs root): ") +
              std::strerror(errno);
      return;
    }
    mounted_ = true;
    fed_->Start();
  }
  static void TearDownTestSuite() {
    const std::string dir = fed_->node("de").data_dir;
    delete fed_;  // stops the nodes first.
    fed_ = nullptr;
    if (mounted_) ::umount2(dir.c_str(), MNT_DETACH);
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
  }

  static LocalFederation* fed_;
  static std::string skip_;
  static bool mounted_;
};

LocalFederation* DiskFullTest::fed_ = nullptr;
std::string DiskFullTest::skip_;
bool DiskFullTest::mounted_ = false;

// Fills the file system of `dir` with one file; returns its path.
std::string FillDisk(const std::string& dir) {
  const std::string path = dir + "/filler";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  EXPECT_GE(fd, 0);
  std::string chunk(1 << 20, '\0');
  for (size_t size : {size_t{1} << 20, size_t{4096}, size_t{1}}) {
    while (::write(fd, chunk.data(), size) == static_cast<ssize_t>(size)) {
    }
  }
  ::close(fd);
  return path;
}

TEST_F(DiskFullTest, WritesFailClearlyAuditIsNeverSkippedAndTheNodeRecovers) {
  WriteFile(fed_->dir() + "/a.csv", Csv("1", 20));
  WriteFile(fed_->dir() + "/b.csv", Csv("2", 20));
  auto a = fed_->Ctl("de", {"ingest", fed_->dir() + "/a.csv"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_TRUE(Hit(*fed_, Phone("1", 0)));
  const std::string stats_before = fed_->Ctl("de", {"stats"}).out;

  const std::string filler = FillDisk(fed_->node("de").data_dir);
  // An ingest: refused with a reason naming the full disk; nothing stored.
  auto b = fed_->Ctl("de", {"ingest", fed_->dir() + "/b.csv"});
  EXPECT_NE(b.exit_code, 0);
  EXPECT_NE((b.err + b.out).find("disk full"), std::string::npos) << b.err << b.out;
  // A partner's match: its audit event cannot be written, so no answer.
  RunResult m;
  EXPECT_FALSE(Hit(*fed_, Phone("1", 0), &m)) << m.out;
  EXPECT_NE((m.out + m.err).find("audit"), std::string::npos) << m.out << m.err;
  // A policy reload: a change whose audit event cannot be written is refused.
  auto reload = fed_->Ctl("de", {"policy", "reload"});
  EXPECT_NE(reload.exit_code, 0) << reload.out;
  EXPECT_TRUE(fed_->node("de").process.running());

  // Space returns: writes resume without a restart.
  fs::remove(filler);
  bool stored = false;
  for (int i = 0; i < 60 && !stored; ++i) {
    auto retry = fed_->Ctl("de", {"ingest", fed_->dir() + "/b.csv"});
    stored = retry.exit_code == 0;
    if (!stored) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(stored) << "the node did not recover after space returned";
  EXPECT_TRUE(Hit(*fed_, Phone("1", 0)));
  EXPECT_TRUE(Hit(*fed_, Phone("2", 0)));
  EXPECT_EQ(fed_->Ctl("de", {"audit", "verify"}).exit_code, 0);
  EXPECT_EQ(fed_->Ctl("de", {"policy", "reload"}).exit_code, 0);
  EXPECT_NE(fed_->AllLogs().find("disk full"), std::string::npos);

  // No damage: a restart opens the store (checksums verified) and serves.
  fed_->StopNode("de");
  fed_->StartNode("de");
  EXPECT_TRUE(Hit(*fed_, Phone("1", 19)));
  EXPECT_TRUE(Hit(*fed_, Phone("2", 19)));
  EXPECT_EQ(fed_->Ctl("de", {"audit", "verify"}).exit_code, 0);
  EXPECT_NE(stats_before, "");
}

// --- item 10: damaged files, foreign data dirs ------------------------------

class DamageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("de", "DE", {{.id = "at"}});
    fed_->AddNode("at", "AT", {{.id = "de"}});
    fed_->Start();
    WriteFile(fed_->dir() + "/base.csv", Csv("5", 50));
    auto r = fed_->Ctl("de", {"ingest", fed_->dir() + "/base.csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    backup_ = fed_->dir() + "/de-backup";
    r = fed_->Ctl("de", {"backup", "create", backup_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }

  // What the node says to do, done: a fresh data dir from the backup.
  static void RestoreDe() {
    auto& de = fed_->node("de");
    de.process.Stop();
    fs::remove_all(de.data_dir);
    fed_->StartNode("de", {"--restore", backup_});
    EXPECT_TRUE(Hit(*fed_, Phone("5", 0)));
  }

  // Ingests rows that live only in the WAL (no flush), then stops de.
  static void WriteToWalAndStop(bool crash) {
    WriteFile(fed_->dir() + "/wal.csv", Csv("6", 50));
    auto r = fed_->Ctl("de", {"ingest", fed_->dir() + "/wal.csv"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    if (crash) {
      fed_->node("de").process.Kill();
    } else {
      fed_->StopNode("de");
    }
  }

  static std::string Wal() {
    auto wal = DbFiles(fed_->node("de").data_dir, R"([0-9]+\.log)");
    EXPECT_FALSE(wal.empty());
    return wal.empty() ? "" : wal.front();
  }

  static LocalFederation* fed_;
  static std::string backup_;
};

LocalFederation* DamageTest::fed_ = nullptr;
std::string DamageTest::backup_;

TEST_F(DamageTest, FlippedByteInTheWalIsRefusedWithRestoreAdvice) {
  for (bool crash : {false, true}) {
    SCOPED_TRACE(crash ? "after kill -9" : "after a clean stop");
    WriteToWalAndStop(crash);
    const std::string wal = Wal();
    ASSERT_GT(fs::file_size(wal), 1000u);
    FlipByte(wal, fs::file_size(wal) / 3);
    const std::string said = StartRefused(*fed_, "de");
    EXPECT_NE(said, "") << "the node served a damaged WAL";
    EXPECT_NE(said.find("restore"), std::string::npos) << said;
    RestoreDe();
  }
}

TEST_F(DamageTest, TruncatedWalIsRefused) {
  for (double keep : {0.5, 0.97}) {
    SCOPED_TRACE(keep);
    WriteToWalAndStop(false);
    const std::string wal = Wal();
    const auto size = fs::file_size(wal);
    fs::resize_file(wal, static_cast<uintmax_t>(size * keep));
    const std::string said = StartRefused(*fed_, "de");
    EXPECT_NE(said, "") << "the node started on a truncated WAL";
    EXPECT_NE(said.find("restore"), std::string::npos) << said;
    RestoreDe();
  }
}

TEST_F(DamageTest, FlippedByteInAnSstFileIsRefused) {
  // A backup flushes the memtables: the data is in SST files.
  auto r = fed_->Ctl("de", {"backup", "create", fed_->dir() + "/flush-backup"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fed_->StopNode("de");
  auto ssts = DbFiles(fed_->node("de").data_dir, R"([0-9]+\.sst)");
  ASSERT_FALSE(ssts.empty());
  FlipByte(ssts.front(), fs::file_size(ssts.front()) / 4);
  const std::string said = StartRefused(*fed_, "de");
  EXPECT_NE(said, "") << "the node served a damaged SST file";
  EXPECT_NE(said.find("restore"), std::string::npos) << said;
  EXPECT_NE(said.find("orrupt"), std::string::npos) << said;
  RestoreDe();
}

// A block damaged on disk while the node serves: the first read of it
// marks the store damaged; from then on nothing is
// answered from it (not even values in intact blocks), the federation
// health is NOT_SERVING, and the log and the audit say what to do.
TEST_F(DamageTest, SstBlockDamagedWhileServingStopsAnswersAndSaysWhatToDo) {
  auto& de = fed_->node("de");
  auto sst_names = [&] {
    std::set<std::string> names;
    for (const std::string& f : DbFiles(de.data_dir, R"([0-9]+\.sst)")) names.insert(f);
    return names;
  };
  const std::set<std::string> before = sst_names();
  WriteFile(fed_->dir() + "/serving.csv", Csv("7", 40));
  auto r = fed_->Ctl("de", {"ingest", fed_->dir() + "/serving.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // A backup flushes the memtables: the new rows are in new SST files,
  // none of whose data blocks has been read since.
  r = fed_->Ctl("de", {"backup", "create", fed_->dir() + "/serving-backup"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(Hit(*fed_, Phone("5", 1)));  // intact data answers (older files)
  int flipped = 0;
  for (const std::string& f : sst_names()) {
    // The audit column family's files (JSON lines) stay intact, so the
    // audit log can be read back.
    if (before.count(f) || ReadFile(f).find("\"action\"") != std::string::npos) continue;
    FlipByte(f, 10);  // inside the first data block
    ++flipped;
  }
  ASSERT_GT(flipped, 0);
  // Matches are answered from the store's memory index, which holds what
  // was read before the damage: the damage is met by the next read of the
  // data on disk, here the record itself.
  // A background job of the node (a scan of the meta table) may meet the
  // damage first; then the store says it met damaged data there and answers
  // nothing more. Either way the analyst is told the store is damaged and
  // what to do.
  auto shown = fed_->Ctl("de", {"records", "show", "--type", "phone", Phone("7", 3)});
  EXPECT_NE(shown.exit_code, 0) << shown.out;
  const std::string said = shown.out + shown.err;
  EXPECT_TRUE(said.find("store is damaged") != std::string::npos ||
              said.find("store met damaged data") != std::string::npos)
      << said;
  EXPECT_NE(said.find("--restore BACKUP_DIR"), std::string::npos) << said;
  RunResult out;
  EXPECT_FALSE(Hit(*fed_, Phone("7", 3), &out)) << "answered from a damaged store";
  EXPECT_NE((out.out + out.err).find("store is damaged"), std::string::npos)
      << out.out << out.err;
  // Nothing more from this store, even from intact blocks.
  EXPECT_FALSE(Hit(*fed_, Phone("5", 1), &out));
  EXPECT_NE((out.out + out.err).find("store is damaged"), std::string::npos)
      << out.out << out.err;
  auto peers = fed_->Ctl("at", {"peers", "--json"});
  EXPECT_NE(peers.out.find("\"peer\":\"de\",\"address\":\"" + de.address +
                           "\",\"health\":\"NOT_SERVING\""),
            std::string::npos)
      << peers.out;
  auto audit = fed_->Ctl("de", {"audit", "export", "--format", "jsonl"});
  EXPECT_NE(audit.out.find("\"action\":\"store.damaged\""), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("--verify-store"), std::string::npos);
  const std::string log = ReadFile(de.log);
  EXPECT_NE(log.find("STORE DAMAGED"), std::string::npos) << log;
  EXPECT_NE(log.find("--restore BACKUP_DIR"), std::string::npos);
  // What the log says to do: stop, verify (names the damage), restore.
  fed_->StopNode("de");
  const RunResult v = ifed::testing::Run({fed_->bin("ifed-node"), "--config", de.config, "--verify-store"});
  EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
  EXPECT_NE(v.err.find("orrupt"), std::string::npos) << v.err;
  RestoreDe();
}

TEST_F(DamageTest, DataDirOfAnotherNodeOrKeyIsRefused) {
  auto& de = fed_->node("de");
  auto& at = fed_->node("at");
  const std::string saved = fed_->dir() + "/de-data-saved";
  fed_->StopNode("de");
  fed_->StopNode("at");
  fs::rename(de.data_dir, saved);

  // at's data dir under de.
  fs::copy(at.data_dir, de.data_dir, fs::copy_options::recursive);
  fs::remove(de.data_dir + "/clean-stop");
  std::string said = StartRefused(*fed_, "de");
  EXPECT_NE(said.find("belongs to node 'at'"), std::string::npos) << said;
  fs::remove_all(de.data_dir);
  fs::rename(saved, de.data_dir);

  // Another federation key under the same epoch number.
  const std::string key_file = fed_->dir() + "/federation.key";
  const std::string key = ReadFile(key_file);
  WriteFile(key_file, "1 " + std::string(64, 'e') + "\n", 0600);
  said = StartRefused(*fed_, "de");
  EXPECT_NE(said.find("federation key of epoch 1"), std::string::npos) << said;
  WriteFile(key_file, key, 0600);

  // Another local sealing key.
  const std::string local_file = fed_->dir() + "/de/local.key";
  const std::string local = ReadFile(local_file);
  WriteFile(local_file, std::string(64, 'c') + "\n", 0600);
  said = StartRefused(*fed_, "de");
  EXPECT_NE(said.find("local sealing key"), std::string::npos) << said;
  WriteFile(local_file, local, 0600);

  // Rotation to epoch 2, then a key file that went back to epoch 1 only.
  WriteFile(key_file, key + "2 " + std::string(64, '2') + "\n", 0600);
  fed_->StartNode("de");
  fed_->StopNode("de");
  WriteFile(key_file, key, 0600);
  said = StartRefused(*fed_, "de");
  EXPECT_NE(said.find("ends at epoch 1"), std::string::npos) << said;
  WriteFile(key_file, key + "2 " + std::string(64, '2') + "\n", 0600);

  // The right files: it starts (control).
  fed_->StartNode("de");
  fed_->StartNode("at");
}

}  // namespace
}  // namespace ifed::testing
