// The memory index must answer exactly what RocksDB answers, after every
// kind of write and after a reopen; damaged input makes it step aside.
#include "node/store/memory_index.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <random>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "node/common/status_matchers.h"
#include "node/store/store.h"

namespace ifed::store {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;

Pseudonym P(uint32_t n) {
  Pseudonym p{};
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(n >> (8 * i));
  return p;
}

// What a match sees of one record.
using Seen = std::tuple<size_t, std::string, int, int, std::string, int64_t, bool,
                        std::vector<std::string>, bool>;

Seen SeenOf(size_t i, const ifed::v1::Record& r) {
  return {i, r.record_id(), r.type(), r.tlp(), r.crime_area(), r.expires(), r.national_only(),
          std::vector<std::string>(r.not_for().begin(), r.not_for().end()), r.hold()};
}

// RocksDB's answer (Lookup) and the memory index's (VisitMatches) agree.
void ExpectSameAnswers(const Store& store, uint32_t epoch, const std::vector<Pseudonym>& q) {
  ASSERT_TRUE(store.memory_index_usable());
  auto truth = store.Lookup(epoch, q);
  ASSERT_THAT(truth.status(), IsOk());
  std::vector<Seen> want, got;
  for (size_t i = 0; i < truth->size(); ++i) {
    for (const auto& r : (*truth)[i]) want.push_back(SeenOf(i, r));
  }
  ASSERT_THAT(store.VisitMatches(epoch, q,
                                 [&](size_t i, const ifed::v1::Record& r) {
                                   got.push_back(SeenOf(i, r));
                                   return true;
                                 }),
              IsOk());
  EXPECT_EQ(got, want) << "epoch " << epoch;
}

class MemoryIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("memidx_" + std::to_string(::getpid()) + "_" +
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
    auto s = Store::Open({.path = dir_.string(), .verify_on_open = false});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  IngestItem Item(uint32_t pseudo, const std::string& case_ref) {
    IngestItem item;
    // Hex ids (packed in memory) and other ids (kept as strings) both.
    const std::string id = next_id_ % 3 == 0
                               ? absl::StrCat("id-", next_id_)
                               : absl::StrCat(std::string(24, 'a'), absl::Hex(next_id_, absl::kZeroPad8));
    ++next_id_;
    item.record.set_record_id(id);
    item.record.set_type(pseudo % 5 == 0 ? ifed::v1::URL : ifed::v1::PHONE);
    const Pseudonym p = P(pseudo);
    item.record.set_pseudonym(std::string(p.begin(), p.end()));
    item.record.set_epoch(1);
    item.record.set_case_ref(case_ref);
    item.record.set_tlp(static_cast<ifed::v1::Tlp>(1 + pseudo % 4));
    item.record.set_crime_area(pseudo % 3 == 0 ? "fraud" : "");
    item.record.set_expires(pseudo % 7 == 0 ? 1000 + pseudo : 0);
    item.record.set_national_only(pseudo % 11 == 0);
    if (pseudo % 13 == 0) item.record.add_not_for("hu");
    if (pseudo % 26 == 0) item.record.add_not_for("at");
    item.record.set_hold(pseudo % 17 == 0);
    item.sealed_value = std::to_string(pseudo);
    return item;
  }
  std::vector<Pseudonym> Query(uint32_t n) {
    std::vector<Pseudonym> q;
    for (uint32_t i = 0; i < n; ++i) q.push_back(P(i));
    return q;
  }
  std::vector<std::string> AllIds() {
    auto ids = store_->FindRecords([](const ifed::v1::Record&) { return true; }, 1u << 20);
    EXPECT_TRUE(ids.ok());
    return ids.ok() ? *ids : std::vector<std::string>{};
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  uint32_t next_id_ = 0;
};

TEST_F(MemoryIndexTest, ExactUnderIngestHoldEraseExpiryAndReopen) {
  std::mt19937 rng(7);
  for (int round = 0; round < 6; ++round) {
    std::vector<IngestItem> items;
    for (int i = 0; i < 300; ++i) {
      const uint32_t pseudo = rng() % 400;
      // Few cases: the same pseudonym and case updates, another case adds.
      items.push_back(Item(pseudo, absl::StrCat("C", rng() % 3)));
    }
    ASSERT_THAT(store_->Ingest(items).status(), IsOk());
    ExpectSameAnswers(*store_, 1, Query(500));
    std::vector<std::string> ids = AllIds();
    std::shuffle(ids.begin(), ids.end(), rng);
    ids.resize(ids.size() / 10);
    ASSERT_THAT(store_->SetHold(ids, round % 2 == 0, nullptr).status(), IsOk());
    ExpectSameAnswers(*store_, 1, Query(500));
    ids.resize(ids.size() / 2);
    ASSERT_THAT(store_->Remove(ids, nullptr, nullptr).status(), IsOk());  // erasure
    ExpectSameAnswers(*store_, 1, Query(500));
    auto expired = store_->FindRecords(
        [](const ifed::v1::Record& r) { return r.expires() != 0 && r.expires() < 1200; }, 1000);
    ASSERT_THAT(expired.status(), IsOk());
    ASSERT_THAT(store_->Remove(*expired, nullptr, nullptr).status(), IsOk());  // expiry sweep
    ExpectSameAnswers(*store_, 1, Query(500));
    if (round % 2 == 1) {
      Reopen();  // rebuilt from the column families.
      ExpectSameAnswers(*store_, 1, Query(500));
    }
  }
  EXPECT_GT(store_->memory_index_bytes(), 0u);
}

TEST_F(MemoryIndexTest, ExactUnderReindexAndEpochDrop) {
  std::vector<IngestItem> items;
  for (uint32_t i = 0; i < 200; ++i) items.push_back(Item(i, i % 2 ? "C1" : "C2"));
  ASSERT_THAT(store_->Ingest(items).status(), IsOk());
  // Epoch 2: pseudonym n -> n + 1000 (from the sealed stand-in value).
  auto derive = [](const ifed::v1::Record&, const std::string& sealed) -> absl::StatusOr<Pseudonym> {
    return P(static_cast<uint32_t>(std::stoul(sealed)) + 1000);
  };
  ASSERT_THAT(store_->Reindex(2, derive, 37).status(), IsOk());
  std::vector<Pseudonym> q2;
  for (uint32_t i = 1000; i < 1300; ++i) q2.push_back(P(i));
  ExpectSameAnswers(*store_, 1, Query(300));
  ExpectSameAnswers(*store_, 2, q2);
  size_t hits = 0;
  ASSERT_THAT(store_->VisitMatches(2, q2, [&](size_t, const ifed::v1::Record&) {
    ++hits;
    return true;
  }),
              IsOk());
  EXPECT_EQ(hits, 200u);
  Reopen();
  ExpectSameAnswers(*store_, 2, q2);
  ASSERT_THAT(store_->DropEpoch(1).status(), IsOk());  // a range delete of the index
  ExpectSameAnswers(*store_, 1, Query(300));
  ExpectSameAnswers(*store_, 2, q2);
  hits = 0;
  ASSERT_THAT(store_->VisitMatches(1, Query(300), [&](size_t, const ifed::v1::Record&) {
    ++hits;
    return true;
  }),
              IsOk());
  EXPECT_EQ(hits, 0u);
}

TEST_F(MemoryIndexTest, VisitorStopsASlotAndUnknownEpochIsEmpty) {
  ASSERT_THAT(store_->Ingest(std::vector<IngestItem>{Item(5, "C1"), Item(5, "C2")}).status(),
              IsOk());
  size_t calls = 0;
  ASSERT_THAT(store_->VisitMatches(1, Query(10), [&](size_t i, const ifed::v1::Record&) {
    EXPECT_EQ(i, 5u);
    ++calls;
    return false;  // the second record of slot 5 is skipped.
  }),
              IsOk());
  EXPECT_EQ(calls, 1u);
  ASSERT_THAT(store_->VisitMatches(9, Query(10), [&](size_t, const ifed::v1::Record&) {
    ADD_FAILURE() << "no record under epoch 9";
    return true;
  }),
              IsOk());
}

TEST_F(MemoryIndexTest, OffServesFromRocksDb) {
  ASSERT_THAT(store_->Ingest(std::vector<IngestItem>{Item(3, "C1")}).status(), IsOk());
  store_.reset();
  auto s = Store::Open({.path = dir_.string(), .memory_index = false});
  ASSERT_THAT(s.status(), IsOk());
  EXPECT_FALSE((*s)->memory_index_usable());
  EXPECT_EQ((*s)->memory_index_bytes(), 0u);
  size_t hits = 0;
  ASSERT_THAT((*s)->VisitMatches(1, Query(5), [&](size_t i, const ifed::v1::Record& r) {
    EXPECT_EQ(i, 3u);
    EXPECT_EQ(r.type(), ifed::v1::PHONE);
    ++hits;
    return true;
  }),
              IsOk());
  EXPECT_EQ(hits, 1u);
}

// --- MemoryIndex alone: damaged input ------------------------------------

// A column family handle with a given id, for batches built in the test.
class FakeFamily : public rocksdb::ColumnFamilyHandle {
 public:
  explicit FakeFamily(uint32_t id) : id_(id) {}
  const std::string& GetName() const override { return name_; }
  uint32_t GetID() const override { return id_; }
  rocksdb::Status GetDescriptor(rocksdb::ColumnFamilyDescriptor*) override {
    return rocksdb::Status::NotSupported();
  }
  const rocksdb::Comparator* GetComparator() const override { return nullptr; }

 private:
  uint32_t id_;
  std::string name_ = "fake";
};

constexpr uint32_t kIndexCf = 2, kRecordsCf = 1;

std::string IndexKey(uint32_t epoch, const Pseudonym& p) {
  std::string k = {static_cast<char>(epoch >> 24), static_cast<char>(epoch >> 16),
                   static_cast<char>(epoch >> 8), static_cast<char>(epoch)};
  return k + std::string(p.begin(), p.end());
}

MemoryIndex::Feed FeedOf(std::vector<std::pair<std::string, std::string>> kv) {
  return [kv](const std::function<void(const std::string&, const std::string&)>& fn) {
    for (const auto& [k, v] : kv) fn(k, v);
    return absl::OkStatus();
  };
}

TEST(MemoryIndexAlone, BuildRejectsDamagedValues) {
  MemoryIndex idx(kIndexCf, kRecordsCf);
  ifed::v1::IndexEntry entry;
  entry.add_record_ids("r1");
  ASSERT_THAT(idx.Build(FeedOf({{"r1", "\xff\xff not a record"}}), FeedOf({})), IsOk());
  EXPECT_FALSE(idx.usable());
  EXPECT_THAT(idx.Visit(1, {P(1)}, [](size_t, const ifed::v1::Record&) { return true; }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // A key of the wrong size is damage too.
  ASSERT_THAT(idx.Build(FeedOf({}), FeedOf({{"short", entry.SerializeAsString()}})), IsOk());
  EXPECT_FALSE(idx.usable());
  // A read error is returned.
  EXPECT_THAT(idx.Build([](const auto&) { return absl::UnavailableError("io"); }, FeedOf({})),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(idx.usable());
  // A clean build is usable again.
  ifed::v1::Record rec;
  rec.set_record_id("r1");
  rec.set_type(ifed::v1::PHONE);
  ASSERT_THAT(idx.Build(FeedOf({{"r1", rec.SerializeAsString()}}),
                        FeedOf({{IndexKey(1, P(1)), entry.SerializeAsString()}})),
              IsOk());
  EXPECT_TRUE(idx.usable());
  EXPECT_EQ(idx.keys(), 1u);
  EXPECT_EQ(idx.records(), 1u);
}

TEST(MemoryIndexAlone, BatchesMirroredAndDamageMakesItUnusable) {
  MemoryIndex idx(kIndexCf, kRecordsCf);
  ASSERT_THAT(idx.Build(FeedOf({}), FeedOf({})), IsOk());
  FakeFamily index(kIndexCf), records(kRecordsCf), other(7);
  ifed::v1::Record rec;
  rec.set_record_id("0123456789abcdef0123456789abcdef");
  rec.set_type(ifed::v1::URL);
  rec.set_tlp(ifed::v1::TLP_GREEN);
  ifed::v1::IndexEntry entry;
  entry.add_record_ids(rec.record_id());
  rocksdb::WriteBatch b;
  ASSERT_TRUE(b.Put(&index, IndexKey(4, P(9)), entry.SerializeAsString()).ok());
  ASSERT_TRUE(b.Put(&records, rec.record_id(), rec.SerializeAsString()).ok());
  ASSERT_TRUE(b.Put(&other, "x", "\xff").ok());  // other families are ignored.
  idx.Apply(b);
  ASSERT_TRUE(idx.usable());
  std::vector<std::string> ids;
  ASSERT_THAT(idx.Visit(4, {P(8), P(9)},
                        [&](size_t i, const ifed::v1::Record& r) {
                          EXPECT_EQ(i, 1u);
                          EXPECT_EQ(r.type(), ifed::v1::URL);
                          ids.push_back(r.record_id());
                          return true;
                        }),
              IsOk());
  EXPECT_EQ(ids, std::vector<std::string>{rec.record_id()});
  rocksdb::WriteBatch bad;
  ASSERT_TRUE(bad.Put(&records, rec.record_id(), "\xff\xff\xff").ok());
  idx.Apply(bad);
  EXPECT_FALSE(idx.usable());
  rocksdb::WriteBatch merge;
  ASSERT_THAT(idx.Build(FeedOf({}), FeedOf({})), IsOk());
  ASSERT_TRUE(merge.Merge(&index, IndexKey(4, P(9)), "x").ok());
  idx.Apply(merge);
  EXPECT_FALSE(idx.usable());  // a merge cannot be mirrored.
}

TEST(SlotTable, InsertFindEraseAgreeWithASet) {
  SlotTable t;
  auto hash_of = [&](uint32_t e) { return std::hash<uint32_t>()(e) * 0x9e3779b97f4a7c15ull; };
  auto find = [&](uint32_t e) {
    return t.Find(hash_of(e), [&](uint32_t f) { return f == e; });
  };
  std::set<uint32_t> in;
  std::mt19937 rng(3);
  for (int step = 0; step < 60000; ++step) {
    const uint32_t e = rng() % 20000;
    if (in.count(e)) {
      t.Erase(hash_of(e), e, hash_of);
      in.erase(e);
    } else {
      t.Insert(hash_of(e), e, hash_of);
      in.insert(e);
    }
  }
  EXPECT_EQ(t.size(), in.size());
  for (uint32_t e = 0; e < 20000; ++e) {
    EXPECT_EQ(find(e) == e, in.count(e) == 1) << e;
  }
}

}  // namespace
}  // namespace ifed::store
