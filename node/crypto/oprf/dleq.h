// Internal: RFC 9497 2.2 batched discrete-log-equality proofs over P-256:
// for all i, log_A(B) = log_C[i](D[i]), shown with one (c, s) pair.
#ifndef IFED_CRYPTO_OPRF_DLEQ_H_
#define IFED_CRYPTO_OPRF_DLEQ_H_

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/crypto/oprf/group.h"

namespace ifed::crypto::oprf::internal {

using ProofBytes = std::array<uint8_t, 2 * kNs>;  // c || s

// The C and D lists, as points and as their wire encodings (same order,
// same length, 1..65536 entries).
struct DleqBatch {
  absl::Span<const EC_POINT* const> c;
  absl::Span<const EC_POINT* const> d;
  absl::Span<const ElementBytes> c_enc;
  absl::Span<const ElementBytes> d_enc;
};

// GenerateProof(k, A, B, C, D) with nonce r (secret, fresh per proof).
// `context` is the RFC 9497 contextString. Uses ComputeCompositesFast.
absl::StatusOr<ProofBytes> GenerateProof(const Scalar& k, const EC_POINT* a,
                                         const EC_POINT* b,
                                         const DleqBatch& batch,
                                         const Scalar& r,
                                         absl::Span<const uint8_t> context);

// OK iff the proof verifies; InvalidArgument if it does not or is
// malformed (wrong length, c or s >= n). Variable time (public inputs).
absl::Status VerifyProof(const EC_POINT* a, const EC_POINT* b,
                         const DleqBatch& batch,
                         absl::Span<const uint8_t> proof,
                         absl::Span<const uint8_t> context);

}  // namespace ifed::crypto::oprf::internal

#endif  // IFED_CRYPTO_OPRF_DLEQ_H_
