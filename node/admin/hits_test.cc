// The hits log's retention: entries before the cut go, the rest
// stay, in batches.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_format.h"
#include "node/admin/service.h"

namespace ifed::admin {
namespace {

TEST(HitsLog, PruneRemovesOnlyEntriesBeforeTheCut) {
  const std::string dir = absl::StrFormat("%s/hits_%d", ::testing::TempDir(), ::getpid());
  std::filesystem::remove_all(dir);
  auto store = store::Store::Open({.path = dir});
  ASSERT_TRUE(store.ok()) << store.status();
  auto pruned = PruneHits(store->get(), 5000);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 0u);  // nothing logged yet.
  store::MetaWrites writes;
  for (int64_t ms : {1000, 2000, 4999, 5000, 9000}) {
    writes.puts.emplace_back(absl::StrFormat("hits/%016d/r-%d", ms, ms), "x");
  }
  for (int i = 0; i < 25000; ++i) {  // more than one pruning batch.
    writes.puts.emplace_back(absl::StrFormat("hits/%016d/bulk-%d", 100, i), "x");
  }
  ASSERT_TRUE((*store)->CommitMeta(writes).ok());
  pruned = PruneHits(store->get(), 5000);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 25003u);
  std::vector<std::string> left;
  ASSERT_TRUE((*store)->ScanMeta("hits/", [&](const std::string& k, const std::string&) {
    left.push_back(k);
    return true;
  }).ok());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0], absl::StrFormat("hits/%016d/r-5000", 5000));
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ifed::admin
