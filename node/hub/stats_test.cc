#include "node/hub/stats.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace ifed::hub {
namespace {

crypto::SecretBytes Key(uint8_t fill = 7) {
  const std::vector<uint8_t> k(32, fill);
  return crypto::SecretBytes(k);
}

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
  HubStats s(Key());
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
  EXPECT_EQ(r.clusters(0).digest(), s.Digest(ifed::v1::PHONE, std::string(32, 'a')));
  EXPECT_EQ(s.Report(2).clusters_size(), 2);
  EXPECT_EQ(r.queries(), 1u);
  EXPECT_EQ(r.hits(), 3u);
  EXPECT_EQ(r.pairs_size(), 2);  // only answered members.
  EXPECT_EQ(r.days(0).day(), "1971-01-01");
  EXPECT_EQ(r.SerializeAsString().find(std::string(32, 'a')), std::string::npos);
}

// Whoever holds the federation key can compute pseudonyms; the digest needs
// the hub's own key too: the same pseudonym gives another digest under
// another key, and no digest is the unkeyed hash of the pseudonym.
TEST(HubStats, DigestsNeedTheHubKey) {
  HubStats a(Key(1)), b(Key(2));
  const std::string p(32, 'a');
  EXPECT_NE(a.Digest(ifed::v1::PHONE, p), b.Digest(ifed::v1::PHONE, p));
  EXPECT_EQ(a.Digest(ifed::v1::PHONE, p), HubStats(Key(1)).Digest(ifed::v1::PHONE, p));
  EXPECT_NE(a.Digest(ifed::v1::PHONE, p), a.Digest(ifed::v1::URL, p));
  EXPECT_EQ(a.Digest(ifed::v1::PHONE, p).size(), 32u);
}

TEST(HubStats, PersistedCellsRestoreTheSameReport) {
  std::map<std::string, std::string> disk;
  HubStats s(Key(), [&](const HubStats::Entries& changed) {
    for (const auto& [k, v] : changed) disk[k] = v;
  });
  ifed::v1::MatchResponse a;
  Member(&a, "at", {true, true});
  Member(&a, "hu", {true, false});
  s.Record("de", Request(2), a, 86400 * 400);
  s.Record("de", Request(2), a, 86400 * 401);
  for (const auto& [k, v] : disk) EXPECT_EQ(k.rfind("hub/", 0), 0u) << k;
  HubStats restored(Key());
  for (const auto& [k, v] : disk) ASSERT_TRUE(restored.Load(k, v).ok()) << k;
  EXPECT_EQ(restored.Report(2).SerializeAsString(), s.Report(2).SerializeAsString());
  EXPECT_EQ(restored.Report(2).queries(), 2u);
  EXPECT_FALSE(restored.Load("hub/bogus", "").ok());
  EXPECT_FALSE(restored.Load("hub/pair/x/y", "\xff\xff").ok());
}

TEST(HubStats, CellsBelowKAreWithheld) {
  HubStats s(Key());
  ifed::v1::MatchResponse a;
  Member(&a, "at", {true, false});
  Member(&a, "hu", {false, false});
  for (int i = 0; i < 3; ++i) s.Record("de", Request(2), a, 86400 * 400);
  ifed::v1::MatchResponse b;
  Member(&b, "at", {false, true});
  Member(&b, "hu", {false, true});
  s.Record("pl", Request(2), b, 86400 * 400);
  auto open = s.Report(2, 1);
  EXPECT_EQ(open.suppressed(), 0u);
  EXPECT_EQ(open.clusters_size(), 2);
  auto k3 = s.Report(2, 3);
  // Item 0 (de+at) hit 3 times: shown; item 1 (pl+at+hu) 2 hits: withheld.
  ASSERT_EQ(k3.clusters_size(), 1);
  EXPECT_EQ(k3.clusters(0).digest(), s.Digest(ifed::v1::PHONE, std::string(32, 'a')));
  // Pairs pl->at (1 hit) and pl->hu (1 hit) withheld; de->at (3) shown; de->hu (0) shown.
  EXPECT_EQ(k3.pairs_size(), 2);
  EXPECT_EQ(k3.suppressed(), 3u);
  EXPECT_EQ(k3.queries(), 4u);  // totals always shown.
  EXPECT_EQ(k3.k_threshold(), 3u);
}

// Two cases of two querier: de's case asks a and b together (a hits at at,
// b at hu); pl's case asks b and c (c hits at se). Through the cases, a, b
// and c form one network spanning de, at, hu, pl and se; d, asked without a
// case, stays alone.
TEST(HubStats, CasesLinkPseudonymsIntoNetworks) {
  std::map<std::string, std::string> disk;
  HubStats s(Key(), [&](const HubStats::Entries& changed) {
    for (const auto& [k, v] : changed) disk[k] = v;
  });
  auto two = [](char x, char y) {
    ifed::v1::MatchRequest r;
    auto* b = r.add_batches();
    b->set_type(ifed::v1::PHONE);
    b->mutable_pseudonyms()->append(std::string(32, x));
    b->mutable_pseudonyms()->append(std::string(32, y));
    return r;
  };
  ifed::v1::MatchRequest q1 = two('a', 'b');
  q1.set_case_token("0123456789abcdef0123456789abcdef");
  ifed::v1::MatchResponse a1;
  Member(&a1, "at", {true, false});
  Member(&a1, "hu", {false, true});
  s.Record("de", q1, a1, 1000);
  ifed::v1::MatchRequest q2 = two('b', 'c');
  q2.set_case_token("fedcba9876543210fedcba9876543210");
  ifed::v1::MatchResponse a2;
  Member(&a2, "se", {false, true});
  Member(&a2, "hu", {true, false});
  s.Record("pl", q2, a2, 2000);
  ifed::v1::MatchRequest q3 = two('d', 'e');  // no case token
  ifed::v1::MatchResponse a3;
  Member(&a3, "at", {true, false});
  s.Record("de", q3, a3, 3000);

  auto r = s.Report(5);
  ASSERT_EQ(r.networks_size(), 1) << r.DebugString();
  const auto& n = r.networks(0);
  EXPECT_EQ(n.digests_size(), 3);
  EXPECT_EQ(std::vector<std::string>(n.jurisdictions().begin(), n.jurisdictions().end()),
            (std::vector<std::string>{"at", "de", "hu", "pl", "se"}));
  EXPECT_EQ(n.cases_size(), 2);
  EXPECT_EQ(n.cases(0).case_id().size(), 16u);
  EXPECT_EQ(n.cases(0).digests_size(), 2);
  EXPECT_EQ(n.hits(), 4u);
  EXPECT_EQ(n.first_seen(), 1000);
  EXPECT_EQ(n.last_seen(), 2000);
  EXPECT_EQ(s.Report(6).networks_size(), 0);  // fewer jurisdictions than asked.
  // k: a network with fewer hits than k is withheld and counted.
  auto withheld = s.Report(2, 5);
  EXPECT_EQ(withheld.networks_size(), 0);
  EXPECT_GE(withheld.suppressed(), 1u);
  // The case tokens themselves are not kept, only their digests; the
  // network survives a restart.
  for (const auto& [k, v] : disk) {
    EXPECT_EQ(v.find("0123456789abcdef0123456789abcdef"), std::string::npos) << k;
    EXPECT_EQ(k.find("0123456789abcdef"), std::string::npos) << k;
  }
  HubStats restored(Key());
  for (const auto& [k, v] : disk) ASSERT_TRUE(restored.Load(k, v).ok()) << k;
  EXPECT_EQ(restored.Report(2).SerializeAsString(), s.Report(2).SerializeAsString());
  EXPECT_FALSE(restored.Load("hub/case/x", "").ok());
}

}  // namespace
}  // namespace ifed::hub
