// PeerClients: outbound calls to the configured peers over mutual TLS, one
// channel per peer, created on first use and reused. Thread-safe.
#ifndef IFED_FEDERATION_PEER_CLIENT_H_
#define IFED_FEDERATION_PEER_CLIENT_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "node/federation/transport/tls.h"
#include "proto/federation.grpc.pb.h"

namespace ifed::federation {

class PeerClients {
 public:
  PeerClients(TlsFiles tls, std::string trust_domain,
              std::map<std::string, std::string> peers /* id -> address */,
              std::chrono::milliseconds timeout);

  bool Has(const std::string& peer) const { return peers_.count(peer) > 0; }
  const std::map<std::string, std::string>& peers() const { return peers_; }
  // The peer's stub (channel made on first use), for calls without a wrapper
  // here (the OPRF calls, node/query/grpc_peer_transport.cc); null for an unknown peer.
  ifed::v1::Federation::Stub* StubOf(const std::string& peer) {
    return Has(peer) ? Stub(peer) : nullptr;
  }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // What the config says of each peer. Set once, before the node
  // serves (not synchronised).
  struct PeerInfo {
    bool hub = false;          // peers[].role: hub
    std::string jurisdiction;  // peers[].jurisdiction, may be empty
  };
  void Describe(std::map<std::string, PeerInfo> info) { info_ = std::move(info); }
  bool IsHub(const std::string& peer) const {
    auto it = info_.find(peer);
    return it != info_.end() && it->second.hub;
  }
  std::vector<std::string> Hubs() const {
    std::vector<std::string> out;
    for (const auto& [id, i] : info_) {
      if (i.hub && Has(id)) out.push_back(id);
    }
    return out;
  }
  std::string JurisdictionOf(const std::string& peer) const {
    auto it = info_.find(peer);
    return it == info_.end() ? std::string() : it->second.jurisdiction;
  }

  // The peer's answer, or its status (code and message as the peer sent
  // them; UNAVAILABLE/DEADLINE_EXCEEDED when it cannot be reached).
  absl::StatusOr<ifed::v1::MatchResponse> Match(const std::string& peer,
                                                const ifed::v1::MatchRequest& request);
  // Takedown deconfliction, as Match.
  absl::StatusOr<ifed::v1::DeconflictResponse> Deconflict(
      const std::string& peer, const ifed::v1::DeconflictRequest& request);

 private:
  ifed::v1::Federation::Stub* Stub(const std::string& peer);

  const TlsFiles tls_;
  const std::string trust_domain_;
  const std::map<std::string, std::string> peers_;
  const std::chrono::milliseconds timeout_;
  std::map<std::string, PeerInfo> info_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<ifed::v1::Federation::Stub>> stubs_;
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_PEER_CLIENT_H_
