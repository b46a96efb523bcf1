// postgres: what an agency would build instead. PostgreSQL 15 from Debian,
// a private cluster on 127.0.0.1 with TLS in a temporary directory (run as
// `nobody` when we are root), a table of the same N pseudonyms (bytea
// primary key), matched with `k = ANY($1)` in the same batches and with the
// same concurrency: one query in flight per client, and pipelined (libpq
// pipeline mode) with --pg-depth queries in flight.
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <stdexcept>

#include "node/bench/bench.h"
#include "tests/integration/process.h"

#ifdef IFED_BENCH_POSTGRES
#include <libpq-fe.h>
#endif

namespace ifed::bench {

#ifndef IFED_BENCH_POSTGRES
bool RunPostgres(const Options&, uint64_t, Report& report) {
  std::cerr << "postgres: skipped (built without libpq-dev)\n";
  return false;
}
#else
namespace {

namespace fs = std::filesystem;
constexpr const char* kBin = "/usr/lib/postgresql/15/bin";

class Cluster {
 public:
  Cluster() {
    char tmpl[] = "/tmp/ifed-bench-pg-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp");
    dir_ = tmpl;
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("nobody");
      if (pw == nullptr) throw std::runtime_error("no user nobody to run postgres");
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown");
      as_ = {"/usr/sbin/runuser", "-u", "nobody", "--"};
    }
    Must({std::string(kBin) + "/initdb", "-D", dir_ + "/data", "-U", "bench", "--auth=trust",
          "--no-sync", "-E", "UTF8"}, "initdb");
    Must({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
          "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir_ + "/server.key", "-out",
          dir_ + "/server.crt", "-days", "2", "-subj", "/CN=127.0.0.1"}, "openssl req");
    fs::permissions(dir_ + "/server.key", fs::perms::owner_read | fs::perms::owner_write);
    port_ = ifed::testing::FreePort();
    const std::string o = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                          " -c unix_socket_directories=" + dir_ + " -c ssl=on -c ssl_cert_file=" +
                          dir_ + "/server.crt -c ssl_key_file=" + dir_ + "/server.key";
    Must({std::string(kBin) + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/pg.log", "-w",
          "-o", o, "start"}, "pg_ctl start");
    started_ = true;
  }
  ~Cluster() {
    if (started_) {
      (void)Run({std::string(kBin) + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"});
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string conninfo() const {
    return "host=127.0.0.1 port=" + std::to_string(port_) +
           " user=bench dbname=postgres sslmode=require";
  }

 private:
  ifed::testing::RunResult Run(std::vector<std::string> argv) {
    argv.insert(argv.begin(), as_.begin(), as_.end());
    return ifed::testing::Run(argv);
  }
  void Must(std::vector<std::string> argv, const std::string& what) {
    auto r = Run(std::move(argv));
    if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.err + r.out);
  }
  std::string dir_;
  std::vector<std::string> as_;
  int port_ = 0;
  bool started_ = false;
};

struct Conn {
  PGconn* c = nullptr;
  explicit Conn(const std::string& info) : c(PQconnectdb(info.c_str())) {
    if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c));
  }
  ~Conn() { PQfinish(c); }
  void Exec(const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    PQclear(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      throw std::runtime_error(sql + ": " + PQerrorMessage(c));
    }
  }
};

// Text literal of a bytea[]: {"\\x..","\\x.."}.
std::string ArrayLiteral(const std::vector<Key>& keys) {
  std::string s = "{";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) s += ',';
    s += "\"\\\\x" + Hex(keys[i].data(), 32) + "\"";
  }
  return s + "}";
}

constexpr const char* kQuery = "SELECT k FROM p WHERE k = ANY($1::bytea[])";

// One client: `depth` = 1 one query at a time, else libpq pipeline mode
// with `depth` queries in flight. Each answer is checked: exactly the
// distinct stored keys of its batch come back.
Worker PgWorker(const std::string& info, uint64_t n, int batch, int depth, double hit_rate,
                int cl) {
  auto conn = std::make_shared<Conn>(info);
  PGresult* pr = PQprepare(conn->c, "q", kQuery, 1, nullptr);
  if (PQresultStatus(pr) != PGRES_COMMAND_OK) throw std::runtime_error(PQerrorMessage(conn->c));
  PQclear(pr);
  if (depth > 1 && PQenterPipelineMode(conn->c) != 1) throw std::runtime_error("pipeline mode");
  auto rng = std::make_shared<uint64_t>(555 + cl);
  auto expected = std::make_shared<std::deque<int>>();  // rows each query in flight must return
  return [=](double*) -> std::string {
    auto check = [&](PGresult* r) -> std::string {
      const bool ok = r != nullptr && PQresultStatus(r) == PGRES_TUPLES_OK;
      const int rows = ok ? PQntuples(r) : -1;
      PQclear(r);
      if (!ok) return std::string("query: ") + PQerrorMessage(conn->c);
      const int want = expected->front();
      expected->pop_front();
      if (rows != want) {
        return "PostgreSQL returned " + std::to_string(rows) + " rows, expected " +
               std::to_string(want);
      }
      return "";
    };
    auto send = [&]() -> std::string {
      std::vector<Key> keys;
      std::vector<bool> stored;
      QueryKeys(n, batch, *rng, &keys, &stored, hit_rate);
      std::set<Key> distinct;
      for (size_t i = 0; i < keys.size(); ++i) {
        if (stored[i]) distinct.insert(keys[i]);
      }
      expected->push_back(static_cast<int>(distinct.size()));
      const std::string lit = ArrayLiteral(keys);
      const char* vals[1] = {lit.c_str()};
      if (depth == 1) return check(PQexecPrepared(conn->c, "q", 1, vals, nullptr, nullptr, 0));
      if (PQsendQueryPrepared(conn->c, "q", 1, vals, nullptr, nullptr, 0) != 1 ||
          PQsendFlushRequest(conn->c) != 1 || PQflush(conn->c) != 0) {
        return PQerrorMessage(conn->c);
      }
      return "";
    };
    if (depth == 1) return send();
    while (expected->size() < static_cast<size_t>(depth)) {
      if (std::string e = send(); !e.empty()) return e;
    }
    std::string e = check(PQgetResult(conn->c));
    if (e.empty()) {
      PGresult* r;
      while ((r = PQgetResult(conn->c)) != nullptr) PQclear(r);  // end of this query
    }
    return e;
  };
}

}  // namespace

bool RunPostgres(const Options& o, uint64_t n, Report& report) {
  if (!fs::exists(std::string(kBin) + "/initdb")) {
    std::cerr << "postgres: skipped (" << kBin << "/initdb missing; apt-get install postgresql)\n";
    return false;
  }
  std::cerr << "postgres: N=" << n << "\n";
  Cluster cluster;
  {
    Conn conn(cluster.conninfo());
    const double t0 = NowSeconds();
    conn.Exec("CREATE TABLE p (k bytea NOT NULL, record_id text NOT NULL)");
    PGresult* r = PQexec(conn.c, "COPY p FROM STDIN");
    if (PQresultStatus(r) != PGRES_COPY_IN) throw std::runtime_error(PQerrorMessage(conn.c));
    PQclear(r);
    std::string buf;
    for (uint64_t i = 0; i < n; ++i) {
      const Key k = KeyOf(i);
      buf += "\\\\x" + Hex(k.data(), 32) + "\t" + Hex(k.data(), 16) + "\n";
      if (buf.size() > (1 << 20) || i + 1 == n) {
        if (PQputCopyData(conn.c, buf.data(), static_cast<int>(buf.size())) != 1) {
          throw std::runtime_error(PQerrorMessage(conn.c));
        }
        buf.clear();
      }
    }
    if (PQputCopyEnd(conn.c, nullptr) != 1) throw std::runtime_error(PQerrorMessage(conn.c));
    r = PQgetResult(conn.c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) throw std::runtime_error(PQerrorMessage(conn.c));
    PQclear(r);
    while ((r = PQgetResult(conn.c)) != nullptr) PQclear(r);
    conn.Exec("ALTER TABLE p ADD PRIMARY KEY (k)");
    conn.Exec("VACUUM ANALYZE p");
    report.Add({"postgres", "load-copy+pk", n, 0, 1, n / (NowSeconds() - t0), 0, 0, 0, "",
                "COPY, then primary key, VACUUM ANALYZE"});
  }
  const std::string info = cluster.conninfo();
  std::vector<int> conc = {1};
  if (o.clients > 1) conc.push_back(o.clients);
  for (double h : o.hit_rates) {
    const std::string tag = HitTag(h);
    for (int batch : o.batches) {
      for (int c : conc) {
        std::vector<int> depths = {1};
        if (o.pg_depth > 1) depths.push_back(o.pg_depth);
        for (int depth : depths) {
          LoadStats s = MedianOf(o.runs, [&] {
            return RunClosedLoop(c, o.seconds, batch, [&, depth, batch](int cl) {
              return PgWorker(info, n, batch, depth, h, cl);
            });
          });
          Row row{"postgres", "pg-pipe" + std::to_string(depth) + tag, n, batch, c,
                  s.items_per_s, s.p50_us, s.p99_us, 0, "", ""};
          const double ifed = report.Rate("keyed", "ifed-unary" + tag, n, batch, c);
          if (ifed > 0 && s.items_per_s > 0) {
            row.ratio = ifed / s.items_per_s;
            row.ratio_of = "ifed-unary" + tag + " / this";
          }
          if (depth > 1) row.note = "latency = wait per result with " + std::to_string(depth) + " in flight";
          if (s.errors > 0) row.note += " " + std::to_string(s.errors) + " errors: " + s.first_error;
          report.Add(row);
        }
      }
    }
  }
  return true;
}
#endif

}  // namespace ifed::bench
