// Node: one running ifed-node. Owns every component, wires them together,
// serves the federation listener (mTLS) and the admin socket.
#ifndef IFED_DAEMON_NODE_H_
#define IFED_DAEMON_NODE_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/statusor.h"
#include "node/admin/service.h"
#include "node/federation/matcher.h"
#include "node/federation/service.h"
#include "node/policy/policy.h"
#include "proto/config.pb.h"

namespace ifed::daemon {

class Node {
 public:
  // Opens keys, store and policy and starts both listeners. Any failure
  // (missing or 0644 key, bad policy, port in use) is an error naming the
  // file or address; nothing is left running.
  static absl::StatusOr<std::unique_ptr<Node>> Start(const ifed::v1::NodeConfig& config);
  ~Node();

  // Re-reads the policy directory; a bad policy keeps the old one.
  absl::Status ReloadPolicy();
  // Stops accepting calls, lets running ones finish (bounded), closes the store.
  void Shutdown();

 private:
  explicit Node(ifed::v1::NodeConfig config) : config_(std::move(config)) {}

  ifed::v1::NodeConfig config_;
  Counters counters_;
  std::unique_ptr<normalize::Normalizer> normalizer_;
  std::unique_ptr<crypto::KeyedPseudonymizer> keys_;
  std::unique_ptr<crypto::Sealer> sealer_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<policy::PolicyHolder> policy_;
  std::unique_ptr<federation::Matcher> matcher_;
  std::unique_ptr<federation::FederationService> federation_service_;
  std::unique_ptr<federation::PeerClients> peers_;
  std::unique_ptr<admin::AdminService> admin_service_;
  std::unique_ptr<grpc::Server> federation_server_;
  std::unique_ptr<grpc::Server> admin_server_;
};

}  // namespace ifed::daemon

#endif  // IFED_DAEMON_NODE_H_
