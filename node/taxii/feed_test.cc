#include "node/taxii/feed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "node/common/status_matchers.h"
#include "node/ingest/test_hits.h"

namespace ifed::taxii {
namespace {

using ::ifed::ingest::testing::PhoneHit;
using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;

constexpr int64_t kT0 = 1796601600000;  // 2026-12-07T00:00:00Z

Hits Mixed() {
  Hits hits;
  for (int i = 0; i < 5; ++i) *hits.Add() = PhoneHit(kT0 + i * 1000, i % 2 ? "hu" : "at", i);
  *hits.Add() = PhoneHit(kT0 + 500, "at", 9, "watch");
  return hits;
}

FetchQuery Query(const std::string& collection, size_t limit = 100) {
  FetchQuery q;
  q.collection = collection;
  q.limit = limit;
  return q;
}

TEST(Feed, CollectionsHaveStableIdsAndAliases) {
  ASSERT_EQ(Collections().size(), 2u);
  EXPECT_EQ(FindCollection("hits"), &Collections()[0]);
  EXPECT_EQ(FindCollection(Collections()[1].id), &Collections()[1]);
  EXPECT_EQ(FindCollection("records"), nullptr);
  EXPECT_EQ(Collections()[0].id, ingest::Uuid5("taxii-collection:hits"));
}

TEST(Feed, EachCollectionHoldsItsOwnSource) {
  auto hits = ServeFromHits(Mixed(), Query("hits"));
  ASSERT_THAT(hits, IsOk());
  EXPECT_EQ(hits->objects.size(), 2u + 5u + 5u);  // two partners, five values, five sightings.
  EXPECT_FALSE(hits->more);
  auto alerts = ServeFromHits(Mixed(), Query("watch-alerts"));
  ASSERT_THAT(alerts, IsOk());
  ASSERT_EQ(alerts->objects.size(), 3u);
  const auto sighting = nlohmann::json::parse(alerts->objects[2].json);
  EXPECT_EQ(sighting["x_ifed_source"], "watch");
  EXPECT_EQ(sighting["x_ifed_watch_id"], "w-9");
}

TEST(Feed, PagesFollowTheCursorWithoutGapsOrRepeats) {
  auto all = ServeFromHits(Mixed(), Query("hits"));
  ASSERT_THAT(all, IsOk());
  std::vector<std::string> paged;
  FetchQuery q = Query("hits", 5);
  for (int page = 0; page < 10; ++page) {
    auto r = ServeFromHits(Mixed(), q);
    ASSERT_THAT(r, IsOk());
    for (const FetchedObject& o : r->objects) paged.push_back(o.id);
    if (!r->more) break;
    q.after = Cursor{r->objects.back().added_us, r->objects.back().id};
  }
  ASSERT_EQ(paged.size(), all->objects.size());
  for (size_t i = 0; i < paged.size(); ++i) EXPECT_EQ(paged[i], all->objects[i].id);
}

TEST(Feed, FiltersNarrow) {
  FetchQuery q = Query("hits");
  q.filter.types = {"sighting"};
  q.filter.added_after_us = (kT0 + 1000) * 1000 + 999;  // after the second hit's objects.
  auto r = ServeFromHits(Mixed(), q);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->objects.size(), 3u);
  for (const FetchedObject& o : r->objects) {
    EXPECT_EQ(o.type, "sighting");
    EXPECT_GT(o.added_us, *q.filter.added_after_us);
  }
  q = Query("hits");
  q.filter.ids = {r->objects[0].id};
  q.filter.any_version = false;
  q.filter.versions_us = {r->objects[0].modified_ms * 1000};
  auto one = ServeFromHits(Mixed(), q);
  ASSERT_THAT(one, IsOk());
  ASSERT_EQ(one->objects.size(), 1u);
  q.filter.versions_us = {r->objects[0].modified_ms * 1000 + 1};
  EXPECT_TRUE(ServeFromHits(Mixed(), q)->objects.empty());
  q = Query("hits");
  q.filter.spec_versions = {"2.0"};
  EXPECT_TRUE(ServeFromHits(Mixed(), q)->objects.empty());
  q.filter.spec_versions = {"2.0", "2.1"};
  EXPECT_FALSE(ServeFromHits(Mixed(), q)->objects.empty());
}

TEST(Feed, ManifestHasNoJson) {
  FetchQuery q = Query("hits");
  q.manifest = true;
  auto r = ServeFromHits(Mixed(), q);
  ASSERT_THAT(r, IsOk());
  ASSERT_FALSE(r->objects.empty());
  for (const FetchedObject& o : r->objects) EXPECT_TRUE(o.json.empty());
}

TEST(Feed, RefusesUnknownCollectionAndZeroLimit) {
  EXPECT_THAT(ServeFromHits(Mixed(), Query("records")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ServeFromHits(Mixed(), Query("hits", 0)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Feed, EmptyLogIsAnEmptyCollection) {
  auto r = ServeFromHits(Hits(), Query("hits"));
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->objects.empty());
  EXPECT_FALSE(r->more);
}

}  // namespace
}  // namespace ifed::taxii
