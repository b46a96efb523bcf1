// Extraction and deconfliction end to end with real nodes: monitored posts are extracted and
// ingested on "de" with their provenance; a partner's hit is traced back to
// the post on "de"; the provenance never reaches the partner. Takedown
// deconfliction: held (with contact), clear, contact hidden by the holder's
// policy (hit_only), refused by a policy without the purpose, audited on
// both sides without values.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

constexpr char kPostUrl[] = "https://social.demo-platform.net/p/20260101-7731";
// A post in Arabic: an Eastern Arabic Libyan number, a t.me channel link.
constexpr char kPostText[] =
    "رحلة إلى إيطاليا من زوارة، اتصل ٠٩١ ٣٣٤ ٥٦٢١ والقناة t.me/s/Zuwara_Rihla";

std::string Sha256Hex(const std::string& s) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), sizeof md));
}

class ExtractIt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    const std::string both = "[migrant_smuggling, takedown_deconfliction]";
    fed_->AddNode("de", "DE",
                  {{.id = "at", .disclosure = "hit_with_contact", .purposes = both},
                   {.id = "hu", .disclosure = "hit_only", .purposes = both}});
    fed_->AddNode("at", "AT", {{.id = "de", .purposes = "[migrant_smuggling]"}});
    fed_->AddNode("hu", "HU", {{.id = "de", .purposes = both}});
    fed_->Start();
    const std::string posts = fed_->dir() + "/posts.jsonl";
    WriteFile(posts,
              std::string("{\"text\":\"") + kPostText + "\",\"url\":\"" + kPostUrl +
                  "\",\"author\":\"zuwara_trips\",\"posted_at\":\"2026-01-01T10:00:00Z\"}\n"
                  "{\"text\":\"ya 7abibi 3arab 2ool le5wanak\",\"url\":\"https://social.demo-platform.net/p/2\"}\n"
                  "{\"text\":\"telegram: @safar_rahat ... +90 532 614 27 83\",\"url\":\"https://social.demo-platform.net/p/3\"}\n");
    auto in = fed_->Ctl("de", {"ingest", "--no-progress", "--format", "posts", "--tlp", "amber",
                               "--case-ref", "MON-2026-1", "--region", "LY", posts});
    if (in.exit_code != 0) throw std::runtime_error("ingest: " + in.out + in.err);
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }
  static std::string Audit(const std::string& node) {
    const std::string out = fed_->dir() + "/" + node + "-audit-" + std::to_string(++exports_) + ".jsonl";
    auto r = fed_->Ctl(node, {"audit", "export", "--out", out});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return ReadFile(out);
  }
  static LocalFederation* fed_;
  static int exports_;
};

LocalFederation* ExtractIt::fed_ = nullptr;
int ExtractIt::exports_ = 0;

TEST_F(ExtractIt, ExtractRunsLocallyWithSpansAndTags) {
  const std::string posts = fed_->dir() + "/local.txt";
  WriteFile(posts, std::string(kPostText) + "\n\nno indicator here\n");
  auto r = ifed::testing::Run({fed_->bin("ifedctl"), "extract", "--region", "LY", "--json", "--lexicon",
                fed_->source("policy/lexicon"), posts});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"canonical\":\"+218913345621\",\"span\":[32,44]"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"evasions\":\"non-ascii-digits\""), std::string::npos);
  EXPECT_NE(r.out.find("\"canonical\":\"telegram:zuwara_rihla\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"ar/routes\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("{\"post\":2,\"line\":3"), std::string::npos) << r.out;
  // Bad input: not UTF-8 is reported per post, the others still come out.
  WriteFile(posts, "bad \xC3\x28 bytes\n\n+90 532 614 27 83\n");
  auto bad = ifed::testing::Run({fed_->bin("ifedctl"), "extract", posts});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("post 1 (line 1): error: not valid UTF-8 at byte 4"), std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("+905326142783"), std::string::npos) << bad.out;
  EXPECT_EQ(ifed::testing::Run({fed_->bin("ifedctl"), "extract", "--region", "TUR", posts}).exit_code, 2);
}

TEST_F(ExtractIt, PartnerHitTracesBackToThePost) {
  auto m = fed_->Ctl("at", {"match", "--peer", "de", "--purpose", "migrant_smuggling", "--type",
                            "phone", "+218 91 334 5621"});
  ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
  std::vector<std::string> cols = absl::StrSplit(m.out.substr(0, m.out.find('\n')), '\t');
  ASSERT_GE(cols.size(), 7u) << m.out;
  ASSERT_EQ(cols[4], "HIT") << m.out;
  const std::string ref = cols[5];
  ASSERT_FALSE(ref.empty());
  // The partner learns nothing of the post.
  EXPECT_EQ(m.out.find("demo-platform"), std::string::npos);
  // On the owner: the reference leads to the post.
  auto show = fed_->Ctl("de", {"records", "show", ref});
  ASSERT_EQ(show.exit_code, 0) << show.out << show.err;
  EXPECT_NE(show.out.find(kPostUrl), std::string::npos) << show.out;
  EXPECT_NE(show.out.find(Sha256Hex(kPostText)), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("span [32,44)"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("case MON-2026-1"), std::string::npos);
  // The derived handle of the channel link carries the same provenance.
  auto by_value = fed_->Ctl("de", {"records", "show", "--json", "--type", "handle",
                                   "telegram:zuwara_rihla"});
  ASSERT_EQ(by_value.exit_code, 0) << by_value.err;
  EXPECT_NE(by_value.out.find(kPostUrl), std::string::npos) << by_value.out;
  // Refusals and bad input.
  EXPECT_NE(fed_->Ctl("de", {"records", "show", "0123456789abcdef"}).exit_code, 0);
  EXPECT_EQ(fed_->Ctl("de", {"records", "show"}).exit_code, 2);
  EXPECT_NE(fed_->Ctl("de", {"records", "show", "--type", "phone", "not a phone"}).exit_code, 0);
  // Nothing of the post in any log or in the partner's audit; the owner's
  // audit records the look-up with counts only.
  const std::string logs = fed_->AllLogs();
  EXPECT_EQ(logs.find("demo-platform"), std::string::npos);
  EXPECT_EQ(logs.find("218913345621"), std::string::npos);
  EXPECT_EQ(Audit("at").find("demo-platform"), std::string::npos);
  const std::string audit = Audit("de");
  EXPECT_NE(audit.find("\"action\":\"records.show\""), std::string::npos);
  EXPECT_NE(audit.find("\"provenance\":"), std::string::npos);  // ingest event counts.
  EXPECT_EQ(audit.find("demo-platform"), std::string::npos);
  EXPECT_EQ(audit.find("MON-2026-1"), std::string::npos);
}

TEST_F(ExtractIt, BadPostsFileStoresNothing) {
  const std::string posts = fed_->dir() + "/bad.jsonl";
  WriteFile(posts,
            "{\"text\":\"+33 6 41 72 83 95\",\"url\":\"u1\"}\n"
            "{\"text\":\"x\",\"unknown_field\":1}\n");
  auto r = fed_->Ctl("de", {"ingest", "--no-progress", "--format", "posts", "--tlp", "amber", posts});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("line 2: post 2: not a post object"), std::string::npos) << r.err;
  EXPECT_NE(fed_->Ctl("de", {"records", "show", "--type", "phone", "+33641728395"}).exit_code, 0);
  // --format posts needs a TLP.
  EXPECT_EQ(fed_->Ctl("de", {"ingest", "--format", "posts", posts}).exit_code, 2);
}

TEST_F(ExtractIt, DeconflictionHeldClearContactAndAudit) {
  const std::string held = "https://t.me/s/Zuwara_Rihla";
  const std::string clear = "https://clear-page.demo-platform.net/offer";
  auto h = fed_->Ctl("de", {"hold", "set", "--type", "url", held});
  ASSERT_EQ(h.exit_code, 0) << h.out << h.err;
  EXPECT_NE(h.out.find("2 records changed"), std::string::npos) << h.out;  // the URL and its channel.
  EXPECT_EQ(fed_->Ctl("de", {"hold", "set", "--type", "url", "not a url"}).exit_code, 1);

  // hu's rule on de discloses hit_only: held, but no contact.
  auto hu = fed_->Ctl("hu", {"deconflict", "--peer", "de", "--type", "url", held, clear});
  EXPECT_EQ(hu.exit_code, 3) << hu.out << hu.err;
  EXPECT_NE(hu.out.find(held + "\t" + held + "\tde\theld\t-\n"), std::string::npos) << hu.out;
  EXPECT_NE(hu.out.find("\tde\tclear\t-\n"), std::string::npos) << hu.out;
  EXPECT_EQ(hu.out.find("ops@de"), std::string::npos);
  // A handle that names the held channel is held too (derived forms asked).
  auto hh = fed_->Ctl("hu", {"deconflict", "--peer", "de", "--type", "handle", "telegram:zuwara_rihla"});
  EXPECT_EQ(hh.exit_code, 3) << hh.out << hh.err;

  // at may not ask de for this purpose in its own policy? It may: de's rule
  // for at allows it and discloses contacts; at's own rule for de does not
  // list the purpose, so at refuses to send (outbound policy).
  auto at = fed_->Ctl("at", {"deconflict", "--peer", "de", "--type", "url", held});
  EXPECT_EQ(at.exit_code, 1) << at.out << at.err;
  EXPECT_NE(at.err.find("not sent: our policy"), std::string::npos) << at.err;
  // de asks at: at's inbound policy refuses (no takedown_deconfliction purpose).
  auto de = fed_->Ctl("de", {"deconflict", "--peer", "at", "--type", "url", clear});
  EXPECT_EQ(de.exit_code, 1) << de.out << de.err;
  EXPECT_NE(de.err.find("peer at:"), std::string::npos) << de.err;
  // Bad input.
  EXPECT_EQ(fed_->Ctl("hu", {"deconflict", "--peer", "de", "--type", "phone", "+33641728395"}).exit_code, 2);
  EXPECT_EQ(fed_->Ctl("hu", {"deconflict", "--type", "url", held}).exit_code, 2);
  auto bad = fed_->Ctl("hu", {"deconflict", "--peer", "de", "--type", "url", "ftp://x"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.out.find("error:"), std::string::npos);

  // A hold set at ingest (CSV column `hold`); a bad cell is refused by name.
  const std::string csv = fed_->dir() + "/held.csv";
  WriteFile(csv, "type,value,case_ref,tlp,hold\n"
                 "url,https://held-by-csv.demo-platform.net/page,C-H,amber,true\n"
                 "url,https://not-held.demo-platform.net/page,C-H,amber,\n");
  auto ing = fed_->Ctl("de", {"ingest", "--no-progress", csv});
  ASSERT_EQ(ing.exit_code, 0) << ing.out << ing.err;
  auto by_csv = fed_->Ctl("hu", {"deconflict", "--peer", "de", "--type", "url",
                                 "https://held-by-csv.demo-platform.net/page",
                                 "https://not-held.demo-platform.net/page"});
  EXPECT_EQ(by_csv.exit_code, 3) << by_csv.out << by_csv.err;
  EXPECT_NE(by_csv.out.find("/page\tde\theld\t"), std::string::npos) << by_csv.out;
  EXPECT_NE(by_csv.out.find("not-held.demo-platform.net/page\tde\tclear\t"), std::string::npos)
      << by_csv.out;
  WriteFile(csv, "type,value,case_ref,tlp,hold\nurl,https://x.demo-platform.net/a,C-H,amber,maybe\n");
  auto bad_hold = fed_->Ctl("de", {"ingest", "--no-progress", csv});
  EXPECT_EQ(bad_hold.exit_code, 1);
  EXPECT_NE(bad_hold.err.find("line 2: field hold: expected true or false"), std::string::npos)
      << bad_hold.err;

  // Cleared: the same question now answers clear.
  ASSERT_EQ(fed_->Ctl("de", {"hold", "clear", "--type", "url", held}).exit_code, 0);
  auto after = fed_->Ctl("hu", {"deconflict", "--peer", "de", "--type", "url", held});
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_NE(after.out.find("\tde\tclear\t"), std::string::npos) << after.out;

  // Audit on both sides, no values: the holder sees a referral checked
  // against its hold.
  const std::string de_audit = Audit("de");
  EXPECT_NE(de_audit.find("\"action\":\"deconflict.in\""), std::string::npos);
  EXPECT_NE(de_audit.find("\"held\":1"), std::string::npos);
  EXPECT_NE(de_audit.find("\"action\":\"hold.set\""), std::string::npos);
  EXPECT_NE(de_audit.find("\"action\":\"hold.clear\""), std::string::npos);
  EXPECT_NE(de_audit.find("\"action\":\"deconflict.out\""), std::string::npos);
  const std::string hu_audit = Audit("hu");
  EXPECT_NE(hu_audit.find("\"action\":\"deconflict.out\""), std::string::npos);
  const std::string at_audit = Audit("at");
  EXPECT_NE(at_audit.find("\"action\":\"deconflict.in\""), std::string::npos);
  EXPECT_NE(at_audit.find("\"outcome\":\"refused\""), std::string::npos);
  for (const std::string* a : {&de_audit, &hu_audit, &at_audit}) {
    EXPECT_EQ(a->find("Zuwara"), std::string::npos);
    EXPECT_EQ(a->find("zuwara"), std::string::npos);
    EXPECT_EQ(a->find("clear-page"), std::string::npos);
  }
  EXPECT_EQ(fed_->AllLogs().find("clear-page"), std::string::npos);
  for (const char* n : {"de", "hu", "at"}) EXPECT_EQ(fed_->Ctl(n, {"audit", "verify"}).exit_code, 0);
}

}  // namespace
}  // namespace ifed::testing
