// DeconflictManager against a fake transport: held if any form of an item
// is held, a partner our policy refuses is never asked (a peer error
// instead), a hub's answer becomes one row per member, a short answer is a
// peer error, and bad input is refused before anything is sent.
#include "node/query/deconflict_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "node/common/status_matchers.h"

namespace ifed::query {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kNow = 2000000000;

class FakeTransport : public DeconflictTransport {
 public:
  bool IsHub(const std::string& peer) const override { return peer == "hub"; }
  absl::Status SignForHub(const std::string&, ifed::v1::DeconflictRequest*) override {
    ++signed_;
    return absl::OkStatus();
  }
  absl::StatusOr<ifed::v1::DeconflictResponse> Deconflict(
      const std::string& peer, const ifed::v1::DeconflictRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    asked[peer] = request;
    auto it = answers.find(peer);
    if (it == answers.end()) return absl::UnavailableError("no answer");
    return it->second;
  }
  std::map<std::string, absl::StatusOr<ifed::v1::DeconflictResponse>> answers;
  std::map<std::string, ifed::v1::DeconflictRequest> asked;
  int signed_ = 0;

 private:
  std::mutex mu_;
};

// An answer of `n` results, the ones in `held` HOLD_HELD.
ifed::v1::DeconflictResponse Answer(int n, const std::vector<int>& held) {
  ifed::v1::DeconflictResponse a;
  for (int i = 0; i < n; ++i) {
    auto* r = a.add_results();
    r->set_status(std::find(held.begin(), held.end(), i) != held.end() ? ifed::v1::HOLD_HELD
                                                                       : ifed::v1::HOLD_CLEAR);
  }
  return a;
}

class DeconflictManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto n = normalize::Normalizer::Create();
    ASSERT_TRUE(n.ok()) << n.status();
    normalizer_ = std::move(*n);
    auto k = crypto::KeyedPseudonymizer::Create(
        {{1, crypto::SecretBytes(std::vector<uint8_t>(32, 3))}});
    ASSERT_TRUE(k.ok()) << k.status();
    keys_ = std::move(*k);
    auto p = policy::Policy::LoadTexts(
        {{"at.yaml",
          "partners:\n  - partner: at\n    legal_basis: t\n    types: [url, handle]\n"
          "    purposes: [takedown_deconfliction]\n"},
         {"hu.yaml",
          "partners:\n  - partner: hu\n    legal_basis: t\n    types: [url, handle]\n"
          "    purposes: [migrant_smuggling]\n"}});
    ASSERT_TRUE(p.ok()) << p.status();
    holder_ = std::make_unique<policy::PolicyHolder>(*p);
  }
  DeconflictManager Manager(bool with_policy = true) {
    return DeconflictManager({.normalizer = normalizer_.get(),
                              .keys = keys_.get(),
                              .policy = with_policy ? holder_.get() : nullptr,
                              .audit = nullptr,
                              .transport = &transport_,
                              .now = [] { return kNow; }});
  }

  // How many pseudonyms a value asks (its URL and handle forms).
  int Forms(IndicatorType type, const std::string& value) {
    auto c = normalizer_->Normalize(type, value, {});
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return 0;
    int n = 1;
    for (const auto& d : c->derived) {
      n += d.type == IndicatorType::kUrl || d.type == IndicatorType::kHandle;
    }
    return n;
  }

  std::unique_ptr<normalize::Normalizer> normalizer_;
  std::unique_ptr<crypto::KeyedPseudonymizer> keys_;
  std::unique_ptr<policy::PolicyHolder> holder_;
  FakeTransport transport_;
};

TEST_F(DeconflictManagerTest, HeldIfAnyFormIsHeld) {
  // One URL; a t.me link also asks its telegram handle: two pseudonyms.
  DeconflictAsk ask{.type = ifed::v1::URL,
                    .values = {"https://www.facebook.com/some.page.name", "https://t.me/sm_channel"},
                    .peers = {"at"}};
  ifed::v1::LocalDeconflictResponse probe;
  transport_.answers["at"] = Answer(0, {});
  ASSERT_THAT(Manager().Deconflict("a", ask, &probe), IsOk());
  const ifed::v1::DeconflictRequest& sent = transport_.asked["at"];
  int pseudonyms = 0;
  for (const auto& b : sent.batches()) pseudonyms += static_cast<int>(b.pseudonyms().size() / 32);
  ASSERT_GE(pseudonyms, 3);  // facebook url (and maybe its handle), t.me url and handle.

  transport_.answers["at"] = Answer(pseudonyms, {pseudonyms - 1});  // the last form only.
  ifed::v1::LocalDeconflictResponse response;
  ASSERT_THAT(Manager().Deconflict("a", ask, &response), IsOk());
  EXPECT_FALSE(response.request_id().empty());
  EXPECT_EQ(response.peer_errors_size(), 0);
  ASSERT_EQ(response.items_size(), 2);
  int held = 0;
  for (const auto& item : response.items()) {
    EXPECT_TRUE(item.ok());
    ASSERT_EQ(item.peers_size(), 1);
    EXPECT_EQ(item.peers(0).peer(), "at");
    held += item.peers(0).status() == ifed::v1::HOLD_HELD;
  }
  EXPECT_EQ(held, 1);
}

TEST_F(DeconflictManagerTest, PartnerOurPolicyRefusesIsNeverAsked) {
  transport_.answers["at"] = Answer(1, {});
  DeconflictAsk ask{.type = ifed::v1::URL,
                    .values = {"https://www.facebook.com/some.page.name"},
                    .peers = {"hu"}};
  ifed::v1::LocalDeconflictResponse response;
  ASSERT_THAT(Manager().Deconflict("a", ask, &response), IsOk());
  EXPECT_EQ(transport_.asked.count("hu"), 0u);
  ASSERT_EQ(response.peer_errors_size(), 1);
  EXPECT_EQ(response.peer_errors(0).peer(), "hu");
  EXPECT_EQ(response.peer_errors(0).code(), static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(response.peer_errors(0).message(), HasSubstr("not sent: our policy"));
  EXPECT_EQ(response.items(0).peers_size(), 0);
}

TEST_F(DeconflictManagerTest, HubAnswerIsOneRowPerMemberAndShortAnswersAreErrors) {
  DeconflictAsk ask{.type = ifed::v1::HANDLE, .values = {"telegram:sm_channel"},
                    .peers = {"hub", "at"}};
  ifed::v1::DeconflictResponse hub;
  auto* cz = hub.add_members();
  cz->set_member("cz");
  cz->set_status(ifed::v1::MEMBER_ANSWERED);
  const int forms = Forms(IndicatorType::kHandle, "telegram:sm_channel");
  for (int i = 0; i < forms; ++i) cz->add_results()->set_status(ifed::v1::HOLD_HELD);
  auto* sk = hub.add_members();
  sk->set_member("sk");
  sk->set_status(ifed::v1::MEMBER_ANSWERED);  // but no results.
  for (int i = 0; i < forms; ++i) hub.add_results()->set_status(ifed::v1::HOLD_HELD);  // merged.
  transport_.answers["hub"] = hub;
  transport_.answers["at"] = Answer(forms + 1, {});  // one more than asked.
  ifed::v1::LocalDeconflictResponse response;
  ASSERT_THAT(Manager(/*with_policy=*/false).Deconflict("a", ask, &response), IsOk());
  EXPECT_EQ(transport_.signed_, 1);
  ASSERT_EQ(response.items_size(), 1);
  ASSERT_EQ(response.items(0).peers_size(), 1);
  EXPECT_EQ(response.items(0).peers(0).peer(), "hub/cz");
  EXPECT_EQ(response.items(0).peers(0).status(), ifed::v1::HOLD_HELD);
  std::map<std::string, int> errors;
  for (const auto& e : response.peer_errors()) errors[e.peer()] = e.code();
  EXPECT_EQ(errors["hub/sk"], static_cast<int>(absl::StatusCode::kDataLoss));
  EXPECT_EQ(errors["at"], static_cast<int>(absl::StatusCode::kDataLoss));
}

TEST_F(DeconflictManagerTest, BadInputIsRefusedBeforeAnythingIsSent) {
  ifed::v1::LocalDeconflictResponse response;
  EXPECT_THAT(Manager().Deconflict("a", {.type = ifed::v1::PHONE, .values = {"+43 664 3000005"},
                                         .peers = {"at"}},
                                   &response),
              StatusIs(absl::StatusCode::kInvalidArgument, "--type must be url or handle"));
  EXPECT_THAT(Manager().Deconflict("a", {.type = ifed::v1::URL, .values = {}, .peers = {"at"}},
                                   &response),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("between 1 and")));
  // A value that does not normalise is an item error; nothing left to ask.
  ifed::v1::LocalDeconflictResponse bad;
  ASSERT_THAT(Manager().Deconflict(
                  "a", {.type = ifed::v1::URL, .values = {"::not a url::"}, .peers = {"at"}},
                  &bad),
              IsOk());
  ASSERT_EQ(bad.items_size(), 1);
  EXPECT_FALSE(bad.items(0).ok());
  EXPECT_FALSE(bad.items(0).error().empty());
  EXPECT_TRUE(transport_.asked.empty());
  // A hub (no federation key) asks nothing.
  DeconflictManager no_key({.normalizer = normalizer_.get(), .transport = &transport_});
  EXPECT_THAT(no_key.Deconflict("a", {.type = ifed::v1::URL, .values = {"https://t.me/x"},
                                      .peers = {"at"}},
                                &response),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace ifed::query
