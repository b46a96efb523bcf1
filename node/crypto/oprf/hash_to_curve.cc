#include "node/crypto/oprf/hash_to_curve.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <initializer_list>
#include <memory>

#include "absl/status/status.h"

namespace ifed::crypto::oprf::internal {
namespace {

constexpr size_t kHashLen = 32;   // b_in_bytes, SHA-256
constexpr size_t kBlockLen = 64;  // s_in_bytes, SHA-256
constexpr size_t kFieldLen = 48;  // L = ceil((ceil(log2(p)) + k) / 8), k = 128

const EVP_MD* Sha256() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// out = SHA-256(parts[0] || parts[1] || ...).
bool Hash(std::initializer_list<absl::Span<const uint8_t>> parts,
          uint8_t out[kHashLen]) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || Sha256() == nullptr ||
      EVP_DigestInit_ex(ctx.get(), Sha256(), nullptr) != 1) {
    return false;
  }
  for (absl::Span<const uint8_t> p : parts) {
    if (!p.empty() && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) {
      return false;
    }
  }
  return EVP_DigestFinal_ex(ctx.get(), out, nullptr) == 1;
}

absl::Span<const uint8_t> Bytes(const char* s, size_t n) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s), n);
}

// Curve and map constants, in Montgomery form. Built once.
struct Constants {
  Fe a, b, z, c2;
  std::array<uint64_t, 4> c1;  // (p - 3) / 4
};

const Constants& Consts() {
  static const Constants* const c = [] {
    const Mont256& f = P256Field();
    auto* k = new Constants;
    static constexpr uint8_t kB[32] = {
        0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7, 0xb3, 0xeb, 0xbd,
        0x55, 0x76, 0x98, 0x86, 0xbc, 0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53,
        0xb0, 0xf6, 0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b};
    k->a = f.Neg(f.FromU64(3));
    k->b = f.FromBytesReduce(kB);
    k->z = f.Neg(f.FromU64(10));
    // p = 3 mod 4: c1 = (p - 3) / 4 = p >> 2 (the low bits of p are 11).
    const std::array<uint64_t, 4>& p = f.modulus();
    for (int j = 0; j < 4; ++j) {
      k->c1[j] = (p[j] >> 2) | (j < 3 ? p[j + 1] << 62 : 0);
    }
    // c2 = sqrt(-Z) = 10^((p + 1) / 4) = 10^(c1 + 1); either root works.
    k->c2 = f.Mul(f.Pow(f.FromU64(10), k->c1), f.FromU64(10));
    return k;
  }();
  return *c;
}

void WipeAll(std::initializer_list<Fe*> fes) {
  for (Fe* f : fes) Mont256::Wipe(f);
}

// RFC 9380 F.2.1.2, sqrt_ratio for q = 3 mod 4. Returns is_square(u / v).
Mask SqrtRatio3Mod4(const Fe& u, const Fe& v, Fe* y) {
  const Mont256& f = P256Field();
  const Constants& k = Consts();
  Fe tv1 = f.Sqr(v);
  Fe tv2 = f.Mul(u, v);
  tv1 = f.Mul(tv1, tv2);
  Fe y1 = f.Pow(tv1, k.c1);
  y1 = f.Mul(y1, tv2);
  Fe y2 = f.Mul(y1, k.c2);
  Fe tv3 = f.Sqr(y1);
  tv3 = f.Mul(tv3, v);
  Mask is_qr = Mont256::Equal(tv3, u);
  *y = Mont256::Select(is_qr, y1, y2);
  WipeAll({&tv1, &tv2, &y1, &y2, &tv3});
  return is_qr;
}

// RFC 9380 F.2, straight-line simplified SWU, stopping before the final
// division: the result is the projective point (X : Y : Z) with x = X / Z,
// y = Y / Z, so that the two map outputs are added before one inversion.
void MapToCurveFe(const Fe& u, Fe* x, Fe* y, Fe* z) {
  const Mont256& f = P256Field();
  const Constants& k = Consts();
  Fe tv1 = f.Sqr(u);
  tv1 = f.Mul(k.z, tv1);
  Fe tv2 = f.Sqr(tv1);
  tv2 = f.Add(tv2, tv1);
  Fe tv3 = f.Add(tv2, f.One());
  tv3 = f.Mul(k.b, tv3);
  Fe tv4 = Mont256::Select(~Mont256::IsZero(tv2), f.Neg(tv2), k.z);
  tv4 = f.Mul(k.a, tv4);
  tv2 = f.Sqr(tv3);
  Fe tv6 = f.Sqr(tv4);
  Fe tv5 = f.Mul(k.a, tv6);
  tv2 = f.Add(tv2, tv5);
  tv2 = f.Mul(tv2, tv3);
  tv6 = f.Mul(tv6, tv4);
  tv5 = f.Mul(k.b, tv6);
  tv2 = f.Add(tv2, tv5);
  Fe xx = f.Mul(tv1, tv3);
  Fe y1;
  Mask is_gx1_square = SqrtRatio3Mod4(tv2, tv6, &y1);
  Fe yy = f.Mul(tv1, u);
  yy = f.Mul(yy, y1);
  xx = Mont256::Select(is_gx1_square, tv3, xx);
  yy = Mont256::Select(is_gx1_square, y1, yy);
  Mask e1 = 0 - (1 ^ (f.Sgn0(u) ^ f.Sgn0(yy)));
  yy = Mont256::Select(e1, yy, f.Neg(yy));
  *x = xx;
  *y = f.Mul(yy, tv4);
  *z = tv4;  // nonzero: it is A * (-tv2) or A * Z
  WipeAll({&tv1, &tv2, &tv3, &tv4, &tv5, &tv6, &xx, &y1, &yy});
}

// Affine big-endian form of (X : Y : Z); Z = 0 is the identity.
AffinePoint ToAffine(const Fe& X, const Fe& Y, const Fe& Z) {
  const Mont256& f = P256Field();
  AffinePoint out;
  Fe zinv = f.Inv(Z);  // 0 for Z = 0
  Fe ax = f.Mul(X, zinv), ay = f.Mul(Y, zinv);
  f.ToBytes(ax, out.x.data());
  f.ToBytes(ay, out.y.data());
  out.infinity = Mont256::IsZero(Z) != 0;  // negligible; callers reject it
  WipeAll({&zinv, &ax, &ay});
  return out;
}

// Complete projective addition (Renes, Costello, Batina 2016, Algorithm 4,
// a = -3), then to affine.
AffinePoint AddProjective(const Fe& x1, const Fe& y1, const Fe& z1,
                          const Fe& x2, const Fe& y2, const Fe& z2) {
  const Mont256& f = P256Field();
  const Fe& b = Consts().b;
  Fe t0 = f.Mul(x1, x2), t1 = f.Mul(y1, y2), t2 = f.Mul(z1, z2);
  Fe t3 = f.Add(x1, y1), t4 = f.Add(x2, y2);
  t3 = f.Mul(t3, t4);
  t4 = f.Add(t0, t1);
  t3 = f.Sub(t3, t4);
  t4 = f.Add(y1, z1);
  Fe X3 = f.Add(y2, z2);
  t4 = f.Mul(t4, X3);
  X3 = f.Add(t1, t2);
  t4 = f.Sub(t4, X3);
  X3 = f.Add(x1, z1);
  Fe Y3 = f.Add(x2, z2);
  X3 = f.Mul(X3, Y3);
  Y3 = f.Add(t0, t2);
  Y3 = f.Sub(X3, Y3);
  Fe Z3 = f.Mul(b, t2);
  X3 = f.Sub(Y3, Z3);
  Z3 = f.Add(X3, X3);
  X3 = f.Add(X3, Z3);
  Z3 = f.Sub(t1, X3);
  X3 = f.Add(t1, X3);
  Y3 = f.Mul(b, Y3);
  t1 = f.Add(t2, t2);
  t2 = f.Add(t1, t2);
  Y3 = f.Sub(Y3, t2);
  Y3 = f.Sub(Y3, t0);
  t1 = f.Add(Y3, Y3);
  Y3 = f.Add(t1, Y3);
  t1 = f.Add(t0, t0);
  t0 = f.Add(t1, t0);
  t0 = f.Sub(t0, t2);
  t1 = f.Mul(t4, Y3);
  t2 = f.Mul(t0, Y3);
  Y3 = f.Mul(X3, Z3);
  Y3 = f.Add(Y3, t2);
  X3 = f.Mul(t3, X3);
  X3 = f.Sub(X3, t1);
  Z3 = f.Mul(t4, Z3);
  t1 = f.Mul(t3, t0);
  Z3 = f.Add(Z3, t1);

  AffinePoint out = ToAffine(X3, Y3, Z3);
  WipeAll({&t0, &t1, &t2, &t3, &t4, &X3, &Y3, &Z3});
  return out;
}

}  // namespace

absl::StatusOr<std::array<uint8_t, 32>> Sha256(absl::Span<const uint8_t> data) {
  std::array<uint8_t, 32> out;
  if (!Hash({data}, out.data())) return absl::InternalError("SHA-256 failed");
  return out;
}

absl::StatusOr<std::vector<uint8_t>> ExpandMessageXmd(
    absl::Span<const uint8_t> msg, absl::Span<const uint8_t> dst,
    size_t len_in_bytes) {
  const size_t ell = (len_in_bytes + kHashLen - 1) / kHashLen;
  if (len_in_bytes == 0 || ell > 255 || len_in_bytes > 65535) {
    return absl::InvalidArgumentError("expand_message_xmd: bad length");
  }
  if (dst.empty()) {
    return absl::InvalidArgumentError("expand_message_xmd: empty DST");
  }
  uint8_t long_dst[kHashLen];
  if (dst.size() > 255) {
    static constexpr char kOversize[] = "H2C-OVERSIZE-DST-";
    if (!Hash({Bytes(kOversize, sizeof(kOversize) - 1), dst}, long_dst)) {
      return absl::InternalError("SHA-256 failed");
    }
    dst = absl::Span<const uint8_t>(long_dst, kHashLen);
  }
  const uint8_t dst_len = static_cast<uint8_t>(dst.size());
  const uint8_t z_pad[kBlockLen] = {0};
  const uint8_t lib_str[2] = {static_cast<uint8_t>(len_in_bytes >> 8),
                              static_cast<uint8_t>(len_in_bytes)};
  const uint8_t zero = 0;
  uint8_t b0[kHashLen], bi[kHashLen], mixed[kHashLen];
  if (!Hash({absl::MakeConstSpan(z_pad),
             msg,
             absl::MakeConstSpan(lib_str),
             {&zero, 1},
             dst,
             {&dst_len, 1}},
            b0)) {
    return absl::InternalError("SHA-256 failed");
  }
  std::vector<uint8_t> out;
  out.reserve(ell * kHashLen);
  for (size_t i = 1; i <= ell; ++i) {
    for (size_t j = 0; j < kHashLen; ++j) {
      mixed[j] = (i == 1) ? b0[j] : static_cast<uint8_t>(b0[j] ^ bi[j]);
    }
    const uint8_t counter = static_cast<uint8_t>(i);
    // b_1 = H(b_0 || 1 || DST'); b_i = H((b_0 xor b_(i-1)) || i || DST').
    if (!Hash({absl::MakeConstSpan(mixed), {&counter, 1}, dst, {&dst_len, 1}},
              bi)) {
      OPENSSL_cleanse(out.data(), out.size());
      return absl::InternalError("SHA-256 failed");
    }
    out.insert(out.end(), bi, bi + kHashLen);
  }
  out.resize(len_in_bytes);
  OPENSSL_cleanse(b0, sizeof(b0));
  OPENSSL_cleanse(bi, sizeof(bi));
  OPENSSL_cleanse(mixed, sizeof(mixed));
  return out;
}

absl::StatusOr<std::vector<Fe>> HashToField(absl::Span<const uint8_t> msg,
                                            absl::Span<const uint8_t> dst,
                                            size_t count, const Mont256& mod) {
  absl::StatusOr<std::vector<uint8_t>> uniform =
      ExpandMessageXmd(msg, dst, count * kFieldLen);
  if (!uniform.ok()) return uniform.status();
  std::vector<Fe> out(count);
  for (size_t i = 0; i < count; ++i) {
    out[i] = mod.FromBytesWide(uniform->data() + i * kFieldLen);
  }
  OPENSSL_cleanse(uniform->data(), uniform->size());
  return out;
}

AffinePoint MapToCurveSswu(const Fe& u) {
  Fe x, y, z;
  MapToCurveFe(u, &x, &y, &z);
  AffinePoint out = ToAffine(x, y, z);
  WipeAll({&x, &y, &z});
  return out;
}

absl::StatusOr<AffinePoint> HashToCurve(absl::Span<const uint8_t> msg,
                                        absl::Span<const uint8_t> dst) {
  absl::StatusOr<std::vector<Fe>> u = HashToField(msg, dst, 2, P256Field());
  if (!u.ok()) return u.status();
  Fe x0, y0, z0, x1, y1, z1;
  MapToCurveFe((*u)[0], &x0, &y0, &z0);
  MapToCurveFe((*u)[1], &x1, &y1, &z1);
  // h_eff = 1: no cofactor clearing.
  AffinePoint p = AddProjective(x0, y0, z0, x1, y1, z1);
  WipeAll({&(*u)[0], &(*u)[1], &x0, &y0, &z0, &x1, &y1, &z1});
  return p;
}

absl::StatusOr<std::array<uint8_t, 32>> HashToScalar(
    absl::Span<const uint8_t> msg, absl::Span<const uint8_t> dst) {
  absl::StatusOr<std::vector<Fe>> s = HashToField(msg, dst, 1, P256Order());
  if (!s.ok()) return s.status();
  std::array<uint8_t, 32> out;
  P256Order().ToBytes((*s)[0], out.data());
  Mont256::Wipe(&(*s)[0]);
  return out;
}

}  // namespace ifed::crypto::oprf::internal
