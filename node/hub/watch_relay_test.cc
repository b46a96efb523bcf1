// WatchRelay on a real store and a real policy (no member is reached: the
// calls that need one are in tests/integration/watch_it.cc HubWatchTest).
#include "node/hub/watch_relay.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "node/common/ids.h"

namespace ifed::hub {
namespace {

constexpr int64_t kNow = 1700000000;

std::string Policy(const std::string& de_extra, const std::string& disclosure) {
  return "defaults:\n  legal_basis: test\n  purposes: [migrant_smuggling]\n"
         "partners:\n"
         "  - partner: de\n    types: [phone, url]\n    disclosure: " + disclosure + "\n" +
         de_extra +
         "  - partner: at\n    types: [phone]\n"
         "  - partner: hu\n    types: [phone]\n";
}
constexpr char kWatches[] = "    watches: {allowed: true, max_active: 3}\n";

class WatchRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ifed-hubwatch-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = store::Store::Open({.path = dir_ + "/db", .block_cache_mb = 8});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    SetPolicy(kWatches);
    // pl is a peer without a rule at the hub: never asked.
    members_ = std::make_unique<federation::PeerClients>(
        federation::TlsFiles{}, "ifed-test.eu",
        std::map<std::string, std::string>{{"pl", "127.0.0.1:1"}}, std::chrono::milliseconds(200));
    inbox_ = std::make_unique<federation::Inbox>(federation::WatchDeps{
        .node_id = "eu", .store = store_.get(), .policy = policy_.get(), .now = [] { return kNow; }});
    relay_ = std::make_unique<WatchRelay>(WatchRelayDeps{.node_id = "eu",
                                                         .store = store_.get(),
                                                         .policy = policy_.get(),
                                                         .members = members_.get(),
                                                         .inbox = inbox_.get(),
                                                         .now = [] { return kNow; },
                                                         .kick_outbox = [this] { ++kicks_; }});
  }
  void TearDown() override {
    relay_.reset();
    inbox_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void SetPolicy(const std::string& de_extra,
                 const std::string& disclosure = "hit_with_reference") {
    auto p = policy::Policy::LoadTexts({{"p.yaml", Policy(de_extra, disclosure)}});
    ASSERT_TRUE(p.ok()) << p.status();
    if (policy_ == nullptr) {
      policy_ = std::make_unique<policy::PolicyHolder>(std::move(*p));
    } else {
      policy_->Set(std::move(*p));
    }
  }
  // The mapping Add keeps once `members` accepted de's watch `id`.
  std::string Map(const std::string& id, std::vector<std::string> members, uint32_t items = 1) {
    ifed::v1::HubWatch w;
    w.set_hub_watch_id(WatchRelay::HubWatchId("de", id));
    w.set_querier("de");
    w.set_querier_watch_id(id);
    w.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    w.set_items(items);
    w.set_until(kNow + 3600);
    for (auto& m : members) w.add_members(m);
    store::MetaWrites writes;
    writes.puts.emplace_back(WatchRelay::MappingKey(w.hub_watch_id()), w.SerializeAsString());
    EXPECT_TRUE(store_->CommitMeta(writes).ok());
    return w.hub_watch_id();
  }
  static ifed::v1::Delivery Hit(const std::string& delivery_id, const std::string& hub_id,
                                ifed::v1::WatchEventKind kind = ifed::v1::WATCH_HIT) {
    ifed::v1::Delivery d;
    d.set_delivery_id(delivery_id);
    auto* n = d.mutable_watch();
    n->set_watch_id(hub_id);
    n->set_kind(kind);
    n->set_type(ifed::v1::PHONE);
    n->set_pseudonym(std::string(32, '\x07'));
    n->set_reference("rec-17");
    n->set_contact("ops@at.example");
    return d;
  }
  std::vector<int> Deliver(const std::string& sender, std::vector<ifed::v1::Delivery> ds) {
    ifed::v1::DeliverRequest req;
    for (auto& d : ds) *req.add_deliveries() = d;
    ifed::v1::DeliverResponse resp;
    absl::Status s = relay_->Deliver(sender, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return {resp.codes().begin(), resp.codes().end()};
  }
  std::vector<ifed::v1::OutboxEntry> Outbox() {
    std::vector<ifed::v1::OutboxEntry> out;
    EXPECT_TRUE(store_->ScanMeta("outbox/", [&](const std::string&, const std::string& v) {
      out.emplace_back().ParseFromString(v);
      return true;
    }).ok());
    return out;
  }
  absl::StatusOr<ifed::v1::WatchResponse> Add(const std::string& id, uint32_t items,
                                              std::vector<std::string> jurisdictions = {}) {
    ifed::v1::WatchRequest r;
    r.set_watch_id(id);
    r.set_action(ifed::v1::WATCH_ADD);
    r.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    auto* b = r.add_batches();
    b->set_type(ifed::v1::PHONE);
    b->set_pseudonyms(std::string(32 * items, '\x01'));
    for (auto& j : jurisdictions) r.add_jurisdictions(j);
    ifed::v1::WatchResponse resp;
    absl::Status s = relay_->Watch("de", r, std::chrono::system_clock::now() +
                                                std::chrono::seconds(2), &resp);
    if (!s.ok()) return s;
    return resp;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<policy::PolicyHolder> policy_;
  std::unique_ptr<federation::PeerClients> members_;
  std::unique_ptr<federation::Inbox> inbox_;
  std::unique_ptr<WatchRelay> relay_;
  int kicks_ = 0;
};

TEST_F(WatchRelayTest, HubWatchIdsArePrintableAndNeverShared) {
  const std::string a = WatchRelay::HubWatchId("de", "w-1");
  EXPECT_EQ(a, WatchRelay::HubWatchId("de", "w-1"));
  EXPECT_NE(a, WatchRelay::HubWatchId("at", "w-1"));
  EXPECT_NE(WatchRelay::HubWatchId("d", "ew-1"), WatchRelay::HubWatchId("de", "w-1"));
  EXPECT_EQ(a.size(), 43u);
  EXPECT_EQ(a.rfind("hw-", 0), 0u);
  EXPECT_TRUE(PrintableId(a, 64, IdSlash::kRefused));
  const std::string d = WatchRelay::RelayedDeliveryId("eu", "at", "at-1");
  EXPECT_EQ(d, WatchRelay::RelayedDeliveryId("eu", "at", "at-1"));
  EXPECT_NE(d, WatchRelay::RelayedDeliveryId("eu", "hu", "at-1"));
  EXPECT_TRUE(PrintableId(d, 128, IdSlash::kRefused));
}

TEST_F(WatchRelayTest, ANotificationIsQueuedForTheQuerierOnceUnderItsOwnWatchId) {
  const std::string hub_id = Map("w-1", {"at"});
  EXPECT_EQ(Deliver("at", {Hit("at-1", hub_id)}), std::vector<int>{0});
  EXPECT_EQ(Deliver("at", {Hit("at-1", hub_id)}), std::vector<int>{0}) << "acknowledged again";
  auto out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].peer(), "de");
  EXPECT_EQ(out[0].delivery().delivery_id(), WatchRelay::RelayedDeliveryId("eu", "at", "at-1"));
  const auto& n = out[0].delivery().watch();
  EXPECT_EQ(n.watch_id(), "w-1");
  EXPECT_EQ(n.member(), "at");
  EXPECT_EQ(n.reference(), "rec-17");
  EXPECT_TRUE(n.contact().empty()) << "the hub's ceiling for de is hit_with_reference";
  EXPECT_EQ(n.pseudonym(), std::string(32, '\x07'));
  EXPECT_GE(kicks_, 1);
  auto m = store_->GetMeta(WatchRelay::MappingKey(hub_id));
  ASSERT_TRUE(m.ok());
  ifed::v1::HubWatch w;
  ASSERT_TRUE(w.ParseFromString(*m));
  EXPECT_EQ(w.relayed(), 1u);
}

TEST_F(WatchRelayTest, UnknownRemovedOrForeignWatchesAreRefusedForGood) {
  const std::string hub_id = Map("w-2", {"at"});
  const std::string gone = WatchRelay::HubWatchId("de", "w-gone");
  EXPECT_EQ(Deliver("hu", {Hit("hu-1", hub_id)}), std::vector<int>{5}) << "hu does not hold it";
  EXPECT_EQ(Deliver("at", {Hit("at-2", gone)}), std::vector<int>{5});
  // Not a relayed watch: the hub's own inbox answers (it asked at for nothing).
  EXPECT_EQ(Deliver("at", {Hit("at-3", "w-own")}), std::vector<int>{5});
  // Malformed: a short pseudonym, or a member claiming to relay.
  ifed::v1::Delivery bad = Hit("at-4", hub_id);
  bad.mutable_watch()->set_pseudonym("short");
  ifed::v1::Delivery relayed = Hit("at-5", hub_id);
  relayed.mutable_watch()->set_member("hu");
  EXPECT_EQ(Deliver("at", {bad, relayed, Hit("at-6", hub_id)}), (std::vector<int>{3, 3, 0}));
  EXPECT_EQ(Outbox().size(), 1u);
  // Being removed: dropped.
  ifed::v1::HubWatch w;
  ASSERT_TRUE(w.ParseFromString(*store_->GetMeta(WatchRelay::MappingKey(hub_id))));
  w.set_removing(true);
  store::MetaWrites writes;
  writes.puts.emplace_back(WatchRelay::MappingKey(hub_id), w.SerializeAsString());
  ASSERT_TRUE(store_->CommitMeta(writes).ok());
  EXPECT_EQ(Deliver("at", {Hit("at-7", hub_id)}), std::vector<int>{5});
  EXPECT_EQ(Outbox().size(), 1u);
}

TEST_F(WatchRelayTest, ThePolicyIsCheckedAgainForEachHitAndItsCeilingApplies) {
  const std::string hub_id = Map("w-3", {"at"});
  SetPolicy("");  // de may no longer watch: hits stop, withdrawals still pass.
  EXPECT_EQ(Deliver("at", {Hit("at-8", hub_id)}), std::vector<int>{7});
  EXPECT_EQ(Deliver("at", {Hit("at-9", hub_id, ifed::v1::WATCH_WITHDRAWN)}), std::vector<int>{0});
  SetPolicy(kWatches, "hit_only");
  ifed::v1::Delivery url = Hit("at-10", hub_id);
  url.mutable_watch()->set_type(ifed::v1::URL);  // de may watch urls, the hub may not ask at.
  EXPECT_EQ(Deliver("at", {url, Hit("at-11", hub_id)}), (std::vector<int>{7, 0}));
  auto out = Outbox();
  ASSERT_EQ(out.size(), 2u);
  for (const auto& e : out) {
    if (e.delivery().watch().kind() == ifed::v1::WATCH_WITHDRAWN) continue;
    EXPECT_EQ(e.delivery().delivery_id(), WatchRelay::RelayedDeliveryId("eu", "at", "at-11"));
    EXPECT_TRUE(e.delivery().watch().reference().empty()) << "ceiling hit_only";
    EXPECT_TRUE(e.delivery().watch().contact().empty());
  }
}

TEST_F(WatchRelayTest, AddIsRefusedByTheHubsPolicyAndLimitsAndKeepsNothingWithoutMembers) {
  SetPolicy("");
  auto no_watches = Add("w-4", 1);
  EXPECT_EQ(no_watches.status().code(), absl::StatusCode::kPermissionDenied);
  SetPolicy(kWatches);
  Map("w-held", {"at"}, 3);  // de holds 3 items of its max_active 3 already.
  EXPECT_EQ(Add("w-5", 1).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Add("w-6", 1, {"Austria"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Add("w-7", 0).status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->CommitMeta({.deletes = {WatchRelay::MappingKey(
                                      WatchRelay::HubWatchId("de", "w-held"))}})
                  .ok());
  // pl has no rule at the hub: denied without a call; no member holds it.
  auto r = Add("w-8", 1);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->members_size(), 1);
  EXPECT_EQ(r->members(0).member(), "pl");
  EXPECT_EQ(r->members(0).status(), ifed::v1::MEMBER_DENIED);
  EXPECT_TRUE(absl::IsNotFound(
      store_->GetMeta(WatchRelay::MappingKey(WatchRelay::HubWatchId("de", "w-8"))).status()));
  // Removing what the hub does not relay.
  ifed::v1::WatchRequest rm;
  rm.set_watch_id("w-8");
  rm.set_action(ifed::v1::WATCH_REMOVE);
  ifed::v1::WatchResponse resp;
  EXPECT_TRUE(absl::IsNotFound(relay_->Watch(
      "de", rm, std::chrono::system_clock::now() + std::chrono::seconds(1), &resp)));
}

}  // namespace
}  // namespace ifed::hub
