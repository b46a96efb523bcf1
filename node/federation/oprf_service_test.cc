#include "node/federation/oprf_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "node/policy/quota.h"

namespace ifed::federation {
namespace {

namespace oprf = crypto::oprf;
constexpr int64_t kNow = 1700000000;

class OprfServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ifed-oprf-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = store::Store::Open({.path = dir_ + "/db", .block_cache_mb = 8});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    const uint8_t lk[32] = {9, 9, 9};
    auto sealer = crypto::Sealer::Create(crypto::SecretBytes(absl::MakeConstSpan(lk, 32)));
    ASSERT_TRUE(sealer.ok());
    sealer_ = std::move(*sealer);
    auto policy = policy::Policy::LoadTexts(
        {{"p.yaml",
          "defaults:\n  legal_basis: test\n  purposes: [migrant_smuggling]\n"
          "partners:\n"
          "  - partner: at\n    types: [phone, url]\n    scheme: oprf\n"
          "    disclosure: hit_with_contact\n    max_tlp: amber\n"
          "    quota: {items_per_second: 100, burst: 100, items_per_day: 250}\n"
          "  - partner: hu\n    types: [phone, url]\n    scheme: keyed\n"
          "  - partner: cz\n    types: [phone]\n    scheme: oprf\n"}});
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = std::make_unique<policy::PolicyHolder>(std::move(*policy));
    quotas_ = std::make_unique<policy::QuotaKeeper>(policy::MemoryLedger());
    Add("phone", ifed::v1::PHONE, "+4915112345678", ifed::v1::TLP_GREEN);
    Add("url", ifed::v1::URL, "https://example.org/x", ifed::v1::TLP_AMBER);
    Add("red", ifed::v1::PHONE, "+4915100000001", ifed::v1::TLP_RED);       // never visible
    Add("email", ifed::v1::EMAIL, "a@example.org", ifed::v1::TLP_GREEN);   // type not allowed
    const uint8_t seed[32] = {1, 2, 3, 4};
    auto r = OprfResponder::Create(crypto::SecretBytes(absl::MakeConstSpan(seed, 32)),
                                   {.node_id = "de",
                                    .contact = "ops@de.example",
                                    .store = store_.get(),
                                    .sealer = sealer_.get(),
                                    .policy = policy_.get(),
                                    .quotas = quotas_.get(),
                                    .default_budget = {},
                                    .now = [] { return kNow; },
                                    .now_ms = nullptr});
    ASSERT_TRUE(r.ok()) << r.status();
    responder_ = std::move(*r);
    auto q = OprfQuerier::Create(dir_ + "/oprf");
    ASSERT_TRUE(q.ok());
    querier_ = std::move(*q);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Add(const std::string& id, ifed::v1::IndicatorType type, const std::string& canonical,
           ifed::v1::Tlp tlp) {
    store::IngestItem item;
    item.record.set_record_id(id);
    item.record.set_type(type);
    std::string pseudonym = id;  // distinct per record
    pseudonym.resize(32, '.');
    item.record.set_pseudonym(pseudonym);
    item.record.set_epoch(1);
    item.record.set_tlp(tlp);
    item.record.set_first_seen(kNow - 10);
    item.record.set_last_seen(kNow - 10);
    auto sealed = sealer_->Seal(canonical, id);
    ASSERT_TRUE(sealed.ok());
    item.sealed_value = *sealed;
    ASSERT_TRUE(store_->Ingest({item}).ok());
  }

  // Sync as the service would: pin the key, fetch the filter.
  void Sync(const std::string& peer) {
    auto key = responder_->PublicKey(peer);
    ASSERT_TRUE(key.ok()) << key.status();
    bool pinned = false;
    ASSERT_TRUE(querier_->PinKey(peer, *key, &pinned).ok());
    auto f = responder_->Filter(peer);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE(querier_->StoreFilter(peer, (*f)->bytes, (*f)->digest, (*f)->public_key).ok());
  }

  absl::StatusOr<OprfQuerier::Answer> Ask(const std::string& peer,
                                          const std::vector<std::string>& inputs,
                                          std::vector<std::string>* sent = nullptr) {
    ifed::v1::OprfEvaluateRequest req;
    req.set_request_id("r1");
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    return querier_->Query(peer, inputs, req, [&](const ifed::v1::OprfEvaluateRequest& r)
                               -> absl::StatusOr<ifed::v1::OprfEvaluateResponse> {
      if (sent != nullptr) sent->push_back(r.blinded());
      ifed::v1::OprfEvaluateResponse resp;
      absl::Status s = responder_->Evaluate(peer, r, &resp);
      if (!s.ok()) return s;
      return resp;
    });
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<crypto::Sealer> sealer_;
  std::unique_ptr<policy::PolicyHolder> policy_;
  std::unique_ptr<policy::QuotaKeeper> quotas_;
  std::unique_ptr<OprfResponder> responder_;
  std::unique_ptr<OprfQuerier> querier_;
};

TEST_F(OprfServiceTest, HitsExactlyTheVisibleRecords) {
  Sync("at");
  const std::vector<std::string> inputs = {
      OprfInput(IndicatorType::kPhone, "+4915112345678"),
      OprfInput(IndicatorType::kUrl, "https://example.org/x"),
      OprfInput(IndicatorType::kPhone, "+4915100000001"),  // RED
      OprfInput(IndicatorType::kEmail, "a@example.org"),    // type not in rule
      OprfInput(IndicatorType::kPhone, "+4915199999999"),   // not held
      OprfInput(IndicatorType::kUrl, "+4915112345678"),     // wrong type
  };
  auto a = Ask("at", inputs);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->hit, (std::vector<bool>{true, true, false, false, false, false}));
  // Resolve the hits: references and contact per disclosure.
  ifed::v1::ResolveRequest rr;
  rr.set_request_id("r2");
  rr.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  for (size_t i : {0, 1, 4}) rr.mutable_outputs()->append(a->outputs[i].begin(), a->outputs[i].end());
  ifed::v1::ResolveResponse resp;
  ASSERT_TRUE(responder_->Resolve("at", rr, &resp).ok());
  ASSERT_EQ(resp.results_size(), 3);
  EXPECT_EQ(resp.results(0).reference(), "phone");
  EXPECT_EQ(resp.results(0).contact(), "ops@de.example");
  EXPECT_EQ(resp.results(1).reference(), "url");
  EXPECT_EQ(resp.results(2).verdict(), ifed::v1::NO_HIT);
}

TEST_F(OprfServiceTest, BlindedElementsDifferForTheSameValue) {
  Sync("at");
  std::vector<std::string> sent;
  const std::vector<std::string> in = {OprfInput(IndicatorType::kPhone, "+4915112345678")};
  ASSERT_TRUE(Ask("at", in, &sent).ok());
  ASSERT_TRUE(Ask("at", in, &sent).ok());
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(sent[0], sent[1]);
}

TEST_F(OprfServiceTest, KeysArePerPartner) {
  auto at = responder_->PublicKey("at");
  auto cz = responder_->PublicKey("cz");
  ASSERT_TRUE(at.ok() && cz.ok());
  EXPECT_NE(*at, *cz);
  // Outputs under cz's key are not in at's filter.
  Sync("at");
  Sync("cz");
  const std::vector<std::string> in = {OprfInput(IndicatorType::kPhone, "+4915112345678")};
  auto a = Ask("cz", in);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->hit[0]);
  auto fat = responder_->Filter("at");
  auto f = crypto::filter::BinaryFuseFilter::Deserialize((*fat)->bytes);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->Contains(a->outputs[0]));
}

TEST_F(OprfServiceTest, KeyedPartnerAndStrangerGetNothing) {
  for (const char* peer : {"hu", "xx"}) {
    EXPECT_EQ(responder_->PublicKey(peer).status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(responder_->Filter(peer).status().code(), absl::StatusCode::kPermissionDenied);
    ifed::v1::OprfEvaluateRequest req;
    req.set_request_id("r");
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    auto key = responder_->PublicKey("at");
    req.set_blinded(std::string(key->begin(), key->end()));
    ifed::v1::OprfEvaluateResponse resp;
    EXPECT_EQ(responder_->Evaluate(peer, req, &resp).code(), absl::StatusCode::kPermissionDenied);
  }
}

TEST_F(OprfServiceTest, OverBudgetIsResourceExhausted) {
  Sync("at");
  std::vector<std::string> in(100, OprfInput(IndicatorType::kPhone, "+4915112345678"));
  ASSERT_TRUE(Ask("at", in).ok());  // burst 100
  auto over = Ask("at", in);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted) << over.status();
}

TEST_F(OprfServiceTest, MalformedEvaluateIsInvalidArgument) {
  ifed::v1::OprfEvaluateRequest req;
  req.set_request_id("r");
  req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  ifed::v1::OprfEvaluateResponse resp;
  for (std::string b : {std::string(), std::string(32, '\2'), std::string(33, '\0')}) {
    req.set_blinded(b);
    EXPECT_EQ(responder_->Evaluate("at", req, &resp).code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(OprfServiceTest, PinnedKeyChangeIsRefused) {
  auto at = responder_->PublicKey("at");
  auto cz = responder_->PublicKey("cz");
  bool pinned = false;
  ASSERT_TRUE(querier_->PinKey("at", *at, &pinned).ok());
  EXPECT_TRUE(pinned);
  ASSERT_TRUE(querier_->PinKey("at", *at, &pinned).ok());
  EXPECT_FALSE(pinned);
  EXPECT_EQ(querier_->PinKey("at", *cz, &pinned).code(), absl::StatusCode::kPermissionDenied);
  // A filter under another key is refused too.
  auto f = responder_->Filter("cz");
  EXPECT_FALSE(querier_->StoreFilter("at", (*f)->bytes, (*f)->digest, (*f)->public_key).ok());
}

TEST_F(OprfServiceTest, WrongProofIsRejected) {
  Sync("at");
  // The querier pinned at's key; answers made under cz's key must not verify.
  ifed::v1::OprfEvaluateRequest req;
  req.set_request_id("r1");
  req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  auto a = querier_->Query("at", {OprfInput(IndicatorType::kPhone, "+4915112345678")}, req,
                           [&](const ifed::v1::OprfEvaluateRequest& r)
                               -> absl::StatusOr<ifed::v1::OprfEvaluateResponse> {
                             ifed::v1::OprfEvaluateResponse resp;
                             absl::Status s = responder_->Evaluate("cz", r, &resp);
                             if (!s.ok()) return s;
                             return resp;
                           });
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(OprfServiceTest, FilterIsCachedAndRebuiltOnChange) {
  auto f1 = responder_->Filter("at");
  auto f2 = responder_->Filter("at");
  ASSERT_TRUE(f1.ok() && f2.ok());
  EXPECT_EQ(f1->get(), f2->get());
  EXPECT_EQ((*f1)->items, 2u);
  Add("phone2", ifed::v1::PHONE, "+4915122222222", ifed::v1::TLP_GREEN);
  auto f3 = responder_->Filter("at");
  ASSERT_TRUE(f3.ok());
  EXPECT_EQ((*f3)->items, 3u);
  EXPECT_GT((*f3)->generation, (*f1)->generation);
  responder_->Invalidate();
  auto f4 = responder_->Filter("at");
  EXPECT_EQ((*f4)->digest, (*f3)->digest);  // same content, same bytes
  EXPECT_NE(f4->get(), f3->get());
}

TEST_F(OprfServiceTest, QueryWithoutSyncIsFailedPrecondition) {
  auto a = Ask("at", {OprfInput(IndicatorType::kPhone, "+4915112345678")});
  EXPECT_EQ(a.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ifed::federation
