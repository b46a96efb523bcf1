// MetricsServer: the Prometheus scrape endpoint, prometheus-cpp's Exposer
// (civetweb) over a Registry.
//   GET /metrics -> 200, text/plain; version=0.0.4, the registry's families
//   any other path -> 404
// A pool of worker threads serves connections, so a client that trickles its
// request cannot block other scrapes; a request must arrive within 2 s.
// Plain HTTP: bind it to a loopback or monitoring address (the page holds
// counts only).
#ifndef IFED_METRICS_SERVER_H_
#define IFED_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "node/metrics/registry.h"

namespace prometheus {
class Exposer;
}

namespace ifed::metrics {

class MetricsServer {
 public:
  // `address`: "host:port" (IPv4, [IPv6] or a name; port 0 picks one). The
  // registry must outlive the server.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& address,
                                                              const Registry* registry);
  ~MetricsServer();  // stops the workers and closes the socket.
  int port() const { return port_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, int port);

  std::unique_ptr<prometheus::Exposer> exposer_;
  const int port_;
};

}  // namespace ifed::metrics

#endif  // IFED_METRICS_SERVER_H_
