// ifed-bench: shared options, result rows and load helpers.
#ifndef IFED_BENCH_BENCH_H_
#define IFED_BENCH_BENCH_H_

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ifed::testing {
class LocalFederation;
}  // namespace ifed::testing

namespace ifed::bench {

struct Options {
  bool smoke = false;
  std::vector<uint64_t> ns = {1000000};   // store sizes (--n, --scale).
  std::vector<int> batches = {1, 100, 1000};
  int clients = 4;                         // concurrent clients (C); 1 is always run too.
  double seconds = 3;                      // per measurement point.
  int runs = 3;                            // repetitions per point; the median is reported.
  int pg_depth = 4;                        // pipeline depth of the pipelined PostgreSQL run.
  uint64_t ingest_rows = 200000;
  int depth = 4;                           // requests in flight per MatchStream.
  // Shares of queried keys that are stored (--hit-rate 0.01,0.5); every
  // keyed and PostgreSQL point runs once per share.
  std::vector<double> hit_rates = {0.5};
  bool full_answer = false;                // --full-answer: one ItemResult per item.
  bool keyed = true, oprf = true, ingest = true, postgres = true, redis = true;
  std::string out = "bench-results";
  bool charts = false;                     // PNGs via gnuplot (only when asked).
};

// One measured figure. `ratio` compares items_per_s with `ratio_of`.
struct Row {
  std::string scenario, variant;
  uint64_t n = 0;
  int batch = 0, clients = 0;
  double items_per_s = 0, p50_us = 0, p99_us = 0;
  double ratio = 0;
  std::string ratio_of, note;
};

class Report {
 public:
  void Add(Row r);
  const std::vector<Row>& rows() const { return rows_; }
  // Items/s of the first row matching, or 0.
  double Rate(const std::string& scenario, const std::string& variant, uint64_t n, int batch,
              int clients) const;
  void Print() const;
  void WriteCsv(const std::string& path) const;
  // gnuplot PNGs; returns the files written (none if gnuplot is missing or fails).
  std::vector<std::string> Charts(const std::string& dir) const;

 private:
  std::vector<Row> rows_;
};

struct LoadStats {
  double items_per_s = 0, p50_us = 0, p99_us = 0;
  uint64_t calls = 0, errors = 0;
  std::string first_error;
};

// Closed loop: `clients` threads, each makes its worker (connections etc.)
// before the clock starts, then calls it until `seconds` have passed. A
// worker completes one batch of `batch` items and returns "" or an error.
// It may set *latency_us to the batch's own latency (a pipelined worker
// completes a batch sent several calls earlier); otherwise the call's wall
// time is the latency.
using Worker = std::function<std::string(double* latency_us)>;
LoadStats RunClosedLoop(int clients, double seconds, size_t batch,
                        const std::function<Worker(int client)>& make_worker);

// Median over `runs` repetitions of a closed loop (by items/s; p50/p99 are
// the medians of the runs' percentiles).
LoadStats MedianOf(int runs, const std::function<LoadStats()>& one);

using Key = std::array<uint8_t, 32>;
// Pseudonym number i of the benchmark store: i < n are stored, i >= n never.
Key KeyOf(uint64_t i);
uint64_t SplitMix(uint64_t& state);
// `batch` keys, each stored (i < n) with probability `hit_rate`, from
// `rng`; `stored` (when given) says which ones are.
void QueryKeys(uint64_t n, size_t batch, uint64_t& rng, std::vector<Key>* out,
               std::vector<bool>* stored = nullptr, double hit_rate = 0.5);
// Variant name suffix of a hit rate: "" for 0.5 (the historical rows),
// else "@1%" and the like.
std::string HitTag(double hit_rate);

double NowSeconds();
uint64_t RssKb(pid_t pid, const char* field);  // "VmRSS:" or "VmHWM:"; 0 if unknown.
inline uint64_t PeakRssKb(pid_t pid) { return RssKb(pid, "VmHWM:"); }
std::string Hex(const uint8_t* p, size_t n);

// Rewrites node `id`'s config (written by LocalFederation::Start, which
// logs at debug) to `level`; takes effect at the node's next start.
void UseLogLevel(ifed::testing::LocalFederation& fed, const std::string& id,
                 const std::string& level);

// Scenarios. Keyed returns the ifed rates for the PostgreSQL ratios.
void RunKeyed(const Options& o, uint64_t n, Report& report);
void RunOprf(const Options& o, Report& report);
void RunIngest(const Options& o, Report& report);
// False (and a note) when PostgreSQL is not available.
bool RunPostgres(const Options& o, uint64_t n, Report& report);
// The same for Redis (SMISMEMBER over TLS, pipelined).
bool RunRedis(const Options& o, uint64_t n, Report& report);

}  // namespace ifed::bench

#endif  // IFED_BENCH_BENCH_H_
