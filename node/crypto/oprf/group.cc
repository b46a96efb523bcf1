// EC_POINTs_mul and EC_POINTs_make_affine are deprecated in OpenSSL 3.0 for
// applications at large, which should use EVP; they remain the library's
// only multi-scalar multiplication and batched affine conversion, and an
// OPRF evaluator needs the group operations themselves.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "node/crypto/oprf/group.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include "absl/status/status.h"
#include "node/common/status_macros.h"
#include "node/crypto/oprf/mont256.h"

namespace ifed::crypto::oprf::internal {
namespace {

struct BnClearFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnClearFree>;

struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using BnCtx = std::unique_ptr<BN_CTX, BnCtxFree>;

// A BIGNUM for a (possibly secret) scalar, flagged constant-time.
Bn ScalarToBn(const Scalar& k) {
  Bn bn(BN_secure_new());
  if (bn == nullptr) return nullptr;
  BN_set_flags(bn.get(), BN_FLG_CONSTTIME);
  if (BN_bin2bn(k.data(), static_cast<int>(k.size()), bn.get()) == nullptr) {
    return nullptr;
  }
  return bn;
}

absl::Status Invalid(const char* what) {
  return absl::InvalidArgumentError(what);
}

absl::Status OpenSslError(const char* what) {
  return absl::InternalError(what);
}

absl::StatusOr<Point> NewPoint() {
  Point p(EC_POINT_new(Group()));
  if (p == nullptr) return OpenSslError("EC_POINT_new failed");
  return p;
}

// An EC_POINT from affine big-endian coordinates; EC_POINT_set_affine_
// coordinates also checks that the point is on the curve.
absl::StatusOr<Point> FromAffine(const uint8_t x[32], const uint8_t y[32]) {
  Bn bx(BN_bin2bn(x, 32, nullptr)), by(BN_bin2bn(y, 32, nullptr));
  BnCtx ctx(BN_CTX_new());
  absl::StatusOr<Point> p = NewPoint();
  if (bx == nullptr || by == nullptr || ctx == nullptr || !p.ok()) {
    return OpenSslError("allocation failed");
  }
  if (EC_POINT_set_affine_coordinates(Group(), p->get(), bx.get(), by.get(),
                                      ctx.get()) != 1) {
    return Invalid("point is not on P-256");
  }
  return p;
}

}  // namespace

const EC_GROUP* Group() {
  static const EC_GROUP* const group =
      EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  return group;
}

absl::StatusOr<Point> DeserializeElement(absl::Span<const uint8_t> in) {
  if (in.size() != kNe) return Invalid("element: length is not 33");
  if (in[0] != 0x02 && in[0] != 0x03) return Invalid("element: bad prefix");
  const Mont256& f = P256Field();
  Fe x;
  if (f.FromBytesCanonical(in.data() + 1, &x) == 0) {
    return Invalid("element: x >= p");
  }
  // y^2 = x^3 - 3x + b; y = (y^2)^((p+1)/4) since p = 3 mod 4.
  static const Fe kB = [] {
    static constexpr uint8_t b[32] = {
        0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7, 0xb3, 0xeb, 0xbd,
        0x55, 0x76, 0x98, 0x86, 0xbc, 0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53,
        0xb0, 0xf6, 0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b};
    return P256Field().FromBytesReduce(b);
  }();
  static const std::array<uint64_t, 4> kSqrtExp = [] {
    const std::array<uint64_t, 4>& p = P256Field().modulus();
    std::array<uint64_t, 4> e;  // (p + 1) / 4; p + 1 does not overflow
    uint64_t c = 1;
    std::array<uint64_t, 4> p1;
    for (int j = 0; j < 4; ++j) {
      p1[j] = p[j] + c;
      c = (p1[j] < c) ? 1 : 0;
    }
    for (int j = 0; j < 4; ++j)
      e[j] = (p1[j] >> 2) | (j < 3 ? p1[j + 1] << 62 : 0);
    return e;
  }();
  Fe y2 = f.Add(f.Mul(f.Sub(f.Sqr(x), f.FromU64(3)), x), kB);
  Fe y = f.Pow(y2, kSqrtExp);
  if (Mont256::Equal(f.Sqr(y), y2) == 0)
    return Invalid("element: not on curve");
  if (f.Sgn0(y) != (in[0] & 1u)) y = f.Neg(y);
  if (f.Sgn0(y) != (in[0] & 1u))
    return Invalid("element: y = 0 with odd prefix");
  uint8_t ybytes[32];
  f.ToBytes(y, ybytes);
  absl::StatusOr<Point> p = FromAffine(in.data() + 1, ybytes);
  if (!p.ok()) return p.status();
  if (IsIdentity(p->get())) return Invalid("element: identity");
  return p;
}

absl::StatusOr<ElementBytes> SerializeElement(const EC_POINT* p) {
  if (IsIdentity(p)) return Invalid("cannot serialize the identity");
  ElementBytes out;
  BnCtx ctx(BN_CTX_new());
  if (ctx == nullptr ||
      EC_POINT_point2oct(Group(), p, POINT_CONVERSION_COMPRESSED, out.data(),
                         out.size(), ctx.get()) != out.size()) {
    return OpenSslError("EC_POINT_point2oct failed");
  }
  return out;
}

absl::StatusOr<Scalar> DeserializeScalar(absl::Span<const uint8_t> in) {
  if (in.size() != kNs) return Invalid("scalar: length is not 32");
  Fe s;
  Mask ok = P256Order().FromBytesCanonical(in.data(), &s);
  Mont256::Wipe(&s);
  if (ok == 0) return Invalid("scalar: not below the group order");
  Scalar out;
  std::copy(in.begin(), in.end(), out.begin());
  return out;
}

absl::StatusOr<Point> HashToGroup(absl::Span<const uint8_t> msg,
                                  absl::Span<const uint8_t> dst) {
  absl::StatusOr<AffinePoint> a = HashToCurve(msg, dst);
  if (!a.ok()) return a.status();
  if (a->infinity) return Invalid("input hashes to the identity");
  absl::StatusOr<Point> p = FromAffine(a->x.data(), a->y.data());
  OPENSSL_cleanse(a->x.data(), a->x.size());
  OPENSSL_cleanse(a->y.data(), a->y.size());
  return p;
}

absl::StatusOr<Point> Mul(const Scalar& k, const EC_POINT* p) {
  Bn bk = ScalarToBn(k);
  BnCtx ctx(BN_CTX_secure_new());
  absl::StatusOr<Point> r = NewPoint();
  if (bk == nullptr || ctx == nullptr || !r.ok()) {
    return OpenSslError("allocation failed");
  }
  if (EC_POINT_mul(Group(), r->get(), nullptr, p, bk.get(), ctx.get()) != 1) {
    return OpenSslError("EC_POINT_mul failed");
  }
  return r;
}

absl::StatusOr<Point> MulGen(const Scalar& k) {
  Bn bk = ScalarToBn(k);
  BnCtx ctx(BN_CTX_secure_new());
  absl::StatusOr<Point> r = NewPoint();
  if (bk == nullptr || ctx == nullptr || !r.ok()) {
    return OpenSslError("allocation failed");
  }
  if (EC_POINT_mul(Group(), r->get(), bk.get(), nullptr, nullptr, ctx.get()) !=
      1) {
    return OpenSslError("EC_POINT_mul failed");
  }
  return r;
}

absl::StatusOr<Point> MulGenAddPublic(const Scalar& a, const Scalar& b,
                                      const EC_POINT* p) {
  Bn ba(BN_bin2bn(a.data(), 32, nullptr)), bb(BN_bin2bn(b.data(), 32, nullptr));
  BnCtx ctx(BN_CTX_new());
  absl::StatusOr<Point> r = NewPoint();
  if (ba == nullptr || bb == nullptr || ctx == nullptr || !r.ok()) {
    return OpenSslError("allocation failed");
  }
  if (EC_POINT_mul(Group(), r->get(), ba.get(), p, bb.get(), ctx.get()) != 1) {
    return OpenSslError("EC_POINT_mul failed");
  }
  return r;
}

absl::StatusOr<std::vector<Point>> MulEach(
    const Scalar& k, absl::Span<const EC_POINT* const> p) {
  Bn bk = ScalarToBn(k);
  BnCtx ctx(BN_CTX_secure_new());
  if (bk == nullptr || ctx == nullptr) return OpenSslError("allocation failed");
  std::vector<Point> out;
  out.reserve(p.size());
  for (const EC_POINT* pi : p) {
    IFED_ASSIGN_OR_RETURN(Point r, NewPoint());
    if (EC_POINT_mul(Group(), r.get(), nullptr, pi, bk.get(), ctx.get()) !=
        1) {
      return OpenSslError("EC_POINT_mul failed");
    }
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<Point> CombinePublic(absl::Span<const Scalar> w,
                                    absl::Span<const EC_POINT* const> p) {
  if (w.empty() || w.size() != p.size()) {
    return Invalid("combine: weights and points differ in number");
  }
  BnCtx ctx(BN_CTX_new());
  if (ctx == nullptr) return OpenSslError("allocation failed");
  // The BIGNUMs live in the context's pool for the duration of the call.
  BN_CTX_start(ctx.get());
  std::vector<const BIGNUM*> scalars;
  scalars.reserve(w.size());
  for (const Scalar& wi : w) {
    BIGNUM* b = BN_CTX_get(ctx.get());
    if (b == nullptr ||
        BN_bin2bn(wi.data(), static_cast<int>(wi.size()), b) == nullptr) {
      BN_CTX_end(ctx.get());
      return OpenSslError("allocation failed");
    }
    scalars.push_back(b);
  }
  absl::StatusOr<Point> r = NewPoint();
  const bool ok =
      r.ok() && EC_POINTs_mul(Group(), r->get(), nullptr, p.size(),
                              const_cast<const EC_POINT**>(p.data()),
                              scalars.data(), ctx.get()) == 1;
  BN_CTX_end(ctx.get());
  if (!ok) return OpenSslError("EC_POINTs_mul failed");
  return r;
}

absl::StatusOr<std::vector<ElementBytes>> SerializeEach(
    absl::Span<EC_POINT* const> p) {
  for (const EC_POINT* pi : p) {
    if (IsIdentity(pi)) return Invalid("cannot serialize the identity");
  }
  BnCtx ctx(BN_CTX_new());
  if (ctx == nullptr) return OpenSslError("allocation failed");
  if (!p.empty() &&
      EC_POINTs_make_affine(Group(), p.size(), const_cast<EC_POINT**>(p.data()),
                            ctx.get()) != 1) {
    return OpenSslError("EC_POINTs_make_affine failed");
  }
  std::vector<ElementBytes> out(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    if (EC_POINT_point2oct(Group(), p[i], POINT_CONVERSION_COMPRESSED,
                           out[i].data(), out[i].size(),
                           ctx.get()) != out[i].size()) {
      return OpenSslError("EC_POINT_point2oct failed");
    }
  }
  return out;
}

absl::StatusOr<Point> AddPoints(const EC_POINT* a, const EC_POINT* b) {
  BnCtx ctx(BN_CTX_new());
  absl::StatusOr<Point> r = NewPoint();
  if (ctx == nullptr || !r.ok()) return OpenSslError("allocation failed");
  if (EC_POINT_add(Group(), r->get(), a, b, ctx.get()) != 1) {
    return OpenSslError("EC_POINT_add failed");
  }
  return r;
}

absl::StatusOr<Point> NewIdentity() {
  absl::StatusOr<Point> r = NewPoint();
  if (!r.ok()) return r.status();
  if (EC_POINT_set_to_infinity(Group(), r->get()) != 1) {
    return OpenSslError("EC_POINT_set_to_infinity failed");
  }
  return r;
}

bool IsIdentity(const EC_POINT* p) {
  return EC_POINT_is_at_infinity(Group(), p) == 1;
}

bool ScalarIsZero(const Scalar& s) {
  uint8_t acc = 0;
  for (uint8_t b : s) acc |= b;
  return acc == 0;
}

Scalar ScalarInverse(const Scalar& s) {
  const Mont256& n = P256Order();
  Fe x = n.FromBytesReduce(s.data());
  Fe inv = n.Inv(x);
  Scalar out;
  n.ToBytes(inv, out.data());
  Mont256::Wipe(&x);
  Mont256::Wipe(&inv);
  return out;
}

Scalar ScalarSubMul(const Scalar& r, const Scalar& c, const Scalar& k) {
  const Mont256& n = P256Order();
  Fe fr = n.FromBytesReduce(r.data()), fc = n.FromBytesReduce(c.data()),
     fk = n.FromBytesReduce(k.data());
  Fe s = n.Sub(fr, n.Mul(fc, fk));
  Scalar out;
  n.ToBytes(s, out.data());
  for (Fe* f : {&fr, &fc, &fk, &s}) Mont256::Wipe(f);
  return out;
}

absl::StatusOr<Scalar> RandomScalar() {
  // Each 256-bit draw is < n with probability > 1 - 2^-32; the number of
  // draws is independent of the accepted value.
  for (int attempt = 0; attempt < 64; ++attempt) {
    Scalar s;
    if (RAND_priv_bytes(s.data(), static_cast<int>(s.size())) != 1) {
      return OpenSslError("RAND_priv_bytes failed");
    }
    Fe f;
    Mask ok = P256Order().FromBytesCanonical(s.data(), &f);
    Mont256::Wipe(&f);
    if (ok != 0 && !ScalarIsZero(s)) return s;
    OPENSSL_cleanse(s.data(), s.size());
  }
  return OpenSslError("RandomScalar: DRBG output rejected 64 times");
}

}  // namespace ifed::crypto::oprf::internal
