// Internal: the RFC 9497 prime-order group P-256 on OpenSSL 3.0 (EC_POINT),
// with the RFC's encodings. Thread-safe: the EC_GROUP is built once and only
// read afterwards.
//
// Timing: Mul/MulGen go through EC_POINT_mul with one scalar, which for
// P-256 on OpenSSL 3.0 is constant time in the scalar (nistz256 windowed
// gather on x86_64, otherwise the Montgomery ladder); scalars are passed as
// BN_FLG_CONSTTIME BIGNUMs and freed with BN_clear_free. MulGenAddPublic,
// AddPoints, SerializeElement and DeserializeElement are variable time and
// must only see public values (the wire elements of the protocol are
// public; the unblinded element is serialised by OpenSSL's affine
// conversion, which uses its hardened field inversion).
#ifndef IFED_CRYPTO_OPRF_GROUP_H_
#define IFED_CRYPTO_OPRF_GROUP_H_

#include <openssl/ec.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/crypto/oprf/hash_to_curve.h"

namespace ifed::crypto::oprf::internal {

inline constexpr size_t kNe = 33;  // compressed SEC1 element
inline constexpr size_t kNs = 32;  // big-endian scalar

using Scalar = std::array<uint8_t, kNs>;  // canonical: < n
using ElementBytes = std::array<uint8_t, kNe>;

struct PointFree {
  void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); }
};
using Point = std::unique_ptr<EC_POINT, PointFree>;

const EC_GROUP* Group();

// RFC 9497 4.3 DeserializeElement: exactly 33 bytes, prefix 02/03,
// x < p, x^3 - 3x + b a square (decompressed with the fixed exponent
// (p+1)/4 and checked), not the identity. InvalidArgument otherwise.
absl::StatusOr<Point> DeserializeElement(absl::Span<const uint8_t> in);
// InvalidArgument for the identity, which has no encoding.
absl::StatusOr<ElementBytes> SerializeElement(const EC_POINT* p);
// Exactly 32 bytes, < n (zero is allowed here; callers that need a nonzero
// scalar check ScalarIsZero).
absl::StatusOr<Scalar> DeserializeScalar(absl::Span<const uint8_t> in);

// HashToGroup: hash_to_curve into an EC_POINT. InvalidArgument if the result
// is the identity (RFC 9497 InvalidInputError).
absl::StatusOr<Point> HashToGroup(absl::Span<const uint8_t> msg,
                                  absl::Span<const uint8_t> dst);

// k * p and k * G; constant time in k (see above).
absl::StatusOr<Point> Mul(const Scalar& k, const EC_POINT* p);
absl::StatusOr<Point> MulGen(const Scalar& k);
// a * G + b * p. Variable time: public inputs only.
absl::StatusOr<Point> MulGenAddPublic(const Scalar& a, const Scalar& b,
                                      const EC_POINT* p);
absl::StatusOr<Point> AddPoints(const EC_POINT* a, const EC_POINT* b);

// Batched forms for the evaluation of a whole request, with one BN_CTX and
// one scalar conversion for the batch instead of one per element.
//
// k * p[i] for every i, constant time in k like Mul.
absl::StatusOr<std::vector<Point>> MulEach(const Scalar& k,
                                           absl::Span<const EC_POINT* const> p);
// sum_i w[i] * p[i] as one multi-scalar multiplication (OpenSSL's
// interleaved windowed method shares the doublings across the terms).
// Variable time: public weights and points only. InvalidArgument if the
// spans differ in length or are empty.
absl::StatusOr<Point> CombinePublic(absl::Span<const Scalar> w,
                                    absl::Span<const EC_POINT* const> p);
// The compressed encodings of p[i]. The points are first brought to affine
// form together (one field inversion for the batch, Montgomery's trick), so
// each encoding needs no inversion of its own. InvalidArgument if any is
// the identity.
absl::StatusOr<std::vector<ElementBytes>> SerializeEach(
    absl::Span<EC_POINT* const> p);
absl::StatusOr<Point> NewIdentity();
bool IsIdentity(const EC_POINT* p);

// Scalar arithmetic mod n, constant time (Mont256).
bool ScalarIsZero(const Scalar& s);
Scalar ScalarInverse(const Scalar& s);  // 0 maps to 0
Scalar ScalarSubMul(const Scalar& r, const Scalar& c, const Scalar& k);
// Uniform in [1, n-1] from the OpenSSL private DRBG (rejection sampling).
absl::StatusOr<Scalar> RandomScalar();

}  // namespace ifed::crypto::oprf::internal

#endif  // IFED_CRYPTO_OPRF_GROUP_H_
