// Internal: RFC 9380 hashing for suite P256_XMD:SHA-256_SSWU_RO_, and the
// RFC 9497 HashToScalar for P256-SHA256.
//
// Constant time with respect to `msg` (which carries the querier's secret
// indicator) up to the affine result: SHA-256 is data-independent,
// hash_to_field, the simplified SWU map, sqrt_ratio and the point addition
// (complete formulas, Renes-Costello-Batina 2016, Alg. 4) run on Mont256
// with mask selections and fixed public exponents. Lengths (of msg, DST,
// output) are public and do change the running time.
#ifndef IFED_CRYPTO_OPRF_HASH_TO_CURVE_H_
#define IFED_CRYPTO_OPRF_HASH_TO_CURVE_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/crypto/oprf/mont256.h"

namespace ifed::crypto::oprf::internal {

// SHA-256 of `data` (RFC 9497 Hash for P256-SHA256).
absl::StatusOr<std::array<uint8_t, 32>> Sha256(absl::Span<const uint8_t> data);

// RFC 9380 5.3.1 with SHA-256. InvalidArgument if len_in_bytes is 0 or more
// than 255 * 32 or 65535, or if dst is empty. A dst longer than 255 bytes is
// replaced by H("H2C-OVERSIZE-DST-" || dst) (5.3.3).
absl::StatusOr<std::vector<uint8_t>> ExpandMessageXmd(
    absl::Span<const uint8_t> msg, absl::Span<const uint8_t> dst,
    size_t len_in_bytes);

// RFC 9380 5.2 hash_to_field with L = 48, into the field of `mod`.
absl::StatusOr<std::vector<Fe>> HashToField(absl::Span<const uint8_t> msg,
                                            absl::Span<const uint8_t> dst,
                                            size_t count, const Mont256& mod);

// An affine P-256 point with big-endian coordinates, or the identity.
struct AffinePoint {
  std::array<uint8_t, 32> x{};
  std::array<uint8_t, 32> y{};
  bool infinity = false;
};

// RFC 9380 6.6.2 simplified SWU for P-256 (A = -3, Z = -10); never fails.
AffinePoint MapToCurveSswu(const Fe& u);

// hash_to_curve, P256_XMD:SHA-256_SSWU_RO_ (RFC 9380 8.2): returns the
// identity only with negligible probability; callers must check.
absl::StatusOr<AffinePoint> HashToCurve(absl::Span<const uint8_t> msg,
                                        absl::Span<const uint8_t> dst);

// RFC 9497 4.3 HashToScalar for P256-SHA256: hash_to_field(msg, 1) mod n,
// as a canonical 32-byte big-endian scalar.
absl::StatusOr<std::array<uint8_t, 32>> HashToScalar(
    absl::Span<const uint8_t> msg, absl::Span<const uint8_t> dst);

}  // namespace ifed::crypto::oprf::internal

#endif  // IFED_CRYPTO_OPRF_HASH_TO_CURVE_H_
