// keyed: a real ifed-node over mTLS with N pseudonyms in its store, unary
// Match load with 1 and C clients per batch size, against raw in-process
// RocksDB MultiGet on the same store and the same keys.
#include <grpcpp/grpcpp.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "node/bench/bench.h"
#include "node/federation/tls.h"
#include "node/store/store.h"
#include "proto/federation.grpc.pb.h"
#include "tests/integration/federation.h"

namespace ifed::bench {
namespace {

// Writes records 0..n-1 (type PHONE, epoch 1, TLP green) through the Store
// API into `dir`, in transactions of 10000.
void LoadStore(const std::string& dir, uint64_t n, Report& report) {
  auto store = store::Store::Open({dir, 64});
  if (!store.ok()) throw std::runtime_error(std::string(store.status().message()));
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
      it.sealed_value = std::string(48, 's');  // stands in for the sealed value
      items.push_back(std::move(it));
    }
    auto r = (*store)->Ingest(items);
    if (!r.ok()) throw std::runtime_error(std::string(r.status().message()));
  }
  const double dt = NowSeconds() - t0;
  Row row{"keyed", "load-store-api", n, 10000, 1, n / dt, 0, 0, 0, "", ""};
  row.note = "Store::Ingest before the node starts";
  report.Add(row);
}

// The index column family opened like the node opens it (same cache size,
// bloom filter, block index), single-threaded MultiGet of the same keys.
void RawMultiGet(const Options& o, const std::string& dir, uint64_t n, Report& report) {
  std::vector<std::string> names;
  rocksdb::DBOptions dbo;
  if (!rocksdb::DB::ListColumnFamilies(dbo, dir, &names).ok()) throw std::runtime_error("list cf");
  auto cache = rocksdb::NewLRUCache(64 << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& name : names) {
    rocksdb::ColumnFamilyOptions cf;
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.whole_key_filtering = true;
    t.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    cf.compression = rocksdb::kNoCompression;
    cfs.emplace_back(name, cf);
  }
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
  for (int batch : o.batches) {
    LoadStats s = MedianOf(o.runs, [&] {
      return RunClosedLoop(1, o.seconds, batch, [&](int c) -> Worker {
        auto rng = std::make_shared<uint64_t>(77 + c);
        auto keys = std::make_shared<std::vector<Key>>();
        return [=, &db]() -> std::string {
          QueryKeys(n, batch, *rng, keys.get());
          std::vector<std::string> ks;
          ks.reserve(batch);
          for (const Key& k : *keys) {
            std::string s(36, '\0');
            s[3] = 1;  // epoch 1, big-endian
            std::copy(k.begin(), k.end(), s.begin() + 4);
            ks.push_back(std::move(s));
          }
          std::vector<rocksdb::Slice> sl(ks.begin(), ks.end());
          std::vector<rocksdb::PinnableSlice> vals(ks.size());
          std::vector<rocksdb::Status> sts(ks.size());
          db->MultiGet({}, index, sl.size(), sl.data(), vals.data(), sts.data());
          for (const auto& st : sts) {
            if (!st.ok() && !st.IsNotFound()) return st.ToString();
          }
          return "";
        };
      });
    });
    report.Add({"keyed", "raw-multiget", n, batch, 1, s.items_per_s, s.p50_us, s.p99_us, 0, "",
                "in-process, index CF, 1 thread"});
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
}

}  // namespace

void RunKeyed(const Options& o, uint64_t n, Report& report) {
  std::cerr << "keyed: N=" << n << "\n";
  ifed::testing::LocalFederation fed("ifed-bench.eu");
  ifed::testing::PartnerSpec bench;
  bench.id = "bench";
  fed.AddNode("srv", "DE", {bench});
  auto [cert, key] = fed.IssueCert("bench");
  LoadStore(fed.node("srv").data_dir, n, report);
  RawMultiGet(o, fed.node("srv").data_dir, n, report);

  fed.Start();
  const pid_t pid = fed.node("srv").process.pid();
  federation::TlsFiles files{fed.ca_cert(), cert, key, ""};
  const std::string address = fed.node("srv").address;
  auto make_worker = [&](uint64_t seed, int batch) {
    return [&, seed, batch](int c) -> Worker {
      grpc::ChannelArguments args = federation::ClientChannelArguments();
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per client
      auto channel = grpc::CreateCustomChannel(
          address, federation::MakeChannelCredentials(files, fed.trust_domain(), "srv"), args);
      std::shared_ptr<ifed::v1::Federation::Stub> stub = ifed::v1::Federation::NewStub(channel);
      auto rng = std::make_shared<uint64_t>(seed * 1000 + c);
      auto keys = std::make_shared<std::vector<Key>>();
      auto seq = std::make_shared<uint64_t>(0);
      return [=]() -> std::string {
        QueryKeys(n, batch, *rng, keys.get());
        ifed::v1::MatchRequest req;
        req.set_request_id("b" + std::to_string(c) + "-" + std::to_string((*seq)++));
        req.set_purpose(ifed::v1::MIGRANT_SMUGGLING);
        req.set_epoch(1);
        auto* b = req.add_batches();
        b->set_type(ifed::v1::PHONE);
        std::string* packed = b->mutable_pseudonyms();
        packed->reserve(32 * keys->size());
        for (const Key& k : *keys) packed->append(reinterpret_cast<const char*>(k.data()), 32);
        ifed::v1::MatchResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        grpc::Status s = stub->Match(&ctx, req, &resp);
        if (!s.ok()) return s.error_message();
        if (resp.results_size() != static_cast<int>(keys->size())) return "short answer";
        return "";
      };
    };
  };
  // Warm-up: connections, caches.
  LoadStats warm = RunClosedLoop(o.clients, o.smoke ? 0.3 : 1.0, 1000, make_worker(1, 1000));
  if (warm.calls == 0) throw std::runtime_error("keyed warm-up failed: " + warm.first_error);

  std::vector<int> conc = {1};
  if (o.clients > 1) conc.push_back(o.clients);
  for (int batch : o.batches) {
    for (int c : conc) {
      LoadStats s = MedianOf(o.runs, [&] { return RunClosedLoop(c, o.seconds, batch, make_worker(2, batch)); });
      Row row{"keyed", "ifed-unary", n, batch, c, s.items_per_s, s.p50_us, s.p99_us, 0, "", ""};
      const double raw = report.Rate("keyed", "raw-multiget", n, batch, 1);
      if (raw > 0) row.ratio = s.items_per_s / raw, row.ratio_of = "raw-multiget c=1";
      if (s.errors > 0) row.note = std::to_string(s.errors) + " errors: " + s.first_error;
      report.Add(row);
    }
    if (o.clients > 1) {
      const double one = report.Rate("keyed", "ifed-unary", n, batch, 1);
      const double many = report.Rate("keyed", "ifed-unary", n, batch, o.clients);
      if (one > 0) {
        report.Add({"keyed", "scaling-c" + std::to_string(o.clients) + "/c1", n, batch,
                    o.clients, many, 0, 0, many / one, "ifed-unary c=1", ""});
      }
    }
  }
  Row rss{"keyed", "node-peak-rss-MiB", n, 0, 0, PeakRssKb(pid) / 1024.0, 0, 0, 0, "", ""};
  rss.note = "VmHWM of ifed-node after the keyed load (items/s column = MiB)";
  report.Add(rss);
}

}  // namespace ifed::bench
