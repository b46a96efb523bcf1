// All TLS and identity handling of the federation listener and its clients
// lives here: the gRPC TLS API changes between versions, and mutual-TLS
// mistakes should have one place to hide.
//
// Identity is a SPIFFE ID in the certificate's single URI SAN:
//   spiffe://<trust-domain>/node/<node-id>
// Servers require and verify client certificates; clients verify that the
// server they reached carries the SPIFFE ID of the peer they meant to call.
// Every handshake also runs PeerChainVerifier (peer_verifier.h): leaf shape,
// the issuer pinned for the node the certificate names (tls.issuers) and,
// with a CRL directory, revocation that fails closed. Certificates and
// keys are re-read from disk every second; give gRPC the files a TlsReloader
// (tls_reload.h) publishes, never the administrator's, so a bad set on disk
// cannot replace a good one.
// Nothing falls back to insecure credentials.
#ifndef IFED_FEDERATION_TLS_H_
#define IFED_FEDERATION_TLS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "node/federation/transport/peer_verifier.h"

namespace ifed::federation {

struct TlsFiles {
  std::string ca_cert;  // PEM bundle of trusted federation CAs.
  std::string cert;     // PEM chain of this node.
  std::string key;      // PEM private key of this node (0600).
  std::string crl_dir;  // optional.
  // Optional issuer pins (peer_verifier.h): a peer is accepted as node X only
  // through the CA pinned for X. Empty: any CA of ca_cert issues any node.
  std::vector<IssuerPin> issuers{};
};

std::string SpiffeId(const std::string& trust_domain, const std::string& node_id);

// The node id of `uri` if it is exactly spiffe://<trust_domain>/node/<id>
// with a valid id; PermissionDenied otherwise.
absl::StatusOr<std::string> NodeIdFromSpiffe(const std::string& uri,
                                             const std::string& trust_domain);

// Fails if a file is missing, unreadable or the key is group/other readable.
absl::Status CheckTlsFiles(const TlsFiles& files);

// With a CRL directory: OK only if it holds CRLs, all readable, signed by a
// trusted CA and carrying a nextUpdate. With issuer pins: every pin file
// readable and holding CA certificates, no node pinned twice. OK otherwise.
absl::Status CheckRevocationConfig(const TlsFiles& files);

// The chain verifier every handshake of `files` runs (shared by the
// credentials and InstallNodeTrust).
std::shared_ptr<PeerChainVerifier> MakePeerChainVerifier(const TlsFiles& files,
                                                         const std::string& trust_domain);

// Called by the listener for each client certificate it refuses, on the
// handshake thread: the node id the certificate claims ("" when it names
// none in this federation) and the reason (no key material). Keep it short.
using RefusalFn = std::function<void(const std::string& claimed_node, const std::string& reason)>;

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const TlsFiles& files, const std::string& trust_domain, RefusalFn on_refused = nullptr);

// Credentials for calling `expected_peer` (a node id): mutual TLS plus call
// credentials that stamp every call with a fresh request id, the time and
// this node's id (call_guard.h), which the federation listener requires.
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(
    const TlsFiles& files, const std::string& trust_domain,
    const std::string& expected_peer);
// Mutual TLS alone, without the call stamps (tests that forge them).
std::shared_ptr<grpc::ChannelCredentials> MakeTlsChannelCredentials(
    const TlsFiles& files, const std::string& trust_domain,
    const std::string& expected_peer);
// The node id in the SPIFFE URI SAN of the first certificate of `cert_file`.
absl::StatusOr<std::string> NodeIdOfCertFile(const std::string& cert_file,
                                             const std::string& trust_domain);

// The verified caller's node id, from the authenticated TLS session only.
absl::StatusOr<std::string> PeerNodeId(const grpc::AuthContext& auth,
                                       const std::string& trust_domain);

// Explicit resource limits for the federation listener and its clients
// (gRPC 1.51 carries HTTP/2 denial-of-service CVEs: bound what a peer can
// make us hold). Defaults are the documented ones (deploy/SECURITY.md).
struct Limits {
  int max_message_bytes = 1 << 20;     // receive and send, per message.
  int max_metadata_bytes = 16 << 10;   // HTTP/2 header list, per call.
  int handshake_timeout_ms = 10000;    // TLS handshake; at most 10 s.
  int max_concurrent_streams = 64;     // per connection.
};
void ApplyServerLimits(grpc::ServerBuilder& builder, const Limits& limits = {});
grpc::ChannelArguments ClientChannelArguments(const Limits& limits = {});

// Message size of the local admin socket (bulk ingest), not of peers.
inline constexpr int kMaxMessageBytes = 8 << 20;

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_TLS_H_
