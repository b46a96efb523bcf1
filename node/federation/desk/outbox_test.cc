// Delivery ids are not kept for ever: the courier gives up on an
// entry past its lifetime, and a receiver's markers are pruned only once no
// sender can repeat them.
#include "node/common/clock.h"
#include "node/federation/desk/outbox.h"
#include "node/federation/desk/watch_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "absl/strings/str_format.h"

namespace ifed::federation {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrFormat("%s/outbox_%d", ::testing::TempDir(), ::getpid());
    std::filesystem::remove_all(dir_);
    auto s = store::Store::Open({.path = dir_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Queue(const std::string& id, int64_t created_ms) {
    ifed::v1::OutboxEntry e;
    e.set_peer("at");
    e.mutable_delivery()->set_delivery_id(id);
    e.mutable_delivery()->mutable_watch()->set_watch_id("w1");
    e.set_created_ms(created_ms);
    store::MetaWrites w;
    w.puts.emplace_back("outbox/at/" + id, e.SerializeAsString());
    ASSERT_TRUE(store_->CommitMeta(w).ok());
  }
  std::vector<std::string> Keys(const std::string& prefix) {
    std::vector<std::string> out;
    EXPECT_TRUE(store_->ScanMeta(prefix, [&](const std::string& k, const std::string&) {
      out.push_back(k);
      return true;
    }).ok());
    return out;
  }
  std::string dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(OutboxTest, EntriesPastTheirLifetimeExpireTheRestWait) {
  // "at" is not configured: every send fails, so only expiry removes entries.
  PeerClients peers({}, "eu-fed.example", {}, std::chrono::milliseconds(100));
  CourierOptions o;
  o.lifetime = std::chrono::milliseconds(60000);
  Courier courier(store_.get(), &peers, /*audit=*/nullptr, o);
  const int64_t now = UnixMillisNow();
  Queue("old", now - 120000);
  Queue("young", now - 1000);
  Queue("legacy", 0);  // no creation time: never expires.
  auto acked = courier.RunOnce();
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(*acked, 0u);
  EXPECT_EQ(courier.expired(), 1u);
  EXPECT_EQ(courier.pending(), 2u);
  EXPECT_EQ(Keys("outbox/"), (std::vector<std::string>{"outbox/at/legacy", "outbox/at/young"}));
}

TEST_F(OutboxTest, ReceivedIdsArePrunedByAgeInBatches) {
  store::MetaWrites w;
  for (int i = 0; i < 10005; ++i) {  // more than one batch, all old.
    w.puts.emplace_back(absl::StrFormat("watch/rx/at/old-%05d", i), "1000");
  }
  w.puts.emplace_back("watch/rx/at/new", "9000");
  w.puts.emplace_back("watch/rx/hu/edge", "5000");
  w.puts.emplace_back("watch/rx/hu/garbled", "not a time");
  w.puts.emplace_back("watch/other", "1");  // not a marker: untouched.
  ASSERT_TRUE(store_->CommitMeta(w).ok());
  auto n = PruneReceivedIds(store_.get(), 5000);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 10006u);  // the old ones and the unreadable one.
  EXPECT_EQ(Keys("watch/"),
            (std::vector<std::string>{"watch/other", "watch/rx/at/new", "watch/rx/hu/edge"}));
  n = PruneReceivedIds(store_.get(), 5000);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

// Standing queries are kept no longer than their `until` (the partner's
// query_retention_days): held for partners with their index entries, our
// own, and a hub's mappings; the others stay.
TEST_F(OutboxTest, WatchesPastTheirEndArePurgedWithTheirIndex) {
  ifed::v1::InboundWatch old_in, live_in;
  for (auto* w : {&old_in, &live_in}) {
    w->set_peer("at");
    w->set_epoch(1);
    auto* b = w->add_batches();
    b->set_type(ifed::v1::PHONE);
    b->set_pseudonyms(std::string(32, w == &old_in ? 'o' : 'l'));
  }
  old_in.set_watch_id("w-old");
  old_in.set_until(1000);
  live_in.set_watch_id("w-live");
  live_in.set_until(9000);
  ifed::v1::OutboundWatch old_out;
  old_out.set_peer("hu");
  old_out.set_watch_id("w-mine");
  old_out.set_until(1500);
  ifed::v1::OutboundWatch forever;  // until 0: as long as the partner keeps it
  forever.set_peer("hu");
  forever.set_watch_id("w-forever");
  ifed::v1::HubWatch relayed;
  relayed.set_hub_watch_id("hw-1");
  relayed.set_until(1999);
  store::MetaWrites w;
  w.puts.emplace_back(store::WatchTable::InboundKey("at", "w-old"), old_in.SerializeAsString());
  w.puts.emplace_back(store::WatchTable::InboundKey("at", "w-live"), live_in.SerializeAsString());
  std::string hex;  // the index entry of old_in's pseudonym ('o' = 0x6f), epoch 1
  for (int i = 0; i < 32; ++i) hex += "6f";
  w.puts.emplace_back("watch/in/p/00000001" + hex + "/at/w-old", "1");
  w.puts.emplace_back(store::WatchTable::OutboundKey("hu", "w-mine"), old_out.SerializeAsString());
  w.puts.emplace_back(store::WatchTable::OutboundKey("hu", "w-forever"), forever.SerializeAsString());
  w.puts.emplace_back("watch/hub/hw-1", relayed.SerializeAsString());
  ASSERT_TRUE(store_->CommitMeta(w).ok());
  auto n = PurgeExpiredWatches(store_.get(), nullptr, 2000);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3u);
  std::vector<std::string> left = Keys("watch/");
  EXPECT_EQ(left, (std::vector<std::string>{store::WatchTable::InboundKey("at", "w-live"),
                                            store::WatchTable::OutboundKey("hu", "w-forever")}))
      << ::testing::PrintToString(left);
}

}  // namespace
}  // namespace ifed::federation
