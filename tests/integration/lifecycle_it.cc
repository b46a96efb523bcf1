// Data lifecycle end to end against real nodes: an erasure on one
// node makes a partner's previous hit (and its reference) disappear and is
// audited with counts only; a case is erased as a whole; key rotation by a
// new epoch in the key file re-pseudonymises without re-ingest; a backup
// restores on a fresh data dir with the same answers and a verified audit.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

namespace fs = std::filesystem;

class LifecycleIt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    // at may keep watches at de (a watch made before de rotates its keys).
    fed_->AddNode("de", "DE", {{.id = "at", .extra = "    watches: {allowed: true, max_active: 10}\n"}});
    fed_->AddNode("at", "AT", {{.id = "de"}});
    // Retention per type and crime area: most specific rule wins.
    fed_->node("de").extra_yaml =
        "retention:\n"
        "  - {type: email, days: 30}\n"
        "  - {type: email, crime_area: migrant_smuggling, days: 7}\n"
        "  - {crime_area: trafficking_in_human_beings, days: 90}\n";
    fed_->Start();
    const std::string path = fed_->dir() + "/life.csv";
    WriteFile(path,
              "type,value,case_ref,tlp,crime_area,region\n"
              "phone,0176 1111 2222,C-ERASE,amber,migrant_smuggling,DE\n"
              "phone,0176 3333 4444,C-KEEP,amber,migrant_smuggling,DE\n"
              "email,case.one@mail-provider.eu,C-CASE,amber,migrant_smuggling,\n"
              "email,case.two@mail-provider.eu,C-CASE,amber,migrant_smuggling,\n");
    auto in = fed_->Ctl("de", {"ingest", "--no-progress", path});
    if (in.exit_code != 0) throw std::runtime_error("ingest: " + in.out + in.err);
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  // at asks de; the output line of the value.
  static std::string Match(const std::string& type, const std::string& value) {
    auto r = fed_->Ctl("at", {"match", "--peer", "de", "--purpose", "migrant_smuggling",
                              "--type", type, "--region", "DE", value});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r.out;
  }
  static bool Hit(const std::string& type, const std::string& value) {
    return Match(type, value).find("\tHIT") != std::string::npos;
  }
  static std::string Audit(const std::string& node) {
    const std::string out = fed_->dir() + "/" + node + "-audit.jsonl";
    auto r = fed_->Ctl(node, {"audit", "export", "--out", out});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return ReadFile(out);
  }
  static LocalFederation* fed_;
};

LocalFederation* LifecycleIt::fed_ = nullptr;

TEST_F(LifecycleIt, ErasureMakesPartnerHitDisappearAndIsAuditedWithCountsOnly) {
  ASSERT_TRUE(Hit("phone", "+49 176 11112222"));
  // Refused: one invalid value erases nothing.
  auto bad = fed_->Ctl("de", {"erase", "--type", "phone", "--region", "DE", "0176 1111 2222",
                              "not a phone"});
  EXPECT_NE(bad.exit_code, 0) << bad.out;
  EXPECT_EQ((bad.out + bad.err).find("not a phone"), std::string::npos);  // never echoed.
  EXPECT_TRUE(Hit("phone", "+49 176 11112222"));
  // Bad input: no values; unknown type.
  EXPECT_EQ(fed_->Ctl("de", {"erase", "--type", "phone"}).exit_code, 2);
  EXPECT_EQ(fed_->Ctl("de", {"erase", "--type", "nope", "x"}).exit_code, 2);

  auto r = fed_->Ctl("de", {"erase", "--type", "phone", "--region", "DE", "0176 1111 2222"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("erased records: 1"), std::string::npos) << r.out;
  EXPECT_FALSE(Hit("phone", "+49 176 11112222"));
  EXPECT_TRUE(Hit("phone", "+49 176 33334444"));  // the other record stays.
  const std::string audit = Audit("de");
  EXPECT_NE(audit.find("\"action\":\"erase\""), std::string::npos);
  EXPECT_NE(audit.find("\"removed\":1"), std::string::npos);
  EXPECT_EQ(audit.find("11112222"), std::string::npos);
  EXPECT_EQ(fed_->Ctl("de", {"audit", "verify"}).exit_code, 0);
}

TEST_F(LifecycleIt, EraseCaseRemovesEveryRecordOfTheCase) {
  ASSERT_TRUE(Hit("email", "case.one@mail-provider.eu"));
  auto none = fed_->Ctl("de", {"erase", "--case", "C-NO-SUCH-CASE"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("erased records: 0"), std::string::npos) << none.out;
  auto r = fed_->Ctl("de", {"erase", "--case", "C-CASE"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("erased records: 2"), std::string::npos) << r.out;
  EXPECT_FALSE(Hit("email", "case.one@mail-provider.eu"));
  EXPECT_FALSE(Hit("email", "case.two@mail-provider.eu"));
  EXPECT_EQ(Audit("de").find("C-CASE"), std::string::npos);  // no case reference in audit.
  auto sweep = fed_->Ctl("de", {"erase", "--expired"});
  EXPECT_EQ(sweep.exit_code, 0) << sweep.err;
  EXPECT_NE(sweep.out.find("expired records removed: 0"), std::string::npos);
}

TEST_F(LifecycleIt, KeyRotationWithoutReingestThenOldEpochDropped) {
  ASSERT_TRUE(Hit("phone", "+49 176 33334444"));
  const std::string key_file = fed_->dir() + "/federation.key";
  const std::string old_keys = ReadFile(key_file);
  const std::string epoch2 = "2 " + std::string(64, 'b') + "\n";
  fed_->StopNode("de");
  fed_->StopNode("at");
  WriteFile(key_file, old_keys + epoch2, 0600);
  fed_->StartNode("de");
  fed_->StartNode("at");
  EXPECT_TRUE(Hit("phone", "+49 176 33334444"));  // at asks under epoch 2 now.
  EXPECT_NE(Audit("de").find("\"action\":\"keys.rotate\""), std::string::npos);
  // Old key removed from the file: its index is dropped; matching goes on.
  fed_->StopNode("de");
  fed_->StopNode("at");
  WriteFile(key_file, epoch2, 0600);
  fed_->StartNode("de");
  fed_->StartNode("at");
  EXPECT_TRUE(Hit("phone", "+49 176 33334444"));
  EXPECT_NE(Audit("de").find("\"action\":\"keys.drop_epoch\""), std::string::npos);
  auto stats = fed_->Ctl("de", {"stats"});
  EXPECT_NE(stats.out.find("key epoch        2"), std::string::npos) << stats.out;
}

TEST_F(LifecycleIt, BackupRestoresOnFreshDataDirWithVerifiedAudit) {
  EXPECT_EQ(fed_->Ctl("de", {"backup"}).exit_code, 2);
  EXPECT_EQ(fed_->Ctl("de", {"backup", "create", "/proc/no-such/backup"}).exit_code, 1);
  const std::string backup = fed_->dir() + "/de-backup";
  auto b = fed_->Ctl("de", {"backup", "create", backup});
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  EXPECT_NE(b.out.find("verified"), std::string::npos);

  auto& de = fed_->node("de");
  fed_->StopNode("de");
  // Refused: the data dir already holds a store.
  auto refused = ifed::testing::Run({fed_->bin("ifed-node"), "--config", de.config, "--restore", backup});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("fresh data dir"), std::string::npos) << refused.err;
  // Fresh data dir: restore, verify, serve.
  fs::rename(de.data_dir, de.data_dir + ".orig");
  de.process = Process({fed_->bin("ifed-node"), "--config", de.config, "--restore", backup},
                       de.log + ".restore");
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    ready = fs::exists(de.socket) && fed_->Ctl("de", {"stats"}).exit_code == 0;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(ready) << ReadFile(de.log + ".restore");
  EXPECT_NE(ReadFile(de.log + ".restore").find("audit chain verified"), std::string::npos);
  EXPECT_TRUE(Hit("phone", "+49 176 33334444"));
  EXPECT_FALSE(Hit("phone", "+49 176 11112222"));  // erased before the backup.
  EXPECT_EQ(fed_->Ctl("de", {"audit", "verify"}).exit_code, 0);
}

// Erasing a URL erases what it named (the channel handle stored
// with it, same case); the same handle held in another case stays.
TEST_F(LifecycleIt, ErasureTakesTheDerivedRecordsOfTheSameCase) {
  const std::string path = fed_->dir() + "/derived.csv";
  WriteFile(path,
            "type,value,case_ref,tlp,crime_area,region\n"
            "url,https://t.me/erase_demo_chan,C-DERIVED,amber,migrant_smuggling,\n"
            "url,https://t.me/shared_demo_chan,C-DERIVED,amber,migrant_smuggling,\n"
            "handle,telegram:shared_demo_chan,C-OTHER,amber,migrant_smuggling,\n");
  ASSERT_EQ(fed_->Ctl("de", {"ingest", "--no-progress", path}).exit_code, 0);
  ASSERT_TRUE(Hit("handle", "telegram:erase_demo_chan"));
  auto e = fed_->Ctl("de", {"erase", "--type", "url", "https://t.me/erase_demo_chan",
                            "https://t.me/shared_demo_chan"});
  ASSERT_EQ(e.exit_code, 0) << e.out << e.err;
  EXPECT_FALSE(Hit("url", "https://t.me/erase_demo_chan"));
  EXPECT_FALSE(Hit("handle", "telegram:erase_demo_chan"));
  EXPECT_TRUE(Hit("handle", "telegram:shared_demo_chan"));  // C-OTHER's own record.
  auto left = fed_->Ctl("de", {"records", "show", "--json", "--type", "handle",
                               "telegram:shared_demo_chan"});
  EXPECT_NE(left.out.find("C-OTHER"), std::string::npos) << left.out;
  EXPECT_EQ(left.out.find("C-DERIVED"), std::string::npos) << left.out;
  const std::string audit = Audit("de");
  EXPECT_NE(audit.find("\"derived\":2"), std::string::npos);
  EXPECT_EQ(audit.find("erase_demo_chan"), std::string::npos);
}

// Retention by type and crime area; the row's own expiry wins.
TEST_F(LifecycleIt, RetentionFollowsTypeAndCrimeAreaRules) {
  const std::string path = fed_->dir() + "/retention.csv";
  WriteFile(path,
            "type,value,case_ref,tlp,crime_area,region\n"
            "email,keep.seven@mail-provider.eu,C-RET,amber,migrant_smuggling,\n"
            "email,keep.thirty@mail-provider.eu,C-RET,amber,other_area,\n"
            "phone,0176 5555 6666,C-RET,amber,trafficking_in_human_beings,DE\n"
            "phone,0176 5555 7777,C-RET,amber,migrant_smuggling,DE\n");
  auto in = fed_->Ctl("de", {"ingest", "--no-progress", path});
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  const int64_t now = std::time(nullptr);
  auto days = [&](const std::string& type, const std::string& value) -> int64_t {
    auto r = fed_->Ctl("de", {"records", "show", "--json", "--type", type, "--region", "DE", value});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const size_t p = r.out.find("\"expires\":");
    if (p == std::string::npos) return -1;
    return (std::stoll(r.out.substr(p + 10)) - now + 43200) / 86400;
  };
  EXPECT_EQ(days("email", "keep.seven@mail-provider.eu"), 7);
  EXPECT_EQ(days("email", "keep.thirty@mail-provider.eu"), 30);
  EXPECT_EQ(days("phone", "0176 5555 6666"), 90);
  EXPECT_EQ(days("phone", "0176 5555 7777"), 365);  // default_retention_days.
}

// Rotation while the node serves. de takes the new key file at run
// time and re-pseudonymises in the background while at, still on the old
// epoch, keeps matching (no gap); after `keys drop` the old epoch's
// pseudonyms miss; at rotates too and matches under the new epoch. Bad
// requests are refused and change nothing.
TEST_F(LifecycleIt, ZRotationAtRunTimeWithoutGapThenOldEpochDropped) {
  auto status = fed_->Ctl("de", {"keys", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.out << status.err;
  const size_t p = status.out.find("current epoch");
  ASSERT_NE(p, std::string::npos) << status.out;
  const int current = std::stoi(status.out.substr(p + 13));
  const int next = current + 1;
  const std::string key_file = fed_->dir() + "/federation.key";
  const std::string old_keys = ReadFile(key_file);
  const std::string next_file = fed_->dir() + "/federation-next.key";
  WriteFile(next_file, old_keys + std::to_string(next) + " " + std::string(64, 'c') + "\n", 0600);

  // Refused, nothing changes: not above the current epoch, no current epoch
  // in the file, another key for the current epoch, a world-readable file.
  auto low = fed_->Ctl("de", {"keys", "rotate", "--epoch", std::to_string(current),
                              "--key-file", next_file});
  EXPECT_EQ(low.exit_code, 1);
  EXPECT_NE(low.err.find("not above the current epoch"), std::string::npos) << low.err;
  const std::string lone = fed_->dir() + "/federation-lone.key";
  WriteFile(lone, std::to_string(next) + " " + std::string(64, 'c') + "\n", 0600);
  auto no_overlap = fed_->Ctl("de", {"keys", "rotate", "--epoch", std::to_string(next),
                                     "--key-file", lone});
  EXPECT_NE(no_overlap.err.find("must keep the current epoch"), std::string::npos)
      << no_overlap.err;
  const std::string other = fed_->dir() + "/federation-other.key";
  WriteFile(other, std::to_string(current) + " " + std::string(64, 'd') + "\n" +
                       std::to_string(next) + " " + std::string(64, 'c') + "\n", 0600);
  auto swapped = fed_->Ctl("de", {"keys", "rotate", "--epoch", std::to_string(next),
                                  "--key-file", other});
  EXPECT_NE(swapped.err.find("another key than the one in force"), std::string::npos)
      << swapped.err;
  const std::string open_file = fed_->dir() + "/federation-open.key";
  WriteFile(open_file, ReadFile(next_file), 0644);
  EXPECT_EQ(fed_->Ctl("de", {"keys", "rotate", "--epoch", std::to_string(next), "--key-file",
                             open_file}).exit_code, 1);
  EXPECT_EQ(fed_->Ctl("de", {"keys", "rotate", "--epoch", "x", "--key-file", next_file})
                .exit_code, 2);
  EXPECT_EQ(ReadFile(key_file), old_keys);

  // A standing query of at, made under the old epoch, before de rotates.
  auto watch = fed_->Ctl("at", {"watch", "add", "--peer", "de", "--type", "phone", "--region",
                                "DE", "0176 5555 6666"});
  ASSERT_EQ(watch.exit_code, 0) << watch.out << watch.err;
  const std::string watch_id = watch.out.substr(0, watch.out.find('\t'));

  // A match load from at (old epoch) runs through de's rotation.
  std::atomic<bool> stop{false};
  std::atomic<int> asked{0}, missed{0};
  std::thread load([&] {
    while (!stop) {
      ++asked;
      if (!Hit("phone", "+49 176 33334444")) ++missed;
    }
  });
  auto rot = fed_->Ctl("de", {"keys", "rotate", "--epoch", std::to_string(next), "--key-file",
                              next_file, "--wait"});
  EXPECT_EQ(rot.exit_code, 0) << rot.out << rot.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  load.join();
  EXPECT_GT(asked.load(), 0);
  EXPECT_EQ(missed.load(), 0) << "of " << asked.load();
  EXPECT_NE(rot.out.find(absl::StrCat("current epoch    ", next)), std::string::npos) << rot.out;
  EXPECT_NE(rot.out.find("done"), std::string::npos) << rot.out;
  EXPECT_EQ(ReadFile(key_file), ReadFile(next_file));  // a restart keeps the new key set.
  const std::string audit = Audit("de");
  EXPECT_NE(audit.find("\"action\":\"keys.rotate.start\""), std::string::npos);
  EXPECT_NE(audit.find("\"action\":\"keys.rotate\""), std::string::npos);

  // The watch made under the old epoch still fires for a record de stores
  // under the new one (during the overlap: de still holds the old key).
  const std::string later = fed_->dir() + "/later.csv";
  WriteFile(later, "type,value,case_ref,tlp,crime_area,region\n"
                   "phone,0176 5555 6666,C-LATER,amber,migrant_smuggling,DE\n");
  ASSERT_EQ(fed_->Ctl("de", {"ingest", "--no-progress", later}).exit_code, 0);
  bool fired = false;
  for (int i = 0; i < 100 && !fired; ++i) {
    auto events = fed_->Ctl("at", {"watch", "events"});
    fired = events.out.find("\tde\t" + watch_id + "\tHIT\t") != std::string::npos;
    if (!fired) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(fired) << fed_->Ctl("at", {"watch", "events"}).out;

  // The current epoch cannot be dropped; the old one can, and then at (still
  // asking under it) no longer gets a hit.
  EXPECT_EQ(fed_->Ctl("de", {"keys", "drop", "--epoch", std::to_string(next)}).exit_code, 1);
  auto drop = fed_->Ctl("de", {"keys", "drop", "--epoch", std::to_string(current)});
  ASSERT_EQ(drop.exit_code, 0) << drop.out << drop.err;
  EXPECT_NE(drop.out.find(absl::StrCat("key set          ", next)), std::string::npos) << drop.out;
  auto old = fed_->Ctl("at", {"match", "--peer", "de", "--type", "phone", "--region", "DE",
                              "+49 176 33334444"});
  EXPECT_EQ(old.out.find("\tHIT"), std::string::npos) << old.out << old.err;
  // at rotates as well: it asks under the new epoch and hits again.
  auto at_rot = fed_->Ctl("at", {"keys", "rotate", "--epoch", std::to_string(next), "--key-file",
                                 next_file, "--wait"});
  EXPECT_EQ(at_rot.exit_code, 0) << at_rot.out << at_rot.err;
  EXPECT_TRUE(Hit("phone", "+49 176 33334444"));
  EXPECT_NE(Audit("de").find("\"action\":\"keys.drop_epoch\""), std::string::npos);
}

}  // namespace
}  // namespace ifed::testing
