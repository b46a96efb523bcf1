#include "node/query/outbound_matcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/audit/signer.h"
#include "node/common/status_matchers.h"
#include "node/policy/quota.h"
#include "node/query/fake_peer_transport.h"

namespace ifed::query {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
constexpr int64_t kNow = 1700000000;

class OutboundMatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ifed-query-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const std::string cmd = absl::StrCat(
        "cd ", dir_,
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key"
        " -out ca.pem -subj /CN=q-ca -days 2 2>/dev/null"
        " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout de.key"
        " -out de.csr -subj /CN=de 2>/dev/null && printf 'subjectAltName=URI:spiffe://t.eu/node/de\\n'"
        " > de.ext && openssl x509 -req -in de.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
        " -days 2 -extfile de.ext -out de.pem 2>/dev/null");
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    auto st = store::Store::Open({.path = dir_ + "/db", .block_cache_mb = 8});
    ASSERT_THAT(st.status(), IsOk());
    store_ = std::move(*st);
    auto signer = audit::Signer::Load(dir_ + "/de.key", dir_ + "/de.pem");
    ASSERT_THAT(signer.status(), IsOk());
    signer_ = std::move(*signer);
    auto log = audit::AuditLog::Open(store_.get(), signer_.get(),
                                     {.node_id = "de", .checkpoint_every = 1000,
                                      .checkpoint_seconds = 0, .now_ms = [] { return kNow * 1000; }});
    ASSERT_THAT(log.status(), IsOk());
    audit_ = std::move(*log);
    // Ours: at (phone, url), hu (url only), cz (phone, OPRF), the hub;
    // pl has no rule (refused).
    auto policy = policy::Policy::LoadTexts(
        {{"ours.yaml",
          "defaults:\n  legal_basis: test\n  purposes: [migrant_smuggling]\n"
          "partners:\n"
          "  - partner: at\n    types: [phone, url]\n"
          "  - partner: hu\n    types: [url]\n"
          "  - partner: cz\n    types: [phone]\n    scheme: oprf\n"
          "  - partner: hub\n    types: [phone, url]\n"}});
    ASSERT_THAT(policy.status(), IsOk());
    policy_ = std::make_unique<policy::PolicyHolder>(std::move(*policy));
    auto q = federation::OprfQuerier::Create(dir_ + "/oprf");
    ASSERT_THAT(q.status(), IsOk());
    querier_ = std::move(*q);
    transport_.peers = {{"at", false}, {"hu", false}, {"cz", false}, {"pl", false}, {"hub", true}};
    matcher_ = std::make_unique<OutboundMatcher>(MatcherDeps{.node_id = "de",
                                                             .federation = "t.eu",
                                                             .transport = &transport_,
                                                             .policy = policy_.get(),
                                                             .audit = audit_.get(),
                                                             .oprf = querier_.get(),
                                                             .oprf_peers = {},
                                                             .node_verifier = nullptr,
                                                             .counters = &counters_,
                                                             .now = [] { return kNow; },
                                                             .on_filter_changed = nullptr});
  }
  void TearDown() override {
    matcher_.reset();
    audit_.reset();
    store_.reset();
    responder_.reset();
    peer_store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A query of phone forms `phones` (canonical values) to `peers`.
  MatchQuery Query(const std::vector<std::string>& phones, std::vector<std::string> peers) {
    MatchQuery q;
    q.actor = "local:uid=1000(alice)";
    q.wire.set_request_id("r-1");
    q.wire.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    q.wire.set_epoch(1);
    auto* b = q.wire.add_batches();
    b->set_type(ifed::v1::PHONE);
    for (size_t k = 0; k < phones.size(); ++k) {
      q.forms.push_back({ifed::v1::PHONE, phones[k]});
      b->mutable_pseudonyms()->append(Pseudonym(static_cast<int>(k)));
      q.order[ifed::v1::PHONE].push_back(static_cast<int>(k));
    }
    q.value_types = {ifed::v1::PHONE};
    q.peers = std::move(peers);
    return q;
  }

  // Every audit line written so far.
  std::string AuditLines() {
    std::string all;
    EXPECT_THAT(audit_->Export(0, 0, [&](const std::string& l) {
      all += l + "\n";
      return true;
    }), IsOk());
    return all;
  }

  // Partner cz as an OPRF responder holding `phones`, its key pinned and
  // its filter held here.
  void StartOprfPeer(const std::vector<std::string>& phones) {
    auto st = store::Store::Open({.path = dir_ + "/cz-db", .block_cache_mb = 8});
    ASSERT_THAT(st.status(), IsOk());
    peer_store_ = std::move(*st);
    const uint8_t lk[32] = {7, 7, 7};
    auto sealer = crypto::Sealer::Create(crypto::SecretBytes(absl::MakeConstSpan(lk, 32)));
    ASSERT_THAT(sealer.status(), IsOk());
    peer_sealer_ = std::move(*sealer);
    for (size_t i = 0; i < phones.size(); ++i) {
      store::IngestItem item;
      const std::string id = absl::StrCat("rec", i);
      item.record.set_record_id(id);
      item.record.set_type(ifed::v1::PHONE);
      std::string pseudonym = id;
      pseudonym.resize(32, '.');
      item.record.set_pseudonym(pseudonym);
      item.record.set_epoch(1);
      item.record.set_tlp(ifed::v1::TLP_GREEN);
      item.record.set_case_ref("case-cz");
      item.record.set_first_seen(kNow - 10);
      item.record.set_last_seen(kNow - 10);
      auto sealed = peer_sealer_->Seal(phones[i], id);
      ASSERT_THAT(sealed.status(), IsOk());
      item.sealed_value = *sealed;
      ASSERT_THAT(peer_store_->Ingest({item}).status(), IsOk());
    }
    auto policy = policy::Policy::LoadTexts(
        {{"cz.yaml",
          "defaults:\n  legal_basis: test\n  purposes: [migrant_smuggling]\n"
          "partners:\n  - partner: de\n    types: [phone]\n    scheme: oprf\n"
          "    disclosure: hit_with_reference\n"}});
    ASSERT_THAT(policy.status(), IsOk());
    peer_policy_ = std::make_unique<policy::PolicyHolder>(std::move(*policy));
    quotas_ = std::make_unique<policy::QuotaKeeper>(policy::MemoryLedger());
    const uint8_t seed[32] = {5, 6, 7};
    auto r = federation::OprfResponder::Create(
        crypto::SecretBytes(absl::MakeConstSpan(seed, 32)),
        {.node_id = "cz",
         .contact = "ops@cz.example",
         .store = peer_store_.get(),
         .sealer = peer_sealer_.get(),
         .policy = peer_policy_.get(),
         .quotas = quotas_.get(),
         .default_budget = {},
         .now = [] { return kNow; },
         .now_ms = nullptr,
         .on_enumeration = nullptr});
    ASSERT_THAT(r.status(), IsOk());
    responder_ = std::move(*r);
    transport_.responder = responder_.get();
    auto key = responder_->PublicKey("de");
    ASSERT_THAT(key.status(), IsOk());
    bool pinned = false;
    ASSERT_THAT(querier_->PinKey("cz", *key, &pinned), IsOk());
    auto f = responder_->Filter("de");
    ASSERT_THAT(f.status(), IsOk());
    ASSERT_THAT(querier_->StoreFilter("cz", (*f)->bytes, (*f)->digest, (*f)->public_key), IsOk());
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<audit::Signer> signer_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<policy::PolicyHolder> policy_;
  std::unique_ptr<federation::OprfQuerier> querier_;
  FakeTransport transport_;
  Counters counters_;
  std::unique_ptr<OutboundMatcher> matcher_;
  // The OPRF partner cz.
  std::unique_ptr<store::Store> peer_store_;
  std::unique_ptr<crypto::Sealer> peer_sealer_;
  std::unique_ptr<policy::PolicyHolder> peer_policy_;
  std::unique_ptr<policy::QuotaKeeper> quotas_;
  std::unique_ptr<federation::OprfResponder> responder_;
};

TEST_F(OutboundMatcherTest, KeyedHitAndMiss) {
  transport_.match["at"] = Holder("at", {Pseudonym(0)});
  auto out = matcher_->Match(Query({"+4915112345678", "+4915100000002"}, {"at"}));
  ASSERT_THAT(out.status(), IsOk());
  ASSERT_EQ(out->rows.size(), 2u);
  EXPECT_EQ(out->rows[0].form, 0);
  EXPECT_EQ(out->rows[0].peer, "at");
  EXPECT_EQ(out->rows[0].scheme, "keyed");
  EXPECT_EQ(out->rows[0].verdict, ifed::v1::HIT);
  EXPECT_EQ(out->rows[1].form, 1);
  EXPECT_EQ(out->rows[1].verdict, ifed::v1::NO_HIT);
  EXPECT_THAT(out->errors, IsEmpty());
  EXPECT_EQ(counters_.outbound_queries.load(), 1u);
  const std::string lines = AuditLines();
  EXPECT_THAT(lines, HasSubstr("match.out"));
  EXPECT_THAT(lines, HasSubstr("\"hits\":1"));
  EXPECT_EQ(lines.find("+4915112345678"), std::string::npos) << "no raw value in the audit";
}

TEST_F(OutboundMatcherTest, PartnerRefusedByPolicyIsNeverAsked) {
  transport_.match["at"] = Holder("at", {});
  transport_.match["pl"] = Holder("pl", {Pseudonym(0)});
  transport_.match["hu"] = Holder("hu", {Pseudonym(0)});
  auto out = matcher_->Match(Query({"+4915112345678"}, {"at", "pl", "hu"}));
  ASSERT_THAT(out.status(), IsOk());
  EXPECT_THAT(transport_.asked, ElementsAre("at"));
  ASSERT_EQ(out->errors.size(), 2u);
  for (const PeerFailure& e : out->errors) {
    EXPECT_EQ(e.code, static_cast<int>(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(e.message, HasSubstr("not sent: our policy"));
  }
  ASSERT_EQ(out->rows.size(), 1u);
  EXPECT_EQ(out->rows[0].peer, "at");
}

TEST_F(OutboundMatcherTest, EveryPartnerRefusedSendsNothing) {
  transport_.match["pl"] = Holder("pl", {Pseudonym(0)});
  EXPECT_THAT(matcher_->Match(Query({"+4915112345678"}, {"pl"})).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("nothing was sent")));
  EXPECT_THAT(transport_.asked, IsEmpty());
}

TEST_F(OutboundMatcherTest, BadReceiptIsRejected) {
  transport_.match["at"] = Holder("someone-else", {Pseudonym(0)});
  auto out = matcher_->Match(Query({"+4915112345678"}, {"at"}));
  ASSERT_THAT(out.status(), IsOk());
  EXPECT_THAT(out->rows, IsEmpty()) << "no verdict of an answer whose receipt fails";
  ASSERT_EQ(out->errors.size(), 1u);
  EXPECT_EQ(out->errors[0].peer, "at");
  EXPECT_EQ(out->errors[0].code, static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(out->errors[0].message, HasSubstr("answer rejected"));
  EXPECT_THAT(AuditLines(), HasSubstr("\"refused\""));
}

TEST_F(OutboundMatcherTest, WrongNumberOfAnswersIsDataLoss) {
  transport_.match["at"] = [](const ifed::v1::MatchRequest&) -> absl::StatusOr<ifed::v1::MatchResponse> {
    ifed::v1::MatchResponse a;
    a.add_results()->set_verdict(ifed::v1::HIT);
    a.mutable_receipt()->set_signature("signed-by-at");
    return a;
  };
  auto out = matcher_->Match(Query({"+4915112345678", "+4915100000002"}, {"at"}));
  ASSERT_THAT(out.status(), IsOk());
  EXPECT_THAT(out->rows, IsEmpty());
  ASSERT_EQ(out->errors.size(), 1u);
  EXPECT_EQ(out->errors[0].code, static_cast<int>(absl::StatusCode::kDataLoss));
}

TEST_F(OutboundMatcherTest, HubAnswersPerMember) {
  auto* m1 = transport_.members.add_members();
  m1->set_member("at");
  m1->set_jurisdiction("AT");
  auto* m2 = transport_.members.add_members();
  m2->set_member("de");  // this node: never in the audience
  m2->set_jurisdiction("DE");
  auto* m3 = transport_.members.add_members();
  m3->set_member("hu");
  m3->set_jurisdiction("HU");
  transport_.match["hub"] = [](const ifed::v1::MatchRequest&) -> absl::StatusOr<ifed::v1::MatchResponse> {
    ifed::v1::MatchResponse a;
    a.add_results()->set_verdict(ifed::v1::HIT);  // the hub's merged verdict per item
    auto* at = a.add_members();
    at->set_member("at");
    at->set_status(ifed::v1::MEMBER_ANSWERED);
    at->add_results()->set_verdict(ifed::v1::HIT);
    auto* hu = a.add_members();
    hu->set_member("hu");
    hu->set_status(ifed::v1::MEMBER_UNAVAILABLE);
    hu->set_code(14);
    a.mutable_receipt()->set_signature("signed-by-hub");
    return a;
  };
  MatchQuery q = Query({"+4915112345678"}, {"hub"});
  q.case_token = "token-1";
  auto out = matcher_->Match(q);
  ASSERT_THAT(out.status(), IsOk());
  ASSERT_EQ(out->rows.size(), 1u);
  EXPECT_EQ(out->rows[0].peer, "hub/at");
  EXPECT_EQ(out->rows[0].via, "hub");
  EXPECT_EQ(out->rows[0].verdict, ifed::v1::HIT);
  ASSERT_EQ(out->errors.size(), 1u);
  EXPECT_EQ(out->errors[0].peer, "hub/hu");
  EXPECT_EQ(out->errors[0].code, 14);
  // Only the hub gets the case token; the relay is signed for the members.
  EXPECT_EQ(transport_.sent["hub"].case_token(), "token-1");
  EXPECT_THAT(transport_.signed_for, ElementsAre("hub:0:at,hu"));
}

TEST_F(OutboundMatcherTest, OprfPathHitMissAndResolve) {
  StartOprfPeer({"+4915112345678"});
  MatchQuery q = Query({"+4915112345678", "+4915100000002"}, {});
  q.oprf_peers = {"cz"};
  q.resolve = true;
  auto out = matcher_->Match(q);
  ASSERT_THAT(out.status(), IsOk());
  EXPECT_THAT(transport_.asked, IsEmpty()) << "nothing keyed";
  EXPECT_THAT(transport_.evaluated, ElementsAre("cz"));
  ASSERT_EQ(out->rows.size(), 2u);
  EXPECT_EQ(out->rows[0].scheme, "oprf");
  EXPECT_EQ(out->rows[0].verdict, ifed::v1::HIT);
  EXPECT_EQ(out->rows[1].verdict, ifed::v1::NO_HIT);
  EXPECT_THAT(out->errors, IsEmpty());
  const std::string lines = AuditLines();
  EXPECT_THAT(lines, HasSubstr("oprf.evaluate.out"));
  EXPECT_THAT(lines, HasSubstr("oprf.resolve.out"));
}

TEST_F(OutboundMatcherTest, OprfPartnerRefusedByPolicyIsNeverAsked) {
  StartOprfPeer({"+4915112345678"});
  MatchQuery q = Query({"+4915112345678"}, {});
  q.wire.set_purpose(ifed::v1::TERRORISM);  // not a purpose of our rule for cz
  q.oprf_peers = {"cz"};
  auto out = matcher_->Match(q);
  ASSERT_THAT(out.status(), IsOk());
  EXPECT_THAT(transport_.evaluated, IsEmpty());
  ASSERT_EQ(out->errors.size(), 1u);
  EXPECT_EQ(out->errors[0].code, static_cast<int>(absl::StatusCode::kPermissionDenied));
}

TEST_F(OutboundMatcherTest, BadInput) {
  MatchQuery empty = Query({}, {"at"});
  EXPECT_THAT(matcher_->Match(empty).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(matcher_->Match(Query({"+4915112345678"}, {})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(matcher_->Match(Query({"+4915112345678"}, {"xx"})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown peer")));
  EXPECT_THAT(matcher_->CheckOprfPeer("at/cz"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a hub")));
  EXPECT_THAT(matcher_->CheckOprfPeer("hub/"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(transport_.asked, IsEmpty());
}

}  // namespace
}  // namespace ifed::query
