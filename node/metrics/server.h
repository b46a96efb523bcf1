// MetricsServer: a tiny HTTP/1.1 server for Prometheus scrapes. One thread,
// one connection at a time (a scrape is small and rare), `Connection: close`.
//   GET /metrics -> 200, text/plain; version=0.0.4, Registry::Render()
//   GET /        -> 200, a link to /metrics; other paths 404; other methods 405.
// A request must arrive within 2 s and 8 KiB. Plain HTTP: bind it to a
// loopback or monitoring address (the page holds counts only).
#ifndef IFED_METRICS_SERVER_H_
#define IFED_METRICS_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "node/metrics/registry.h"

namespace ifed::metrics {

class MetricsServer {
 public:
  // `address`: "host:port" (IPv4 or a name; port 0 picks one). The registry
  // must outlive the server.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& address,
                                                              const Registry* registry);
  ~MetricsServer();  // stops the thread and closes the socket.
  int port() const { return port_; }

 private:
  MetricsServer(int fd, int port, const Registry* r);
  void Serve();
  void Handle(int conn);

  const int listen_fd_;
  const int port_;
  const Registry* registry_;
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace ifed::metrics

#endif  // IFED_METRICS_SERVER_H_
