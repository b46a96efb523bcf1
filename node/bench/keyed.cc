// keyed: a real ifed-node over mTLS with N pseudonyms in its store, unary
// Match load with 1 and C clients per batch size, against raw in-process
// RocksDB MultiGet on the same store and the same keys.
#include <grpcpp/grpcpp.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "node/bench/bench.h"
#include "node/crypto/key_file.h"
#include "node/crypto/sealer.h"
#include "node/federation/compact_answer.h"
#include "node/federation/transport/tls.h"
#include "node/store/keys.h"
#include "node/normalize/normalizer.h"
#include "node/store/store.h"
#include "proto/federation.grpc.pb.h"
#include "tests/integration/federation.h"

namespace ifed::bench {
namespace {

// Writes records 0..n-1 (type PHONE, epoch 1, TLP green) through the Store
// API into `dir`, in transactions of 10000: pseudonym KeyOf(i) (random 32
// bytes, as HMAC outputs look), a synthetic phone number sealed with the
// node's local key (as ingest seals it).
void LoadStore(const std::string& dir, const std::string& local_key_file, uint64_t n,
               Report& report) {
  auto store = store::Store::Open({dir, 64});
  if (!store.ok()) throw std::runtime_error(std::string(store.status().message()));
  auto local_key = crypto::LoadLocalKey(local_key_file);
  if (!local_key.ok()) throw std::runtime_error(std::string(local_key.status().message()));
  auto sealer = crypto::Sealer::Create(*std::move(local_key));
  if (!sealer.ok()) throw std::runtime_error(std::string(sealer.status().message()));
  const double t0 = NowSeconds();
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::vector<store::IngestItem> items;
  for (uint64_t i = 0; i < n;) {
    items.clear();
    for (; i < n && items.size() < 10000; ++i) {
      store::IngestItem it;
      const Key k = KeyOf(i);
      uint8_t id[16];
      uint64_t s = i ^ 0xabcdef;
      for (int w = 0; w < 2; ++w) {
        uint64_t v = SplitMix(s);
        std::copy(reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 8, id + 8 * w);
      }
      it.record.set_record_id(Hex(id, 16));
      it.record.set_type(ifed::v1::PHONE);
      it.record.set_pseudonym(std::string(k.begin(), k.end()));
      it.record.set_epoch(1);
      it.record.set_case_ref("bench-" + std::to_string(i / 1000));
      it.record.set_tlp(ifed::v1::TLP_GREEN);
      it.record.set_unit("bench");
      it.record.set_first_seen(now);
      it.record.set_last_seen(now);
      it.record.set_canon_version(1);
      auto sealed = (*sealer)->Seal("+4930" + std::to_string(10000000 + i), it.record.record_id());
      if (!sealed.ok()) throw std::runtime_error(std::string(sealed.status().message()));
      it.sealed_value = *std::move(sealed);
      items.push_back(std::move(it));
    }
    auto r = (*store)->Ingest(items);
    if (!r.ok()) throw std::runtime_error(std::string(r.status().message()));
  }
  const double dt = NowSeconds() - t0;
  Row row{"keyed", "load-store-api", n, 10000, 1, n / dt, 0, 0, 0, "", ""};
  row.note = "Store::Ingest before the node starts";
  report.Add(row);
  // Steady state of a node that has run a while: memtables flushed, each
  // column family compacted (so neither side replays a WAL or reads L0).
  const double c0 = NowSeconds();
  if (absl::Status c = (*store)->Compact(); !c.ok()) throw std::runtime_error(std::string(c.message()));
  report.Add({"keyed", "flush+compact-s", n, 0, 0, NowSeconds() - c0, 0, 0, 0, "",
              "seconds (items/s column) to flush and compact the loaded store"});
}

// The index column family opened like the node opens it (same cache size,
// bloom filter, block index), single-threaded MultiGet of the same keys.
void RawMultiGet(const Options& o, const std::string& dir, uint64_t n, double hit_rate,
                 Report& report) {
  std::vector<std::string> names;
  rocksdb::DBOptions dbo;
  if (!rocksdb::DB::ListColumnFamilies(dbo, dir, &names).ok()) throw std::runtime_error("list cf");
  // The node's column family options and block cache size (64 MiB).
  auto cache = rocksdb::NewLRUCache(64 << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& name : names) cfs.emplace_back(name, store::internal::CfOptions(cache));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(dbo, dir, cfs, &handles, &raw).ok()) {
    throw std::runtime_error("raw open failed");
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* index = nullptr;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "index") index = handles[i];
  }
  if (index == nullptr) throw std::runtime_error("no index column family");
  // Unsorted (as the keys come) and sorted first (what the node does).
  for (bool sorted : {false, true}) {
    for (int batch : o.batches) {
      LoadStats s = MedianOf(o.runs, [&] {
        return RunClosedLoop(1, o.seconds, batch, [&](int c) -> Worker {
          auto rng = std::make_shared<uint64_t>(77 + c);
          auto keys = std::make_shared<std::vector<Key>>();
          auto stored = std::make_shared<std::vector<bool>>();
          return [=, &db](double*) -> std::string {
            QueryKeys(n, batch, *rng, keys.get(), stored.get(), hit_rate);
            std::vector<std::string> ks;
            ks.reserve(batch);
            for (const Key& k : *keys) ks.push_back(store::internal::IndexKey(1, k));
            if (sorted) std::sort(ks.begin(), ks.end());
            std::vector<rocksdb::Slice> sl(ks.begin(), ks.end());
            std::vector<rocksdb::PinnableSlice> vals(ks.size());
            std::vector<rocksdb::Status> sts(ks.size());
            db->MultiGet({}, index, sl.size(), sl.data(), vals.data(), sts.data(), sorted);
            size_t found = 0, expected = 0;
            for (const auto& st : sts) {
              if (!st.ok() && !st.IsNotFound()) return st.ToString();
              found += st.ok();
            }
            for (bool b : *stored) expected += b;
            if (found != expected) return "raw MultiGet found " + std::to_string(found) +
                                          ", expected " + std::to_string(expected);
            return "";
          };
        });
      });
      report.Add({"keyed", (sorted ? "raw-multiget" : "raw-multiget-unsorted") + HitTag(hit_rate),
                  n, batch, 1,
                  s.items_per_s, s.p50_us, s.p99_us, 0, "",
                  std::string("in-process, index CF, 1 thread") +
                      (sorted ? ", keys sorted first" : "") +
                      (s.errors ? ", " + std::to_string(s.errors) + " errors: " + s.first_error : "")});
    }
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
}


void MakeRequest(const std::vector<Key>& keys, const std::string& id, bool compact,
                 ifed::v1::MatchRequest* req) {
  req->set_request_id(id);
  req->set_compact_answer(compact);
  req->set_purpose(ifed::v1::MIGRANT_SMUGGLING);
  req->set_canon_version(normalize::kCanonicalVersion);
  req->set_epoch(1);
  auto* b = req->add_batches();
  b->set_type(ifed::v1::PHONE);
  std::string* packed = b->mutable_pseudonyms();
  packed->reserve(32 * keys.size());
  for (const Key& k : keys) packed->append(reinterpret_cast<const char*>(k.data()), 32);
}

// Every item's verdict against what the store holds (HIT iff stored), in
// either answer form.
std::string CheckAnswer(const ifed::v1::MatchResponse& resp, const std::vector<bool>& stored) {
  if (absl::Status s = federation::CheckCompact(resp); !s.ok()) return std::string(s.message());
  if (federation::AnsweredItems(resp) != stored.size()) {
    return "answer has " + std::to_string(federation::AnsweredItems(resp)) + " results for " +
           std::to_string(stored.size()) + " items";
  }
  for (size_t i = 0; i < stored.size(); ++i) {
    const bool hit = federation::VerdictAt(resp, i) == ifed::v1::HIT;
    if (hit != stored[i]) {
      return "wrong verdict for item " + std::to_string(i) + (hit ? " (HIT, not stored)" : " (NO_HIT, stored)");
    }
  }
  return "";
}

// One MatchStream: the caller writes, a reader thread collects the answers
// (so neither side can stall the other's flow control).
class StreamClient {
 public:
  struct Sent {
    std::vector<bool> stored;
    double t0 = 0;
  };
  StreamClient(std::shared_ptr<ifed::v1::Federation::Stub> stub, double seconds)
      : stub_(std::move(stub)) {
    ctx_.set_deadline(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
    stream_ = stub_->MatchStream(&ctx_);
    reader_ = std::thread([this] {
      ifed::v1::MatchResponse r;
      while (stream_->Read(&r)) {
        std::lock_guard<std::mutex> l(mu_);
        answers_.push_back(std::move(r));
        cv_.notify_all();
      }
      std::lock_guard<std::mutex> l(mu_);
      ended_ = true;
      cv_.notify_all();
    });
  }
  ~StreamClient() {
    if (finished_) return;
    stream_->WritesDone();
    reader_.join();
    (void)stream_->Finish();
  }
  size_t in_flight() const { return sent_.size(); }
  std::string Send(const ifed::v1::MatchRequest& req, Sent sent) {
    if (finished_) return "stream already ended";
    sent.t0 = NowSeconds();
    sent_.push_back(std::move(sent));
    if (!stream_->Write(req)) return "stream write failed";
    return "";
  }
  std::string Next(ifed::v1::MatchResponse* out, Sent* sent) {
    if (finished_) return "stream already ended";
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return !answers_.empty() || ended_; });
    if (answers_.empty()) {
      l.unlock();
      reader_.join();
      finished_ = true;
      const grpc::Status s = stream_->Finish();
      return "stream ended: " + (s.ok() ? std::string("OK") : s.error_message());
    }
    *out = std::move(answers_.front());
    answers_.pop_front();
    *sent = std::move(sent_.front());
    sent_.pop_front();
    return "";
  }

 private:
  std::shared_ptr<ifed::v1::Federation::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<ifed::v1::MatchRequest, ifed::v1::MatchResponse>> stream_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ifed::v1::MatchResponse> answers_;
  std::deque<Sent> sent_;  // writer's side only
  bool ended_ = false;
  bool finished_ = false;  // Finish() called after the stream ended early.
};

// All threads of `pid` on CPU `cpu` (-1: every CPU). False if not allowed.
bool PinProcess(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpus = static_cast<int>(std::thread::hardware_concurrency());
  for (int i = 0; i < cpus; ++i) {
    if (cpu < 0 || i == cpu) CPU_SET(i, &set);
  }
  bool ok = true;
  std::error_code ec;
  for (const auto& t : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    const pid_t tid = static_cast<pid_t>(std::stol(t.path().filename().string()));
    if (::sched_setaffinity(tid, sizeof set, &set) != 0) ok = false;
  }
  return ok && !ec;
}

// Closed-loop workers against the node: unary (one Match in flight) and
// streamed (`depth` requests in flight on one MatchStream per client); each
// answer is checked item by item.
class KeyedLoad {
 public:
  KeyedLoad(const Options& o, uint64_t n, federation::TlsFiles files, std::string address,
            std::string trust_domain)
      : o_(o), n_(n), files_(std::move(files)), address_(std::move(address)),
        trust_domain_(std::move(trust_domain)) {}

  std::shared_ptr<ifed::v1::Federation::Stub> NewStub() const {
    grpc::ChannelArguments args = federation::ClientChannelArguments();
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per client
    auto channel = grpc::CreateCustomChannel(
        address_, federation::MakeChannelCredentials(files_, trust_domain_, "srv"), args);
    return std::shared_ptr<ifed::v1::Federation::Stub>(ifed::v1::Federation::NewStub(channel));
  }

  std::function<Worker(int)> Unary(uint64_t seed, int batch, double hit_rate) const {
    return [this, seed, batch, hit_rate](int c) -> Worker {
      auto stub = NewStub();
      auto rng = std::make_shared<uint64_t>(seed * 1000 + c);
      auto keys = std::make_shared<std::vector<Key>>();
      auto stored = std::make_shared<std::vector<bool>>();
      auto seq = std::make_shared<uint64_t>(0);
      const uint64_t n = n_;
      const bool compact = !o_.full_answer;
      return [=](double*) -> std::string {
        QueryKeys(n, batch, *rng, keys.get(), stored.get(), hit_rate);
        ifed::v1::MatchRequest req;
        MakeRequest(*keys, "u" + std::to_string(c) + "-" + std::to_string((*seq)++), compact, &req);
        ifed::v1::MatchResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        grpc::Status s = stub->Match(&ctx, req, &resp);
        if (!s.ok()) return s.error_message();
        return CheckAnswer(resp, *stored);
      };
    };
  }

  // The latency of a batch is from its Write to its answer.
  std::function<Worker(int)> Streamed(uint64_t seed, int batch, int depth,
                                      double hit_rate) const {
    return [this, seed, batch, depth, hit_rate](int c) -> Worker {
      auto stub = NewStub();
      auto st = std::make_shared<StreamClient>(stub, std::max(10.0, o_.seconds * 4));
      auto rng = std::make_shared<uint64_t>(seed * 1000 + c);
      auto seq = std::make_shared<uint64_t>(0);
      const uint64_t n = n_;
      const bool compact = !o_.full_answer;
      return [=](double* latency_us) -> std::string {
        while (st->in_flight() < static_cast<size_t>(depth)) {
          StreamClient::Sent sent;
          std::vector<Key> keys;
          QueryKeys(n, batch, *rng, &keys, &sent.stored, hit_rate);
          ifed::v1::MatchRequest req;
          MakeRequest(keys, "s" + std::to_string(c) + "-" + std::to_string((*seq)++), compact, &req);
          if (std::string e = st->Send(req, std::move(sent)); !e.empty()) return e;
        }
        ifed::v1::MatchResponse resp;
        StreamClient::Sent sent;
        if (std::string e = st->Next(&resp, &sent); !e.empty()) return e;
        *latency_us = (NowSeconds() - sent.t0) * 1e6;
        return CheckAnswer(resp, sent.stored);
      };
    };
  }

 private:
  const Options& o_;
  const uint64_t n_;
  const federation::TlsFiles files_;
  const std::string address_, trust_domain_;
};

// Every measured point of one hit rate: batches x {1, C} clients, unary and
// streamed; then the node on one core.
void MeasureKeyed(const Options& o, uint64_t n, double h, const KeyedLoad& load, pid_t pid,
                  Report& report) {
  const std::string tag = HitTag(h);
  std::vector<int> conc = {1};
  if (o.clients > 1) conc.push_back(o.clients);
  auto add = [&](const std::string& variant, int batch, int c, const LoadStats& s,
                 const std::string& note) {
    Row row{"keyed", variant + tag, n, batch, c, s.items_per_s, s.p50_us, s.p99_us, 0, "", note};
    const double raw = report.Rate("keyed", "raw-multiget" + tag, n, batch, 1);
    if (raw > 0) row.ratio = s.items_per_s / raw, row.ratio_of = "raw-multiget" + tag + " c=1";
    if (s.errors > 0) row.note += " " + std::to_string(s.errors) + " errors: " + s.first_error;
    report.Add(row);
  };
  for (int batch : o.batches) {
    for (int c : conc) {
      add("ifed-unary", batch, c,
          MedianOf(o.runs, [&] { return RunClosedLoop(c, o.seconds, batch, load.Unary(2, batch, h)); }),
          "one Match in flight per client");
      add("ifed-stream", batch, c, MedianOf(o.runs, [&] {
            return RunClosedLoop(c, o.seconds, batch, load.Streamed(3, batch, o.depth, h));
          }),
          std::to_string(o.depth) + " requests in flight per MatchStream");
    }
  }
  // One server core: the node's threads on CPU 0, the bench's on CPU 1.
  if (o.smoke || std::thread::hardware_concurrency() < 2) return;
  const int big = o.batches.back();
  if (PinProcess(pid, 0) && PinProcess(::getpid(), 1)) {
    for (int c : conc) {
      add("ifed-stream-1core", big, c, MedianOf(o.runs, [&] {
            return RunClosedLoop(c, o.seconds, big, load.Streamed(4, big, o.depth, h));
          }),
          "node pinned to CPU 0, bench to CPU 1");
    }
    add("ifed-unary-1core", big, 1,
        MedianOf(o.runs, [&] { return RunClosedLoop(1, o.seconds, big, load.Unary(4, big, h)); }),
        "node pinned to CPU 0, bench to CPU 1");
  }
  PinProcess(pid, -1);
  PinProcess(::getpid(), -1);
  const double one = report.Rate("keyed", "ifed-stream-1core" + tag, n, big, o.clients);
  const double both = report.Rate("keyed", "ifed-stream" + tag, n, big, o.clients);
  if (one > 0 && both > 0) {
    report.Add({"keyed", "scaling-2core/1core" + tag, n, big, o.clients, both, 0, 0, both / one,
                "ifed-stream-1core" + tag, "node on both cores (shared with the bench) vs one"});
  }
}

}  // namespace

void RunKeyed(const Options& o, uint64_t n, Report& report) {
  std::cerr << "keyed: N=" << n << "\n";
  ifed::testing::LocalFederation fed("ifed-bench.eu");
  ifed::testing::PartnerSpec bench;
  bench.id = "bench";
  fed.AddNode("srv", "DE", {bench});
  auto [cert, key] = fed.IssueCert("bench");
  // The node starts once on an empty store (its first-start work done),
  // stops, gets the N records, and serves them at the production log level.
  fed.Start();
  fed.StopNode("srv");
  UseLogLevel(fed, "srv", "info");
  const std::string db = fed.node("srv").data_dir + "/db";  // where ifed-node opens its store
  LoadStore(db, fed.dir() + "/srv/local.key", n, report);
  for (double h : o.hit_rates) RawMultiGet(o, db, n, h, report);
  const double s0 = NowSeconds();
  fed.StartNode("srv");
  report.Add({"keyed", "node-start-s", n, 0, 0, NowSeconds() - s0, 0, 0, 0, "",
              "seconds (items/s column) from node start to serving (memory index built)"});
  const pid_t pid = fed.node("srv").process.pid();
  const KeyedLoad load(o, n, federation::TlsFiles{fed.ca_cert(), cert, key, ""},
                       fed.node("srv").address, fed.trust_domain());
  // Warm-up: connections, caches; also proves both calls answer correctly.
  LoadStats warm = RunClosedLoop(o.clients, o.smoke ? 0.3 : 1.0, 1000, load.Unary(1, 1000, 0.5));
  if (warm.calls == 0 || warm.errors > 0) {
    throw std::runtime_error("keyed warm-up (unary) failed: " + warm.first_error);
  }
  warm = RunClosedLoop(o.clients, o.smoke ? 0.3 : 1.0, 1000, load.Streamed(1, 1000, o.depth, 0.5));
  if (warm.calls == 0 || warm.errors > 0) {
    throw std::runtime_error("keyed warm-up (stream) failed: " + warm.first_error);
  }
  for (double h : o.hit_rates) MeasureKeyed(o, n, h, load, pid, report);
  report.Add({"keyed", "node-rss-MiB", n, 0, 0, RssKb(pid, "VmRSS:") / 1024.0, 0, 0, 0, "",
              "VmRSS of ifed-node after the keyed load (items/s column = MiB)"});
  report.Add({"keyed", "node-peak-rss-MiB", n, 0, 0, RssKb(pid, "VmHWM:") / 1024.0, 0, 0, 0, "",
              "VmHWM of ifed-node after the keyed load (items/s column = MiB)"});
}

}  // namespace ifed::bench
