// Internal: fixed-width arithmetic modulo a 256-bit odd modulus m > 2^255,
// in Montgomery form (R = 2^256), on four 64-bit limbs.
//
// Constant time: every operation below runs the same instruction sequence
// and touches the same memory whatever the values of its operands (no
// branches or table lookups on operand data; selections are masks). The only
// loops are over limb indices and over the bits of a PUBLIC exponent.
//
// Used for the P-256 base field (hash-to-curve, point decompression) and for
// the group order (scalar inverse, proof response). Instances are immutable
// after construction and safe to share between threads.
#ifndef IFED_CRYPTO_OPRF_MONT256_H_
#define IFED_CRYPTO_OPRF_MONT256_H_

#include <array>
#include <cstdint>

namespace ifed::crypto::oprf::internal {

// A residue in Montgomery form, fully reduced (< m), little-endian limbs.
struct Fe {
  std::array<uint64_t, 4> v{};
};

// All-ones if the condition holds, zero otherwise.
using Mask = uint64_t;

class Mont256 {
 public:
  // `modulus_be`: big-endian, odd, top bit set.
  explicit Mont256(const std::array<uint8_t, 32>& modulus_be);

  Fe Zero() const { return Fe{}; }
  Fe One() const { return one_; }

  Fe Add(const Fe& a, const Fe& b) const;
  Fe Sub(const Fe& a, const Fe& b) const;
  Fe Neg(const Fe& a) const { return Sub(Fe{}, a); }
  Fe Mul(const Fe& a, const Fe& b) const;
  Fe Sqr(const Fe& a) const { return Mul(a, a); }
  // a^e for a public exponent e (little-endian limbs).
  Fe Pow(const Fe& a, const std::array<uint64_t, 4>& e) const;
  // a^(m-2): the inverse for prime m, and 0 for a == 0.
  Fe Inv(const Fe& a) const { return Pow(a, m_minus_2_); }

  // Any 256-bit big-endian value, reduced mod m.
  Fe FromBytesReduce(const uint8_t in[32]) const;
  // A 48-byte big-endian value (RFC 9380 hash_to_field, L = 48), mod m.
  Fe FromBytesWide(const uint8_t in[48]) const;
  // Canonical big-endian value; the mask is all-ones iff in < m.
  Mask FromBytesCanonical(const uint8_t in[32], Fe* out) const;
  // Canonical big-endian encoding of the residue.
  void ToBytes(const Fe& a, uint8_t out[32]) const;
  Fe FromU64(uint64_t x) const;

  // Parity of the canonical value (RFC 9380 sgn0 for m = 1), 0 or 1.
  uint64_t Sgn0(const Fe& a) const;
  static Mask IsZero(const Fe& a);
  static Mask Equal(const Fe& a, const Fe& b);
  // mask ? a : b.
  static Fe Select(Mask mask, const Fe& a, const Fe& b);
  static void Wipe(Fe* a);

  const std::array<uint64_t, 4>& modulus() const { return m_; }

 private:
  // Reduces t[0..3] + t4 * 2^256 (< 2m) into [0, m).
  Fe Reduce(const uint64_t t[4], uint64_t t4) const;

  std::array<uint64_t, 4> m_;
  uint64_t m0inv_;  // -m^-1 mod 2^64
  Fe one_;          // R mod m
  Fe r2_;           // R^2 mod m
  std::array<uint64_t, 4> m_minus_2_;
};

// The P-256 base field p = 2^256 - 2^224 + 2^192 + 2^96 - 1 and group
// order n. Built once, thread-safe.
const Mont256& P256Field();
const Mont256& P256Order();

}  // namespace ifed::crypto::oprf::internal

#endif  // IFED_CRYPTO_OPRF_MONT256_H_
