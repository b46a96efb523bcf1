#include "node/store/health.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "node/common/status_matchers.h"
#include "node/store/store.h"

namespace ifed::store {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::HasSubstr;

TEST(StoreHealth, OnlyDataLossMarksTheDamageAndTheFirstIsKept) {
  StoreHealth h;
  h.SetClock([] { return int64_t{1700000000}; });
  std::vector<StoreDamage> seen;
  h.OnDamage([&](const StoreDamage& d) { seen.push_back(d); });
  EXPECT_THAT(h.Check(), IsOk());
  // Other failures are not damage: a missing key, a full disk, an I/O hiccup.
  EXPECT_THAT(h.Observe(absl::NotFoundError("x"), "read"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(h.Observe(absl::UnavailableError("io"), "read"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(h.Observe(absl::OkStatus(), "read"), IsOk());
  EXPECT_FALSE(h.damaged());
  EXPECT_TRUE(seen.empty());
  // The first DataLoss: marked, the listener told once, the advice added.
  EXPECT_THAT(h.Observe(absl::DataLossError("block checksum mismatch"), "lookup"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("--verify-store")));
  EXPECT_TRUE(h.damaged());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].where, "lookup");
  EXPECT_EQ(seen[0].detail, "block checksum mismatch");
  EXPECT_EQ(seen[0].at_unix, 1700000000);
  // Later damage: kept out, no second notice; every check refuses.
  h.MarkDamaged("background compaction", "other");
  EXPECT_THAT(h.Observe(absl::DataLossError("again"), "scan"),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(h.damage().where, "lookup");
  EXPECT_THAT(h.Check(), StatusIs(absl::StatusCode::kDataLoss,
                                  HasSubstr("(lookup) and answers nothing more")));
  EXPECT_THAT(h.Check(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("--restore")));
}

TEST(StoreHealth, AdviceIsNotRepeated) {
  StoreHealth h;
  const std::string once =
      std::string(h.Observe(absl::DataLossError("x"), "a").message());
  StoreHealth h2;
  const absl::Status again = h2.Observe(absl::DataLossError(once), "a");
  EXPECT_EQ(std::string(again.message()), once);
}

Pseudonym P(uint8_t b) {
  Pseudonym p;
  p.fill(b);
  return p;
}

// A store whose SST data blocks are damaged on disk while it is open: the
// next read of such a block fails its checksum, the store is marked
// damaged and refuses the serving reads from then on; the audit column
// family stays writable.
TEST(StoreHealth, ADamagedSstBlockReadWhileServingStopsTheReads) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                    ("health_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    auto opened = Store::Open({.path = dir.string(), .block_cache_mb = 8});
    ASSERT_THAT(opened.status(), IsOk());
    std::unique_ptr<Store> store = std::move(*opened);
    std::vector<StoreDamage> seen;
    store->health().OnDamage([&](const StoreDamage& d) { seen.push_back(d); });
    std::vector<IngestItem> items;
    for (uint8_t i = 1; i <= 20; ++i) {
      IngestItem item;
      item.record.set_record_id("r" + std::to_string(i));
      item.record.set_type(ifed::v1::PHONE);
      const Pseudonym p = P(i);
      item.record.set_pseudonym(std::string(p.begin(), p.end()));
      item.record.set_epoch(1);
      item.sealed_value = "sealed";
      items.push_back(std::move(item));
    }
    ASSERT_THAT(store->Ingest(items).status(), IsOk());
    ASSERT_THAT(store->Compact(), IsOk());  // in SST files now, no block read since
    const Pseudonym one = P(1);
    // Flip bytes at the start of every SST file: its first data block.
    int damaged = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() != ".sst") continue;
      std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
      char b[8];
      f.seekg(4);
      f.read(b, sizeof(b));
      for (char& c : b) c = static_cast<char>(~c);
      f.seekp(4);
      f.write(b, sizeof(b));
      ++damaged;
    }
    ASSERT_GT(damaged, 0);
    EXPECT_FALSE(store->health().damaged());
    auto hit = store->Lookup(1, absl::MakeConstSpan(&one, 1));
    EXPECT_THAT(hit.status(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("--verify-store")));
    EXPECT_TRUE(store->health().damaged());
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].where, "lookup");
    // From now on the serving reads are refused, even of undamaged data
    // (a pseudonym no block holds, the counters in the memtable).
    const Pseudonym none = P(200);
    EXPECT_THAT(store->Lookup(1, absl::MakeConstSpan(&none, 1)).status(),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("answers nothing more")));
    EXPECT_THAT(store->CountByType().status(), StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_THAT(store->ScanRecordsWithSealed([](const auto&, const auto&) { return true; }),
                StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_THAT(store->GetMeta("watch/x").status(), StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_THAT(store->Ingest(items).status(), StatusIs(absl::StatusCode::kDataLoss));
    // The audit log still takes the event.
    EXPECT_THAT(store->AppendAudit({{"00000001", "event"}}), IsOk());
    EXPECT_EQ(seen.size(), 1u);
  }
  // Opened again, the store's own check (VerifyChecksum) refuses it.
  EXPECT_THAT(Store::Open({.path = dir.string()}).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ifed::store
