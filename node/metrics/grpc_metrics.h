// gRPC server interceptor feeding a metrics::Registry:
//   ifed_rpc_requests_total{listener,peer,method,result}  counter
//   ifed_rpc_duration_seconds{listener,method}            histogram
// `peer` is what `peer_of` returns for the call (a configured node id, or
// "local"/"unknown"); result is the gRPC status code name. Nothing from a
// request's payload reaches a label.
#ifndef IFED_METRICS_GRPC_METRICS_H_
#define IFED_METRICS_GRPC_METRICS_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <memory>
#include <string>

#include "node/metrics/registry.h"

namespace ifed::metrics {

class RpcMetrics {
 public:
  using PeerOf = std::function<std::string(const grpc::ServerContextBase&)>;
  explicit RpcMetrics(Registry* registry);

  // An interceptor factory for one listener ("federation", "admin").
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Factory(
      std::string listener, PeerOf peer_of);

  Counter* requests() const { return requests_; }
  Histogram* duration() const { return duration_; }

 private:
  Counter* requests_;
  Histogram* duration_;
};

// "OK", "PERMISSION_DENIED", ...
std::string CodeName(grpc::StatusCode c);

}  // namespace ifed::metrics

#endif  // IFED_METRICS_GRPC_METRICS_H_
