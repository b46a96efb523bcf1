// Signed OPRF key announcements. A responder's OPRF public key reaches a
// querier directly or relayed by a hub; either way the querier pins it only
// if the responder's node key (its TLS certificate's key) signed it:
//
//   statement = OprfKeyStatement{federation, node id, partner, key, epoch,
//               announced next key, issued_at, not_after} (serialised)
//   signature = ECDSA P-256/SHA-256 over "ifed-oprf-key-v1" || 0x00 || statement
//
// and the certificate chain sent with it verifies as that node's
// (PeerChainVerifier::CheckNode). So a hub cannot put its own key in front
// of a member's and test the querier's items against a dictionary.
#ifndef IFED_FEDERATION_OPRF_KEY_STATEMENT_H_
#define IFED_FEDERATION_OPRF_KEY_STATEMENT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "node/audit/signer.h"
#include "node/federation/transport/peer_verifier.h"
#include "proto/federation.pb.h"

namespace ifed::federation {

// How long a signed announcement stays acceptable after it was made.
inline constexpr int64_t kOprfKeyStatementSeconds = 86400;
// Clock difference tolerated between responder and querier.
inline constexpr int64_t kOprfKeyClockSkewSeconds = 300;

// Signs the plain key fields of `response` for `partner` (the querier the
// key is for) and attaches the statement, the signature and the signer's
// certificate chain. `now`: unix seconds.
absl::Status SignOprfKey(const audit::Signer& signer, const std::string& federation,
                         const std::string& node_id, const std::string& partner, int64_t now,
                         ifed::v1::OprfPublicKeyResponse* response);

// Verifies an announcement received by `partner` (this node) as node
// `responder`'s: the chain is `responder`'s (verifier.CheckNode), the
// signature verifies under its leaf, the statement names `federation`,
// `responder` and `partner`, is valid at `now`, and agrees with the plain
// fields. PermissionDenied with a reason naming no key material otherwise
// (an unsigned announcement included).
absl::Status VerifyOprfKey(PeerChainVerifier& verifier, const std::string& federation,
                           const std::string& responder, const std::string& partner,
                           int64_t now, const ifed::v1::OprfPublicKeyResponse& response);

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_OPRF_KEY_STATEMENT_H_
