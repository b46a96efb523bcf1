// PeerChainVerifier: our own check of a peer certificate chain, run inside
// the TLS handshake after gRPC/OpenSSL accepted the chain. It exists because
// gRPC 1.51's CRL directory fails open (a missing or broken CRL lets the
// handshake through) and because OpenSSL accepts leaves that are CAs.
//
// Check() refuses, with a reason:
//   - a leaf with basicConstraints CA:TRUE, or keyUsage keyCertSign/cRLSign;
//   - a leaf without exactly one URI SAN;
//   - a chain that does not verify against the trusted CA bundle now
//     (expired, not yet valid, other CA);
//   - when a CRL directory is configured: any certificate of the chain that
//     is revoked (leaf or intermediate CA), or issued by a CA without a valid
//     CRL in the directory; and every certificate at all while the directory
//     is missing, empty, holds an unreadable file, a CRL in a trusted CA's
//     name not signed by it, or a CRL without a nextUpdate (fail closed). A
//     CRL past its nextUpdate, or an intermediate's CRL that the
//     intermediate did not sign, fails the chains it covers.
// Chains: the trusted bundle holds the root(s); a peer presents its leaf and
// intermediate CA(s), and each intermediate's CRL belongs in the directory.
// The CA bundle and the CRLs are re-read when their files change (checked at
// most once per `refresh`), so revocation takes effect without a restart.
// Thread-safe.
#ifndef IFED_FEDERATION_PEER_VERIFIER_H_
#define IFED_FEDERATION_PEER_VERIFIER_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ifed::federation {

class PeerChainVerifier {
 public:
  struct Options {
    std::string ca_file;   // PEM bundle of trusted CAs.
    std::string crl_dir;   // empty: no revocation checking configured.
    std::chrono::milliseconds refresh{1000};
  };

  explicit PeerChainVerifier(Options options);
  ~PeerChainVerifier();
  PeerChainVerifier(const PeerChainVerifier&) = delete;
  PeerChainVerifier& operator=(const PeerChainVerifier&) = delete;

  // `leaf_pem`: the peer's certificate; `chain_pem`: the chain it sent (may
  // repeat the leaf, may be empty). OK or Unauthenticated with a reason that
  // names no key material.
  absl::Status Check(absl::string_view leaf_pem, absl::string_view chain_pem);

  // Verifies `chain_pem` (the leaf first, then any intermediates) as the
  // certificate of node `node_id`: every check of Check(), and its URI SAN
  // is exactly spiffe://<trust_domain>/node/<node_id>. The one call for
  // "is this node X's certificate" outside a handshake (e.g. the signer of
  // an OPRF key announcement relayed by a hub). OK, Unauthenticated (chain
  // refused) or PermissionDenied (a valid chain of another node).
  absl::Status CheckNode(absl::string_view chain_pem, absl::string_view trust_domain,
                         absl::string_view node_id);

  // Loads the CA bundle and CRLs now; the status the next Check() would see
  // for any chain (used at start to fail fast on a broken CRL directory).
  absl::Status Reload();

 private:
  struct Trust;
  std::shared_ptr<const Trust> Current();

  const Options options_;
  std::mutex mu_;
  std::shared_ptr<const Trust> trust_;  // guarded by mu_
  std::string fingerprint_;             // guarded by mu_: files seen last
  std::chrono::steady_clock::time_point checked_{};  // guarded by mu_
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_PEER_VERIFIER_H_
