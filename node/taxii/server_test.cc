#include "node/taxii/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "node/common/status_matchers.h"
#include "node/ingest/test_hits.h"

namespace ifed::taxii {
namespace {

using ::ifed::ingest::testing::PhoneHit;
using ::ifed::testing::IsOk;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1796601600000;  // 2026-12-07T00:00:00Z
constexpr char kAccept[] = "application/taxii+json;version=2.1";

// The node's answer, computed the node's way from a list of hits; records
// what was asked.
class FakeSource : public ObjectSource {
 public:
  absl::StatusOr<FetchResult> Fetch(const FetchQuery& q) override {
    std::lock_guard<std::mutex> lock(mu_);
    queries.push_back(q);
    if (!fail.ok()) return fail;
    return ServeFromHits(hits, q);
  }
  Hits hits;
  absl::Status fail;
  std::vector<FetchQuery> queries;

 private:
  std::mutex mu_;
};

class TaxiiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 10; ++i) *source_.hits.Add() = PhoneHit(kT0 + i * 1000, "at", i);
    *source_.hits.Add() = PhoneHit(kT0 + 20000, "hu", 7, "watch");
    ServerOptions o;
    o.base_url = "https://127.0.0.1:8443/";
    o.contact = "cti@example.test";
    o.max_limit = 8;
    auto s = TaxiiServer::Create(o, &source_);
    ASSERT_THAT(s, IsOk());
    server_ = std::move(*s);
  }

  HttpResponse Get(const std::string& path,
                   std::vector<std::pair<std::string, std::string>> params = {},
                   const std::string& accept = kAccept, const Client& client = {"opencti", {}}) {
    return server_->Handle({"GET", path, std::move(params), accept}, client);
  }
  static nlohmann::json Body(const HttpResponse& r) { return nlohmann::json::parse(r.body); }
  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  std::string Objects(const std::string& alias = "hits") const {
    return "/taxii2/ifed/collections/" + FindCollection(alias)->id + "/objects/";
  }

  FakeSource source_;
  std::unique_ptr<TaxiiServer> server_;
};

TEST_F(TaxiiServerTest, DiscoveryAndApiRoot) {
  HttpResponse d = Get("/taxii2/");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.content_type, kTaxiiMediaType);
  EXPECT_EQ(Header(d, "Cache-Control"), "no-store");
  EXPECT_EQ(Body(d)["api_roots"][0], "https://127.0.0.1:8443/taxii2/ifed/");
  EXPECT_EQ(Body(d)["default"], "https://127.0.0.1:8443/taxii2/ifed/");
  EXPECT_EQ(Body(d)["contact"], "cti@example.test");
  HttpResponse r = Get("/taxii2/ifed/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["versions"][0], kTaxiiMediaType);
  EXPECT_TRUE(Body(r).contains("max_content_length"));
  EXPECT_TRUE(source_.queries.empty());  // nothing asked of the node.
}

TEST_F(TaxiiServerTest, CollectionsAreReadOnlyAndPerClient) {
  HttpResponse all = Get("/taxii2/ifed/collections/");
  ASSERT_EQ(all.status, 200);
  const auto body = Body(all);  // the loop below must not walk a temporary.
  ASSERT_EQ(body["collections"].size(), 2u);
  for (const auto& c : body["collections"]) {
    EXPECT_EQ(c["can_read"], true);
    EXPECT_EQ(c["can_write"], false);
    EXPECT_EQ(c["media_types"][0], kStixMediaType);
  }
  const Client hits_only{"misp", {"hits"}};
  HttpResponse some = Get("/taxii2/ifed/collections/", {}, kAccept, hits_only);
  ASSERT_EQ(Body(some)["collections"].size(), 1u);
  EXPECT_EQ(Body(some)["collections"][0]["alias"], "hits");
  // Not granted: as if it did not exist.
  const std::string alerts = "/taxii2/ifed/collections/" + FindCollection("watch-alerts")->id + "/";
  EXPECT_EQ(Get(alerts, {}, kAccept, hits_only).status, 404);
  EXPECT_EQ(Get(Objects("watch-alerts"), {}, kAccept, hits_only).status, 404);
  EXPECT_EQ(Get(alerts).status, 200);
  EXPECT_EQ(Body(Get("/taxii2/ifed/collections/hits/"))["id"], FindCollection("hits")->id);
  const Client none{"nobody", {"records"}};
  EXPECT_EQ(Body(Get("/taxii2/ifed/collections/", {}, kAccept, none)).dump(), "{}");
}

TEST_F(TaxiiServerTest, ObjectsPageWithNextUntilMoreIsFalse) {
  std::vector<std::string> ids;
  std::vector<std::pair<std::string, std::string>> params = {{"limit", "4"}};
  int pages = 0;
  for (;; ++pages) {
    ASSERT_LT(pages, 20);
    HttpResponse r = Get(Objects(), params);
    ASSERT_EQ(r.status, 200) << r.body;
    const nlohmann::json b = Body(r);
    for (const auto& o : b["objects"]) ids.push_back(o["id"]);
    EXPECT_EQ(Header(r, "X-TAXII-Date-Added-First").size(), 27u);
    EXPECT_LE(Header(r, "X-TAXII-Date-Added-First"), Header(r, "X-TAXII-Date-Added-Last"));
    if (!b["more"]) {
      EXPECT_FALSE(b.contains("next"));
      break;
    }
    params = {{"limit", "4"}, {"next", b["next"]}};
  }
  EXPECT_EQ(ids.size(), 1u + 10u + 10u);  // one partner, ten values, ten sightings.
  EXPECT_EQ(pages, 5);
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  EXPECT_EQ(source_.queries.back().client, "opencti");
  EXPECT_EQ(source_.queries.back().endpoint, "objects");
}

TEST_F(TaxiiServerTest, AddedAfterFromTheLastHeaderContinues) {
  HttpResponse first = Get(Objects(), {{"limit", "5"}});
  ASSERT_EQ(first.status, 200);
  HttpResponse second = Get(Objects(), {{"limit", "5"}, {"next", Body(first)["next"]}});
  HttpResponse rest = Get(Objects(), {{"limit", "5"},
                                      {"added_after", Header(first, "X-TAXII-Date-Added-Last")}});
  ASSERT_EQ(rest.status, 200);
  EXPECT_EQ(Body(rest)["objects"], Body(second)["objects"]);
  EXPECT_EQ(Header(rest, "X-TAXII-Date-Added-First"), Header(second, "X-TAXII-Date-Added-First"));
}

TEST_F(TaxiiServerTest, LimitAboveTheMaximumIsLowered) {
  HttpResponse r = Get(Objects(), {{"limit", "1000"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["objects"].size(), 8u);
  EXPECT_EQ(Body(r)["more"], true);
}

TEST_F(TaxiiServerTest, MatchFilters) {
  HttpResponse r = Get(Objects(), {{"match[type]", "indicator,identity"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["objects"].size(), 8u);  // max page; 11 match.
  r = Get(Objects(), {{"match[type]", "identity"}, {"match[version]", "first"}});
  ASSERT_EQ(Body(r)["objects"].size(), 1u);
  const std::string id = Body(r)["objects"][0]["id"];
  r = Get(Objects(), {{"match[id]", id}, {"match[version]", "1970-01-01T00:00:00.000Z"}});
  EXPECT_EQ(Body(r)["objects"].size(), 1u);
  r = Get(Objects(), {{"match[id]", id}, {"match[version]", "2020-01-01T00:00:00Z"}});
  EXPECT_EQ(Body(r).dump(), "{\"more\":false}");
  EXPECT_EQ(Header(r, "X-TAXII-Date-Added-First"), "");
  r = Get(Objects(), {{"match[spec_version]", "2.0"}});
  EXPECT_FALSE(Body(r).contains("objects"));
  r = Get(Objects(), {{"match[color]", "red"}});  // unknown fields are ignored.
  EXPECT_EQ(r.status, 200);
}

TEST_F(TaxiiServerTest, ManifestObjectAndVersions) {
  const std::string base = "/taxii2/ifed/collections/hits/";
  HttpResponse m = Get(base + "manifest/", {{"limit", "3"}});
  ASSERT_EQ(m.status, 200) << m.body;
  const nlohmann::json first = Body(m)["objects"][0];
  EXPECT_EQ(first["media_type"], kStixMediaType);
  EXPECT_EQ(first["version"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(first["date_added"].get<std::string>().size(), 27u);
  EXPECT_TRUE(source_.queries.back().manifest);
  const std::string id = first["id"];
  HttpResponse o = Get(base + "objects/" + id + "/");
  ASSERT_EQ(o.status, 200);
  ASSERT_EQ(Body(o)["objects"].size(), 1u);
  EXPECT_EQ(Body(o)["objects"][0]["id"], id);
  HttpResponse v = Get(base + "objects/" + id + "/versions/");
  ASSERT_EQ(v.status, 200);
  EXPECT_EQ(Body(v)["versions"][0], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Get(base + "objects/indicator--00000000-0000-5000-8000-000000000000/").status, 404);
  EXPECT_EQ(Get(base + "objects/indicator--00000000-0000-5000-8000-000000000000/versions/").status,
            404);
}

TEST_F(TaxiiServerTest, NoClientIs401WithAChallenge) {
  HttpResponse r = Get("/taxii2/", {}, kAccept, Client{});
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(Header(r, "WWW-Authenticate"), HasSubstr("Basic realm="));
  EXPECT_EQ(Body(r)["http_status"], "401");
  EXPECT_EQ(Get(Objects(), {}, kAccept, Client{}).status, 401);
  EXPECT_TRUE(source_.queries.empty());
}

TEST_F(TaxiiServerTest, WrongMediaTypeIs406) {
  for (const std::string accept :
       {"", "application/json", "application/stix+json;version=2.1", "*/*",
        "application/taxii+json;version=2.0", "application/taxii+json;version=2.1;q=0", "text/html"}) {
    HttpResponse r = Get(Objects(), {}, accept);
    EXPECT_EQ(r.status, 406) << accept;
    EXPECT_EQ(r.content_type, kTaxiiMediaType);
    EXPECT_EQ(Body(r)["title"], "Not Acceptable");
  }
  for (const std::string accept :
       {"application/taxii+json", "Application/TAXII+JSON; version=2.1",
        "text/html, application/taxii+json;version=2.1;q=0.5"}) {
    EXPECT_EQ(Get(Objects(), {}, accept).status, 200) << accept;
  }
  EXPECT_TRUE(AcceptsTaxii("application/taxii+json;version=2.1"));
}

TEST_F(TaxiiServerTest, BadRequestsAre400) {
  const std::vector<std::vector<std::pair<std::string, std::string>>> bad = {
      {{"next", "not-a-token"}},
      {{"limit", "0"}},
      {{"limit", "-3"}},
      {{"limit", "ten"}},
      {{"limit", "5"}, {"limit", "6"}},
      {{"added_after", "yesterday"}},
      {{"added_after", "2026-12-07T00:00:00+01:00"}},
      {{"match[type]", "Sighting"}},
      {{"match[type]", "sighting,,indicator"}},
      {{"match[version]", "newest"}},
      {{"match[id]", std::string(5000, 'a')}},
  };
  for (const auto& params : bad) {
    HttpResponse r = Get(Objects(), params);
    EXPECT_EQ(r.status, 400) << params[0].first << "=" << params[0].second;
    EXPECT_EQ(Body(r)["http_status"], "400");
  }
}

TEST_F(TaxiiServerTest, NextTokenIsBoundToItsRequest) {
  HttpResponse r = Get(Objects(), {{"limit", "2"}, {"match[type]", "sighting"}});
  ASSERT_EQ(r.status, 200);
  const std::string next = Body(r)["next"];
  EXPECT_EQ(Get(Objects(), {{"next", next}, {"match[type]", "sighting"}}).status, 200);
  // Other filters, another collection, another client, an edited token.
  EXPECT_EQ(Get(Objects(), {{"next", next}}).status, 400);
  EXPECT_EQ(Get(Objects("watch-alerts"), {{"next", next}, {"match[type]", "sighting"}}).status, 400);
  EXPECT_EQ(Get(Objects(), {{"next", next}, {"match[type]", "sighting"}}, kAccept, {"misp", {}}).status,
            400);
  std::string edited = next;
  edited[2] = edited[2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Get(Objects(), {{"next", edited}, {"match[type]", "sighting"}}).status, 400);
}

TEST_F(TaxiiServerTest, UnknownThingsAre404AndWritesAre403) {
  EXPECT_EQ(Get("/taxii2/other/").status, 404);
  EXPECT_EQ(Get("/taxii2/ifed/collections/00000000-0000-4000-8000-000000000000/").status, 404);
  EXPECT_EQ(Get("/taxii2/ifed/collections/hits/objects/x/y/").status, 404);
  EXPECT_EQ(Get("/taxii2/ifed/status/00000000-0000-4000-8000-000000000000/").status, 404);
  EXPECT_EQ(Get("/other/").status, 404);
  HttpResponse post = server_->Handle({"POST", Objects(), {}, kAccept}, {"opencti", {}});
  EXPECT_EQ(post.status, 403);
  HttpResponse del =
      server_->Handle({"DELETE", Objects() + "sighting--x/", {}, kAccept}, {"opencti", {}});
  EXPECT_EQ(del.status, 403);
  HttpResponse put = server_->Handle({"PUT", "/taxii2/ifed/", {}, kAccept}, {"opencti", {}});
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(Header(put, "Allow"), "GET, HEAD");
  EXPECT_TRUE(source_.queries.empty());
}

TEST_F(TaxiiServerTest, NodeFailuresAreServerErrorsWithoutDetail) {
  source_.fail = absl::UnavailableError("admin socket /run/ifed/admin.sock: connection refused");
  HttpResponse r = Get(Objects());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body.find("admin.sock"), std::string::npos);
  source_.fail = absl::DataLossError("a hits log entry does not open");
  EXPECT_EQ(Get(Objects()).status, 500);
}

TEST(TaxiiTimestamps, Parse) {
  EXPECT_EQ(*ParseTimestampUs("2026-12-07T00:00:00Z"), kT0 * 1000);
  EXPECT_EQ(*ParseTimestampUs("2026-12-07T00:00:00.000123Z"), kT0 * 1000 + 123);
  EXPECT_FALSE(ParseTimestampUs("2026-12-07").ok());
  EXPECT_FALSE(ParseTimestampUs("2026-12-07T00:00:00").ok());
  EXPECT_FALSE(ParseTimestampUs("2026-13-07T00:00:00Z").ok());
}

TEST(TaxiiServerCreate, RefusesBadOptions) {
  FakeSource source;
  EXPECT_FALSE(TaxiiServer::Create({}, nullptr).ok());
  ServerOptions zero;
  zero.max_limit = 0;
  EXPECT_FALSE(TaxiiServer::Create(zero, &source).ok());
}

}  // namespace
}  // namespace ifed::taxii
