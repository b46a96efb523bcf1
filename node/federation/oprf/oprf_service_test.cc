#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "node/common/status_matchers.h"
#include "node/federation/oprf/oprf_format.h"
#include "node/federation/oprf/oprf_querier.h"
#include "node/federation/oprf/oprf_responder.h"
#include "node/policy/quota.h"

namespace ifed::federation {
namespace {

namespace oprf = crypto::oprf;
using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::HasSubstr;
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
    auto policy = policy::Policy::LoadTexts({{"p.yaml", PolicyText("")}});
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = std::make_unique<policy::PolicyHolder>(std::move(*policy));
    quotas_ = std::make_unique<policy::QuotaKeeper>(policy::MemoryLedger());
    Add("phone", ifed::v1::PHONE, "+4915112345678", ifed::v1::TLP_GREEN);
    Add("url", ifed::v1::URL, "https://example.org/x", ifed::v1::TLP_AMBER);
    Add("red", ifed::v1::PHONE, "+4915100000001", ifed::v1::TLP_RED);       // never visible
    Add("email", ifed::v1::EMAIL, "a@example.org", ifed::v1::TLP_GREEN);   // type not allowed
    StartResponder();
    auto q = OprfQuerier::Create(dir_ + "/oprf");
    ASSERT_TRUE(q.ok());
    querier_ = std::move(*q);
  }
  // A responder on this store (again: as after a restart of the node).
  void StartResponder() {
    const uint8_t seed[32] = {1, 2, 3, 4};
    auto r = OprfResponder::Create(crypto::SecretBytes(absl::MakeConstSpan(seed, 32)),
                                   {.node_id = "de",
                                    .contact = "ops@de.example",
                                    .store = store_.get(),
                                    .sealer = sealer_.get(),
                                    .policy = policy_.get(),
                                    .quotas = quotas_.get(),
                                    .default_budget = {},
                                    .now = [this] { return now_; },
                                    .now_ms = nullptr,
                                    .on_enumeration =
                                        [this](const EnumerationAlert& a) { alerts_.push_back(a); }});
    ASSERT_TRUE(r.ok()) << r.status();
    responder_ = std::move(*r);
  }
  // Partners: at (oprf, small budget), hu (keyed), cz (oprf), and for the
  // enumeration tests pl (block) and sk (alert only): 10/s, burst 50, a
  // 60-second window, threshold 50% of min(10 x 60, 100000) = 300.
  static std::string PolicyText(const std::string& extra) {
    return "defaults:\n  legal_basis: test\n  purposes: [migrant_smuggling]\n"
           "partners:\n"
           "  - partner: at\n    types: [phone, url]\n    scheme: oprf\n"
           "    disclosure: hit_with_contact\n    max_tlp: amber\n"
           "    quota: {items_per_second: 100, burst: 100, items_per_day: 250}\n"
           "  - partner: hu\n    types: [phone, url]\n    scheme: keyed\n"
           "  - partner: cz\n    types: [phone]\n    scheme: oprf\n"
           "  - partner: pl\n    types: [phone]\n    scheme: oprf\n"
           "    quota: {items_per_second: 10, burst: 50, items_per_day: 100000}\n"
           "    enumeration_share: 0.5\n    enumeration_window_seconds: 60\n"
           "    enumeration_block: true\n"
           "  - partner: sk\n    types: [phone]\n    scheme: oprf\n"
           "    quota: {items_per_second: 10, burst: 50, items_per_day: 100000}\n"
           "    enumeration_share: 0.5\n    enumeration_window_seconds: 60\n" +
           extra;
  }

  // `n` evaluations for `peer` (copies of one valid element), straight to the responder.
  absl::Status EvalN(const std::string& peer, size_t n) {
    auto key = responder_->PublicKey("cz");
    if (!key.ok()) return key.status();
    ifed::v1::OprfEvaluateRequest req;
    req.set_request_id("enum");
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    for (size_t i = 0; i < n; ++i) req.mutable_blinded()->append(key->begin(), key->end());
    ifed::v1::OprfEvaluateResponse resp;
    return responder_->Evaluate(peer, req, &resp);
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
  int64_t now_ = kNow;
  std::vector<EnumerationAlert> alerts_;
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
  // The references are at's own tokens for the records, never their ids.
  EXPECT_EQ(*sealer_->ResolveReference("at", resp.results(0).reference()), "phone");
  EXPECT_EQ(resp.results(0).contact(), "ops@de.example");
  EXPECT_EQ(*sealer_->ResolveReference("at", resp.results(1).reference()), "url");
  EXPECT_NE(resp.results(0).reference(), "phone");
  EXPECT_FALSE(sealer_->ResolveReference("hu", resp.results(0).reference()).ok());
  EXPECT_EQ(resp.results(2).verdict(), ifed::v1::NO_HIT);
}

TEST_F(OprfServiceTest, TakedownOnlyPartnerGetsNoKeyAndNoFilter) {
  auto p = policy::Policy::LoadTexts(
      {{"p.yaml", PolicyText("  - partner: ro\n    types: [url]\n    scheme: oprf\n"
                             "    purposes: [takedown_deconfliction]\n")}});
  ASSERT_TRUE(p.ok()) << p.status();
  policy_->Set(*p);
  auto key = responder_->PublicKey("ro");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(key.status().message().find("takedown_deconfliction serves Deconflict only"),
            std::string::npos)
      << key.status();
  EXPECT_EQ(responder_->Filter("ro").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(responder_->PublicKey("at").ok());  // the others as before.
}

TEST_F(OprfServiceTest, TakedownDeconflictionIsNotAnOprfPurpose) {
  Sync("at");
  const std::vector<std::string> inputs = {OprfInput(IndicatorType::kPhone, "+4915112345678")};
  auto a = Ask("at", inputs);
  ASSERT_TRUE(a.ok()) << a.status();
  ifed::v1::ResolveRequest rr;
  rr.set_request_id("r3");
  rr.set_purpose(ifed::v1::TAKEDOWN_DECONFLICTION);
  rr.mutable_outputs()->append(a->outputs[0].begin(), a->outputs[0].end());
  ifed::v1::ResolveResponse resp;
  absl::Status s = responder_->Resolve("at", rr, &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("not accepted by Resolve"), std::string::npos) << s;
  EXPECT_EQ(resp.results_size(), 0);
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

// Calls relayed by a hub (here "cz" plays the hub) on behalf of
// a querier: the querier's key and budget, our rules for the querier and for
// the hub (no rule for the querier: nothing); a record "not for" the hub is
// left out.
TEST_F(OprfServiceTest, RelayedCallsUseTheQueriersKeyBudgetAndRule) {
  // xx has no rule: nothing, whatever the hub's rule (relays widen nothing).
  EXPECT_EQ(responder_->PublicKey("xx").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(responder_->PublicKey("xx", "cz").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(responder_->Filter("xx", "cz").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(responder_->views(), 0u) << "no filter for a name without a rule";
  // at has a rule: the same key as directly; the filter holds what both
  // rules allow (cz's: phone only, green), not at's url at amber.
  EXPECT_EQ(*responder_->PublicKey("at", "cz"), *responder_->PublicKey("at"));
  auto relayed = responder_->Filter("at", "cz");
  ASSERT_TRUE(relayed.ok()) << relayed.status();
  EXPECT_EQ((*responder_->Filter("at"))->items, 2u);
  EXPECT_EQ((*relayed)->items, 1u);
  // hu's own rule is keyed: refused even through an oprf hub.
  EXPECT_EQ(responder_->PublicKey("hu", "cz").status().code(),
            absl::StatusCode::kPermissionDenied);
  // One budget per querier: 100 through the hub, then at is over it directly.
  ifed::v1::OprfEvaluateRequest req;
  req.set_request_id("relayed");
  req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  const auto key = *responder_->PublicKey("at");
  for (int i = 0; i < 100; ++i) req.mutable_blinded()->append(key.begin(), key.end());
  ifed::v1::OprfEvaluateResponse resp;
  EXPECT_TRUE(responder_->Evaluate("at", req, &resp, "cz").ok());
  req.set_blinded(std::string(key.begin(), key.end()));
  EXPECT_EQ(responder_->Evaluate("at", req, &resp).code(), absl::StatusCode::kResourceExhausted);
  // A record not for the hub is in at's direct filter only.
  store::IngestItem item;
  item.record.set_record_id("nothub");
  item.record.set_type(ifed::v1::PHONE);
  item.record.set_pseudonym(std::string(32, 'n'));
  item.record.set_epoch(1);
  item.record.set_tlp(ifed::v1::TLP_GREEN);
  item.record.add_not_for("cz");
  item.sealed_value = *sealer_->Seal("+4915112349999", "nothub");
  ASSERT_TRUE(store_->Ingest({item}).ok());
  EXPECT_EQ((*responder_->Filter("at"))->items, 3u);
  EXPECT_EQ((*responder_->Filter("at", "cz"))->items, 1u);
}

// Filters kept for queriers through a hub are bounded: past
// max_relayed_views the least recently built one goes.
TEST_F(OprfServiceTest, RelayedFiltersAreBounded) {
  responder_->max_relayed_views = 1;
  ASSERT_TRUE(responder_->Filter("at", "cz").ok());
  EXPECT_EQ(responder_->views(), 1u);
  ASSERT_TRUE(responder_->Filter("pl", "cz").ok());
  ASSERT_TRUE(responder_->Filter("sk", "cz").ok());
  EXPECT_EQ(responder_->views(), 1u);
  ASSERT_TRUE(responder_->Filter("at").ok());  // a direct partner's is not counted
  EXPECT_EQ(responder_->views(), 2u);
  ASSERT_TRUE(responder_->Filter("at", "cz").ok());  // rebuilt when asked again
  EXPECT_EQ(responder_->views(), 2u);
}

// The hub's fan-out: one blinded batch, each member's answer verified under
// its own pinned key; answers swapped between members fail verification.
TEST_F(OprfServiceTest, FanOutVerifiesEachMemberUnderItsOwnKey) {
  for (const char* member : {"at", "cz"}) {
    auto key = responder_->PublicKey(member);
    bool pinned = false;
    ASSERT_TRUE(querier_->PinKey(std::string("hub/") + member, *key, &pinned).ok());
    auto f = responder_->Filter(member);
    ASSERT_TRUE(querier_->StoreFilter(std::string("hub/") + member, (*f)->bytes, (*f)->digest,
                                      (*f)->public_key)
                    .ok());
  }
  const std::vector<std::string> in = {OprfInput(IndicatorType::kPhone, "+4915112345678"),
                                       OprfInput(IndicatorType::kPhone, "+4915199999999"),
                                       OprfInput(IndicatorType::kUrl, "https://example.org/x")};
  auto ask = [&](bool swap) {
    ifed::v1::OprfEvaluateRequest req;
    req.set_request_id("fan");
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    size_t batches = 0;
    auto out = querier_->QueryMany(
        {"hub/at", "hub/cz"}, {"at", "cz"}, in, req,
        [&](const ifed::v1::OprfEvaluateRequest& r)
            -> absl::StatusOr<ifed::v1::OprfEvaluateResponse> {
          ifed::v1::OprfEvaluateResponse all;
          for (const char* member : {"at", "cz"}) {
            ifed::v1::OprfEvaluateResponse one;
            EXPECT_TRUE(responder_->Evaluate(member, r, &one).ok());
            auto* m = all.add_members();
            m->set_member(swap ? (member[0] == 'a' ? "cz" : "at") : member);
            m->set_status(ifed::v1::MEMBER_ANSWERED);
            m->set_evaluated(one.evaluated());
            m->set_proof(one.proof());
          }
          return all;
        },
        2, &batches);
    EXPECT_EQ(batches, swap ? 1u : 2u);  // 3 inputs in batches of 2; stops when all failed
    return out;
  };
  auto ok = ask(false);
  ASSERT_EQ(ok.size(), 2u);
  ASSERT_TRUE(ok[0].ok()) << ok[0].status();
  ASSERT_TRUE(ok[1].ok()) << ok[1].status();
  EXPECT_EQ(ok[0]->hit, (std::vector<bool>{true, false, true}));  // at: phone and url
  EXPECT_EQ(ok[1]->hit, (std::vector<bool>{true, false, false}));  // cz: phone only
  EXPECT_NE(ok[0]->outputs[0], ok[1]->outputs[0]);
  auto swapped = ask(true);
  EXPECT_EQ(swapped[0].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(swapped[1].status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(OprfServiceTest, QuerierKeepsMembersThroughTheHubApart) {
  Sync("at");
  auto key = responder_->PublicKey("at");
  bool pinned = false;
  ASSERT_TRUE(querier_->PinKey("hub/at", *key, &pinned).ok());
  EXPECT_TRUE(pinned);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/oprf/hub~at.pub"));
  EXPECT_EQ(querier_->RelayedPeers("hub"), std::vector<std::string>{"hub/at"});
  EXPECT_TRUE(querier_->RelayedPeers("at").empty());
  // Its filter is its own: none yet, though "at" has one.
  EXPECT_EQ(querier_->FilterDigest("hub/at").status().code(), absl::StatusCode::kNotFound);
  for (const char* bad : {"hub/", "/at", "hub/at/x", "Hub/at", "hub~at"}) {
    EXPECT_EQ(querier_->PinnedKey(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
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

// The budget is charged only for a batch whose every element is a valid
// point: 99 good elements and one malformed are refused and cost nothing,
// so the full burst (100) is still there for a valid batch.
TEST_F(OprfServiceTest, MalformedBatchChargesNoBudget) {
  const auto key = *responder_->PublicKey("at");
  ifed::v1::OprfEvaluateRequest req;
  req.set_request_id("r");
  req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  ifed::v1::OprfEvaluateResponse resp;
  for (std::string bad : {std::string(33, '\0'), std::string(1, '\4') + std::string(32, '\1'),
                          std::string(1, '\2') + std::string(32, '\xff')}) {
    req.clear_blinded();
    for (int i = 0; i < 99; ++i) req.mutable_blinded()->append(key.begin(), key.end());
    req.mutable_blinded()->append(bad);
    absl::Status s = responder_->Evaluate("at", req, &resp);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_NE(s.message().find("blinded element 99"), std::string::npos) << s;
  }
  req.clear_blinded();
  for (int i = 0; i < 100; ++i) req.mutable_blinded()->append(key.begin(), key.end());
  absl::Status ok = responder_->Evaluate("at", req, &resp);
  EXPECT_TRUE(ok.ok()) << ok;
  EXPECT_EQ(resp.evaluated().size(), 100u * oprf::kElementSize);
  // Now the burst is spent: the next valid element is over budget.
  req.set_blinded(std::string(key.begin(), key.end()));
  EXPECT_EQ(responder_->Evaluate("at", req, &resp).code(), absl::StatusCode::kResourceExhausted);
}

// Evaluate and Resolve say request_id is 1-128 printable characters: an
// empty one is refused like a too long one.
TEST_F(OprfServiceTest, EmptyOrOverlongRequestIdIsInvalidArgument) {
  const auto key = *responder_->PublicKey("at");
  for (const std::string& id : {std::string(), std::string(129, 'r'), std::string("a b")}) {
    ifed::v1::OprfEvaluateRequest req;
    req.set_request_id(id);
    req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    req.set_blinded(std::string(key.begin(), key.end()));
    ifed::v1::OprfEvaluateResponse resp;
    absl::Status s = responder_->Evaluate("at", req, &resp);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << id.size();
    EXPECT_NE(s.message().find("request_id"), std::string::npos) << s;
    ifed::v1::ResolveRequest rr;
    rr.set_request_id(id);
    rr.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    rr.set_outputs(std::string(32, 'o'));
    ifed::v1::ResolveResponse rresp;
    EXPECT_EQ(responder_->Resolve("at", rr, &rresp).code(), absl::StatusCode::kInvalidArgument);
  }
  ifed::v1::OprfEvaluateRequest req;
  req.set_request_id(std::string(128, 'r'));
  req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  req.set_blinded(std::string(key.begin(), key.end()));
  ifed::v1::OprfEvaluateResponse resp;
  EXPECT_TRUE(responder_->Evaluate("at", req, &resp).ok());
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
                             // A responder that ignores the key named and
                             // answers under another one.
                             ifed::v1::OprfEvaluateRequest other = r;
                             other.clear_public_key();
                             ifed::v1::OprfEvaluateResponse resp;
                             absl::Status s = responder_->Evaluate("cz", other, &resp);
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

// Enumeration: 50 evaluations every 5 s is 600 a minute, the full
// per-second budget; the 7th call crosses 300 (50% of 600) in the window.
TEST_F(OprfServiceTest, SustainedVolumeIsBlockedWhenThePolicySaysSo) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(EvalN("pl", 50).ok()) << i;
    now_ += 5;
  }
  EXPECT_TRUE(alerts_.empty());
  absl::Status s = EvalN("pl", 50);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_NE(s.message().find("enumeration"), absl::string_view::npos);
  ASSERT_EQ(alerts_.size(), 1u);
  EXPECT_EQ(alerts_[0].peer, "pl");
  EXPECT_EQ(alerts_[0].evaluations, 350u);
  EXPECT_EQ(alerts_[0].budget, 600u);
  EXPECT_EQ(alerts_[0].window_s, 60u);
  EXPECT_TRUE(alerts_[0].blocked);
  // Blocked: even one evaluation, even after the window has passed; no new alert.
  now_ += 600;
  EXPECT_EQ(EvalN("pl", 1).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(alerts_.size(), 1u);
  // Other partners are not affected.
  EXPECT_TRUE(EvalN("sk", 1).ok());
  // The block outlives a restart of the node.
  responder_.reset();
  StartResponder();
  EXPECT_EQ(EvalN("pl", 1).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(store_->GetMeta("oprf/block/pl").ok());
  // The administrator reviews and reloads the policy: served again.
  auto p2 = policy::Policy::LoadTexts({{"p.yaml", PolicyText("    note: reviewed\n")}});
  ASSERT_TRUE(p2.ok()) << p2.status();
  policy_->Set(std::move(*p2));
  EXPECT_TRUE(EvalN("pl", 1).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetMeta("oprf/block/pl").status()));
  responder_.reset();
  StartResponder();
  EXPECT_TRUE(EvalN("pl", 1).ok());
}

TEST_F(OprfServiceTest, SustainedVolumeAlertsOnceWithoutBlock) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(EvalN("sk", 50).ok()) << i;
    now_ += 5;
  }
  EXPECT_TRUE(alerts_.empty());
  EXPECT_TRUE(EvalN("sk", 50).ok());  // crosses: alert, still answered
  ASSERT_EQ(alerts_.size(), 1u);
  EXPECT_FALSE(alerts_[0].blocked);
  EXPECT_EQ(alerts_[0].evaluations, 350u);
  now_ += 5;
  EXPECT_TRUE(EvalN("sk", 50).ok());  // same window: no second alert
  EXPECT_EQ(alerts_.size(), 1u);
}

TEST_F(OprfServiceTest, VolumeUnderTheThresholdRaisesNothing) {
  // 250 in the window (under 300), then the window slides: 50 every 12 s
  // keeps 250 in any 60 s; the quota is never exceeded either.
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(EvalN("pl", 50).ok()) << i;
    now_ += 12;
  }
  EXPECT_TRUE(alerts_.empty());
  // A partner whose rule turns detection off (share 0) is never flagged.
  auto p2 = policy::Policy::LoadTexts(
      {{"p.yaml", PolicyText("").replace(PolicyText("").find("enumeration_share: 0.5"),
                                         std::string("enumeration_share: 0.5").size(),
                                         "enumeration_share: 0")}});
  ASSERT_TRUE(p2.ok()) << p2.status();
  policy_->Set(std::move(*p2));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(EvalN("pl", 50).ok()) << i;
    now_ += 5;
  }
  EXPECT_TRUE(alerts_.empty());
}

TEST_F(OprfServiceTest, QueriesOverTheBatchSizeAreSplit) {
  Sync("cz");
  std::vector<std::string> in;
  for (int i = 0; i < 25; ++i) in.push_back(OprfInput(IndicatorType::kPhone, "+49151000" + std::to_string(10000 + i)));
  in[17] = OprfInput(IndicatorType::kPhone, "+4915112345678");  // held
  std::vector<size_t> sizes;
  ifed::v1::OprfEvaluateRequest req;
  req.set_request_id("big");
  req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  size_t batches = 0;
  auto a = querier_->Query(
      "cz", in, req,
      [&](const ifed::v1::OprfEvaluateRequest& r) -> absl::StatusOr<ifed::v1::OprfEvaluateResponse> {
        sizes.push_back(r.blinded().size() / oprf::kElementSize);
        ifed::v1::OprfEvaluateResponse resp;
        absl::Status s = responder_->Evaluate("cz", r, &resp);
        if (!s.ok()) return s;
        return resp;
      },
      10, &batches);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(sizes, (std::vector<size_t>{10, 10, 5}));
  EXPECT_EQ(batches, 3u);
  ASSERT_EQ(a->hit.size(), 25u);
  for (size_t i = 0; i < a->hit.size(); ++i) EXPECT_EQ(a->hit[i], i == 17) << i;
  // A failing batch fails the whole query (nothing partial is shown).
  int calls = 0;
  auto b = querier_->Query(
      "cz", in, req,
      [&](const ifed::v1::OprfEvaluateRequest& r) -> absl::StatusOr<ifed::v1::OprfEvaluateResponse> {
        if (++calls == 2) return absl::ResourceExhaustedError("over quota");
        ifed::v1::OprfEvaluateResponse resp;
        absl::Status s = responder_->Evaluate("cz", r, &resp);
        if (!s.ok()) return s;
        return resp;
      },
      10, &batches);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kResourceExhausted);
}

// Applies what responder_->Sync gives to `q` as the admin service does.
absl::Status ApplyUpdate(OprfQuerier& q, const std::string& peer, const FilterUpdate& u) {
  const FilterSnapshot& f = *u.snapshot;
  if (!u.delta) return q.StoreFilter(peer, f.bytes, f.digest, f.public_key, f.log_id, f.generation);
  std::string data;
  for (const auto& k : u.added) data.append(k.begin(), k.end());
  for (const auto& k : u.removed) data.append(k.begin(), k.end());
  if (data.empty()) return absl::OkStatus();
  return q.ApplyDelta(peer, f.log_id, u.since_version, f.generation, f.public_key, data,
                      u.added.size(), u.removed.size(),
                      DeltaDigest(f.log_id, u.since_version, f.generation, data),
                      std::string(f.digest.begin(), f.digest.end()));
}

TEST_F(OprfServiceTest, FilterSyncSendsDeltasOfAdditionsAndRemovals) {
  auto key = responder_->PublicKey("at");
  bool pinned = false;
  ASSERT_TRUE(querier_->PinKey("at", *key, &pinned).ok());
  auto u0 = responder_->Sync("at", 0, "");
  ASSERT_TRUE(u0.ok()) << u0.status();
  EXPECT_FALSE(u0->delta);
  ASSERT_TRUE(ApplyUpdate(*querier_, "at", *u0).ok());
  auto pos = querier_->SyncPosition("at");
  EXPECT_EQ(pos.version, u0->snapshot->generation);
  EXPECT_EQ(pos.log_id, u0->snapshot->log_id);
  // Nothing changed: an empty delta at the same version.
  auto same = responder_->Sync("at", pos.version, pos.log_id);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->delta);
  EXPECT_TRUE(same->added.empty() && same->removed.empty());
  EXPECT_EQ(same->snapshot->generation, pos.version);

  const std::string kNew = OprfInput(IndicatorType::kPhone, "+4915122222222");
  const std::string kOld = OprfInput(IndicatorType::kPhone, "+4915112345678");
  Add("phone2", ifed::v1::PHONE, "+4915122222222", ifed::v1::TLP_GREEN);
  ASSERT_TRUE(store_->Remove({std::string("phone")}, nullptr,
                             [](const store::Store::RemoveResult&) {
                               return absl::StatusOr<store::Store::AuditEntries>(store::Store::AuditEntries{});
                             }).ok());
  responder_->Invalidate();
  auto u1 = responder_->Sync("at", pos.version, pos.log_id);
  ASSERT_TRUE(u1.ok()) << u1.status();
  ASSERT_TRUE(u1->delta);
  EXPECT_EQ(u1->since_version, pos.version);
  EXPECT_EQ(u1->snapshot->generation, pos.version + 1);
  EXPECT_EQ(u1->added.size(), 1u);
  EXPECT_EQ(u1->removed.size(), 1u);
  // Tampered or out-of-order deltas change nothing.
  {
    std::string data(u1->added[0].begin(), u1->added[0].end());
    data.append(u1->removed[0].begin(), u1->removed[0].end());
    const FilterSnapshot& f = *u1->snapshot;
    auto good = DeltaDigest(f.log_id, u1->since_version, f.generation, data);
    std::string flipped = data;
    flipped[5] ^= 1;
    EXPECT_EQ(querier_->ApplyDelta("at", f.log_id, u1->since_version, f.generation, f.public_key,
                                   flipped, 1, 1, good).code(),
              absl::StatusCode::kDataLoss);
    EXPECT_EQ(querier_->ApplyDelta("at", f.log_id, u1->since_version, f.generation, f.public_key,
                                   data, 2, 1, good).code(),
              absl::StatusCode::kDataLoss);
    EXPECT_EQ(querier_->ApplyDelta("at", f.log_id, u1->since_version + 7, f.generation + 7,
                                   f.public_key, data, 1, 1,
                                   DeltaDigest(f.log_id, u1->since_version + 7, f.generation + 7,
                                               data)).code(),
              absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_NE(u1->snapshot->digest, u0->snapshot->digest);
  EXPECT_EQ(*querier_->FilterDigest("at"), u0->snapshot->digest);
  // A bad whole-filter digest is refused with the rest.
  {
    std::string data(u1->added[0].begin(), u1->added[0].end());
    data.append(u1->removed[0].begin(), u1->removed[0].end());
    const FilterSnapshot& f = *u1->snapshot;
    EXPECT_EQ(querier_->ApplyDelta("at", f.log_id, u1->since_version, f.generation, f.public_key,
                                   data, 1, 1,
                                   DeltaDigest(f.log_id, u1->since_version, f.generation, data),
                                   "short").code(),
              absl::StatusCode::kDataLoss);
  }
  ASSERT_TRUE(ApplyUpdate(*querier_, "at", *u1).ok());
  // The filter held in effect is named by the responder's digest of it, the
  // one a fresh snapshot would carry.
  EXPECT_EQ(*querier_->FilterDigest("at"), u1->snapshot->digest);
  EXPECT_EQ(querier_->SyncPosition("at").digest, u0->snapshot->digest);
  auto a = Ask("at", {kNew, kOld});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->hit, (std::vector<bool>{true, false}));
  // Kept on disk: a new querier on the same directory sees the same.
  auto q2 = OprfQuerier::Create(dir_ + "/oprf");
  ASSERT_TRUE(q2.ok());
  querier_ = std::move(*q2);
  EXPECT_EQ(querier_->SyncPosition("at").version, u1->snapshot->generation);
  EXPECT_EQ(*querier_->FilterDigest("at"), u1->snapshot->digest);
  auto b = Ask("at", {kNew, kOld});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->hit, (std::vector<bool>{true, false}));
  // A version the log no longer reaches back to, or another log: a snapshot.
  responder_->max_log_entries = 1;
  Add("phone3", ifed::v1::PHONE, "+4915133333333", ifed::v1::TLP_GREEN);
  auto u2 = responder_->Sync("at", u1->snapshot->generation, u1->snapshot->log_id);
  ASSERT_TRUE(u2.ok());
  EXPECT_TRUE(u2->delta);  // one step back is still in the log
  auto old = responder_->Sync("at", pos.version, pos.log_id);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->delta);
  auto other = responder_->Sync("at", u1->snapshot->generation, "another-log");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->delta);
}

// The querier asks for a snapshot again once its delta sets outgrow
// max(1024, snapshot/8); a delta under another key is refused.
TEST_F(OprfServiceTest, GrownDeltasAskForASnapshot) {
  Sync("at");
  auto u0 = responder_->Sync("at", 0, "");
  ASSERT_TRUE(u0.ok());
  ASSERT_TRUE(ApplyUpdate(*querier_, "at", *u0).ok());
  const FilterSnapshot& f = *u0->snapshot;
  std::string data;
  uint64_t state = 42;
  for (int i = 0; i < 1025 * 32; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    data.push_back(static_cast<char>(state >> 56));
  }
  const uint64_t v = f.generation;
  auto cz = responder_->PublicKey("cz");
  EXPECT_EQ(querier_->ApplyDelta("at", f.log_id, v, v + 1, *cz, data, 1025, 0,
                                 DeltaDigest(f.log_id, v, v + 1, data)).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(querier_->ApplyDelta("at", f.log_id, v, v + 1, f.public_key, data, 1025, 0,
                                   DeltaDigest(f.log_id, v, v + 1, data)).ok());
  auto pos = querier_->SyncPosition("at");
  EXPECT_TRUE(pos.digest.has_value());
  EXPECT_EQ(pos.version, 0u) << "1025 changes on a 2-item snapshot: time for a snapshot";
  EXPECT_TRUE(pos.log_id.empty());
}

class OprfRotationTest : public OprfServiceTest {
 protected:
  std::unique_ptr<OprfResponder> Rotating(int64_t at, int64_t overlap = 0) {
    const uint8_t s1[32] = {1, 2, 3, 4};
    const uint8_t s2[32] = {5, 6, 7, 8};
    std::map<uint32_t, crypto::SecretBytes> seeds;
    seeds.emplace(1, crypto::SecretBytes(absl::MakeConstSpan(s1, 32)));
    seeds.emplace(2, crypto::SecretBytes(absl::MakeConstSpan(s2, 32)));
    auto r = OprfResponder::Create(
        std::move(seeds), at,
        {.node_id = "de",
         .store = store_.get(),
         .sealer = sealer_.get(),
         .policy = policy_.get(),
         .now = [this] { return now_; },
         .previous_key_overlap_s = overlap,
         .on_key_retired = [this](uint32_t e) { retired_.push_back(e); }});
    EXPECT_TRUE(r.ok()) << r.status();
    return std::move(*r);
  }
  // Resolves `outputs` at the responder: the verdicts.
  std::vector<ifed::v1::Verdict> ResolveAll(const std::vector<oprf::Output>& outputs) {
    ifed::v1::ResolveRequest rr;
    rr.set_request_id("r2");
    rr.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
    for (const auto& o : outputs) rr.mutable_outputs()->append(o.begin(), o.end());
    ifed::v1::ResolveResponse resp;
    std::vector<ifed::v1::Verdict> out;
    if (!responder_->Resolve("at", rr, &resp).ok()) return out;
    for (const auto& r : resp.results()) out.push_back(r.verdict());
    return out;
  }
  std::vector<uint32_t> retired_;
};

TEST_F(OprfRotationTest, AnnouncedKeyChangeIsAcceptedAndFiltersReDerived) {
  auto old_key = responder_->PublicKey("at");  // seed epoch 1 only
  responder_ = Rotating(kNow + 100);
  auto k = responder_->Keys("at");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->current, *old_key) << "epoch 1 keeps the key partners pinned";
  EXPECT_EQ(k->epoch, 1u);
  ASSERT_TRUE(k->next.has_value());
  EXPECT_EQ(k->next_epoch, 2u);
  EXPECT_EQ(k->next_activation, kNow + 100);
  EXPECT_NE(*k->next, k->current);
  auto c = querier_->CheckKey("at", k->current, k->next, k->next_activation);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, OprfQuerier::KeyChange::kPinned);
  auto u = responder_->Sync("at", 0, "");
  ASSERT_TRUE(ApplyUpdate(*querier_, "at", *u).ok());
  const std::vector<std::string> in = {OprfInput(IndicatorType::kPhone, "+4915112345678")};
  ASSERT_TRUE(Ask("at", in).ok());
  EXPECT_FALSE(querier_->RotationDue("at", now_));
  now_ += 100;  // activation
  EXPECT_TRUE(querier_->RotationDue("at", now_));
  // No overlap: the old key is refused at once, with what to do.
  auto refused = Ask("at", in);
  EXPECT_THAT(refused.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("sync the filter")));
  EXPECT_EQ(retired_, std::vector<uint32_t>{1});
  auto k2 = responder_->Keys("at");
  ASSERT_TRUE(k2.ok());
  EXPECT_EQ(k2->current, *k->next);
  EXPECT_EQ(k2->epoch, 2u);
  EXPECT_FALSE(k2->next.has_value());
  auto c2 = querier_->CheckKey("at", k2->current, k2->next, 0);
  ASSERT_TRUE(c2.ok()) << c2.status();
  EXPECT_EQ(*c2, OprfQuerier::KeyChange::kRotated);
  EXPECT_EQ(*querier_->PinnedKey("at"), k2->current);
  EXPECT_FALSE(querier_->RotationDue("at", now_));
  // The old filter is gone; the new one is under the new key (a new log).
  EXPECT_EQ(Ask("at", in).status().code(), absl::StatusCode::kFailedPrecondition);
  auto u2 = responder_->Sync("at", u->snapshot->generation, u->snapshot->log_id);
  ASSERT_TRUE(u2.ok());
  EXPECT_FALSE(u2->delta);
  EXPECT_EQ(u2->snapshot->public_key, k2->current);
  ASSERT_TRUE(ApplyUpdate(*querier_, "at", *u2).ok());
  auto a = Ask("at", in);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->hit[0]);
}

TEST_F(OprfRotationTest, UnannouncedKeyChangeIsRefusedAndThePinKept) {
  auto k1 = responder_->Keys("at");
  ASSERT_TRUE(k1.ok());
  ASSERT_FALSE(k1->next.has_value());
  ASSERT_TRUE(querier_->CheckKey("at", k1->current, std::nullopt, 0).ok());
  responder_ = Rotating(0);  // epoch 2 at once, never announced
  auto k2 = responder_->Keys("at");
  ASSERT_TRUE(k2.ok());
  ASSERT_NE(k2->current, k1->current);
  auto c = querier_->CheckKey("at", k2->current, std::nullopt, 0);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(c.status().message().find("not announced"), absl::string_view::npos);
  EXPECT_EQ(*querier_->PinnedKey("at"), k1->current);
  // A key announced for another partner's rotation does not count either:
  // only the exact announced key is accepted.
  ASSERT_TRUE(querier_->CheckKey("at", k1->current, k1->current, kNow).ok());
  EXPECT_FALSE(querier_->CheckKey("at", k2->current, std::nullopt, 0).ok());
}

TEST_F(OprfRotationTest, PreviousKeyAnswersForTheOverlapThenIsRetired) {
  constexpr int64_t kOverlap = 3600;
  responder_ = Rotating(kNow + 100, kOverlap);
  auto k = responder_->Keys("at");
  ASSERT_THAT(k.status(), IsOk());
  ASSERT_THAT(querier_->CheckKey("at", k->current, k->next, k->next_activation).status(), IsOk());
  auto u = responder_->Sync("at", 0, "");
  ASSERT_THAT(u.status(), IsOk());
  ASSERT_THAT(ApplyUpdate(*querier_, "at", *u), IsOk());
  const std::vector<std::string> in = {OprfInput(IndicatorType::kPhone, "+4915112345678"),
                                       OprfInput(IndicatorType::kPhone, "+4915199999999")};
  EXPECT_EQ(responder_->PreviousKey().first, 0u) << "no previous key before the rotation";
  now_ = kNow + 100;  // the rotation takes over; this querier does not sync again
  EXPECT_EQ(responder_->PreviousKey(), std::make_pair(1u, kNow + 100 + kOverlap));
  std::vector<std::string> sent;
  auto a = Ask("at", in, &sent);
  ASSERT_THAT(a.status(), IsOk()) << "the previous key still answers in the overlap";
  EXPECT_EQ(a->hit, (std::vector<bool>{true, false}));
  EXPECT_EQ(ResolveAll({a->outputs[0], a->outputs[1]}),
            (std::vector<ifed::v1::Verdict>{ifed::v1::HIT, ifed::v1::NO_HIT}))
      << "outputs under the previous key resolve in the overlap";
  // The response names the epoch that answered; the key in use answers
  // a request that names it (or none).
  ifed::v1::OprfEvaluateRequest req;
  req.set_request_id("e");
  req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  req.set_blinded(sent[0]);
  req.set_public_key(std::string(k->current.begin(), k->current.end()));
  ifed::v1::OprfEvaluateResponse resp;
  ASSERT_THAT(responder_->Evaluate("at", req, &resp), IsOk());
  EXPECT_EQ(resp.key_epoch(), 1u);
  req.set_public_key(std::string(k->next->begin(), k->next->end()));
  ASSERT_THAT(responder_->Evaluate("at", req, &resp), IsOk());
  EXPECT_EQ(resp.key_epoch(), 2u);
  req.clear_public_key();
  ASSERT_THAT(responder_->Evaluate("at", req, &resp), IsOk());
  EXPECT_EQ(resp.key_epoch(), 2u);
  // A key of another partner, and a malformed one, are refused.
  auto cz = responder_->PublicKey("cz");
  req.set_public_key(std::string(cz->begin(), cz->end()));
  EXPECT_THAT(responder_->Evaluate("at", req, &resp),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  req.set_public_key("short");
  EXPECT_THAT(responder_->Evaluate("at", req, &resp),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Not destroyed before the end of the overlap.
  now_ = kNow + 100 + kOverlap - 1;
  EXPECT_THAT(Ask("at", in).status(), IsOk());
  EXPECT_TRUE(responder_->RetireKeys().empty());
  EXPECT_TRUE(retired_.empty());
  // After it: refused with what to do, the seed destroyed (once), and the
  // old outputs no longer resolve.
  now_ = kNow + 100 + kOverlap;
  EXPECT_EQ(responder_->RetireKeys(), std::vector<uint32_t>{1});
  EXPECT_EQ(retired_, std::vector<uint32_t>{1});
  EXPECT_TRUE(responder_->RetireKeys().empty());
  EXPECT_THAT(Ask("at", in).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("ifedctl filters sync")));
  EXPECT_EQ(ResolveAll({a->outputs[0]}), std::vector<ifed::v1::Verdict>{ifed::v1::NO_HIT});
  // Syncing again (the new key) matches.
  auto k2 = responder_->Keys("at");
  ASSERT_THAT(querier_->CheckKey("at", k2->current, k2->next, 0).status(), IsOk());
  auto u2 = responder_->Sync("at", 0, "");
  ASSERT_THAT(ApplyUpdate(*querier_, "at", *u2), IsOk());
  auto b = Ask("at", in);
  ASSERT_THAT(b.status(), IsOk());
  EXPECT_EQ(b->hit, (std::vector<bool>{true, false}));
  EXPECT_EQ(ResolveAll({b->outputs[0]}), std::vector<ifed::v1::Verdict>{ifed::v1::HIT});
}

TEST_F(OprfRotationTest, ARestartAfterTheOverlapDestroysThePreviousSeed) {
  now_ = kNow + 7200;
  responder_ = Rotating(kNow, 3600);  // started after the overlap of a past rotation
  EXPECT_EQ(responder_->PreviousKey().first, 0u);
  auto k = responder_->Keys("at");
  ASSERT_THAT(k.status(), IsOk());
  EXPECT_EQ(k->epoch, 2u);
  EXPECT_TRUE(retired_.empty()) << "destroyed at start, not reported as a run-time retirement";
  // Started inside the overlap: the previous key is kept until its end.
  now_ = kNow + 10;
  responder_ = Rotating(kNow, 3600);
  EXPECT_EQ(responder_->PreviousKey().first, 1u);
  EXPECT_TRUE(responder_->RetireKeys().empty());
}

}  // namespace
}  // namespace ifed::federation
