// ifed-bench: measures a real ifed-node over mTLS against the machine's
// limits and against PostgreSQL, in the same run on the same data
// (BENCHMARKS.md). Every run stops by itself; only 127.0.0.1 is used.
//
//   ifed-bench [--smoke] [--n N | --scale 1000000,3000000,10000000]
//              [--clients C] [--depth D] [--seconds S] [--runs R] [--pg-depth D]
//              [--ingest-rows M] [--only keyed,oprf,ingest,postgres]
//              [--no-postgres] [--out DIR] [--charts]
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "node/bench/bench.h"
#include "node/common/version.h"
#include "node/normalize/normalizer.h"

namespace {

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

int Usage() {
  std::cerr << "usage: ifed-bench [--smoke] [--n N | --scale N1,N2,...] [--clients C] [--depth D]\n"
               "                  [--batches 1,100,1000] [--seconds S] [--runs R] [--pg-depth D]\n"
               "                  [--ingest-rows M] [--hit-rate 0.01,0.5] [--full-answer]\n"
               "                  [--only keyed,oprf,ingest,postgres,redis] [--no-postgres]\n"
               "                  [--no-redis] [--out DIR]\n"
               "                  [--charts]   (PNG charts with gnuplot)\n"
               "       ifed-bench --version\n";
  return 2;
}

void SetEnvDefaults() {
  if (std::getenv("IFED_SOURCE_DIR") == nullptr) setenv("IFED_SOURCE_DIR", IFED_SOURCE_DIR_DEFAULT, 0);
  if (std::getenv("IFED_BIN_DIR") == nullptr) {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").parent_path();
    setenv("IFED_BIN_DIR", self.c_str(), 0);
  }
}

std::string Machine() {
  std::string model;
  std::ifstream cpu("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpu, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " cpus";
}

// Applies the option at argv[i] (and its value, advancing i) to `o`. Returns
// an exit code when the run ends here (--version, a bad option).
std::optional<int> ParseOption(int argc, char** argv, int& i, ifed::bench::Options& o,
                               bool& only_given) {
  const std::string a = argv[i];
  auto val = [&]() -> std::string {
    if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
    return argv[++i];
  };
  if (a == "--version") {
    std::cout << ifed::version::VersionText("ifed-bench", ifed::normalize::kCanonicalVersion);
    return 0;
  }
  if (a == "--smoke") {
    o.smoke = true;
    o.ns = {20000};
    o.seconds = 0.3;
    o.runs = 1;
    o.clients = 2;
    o.ingest_rows = 2000;
    // PostgreSQL is not a build or test dependency: `--smoke --only postgres`.
    if (!only_given) o.postgres = o.redis = false;
  } else if (a == "--n") {
    o.ns = {std::stoull(val())};
  } else if (a == "--scale") {
    o.ns.clear();
    for (const auto& s : Split(val())) o.ns.push_back(std::stoull(s));
  } else if (a == "--clients") {
    o.clients = std::stoi(val());
  } else if (a == "--seconds") {
    o.seconds = std::stod(val());
  } else if (a == "--runs") {
    o.runs = std::stoi(val());
  } else if (a == "--depth") {
    o.depth = std::stoi(val());
  } else if (a == "--pg-depth") {
    o.pg_depth = std::stoi(val());
  } else if (a == "--ingest-rows") {
    o.ingest_rows = std::stoull(val());
  } else if (a == "--hit-rate") {
    o.hit_rates.clear();
    for (const auto& s : Split(val())) {
      const double h = std::stod(s);
      if (!(h >= 0 && h <= 1)) throw std::runtime_error("--hit-rate takes shares in [0, 1]");
      o.hit_rates.push_back(h);
    }
  } else if (a == "--batches") {
    o.batches.clear();
    for (const auto& s : Split(val())) o.batches.push_back(std::stoi(s));
  } else if (a == "--only") {
    only_given = true;
    o.keyed = o.oprf = o.ingest = o.postgres = o.redis = false;
    for (const auto& s : Split(val())) {
      if (s == "keyed") o.keyed = true;
      else if (s == "oprf") o.oprf = true;
      else if (s == "ingest") o.ingest = true;
      else if (s == "postgres") o.postgres = true;
      else if (s == "redis") o.redis = true;
      else return Usage();
    }
  } else if (a == "--charts") {
    o.charts = true;
  } else if (a == "--full-answer") {
    o.full_answer = true;
  } else if (a == "--no-postgres") {
    o.postgres = false;
  } else if (a == "--no-redis") {
    o.redis = false;
  } else if (a == "--out") {
    o.out = val();
  } else {
    return Usage();
  }
  return std::nullopt;
}

// The command line into `o`; an exit code when the run ends here.
std::optional<int> ParseArgs(int argc, char** argv, ifed::bench::Options& o) {
  bool only_given = false;
  for (int i = 1; i < argc; ++i) {
    try {
      if (std::optional<int> exit = ParseOption(argc, argv, i, o, only_given)) return exit;
    } catch (const std::exception& e) {
      std::cerr << "ifed-bench: " << e.what() << "\n";
      return Usage();
    }
  }
  if (o.ns.empty() || o.clients < 1 || o.runs < 1 || o.seconds <= 0 || o.depth < 1 ||
      o.batches.empty() || o.hit_rates.empty()) {
    return Usage();
  }
  return std::nullopt;
}

// Every selected scenario into `report`; false (after printing what was
// measured) when one failed.
bool RunScenarios(const ifed::bench::Options& o, ifed::bench::Report& report) {
  using namespace ifed::bench;
  try {
    for (uint64_t n : o.ns) {
      if (o.keyed) RunKeyed(o, n, report);
      if (o.postgres) RunPostgres(o, n, report);
      if (o.redis) RunRedis(o, n, report);
    }
    if (o.oprf) RunOprf(o, report);
    if (o.ingest) RunIngest(o, report);
  } catch (const std::exception& e) {
    std::cerr << "ifed-bench: FAILED: " << e.what() << "\n";
    report.Print();
    return false;
  }
  return true;
}

// The report as CSV files in `out` (a time-stamped one and latest.csv) and,
// with --charts, PNG charts; false when the charts could not be drawn.
bool WriteOutputs(const ifed::bench::Options& o, const ifed::bench::Report& report,
                  const std::string& out) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  const std::string csv = out + "/bench-" + stamp + ".csv";
  report.WriteCsv(csv);
  report.WriteCsv(out + "/latest.csv");
  std::printf("csv: %s\n", csv.c_str());
  if (o.charts) {
    const auto pngs = report.Charts(out);
    if (pngs.empty()) {
      std::cerr << "ifed-bench: --charts: gnuplot failed or is missing "
                   "(apt-get install -y gnuplot-nox)\n";
      return false;
    }
    for (const auto& png : pngs) std::printf("chart: %s\n", png.c_str());
  }
  return true;
}

// Smoke mode checks that every scenario produced numbers.
bool SmokeRowsGood(const ifed::bench::Report& report) {
  for (const ifed::bench::Row& r : report.rows()) {
    if (r.items_per_s <= 0 || r.note.find("errors") != std::string::npos) {
      std::cerr << "smoke: bad row " << r.scenario << " " << r.variant << "\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ifed::bench;
  Options o;
  if (std::optional<int> exit = ParseArgs(argc, argv, o)) return *exit;
  SetEnvDefaults();
  std::filesystem::create_directories(o.out);
  const std::string out = std::filesystem::absolute(o.out).string();

  Report report;
  const double t0 = NowSeconds();
  if (!RunScenarios(o, report)) return 1;
  std::printf("ifed-bench on %s; %d run(s) per point (median), %.1f s each, C=%d\n",
              Machine().c_str(), o.runs, o.seconds, o.clients);
  report.Print();
  if (!WriteOutputs(o, report, out)) return 1;
  std::printf("total %.0f s\n", NowSeconds() - t0);
  if (o.smoke && !SmokeRowsGood(report)) return 1;
  return 0;
}
