#include "node/hub/stats.h"

#include <gtest/gtest.h>

namespace ifed::hub {
namespace {

ifed::v1::MatchRequest Request(int n) {
  ifed::v1::MatchRequest r;
  r.set_request_id("t");
  auto* b = r.add_batches();
  b->set_type(ifed::v1::PHONE);
  for (int i = 0; i < n; ++i) b->mutable_pseudonyms()->append(std::string(32, 'a' + i));
  return r;
}

void Member(ifed::v1::MatchResponse* a, const std::string& id, std::vector<bool> hits) {
  auto* m = a->add_members();
  m->set_member(id);
  m->set_status(ifed::v1::MEMBER_ANSWERED);
  for (bool h : hits) m->add_results()->set_verdict(h ? ifed::v1::HIT : ifed::v1::NO_HIT);
}

TEST(HubStats, ClustersCountJurisdictionsAndHoldNoPseudonym) {
  HubStats s;
  ifed::v1::MatchResponse a;
  Member(&a, "at", {true, false, true});
  Member(&a, "hu", {true, false, false});
  auto* down = a.add_members();
  down->set_member("pl");
  down->set_status(ifed::v1::MEMBER_UNAVAILABLE);
  s.Record("de", Request(3), a, 86400 * 365);
  auto r = s.Report(3);
  ASSERT_EQ(r.clusters_size(), 1);  // item 0: de, at, hu.
  EXPECT_EQ(r.clusters(0).jurisdictions_size(), 3);
  EXPECT_EQ(r.clusters(0).hits(), 2u);
  EXPECT_EQ(r.clusters(0).digest(), HubStats::Digest(ifed::v1::PHONE, std::string(32, 'a')));
  EXPECT_EQ(s.Report(2).clusters_size(), 2);
  EXPECT_EQ(r.queries(), 1u);
  EXPECT_EQ(r.hits(), 3u);
  EXPECT_EQ(r.pairs_size(), 2);  // only answered members.
  EXPECT_EQ(r.days(0).day(), "1971-01-01");
  EXPECT_EQ(r.SerializeAsString().find(std::string(32, 'a')), std::string::npos);
}

}  // namespace
}  // namespace ifed::hub
