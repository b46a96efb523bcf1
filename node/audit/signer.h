// ECDSA P-256 / SHA-256 signatures for checkpoints and receipts, with the
// node's TLS key; verification with its certificate. OpenSSL only.
//
// Security property: a signature verifies under a certificate only if it was
// made with that certificate's private key over exactly the same message.
// Verification returns a status; callers never compare signatures.
#ifndef IFED_AUDIT_SIGNER_H_
#define IFED_AUDIT_SIGNER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace ifed::audit {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Signs with a private key. Thread-safe.
class Signer {
 public:
  // `key_pem_file`: PEM private key (the node's tls.key). FailedPrecondition
  // unless it is an EC P-256 key. `cert_pem_file` (the node's tls.cert: the
  // leaf, then any intermediate CAs) is kept for receipts and exports.
  static absl::StatusOr<std::unique_ptr<Signer>> Load(const std::string& key_pem_file,
                                                      const std::string& cert_pem_file);
  // DER-encoded ECDSA signature over SHA-256(message).
  absl::StatusOr<std::string> Sign(absl::string_view message) const;
  const std::string& cert_pem() const { return cert_pem_; }  // the leaf.
  const std::string& cert_der() const { return cert_der_; }  // the leaf.
  // The intermediate CAs that followed the leaf in the file, DER, in order.
  const std::vector<std::string>& intermediates_der() const { return intermediates_der_; }
  // Leaf and intermediates, PEM (what a verifier needs to reach the root).
  const std::string& chain_pem() const { return chain_pem_; }

 private:
  Signer() = default;
  PkeyPtr key_;
  std::string cert_pem_, cert_der_, chain_pem_;
  std::vector<std::string> intermediates_der_;
};

// Verifies against one certificate's public key. Thread-safe.
class Verifier {
 public:
  static absl::StatusOr<std::unique_ptr<Verifier>> FromCertPem(absl::string_view pem);
  static absl::StatusOr<std::unique_ptr<Verifier>> FromCertDer(absl::string_view der);
  // OK, or InvalidArgument ("bad signature").
  absl::Status Verify(absl::string_view message, absl::string_view signature) const;
  // The SPIFFE URI SAN of the certificate ("" when none).
  const std::string& spiffe_id() const { return spiffe_; }
  // Hex SHA-256 of the certificate's DER.
  const std::string& cert_sha256() const { return cert_sha256_; }

 private:
  Verifier() = default;
  PkeyPtr key_;
  std::string spiffe_, cert_sha256_;
};

// Hex SHA-256 of a DER certificate (how the audit log names a signing
// certificate).
std::string CertSha256Hex(absl::string_view der);

// Verifies that certificate `der` chains to a CA of `ca_pem_file` (through
// `intermediates_der`, untrusted DER CA certificates) and carries exactly
// `expected_spiffe` as URI SAN. PermissionDenied otherwise. No issuer pins
// and no CRLs: a node verifies a peer's chain with
// federation::VerifyNodeChain instead.
absl::Status VerifyCertChain(absl::string_view der,
                             const std::vector<std::string>& intermediates_der,
                             const std::string& ca_pem_file, const std::string& expected_spiffe);

}  // namespace ifed::audit

#endif  // IFED_AUDIT_SIGNER_H_
