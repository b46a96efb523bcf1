#include "node/query/watch_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "node/common/status_matchers.h"
#include "node/query/fake_peer_transport.h"

namespace ifed::query {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
constexpr int64_t kNow = 1700000000;

class WatchManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ifed-watch-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto st = store::Store::Open({.path = dir_ + "/db", .block_cache_mb = 8});
    ASSERT_THAT(st.status(), IsOk());
    store_ = std::move(*st);
    const uint8_t lk[32] = {9, 9, 9};
    auto sealer = crypto::Sealer::Create(crypto::SecretBytes(absl::MakeConstSpan(lk, 32)));
    ASSERT_THAT(sealer.status(), IsOk());
    sealer_ = std::move(*sealer);
    std::map<uint32_t, crypto::SecretBytes> k;
    const uint8_t key[32] = {1, 2, 3};
    k.emplace(1, crypto::SecretBytes(absl::MakeConstSpan(key, sizeof(key))));
    auto keys = crypto::KeyedPseudonymizer::Create(k);
    ASSERT_THAT(keys.status(), IsOk());
    keys_ = std::move(*keys);
    // Ours: at (keyed, watches), cz (OPRF); pl has no rule.
    auto policy = policy::Policy::LoadTexts(
        {{"ours.yaml",
          "defaults:\n  legal_basis: test\n  purposes: [migrant_smuggling]\n"
          "partners:\n"
          "  - partner: at\n    types: [phone, url]\n    watches: {allowed: true}\n"
          "  - partner: cz\n    types: [phone]\n    scheme: oprf\n"}});
    ASSERT_THAT(policy.status(), IsOk());
    policy_ = std::make_unique<policy::PolicyHolder>(std::move(*policy));
    transport_.peers = {{"at", false}, {"cz", false}, {"pl", false}};
    matcher_ = std::make_unique<OutboundMatcher>(MatcherDeps{.node_id = "de",
                                                             .federation = "t.eu",
                                                             .transport = &transport_,
                                                             .policy = policy_.get(),
                                                             .audit = nullptr,
                                                             .oprf = nullptr,
                                                             .oprf_peers = {},
                                                             .node_verifier = nullptr,
                                                             .counters = nullptr,
                                                             .now = [] { return kNow; },
                                                             .on_filter_changed = nullptr});
    watches_ = std::make_unique<WatchManager>(WatchDeps{.store = store_.get(),
                                                        .audit = nullptr,
                                                        .keys = keys_.get(),
                                                        .sealer = sealer_.get(),
                                                        .policy = policy_.get(),
                                                        .transport = &transport_,
                                                        .matcher = matcher_.get(),
                                                        .oprf = nullptr,
                                                        .now = [] { return kNow; }});
  }
  void TearDown() override {
    watches_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  NewWatch Phones(std::vector<std::string> peers) {
    return NewWatch{.actor = "local:uid=1000(alice)",
                    .purpose = ifed::v1::MIGRANT_SMUGGLING,
                    .until = 0,
                    .forms = {{ifed::v1::PHONE, "+4915112345678"}, {ifed::v1::PHONE, "+4915100000002"}},
                    .peers = std::move(peers),
                    .jurisdictions = {}};
  }
  size_t Held() {
    ifed::v1::WatchesResponse list;
    EXPECT_THAT(watches_->List(false, &list), IsOk());
    for (const auto& w : list.watches()) EXPECT_EQ(w.sealed_items_size(), 0) << "never listed";
    return static_cast<size_t>(list.watches_size());
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<crypto::Sealer> sealer_;
  std::unique_ptr<crypto::KeyedPseudonymizer> keys_;
  std::unique_ptr<policy::PolicyHolder> policy_;
  FakeTransport transport_;
  std::unique_ptr<OutboundMatcher> matcher_;
  std::unique_ptr<WatchManager> watches_;
};

TEST_F(WatchManagerTest, KeyedWatchIsHeldByThePartner) {
  ifed::v1::WatchesResponse r;
  ASSERT_THAT(watches_->Add(Phones({"at"}), &r), IsOk());
  ASSERT_EQ(r.peers_size(), 1);
  EXPECT_EQ(r.peers(0).code(), 0);
  ASSERT_EQ(r.watches_size(), 1);
  EXPECT_EQ(r.watches(0).state(), "active");
  EXPECT_EQ(r.watches(0).until(), kWatchUntil);
  EXPECT_EQ(r.watches(0).items(), 2u);
  ASSERT_EQ(transport_.watch_sent.size(), 1u);
  const ifed::v1::WatchRequest& sent = transport_.watch_sent[0];
  EXPECT_EQ(sent.action(), ifed::v1::WATCH_ADD);
  ASSERT_EQ(sent.batches_size(), 1);
  EXPECT_EQ(sent.batches(0).pseudonyms().size(), 64u);
  EXPECT_EQ(sent.batches(0).pseudonyms().find("+4915112345678"), std::string::npos);
  EXPECT_EQ(Held(), 1u);
}

TEST_F(WatchManagerTest, PartnerWithoutOutboundRuleIsNeverAsked) {
  ifed::v1::WatchesResponse r;
  ASSERT_THAT(watches_->Add(Phones({"pl", "at"}), &r), IsOk());
  EXPECT_THAT(transport_.watched, ElementsAre("at"));
  ASSERT_EQ(r.peers_size(), 2);
  EXPECT_EQ(r.peers(0).peer(), "pl");
  EXPECT_EQ(r.peers(0).code(), static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(r.peers(1).code(), 0);
}

TEST_F(WatchManagerTest, RefusedWatchIsNotKept) {
  transport_.watch["at"] = [](const ifed::v1::WatchRequest&) -> absl::StatusOr<ifed::v1::WatchResponse> {
    return absl::PermissionDeniedError("watches are not allowed");
  };
  ifed::v1::WatchesResponse r;
  ASSERT_THAT(watches_->Add(Phones({"at"}), &r), IsOk());
  ASSERT_EQ(r.peers_size(), 1);
  EXPECT_EQ(r.peers(0).code(), static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(r.watches(), IsEmpty());
  EXPECT_EQ(Held(), 0u);
}

TEST_F(WatchManagerTest, RemoveWithdrawsAtThePartner) {
  ifed::v1::WatchesResponse added;
  ASSERT_THAT(watches_->Add(Phones({"at"}), &added), IsOk());
  ASSERT_EQ(added.watches_size(), 1);
  const std::string id = added.watches(0).watch_id();
  ifed::v1::WatchesResponse removed;
  ASSERT_THAT(watches_->Remove("local:uid=1000(alice)", {"at"}, id, &removed), IsOk());
  ASSERT_EQ(removed.peers_size(), 1);
  EXPECT_EQ(removed.peers(0).code(), 0);
  ASSERT_EQ(transport_.watch_sent.size(), 2u);
  EXPECT_EQ(transport_.watch_sent[1].action(), ifed::v1::WATCH_REMOVE);
  EXPECT_EQ(transport_.watch_sent[1].watch_id(), id);
  EXPECT_EQ(Held(), 0u);
  ifed::v1::WatchesResponse again;
  ASSERT_THAT(watches_->Remove("local:uid=1000(alice)", {"at"}, id, &again), IsOk());
  EXPECT_EQ(again.peers(0).code(), static_cast<int>(absl::StatusCode::kNotFound));
}

TEST_F(WatchManagerTest, OprfPartnerWithoutOprfSetUp) {
  ifed::v1::WatchesResponse r;
  ASSERT_THAT(watches_->Add(Phones({"cz"}), &r), IsOk());
  ASSERT_EQ(r.peers_size(), 1);
  EXPECT_EQ(r.peers(0).code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(transport_.watched, IsEmpty());
  EXPECT_THAT(transport_.evaluated, IsEmpty());
}

TEST_F(WatchManagerTest, BadInput) {
  ifed::v1::WatchesResponse r;
  NewWatch none = Phones({"at"});
  none.forms.clear();
  EXPECT_THAT(watches_->Add(none, &r), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(transport_.watched, IsEmpty());
}

}  // namespace
}  // namespace ifed::query
