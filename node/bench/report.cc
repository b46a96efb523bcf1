// Result table, CSV, gnuplot charts, and the closed-loop load driver.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "node/bench/bench.h"
#include "tests/integration/federation.h"

namespace ifed::bench {

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint64_t SplitMix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Key KeyOf(uint64_t i) {
  Key k;
  uint64_t s = i * 0x2545F4914F6CDD1DULL + 0x1234567;
  for (int w = 0; w < 4; ++w) {
    uint64_t v = SplitMix(s);
    for (int b = 0; b < 8; ++b) k[w * 8 + b] = static_cast<uint8_t>(v >> (8 * b));
  }
  return k;
}

void QueryKeys(uint64_t n, size_t batch, uint64_t& rng, std::vector<Key>* out,
               std::vector<bool>* stored, double hit_rate) {
  out->clear();
  if (stored != nullptr) stored->clear();
  const uint64_t threshold = static_cast<uint64_t>(hit_rate * 1048576.0);
  for (size_t j = 0; j < batch; ++j) {
    const uint64_t r = SplitMix(rng);
    const bool hit = (r & 0xfffff) < threshold;  // low 20 bits decide, the rest pick
    const uint64_t i = (r >> 20) % n + (hit ? 0 : n);
    out->push_back(KeyOf(i));
    if (stored != nullptr) stored->push_back(i < n);
  }
}

std::string HitTag(double hit_rate) {
  if (hit_rate == 0.5) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "@%g%%", hit_rate * 100);
  return buf;
}

uint64_t RssKb(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const size_t len = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::strtoull(line.c_str() + len, nullptr, 10);
  }
  return 0;
}

std::string Hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = d[p[i] >> 4];
    s[2 * i + 1] = d[p[i] & 15];
  }
  return s;
}

void UseLogLevel(ifed::testing::LocalFederation& fed, const std::string& id,
                 const std::string& level) {
  const std::string path = fed.node(id).config;
  std::string text = ifed::testing::ReadFile(path);
  const std::string from = "\nlog_level: debug\n";
  const size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("no log_level in " + path);
  text.replace(at, from.size(), "\nlog_level: " + level + "\n");
  ifed::testing::WriteFile(path, text, 0600);
}

namespace {
double Pct(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}
}  // namespace

LoadStats RunClosedLoop(int clients, double seconds, size_t batch,
                        const std::function<Worker(int)>& make_worker) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<double> start{0};
  std::mutex mu;
  std::vector<double> lat;
  double last = 0;
  LoadStats st;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> mine;
      uint64_t calls = 0, errors = 0;
      std::string err;
      Worker w;
      try {
        w = make_worker(c);
      } catch (const std::exception& e) {
        err = e.what();
        errors = 1;
      }
      ++ready;
      while (!go.load()) std::this_thread::yield();
      const double end = start.load() + seconds;
      while (w) {
        const double t0 = NowSeconds();
        if (t0 >= end) break;
        double own = -1;
        std::string e;
        try {
          e = w(&own);
        } catch (const std::exception& x) {
          e = x.what();
        }
        const double t1 = NowSeconds();
        if (e.empty()) {
          ++calls;
          mine.push_back(own >= 0 ? own : (t1 - t0) * 1e6);
        } else {
          ++errors;
          if (err.empty()) err = e;
          if (errors > 20) break;
        }
      }
      const double stopped = NowSeconds();
      w = nullptr;  // closes the worker's connections/streams outside the clock.
      std::lock_guard<std::mutex> l(mu);
      last = std::max(last, stopped);
      lat.insert(lat.end(), mine.begin(), mine.end());
      st.calls += calls;
      st.errors += errors;
      if (st.first_error.empty()) st.first_error = err;
    });
  }
  while (ready.load() < clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  start = NowSeconds();
  go = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::max(seconds, last - start.load());
  st.items_per_s = static_cast<double>(st.calls * batch) / elapsed;
  st.p50_us = Pct(lat, 0.50);
  st.p99_us = Pct(lat, 0.99);
  return st;
}

LoadStats MedianOf(int runs, const std::function<LoadStats()>& one) {
  std::vector<LoadStats> all;
  for (int i = 0; i < std::max(1, runs); ++i) all.push_back(one());
  auto med = [&](auto field) {
    std::vector<double> v;
    for (const auto& s : all) v.push_back(field(s));
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  LoadStats m;
  m.items_per_s = med([](const LoadStats& s) { return s.items_per_s; });
  m.p50_us = med([](const LoadStats& s) { return s.p50_us; });
  m.p99_us = med([](const LoadStats& s) { return s.p99_us; });
  for (const auto& s : all) {
    m.calls += s.calls;
    m.errors += s.errors;
    if (m.first_error.empty()) m.first_error = s.first_error;
  }
  return m;
}

void Report::Add(Row r) {
  rows_.push_back(r);
  // Progress on stderr as results arrive; the table comes at the end.
  std::fprintf(stderr, "  %-8s %-22s n=%-9llu b=%-5d c=%-2d %12.0f items/s p50 %9.0f us p99 %9.0f us%s%s\n",
               r.scenario.c_str(), r.variant.c_str(), static_cast<unsigned long long>(r.n),
               r.batch, r.clients, r.items_per_s, r.p50_us, r.p99_us,
               r.ratio > 0 ? ("  ratio " + std::to_string(r.ratio)).c_str() : "",
               r.note.empty() ? "" : ("  " + r.note).c_str());
}

double Report::Rate(const std::string& scenario, const std::string& variant, uint64_t n,
                    int batch, int clients) const {
  for (const Row& r : rows_) {
    if (r.scenario == scenario && r.variant == variant && r.n == n && r.batch == batch &&
        r.clients == clients) {
      return r.items_per_s;
    }
  }
  return 0;
}

void Report::Print() const {
  std::printf("%-8s | %-22s | %9s | %5s | %2s | %12s | %10s | %10s | %7s | %-22s | %s\n",
              "scenario", "variant", "n", "batch", "c", "items/s", "p50 us", "p99 us",
              "ratio", "ratio of", "note");
  std::printf("%s\n", std::string(150, '-').c_str());
  for (const Row& r : rows_) {
    char ratio[32] = "";
    if (r.ratio > 0) std::snprintf(ratio, sizeof ratio, "%.2f", r.ratio);
    std::printf("%-8s | %-22s | %9llu | %5d | %2d | %12.0f | %10.0f | %10.0f | %7s | %-22s | %s\n",
                r.scenario.c_str(), r.variant.c_str(), static_cast<unsigned long long>(r.n),
                r.batch, r.clients, r.items_per_s, r.p50_us, r.p99_us, ratio,
                r.ratio_of.c_str(), r.note.c_str());
  }
}

void Report::WriteCsv(const std::string& path) const {
  std::ofstream out(path);
  out << "scenario,variant,n,batch,clients,items_per_s,p50_us,p99_us,ratio,ratio_of,note\n";
  for (const Row& r : rows_) {
    out << r.scenario << "," << r.variant << "," << r.n << "," << r.batch << "," << r.clients
        << "," << static_cast<uint64_t>(r.items_per_s) << "," << static_cast<uint64_t>(r.p50_us)
        << "," << static_cast<uint64_t>(r.p99_us) << "," << r.ratio << "," << r.ratio_of
        << ",\"" << r.note << "\"\n";
  }
}

std::vector<std::string> Report::Charts(const std::string& dir) const {
  std::vector<std::string> written;
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) return written;
  // Throughput against N (batch 1000, most clients) for ifed, raw MultiGet,
  // PostgreSQL; p50/p99 per batch size for ifed at the largest N.
  int cmax = 1;
  uint64_t nmax = 0;
  for (const Row& r : rows_) {
    if (r.scenario == "keyed") cmax = std::max(cmax, r.clients), nmax = std::max(nmax, r.n);
  }
  auto series = [&](const std::string& file, const std::string& scen, const std::string& var,
                    int clients) {
    std::ofstream f(dir + "/" + file);
    for (const Row& r : rows_) {
      if (r.scenario == scen && r.variant == var && r.batch == 1000 && r.clients == clients) {
        f << r.n << " " << r.items_per_s << "\n";
      }
    }
  };
  series("ifed-stream.dat", "keyed", "ifed-stream", cmax);
  series("ifed-unary.dat", "keyed", "ifed-unary", cmax);
  series("raw.dat", "keyed", "raw-multiget", 1);
  series("pg.dat", "postgres", "pg-pipe1", cmax);
  series("redis.dat", "redis", "redis-smismember", cmax);
  series("ifed-stream-1pct.dat", "keyed", "ifed-stream@1%", cmax);
  for (const char* var : {"ifed-stream", "ifed-unary"}) {
    std::ofstream f(dir + "/latency-" + var + ".dat");
    for (const Row& r : rows_) {
      if (r.scenario == "keyed" && r.variant == var && r.n == nmax && r.clients == cmax) {
        f << r.batch << " " << r.p50_us << " " << r.p99_us << "\n";
      }
    }
  }
  const std::string c = std::to_string(cmax);
  std::ofstream gp(dir + "/charts.gp");
  gp << "set terminal png size 900,600\nset grid\nset key below\n"
     << "set output '" << dir << "/throughput.png'\nset logscale x\n"
     << "set xlabel 'records in store (N)'\nset ylabel 'keys matched per second'\n"
     << "set title 'keyed match, batch 1000'\nset yrange [0:*]\n"
     << "plot '" << dir << "/ifed-stream.dat' w lp t 'ifed MatchStream over mTLS (" << c
     << " clients)', '" << dir << "/ifed-unary.dat' w lp t 'ifed unary Match (" << c
     << " clients)', '" << dir << "/raw.dat' w lp t 'raw RocksDB MultiGet (1 thread)', '" << dir
     << "/pg.dat' w lp t 'PostgreSQL 15 = ANY (" << c << " clients)', '" << dir
     << "/redis.dat' w lp t 'Redis 7 SMISMEMBER over TLS (" << c << " clients)', '" << dir
     << "/ifed-stream-1pct.dat' w lp t 'ifed MatchStream, 1 % hits (" << c << " clients)'\n"
     << "set output '" << dir << "/latency.png'\nset logscale xy\nset yrange [*:*]\n"
     << "set xlabel 'batch size (items)'\nset ylabel 'microseconds per batch'\n"
     << "set title 'ifed keyed match latency per batch, N=" << nmax << ", " << c << " clients'\n"
     << "plot '" << dir << "/latency-ifed-stream.dat' u 1:2 w lp t 'stream p50', '' u 1:3 w lp t "
     << "'stream p99', '" << dir << "/latency-ifed-unary.dat' u 1:2 w lp t 'unary p50', '' u 1:3 "
     << "w lp t 'unary p99'\n";
  gp.close();
  if (std::system(("gnuplot '" + dir + "/charts.gp' 2>/dev/null").c_str()) == 0) {
    written = {dir + "/throughput.png", dir + "/latency.png"};
  }
  return written;
}

}  // namespace ifed::bench
