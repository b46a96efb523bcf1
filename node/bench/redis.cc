// redis: a second anchor for the keyed match. A throwaway redis-server
// (Debian's Redis 7, TLS only, on 127.0.0.1 with a throwaway certificate,
// no persistence) holds the same N pseudonyms in one set; clients ask
// SMISMEMBER batches over TLS, pipelined, through a small RESP client over
// OpenSSL (Debian's hiredis has no TLS). Every answer is checked item by
// item like the node's.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "node/bench/bench.h"
#include "tests/integration/process.h"

namespace ifed::bench {
namespace {

namespace fs = std::filesystem;
constexpr const char* kRedis = "/usr/bin/redis-server";

// A TLS connection speaking RESP: commands out as arrays of bulk strings,
// replies parsed as far as SMISMEMBER, SADD and PING need (integers,
// arrays of integers, simple strings, errors).
class Resp {
 public:
  explicit Resp(int port) {
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_) throw std::runtime_error("SSL_CTX_new");
    // A throwaway self-signed certificate on loopback: encryption on, as a
    // deployment would run it; not a trust check.
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      throw std::runtime_error("redis: connect failed");
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    if (SSL_connect(ssl_.get()) != 1) throw std::runtime_error("redis: TLS handshake failed");
  }
  ~Resp() {
    ssl_.reset();
    if (fd_ >= 0) ::close(fd_);
  }
  // Appends one command to the output buffer; Flush() sends.
  void Command(const std::vector<std::string_view>& args) {
    out_ += "*" + std::to_string(args.size()) + "\r\n";
    for (std::string_view a : args) {
      out_ += "$" + std::to_string(a.size()) + "\r\n";
      out_.append(a);
      out_ += "\r\n";
    }
  }
  void Flush() {
    size_t done = 0;
    while (done < out_.size()) {
      const int w = SSL_write(ssl_.get(), out_.data() + done, static_cast<int>(out_.size() - done));
      if (w <= 0) throw std::runtime_error("redis: write failed");
      done += static_cast<size_t>(w);
    }
    out_.clear();
  }
  // One reply: integers (a lone integer as a one-element vector); throws on
  // an error reply.
  std::vector<int64_t> Reply() {
    std::string line = Line();
    if (line.empty()) throw std::runtime_error("redis: empty reply");
    if (line[0] == '-') throw std::runtime_error("redis: " + line.substr(1));
    if (line[0] == '+') return {};
    if (line[0] == ':') return {std::stoll(line.substr(1))};
    if (line[0] != '*') throw std::runtime_error("redis: unexpected reply " + line.substr(0, 1));
    const int64_t n = std::stoll(line.substr(1));
    std::vector<int64_t> v;
    v.reserve(static_cast<size_t>(std::max<int64_t>(n, 0)));
    for (int64_t i = 0; i < n; ++i) {
      const std::string item = Line();
      if (item.empty() || item[0] != ':') throw std::runtime_error("redis: array of non-integers");
      v.push_back(std::stoll(item.substr(1)));
    }
    return v;
  }

 private:
  std::string Line() {
    for (;;) {
      const size_t end = in_.find("\r\n", pos_);
      if (end != std::string::npos) {
        std::string line = in_.substr(pos_, end - pos_);
        pos_ = end + 2;
        if (pos_ > (1 << 16)) {
          in_.erase(0, pos_);
          pos_ = 0;
        }
        return line;
      }
      char buf[1 << 14];
      const int r = SSL_read(ssl_.get(), buf, sizeof buf);
      if (r <= 0) throw std::runtime_error("redis: connection closed");
      in_.append(buf, static_cast<size_t>(r));
    }
  }
  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  std::unique_ptr<SSL_CTX, CtxFree> ctx_;
  std::unique_ptr<SSL, SslFree> ssl_;
  int fd_ = -1;
  std::string out_, in_;
  size_t pos_ = 0;
};

// redis-server in a fresh directory: TLS port only, no persistence.
class Server {
 public:
  Server() {
    char tmpl[] = "/tmp/ifed-bench-redis-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp");
    dir_ = tmpl;
    auto r = ifed::testing::Run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                                 dir_ + "/server.key", "-out", dir_ + "/server.crt", "-days", "2",
                                 "-subj", "/CN=127.0.0.1"});
    if (r.exit_code != 0) throw std::runtime_error("openssl req failed: " + r.err);
    port_ = ifed::testing::FreePort();
    proc_ = ifed::testing::Process(
        {kRedis, "--port", "0", "--tls-port", std::to_string(port_), "--bind", "127.0.0.1",
         "--tls-cert-file", dir_ + "/server.crt", "--tls-key-file", dir_ + "/server.key",
         "--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", dir_,
         "--protected-mode", "yes", "--daemonize", "no"},
        dir_ + "/redis.log");
    for (int i = 0; i < 100; ++i) {  // up to 10 s
      try {
        Resp probe(port_);
        probe.Command({"PING"});
        probe.Flush();
        probe.Reply();
        return;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    throw std::runtime_error("redis-server did not start: " +
                             ifed::testing::ReadFile(dir_ + "/redis.log"));
  }
  ~Server() {
    proc_.Stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  int port() const { return port_; }
  pid_t pid() const { return proc_.pid(); }

 private:
  std::string dir_;
  int port_ = 0;
  ifed::testing::Process proc_;
};

std::string_view View(const Key& k) {
  return {reinterpret_cast<const char*>(k.data()), k.size()};
}

// One client, `depth` SMISMEMBER in flight; each reply checked item by item.
Worker RedisWorker(int port, uint64_t n, int batch, int depth, double hit_rate, int cl) {
  auto conn = std::make_shared<Resp>(port);
  auto rng = std::make_shared<uint64_t>(909 + cl);
  auto expected = std::make_shared<std::deque<std::vector<bool>>>();
  return [=](double*) -> std::string {
    while (expected->size() < static_cast<size_t>(depth)) {
      std::vector<Key> keys;
      std::vector<bool> stored;
      QueryKeys(n, batch, *rng, &keys, &stored, hit_rate);
      std::vector<std::string_view> args = {"SMISMEMBER", "p"};
      for (const Key& k : keys) args.push_back(View(k));
      conn->Command(args);
      conn->Flush();
      expected->push_back(std::move(stored));
    }
    const std::vector<int64_t> got = conn->Reply();
    const std::vector<bool> want = std::move(expected->front());
    expected->pop_front();
    if (got.size() != want.size()) return "redis answered " + std::to_string(got.size()) + " items";
    for (size_t i = 0; i < want.size(); ++i) {
      if ((got[i] == 1) != want[i]) return "redis: wrong answer for item " + std::to_string(i);
    }
    return "";
  };
}

}  // namespace

bool RunRedis(const Options& o, uint64_t n, Report& report) {
  if (!fs::exists(kRedis)) {
    std::cerr << "redis: skipped (" << kRedis << " missing; apt-get install redis-server)\n";
    return false;
  }
  std::cerr << "redis: N=" << n << "\n";
  Server server;
  {
    const double t0 = NowSeconds();
    Resp load(server.port());
    constexpr uint64_t kChunk = 1000;
    uint64_t sent = 0, acked = 0;
    for (uint64_t i = 0; i < n;) {
      std::vector<Key> keys;
      for (; i < n && keys.size() < kChunk; ++i) keys.push_back(KeyOf(i));
      std::vector<std::string_view> args = {"SADD", "p"};
      for (const Key& k : keys) args.push_back(View(k));
      load.Command(args);
      if (++sent - acked >= 16) {  // at most 16 chunks in flight
        load.Flush();
        for (; sent - acked > 4; ++acked) load.Reply();
      }
    }
    load.Flush();
    for (; acked < sent; ++acked) load.Reply();
    report.Add({"redis", "load-sadd", n, static_cast<int>(kChunk), 1, n / (NowSeconds() - t0), 0,
                0, 0, "", "SADD of the N pseudonyms, pipelined"});
  }
  std::vector<int> conc = {1};
  if (o.clients > 1) conc.push_back(o.clients);
  for (double h : o.hit_rates) {
    const std::string tag = HitTag(h);
    for (int batch : o.batches) {
      for (int c : conc) {
        LoadStats s = MedianOf(o.runs, [&] {
          return RunClosedLoop(c, o.seconds, batch, [&](int cl) {
            return RedisWorker(server.port(), n, batch, o.pg_depth, h, cl);
          });
        });
        Row row{"redis", "redis-smismember" + tag, n, batch, c, s.items_per_s, s.p50_us, s.p99_us,
                0, "", "TLS, " + std::to_string(o.pg_depth) + " in flight per client"};
        const double ifed = report.Rate("keyed", "ifed-stream" + tag, n, batch, c);
        if (ifed > 0 && s.items_per_s > 0) {
          row.ratio = ifed / s.items_per_s;
          row.ratio_of = "ifed-stream" + tag + " / this";
        }
        if (s.errors > 0) row.note += " " + std::to_string(s.errors) + " errors: " + s.first_error;
        report.Add(row);
      }
    }
  }
  report.Add({"redis", "redis-rss-MiB", n, 0, 0, RssKb(server.pid(), "VmRSS:") / 1024.0, 0, 0, 0,
              "", "VmRSS of redis-server holding the set (items/s column = MiB)"});
  return true;
}

}  // namespace ifed::bench
