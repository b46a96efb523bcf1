#include "node/taxii/client_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "node/common/status_matchers.h"

namespace ifed::taxii {
namespace {

using ::ifed::testing::IsOk;
using ::ifed::testing::StatusIs;

std::string Basic(const std::string& id, const std::string& password) {
  return "Basic " + absl::Base64Escape(id + ":" + password);
}

class ClientAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The "hash" of a password is "h:" + password; every check is counted.
    auto a = ClientAuthenticator::Create(
        {{"opencti", "h:s3cret", "", {}}, {"misp", "h:other", "misp.cti.example", {"hits"}},
         {"certonly", "", "cert.cti.example", {"watch-alerts"}}},
        [this](const std::string& password, const std::string& hash) {
          ++checks_;
          return hash == "h:" + password ? absl::OkStatus() : absl::PermissionDeniedError("no");
        },
        [this] { return now_ms_; }, {.remember_ms = 1000, .max_failures = 3, .lockout_ms = 5000});
    ASSERT_THAT(a, IsOk());
    auth_ = std::move(*a);
  }
  int checks_ = 0;
  int64_t now_ms_ = 1000000;
  std::unique_ptr<ClientAuthenticator> auth_;
};

TEST_F(ClientAuthTest, GoodCredentialsNameTheClientAndItsCollections) {
  auto c = auth_->FromBasic(Basic("misp", "other"));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->id, "misp");
  EXPECT_EQ(c->collections, std::vector<std::string>{"hits"});
  EXPECT_THAT(auth_->FromBasic("basic " + absl::Base64Escape("opencti:s3cret")), IsOk());
}

TEST_F(ClientAuthTest, RemembersAGoodCheckForAWhileOnly) {
  ASSERT_THAT(auth_->FromBasic(Basic("opencti", "s3cret")), IsOk());
  ASSERT_THAT(auth_->FromBasic(Basic("opencti", "s3cret")), IsOk());
  EXPECT_EQ(checks_, 1);
  EXPECT_THAT(auth_->FromBasic(Basic("opencti", "wrong")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(checks_, 2);  // another password is checked in full.
  now_ms_ += 1001;
  ASSERT_THAT(auth_->FromBasic(Basic("opencti", "s3cret")), IsOk());
  EXPECT_EQ(checks_, 3);
}

TEST_F(ClientAuthTest, RefusesWithOneMessage) {
  for (const std::string& bad : std::vector<std::string>{
           "", "Bearer abc", "Basic !!!", Basic("opencti", "wrong"), Basic("nobody", "s3cret"),
           Basic("certonly", ""), "Basic " + absl::Base64Escape("no-colon"), Basic("", "")}) {
    auto c = auth_->FromBasic(bad);
    EXPECT_THAT(c, StatusIs(absl::StatusCode::kUnauthenticated, "unknown client or wrong password"))
        << bad;
  }
}

TEST_F(ClientAuthTest, LocksOutAfterRepeatedFailures) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(auth_->FromBasic(Basic("opencti", "guess")),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(auth_->FromBasic(Basic("opencti", "s3cret")),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(auth_->FromBasic(Basic("misp", "other")), IsOk());  // others are not affected.
  now_ms_ += 5001;
  EXPECT_THAT(auth_->FromBasic(Basic("opencti", "s3cret")), IsOk());
}

TEST_F(ClientAuthTest, CertificateByCommonName) {
  auto c = auth_->FromCertificate("cert.cti.example");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->id, "certonly");
  EXPECT_THAT(auth_->FromCertificate("other.example"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(auth_->FromCertificate(""), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(ClientAuthCreate, RefusesBadAccounts) {
  auto verify = [](const std::string&, const std::string&) { return absl::OkStatus(); };
  auto now = [] { return int64_t{0}; };
  const std::vector<std::vector<ClientAccount>> bad = {
      {{"OpenCTI", "h", "", {}}},
      {{"a", "h", "", {}}, {"a", "h", "", {}}},
      {{"a", "", "", {}}},
      {{"a", "h", "", {"records"}}},
      {{"a", "h", "", {FindCollection("hits")->id}}},  // aliases only.
  };
  for (const auto& accounts : bad) {
    EXPECT_THAT(ClientAuthenticator::Create(accounts, verify, now),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(ClientAuthenticator::Create({}, verify, now), IsOk());
  EXPECT_THAT(ClientAuthenticator::Create({}, nullptr, now),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ifed::taxii
