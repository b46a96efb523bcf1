#include "node/store/store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace ifed::store {
namespace {

Pseudonym P(uint8_t b) {
  Pseudonym p;
  p.fill(b);
  return p;
}

IngestItem Item(const std::string& id, uint8_t pseudo, const std::string& case_ref,
                int type = ifed::v1::PHONE, int64_t seen = 100) {
  IngestItem item;
  item.record.set_record_id(id);
  item.record.set_type(static_cast<ifed::v1::IndicatorType>(type));
  const Pseudonym p = P(pseudo);
  item.record.set_pseudonym(std::string(p.begin(), p.end()));
  item.record.set_epoch(1);
  item.record.set_case_ref(case_ref);
  item.record.set_tlp(ifed::v1::TLP_AMBER);
  item.record.set_first_seen(seen);
  item.record.set_last_seen(seen);
  item.sealed_value = "sealed";
  return item;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = Store::Open({.path = dir_.string()});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, IngestThenLookupSurvivesReopen) {
  std::vector<IngestItem> items = {Item("r1", 1, "C1"), Item("r2", 2, "C1"),
                                   Item("r3", 1, "C2")};
  auto res = store_->Ingest(items);
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->stored, 3u);
  Reopen();
  std::vector<Pseudonym> q = {P(1), P(9), P(2)};
  auto found = store_->Lookup(1, q);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*found)[0].size(), 2u);  // two cases hold pseudonym 1.
  EXPECT_TRUE((*found)[1].empty());
  ASSERT_EQ((*found)[2].size(), 1u);
  EXPECT_EQ((*found)[2][0].record_id(), "r2");
  // Other epoch: no hit.
  auto other = store_->Lookup(2, q);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE((*other)[0].empty());
  auto counts = store_->CountByType();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[ifed::v1::PHONE], 3u);
}

TEST_F(StoreTest, SameCaseUpdatesLastSeenInsteadOfDuplicating) {
  ASSERT_TRUE(store_->Ingest(std::vector<IngestItem>{Item("r1", 1, "C1")}).ok());
  auto res = store_->Ingest(std::vector<IngestItem>{Item("rX", 1, "C1", ifed::v1::PHONE, 500),
                                                    Item("rY", 1, "C1", ifed::v1::PHONE, 600)});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->stored, 0u);
  EXPECT_EQ(res->updated, 2u);
  std::vector<Pseudonym> q = {P(1)};
  auto found = store_->Lookup(1, q);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ((*found)[0].size(), 1u);
  EXPECT_EQ((*found)[0][0].record_id(), "r1");
  EXPECT_EQ((*found)[0][0].last_seen(), 600);
  EXPECT_EQ((*found)[0][0].first_seen(), 100);
}

TEST_F(StoreTest, BadItemStoresNothing) {
  std::vector<IngestItem> items = {Item("r1", 1, "C1"), Item("r2", 2, "C1")};
  items[1].record.set_pseudonym("short");
  EXPECT_EQ(store_->Ingest(items).status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<Pseudonym> q = {P(1)};
  auto found = store_->Lookup(1, q);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE((*found)[0].empty());
}

TEST(StoreOpen, UnwritablePathIsAnError) {
  auto s = Store::Open({.path = "/proc/ifed-cannot-exist/db"});
  EXPECT_FALSE(s.ok());
}


// Staged ingests: nothing is visible before the commit, a dropped
// ingest leaves nothing, and a committed one survives a restart and is
// applied exactly once.
TEST_F(StoreTest, StagedIngestIsInvisibleUntilAppliedAndDropLeavesNothing) {
  std::vector<IngestItem> a = {Item("r1", 1, "C1"), Item("r2", 2, "C1")};
  std::vector<IngestItem> b = {Item("r3", 3, "C1"), Item("r4", 1, "C1")};  // r4 repeats r1.
  ASSERT_TRUE(store_->StageChunk("ab01", 0, a).ok());
  ASSERT_TRUE(store_->StageChunk("ab01", 1, b).ok());
  auto found = store_->Lookup(1, std::vector<Pseudonym>{P(1), P(3)});
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE((*found)[0].empty());
  EXPECT_TRUE((*found)[1].empty());
  EXPECT_FALSE(store_->ApplyStaged("ab01").ok());  // not committed.
  auto staged = store_->StagedIngests();
  ASSERT_TRUE(staged.ok());
  ASSERT_EQ(staged->size(), 1u);
  EXPECT_EQ((*staged)[0], std::make_pair(std::string("ab01"), false));
  ASSERT_TRUE(store_->DropStaged("ab01").ok());
  staged = store_->StagedIngests();
  ASSERT_TRUE(staged.ok());
  EXPECT_TRUE(staged->empty());
  auto counts = store_->CountByType();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[ifed::v1::PHONE], 0u);
}

TEST_F(StoreTest, CommittedStagedIngestResumesAfterRestartExactlyOnce) {
  std::vector<IngestItem> a = {Item("r1", 1, "C1"), Item("r2", 2, "C1")};
  std::vector<IngestItem> b = {Item("r3", 3, "C1"), Item("r4", 1, "C1")};
  ASSERT_TRUE(store_->StageChunk("cd02", 0, a).ok());
  ASSERT_TRUE(store_->StageChunk("cd02", 1, b).ok());
  ASSERT_TRUE(store_->CommitStaged("cd02", {}).ok());
  Reopen();  // the node stopped after the commit.
  auto staged = store_->StagedIngests();
  ASSERT_TRUE(staged.ok());
  ASSERT_EQ(staged->size(), 1u);
  EXPECT_TRUE((*staged)[0].second);
  auto r = store_->ApplyStaged("cd02");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stored, 3u);
  EXPECT_EQ(r->updated, 1u);  // r4: same pseudonym and case as r1, one chunk later.
  ASSERT_TRUE(store_->FinishStaged("cd02", {}).ok());
  staged = store_->StagedIngests();
  ASSERT_TRUE(staged.ok());
  EXPECT_TRUE(staged->empty());
  auto again = store_->ApplyStaged("cd02");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  auto counts = store_->CountByType();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[ifed::v1::PHONE], 3u);
}

TEST_F(StoreTest, StagedIngestRefusesBadIds) {
  std::vector<IngestItem> a = {Item("r1", 1, "C1")};
  EXPECT_EQ(store_->StageChunk("", 0, a).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->StageChunk("../x", 0, a).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->DropStaged("ZZ").code(), absl::StatusCode::kInvalidArgument);
}

// A later ingest of the same record adds its hold and post
// provenance (deduplicated, newest kMaxProvenance kept); SetHold flips the
// flag with its audit entries, all or nothing.
TEST_F(StoreTest, IngestMergesHoldAndProvenance) {
  auto with_post = [](const std::string& id, const std::string& sha, bool hold) {
    IngestItem item = Item(id, 7, "C1");
    item.record.set_hold(hold);
    auto* p = item.record.add_provenance();
    p->set_post_url("u-" + sha);
    p->set_text_sha256(std::string(32, sha[0]));
    return item;
  };
  ASSERT_TRUE(store_->Ingest(std::vector<IngestItem>{with_post("r1", "a", false)}).ok());
  ASSERT_TRUE(store_->Ingest(std::vector<IngestItem>{with_post("r2", "b", true),
                                                      with_post("r3", "a", false)}).ok());
  auto r = store_->GetRecord("r1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->hold());
  ASSERT_EQ(r->provenance_size(), 2);
  EXPECT_EQ(r->provenance(1).post_url(), "u-b");
  EXPECT_FALSE(store_->GetRecord("r2").ok());  // merged, not stored.
  // A later ingest without a hold keeps it.
  ASSERT_TRUE(store_->Ingest(std::vector<IngestItem>{Item("r4", 7, "C1")}).ok());
  EXPECT_TRUE(store_->GetRecord("r1")->hold());
  for (int i = 0; i < kMaxProvenance + 5; ++i) {
    IngestItem item = Item("rx", 7, "C1");
    auto* p = item.record.add_provenance();
    p->set_post_url("n" + std::to_string(i));
    p->set_text_sha256(std::string(32, 'z'));
    ASSERT_TRUE(store_->Ingest(std::vector<IngestItem>{item}).ok());
  }
  r = store_->GetRecord("r1");
  ASSERT_EQ(r->provenance_size(), kMaxProvenance);
  EXPECT_EQ(r->provenance(kMaxProvenance - 1).post_url(), "n" + std::to_string(kMaxProvenance + 4));
}

TEST_F(StoreTest, SetHoldWithAuditAllOrNothing) {
  ASSERT_TRUE(store_->Ingest(std::vector<IngestItem>{Item("r1", 1, "C1"), Item("r2", 2, "C1")}).ok());
  std::vector<std::string> ids = {"r1", "r2", "unknown", "r1"};
  auto res = store_->SetHold(ids, true, [](const Store::HoldResult& h) -> absl::StatusOr<Store::AuditEntries> {
    return Store::AuditEntries{{"k1", "changed=" + std::to_string(h.changed)}};
  });
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->changed, 2u);
  EXPECT_EQ(res->unchanged, 0u);
  EXPECT_TRUE(store_->GetRecord("r2")->hold());
  auto last = store_->LastAudit();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->second, "changed=2");
  // A failing audit function changes nothing.
  auto bad = store_->SetHold(ids, false, [](const Store::HoldResult&) -> absl::StatusOr<Store::AuditEntries> {
    return absl::UnavailableError("audit down");
  });
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(store_->GetRecord("r1")->hold());
  res = store_->SetHold(ids, false, nullptr);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->changed, 2u);
  EXPECT_FALSE(store_->GetRecord("r1")->hold());
  res = store_->SetHold(ids, false, nullptr);
  EXPECT_EQ(res->unchanged, 2u);
}

}  // namespace
}  // namespace ifed::store
