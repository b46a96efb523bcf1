// The compact Match answer: the matcher's two forms agree item by item,
// malformed compact answers are refused, and the receipt digest covers the
// compact fields.
#include "node/federation/compact_answer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "node/audit/receipt.h"
#include "node/common/counters.h"
#include "node/common/status_matchers.h"
#include "node/crypto/keyed.h"
#include "node/federation/matcher.h"
#include "node/policy/policy.h"
#include "node/store/store.h"

namespace ifed::federation {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;

store::Pseudonym P(uint8_t b) {
  store::Pseudonym p;
  p.fill(b);
  return p;
}

class CompactMatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("compact_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto store = store::Store::Open({.path = dir_.string(), .block_cache_mb = 8});
    ASSERT_THAT(store.status(), IsOk());
    store_ = std::move(*store);
    std::vector<store::IngestItem> items;
    // Stored: 1..40 as phones; every third one TLP red (never visible).
    for (uint8_t b = 1; b <= 40; ++b) {
      store::IngestItem it;
      it.record.set_record_id("rec" + std::to_string(b));
      it.record.set_type(ifed::v1::PHONE);
      const store::Pseudonym p = P(b);
      it.record.set_pseudonym(std::string(p.begin(), p.end()));
      it.record.set_epoch(1);
      it.record.set_tlp(b % 3 == 0 ? ifed::v1::TLP_RED : ifed::v1::TLP_GREEN);
      it.sealed_value = "s";
      items.push_back(std::move(it));
    }
    ASSERT_THAT(store_->Ingest(items).status(), IsOk());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Matcher> MakeMatcher(const std::string& disclosure) {
    auto policy = policy::Policy::LoadTexts(
        {{"p.yaml", "partners:\n  - partner: at\n    jurisdiction: AT\n"
                    "    types: [phone]\n    purposes: [migrant_smuggling]\n"
                    "    disclosure: " + disclosure + "\n    legal_basis: \"test\"\n"}});
    EXPECT_THAT(policy.status(), IsOk());
    policy_ = std::make_unique<policy::PolicyHolder>(std::move(*policy));
    std::map<uint32_t, crypto::SecretBytes> k;
    const uint8_t key[32] = {1, 2, 3};
    k.emplace(1, crypto::SecretBytes(absl::MakeConstSpan(key, sizeof(key))));
    auto keys = crypto::KeyedPseudonymizer::Create(k);
    EXPECT_THAT(keys.status(), IsOk());
    keys_ = std::move(*keys);
    return std::make_unique<Matcher>(MatcherDeps{.node_id = "de",
                                                 .contact = "ops@de.example",
                                                 .store = store_.get(),
                                                 .policy = policy_.get(),
                                                 .keys = keys_.get(),
                                                 .counters = &counters_,
                                                 .now = [] { return int64_t{1700000000}; }});
  }
  ifed::v1::MatchRequest Request(bool compact) {
    ifed::v1::MatchRequest req;
    req.set_request_id("r1");
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    req.set_epoch(1);
    req.set_compact_answer(compact);
    // Two batches, 0..59 then 20..29 again: hits, misses, invisible records.
    for (auto [from, to] : {std::pair{0, 60}, std::pair{20, 30}}) {
      auto* b = req.add_batches();
      b->set_type(ifed::v1::PHONE);
      for (int i = from; i < to; ++i) {
        const store::Pseudonym p = P(static_cast<uint8_t>(i));
        b->mutable_pseudonyms()->append(p.begin(), p.end());
      }
    }
    return req;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<policy::PolicyHolder> policy_;
  std::unique_ptr<crypto::KeyedPseudonymizer> keys_;
  Counters counters_;
};

TEST_F(CompactMatchTest, BothFormsGiveTheSameVerdicts) {
  for (const char* disclosure : {"hit_only", "hit_with_contact"}) {
    auto matcher = MakeMatcher(disclosure);
    ifed::v1::MatchResponse full, compact;
    ASSERT_THAT(matcher->Match("at", Request(false), &full), IsOk());
    ASSERT_THAT(matcher->Match("at", Request(true), &compact), IsOk());
    EXPECT_FALSE(IsCompact(full));
    EXPECT_TRUE(IsCompact(compact));
    EXPECT_EQ(compact.results_size(), 0);
    ASSERT_EQ(AnsweredItems(full), 70u);
    ASSERT_EQ(AnsweredItems(compact), 70u);
    EXPECT_THAT(CheckCompact(compact), IsOk());
    size_t hits = 0;
    for (size_t i = 0; i < 70; ++i) {
      const int b = i < 60 ? static_cast<int>(i) : static_cast<int>(i) - 40;
      const bool want = b >= 1 && b <= 40 && b % 3 != 0;
      EXPECT_EQ(VerdictAt(full, i) == ifed::v1::HIT, want) << i;
      EXPECT_EQ(VerdictAt(compact, i), VerdictAt(full, i)) << i;
      hits += want;
    }
    EXPECT_EQ(CountHits(compact), hits);
    EXPECT_EQ(CountHits(full), hits);
    const bool contact = std::string(disclosure) == "hit_with_contact";
    EXPECT_EQ(compact.hits_size(), contact ? static_cast<int>(hits) : 0);
    // Expanded, the compact answer is the full one.
    ASSERT_THAT(ExpandCompact(&compact), IsOk());
    EXPECT_EQ(compact.SerializeAsString(), full.SerializeAsString()) << disclosure;
  }
}

TEST(CompactAnswer, MalformedIsRefused) {
  ifed::v1::MatchResponse ok;
  StartCompact(10, &ok);
  SetCompactHit(3, &ok);
  SetCompactHit(9, &ok);
  ok.add_hits()->set_index(3);
  ASSERT_THAT(CheckCompact(ok), IsOk());
  EXPECT_EQ(CountHits(ok), 2u);

  auto bad = ok;
  bad.mutable_hit_bitmap()->push_back('\0');  // too long for 10 items
  EXPECT_THAT(CheckCompact(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  bad = ok;
  (*bad.mutable_hit_bitmap())[1] |= 0x04;  // item 10 does not exist
  EXPECT_THAT(CheckCompact(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  bad = ok;
  bad.add_hits()->set_index(5);  // not a hit
  EXPECT_THAT(CheckCompact(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  bad = ok;
  bad.add_hits()->set_index(3);  // repeated
  EXPECT_THAT(CheckCompact(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  bad = ok;
  bad.add_results()->set_verdict(ifed::v1::HIT);  // both forms at once
  EXPECT_THAT(CheckCompact(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ExpandCompact(&bad), StatusIs(absl::StatusCode::kInvalidArgument));

  // A full answer passes unchanged.
  ifed::v1::MatchResponse full;
  full.add_results()->set_verdict(ifed::v1::HIT);
  EXPECT_THAT(CheckCompact(full), IsOk());
  ASSERT_THAT(ExpandCompact(&full), IsOk());
  EXPECT_EQ(full.results_size(), 1);
}

TEST(CompactAnswer, ReceiptDigestCoversTheCompactFields) {
  ifed::v1::MatchResponse a;
  StartCompact(16, &a);
  SetCompactHit(4, &a);
  const std::string d = audit::ResponseDigest(a);
  auto b = a;
  SetCompactHit(5, &b);
  EXPECT_NE(audit::ResponseDigest(b), d);
  b = a;
  b.set_compact_items(15);
  EXPECT_NE(audit::ResponseDigest(b), d);
  b = a;
  b.add_hits()->set_index(4);
  EXPECT_NE(audit::ResponseDigest(b), d);
  // With a receipt attached, the digest is still over the rest.
  b = a;
  b.mutable_receipt()->set_responder("de");
  EXPECT_EQ(audit::ResponseDigest(b), d);
}

}  // namespace
}  // namespace ifed::federation
