#include "node/federation/transport/call_guard.h"

#include <gtest/gtest.h>

namespace ifed::federation {
namespace {

struct Clock {
  int64_t ms = 1'800'000'000'000;
  std::function<int64_t()> fn() {
    return [this] { return ms; };
  }
};

CallStamp Stamp(const std::string& id, int64_t ts) { return {.request_id = id, .timestamp_ms = ts}; }

TEST(ReplayGuard, SameIdTwiceIsRefusedPerIdentity) {
  Clock c;
  ReplayGuard g({.window = std::chrono::seconds(300), .max_ids_per_peer = 10, .now_ms = c.fn()});
  c.ms += 1000;
  EXPECT_TRUE(g.Admit("at", Stamp("id-0000000000000001", c.ms)).ok());
  EXPECT_EQ(g.Admit("at", Stamp("id-0000000000000001", c.ms)).code(),
            absl::StatusCode::kAlreadyExists);
  // Bound to the certificate identity: another peer's id space is its own.
  EXPECT_TRUE(g.Admit("hu", Stamp("id-0000000000000001", c.ms)).ok());
}

TEST(ReplayGuard, TimestampWindowAndStartBound) {
  Clock c;
  const int64_t start = c.ms;
  ReplayGuard g({.window = std::chrono::seconds(300), .now_ms = c.fn()});
  c.ms += 600'000;
  EXPECT_EQ(g.Admit("at", Stamp("a-00000000000000001", c.ms - 300'001)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(g.Admit("at", Stamp("a-00000000000000002", c.ms + 300'001)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(g.Admit("at", Stamp("a-00000000000000003", c.ms - 299'000)).ok());
  EXPECT_TRUE(g.Admit("at", Stamp("a-00000000000000004", c.ms + 299'000)).ok());
  // Within the window but before the guard existed (a pre-restart recording).
  Clock c2;
  ReplayGuard fresh({.window = std::chrono::seconds(300), .now_ms = c2.fn()});
  auto s = fresh.Admit("at", Stamp("a-00000000000000005", c2.ms - 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  (void)start;
}

TEST(ReplayGuard, IdsAreForgottenOnlyWhenTheirTimestampLeftTheWindow) {
  Clock c;
  ReplayGuard g({.window = std::chrono::seconds(10), .max_ids_per_peer = 3, .now_ms = c.fn()});
  c.ms += 5000;
  const int64_t t = c.ms;
  ASSERT_TRUE(g.Admit("at", Stamp("x-00000000000000001", t)).ok());
  ASSERT_TRUE(g.Admit("at", Stamp("x-00000000000000002", t + 5000)).ok());
  ASSERT_TRUE(g.Admit("at", Stamp("x-00000000000000003", t)).ok());
  // Full: refused, never forgotten early.
  EXPECT_EQ(g.Admit("at", Stamp("x-00000000000000004", t)).code(),
            absl::StatusCode::kResourceExhausted);
  // 9 s later the first id could still be replayed: still remembered.
  c.ms = t + 9000;
  EXPECT_EQ(g.Admit("at", Stamp("x-00000000000000001", t)).code(),
            absl::StatusCode::kAlreadyExists);
  // After its timestamp left the window, the stamp itself is stale...
  c.ms = t + 10'001;
  EXPECT_EQ(g.Admit("at", Stamp("x-00000000000000001", t)).code(),
            absl::StatusCode::kFailedPrecondition);
  // ...and the memory is freed (ids 1 and 3), id 2 (later stamp) kept.
  EXPECT_TRUE(g.Admit("at", Stamp("x-00000000000000005", c.ms)).ok());
  EXPECT_EQ(g.remembered("at"), 2u);
  EXPECT_EQ(g.Admit("at", Stamp("x-00000000000000002", t + 5000)).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(CallStampTest, ParsesAndRefusesMalformedMetadata) {
  std::vector<std::pair<std::string, std::string>> kv;
  auto parse = [&] {
    std::multimap<grpc::string_ref, grpc::string_ref> md;
    for (const auto& [k, v] : kv) md.emplace(k, v);
    return ReadCallStamp(md);
  };
  EXPECT_EQ(parse().status().code(), absl::StatusCode::kInvalidArgument);
  kv = {{kRequestIdHeader, "0123456789abcdef"}, {kTimestampHeader, "1700000000000"}};
  auto ok = parse();
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->timestamp_ms, 1700000000000);
  EXPECT_TRUE(ok->claimed_node.empty());
  kv.emplace_back(kNodeIdHeader, "at");
  EXPECT_EQ(parse()->claimed_node, "at");
  kv.emplace_back(kNodeIdHeader, "hu");  // twice
  EXPECT_EQ(parse().status().code(), absl::StatusCode::kInvalidArgument);
  for (const char* bad : {"short", "0123456789abcdef\n", "0123456789abcdef/x", ""}) {
    kv = {{kRequestIdHeader, bad}, {kTimestampHeader, "1700000000000"}};
    EXPECT_EQ(parse().status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  for (const char* bad : {"", "-1", "1e9", "99999999999999999999", "12 "}) {
    kv = {{kRequestIdHeader, "0123456789abcdef"}, {kTimestampHeader, bad}};
    EXPECT_EQ(parse().status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(CallStampTest, NewHeadersAreFreshAndParse) {
  auto a = NewStampHeaders("de");
  auto b = NewStampHeaders("de");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_NE(a[0].second, b[0].second);
  std::multimap<grpc::string_ref, grpc::string_ref> md;
  for (const auto& [k, v] : a) md.emplace(k, v);
  auto s = ReadCallStamp(md);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->claimed_node, "de");
}

}  // namespace
}  // namespace ifed::federation
