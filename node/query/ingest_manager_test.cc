// IngestManager against a temp-dir Store: valid rows become records (one per
// form), a file with a bad line stores nothing (unless skip_invalid), a dry
// run stores nothing, a cancelled stream stores nothing, a large ingest is
// staged and applied, an interrupted one is completed or dropped at start,
// and retention follows the most specific rule.
#include "node/query/ingest_manager.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_format.h"
#include "node/common/status_matchers.h"

namespace ifed::query {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;

constexpr int64_t kNow = 2000000000;

ifed::v1::IngestRow Row(uint32_t line, const std::string& value) {
  ifed::v1::IngestRow r;
  r.set_line(line);
  r.set_type(ifed::v1::PHONE);
  r.set_value(value);
  r.set_tlp(ifed::v1::TLP_GREEN);
  r.set_case_ref("case-1");
  r.set_crime_area("migrant_smuggling");
  return r;
}

class IngestManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrFormat("%s/ingest_manager_%d", ::testing::TempDir(), ::getpid());
    std::filesystem::remove_all(dir_);
    auto s = store::Store::Open({.path = dir_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    auto n = normalize::Normalizer::Create();
    ASSERT_TRUE(n.ok()) << n.status();
    normalizer_ = std::move(*n);
    auto k = crypto::KeyedPseudonymizer::Create(
        {{1, crypto::SecretBytes(std::vector<uint8_t>(32, 3))}});
    ASSERT_TRUE(k.ok()) << k.status();
    keys_ = std::move(*k);
    auto sealer = crypto::Sealer::Create(crypto::SecretBytes(std::vector<uint8_t>(32, 7)));
    ASSERT_TRUE(sealer.ok());
    sealer_ = std::move(*sealer);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  IngestManagerDeps Deps() {
    return {.unit = "BKA",
            .default_retention_days = 365,
            .retention = {},
            .store = store_.get(),
            .normalizer = normalizer_.get(),
            .keys = keys_.get(),
            .sealer = sealer_.get(),
            .audit = nullptr,
            .now = [] { return kNow; },
            .on_records_changed = [this] { ++changed_; },
            .kick_outbox = nullptr};
  }
  // Ingests `chunks`; `cancel`: the stream ends by cancellation.
  absl::Status Run(const std::vector<ifed::v1::IngestChunk>& chunks,
                   ifed::v1::IngestResponse* response, bool cancel = false,
                   IngestManagerDeps deps = {}) {
    if (deps.store == nullptr) deps = Deps();
    size_t next = 0;
    return IngestManager(std::move(deps))
        .Ingest(
            "local:uid=1(a)",
            [&](ifed::v1::IngestChunk* c) {
              if (next == chunks.size()) return false;
              *c = chunks[next++];
              return true;
            },
            [cancel] { return cancel; }, response);
  }
  uint64_t Records() {
    auto counts = store_->CountByType();
    EXPECT_THAT(counts, IsOk());
    uint64_t n = 0;
    if (counts.ok()) {
      for (const auto& [type, count] : *counts) n += count;
    }
    return n;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<normalize::Normalizer> normalizer_;
  std::unique_ptr<crypto::KeyedPseudonymizer> keys_;
  std::unique_ptr<crypto::Sealer> sealer_;
  int changed_ = 0;
};

TEST_F(IngestManagerTest, ValidRowsAreStored) {
  ifed::v1::IngestChunk chunk;
  *chunk.add_rows() = Row(1, "+43 664 3000005");
  *chunk.add_rows() = Row(2, "+43 664 1000007");
  ifed::v1::IngestResponse response;
  ASSERT_THAT(Run({chunk}, &response), IsOk());
  EXPECT_EQ(response.rows(), 2u);
  EXPECT_EQ(response.stored(), 2u);
  EXPECT_EQ(response.errors_size(), 0);
  EXPECT_EQ(Records(), 2u);
  EXPECT_EQ(changed_, 1);
  // Again: the same case's records are updated, not duplicated.
  ifed::v1::IngestResponse again;
  ASSERT_THAT(Run({chunk}, &again), IsOk());
  EXPECT_EQ(again.updated(), 2u);
  EXPECT_EQ(Records(), 2u);
}

TEST_F(IngestManagerTest, ABadLineStoresNothing) {
  ifed::v1::IngestChunk chunk;
  *chunk.add_rows() = Row(1, "+43 664 3000005");
  ifed::v1::IngestRow no_tlp = Row(2, "+43 664 1000007");
  no_tlp.clear_tlp();
  *chunk.add_rows() = no_tlp;
  *chunk.add_rows() = Row(3, "not a phone");
  *chunk.add_rows() = Row(4, "+1 201 555 0123");  // on the warning list.
  ifed::v1::IngestResponse response;
  ASSERT_THAT(Run({chunk}, &response), IsOk());  // the errors are in the response.
  EXPECT_EQ(response.rows(), 4u);
  EXPECT_EQ(response.refused_invalid(), 2u);
  EXPECT_EQ(response.refused_warning(), 1u);
  ASSERT_EQ(response.errors_size(), 3);
  EXPECT_EQ(response.errors(0).line(), 2u);
  EXPECT_EQ(response.errors(0).field(), "tlp");
  EXPECT_EQ(response.errors(1).field(), "value");
  EXPECT_EQ(response.stored(), 0u);
  EXPECT_EQ(Records(), 0u);
  EXPECT_EQ(changed_, 0);

  // With skip_invalid the good row is stored.
  chunk.set_skip_invalid(true);
  ifed::v1::IngestResponse partial;
  ASSERT_THAT(Run({chunk}, &partial), IsOk());
  EXPECT_EQ(partial.stored(), 1u);
  EXPECT_EQ(Records(), 1u);
}

TEST_F(IngestManagerTest, DryRunAndCancelledStreamStoreNothing) {
  ifed::v1::IngestChunk chunk;
  chunk.set_dry_run(true);
  *chunk.add_rows() = Row(1, "+43 664 3000005");
  ifed::v1::IngestResponse dry;
  ASSERT_THAT(Run({chunk}, &dry), IsOk());
  EXPECT_EQ(dry.records(), 1u);
  EXPECT_EQ(Records(), 0u);

  chunk.set_dry_run(false);
  ifed::v1::IngestResponse cancelled;
  EXPECT_THAT(Run({chunk}, &cancelled, /*cancel=*/true),
              StatusIs(absl::StatusCode::kCancelled, "ingest cancelled; nothing stored"));
  EXPECT_EQ(Records(), 0u);
}

TEST_F(IngestManagerTest, BadInput) {
  IngestManagerDeps hub = Deps();
  hub.keys = nullptr;  // a hub holds no federation key.
  ifed::v1::IngestChunk chunk;
  *chunk.add_rows() = Row(1, "+43 664 3000005");
  ifed::v1::IngestResponse response;
  EXPECT_THAT(Run({chunk}, &response, false, hub),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ifed::v1::IngestRow bad = Row(7, "+43 664 3000005");
  bad.set_platform("telegram");  // only handles name a platform.
  bad.set_expires(kNow - 1);     // and the expiry has passed.
  bad.clear_case_ref();
  ifed::v1::IngestChunk bad_chunk;
  *bad_chunk.add_rows() = bad;
  ifed::v1::IngestResponse refused;
  ASSERT_THAT(Run({bad_chunk}, &refused), IsOk());
  ASSERT_EQ(refused.errors_size(), 3);
  EXPECT_EQ(refused.errors(0).field(), "case_ref");
  EXPECT_EQ(refused.errors(1).field(), "expires");
  EXPECT_EQ(refused.errors(2).field(), "platform");
  EXPECT_EQ(Records(), 0u);
}

TEST_F(IngestManagerTest, LargeIngestIsStagedAndApplied) {
  std::vector<ifed::v1::IngestChunk> chunks(2);
  const size_t n = kStageChunkItems + 10;
  for (size_t i = 0; i < n; ++i) {
    *chunks[i % 2].add_rows() =
        Row(static_cast<uint32_t>(i + 1), absl::StrFormat("+43 664 %07d", 1000000 + i));
  }
  ifed::v1::IngestResponse response;
  ASSERT_THAT(Run(chunks, &response), IsOk());
  EXPECT_EQ(response.records(), n);
  EXPECT_EQ(response.stored(), n);
  EXPECT_EQ(Records(), n);
  auto staged = store_->StagedIngests();
  ASSERT_THAT(staged, IsOk());
  EXPECT_TRUE(staged->empty());
}

TEST_F(IngestManagerTest, RetentionFollowsTheMostSpecificRule) {
  IngestManagerDeps deps = Deps();
  deps.retention.resize(3);
  deps.retention[0].set_crime_area("migrant_smuggling");
  deps.retention[0].set_days(10);
  deps.retention[1].set_type(ifed::v1::PHONE);
  deps.retention[1].set_days(20);
  deps.retention[2].set_type(ifed::v1::PHONE);
  deps.retention[2].set_crime_area("migrant_smuggling");
  deps.retention[2].set_days(30);
  IngestManager m(deps);
  EXPECT_EQ(m.RetentionDays(IndicatorType::kPhone, "migrant_smuggling"), 30u);
  EXPECT_EQ(m.RetentionDays(IndicatorType::kPhone, "other"), 20u);
  EXPECT_EQ(m.RetentionDays(IndicatorType::kUrl, "migrant_smuggling"), 10u);
  EXPECT_EQ(m.RetentionDays(IndicatorType::kUrl, "other"), 365u);
}

TEST_F(IngestManagerTest, ResumeCompletesCommittedAndDropsUncommittedIngests) {
  // Two staged ingests, as a node stopped mid-way leaves them: one committed
  // (applied at start), one whose client never finished (dropped).
  auto item = [&](const std::string& id, char fill) {
    store::IngestItem it;
    it.record.set_record_id(id);
    it.record.set_type(ifed::v1::PHONE);
    it.record.set_pseudonym(std::string(32, fill));
    it.record.set_epoch(1);
    it.record.set_case_ref("case-1");
    it.record.set_tlp(ifed::v1::TLP_GREEN);
    it.record.set_expires(kNow + 86400);
    it.sealed_value = "sealed";
    return it;
  };
  const std::vector<store::IngestItem> committed = {item("00000000000000000000000000000001", 'a')};
  const std::vector<store::IngestItem> open = {item("00000000000000000000000000000002", 'b')};
  ASSERT_THAT(store_->StageChunk("aa", 0, committed), IsOk());
  ASSERT_THAT(store_->CommitStaged("aa", {}), IsOk());
  ASSERT_THAT(store_->StageChunk("bb", 0, open), IsOk());
  ASSERT_THAT(ResumeStagedIngests(store_.get(), nullptr), IsOk());
  EXPECT_EQ(Records(), 1u);
  auto staged = store_->StagedIngests();
  ASSERT_THAT(staged, IsOk());
  EXPECT_TRUE(staged->empty());
}

}  // namespace
}  // namespace ifed::query
