// Normalisation end to end: two nodes hold the same identifiers in
// different spellings; ingest on one node, match from the other, and every
// pair must HIT, including URL <-> handle and wa.me link <-> phone, which
// meet through the derived indicators stored at ingest. Values on the
// warning list are refused at ingest and skipped at match.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

struct Pair {
  std::string ingest_type, ingest_value, region;  // held by de
  std::string match_type, match_value;            // asked by at
};

// Spellings as two agencies write them.
const std::vector<Pair>& Pairs() {
  static const auto* p = new std::vector<Pair>{
      {"phone", "0176 1234 5678", "DE", "phone", "+49 (0)176-12345678"},
      {"phone", "0664 123 4567", "AT", "phone", "0043 664 1234567"},
      {"phone", "+36 20 123 4567", "", "phone", "wa.me/36201234567"},
      {"handle", "fb:@Some.Page", "", "handle", "https://m.facebook.com/some.page/?ref=share"},
      {"handle", "t.me/s/Smuggle_Route", "", "handle", "telegram:@smuggle_route"},
      {"handle", "whatsapp:+49 151 23456789", "", "phone", "0049 151 23456789"},
      {"url", "HTTPS://Example-Trips.com:443/offers/./route?utm_source=fb", "", "url",
       "https://example-trips.com/offers/route#contact"},
      {"email", "Route.Planner@Example-Trips.COM", "", "email",
       "mailto:route.planner@example-trips.com"},
      {"iban", "AT34 1904 3002 3457 3202", "", "iban", "AT341904300234573202"},
      {"wallet", "bitcoin:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy?amount=1", "", "wallet",
       "btc:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"},
      {"imei", "35-209900-176148-1", "", "imei", "352099001761481"},
      // Derived: a profile URL meets the handle, a wa.me link meets the phone.
      {"url", "https://www.instagram.com/route_runner/?igshid=abc", "", "handle",
       "instagram:@Route_Runner"},
      {"url", "https://wa.me/4917698765432?text=hallo", "", "phone", "+49 176 98765432"},
      {"url", "https://www.facebook.com/groups/556677889900/", "", "handle",
       "facebook:group/556677889900"},
  };
  return *p;
}

class NormalizeIt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    const std::string all = "[phone, handle, url, email, iban, wallet, imei]";
    fed_->AddNode("de", "DE", {{.id = "at", .types = all}});
    fed_->AddNode("at", "AT", {{.id = "de", .types = all}});
    fed_->Start();
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  static std::string Csv(const std::vector<Pair>& pairs) {
    std::string csv = "type,value,case_ref,tlp,crime_area,region\n";
    for (const Pair& p : pairs) {
      csv += p.ingest_type + "," + p.ingest_value + ",C-1,amber,migrant_smuggling," + p.region +
             "\n";
    }
    return csv;
  }
  static LocalFederation* fed_;
};

LocalFederation* NormalizeIt::fed_ = nullptr;

TEST_F(NormalizeIt, DifferentSpellingsHitAcrossNodes) {
  const std::string path = fed_->dir() + "/norm.csv";
  WriteFile(path, Csv(Pairs()));
  auto in = fed_->Ctl("de", {"ingest", path});
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  for (const Pair& p : Pairs()) {
    std::vector<std::string> args = {"match", "--peer", "de", "--type", p.match_type};
    args.push_back(p.match_value);
    auto r = fed_->Ctl("at", args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\tde\tHIT\t"), std::string::npos)
        << p.ingest_value << " (de) vs " << p.match_value << " (at): " << r.out << r.err;
  }
  // A different identifier does not hit.
  auto miss = fed_->Ctl("at", {"match", "--peer", "de", "--type", "handle", "facebook:other.page"});
  EXPECT_NE(miss.out.find("\tde\tNO_HIT"), std::string::npos) << miss.out;
}

TEST_F(NormalizeIt, WarningListRefusesAtIngestAndSkipsAtMatch) {
  const std::string path = fed_->dir() + "/warned.csv";
  WriteFile(path,
            "type,value,case_ref,tlp,crime_area,region\n"
            "phone,+43 664 7654321,C-2,amber,migrant_smuggling,AT\n"
            "phone,(201) 555-0123,C-2,amber,migrant_smuggling,US\n");
  auto r = fed_->Ctl("de", {"ingest", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 3: field value"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("warning list"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("555-0123"), std::string::npos) << "raw value in the error";
  auto m = fed_->Ctl("at", {"match", "--peer", "de", "--type", "url", "https://example.com/x"});
  EXPECT_EQ(m.exit_code, 1);
  EXPECT_NE(m.err.find("warning list"), std::string::npos) << m.err;
}

TEST_F(NormalizeIt, NormalizeCommandShowsDerivedFormsAndVersion) {
  auto url = fed_->Ctl("de", {"normalize", "--type", "url",
                              "https://m.facebook.com/Some.Page/?ref=share#x"});
  EXPECT_EQ(url.exit_code, 0) << url.err;
  EXPECT_EQ(url.out, "https://facebook.com/Some.Page\nhandle facebook:somepage\n");
  auto handle = fed_->Ctl("de", {"normalize", "--type", "handle", "@some.page", "--platform",
                                 "facebook"});
  EXPECT_EQ(handle.exit_code, 0) << handle.err;
  EXPECT_EQ(handle.out, "facebook:somepage\n");
  auto wa = fed_->Ctl("de", {"normalize", "--type", "url", "wa.me/4917612345678"});
  EXPECT_EQ(wa.out, "https://wa.me/4917612345678\nphone +4917612345678\n");
  auto json = fed_->Ctl("de", {"normalize", "--type", "wallet", "--json",
                               "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"});
  EXPECT_NE(json.out.find("\"type\":\"wallet\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"canon_version\":2"), std::string::npos) << json.out;
  auto warned = fed_->Ctl("de", {"normalize", "--type", "phone", "--region", "US",
                                 "(201) 555-0123"});
  EXPECT_EQ(warned.out, "+12015550123\nwarning: NANP fictional range 555-0100..0199\n");
}

TEST_F(NormalizeIt, ZLogsCarryNoRawValues) {
  const std::string logs = fed_->AllLogs();
  ASSERT_FALSE(logs.empty());
  for (const Pair& p : Pairs()) {
    EXPECT_EQ(logs.find(p.ingest_value), std::string::npos) << p.ingest_value;
    EXPECT_EQ(logs.find(p.match_value), std::string::npos) << p.match_value;
  }
}

}  // namespace
}  // namespace ifed::testing
