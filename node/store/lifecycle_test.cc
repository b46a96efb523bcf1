// Store lifecycle: removal, re-indexing under a new epoch,
// dropping an epoch, backup and restore.
#include <gtest/gtest.h>

#include <filesystem>

#include "node/store/store.h"

namespace ifed::store {
namespace {

Pseudonym P(uint8_t b) {
  Pseudonym p;
  p.fill(b);
  return p;
}

IngestItem Item(const std::string& id, uint8_t pseudo, const std::string& case_ref,
                int64_t expires = 0) {
  IngestItem item;
  item.record.set_record_id(id);
  item.record.set_type(ifed::v1::PHONE);
  const Pseudonym p = P(pseudo);
  item.record.set_pseudonym(std::string(p.begin(), p.end()));
  item.record.set_epoch(1);
  item.record.set_case_ref(case_ref);
  item.record.set_expires(expires);
  item.sealed_value = std::string(1, static_cast<char>(pseudo));  // "canonical" stand-in.
  return item;
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("life_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = Store::Open({.path = dir_ / "db"});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    std::vector<IngestItem> items = {Item("a1", 1, "C1", 50), Item("a2", 2, "C1"),
                                     Item("a3", 3, "C2", 500)};
    ASSERT_TRUE(store_->Ingest(items).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  size_t Hits(uint32_t epoch, uint8_t b) {
    auto r = store_->Lookup(epoch, {P(b)});
    EXPECT_TRUE(r.ok());
    return r.ok() ? (*r)[0].size() : 0;
  }
  uint64_t Phones() { return (*store_->CountByType())[ifed::v1::PHONE]; }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(LifecycleTest, RemoveDeletesRecordIndexCountAndWritesAudit) {
  std::vector<std::string> ids = {"a1", "nope", "a1"};
  int audits = 0;
  auto r = store_->Remove(ids, nullptr, [&](const Store::RemoveResult& res) {
    ++audits;
    EXPECT_EQ(res.removed, 1u);
    return Store::AuditEntries{{"k1", "erase event"}};
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->removed, 1u);
  EXPECT_EQ(audits, 1);
  EXPECT_EQ(Hits(1, 1), 0u);
  EXPECT_EQ(Hits(1, 2), 1u);
  EXPECT_EQ(Phones(), 2u);
  auto last = store_->LastAudit();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->second, "erase event");
  // The sealed value is gone too: nothing left to scan for a1.
  ASSERT_TRUE(store_->ScanRecordsWithSealed([](const ifed::v1::Record& rec, const std::string&) {
    EXPECT_NE(rec.record_id(), "a1");
    return true;
  }).ok());
}

TEST_F(LifecycleTest, RemoveRefusedByAuditLeavesEverything) {
  std::vector<std::string> ids = {"a1", "a2"};
  auto r = store_->Remove(ids, nullptr, [](const Store::RemoveResult&)
                                            -> absl::StatusOr<Store::AuditEntries> {
    return absl::UnavailableError("audit down");
  });
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(Hits(1, 1), 1u);
  EXPECT_EQ(Hits(1, 2), 1u);
  EXPECT_EQ(Phones(), 3u);
}

TEST_F(LifecycleTest, FindRecordsByExpiryAndCase) {
  auto expired = store_->FindRecords(
      [](const ifed::v1::Record& r) { return r.expires() != 0 && r.expires() <= 100; }, 10);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, std::vector<std::string>{"a1"});
  auto c1 = store_->FindRecords([](const ifed::v1::Record& r) { return r.case_ref() == "C1"; }, 10);
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(c1->size(), 2u);
}

TEST_F(LifecycleTest, ReindexServesBothEpochsThenDropRemovesOld) {
  // New epoch 2: pseudonym = old byte + 100 (from the "sealed" byte).
  auto derive = [](const ifed::v1::Record&, const std::string& sealed) -> absl::StatusOr<Pseudonym> {
    return P(static_cast<uint8_t>(sealed[0] + 100));
  };
  std::vector<uint64_t> progress;
  auto n = store_->Reindex(2, derive, /*batch_records=*/2,
                           [&](uint64_t done) {
                             progress.push_back(done);
                             return true;
                           });
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(progress.size(), 2u);
  EXPECT_TRUE(store_->ReindexComplete(2));
  EXPECT_EQ(Hits(1, 2), 1u);    // overlap: old epoch still served
  EXPECT_EQ(Hits(2, 102), 1u);  // and the new one.
  EXPECT_EQ(*store_->IndexedEpochs(), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(*store_->Reindex(2, derive), 0u);  // done: nothing again.
  // Erasing during the overlap removes both index entries (alias).
  std::vector<std::string> ids = {"a2"};
  auto removed = store_->Remove(
      ids,
      [](const ifed::v1::Record&, const std::string& sealed)
          -> absl::StatusOr<std::vector<std::pair<uint32_t, Pseudonym>>> {
        return std::vector<std::pair<uint32_t, Pseudonym>>{{1, P(static_cast<uint8_t>(sealed[0]))}};
      },
      nullptr);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(Hits(1, 2), 0u);
  EXPECT_EQ(Hits(2, 102), 0u);
  auto dropped = store_->DropEpoch(1);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 2u);
  EXPECT_EQ(Hits(1, 3), 0u);    // old pseudonyms miss after the drop
  EXPECT_EQ(Hits(2, 103), 1u);
  EXPECT_EQ(*store_->IndexedEpochs(), (std::vector<uint32_t>{2}));
}

TEST_F(LifecycleTest, ReindexFailureStopsAndResumes) {
  int calls = 0;
  auto failing = [&](const ifed::v1::Record&, const std::string& sealed) -> absl::StatusOr<Pseudonym> {
    if (++calls == 2) return absl::DataLossError("cannot open sealed value");
    return P(static_cast<uint8_t>(sealed[0] + 100));
  };
  EXPECT_FALSE(store_->Reindex(2, failing, 1).ok());  // first batch done, second fails.
  EXPECT_FALSE(store_->ReindexComplete(2));
  auto ok = [](const ifed::v1::Record&, const std::string& sealed) -> absl::StatusOr<Pseudonym> {
    return P(static_cast<uint8_t>(sealed[0] + 100));
  };
  auto n = store_->Reindex(2, ok, 1);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);  // resumed after a1.
  for (uint8_t b : {101, 102, 103}) EXPECT_EQ(Hits(2, b), 1u) << int(b);
}

// A shutdown stops a rotation between batches; the next run goes on from there.
TEST_F(LifecycleTest, ReindexStopsWhenAskedAndResumes) {
  auto derive = [](const ifed::v1::Record&, const std::string& sealed) -> absl::StatusOr<Pseudonym> {
    return P(static_cast<uint8_t>(sealed[0] + 100));
  };
  auto stopped = store_->Reindex(2, derive, 1, [](uint64_t) { return false; });
  EXPECT_EQ(stopped.status().code(), absl::StatusCode::kCancelled) << stopped.status();
  EXPECT_FALSE(store_->ReindexComplete(2));
  EXPECT_EQ(Hits(2, 101), 1u);  // the first batch is kept
  EXPECT_EQ(Hits(2, 102), 0u);
  auto n = store_->Reindex(2, derive, 1, [](uint64_t) { return true; });
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2u);
  EXPECT_TRUE(store_->ReindexComplete(2));
  for (uint8_t b : {101, 102, 103}) EXPECT_EQ(Hits(2, b), 1u) << int(b);
}

TEST_F(LifecycleTest, BackupRestoresSameAnswers) {
  const std::string backup = dir_ / "backup";
  auto id = store_->Backup(backup);
  ASSERT_TRUE(id.ok()) << id.status();
  const std::string restored = dir_ / "restored";
  ASSERT_TRUE(Store::Restore(backup, restored).ok());
  auto other = Store::Open({.path = restored});
  ASSERT_TRUE(other.ok());
  auto r = (*other)->Lookup(1, {P(1), P(2), P(9)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].size(), 1u);
  EXPECT_EQ((*r)[1].size(), 1u);
  EXPECT_EQ((*r)[2].size(), 0u);
}

TEST_F(LifecycleTest, RestoreRefusesExistingStoreAndMissingBackup) {
  ASSERT_TRUE(store_->Backup(dir_ / "backup").ok());
  auto s = Store::Restore(dir_ / "backup", dir_ / "db");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  std::filesystem::create_directories(dir_ / "empty");
  s = Store::Restore(dir_ / "empty", dir_ / "fresh");
  EXPECT_FALSE(s.ok());
}

TEST_F(LifecycleTest, RestoreRejectsCorruptBackup) {
  const std::string backup = dir_ / "backup";
  ASSERT_TRUE(store_->Backup(backup).ok());
  for (const auto& f : std::filesystem::recursive_directory_iterator(backup)) {
    if (f.is_regular_file() && f.path().extension() == ".sst") {
      std::filesystem::resize_file(f.path(), std::filesystem::file_size(f.path()) / 2);
      break;
    }
  }
  EXPECT_FALSE(Store::Restore(backup, dir_ / "fresh").ok());
}

}  // namespace
}  // namespace ifed::store
