#include "node/ingest/stix_export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "node/ingest/test_hits.h"

namespace ifed::ingest {
namespace {

using ::ifed::ingest::testing::PhoneHit;
using ::testing::ElementsAre;

constexpr int64_t kT0 = 1796601600000;  // 2026-12-07T00:00:00Z

Hits TwoPartnersOneValue() {
  Hits hits;
  *hits.Add() = PhoneHit(kT0, "at", 1);
  *hits.Add() = PhoneHit(kT0 + 5, "hu", 1);  // the same value at another partner.
  *hits.Add() = PhoneHit(kT0 + 5, "at", 2);
  return hits;
}

TEST(StixSightings, EachIdentityAndIndicatorOnceThenOneSightingPerHit) {
  const Hits hits = TwoPartnersOneValue();
  std::vector<ObjectRef> refs = IndexObjects(hits);
  std::vector<std::string> types;
  for (const ObjectRef& r : refs) types.push_back(r.type);
  EXPECT_THAT(types, ElementsAre("identity", "indicator", "sighting",   // at, value 1
                                 "identity", "sighting",                // hu, value 1 again
                                 "indicator", "sighting"));             // at, value 2
  std::set<std::string> ids;
  for (const ObjectRef& r : refs) EXPECT_TRUE(ids.insert(r.id).second) << r.id;
}

TEST(StixSightings, DateAddedIsTheFirstHitAndUniqueWithinAMillisecond) {
  std::vector<ObjectRef> refs = IndexObjects(TwoPartnersOneValue());
  EXPECT_EQ(refs[0].added_us, kT0 * 1000);
  EXPECT_EQ(refs[1].added_us, kT0 * 1000 + 1);
  EXPECT_EQ(refs[2].added_us, kT0 * 1000 + 2);
  EXPECT_EQ(refs[3].added_us, (kT0 + 5) * 1000);
  EXPECT_EQ(refs[6].added_us, (kT0 + 5) * 1000 + 3);
  EXPECT_EQ(refs[0].modified_ms, 0);  // an identity has one fixed version.
  EXPECT_EQ(refs[1].modified_ms, kT0);
}

TEST(StixSightings, SortByAddedOrdersByDateThenId) {
  Hits hits;
  *hits.Add() = PhoneHit(kT0 + 9, "at", 1);
  *hits.Add() = PhoneHit(kT0, "at", 2);  // out of time order.
  std::vector<ObjectRef> refs = IndexObjects(hits);
  SortByAdded(refs);
  for (size_t i = 1; i < refs.size(); ++i) EXPECT_LT(refs[i - 1].added_us, refs[i].added_us);
}

TEST(StixSightings, RenderedObjectsCarryTheRequiredProperties) {
  const Hits hits = TwoPartnersOneValue();
  for (const ObjectRef& r : IndexObjects(hits)) {
    const nlohmann::json o = RenderObject(r, hits[static_cast<int>(r.hit)]);
    EXPECT_EQ(o["id"], r.id);
    EXPECT_EQ(o["type"], r.type);
    EXPECT_EQ(o["spec_version"], "2.1");
    EXPECT_EQ(o["modified"], Timestamp(r.modified_ms));
    if (r.type == "indicator") {
      EXPECT_EQ(o["pattern"],
                "[phone-number:value = '" + hits[static_cast<int>(r.hit)].canonical() + "']");
    }
    if (r.type == "sighting") {
      EXPECT_EQ(o["x_ifed_source"], "match");
      EXPECT_TRUE(o.contains("sighting_of_ref") && o.contains("where_sighted_refs"));
    }
  }
}

TEST(StixSightings, BundleIsDeterministic) {
  ifed::v1::HitsExportResponse r;
  *r.mutable_hits() = TwoPartnersOneValue();
  const nlohmann::json a = StixBundle(r);
  EXPECT_EQ(a.dump(), StixBundle(r).dump());
  EXPECT_EQ(a["type"], "bundle");
  EXPECT_EQ(a["objects"].size(), 7u);
  *r.add_hits() = PhoneHit(kT0 + 7, "at", 3);
  EXPECT_NE(StixBundle(r)["id"], a["id"]);
}

TEST(StixSightings, QuotesInValuesAreEscapedInPatterns) {
  Hits hits;
  ifed::v1::HitRecord h = PhoneHit(kT0, "at", 1);
  h.set_type(ifed::v1::URL);
  h.set_canonical("https://example.test/a'b\\c");
  *hits.Add() = h;
  const std::vector<ObjectRef> refs = IndexObjects(hits);
  EXPECT_EQ(RenderObject(refs[1], hits[0])["pattern"],
            "[url:value = 'https://example.test/a\\'b\\\\c']");
}

TEST(StixSightings, Timestamps) {
  EXPECT_EQ(Timestamp(kT0 + 123), "2026-12-07T00:00:00.123Z");
  EXPECT_EQ(Uuid5("x").size(), 36u);
  EXPECT_EQ(Uuid5("x")[14], '5');  // version 5.
}

}  // namespace
}  // namespace ifed::ingest
