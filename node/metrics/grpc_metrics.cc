#include "node/metrics/grpc_metrics.h"

#include <chrono>

#include "absl/status/status.h"

namespace ifed::metrics {
namespace {

using grpc::experimental::InterceptionHookPoints;

class Interceptor final : public grpc::experimental::Interceptor {
 public:
  Interceptor(grpc::experimental::ServerRpcInfo* info, const RpcMetrics* m,
              const std::string* listener, const RpcMetrics::PeerOf* peer_of)
      : info_(info), m_(m), listener_(listener), peer_of_(peer_of),
        start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status s = methods->GetSendStatus();
      const std::string method = info_->method() != nullptr ? info_->method() : "";
      std::string peer = "unknown";
      if (info_->server_context() != nullptr && *peer_of_) peer = (*peer_of_)(*info_->server_context());
      m_->requests()->Inc({*listener_, peer, method, CodeName(s.error_code())});
      m_->duration()->Observe(
          {*listener_, method},
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  const RpcMetrics* m_;
  const std::string* listener_;
  const RpcMetrics::PeerOf* peer_of_;
  std::chrono::steady_clock::time_point start_;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  Factory(const RpcMetrics* m, std::string listener, RpcMetrics::PeerOf peer_of)
      : m_(m), listener_(std::move(listener)), peer_of_(std::move(peer_of)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new Interceptor(info, m_, &listener_, &peer_of_);
  }

 private:
  const RpcMetrics* m_;
  const std::string listener_;
  const RpcMetrics::PeerOf peer_of_;
};

}  // namespace

std::string CodeName(grpc::StatusCode c) {
  // gRPC's status codes are Abseil's, number for number: use its names.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(c));
}

RpcMetrics::RpcMetrics(Registry* r)
    : requests_(r->AddCounter("ifed_rpc_requests_total",
                              "gRPC calls served, by listener, calling peer, method and result.",
                              {"listener", "peer", "method", "result"})),
      duration_(r->AddHistogram("ifed_rpc_duration_seconds",
                                "Time from the start of a call to its status, by method.",
                                {"listener", "method"},
                                {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                 2.5, 5, 10})) {}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RpcMetrics::Factory(
    std::string listener, PeerOf peer_of) {
  return std::make_unique<metrics::Factory>(this, std::move(listener), std::move(peer_of));
}

}  // namespace ifed::metrics
