#include "node/store/tables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "node/common/status_matchers.h"

namespace ifed::store {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::ElementsAre;

class TablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("tables_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto s = Store::Open({.path = dir_.string()});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::vector<std::string> Keys(const MetaTable& t, const std::string& prefix) {
    std::vector<std::string> keys;
    EXPECT_THAT(t.Scan(prefix,
                       [&](const std::string& k, const std::string&) {
                         keys.push_back(k);
                         return true;
                       }),
                IsOk());
    return keys;
  }
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST(TableKeys, LayoutsAreStable) {
  // The layouts are on disk in existing data dirs: a change here needs a migration.
  EXPECT_EQ(WatchTable::InboundKey("at", "w1"), "watch/in/w/at/w1");
  EXPECT_EQ(WatchTable::IndexKey(0x0102a0ff, std::string("\x00\xff", 2), "at", "w1"),
            "watch/in/p/0102a0ff00ff/at/w1");
  EXPECT_EQ(WatchTable::SentKey("r1", "at", "w1"), "watch/sent/r1/at/w1");
  EXPECT_EQ(WatchTable::OutboundKey("at", "w1"), "watch/out/at/w1");
  EXPECT_EQ(WatchTable::RelayedKey("hw-1"), "watch/hub/hw-1");
  EXPECT_EQ(WatchTable::EventKey(1234, "at", "d1"), "watch/ev/0000000000001234/at/d1");
  EXPECT_EQ(WatchTable::ReceivedKey("at", "d1"), "watch/rx/at/d1");
  EXPECT_EQ(OutboxTable::Key("at", "d1"), "outbox/at/d1");
  EXPECT_EQ(FollowUpTable::Key(true, "at", "f1"), "followup/in/at/f1");
  EXPECT_EQ(FollowUpTable::Key(false, "at", "f1"), "followup/out/at/f1");
  EXPECT_EQ(HubStatsTable::PairKey("at", "cz"), "hub/pair/at/cz");
  EXPECT_EQ(HubStatsTable::TypeKey(3), "hub/type/3");
  EXPECT_EQ(HubStatsTable::DayKey("2026-12-07"), "hub/day/2026-12-07");
  EXPECT_EQ(HitsTable::Key(5000, "r-1"), "hits/0000000000005000/r-1");
  EXPECT_LT(HitsTable::Key(int64_t{9'999'999'999'999'999}, "z"), HitsTable::End());
  EXPECT_EQ(OprfStateTable::BlockKey("pl"), "oprf/block/pl");
}

TEST(TableKeys, EventAndHitKeysSortByTime) {
  EXPECT_LT(WatchTable::EventKey(999, "zz", "d"), WatchTable::EventKey(1000, "aa", "d"));
  EXPECT_LT(HitsTable::Key(999, "z"), HitsTable::Key(1000, ""));
}

TEST(TableKeys, OnlyTablePrefixesAreTableKeys) {
  for (const char* k :
       {"watch/x", "outbox/x", "followup/x", "hub/x", "hits/x", "oprf/x", "node/binding"}) {
    EXPECT_TRUE(IsTableKey(k)) << k;
  }
  for (const char* k : {"", "watch", "count/1", "quota/x", "rotate/1", "stage/x", "hitsx"}) {
    EXPECT_FALSE(IsTableKey(k)) << k;
  }
}

TEST_F(TablesTest, PutGetScanStayInsideTheTable) {
  WatchTable watches(store_.get());
  OutboxTable outbox(store_.get());
  ASSERT_THAT(watches.Put(WatchTable::OutboundKey("at", "w1"), "a"), IsOk());
  ASSERT_THAT(watches.Put(WatchTable::OutboundKey("at", "w2"), "b"), IsOk());
  ASSERT_THAT(watches.Put(WatchTable::OutboundKey("atx", "w3"), "c"), IsOk());
  ASSERT_THAT(outbox.Put(OutboxTable::Key("at", "d1"), "o"), IsOk());

  EXPECT_THAT(Keys(watches, WatchTable::OutboundPrefix("at")),
              ElementsAre("watch/out/at/w1", "watch/out/at/w2"));
  EXPECT_THAT(Keys(outbox, std::string(OutboxTable::kPrefix)), ElementsAre("outbox/at/d1"));
  auto v = watches.Get(WatchTable::OutboundKey("at", "w2"));
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, "b");
  EXPECT_TRUE(watches.Has(WatchTable::OutboundKey("atx", "w3")));
  EXPECT_FALSE(watches.Has(WatchTable::OutboundKey("atx", "w4")));

  // A table reads and writes nothing of another table.
  EXPECT_THAT(watches.Get(OutboxTable::Key("at", "d1")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(outbox.Put(WatchTable::OutboundKey("at", "w9"), "x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(outbox.Scan("watch/", [](const std::string&, const std::string&) { return true; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(watches.Has(WatchTable::OutboundKey("at", "w9")));
}

TEST_F(TablesTest, StoreRefusesKeysOfNoTable) {
  MetaWrites w;
  w.puts.emplace_back("stray/key", "x");
  EXPECT_THAT(store_->CommitMeta(w), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->PutMeta("count/1", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->GetMeta("stray/key").status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ifed::store
