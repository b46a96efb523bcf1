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
//   - (an identity belongs to its issuer) with issuer pins configured: a
//     chain for node X that does not pass through a CA pinned for X (the
//     agency's intermediate or root), or any chain for a node no pin names.
//     Without pins every node may be issued by any CA of the bundle (the
//     single shared root: the simple case).
// Chains: the trusted bundle holds the root(s); a peer presents its leaf and
// intermediate CA(s), and each intermediate's CRL belongs in the directory.
// A pin does not add trust: the chain must still verify against the bundle.
// The CA bundle and the CRLs are re-read when their files change (checked at
// most once per `refresh`), so revocation takes effect without a restart.
// Thread-safe.
#ifndef IFED_FEDERATION_PEER_VERIFIER_H_
#define IFED_FEDERATION_PEER_VERIFIER_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

struct x509_st;        // OpenSSL's X509
struct stack_st_X509;  // OpenSSL's STACK_OF(X509)

namespace ifed::federation {

// One agency's issuer, pinned to the node ids it may issue (SPIFFE
// federation: the trust anchor configured for those nodes).
struct IssuerPin {
  std::string name;                // the agency, for messages ("at-agency").
  std::string ca_file;             // PEM: the agency's issuing CA(s).
  std::vector<std::string> nodes;  // node ids only this issuer may name.
};

class PeerChainVerifier {
 public:
  struct Options {
    std::string ca_file{};  // PEM bundle of trusted CAs.
    std::string crl_dir{};  // empty: no revocation checking configured.
    std::chrono::milliseconds refresh{1000};
    // Empty: any CA of the bundle may issue any node. Otherwise every node
    // must be named by exactly one pin, and its chain must contain a CA
    // of that pin (same subject and public key).
    std::vector<IssuerPin> issuers{};
    // Non-empty: CheckNode/CheckNodeChain also require the leaf's URI SAN to
    // be spiffe://<trust_domain>/node/<node_id>.
    std::string trust_domain{};
  };

  explicit PeerChainVerifier(Options options);
  ~PeerChainVerifier();
  PeerChainVerifier(const PeerChainVerifier&) = delete;
  PeerChainVerifier& operator=(const PeerChainVerifier&) = delete;

  // `leaf_pem`: the certificate of a peer that claims to be `node_id`;
  // `chain_pem`: the chain it sent (may repeat the leaf, may be empty). OK
  // or Unauthenticated with a reason that names no key material.
  absl::Status CheckNode(const std::string& node_id, absl::string_view leaf_pem,
                         absl::string_view chain_pem);
  // The same for one blob, leaf first then intermediates: PEM, or DER
  // certificates back to back (as receipts and signed requests carry them).
  absl::Status CheckNodeChain(const std::string& node_id, absl::string_view chain);
  // The same for a PEM chain file (this node's own certificate at start);
  // FailedPrecondition naming the file.
  absl::Status CheckNodeFile(const std::string& node_id, const std::string& pem_file);

  // Verifies `chain_pem` (the leaf first, then any intermediates) as the
  // certificate of node `node_id`: every check of CheckNodeChain() (CA
  // bundle, CRLs, the issuer pinned for the node), and its URI SAN
  // is exactly spiffe://<trust_domain>/node/<node_id>. The one call for
  // "is this node X's certificate" outside a handshake (e.g. the signer of
  // an OPRF key announcement relayed by a hub). OK, Unauthenticated (chain
  // refused) or PermissionDenied (a valid chain of another node).
  absl::Status CheckNodeInDomain(absl::string_view chain_pem, absl::string_view trust_domain,
                         absl::string_view node_id);

  // Loads the CA bundle and CRLs now; the status the next Check() would see
  // for any chain (used at start to fail fast on a broken CRL directory).
  absl::Status Reload();

 private:
  struct Trust;
  std::shared_ptr<const Trust> Current();
  static absl::Status LoadIssuers(const std::vector<IssuerPin>& pins, Trust* trust);
  absl::Status CheckParsed(const std::string& node_id, ::x509_st* leaf,
                           ::stack_st_X509* untrusted);

  const Options options_;
  std::mutex mu_;
  std::shared_ptr<const Trust> trust_;  // guarded by mu_
  std::string fingerprint_;             // guarded by mu_: files seen last
  std::chrono::steady_clock::time_point checked_{};  // guarded by mu_
};

// The process-wide node trust: the daemon installs it once at start (from
// tls.ca_cert, tls.crl_dir, tls.issuers and the federation); until then
// VerifyNodeChain refuses everything. Thread-safe.
void InstallNodeTrust(std::shared_ptr<PeerChainVerifier> trust);

// OK only if `chain` (PEM, or DER certificates back to back; leaf first,
// then its intermediates) is a valid, unrevoked certificate of node
// `node_id` under the installed trust: leaf spiffe://<federation>/node/<id>,
// chain to the federation bundle through the issuer pinned for that node.
// Unauthenticated with a reason otherwise; FailedPrecondition when no trust
// is installed. For every place a certificate is accepted as a node's
// outside the TLS handshake (receipts, signed relay authorizations).
absl::Status VerifyNodeChain(const std::string& node_id, absl::string_view chain);

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_PEER_VERIFIER_H_
