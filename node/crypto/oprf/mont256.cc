#include "node/crypto/oprf/mont256.h"

#include <openssl/crypto.h>

namespace ifed::crypto::oprf::internal {
namespace {

__extension__ typedef unsigned __int128 u128;

std::array<uint64_t, 4> LimbsFromBytes(const uint8_t in[32]) {
  std::array<uint64_t, 4> r{};
  for (int i = 0; i < 32; ++i) {
    r[3 - i / 8] = (r[3 - i / 8] << 8) | in[i];
  }
  return r;
}

constexpr std::array<uint8_t, 32> kP256P = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr std::array<uint8_t, 32> kP256N = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
    0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

}  // namespace

Mont256::Mont256(const std::array<uint8_t, 32>& modulus_be)
    : m_(LimbsFromBytes(modulus_be.data())) {
  // Newton iteration for m^-1 mod 2^64 (m odd: m*m = 1 mod 8, 3 bits).
  uint64_t inv = m_[0];
  for (int i = 0; i < 6; ++i) inv *= 2 - m_[0] * inv;
  m0inv_ = 0 - inv;
  // R mod m = 2^256 - m, which is < m because m > 2^255.
  uint64_t borrow = 0;
  for (int j = 0; j < 4; ++j) {
    u128 s = u128{0} - m_[j] - borrow;
    one_.v[j] = static_cast<uint64_t>(s);
    borrow = static_cast<uint64_t>(s >> 64) & 1;
  }
  r2_ = one_;
  for (int i = 0; i < 256; ++i) r2_ = Add(r2_, r2_);  // R * 2^256 mod m
  borrow = 2;
  for (int j = 0; j < 4; ++j) {
    u128 s = u128{m_[j]} - borrow;
    m_minus_2_[j] = static_cast<uint64_t>(s);
    borrow = static_cast<uint64_t>(s >> 64) & 1;
  }
}

Fe Mont256::Reduce(const uint64_t t[4], uint64_t t4) const {
  uint64_t d[4];
  uint64_t borrow = 0;
  for (int j = 0; j < 4; ++j) {
    u128 s = u128{t[j]} - m_[j] - borrow;
    d[j] = static_cast<uint64_t>(s);
    borrow = static_cast<uint64_t>(s >> 64) & 1;
  }
  // t4 * 2^256 + t - m is negative iff t4 == 0 and the subtraction borrowed.
  Mask keep_t = 0 - (borrow & (t4 ^ 1));
  Fe r;
  for (int j = 0; j < 4; ++j) r.v[j] = (t[j] & keep_t) | (d[j] & ~keep_t);
  return r;
}

Fe Mont256::Add(const Fe& a, const Fe& b) const {
  uint64_t t[4];
  uint64_t carry = 0;
  for (int j = 0; j < 4; ++j) {
    u128 s = u128{a.v[j]} + b.v[j] + carry;
    t[j] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
  return Reduce(t, carry);
}

Fe Mont256::Sub(const Fe& a, const Fe& b) const {
  Fe r;
  uint64_t borrow = 0;
  for (int j = 0; j < 4; ++j) {
    u128 s = u128{a.v[j]} - b.v[j] - borrow;
    r.v[j] = static_cast<uint64_t>(s);
    borrow = static_cast<uint64_t>(s >> 64) & 1;
  }
  Mask add_m = 0 - borrow;
  uint64_t carry = 0;
  for (int j = 0; j < 4; ++j) {
    u128 s = u128{r.v[j]} + (m_[j] & add_m) + carry;
    r.v[j] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
  return r;
}

// CIOS Montgomery multiplication: a * b / R mod m.
Fe Mont256::Mul(const Fe& a, const Fe& b) const {
  uint64_t t[6] = {0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    uint64_t carry = 0;
    for (int j = 0; j < 4; ++j) {
      u128 s = u128{a.v[j]} * b.v[i] + t[j] + carry;
      t[j] = static_cast<uint64_t>(s);
      carry = static_cast<uint64_t>(s >> 64);
    }
    u128 s = u128{t[4]} + carry;
    t[4] = static_cast<uint64_t>(s);
    t[5] = static_cast<uint64_t>(s >> 64);

    uint64_t q = t[0] * m0inv_;
    s = u128{q} * m_[0] + t[0];
    carry = static_cast<uint64_t>(s >> 64);
    for (int j = 1; j < 4; ++j) {
      s = u128{q} * m_[j] + t[j] + carry;
      t[j - 1] = static_cast<uint64_t>(s);
      carry = static_cast<uint64_t>(s >> 64);
    }
    s = u128{t[4]} + carry;
    t[3] = static_cast<uint64_t>(s);
    t[4] = t[5] + static_cast<uint64_t>(s >> 64);
  }
  Fe r = Reduce(t, t[4]);
  OPENSSL_cleanse(t, sizeof(t));
  return r;
}

Fe Mont256::Pow(const Fe& a, const std::array<uint64_t, 4>& e) const {
  // Fixed 4-bit window. The table index is a nibble of the PUBLIC exponent,
  // so neither the branch nor the memory access depends on `a`.
  Fe table[16];
  table[0] = one_;
  table[1] = a;
  for (int i = 2; i < 16; ++i) table[i] = Mul(table[i - 1], a);
  Fe r = one_;
  for (int i = 63; i >= 0; --i) {
    for (int k = 0; k < 4; ++k) r = Sqr(r);
    const unsigned nibble = (e[i / 16] >> (4 * (i % 16))) & 15;
    if (nibble != 0) r = Mul(r, table[nibble]);
  }
  for (Fe& t : table) Wipe(&t);
  return r;
}

Fe Mont256::FromBytesReduce(const uint8_t in[32]) const {
  std::array<uint64_t, 4> x = LimbsFromBytes(in);
  Fe r = Reduce(x.data(), 0);  // x < 2^256 < 2m
  r = Mul(r, r2_);
  OPENSSL_cleanse(x.data(), sizeof(x));
  return r;
}

Fe Mont256::FromBytesWide(const uint8_t in[48]) const {
  uint8_t hi_bytes[32] = {0};
  for (int i = 0; i < 16; ++i) hi_bytes[16 + i] = in[i];
  Fe hi = FromBytesReduce(hi_bytes);  // hi * R
  Fe lo = FromBytesReduce(in + 16);   // lo * R
  Fe r = Add(Mul(hi, r2_), lo);       // (hi * 2^256 + lo) * R
  OPENSSL_cleanse(hi_bytes, sizeof(hi_bytes));
  Wipe(&hi);
  Wipe(&lo);
  return r;
}

Mask Mont256::FromBytesCanonical(const uint8_t in[32], Fe* out) const {
  std::array<uint64_t, 4> x = LimbsFromBytes(in);
  uint64_t borrow = 0;
  for (int j = 0; j < 4; ++j) {
    u128 s = u128{x[j]} - m_[j] - borrow;
    borrow = static_cast<uint64_t>(s >> 64) & 1;
  }
  Mask ok = 0 - borrow;  // x - m borrowed: x < m
  Fe xr;
  for (int j = 0; j < 4; ++j) xr.v[j] = x[j] & ok;
  *out = Mul(xr, r2_);
  OPENSSL_cleanse(x.data(), sizeof(x));
  Wipe(&xr);
  return ok;
}

void Mont256::ToBytes(const Fe& a, uint8_t out[32]) const {
  Fe c = Mul(a, Fe{{1, 0, 0, 0}});  // leave Montgomery form
  for (int i = 0; i < 32; ++i) {
    out[i] = static_cast<uint8_t>(c.v[3 - i / 8] >> (8 * (7 - i % 8)));
  }
  Wipe(&c);
}

Fe Mont256::FromU64(uint64_t x) const { return Mul(Fe{{x, 0, 0, 0}}, r2_); }

uint64_t Mont256::Sgn0(const Fe& a) const {
  Fe c = Mul(a, Fe{{1, 0, 0, 0}});
  uint64_t s = c.v[0] & 1;
  Wipe(&c);
  return s;
}

Mask Mont256::IsZero(const Fe& a) {
  uint64_t x = a.v[0] | a.v[1] | a.v[2] | a.v[3];
  return ((x | (0 - x)) >> 63) - 1;
}

Mask Mont256::Equal(const Fe& a, const Fe& b) {
  Fe d;
  for (int j = 0; j < 4; ++j) d.v[j] = a.v[j] ^ b.v[j];
  return IsZero(d);
}

Fe Mont256::Select(Mask mask, const Fe& a, const Fe& b) {
  Fe r;
  for (int j = 0; j < 4; ++j) r.v[j] = (a.v[j] & mask) | (b.v[j] & ~mask);
  return r;
}

void Mont256::Wipe(Fe* a) { OPENSSL_cleanse(a->v.data(), sizeof(a->v)); }

const Mont256& P256Field() {
  static const Mont256* const field = new Mont256(kP256P);
  return *field;
}

const Mont256& P256Order() {
  static const Mont256* const order = new Mont256(kP256N);
  return *order;
}

}  // namespace ifed::crypto::oprf::internal
