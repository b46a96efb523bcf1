// The node announces what it runs (release, commit, canonical version, wire
// protocol; version::VersionMetadata) in the initial metadata of its health
// answers on the federation listener, so a peer's `ifedctl peers` can show
// it and flag a canonical-version mismatch. Only mTLS-authenticated peers
// reach that listener.
#ifndef IFED_DAEMON_VERSION_HEADER_H_
#define IFED_DAEMON_VERSION_HEADER_H_

#include <memory>

#include <grpcpp/support/server_interceptor.h>

namespace ifed::daemon {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> VersionHeaderFactory();

}  // namespace ifed::daemon

#endif  // IFED_DAEMON_VERSION_HEADER_H_
