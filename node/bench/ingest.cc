// ingest: rows/s through the node's whole path (ifedctl ingest of a CSV of
// mixed types: parse, normalise, pseudonymise, seal, store in one WriteBatch
// per transaction, audited) against a raw RocksDB WriteBatch load of the same
// number of rows and about the same bytes (three puts per row); peak RSS.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "node/bench/bench.h"
#include "tests/integration/federation.h"

namespace ifed::bench {

void RunIngest(const Options& o, Report& report) {
  const uint64_t rows_wanted = o.ingest_rows;
  std::cerr << "ingest: " << rows_wanted << " rows\n";
  ifed::testing::LocalFederation fed("ifed-bench.eu");
  fed.AddNode("ing", "DE", {});
  const std::string synth_dir = fed.dir() + "/synth";
  auto r = ifed::testing::Run({fed.bin("ifed-synth"), "--out", synth_dir, "--nodes", "ing:DE",
                               "--count", std::to_string(rows_wanted)});
  if (r.exit_code != 0) throw std::runtime_error("ifed-synth: " + r.err);
  const std::string csv = synth_dir + "/ing.csv";
  uint64_t rows = 0;
  {
    std::ifstream in(csv);
    std::string line;
    while (std::getline(in, line)) ++rows;
    if (rows > 0) --rows;  // header
  }
  fed.Start();
  fed.StopNode("ing");
  UseLogLevel(fed, "ing", "info");
  fed.StartNode("ing");
  const double t0 = NowSeconds();
  auto res = fed.Ctl("ing", {"ingest", csv});
  const double dt = NowSeconds() - t0;
  if (res.exit_code != 0) throw std::runtime_error("ifedctl ingest: " + res.err + res.out);
  const pid_t pid = fed.node("ing").process.pid();
  const double node_rate = rows / dt;
  const uint64_t rss = PeakRssKb(pid);

  // Raw: same rows, three puts each (index ~36+34 B, record 32+~110 B,
  // sealed 32+~60 B), one synced WriteBatch per 10000 rows... and per
  // transaction of the same size as ifedctl's (all rows here).
  const std::string raw_dir = fed.dir() + "/raw-db";
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.compression = rocksdb::kNoCompression;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(opts, raw_dir, &raw).ok()) throw std::runtime_error("raw open");
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  uint64_t s = 99;
  const double r0 = NowSeconds();
  rocksdb::WriteBatch wb;
  for (uint64_t i = 0; i < rows; ++i) {
    const Key k = KeyOf(i + (1ULL << 40));
    std::string key(reinterpret_cast<const char*>(k.data()), 32);
    std::string id = Hex(k.data(), 16);
    wb.Put("\0\0\0\1" + key, std::string(34, static_cast<char>(SplitMix(s))));
    wb.Put("r" + id, std::string(110, 'v'));
    wb.Put("s" + id, std::string(60, 'x'));
    if (wb.Count() >= 30000) {
      if (!db->Write(wo, &wb).ok()) throw std::runtime_error("raw write");
      wb.Clear();
    }
  }
  if (wb.Count() > 0 && !db->Write(wo, &wb).ok()) throw std::runtime_error("raw write");
  const double raw_rate = rows / (NowSeconds() - r0);
  report.Add({"ingest", "raw-writebatch", rows, 10000, 1, raw_rate, 0, 0, 0, "", "3 puts per row, synced"});
  report.Add({"ingest", "ifedctl-ingest-mixed", rows, 0, 1, node_rate, 0, 0, node_rate / raw_rate,
              "raw-writebatch", "CSV parse+normalise+pseudonymise+seal+store, audited"});
  report.Add({"ingest", "node-peak-rss-MiB", rows, 0, 0, rss / 1024.0, 0, 0, 0, "",
              "VmHWM of ifed-node after ingest (items/s column = MiB)"});
}

}  // namespace ifed::bench
