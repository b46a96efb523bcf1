#include "node/taxii/wire.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node/common/status_matchers.h"

namespace ifed::taxii {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;

TEST(TaxiiWire, QueryRoundTrip) {
  FetchQuery q;
  q.collection = "watch-alerts";
  q.filter.added_after_us = 0;  // set, even at zero.
  q.filter.ids = {"sighting--a"};
  q.filter.types = {"sighting", "indicator"};
  q.filter.any_version = false;
  q.filter.versions_us = {7};
  q.filter.spec_versions = {"2.1"};
  q.after = Cursor{42, "identity--b"};
  q.limit = 17;
  q.manifest = true;
  q.client = "opencti";
  q.endpoint = "manifest";
  auto back = FromWire(ToWire(q));
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->collection, q.collection);
  ASSERT_TRUE(back->filter.added_after_us.has_value());
  EXPECT_EQ(*back->filter.added_after_us, 0);
  EXPECT_EQ(back->filter.ids, q.filter.ids);
  EXPECT_EQ(back->filter.types, q.filter.types);
  EXPECT_FALSE(back->filter.any_version);
  EXPECT_EQ(back->filter.versions_us, q.filter.versions_us);
  EXPECT_EQ(back->filter.spec_versions, q.filter.spec_versions);
  ASSERT_TRUE(back->after.has_value());
  EXPECT_EQ(back->after->added_us, 42);
  EXPECT_EQ(back->after->id, "identity--b");
  EXPECT_EQ(back->limit, 17u);
  EXPECT_TRUE(back->manifest);
  EXPECT_EQ(back->client, "opencti");
  EXPECT_EQ(back->endpoint, "manifest");
  FetchQuery plain;
  plain.collection = "hits";
  plain.client = "misp";
  auto p = FromWire(ToWire(plain));
  ASSERT_THAT(p, IsOk());
  EXPECT_FALSE(p->filter.added_after_us.has_value());
  EXPECT_FALSE(p->after.has_value());
  EXPECT_TRUE(p->filter.any_version);
}

TEST(TaxiiWire, RefusesBadLimitAndClient) {
  ifed::v1::TaxiiObjectsRequest r;
  r.set_collection("hits");
  r.set_client("opencti");
  EXPECT_THAT(FromWire(r), StatusIs(absl::StatusCode::kInvalidArgument));  // limit 0
  r.set_limit(10001);
  EXPECT_THAT(FromWire(r), StatusIs(absl::StatusCode::kInvalidArgument));
  r.set_limit(10);
  EXPECT_THAT(FromWire(r), IsOk());
  for (const std::string& bad :
       std::vector<std::string>{"", "OpenCTI", "-x", "a b", std::string(65, 'a'), "x/y"}) {
    r.set_client(bad);
    EXPECT_THAT(FromWire(r), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(TaxiiWire, ResultRoundTrip) {
  FetchResult res;
  res.objects.push_back({"sighting--a", "sighting", 5, 6000, "{}"});
  res.more = true;
  FetchResult back = FromWire(ToWire(res));
  ASSERT_EQ(back.objects.size(), 1u);
  EXPECT_EQ(back.objects[0].id, "sighting--a");
  EXPECT_EQ(back.objects[0].added_us, 6000);
  EXPECT_EQ(back.objects[0].json, "{}");
  EXPECT_TRUE(back.more);
}

}  // namespace
}  // namespace ifed::taxii
