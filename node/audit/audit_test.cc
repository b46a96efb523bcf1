#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/audit/audit_log.h"
#include "node/audit/chain.h"
#include "node/audit/event.h"
#include "node/audit/receipt.h"

namespace ifed::audit {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A scratch dir with a CA and two P-256 node certificates (de, at).
class Fixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/ifed-audit-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    const std::string d = *dir_;
    auto sh = [](const std::string& cmd) { ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd; };
    sh("cd " + d + " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
       " -keyout ca.key -out ca.pem -subj /CN=ca -days 2 2>/dev/null");
    // "de2": de's renewed certificate (new key, same node id).
    for (const char* id : {"de", "at", "de2"}) {
      const std::string n = id;
      sh("cd " + d + " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
         n + ".key -out " + n + ".csr -subj /CN=" + n + " 2>/dev/null && printf 'subjectAltName=URI:spiffe://t.eu/node/" +
         (n == "de2" ? std::string("de") : n) + "\\n' > " + n + ".ext && openssl x509 -req -in " + n +
         ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile " + n + ".ext -out " + n +
         ".pem 2>/dev/null");
    }
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    db_ = absl::StrCat(*dir_, "/db-", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto st = store::Store::Open({.path = db_});
    ASSERT_TRUE(st.ok()) << st.status();
    store_ = std::move(*st);
    auto s = Signer::Load(*dir_ + "/de.key", *dir_ + "/de.pem");
    ASSERT_TRUE(s.ok()) << s.status();
    signer_ = std::move(*s);
  }
  std::unique_ptr<AuditLog> OpenLog(uint64_t every = 5) {
    auto log = AuditLog::Open(store_.get(), signer_.get(),
                              {.node_id = "de", .checkpoint_every = every, .checkpoint_seconds = 0,
                               .now_ms = [this] { return ++clock_; }});
    EXPECT_TRUE(log.ok()) << log.status();
    return std::move(*log);
  }
  static Event Ev(const std::string& action, int64_t n) {
    Event e;
    e.action = action;
    e.actor = "local:uid=1000(alice)";
    e.outcome = "ok";
    e.Set("items", n).Set("note", "quote \" backslash \\ newline \n");
    return e;
  }
  std::vector<std::string> Lines(const AuditLog& log) {
    std::vector<std::string> out;
    EXPECT_TRUE(log.Export(0, 0, [&](const std::string& l) {
                     out.push_back(l);
                     return true;
                   }).ok());
    return out;
  }
  VerifyReport Verify(const std::vector<std::string>& lines,
                      std::vector<HeldCheckpoint> held = {}) {
    auto v = Verifier::FromCertPem(Slurp(*dir_ + "/de.pem"));
    EXPECT_TRUE(v.ok());
    ChainVerifier cv(v->get(), true, std::move(held));
    for (const auto& l : lines) cv.Add(l);
    return cv.Finish();
  }

  static std::string* dir_;
  std::string db_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Signer> signer_;
  int64_t clock_ = 1767225600000;
};
std::string* Fixture::dir_ = nullptr;

TEST(EventTest, EncodeParseRoundTrip) {
  Event e;
  e.action = "ingest";
  e.actor = "local:uid=0(root)";
  e.outcome = "ok";
  e.Set("n", int64_t{-5}).Set("s", std::string("a\"b\\c\n\x01"));
  const std::string line = Encode({3, kZeroHash, 42, "de"}, e);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto p = Parsed::Parse(line);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->Int("seq"), 3);
  EXPECT_EQ(p->Int("n"), -5);
  EXPECT_EQ(p->Str("s"), "a\"b\\c\n\x01");
  EXPECT_EQ(p->Str("action"), "ingest");
  EXPECT_FALSE(Parsed::Parse(line + "x").ok());
  EXPECT_FALSE(Parsed::Parse("{\"a\":1,\"a\":2}").ok());
  EXPECT_FALSE(Parsed::Parse("{\"a\":[1]}").ok());
}

TEST_F(Fixture, ChainVerifiesAndSurvivesReopen) {
  {
    auto log = OpenLog();
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(log->Append(Ev("test", i)).ok());
    EXPECT_GT(log->LatestCheckpoint().seq, 0u);
  }  // Close() writes a final checkpoint.
  {
    auto log = OpenLog();
    ASSERT_TRUE(log->Append(Ev("after-reopen", 1)).ok());
    auto lines = Lines(*log);
    auto r = Verify(lines);
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.last_seq, lines.size());
    EXPECT_GE(r.checkpoints, 3u);
  }
}

// Group commit: many threads appending at once each get their own event,
// once, in one valid chain with its checkpoints.
TEST_F(Fixture, ConcurrentAppendsFormOneValidChain) {
  auto log = OpenLog(/*every=*/7);
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!log->Append(Ev(absl::StrCat("t", t), i)).ok()) ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  auto lines = Lines(*log);
  auto r = Verify(lines);
  EXPECT_TRUE(r.ok) << r.error;
  std::map<std::string, int> seen;
  for (const auto& l : lines) {
    auto p = Parsed::Parse(l);
    ASSERT_TRUE(p.ok());
    if (p->Str("action") == "checkpoint") continue;
    ++seen[absl::StrCat(*p->Str("action"), "/", *p->Int("items"))];
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kEach));
  for (const auto& [k, n] : seen) EXPECT_EQ(n, 1) << k;
  EXPECT_GE(r.checkpoints, 10u);  // every >= 7 events: a group may pass the mark.
}

TEST_F(Fixture, IngestWritesRecordAndEventTogether) {
  auto log = OpenLog();
  store::IngestItem item;
  item.record.set_record_id("r1");
  item.record.set_type(ifed::v1::PHONE);
  item.record.set_pseudonym(std::string(32, 'p'));
  item.record.set_epoch(1);
  item.record.set_case_ref("C-1");
  item.sealed_value = "sealed";
  auto r = log->Ingest({&item, 1}, [](const store::IngestResult& res) {
    Event e;
    e.action = "ingest";
    e.actor = "local:uid=1(x)";
    e.outcome = "ok";
    e.Set("stored", static_cast<int64_t>(res.stored));
    return e;
  });
  ASSERT_TRUE(r.ok()) << r.status();
  auto lines = Lines(*log);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"stored\":1"), std::string::npos);
  // A failing audit function stores nothing.
  item.record.set_record_id("r2");
  item.record.set_case_ref("C-2");
  auto bad = store_->Ingest({&item, 1}, [](const store::IngestResult&)
                                            -> absl::StatusOr<store::Store::AuditEntries> {
    return absl::InternalError("no");
  });
  EXPECT_FALSE(bad.ok());
  auto counts = store_->CountByType();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[ifed::v1::PHONE], 1u);
}

class TamperTest : public Fixture {
 protected:
  void SetUp() override {
    Fixture::SetUp();
    auto log = OpenLog(4);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(log->Append(Ev("test", i)).ok());
    lines_ = Lines(*log);
    ASSERT_TRUE(Verify(lines_).ok);
  }
  std::vector<std::string> lines_;
};

TEST_F(TamperTest, EveryChangedByteOfAnEventIsDetected) {
  // Every byte of event 3 (before a later event links to it).
  for (size_t i = 0; i < lines_[2].size(); ++i) {
    auto t = lines_;
    t[2][i] ^= 0x01;
    auto r = Verify(t);
    EXPECT_FALSE(r.ok) << "byte " << i;
    EXPECT_LE(r.first_bad_seq, 4u) << r.error;
  }
}

TEST_F(TamperTest, ChangedValueNamesTheEvent) {
  auto t = lines_;
  const size_t at = t[6].find("\"items\":");
  ASSERT_NE(at, std::string::npos);
  t[6].replace(at, 9, "\"items\":9");
  auto r = Verify(t);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 7u) << r.error;
}

TEST_F(TamperTest, DeletedEvent) {
  auto t = lines_;
  t.erase(t.begin() + 9);
  auto r = Verify(t);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 10u) << r.error;
  auto first = lines_;
  first.erase(first.begin());
  EXPECT_FALSE(Verify(first).ok);
}

TEST_F(TamperTest, ReorderedPair) {
  auto t = lines_;
  std::swap(t[4], t[5]);
  auto r = Verify(t);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 5u) << r.error;
}

TEST_F(TamperTest, ForgedCheckpoint) {
  // Re-sign a checkpoint with another node's key: the chain links stay intact.
  size_t cp = 0;
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (lines_[i].find("\"action\":\"checkpoint\"") != std::string::npos) cp = i;
  }
  ASSERT_GT(cp, 0u);
  auto p = Parsed::Parse(lines_[cp]);
  ASSERT_TRUE(p.ok());
  auto other = Signer::Load(*dir_ + "/at.key", *dir_ + "/at.pem");
  ASSERT_TRUE(other.ok());
  auto sig = (*other)->Sign(CheckpointMessage("de", *p->Int("cp_seq"), *p->Str("cp_hash"),
                                              *p->Int("ts_ms")));
  ASSERT_TRUE(sig.ok());
  auto t = lines_;
  const size_t s = t[cp].find("\"sig\":\"") + 7;
  t[cp] = t[cp].substr(0, s) + absl::BytesToHexString(*sig) + "\"}";
  t.resize(cp + 1);  // nothing after it, so only the signature can tell.
  auto r = Verify(t);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, cp + 1) << r.error;
  // And with the original signature the same prefix verifies.
  auto good = lines_;
  good.resize(cp + 1);
  EXPECT_TRUE(Verify(good).ok);
}

TEST_F(TamperTest, TruncatedTailAgainstHeldCheckpoint) {
  auto held = CheckpointsIn(absl::StrJoin(lines_, "\n"));
  ASSERT_FALSE(held.empty());
  const uint64_t last_cp = held.back().seq;
  auto t = lines_;
  t.resize(last_cp - 2);  // cut before the last signed head
  EXPECT_TRUE(Verify(t).ok) << "a chain alone cannot see a cut tail";
  auto r = Verify(t, held);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, last_cp - 1) << r.error;
  EXPECT_NE(r.error.find("truncated"), std::string::npos);
  auto full = Verify(lines_, held);
  EXPECT_TRUE(full.ok) << full.error;
  EXPECT_EQ(full.held_checked, held.size());
}

TEST_F(Fixture, ReceiptVerifiesAndTamperingIsRejected) {
  auto log = OpenLog(1);
  ASSERT_TRUE(log->Append(Ev("x", 1)).ok());
  ASSERT_TRUE(log->Append(Ev("x", 2)).ok());
  ifed::v1::MatchRequest req;
  req.set_request_id("q-1");
  req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  req.set_epoch(1);
  req.add_batches()->set_pseudonyms(std::string(64, 'z'));
  ifed::v1::MatchResponse resp;
  resp.set_request_id("q-1");
  resp.set_responder("de");
  resp.add_results()->set_verdict(ifed::v1::HIT);
  resp.add_results()->set_verdict(ifed::v1::NO_HIT);
  ASSERT_TRUE(SignReceipt(*signer_, "de", req, log->LatestCheckpoint(), "v1", 5, &resp).ok());
  const std::string ca = *dir_ + "/ca.pem";
  const std::string de = "spiffe://t.eu/node/de";
  // Over the wire and back.
  ifed::v1::MatchResponse wire;
  ASSERT_TRUE(wire.ParseFromString(resp.SerializeAsString()));
  EXPECT_TRUE(VerifyReceipt(req, wire, de, ca).ok());
  EXPECT_GT(wire.receipt().checkpoint().seq(), 0u);

  auto flipped = wire;
  flipped.mutable_results(1)->set_verdict(ifed::v1::HIT);
  EXPECT_FALSE(VerifyReceipt(req, flipped, de, ca).ok());
  auto other_req = req;
  other_req.set_purpose(ifed::v1::TERRORISM);
  EXPECT_FALSE(VerifyReceipt(other_req, wire, de, ca).ok());
  EXPECT_FALSE(VerifyReceipt(req, wire, "spiffe://t.eu/node/at", ca).ok());
  for (size_t i = 0; i < wire.receipt().signature().size(); i += 7) {
    auto t = wire;
    (*t.mutable_receipt()->mutable_signature())[i] ^= 0x40;
    EXPECT_FALSE(VerifyReceipt(req, t, de, ca).ok()) << i;
  }
  auto ts = wire;
  ts.mutable_receipt()->set_ts_ms(6);
  EXPECT_FALSE(VerifyReceipt(req, ts, de, ca).ok());
  auto cp = wire;
  cp.mutable_receipt()->mutable_checkpoint()->set_seq(99);
  EXPECT_FALSE(VerifyReceipt(req, cp, de, ca).ok());
  auto none = wire;
  none.clear_receipt();
  EXPECT_FALSE(VerifyReceipt(req, none, de, ca).ok());
  // A receipt signed by at's real key but presented as de's.
  auto at = Signer::Load(*dir_ + "/at.key", *dir_ + "/at.pem");
  ASSERT_TRUE(at.ok());
  auto forged = resp;
  forged.clear_receipt();
  ASSERT_TRUE(SignReceipt(**at, "de", req, {}, "v1", 5, &forged).ok());
  EXPECT_FALSE(VerifyReceipt(req, forged, de, ca).ok());
}

}  // namespace
}  // namespace ifed::audit

namespace ifed::audit {
namespace {

std::string SetField(std::string line, const std::string& key, const std::string& value) {
  const std::string k = "\"" + key + "\":\"";
  const size_t start = line.find(k) + k.size();
  return line.replace(start, line.find('"', start) - start, value);
}

// Re-links lines[from+1..] to lines[from] and re-signs their checkpoints
// with `signer`: a forger holding only `signer`'s key.
void Rechain(std::vector<std::string>* lines, size_t from, const Signer& signer) {
  for (size_t i = from + 1; i < lines->size(); ++i) {
    std::string& l = (*lines)[i];
    const std::string prev = HashLine((*lines)[i - 1]);
    l = SetField(l, "prev", prev);
    if (l.find("\"action\":\"checkpoint\"") != std::string::npos) {
      auto p = Parsed::Parse(l);
      ASSERT_TRUE(p.ok());
      l = SetField(l, "cp_hash", prev);
      auto sig = signer.Sign(CheckpointMessage("de", *p->Int("seq") - 1, prev, *p->Int("ts_ms")));
      ASSERT_TRUE(sig.ok());
      l = SetField(l, "sig", absl::BytesToHexString(*sig));
    }
  }
}

class RenewalTest : public Fixture {
 protected:
  std::vector<std::string> RenewedLog() {
    auto next = Signer::Load(*dir_ + "/de2.key", *dir_ + "/de2.pem");
    EXPECT_TRUE(next.ok()) << next.status();
    renewed_ = std::shared_ptr<const Signer>(std::move(*next));
    auto log = OpenLog(3);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(log->Append(Ev("before", i)).ok());
    EXPECT_TRUE(log->RotateSigner(renewed_).ok());
    EXPECT_EQ(log->signer()->cert_der(), renewed_->cert_der());
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(log->Append(Ev("after", i)).ok());
    log->Close();
    return Lines(*log);
  }
  std::shared_ptr<const Signer> renewed_;
};

TEST_F(RenewalTest, ChainVerifiesAcrossARenewal) {
  const auto lines = RenewedLog();
  size_t changes = 0;
  for (const auto& l : lines) changes += l.find("\"action\":\"signing_cert\"") != std::string::npos;
  EXPECT_EQ(changes, 1u);
  VerifyReport r = Verify(lines);
  EXPECT_TRUE(r.ok) << r.error << " at " << r.first_bad_seq;
  EXPECT_EQ(r.cert_changes, 1u);
  // The checkpoint right after the change is the new key's.
  auto v2 = Verifier::FromCertPem(renewed_->cert_pem());
  ASSERT_TRUE(v2.ok());
  ChainVerifier from_new(v2->get(), true, {});
  for (const auto& l : lines) from_new.Add(l);
  EXPECT_FALSE(from_new.Finish().ok) << "old checkpoints verified under the new certificate";
}

TEST_F(RenewalTest, SameCertificateIsNoChange) {
  auto log = OpenLog(3);
  ASSERT_TRUE(log->Append(Ev("x", 1)).ok());
  auto same = Signer::Load(*dir_ + "/de.key", *dir_ + "/de.pem");
  ASSERT_TRUE(same.ok());
  ASSERT_TRUE(log->RotateSigner(std::shared_ptr<const Signer>(std::move(*same))).ok());
  log->Close();
  for (const auto& l : Lines(*log)) EXPECT_EQ(l.find("signing_cert"), std::string::npos);
  EXPECT_FALSE(log->RotateSigner(nullptr).ok());
}

// A forger with only the new key re-signs the change and re-links the rest:
// the change is not signed by the previous key.
TEST_F(RenewalTest, ChangeSignedByTheNewKeyIsRefused) {
  auto lines = RenewedLog();
  size_t k = 0;
  while (lines[k].find("\"action\":\"signing_cert\"") == std::string::npos) ++k;
  auto p = Parsed::Parse(lines[k]);
  ASSERT_TRUE(p.ok());
  auto sig = renewed_->Sign(SigningCertMessage("de", *p->Int("seq") - 1, *p->Str("cp_hash"),
                                               *p->Int("ts_ms"), *p->Str("old_cert_sha256"),
                                               *p->Str("cert_sha256")));
  ASSERT_TRUE(sig.ok());
  lines[k] = SetField(lines[k], "sig", absl::BytesToHexString(*sig));
  Rechain(&lines, k, *renewed_);
  VerifyReport r = Verify(lines);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, static_cast<uint64_t>(*p->Int("seq")));
  EXPECT_NE(r.error.find("not signed by the previous key"), std::string::npos) << r.error;
}

// A change to a certificate of another node (at), signed by de's old key,
// is refused: the new certificate must name the node.
TEST_F(RenewalTest, ChangeToAnotherNodesCertificateIsRefused) {
  auto at = Signer::Load(*dir_ + "/at.key", *dir_ + "/at.pem");
  ASSERT_TRUE(at.ok());
  auto log = OpenLog(3);
  ASSERT_TRUE(log->Append(Ev("x", 1)).ok());
  ASSERT_TRUE(log->RotateSigner(std::shared_ptr<const Signer>(std::move(*at))).ok());
  ASSERT_TRUE(log->Append(Ev("y", 2)).ok());
  log->Close();
  VerifyReport r = Verify(Lines(*log));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("names another node"), std::string::npos) << r.error;
}

TEST_F(RenewalTest, ExportHeaderCertIsTheOneInForceAtTheStart) {
  auto next = Signer::Load(*dir_ + "/de2.key", *dir_ + "/de2.pem");
  ASSERT_TRUE(next.ok());
  auto log = OpenLog(3);
  ASSERT_TRUE(log->Append(Ev("x", 1)).ok());
  const int64_t before = clock_;
  ASSERT_TRUE(log->RotateSigner(std::shared_ptr<const Signer>(std::move(*next))).ok());
  auto at_start = log->SigningCertAt(0);
  ASSERT_TRUE(at_start.ok());
  EXPECT_EQ(*at_start, signer_->chain_pem());
  auto after = log->SigningCertAt(before + 100);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, log->signer()->chain_pem());
  log->Close();
}

}  // namespace
}  // namespace ifed::audit
