// Item 11 (secrets): a canary run. Unique raw values, case
// references and key bytes are seeded into three real nodes; every feature
// that can run here runs (CSV ingest, keyed and OPRF match, resolve,
// follow-up, erasure, backup, audit export, metrics scrape, normalisation
// and ingest errors); then every log, audit export, metrics page, file of
// the data dirs and backups, and every CLI error message is searched: none
// may hold a canary. RocksDB files may hold sealed (encrypted) values and
// the opaque case references of local records, so for them the search is
// for plaintext indicator values and key bytes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <stdexcept>

#include "tests/integration/federation.h"

namespace ifed::testing {
namespace {

namespace fs = std::filesystem;

std::string Random(const char* alphabet, int n, std::mt19937_64& rng) {
  const std::string a(alphabet);
  std::string out;
  for (int i = 0; i < n; ++i) out.push_back(a[rng() % a.size()]);
  return out;
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// One node's seeded values: raw spellings and the unique part to search for.
struct Seeds {
  std::string phone_raw, phone_needle;  // "+49 151 7NNNNNNN", "7NNNNNNN"
  std::string handle_raw, handle_needle;
  std::string url_raw, url_needle;
  std::string email_raw, email_needle;
  std::string case_ref;
  std::string Csv() const {
    return "type,value,case_ref,tlp\nphone," + phone_raw + "," + case_ref + ",amber\nhandle," +
           handle_raw + "," + case_ref + ",amber\nurl," + url_raw + "," + case_ref +
           ",amber\nemail," + email_raw + "," + case_ref + ",amber\n";
  }
  std::vector<std::string> Values() const {
    return {phone_needle, handle_needle, url_needle, email_needle};
  }
};

Seeds MakeSeeds(std::mt19937_64& rng) {
  Seeds s;
  const std::string digits = Random("0123456789", 7, rng);
  s.phone_raw = "+49 151 7" + digits;
  s.phone_needle = "7" + digits;
  const std::string h = "canaryh" + Random("abcdefghijklmnopqrstuvwxyz", 10, rng);
  s.handle_raw = "https://t.me/" + h;
  s.handle_needle = h;
  const std::string u = "canaryu" + Random("abcdefghijklmnopqrstuvwxyz", 10, rng);
  s.url_raw = "https://" + u + ".routes-eu.net/route";
  s.url_needle = u;
  const std::string e = "canarye" + Random("abcdefghijklmnopqrstuvwxyz", 10, rng);
  s.email_raw = e + "@mail-provider.eu";
  s.email_needle = e;
  s.case_ref = "CANARYCASE" + Random("ABCDEFGHJKLMNPQRSTUVWXYZ", 10, rng);
  return s;
}

class CanaryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fed_ = new LocalFederation();
    fed_->AddNode("de", "DE",
                  {{.id = "at", .extra = "    follow_ups: {allowed: true}\n"},
                   {.id = "cz", .extra = "    scheme: oprf\n"}});
    fed_->AddNode("at", "AT", {{.id = "de"}});
    fed_->AddNode("cz", "CZ", {{.id = "de", .extra = "    scheme: oprf\n"}});
    std::mt19937_64 rng(std::random_device{}());
    oprf_seed_hex_ = Random("0123456789abcdef", 64, rng);
    WriteFile(fed_->dir() + "/de/oprf.seed", oprf_seed_hex_ + "\n", 0600);
    metrics_port_ = FreePort();
    fed_->node("de").extra_yaml = "oprf_seed_file: " + fed_->dir() + "/de/oprf.seed\n" +
                                  "metrics_listen: 127.0.0.1:" + std::to_string(metrics_port_) +
                                  "\n";
    de_ = MakeSeeds(rng);
    at_ = MakeSeeds(rng);
    bad_phone_ = "CANARYBAD" + Random("0123456789", 9, rng);
    fed_->Start();
  }
  static void TearDownTestSuite() {
    delete fed_;
    fed_ = nullptr;
  }

  // Every CLI call's stderr (error messages) is kept for the search.
  static RunResult Ctl(const std::string& id, std::vector<std::string> args) {
    RunResult r = fed_->Ctl(id, std::move(args));
    errors_ += r.err;
    return r;
  }

  static LocalFederation* fed_;
  static Seeds de_, at_;
  static std::string bad_phone_, oprf_seed_hex_, errors_;
  static int metrics_port_;
};

LocalFederation* CanaryTest::fed_ = nullptr;
Seeds CanaryTest::de_, CanaryTest::at_;
std::string CanaryTest::bad_phone_, CanaryTest::oprf_seed_hex_, CanaryTest::errors_;
int CanaryTest::metrics_port_ = 0;

// Every regular file under `dir`, concatenated with its name.
void Slurp(const std::string& dir, std::vector<std::pair<std::string, std::string>>* out) {
  if (!fs::exists(dir)) return;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out->emplace_back(e.path().string(), ReadFile(e.path().string()));
  }
}

TEST_F(CanaryTest, NoCanaryInLogsAuditMetricsStoreOrErrors) {
  // Ingest, with one invalid row carrying a canary: the error names the line.
  WriteFile(fed_->dir() + "/de.csv", de_.Csv());
  WriteFile(fed_->dir() + "/at.csv", at_.Csv());
  ASSERT_EQ(Ctl("de", {"ingest", fed_->dir() + "/de.csv"}).exit_code, 0) << errors_;
  ASSERT_EQ(Ctl("at", {"ingest", fed_->dir() + "/at.csv"}).exit_code, 0) << errors_;
  WriteFile(fed_->dir() + "/bad.csv",
            "type,value,case_ref,tlp\nphone," + bad_phone_ + "," + de_.case_ref + ",amber\n");
  auto bad = Ctl("de", {"ingest", fed_->dir() + "/bad.csv"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("line 2"), std::string::npos) << bad.err;
  // Normalisation errors.
  EXPECT_NE(Ctl("de", {"normalize", "--type", "phone", bad_phone_}).exit_code, 0);
  EXPECT_NE(Ctl("de", {"normalize", "--type", "email", "x" + de_.email_needle + "@@"}).exit_code, 0);
  EXPECT_NE(Ctl("de", {"erase", "--type", "phone", bad_phone_}).exit_code, 0);

  // Keyed match, follow-up on the hit reference.
  auto m = Ctl("at", {"match", "--peer", "de", "--type", "phone", de_.phone_raw});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  ASSERT_NE(m.out.find("\tHIT\t"), std::string::npos) << m.out;
  const auto cols = [](const std::string& line) {
    std::vector<std::string> c;
    size_t p = 0, q;
    while ((q = line.find('\t', p)) != std::string::npos) {
      c.push_back(line.substr(p, q - p));
      p = q + 1;
    }
    c.push_back(line.substr(p, line.find('\n', p) - p));
    return c;
  };
  const auto c = cols(m.out);
  ASSERT_GE(c.size(), 6u) << m.out;
  auto fu = Ctl("at", {"followups", "request", "--peer", "de", "--ref", c[5], "--legal-basis",
                       "test basis", "--justification", "test justification"});
  EXPECT_EQ(fu.exit_code, 0) << fu.err;
  EXPECT_EQ(Ctl("de", {"followups", "list"}).exit_code, 0);
  // Matches of other types, a miss.
  EXPECT_EQ(Ctl("at", {"match", "--peer", "de", "--type", "url", de_.url_raw}).exit_code, 0);
  EXPECT_EQ(Ctl("at", {"match", "--peer", "de", "--type", "phone", at_.phone_raw}).exit_code, 0);

  // OPRF: filter sync, match with resolve.
  ASSERT_EQ(Ctl("cz", {"filters", "sync"}).exit_code, 0) << errors_;
  auto o = Ctl("cz", {"match", "--peer", "de", "--resolve", "yes", "--type", "handle",
                      de_.handle_raw});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("HIT"), std::string::npos) << o.out;

  // Erasure, backup, audit export, metrics, stats, peers.
  EXPECT_EQ(Ctl("de", {"erase", "--type", "email", de_.email_raw}).exit_code, 0) << errors_;
  const std::string backup = fed_->dir() + "/backup-de";
  EXPECT_EQ(Ctl("de", {"backup", "create", backup}).exit_code, 0) << errors_;
  std::string exports;
  for (const char* id : {"de", "at", "cz"}) {
    auto e = Ctl(id, {"audit", "export", "--format", "jsonl"});
    EXPECT_EQ(e.exit_code, 0);
    exports += e.out;
    EXPECT_EQ(Ctl(id, {"audit", "verify"}).exit_code, 0);
    EXPECT_EQ(Ctl(id, {"stats"}).exit_code, 0);
    EXPECT_EQ(Ctl(id, {"peers"}).exit_code, 0);
  }
  ASSERT_NE(exports.find("\"action\":\"erase\""), std::string::npos);
  const std::string metrics = HttpGet(metrics_port_, "/metrics");
  ASSERT_NE(metrics.find("ifed_inbound_items_total"), std::string::npos) << metrics;
  for (const char* id : {"de", "at", "cz"}) fed_->StopNode(id);  // logs and WAL complete.

  // --- the search ---
  std::vector<std::string> values, texts;  // texts: also case refs and bad input.
  for (const Seeds* s : {&de_, &at_}) {
    for (const auto& v : s->Values()) values.push_back(v);
    texts.push_back(s->case_ref);
  }
  texts.push_back(bad_phone_);
  std::vector<std::string> keys = {oprf_seed_hex_, Unhex(oprf_seed_hex_)};
  {
    const std::string fk = ReadFile(fed_->dir() + "/federation.key");
    const std::string hex = fk.substr(fk.find(' ') + 1, 64);
    keys.push_back(hex);
    keys.push_back(Unhex(hex));
    for (const char* id : {"de", "at", "cz"}) {
      const std::string lk = ReadFile(fed_->dir() + "/" + id + "/local.key").substr(0, 64);
      keys.push_back(lk);
      keys.push_back(Unhex(lk));
    }
  }
  for (const auto& v : values) texts.push_back(v);

  std::vector<std::pair<std::string, std::string>> outputs = {
      {"audit exports", exports}, {"metrics page", metrics}, {"CLI error messages", errors_}};
  std::vector<std::pair<std::string, std::string>> stored;
  for (const char* id : {"de", "at", "cz"}) {
    auto& n = fed_->node(id);
    outputs.emplace_back(n.log, ReadFile(n.log));
    outputs.emplace_back(n.log + ".stderr", ReadFile(n.log + ".stderr"));
    Slurp(n.data_dir, &stored);
  }
  Slurp(backup, &stored);
  ASSERT_GT(stored.size(), 10u);
  size_t searched = 0;
  for (const auto& [where, text] : outputs) {
    searched += text.size();
    for (const auto& t : texts) EXPECT_EQ(text.find(t), std::string::npos) << t << " in " << where;
    for (const auto& k : keys) EXPECT_EQ(text.find(k), std::string::npos) << "key bytes in " << where;
  }
  for (const auto& [where, bytes] : stored) {
    searched += bytes.size();
    for (const auto& v : values) EXPECT_EQ(bytes.find(v), std::string::npos) << v << " in " << where;
    for (const auto& k : keys) EXPECT_EQ(bytes.find(k), std::string::npos) << "key bytes in " << where;
  }
  // Control: the search does find a canary where it must be (the input).
  EXPECT_NE(ReadFile(fed_->dir() + "/de.csv").find(de_.phone_needle), std::string::npos);
  std::cerr << "searched " << searched << " bytes in " << outputs.size() << " outputs and "
            << stored.size() << " stored files for " << texts.size() << " canaries and "
            << keys.size() / 2 << " keys\n";
  for (const char* id : {"de", "at", "cz"}) fed_->StartNode(id);
}

// Key files: mode 0600 and owned by the node's user, or the node refuses to
// start, naming the file.
TEST_F(CanaryTest, KeyFilesMustBePrivateAndOwnedByTheNodeUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "changing a file's owner needs root";
  auto& de = fed_->node("de");
  fed_->StopNode("de");
  for (const std::string& key :
       {fed_->dir() + "/de/local.key", fed_->dir() + "/federation.key", de.key,
        fed_->dir() + "/de/oprf.seed"}) {
    SCOPED_TRACE(key);
    ASSERT_EQ(::chown(key.c_str(), 65534, 65534), 0);
    std::string said;
    try {
      fed_->StartNode("de");
      fed_->StopNode("de");
    } catch (const std::runtime_error& e) {
      said = e.what();
    }
    EXPECT_NE(said.find("owned by the node's user"), std::string::npos) << said;
    EXPECT_NE(said.find(key), std::string::npos) << said;
    ASSERT_EQ(::chown(key.c_str(), 0, 0), 0);
    ASSERT_EQ(::chmod(key.c_str(), 0640), 0);
    said.clear();
    try {
      fed_->StartNode("de");
      fed_->StopNode("de");
    } catch (const std::runtime_error& e) {
      said = e.what();
    }
    EXPECT_NE(said.find("chmod 600"), std::string::npos) << said;
    ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  }
  fed_->StartNode("de");  // control: private and owned, it starts.
}

}  // namespace
}  // namespace ifed::testing
