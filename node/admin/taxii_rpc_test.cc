// The TaxiiObjects admin call against a real store and sealer: pages of
// the hits log as STIX objects, and its refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "node/admin/service.h"

namespace ifed::admin {
namespace {

class TaxiiRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrFormat("%s/taxii_rpc_%d", ::testing::TempDir(), ::getpid());
    std::filesystem::remove_all(dir_);
    auto store = store::Store::Open({.path = dir_});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto sealer = crypto::Sealer::Create(crypto::SecretBytes(std::vector<uint8_t>(32, 7)));
    ASSERT_TRUE(sealer.ok());
    sealer_ = std::move(*sealer);
    AdminDeps d;
    d.store = store_.get();
    d.sealer = sealer_.get();
    d.now = [] { return int64_t{1796601600}; };
    service_ = std::make_unique<AdminService>(std::move(d));
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A hits log entry as AdminService::LogHits writes it.
  void LogHit(int64_t ts_ms, const std::string& id, const std::string& value) {
    const std::string key = absl::StrFormat("hits/%016d/%s", ts_ms, id);
    ifed::v1::HitLogEntry e;
    e.set_ts_ms(ts_ms);
    e.set_peer("at");
    e.set_scheme("keyed");
    e.set_type(ifed::v1::PHONE);
    e.set_sealed_value(*sealer_->Seal(value, key));
    e.set_reference("REF");
    e.set_request_id(id);
    store::MetaWrites w;
    w.puts.emplace_back(key, e.SerializeAsString());
    ASSERT_TRUE(store_->CommitMeta(w).ok());
  }
  grpc::Status Fetch(const ifed::v1::TaxiiObjectsRequest& r, ifed::v1::TaxiiObjectsResponse* out) {
    grpc::ServerContext ctx;
    return service_->TaxiiObjects(&ctx, &r, out);
  }
  static ifed::v1::TaxiiObjectsRequest Request(const std::string& collection, uint32_t limit) {
    ifed::v1::TaxiiObjectsRequest r;
    r.set_collection(collection);
    r.set_limit(limit);
    r.set_client("opencti");
    r.set_endpoint("objects");
    return r;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<crypto::Sealer> sealer_;
  std::unique_ptr<AdminService> service_;
};

TEST_F(TaxiiRpcTest, PagesTheHitsLogAsStixObjects) {
  LogHit(1796601600000, "req-1", "+4917000000001");
  LogHit(1796601601000, "req-2", "+4917000000002");
  ifed::v1::TaxiiObjectsResponse page;
  ASSERT_TRUE(Fetch(Request("hits", 3), &page).ok());
  ASSERT_EQ(page.objects_size(), 3);  // identity, indicator, sighting of the first hit.
  EXPECT_TRUE(page.more());
  const auto indicator = nlohmann::json::parse(page.objects(1).json());
  EXPECT_EQ(indicator["pattern"], "[phone-number:value = '+4917000000001']");
  ifed::v1::TaxiiObjectsRequest next = Request("hits", 3);
  next.set_has_after(true);
  next.set_after_added_us(page.objects(2).added_us());
  next.set_after_id(page.objects(2).id());
  ifed::v1::TaxiiObjectsResponse rest;
  ASSERT_TRUE(Fetch(next, &rest).ok());
  ASSERT_EQ(rest.objects_size(), 2);  // the second value's indicator and sighting.
  EXPECT_FALSE(rest.more());
  ifed::v1::TaxiiObjectsResponse alerts;
  ASSERT_TRUE(Fetch(Request("watch-alerts", 10), &alerts).ok());
  EXPECT_EQ(alerts.objects_size(), 0);
}

TEST_F(TaxiiRpcTest, RefusesBadRequests) {
  ifed::v1::TaxiiObjectsResponse out;
  EXPECT_EQ(Fetch(Request("records", 10), &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Fetch(Request("hits", 0), &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ifed::v1::TaxiiObjectsRequest r = Request("hits", 10);
  r.set_client("Not A Client");
  EXPECT_EQ(Fetch(r, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(TaxiiRpcTest, AnEntryThatDoesNotOpenIsDataLossNotAPage) {
  LogHit(1796601600000, "req-1", "+4917000000001");
  store::MetaWrites w;  // a value sealed for another key.
  ifed::v1::HitLogEntry e;
  e.set_ts_ms(1796601602000);
  e.set_sealed_value(*sealer_->Seal("+4917000000009", "elsewhere"));
  w.puts.emplace_back(absl::StrFormat("hits/%016d/req-x", 1796601602000), e.SerializeAsString());
  ASSERT_TRUE(store_->CommitMeta(w).ok());
  ifed::v1::TaxiiObjectsResponse out;
  grpc::Status s = Fetch(Request("hits", 10), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(out.objects_size(), 0);
  EXPECT_EQ(s.error_message().find("+49"), std::string::npos);
}

}  // namespace
}  // namespace ifed::admin
