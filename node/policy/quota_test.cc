#include "node/policy/quota.h"

#include <gtest/gtest.h>

namespace ifed::policy {
namespace {

ifed::v1::Quota Q(uint32_t rate, uint32_t burst, uint64_t day) {
  ifed::v1::Quota q;
  q.set_items_per_second(rate);
  q.set_burst(burst);
  q.set_items_per_day(day);
  return q;
}

TEST(Quota, PerSecondExhaustsAndRecovers) {
  QuotaKeeper k(MemoryLedger());
  const auto q = Q(10, 20, 0);
  int64_t t = 1'000'000;
  EXPECT_TRUE(k.Take("at", q, 20, t).ok());  // the burst
  absl::Status s = k.Take("at", q, 5, t);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(std::string(s.message()).find("retry after 0.5 s"), std::string::npos) << s;
  EXPECT_TRUE(k.Take("hu", q, 5, t).ok());  // other partners are not affected
  EXPECT_TRUE(k.Take("at", q, 5, t + 500).ok());  // 0.5 s later: 5 tokens back
  EXPECT_FALSE(k.Take("at", q, 1, t + 500).ok());
  EXPECT_TRUE(k.Take("at", q, 20, t + 10'000).ok());  // refilled, capped at burst
  EXPECT_FALSE(k.Take("at", q, 1, t + 10'000).ok());
}

TEST(Quota, BatchOverBurstIsInvalid) {
  QuotaKeeper k(MemoryLedger());
  EXPECT_EQ(k.Take("at", Q(10, 20, 0), 21, 0).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Quota, DailyExhaustsAndRecoversNextDay) {
  QuotaKeeper k(MemoryLedger());
  const auto q = Q(0, 0, 100);
  const int64_t day = 86'400'000;
  const int64_t t = 20'000 * day + day - 60'000;  // one minute before midnight UTC
  EXPECT_TRUE(k.Take("at", q, 60, t).ok());
  EXPECT_TRUE(k.Take("at", q, 40, t).ok());
  absl::Status s = k.Take("at", q, 1, t);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(std::string(s.message()).find("retry after 60 s"), std::string::npos) << s;
  EXPECT_TRUE(k.Take("at", q, 100, t + 60'000).ok());  // next day
}

TEST(Quota, DailyCountersComeFromTheLedger) {
  // A new keeper over the same ledger (a restarted node) sees the old count.
  DailyLedger ledger = MemoryLedger();
  const auto q = Q(0, 0, 10);
  { QuotaKeeper k(ledger); EXPECT_TRUE(k.Take("at", q, 8, 0).ok()); }
  QuotaKeeper again(ledger);
  EXPECT_FALSE(again.Take("at", q, 3, 0).ok());
  EXPECT_TRUE(again.Take("at", q, 2, 0).ok());
}

TEST(Quota, UnlimitedByDefault) {
  QuotaKeeper k(MemoryLedger());
  EXPECT_TRUE(k.Take("at", Q(0, 0, 0), 1'000'000, 0).ok());
}

TEST(Quota, LedgerFailureIsNotAQuotaError) {
  QuotaKeeper k([](const std::string&, uint64_t, uint64_t) -> absl::StatusOr<uint64_t> {
    return absl::UnavailableError("store down");
  });
  EXPECT_EQ(k.Take("at", Q(0, 0, 5), 1, 0).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ifed::policy
