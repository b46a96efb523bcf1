// Mont256 against OpenSSL BIGNUM on random and edge-case operands, for both
// moduli (P-256 field and group order).
#include "node/crypto/oprf/mont256.h"

#include <openssl/bn.h>
#include <openssl/rand.h>

#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace ifed::crypto::oprf::internal {
namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn FromBytes(const uint8_t* b, size_t n) {
  return Bn(BN_bin2bn(b, n, nullptr));
}

std::array<uint8_t, 32> ToBytes32(const BIGNUM* x) {
  std::array<uint8_t, 32> out;
  EXPECT_EQ(BN_bn2binpad(x, out.data(), 32), 32);
  return out;
}

class Mont256Test : public ::testing::TestWithParam<bool> {
 protected:
  const Mont256& M() const { return GetParam() ? P256Order() : P256Field(); }
  Bn Modulus() const {
    uint8_t m[32];
    for (int i = 0; i < 32; ++i) {
      m[i] =
          static_cast<uint8_t>(M().modulus()[3 - i / 8] >> (8 * (7 - i % 8)));
    }
    return FromBytes(m, 32);
  }
  // Random values below m, plus edge cases 0, 1, 2, m-1, m-2.
  std::vector<std::array<uint8_t, 32>> Operands() const {
    Bn m = Modulus();
    std::vector<std::array<uint8_t, 32>> out;
    for (int k : {0, 1, 2}) {
      Bn v(BN_new());
      BN_set_word(v.get(), k);
      out.push_back(ToBytes32(v.get()));
      Bn w(BN_dup(m.get()));
      BN_sub_word(w.get(), k + 1);
      out.push_back(ToBytes32(w.get()));
    }
    for (int i = 0; i < 40; ++i) {
      Bn v(BN_new());
      BN_rand_range(v.get(), m.get());
      out.push_back(ToBytes32(v.get()));
    }
    return out;
  }
};

TEST_P(Mont256Test, MatchesBignum) {
  Bn m = Modulus();
  std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> ctx(BN_CTX_new(),
                                                      BN_CTX_free);
  auto ops = Operands();
  for (size_t i = 0; i < ops.size(); ++i) {
    const auto& a = ops[i];
    const auto& b = ops[(i * 7 + 3) % ops.size()];
    Fe fa, fb;
    ASSERT_NE(M().FromBytesCanonical(a.data(), &fa), 0u);
    ASSERT_NE(M().FromBytesCanonical(b.data(), &fb), 0u);
    Bn ba = FromBytes(a.data(), 32), bb = FromBytes(b.data(), 32);
    Bn want(BN_new());
    std::array<uint8_t, 32> got;

    M().ToBytes(M().Mul(fa, fb), got.data());
    BN_mod_mul(want.get(), ba.get(), bb.get(), m.get(), ctx.get());
    EXPECT_EQ(got, ToBytes32(want.get())) << "mul " << i;

    M().ToBytes(M().Add(fa, fb), got.data());
    BN_mod_add(want.get(), ba.get(), bb.get(), m.get(), ctx.get());
    EXPECT_EQ(got, ToBytes32(want.get())) << "add " << i;

    M().ToBytes(M().Sub(fa, fb), got.data());
    BN_mod_sub(want.get(), ba.get(), bb.get(), m.get(), ctx.get());
    EXPECT_EQ(got, ToBytes32(want.get())) << "sub " << i;

    M().ToBytes(M().Inv(fa), got.data());
    if (BN_is_zero(ba.get())) {
      BN_zero(want.get());
    } else {
      BN_mod_inverse(want.get(), ba.get(), m.get(), ctx.get());
    }
    EXPECT_EQ(got, ToBytes32(want.get())) << "inv " << i;

    EXPECT_EQ(M().Sgn0(fa), static_cast<uint64_t>(BN_is_odd(ba.get())));
    EXPECT_EQ(Mont256::Equal(fa, fb) != 0, BN_cmp(ba.get(), bb.get()) == 0);
  }
}

TEST_P(Mont256Test, WideAndNonCanonicalReduction) {
  Bn m = Modulus();
  std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> ctx(BN_CTX_new(),
                                                      BN_CTX_free);
  for (int i = 0; i < 50; ++i) {
    uint8_t wide[48];
    RAND_bytes(wide, sizeof(wide));
    if (i == 0) std::fill(wide, wide + 48, 0xff);
    std::array<uint8_t, 32> got;
    M().ToBytes(M().FromBytesWide(wide), got.data());
    Bn want(BN_new());
    BN_mod(want.get(), FromBytes(wide, 48).get(), m.get(), ctx.get());
    EXPECT_EQ(got, ToBytes32(want.get())) << "wide " << i;

    M().ToBytes(M().FromBytesReduce(wide), got.data());
    BN_mod(want.get(), FromBytes(wide, 32).get(), m.get(), ctx.get());
    EXPECT_EQ(got, ToBytes32(want.get())) << "reduce " << i;
    Fe unused;
    EXPECT_EQ(M().FromBytesCanonical(wide, &unused) != 0,
              BN_cmp(FromBytes(wide, 32).get(), m.get()) < 0);
  }
  std::array<uint8_t, 32> mb = ToBytes32(m.get());
  Fe unused;
  EXPECT_EQ(M().FromBytesCanonical(mb.data(), &unused), 0u);
}

INSTANTIATE_TEST_SUITE_P(FieldAndOrder, Mont256Test, ::testing::Bool());

}  // namespace
}  // namespace ifed::crypto::oprf::internal
