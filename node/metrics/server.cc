#include "node/metrics/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <exception>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"

namespace ifed::metrics {
namespace {

constexpr char kWorkers[] = "4";
constexpr char kRequestTimeoutMs[] = "2000";

// "host:port" as civetweb's listening_ports wants it: a numeric address,
// IPv6 in brackets. A name is resolved once, here.
absl::StatusOr<std::string> ListenSpec(const std::string& address, std::string host, int port) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), nullptr, &hints, &res) != 0 ||
      res == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics_listen '", address, "': cannot resolve the host"));
  }
  char buf[INET6_ADDRSTRLEN] = {};
  std::string spec;
  if (res->ai_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr, buf,
                sizeof buf);
    spec = absl::StrCat("[", buf, "]:", port);
  } else {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
    spec = absl::StrCat(buf, ":", port);
  }
  ::freeaddrinfo(res);
  return spec;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& address,
                                                                    const Registry* registry) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics_listen '", address, "': expected host:port"));
  }
  absl::StatusOr<std::string> listen = ListenSpec(address, address.substr(0, colon), port);
  if (!listen.ok()) return listen.status();
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", *listen, "num_threads", kWorkers, "request_timeout_ms",
        kRequestTimeoutMs, "enable_keep_alive", "no"});
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics_listen '", address, "': cannot listen: ", e.what()));
  }
  exposer->RegisterCollectable(registry->collectable());
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty() || ports.front() <= 0) {
    return absl::UnavailableError(absl::StrCat("metrics_listen '", address, "': no port bound"));
  }
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(exposer), ports.front()));
}

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, int port)
    : exposer_(std::move(exposer)), port_(port) {}

MetricsServer::~MetricsServer() = default;

}  // namespace ifed::metrics
