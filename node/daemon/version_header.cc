#include "node/daemon/version_header.h"

#include <cstring>
#include <string>

#include "node/common/version.h"
#include "node/normalize/normalizer.h"

namespace ifed::daemon {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";

class VersionHeader final : public grpc::experimental::Interceptor {
 public:
  explicit VersionHeader(bool health) : health_(health) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (health_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(
          version::kMetadataKey, version::VersionMetadata(normalize::kCanonicalVersion));
    }
    methods->Proceed();
  }

 private:
  const bool health_;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new VersionHeader(info->method() != nullptr &&
                             std::strcmp(info->method(), kHealthCheck) == 0);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> VersionHeaderFactory() {
  return std::make_unique<Factory>();
}

}  // namespace ifed::daemon
