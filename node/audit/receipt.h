// Receipts on Match answers: the responder signs (request digest, response
// digest, time, policy version, its latest checkpoint); the querier verifies
// the signature, that the certificate is the peer's own and chains to the
// federation CA, and that the digests match what it sent and received.
// Protobuf messages only: no gRPC, no RocksDB.
#ifndef IFED_AUDIT_RECEIPT_H_
#define IFED_AUDIT_RECEIPT_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "node/audit/chain.h"
#include "node/audit/signer.h"
#include "proto/audit.pb.h"
#include "proto/federation.pb.h"

namespace ifed::audit {

// SHA-256 of the deterministic serialisation (response: without receipt).
std::string RequestDigest(const ifed::v1::MatchRequest& request);
std::string ResponseDigest(const ifed::v1::MatchResponse& response);

// The bytes a receipt signature covers.
std::string ReceiptMessage(const ifed::v1::Receipt& receipt);

// Fills response->receipt. `latest` may be empty (seq 0) before the first
// checkpoint. `request_digest`: RequestDigest(request) when the caller has
// it already (computed once per request).
absl::Status SignReceipt(const Signer& signer, const std::string& node_id,
                         const ifed::v1::MatchRequest& request, const HeldCheckpoint& latest,
                         const std::string& policy_version, int64_t ts_ms,
                         ifed::v1::MatchResponse* response,
                         const std::string* request_digest = nullptr);

// Whether `der_chain` (DER certificates back to back, leaf first) is a
// certificate of node `node_id` (federation::VerifyNodeChain on a node:
// its issuer pin, revocation).
using NodeChainCheck =
    std::function<absl::Status(const std::string& node_id, absl::string_view der_chain)>;

// OK when `response` carries a valid receipt of `expected_spiffe` over
// `sent` and the response itself, whose certificate (with the intermediates
// it carries) `check_chain` accepts as the responder's. PermissionDenied/
// InvalidArgument otherwise.
absl::Status VerifyReceipt(const ifed::v1::MatchRequest& sent,
                           const ifed::v1::MatchResponse& response,
                           const std::string& expected_spiffe, const NodeChainCheck& check_chain);
// The same, checking the chain against the CAs of `ca_pem_file` only.
absl::Status VerifyReceipt(const ifed::v1::MatchRequest& sent,
                           const ifed::v1::MatchResponse& response,
                           const std::string& expected_spiffe, const std::string& ca_pem_file);

}  // namespace ifed::audit

#endif  // IFED_AUDIT_RECEIPT_H_
