// RFC 9380 known-answer tests: expand_message_xmd(SHA-256) (K.1, K.2) and
// P256_XMD:SHA-256_SSWU_RO_ (J.1.1), from both the text and JSON files.
#include "node/crypto/oprf/hash_to_curve.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include <string>

#include "gtest/gtest.h"
#include "node/crypto/oprf/vectors.h"

namespace ifed::crypto::oprf::internal {
namespace {

using testing::Hex;
using testing::ParseJson;
using testing::ParseKeyValueRecords;
using testing::ReadTestData;
using testing::ToHex;

absl::Span<const uint8_t> Str(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct ExpandCase {
  std::string dst, msg;
  size_t len;
  std::string uniform;
};

void CheckExpand(const ExpandCase& c) {
  auto got = ExpandMessageXmd(Str(c.msg), Str(c.dst), c.len);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(ToHex(*got), c.uniform) << "DST=" << c.dst << " msg=" << c.msg;
}

TEST(ExpandMessageXmd, TextVectors) {
  auto text = ReadTestData("rfc9380_expand_message_xmd_SHA-256.txt");
  ASSERT_TRUE(text.ok()) << text.status();
  auto records = ParseKeyValueRecords(*text, "uniform_bytes");
  ASSERT_EQ(records.size(), 20u);
  for (auto& r : records) {
    CheckExpand({r["DST"], r["msg"], std::stoul(r["len_in_bytes"], nullptr, 16),
                 r["uniform_bytes"]});
  }
}

TEST(ExpandMessageXmd, JsonVectors) {
  size_t n = 0;
  for (const char* file : {"expand_message_xmd_SHA256_38.json",
                           "expand_message_xmd_SHA256_256.json"}) {
    auto text = ReadTestData(file);
    ASSERT_TRUE(text.ok()) << text.status();
    auto json = ParseJson(*text);
    ASSERT_TRUE(json.ok()) << json.status();
    for (const auto& t : (*json)["tests"].items) {
      CheckExpand({(*json)["DST"].text, t["msg"].text,
                   std::stoul(t["len_in_bytes"].text, nullptr, 16),
                   t["uniform_bytes"].text});
      ++n;
    }
  }
  EXPECT_EQ(n, 20u);
}

TEST(ExpandMessageXmd, RejectsBadParameters) {
  const std::string dst = "DST";
  EXPECT_FALSE(ExpandMessageXmd({}, Str(dst), 0).ok());
  EXPECT_FALSE(ExpandMessageXmd({}, Str(dst), 255 * 32 + 1).ok());
  EXPECT_TRUE(ExpandMessageXmd({}, Str(dst), 255 * 32).ok());
  EXPECT_FALSE(ExpandMessageXmd({}, {}, 32).ok());
}

struct H2cCase {
  std::string msg, px, py, u0, u1, q0x, q0y, q1x, q1y;
};

void CheckH2c(const std::string& dst, const H2cCase& c) {
  SCOPED_TRACE("msg=" + c.msg.substr(0, 20));
  auto u = HashToField(Str(c.msg), Str(dst), 2, P256Field());
  ASSERT_TRUE(u.ok()) << u.status();
  uint8_t b[32];
  P256Field().ToBytes((*u)[0], b);
  EXPECT_EQ(ToHex(b, 32), c.u0);
  P256Field().ToBytes((*u)[1], b);
  EXPECT_EQ(ToHex(b, 32), c.u1);
  AffinePoint q0 = MapToCurveSswu((*u)[0]), q1 = MapToCurveSswu((*u)[1]);
  EXPECT_EQ(ToHex(q0.x), c.q0x);
  EXPECT_EQ(ToHex(q0.y), c.q0y);
  EXPECT_EQ(ToHex(q1.x), c.q1x);
  EXPECT_EQ(ToHex(q1.y), c.q1y);
  auto p = HashToCurve(Str(c.msg), Str(dst));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->infinity);
  EXPECT_EQ(ToHex(p->x), c.px);
  EXPECT_EQ(ToHex(p->y), c.py);
}

TEST(HashToCurve, TextVectors) {
  auto text = ReadTestData("rfc9380_P256_XMD-SHA-256_SSWU_RO_.txt");
  ASSERT_TRUE(text.ok()) << text.status();
  auto records = ParseKeyValueRecords(*text, "Q1.y");
  ASSERT_EQ(records.size(), 5u);
  for (auto& r : records) {
    ASSERT_EQ(r["suite"], "P256_XMD:SHA-256_SSWU_RO_");
    CheckH2c(r["dst"], {r["msg"], r["P.x"], r["P.y"], r["u[0]"], r["u[1]"],
                        r["Q0.x"], r["Q0.y"], r["Q1.x"], r["Q1.y"]});
  }
}

TEST(HashToCurve, JsonVectors) {
  auto text = ReadTestData("P256_XMD-SHA-256_SSWU_RO_.json");
  ASSERT_TRUE(text.ok()) << text.status();
  auto json = ParseJson(*text);
  ASSERT_TRUE(json.ok()) << json.status();
  ASSERT_EQ((*json)["ciphersuite"].text, "P256_XMD:SHA-256_SSWU_RO_");
  const auto& vectors = (*json)["vectors"].items;
  ASSERT_EQ(vectors.size(), 5u);
  auto h = [](const testing::Json& j) { return j.text.substr(2); };  // "0x"
  for (const auto& v : vectors) {
    CheckH2c((*json)["dst"].text,
             {v["msg"].text, h(v["P"]["x"]), h(v["P"]["y"]), h(v["u"].items[0]),
              h(v["u"].items[1]), h(v["Q0"]["x"]), h(v["Q0"]["y"]),
              h(v["Q1"]["x"]), h(v["Q1"]["y"])});
  }
}

// The map's exceptional case (u = 0, where tv2 = 0 selects Z) and random
// field elements must land on the curve.
TEST(MapToCurveSswu, OutputsAreOnTheCurve) {
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  ASSERT_NE(group, nullptr);
  for (int i = 0; i < 64; ++i) {
    uint8_t bytes[32] = {0};
    if (i > 0) RAND_bytes(bytes, sizeof(bytes));
    AffinePoint q = MapToCurveSswu(P256Field().FromBytesReduce(bytes));
    EXPECT_FALSE(q.infinity);
    BIGNUM* x = BN_bin2bn(q.x.data(), 32, nullptr);
    BIGNUM* y = BN_bin2bn(q.y.data(), 32, nullptr);
    EC_POINT* p = EC_POINT_new(group);
    EXPECT_EQ(EC_POINT_set_affine_coordinates(group, p, x, y, nullptr), 1) << i;
    EC_POINT_free(p);
    BN_free(x);
    BN_free(y);
  }
  EC_GROUP_free(group);
}

}  // namespace
}  // namespace ifed::crypto::oprf::internal
