// A held watch is decided again under the rule in force: a narrowing
// policy suspends it (audited, the watcher told through the outbox), a
// suspended watch fires nothing, a widening policy resumes it; the
// watcher's inbox records the state. Notifications carry the watcher's own
// reference token.
#include "node/federation/desk/watch_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_format.h"

namespace ifed::federation {
namespace {

constexpr int64_t kNow = 2000000000;
constexpr char kId[] = "0123456789abcdef0123456789abcdef";

std::shared_ptr<const policy::Policy> Rule(const std::string& types,
                                           const std::string& purposes) {
  auto p = policy::Policy::LoadTexts(
      {{"at.yaml", "partners:\n  - partner: at\n    legal_basis: t\n    types: " + types +
                       "\n    purposes: " + purposes +
                       "\n    disclosure: hit_with_reference\n    watches: {allowed: true}\n"}});
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

class WatchServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrFormat("%s/watch_service_%d", ::testing::TempDir(), ::getpid());
    std::filesystem::remove_all(dir_);
    auto s = store::Store::Open({.path = dir_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    auto sealer = crypto::Sealer::Create(crypto::SecretBytes(std::vector<uint8_t>(32, 7)));
    ASSERT_TRUE(sealer.ok());
    sealer_ = std::move(*sealer);
    holder_ = std::make_unique<policy::PolicyHolder>(Rule("[phone]", "[migrant_smuggling]"));
    deps_ = WatchDeps{.node_id = "de",
                      .contact = "",
                      .store = store_.get(),
                      .policy = holder_.get(),
                      .audit = nullptr,
                      .now = [] { return kNow; },
                      .aliases = nullptr,
                      .sealer = sealer_.get()};
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static ifed::v1::WatchRequest Add(ifed::v1::Purpose purpose) {
    ifed::v1::WatchRequest r;
    r.set_watch_id("w1");
    r.set_action(ifed::v1::WATCH_ADD);
    r.set_purpose(purpose);
    r.set_epoch(1);
    auto* b = r.add_batches();
    b->set_type(ifed::v1::PHONE);
    b->set_pseudonyms(std::string(32, 'p'));
    return r;
  }
  static ifed::v1::Record Record() {
    ifed::v1::Record r;
    r.set_record_id(kId);
    r.set_type(ifed::v1::PHONE);
    r.set_pseudonym(std::string(32, 'p'));
    r.set_epoch(1);
    r.set_tlp(ifed::v1::TLP_GREEN);
    return r;
  }
  std::vector<ifed::v1::OutboxEntry> Outbox() {
    std::vector<ifed::v1::OutboxEntry> out;
    EXPECT_TRUE(store_->ScanMeta("outbox/", [&](const std::string&, const std::string& v) {
      out.emplace_back().ParseFromString(v);
      return true;
    }).ok());
    return out;
  }
  ifed::v1::InboundWatch Held() {
    ifed::v1::InboundWatch w;
    EXPECT_TRUE(w.ParseFromString(*store_->GetMeta(store::WatchTable::InboundKey("at", "w1"))));
    return w;
  }
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<crypto::Sealer> sealer_;
  std::unique_ptr<policy::PolicyHolder> holder_;
  WatchDeps deps_;
};

TEST_F(WatchServiceTest, TakedownDeconflictionIsNoWatchPurpose) {
  holder_->Set(Rule("[phone]", "[takedown_deconfliction]"));
  WatchDesk desk(deps_);
  ifed::v1::WatchResponse resp;
  absl::Status s = desk.Handle("at", Add(ifed::v1::TAKEDOWN_DECONFLICTION), &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("not accepted by Watch"), std::string::npos) << s;
  EXPECT_TRUE(absl::IsNotFound(store_->GetMeta(store::WatchTable::InboundKey("at", "w1")).status()));
}

TEST_F(WatchServiceTest, NarrowingSuspendsWideningResumes) {
  WatchDesk desk(deps_);
  ifed::v1::WatchResponse resp;
  ASSERT_TRUE(desk.Handle("at", Add(ifed::v1::MIGRANT_SMUGGLING), &resp).ok());
  EXPECT_EQ(*desk.Review(), 0u);  // nothing changed.
  const ifed::v1::Record rec = Record();

  // The purpose leaves the rule: suspended, the watcher told, no hit.
  holder_->Set(Rule("[phone]", "[terrorism]"));
  EXPECT_EQ(*desk.Review(), 1u);
  EXPECT_EQ(*desk.Review(), 0u);  // once.
  EXPECT_TRUE(Held().suspended());
  EXPECT_NE(Held().suspended_reason().find("purpose migrant_smuggling is no longer allowed"),
            std::string::npos);
  auto out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].peer(), "at");
  EXPECT_EQ(out[0].delivery().watch().kind(), ifed::v1::WATCH_SUSPENDED);
  EXPECT_TRUE(out[0].delivery().watch().pseudonym().empty());
  EXPECT_EQ(desk.OnIngest({&rec}, {})->notices, 0u);
  // Back again: resumed; a hit carries at's own token, not the record id.
  holder_->Set(Rule("[phone]", "[migrant_smuggling]"));
  EXPECT_EQ(*desk.Review(), 1u);
  EXPECT_FALSE(Held().suspended());
  auto writes = desk.OnIngest({&rec}, {});
  ASSERT_TRUE(writes.ok()) << writes.status();
  EXPECT_EQ(writes->notices, 1u);
  bool found = false;
  for (const auto& [k, v] : writes->puts) {
    ifed::v1::OutboxEntry e;
    if (k.rfind("outbox/", 0) != 0 || !e.ParseFromString(v)) continue;
    found = true;
    EXPECT_EQ(e.delivery().watch().kind(), ifed::v1::WATCH_HIT);
    EXPECT_EQ(*sealer_->ResolveReference("at", e.delivery().watch().reference()), kId);
  }
  EXPECT_TRUE(found);
}

TEST_F(WatchServiceTest, HitTimeDecisionUsesTheRuleInForce) {
  WatchDesk desk(deps_);
  ifed::v1::WatchResponse resp;
  ASSERT_TRUE(desk.Handle("at", Add(ifed::v1::MIGRANT_SMUGGLING), &resp).ok());
  const ifed::v1::Record rec = Record();
  // Narrowed without a review (between a reload and its review): the hit
  // is decided under the new rule anyway.
  holder_->Set(Rule("[url]", "[migrant_smuggling]"));
  EXPECT_EQ(desk.OnIngest({&rec}, {})->notices, 0u);
  holder_->Set(Rule("[phone]", "[terrorism]"));
  EXPECT_EQ(desk.OnIngest({&rec}, {})->notices, 0u);
  holder_->Set(Rule("[phone]", "[migrant_smuggling]"));
  EXPECT_EQ(desk.OnIngest({&rec}, {})->notices, 1u);
}

TEST_F(WatchServiceTest, InboxShowsTheWatchSuspendedThenActive) {
  ifed::v1::OutboundWatch mine;
  mine.set_peer("de");
  mine.set_watch_id("w1");
  mine.set_state("active");
  store::MetaWrites w;
  w.puts.emplace_back(store::WatchTable::OutboundKey("de", "w1"), mine.SerializeAsString());
  ASSERT_TRUE(store_->CommitMeta(w).ok());
  Inbox inbox(deps_);
  auto deliver = [&](const std::string& id, ifed::v1::WatchEventKind kind,
                     const std::string& pseudonym = "") {
    ifed::v1::DeliverRequest req;
    auto* d = req.add_deliveries();
    d->set_delivery_id(id);
    d->mutable_watch()->set_watch_id("w1");
    d->mutable_watch()->set_kind(kind);
    d->mutable_watch()->set_reason("purpose migrant_smuggling is no longer allowed");
    d->mutable_watch()->set_pseudonym(pseudonym);
    ifed::v1::DeliverResponse resp;
    EXPECT_TRUE(inbox.Handle("de", req, &resp).ok());
    return resp.codes(0);
  };
  auto state = [&] {
    ifed::v1::OutboundWatch o;
    EXPECT_TRUE(o.ParseFromString(*store_->GetMeta(store::WatchTable::OutboundKey("de", "w1"))));
    return o;
  };
  EXPECT_EQ(deliver("d1", ifed::v1::WATCH_SUSPENDED), 0);
  EXPECT_EQ(state().state(), "suspended");
  EXPECT_EQ(state().suspended_reason(), "purpose migrant_smuggling is no longer allowed");
  EXPECT_EQ(deliver("d2", ifed::v1::WATCH_RESUMED), 0);
  EXPECT_EQ(state().state(), "active");
  EXPECT_TRUE(state().suspended_reason().empty());
  // Bad input: a state change carries no pseudonym.
  EXPECT_EQ(deliver("d3", ifed::v1::WATCH_SUSPENDED, std::string(32, 'p')),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(state().state(), "active");
}

}  // namespace
}  // namespace ifed::federation
