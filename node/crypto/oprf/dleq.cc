#include "node/crypto/oprf/dleq.h"

#include <openssl/crypto.h>

#include <string>
#include <vector>

#include "node/common/status_macros.h"
#include "node/crypto/oprf/hash_to_curve.h"

namespace ifed::crypto::oprf::internal {
namespace {

// Transcript builder for the RFC's I2OSP(len, 2) || value framing.
class Transcript {
 public:
  Transcript& Framed(absl::Span<const uint8_t> v) {
    U16(v.size());
    return Raw(v);
  }
  Transcript& U16(size_t v) {
    bytes_.push_back(static_cast<uint8_t>(v >> 8));
    bytes_.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  Transcript& Raw(absl::Span<const uint8_t> v) {
    bytes_.insert(bytes_.end(), v.begin(), v.end());
    return *this;
  }
  Transcript& Raw(const char* s) {
    return Raw({reinterpret_cast<const uint8_t*>(s),
                std::char_traits<char>::length(s)});
  }
  absl::Span<const uint8_t> span() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

std::vector<uint8_t> Dst(const char* prefix,
                         absl::Span<const uint8_t> context) {
  Transcript t;
  t.Raw(prefix).Raw(context);
  return {t.span().begin(), t.span().end()};
}

absl::Status CheckBatch(const DleqBatch& batch) {
  const size_t m = batch.c.size();
  if (m == 0 || m > 65536 || batch.d.size() != m || batch.c_enc.size() != m ||
      batch.d_enc.size() != m) {
    return absl::InvalidArgumentError("DLEQ: bad batch size");
  }
  return absl::OkStatus();
}

// The composite weights d_i = HashToScalar(seed, i, C[i], D[i]).
absl::StatusOr<std::vector<Scalar>> CompositeWeights(
    const EC_POINT* b, const DleqBatch& batch,
    absl::Span<const uint8_t> context) {
  IFED_ASSIGN_OR_RETURN(ElementBytes bm, SerializeElement(b));
  std::vector<uint8_t> seed_dst = Dst("Seed-", context);
  Transcript seed_t;
  seed_t.Framed(bm).Framed(seed_dst);
  IFED_ASSIGN_OR_RETURN(auto seed, Sha256(seed_t.span()));
  std::vector<uint8_t> h2s_dst = Dst("HashToScalar-", context);
  std::vector<Scalar> weights;
  weights.reserve(batch.c.size());
  for (size_t i = 0; i < batch.c.size(); ++i) {
    Transcript t;
    t.Framed(seed)
        .U16(i)
        .Framed(batch.c_enc[i])
        .Framed(batch.d_enc[i])
        .Raw("Composite");
    IFED_ASSIGN_OR_RETURN(Scalar di, HashToScalar(t.span(), h2s_dst));
    weights.push_back(di);
  }
  return weights;
}

// c = HashToScalar(B, M, Z, t2, t3, "Challenge").
absl::StatusOr<Scalar> Challenge(const EC_POINT* b, const EC_POINT* m,
                                 const EC_POINT* z, const EC_POINT* t2,
                                 const EC_POINT* t3,
                                 absl::Span<const uint8_t> context) {
  Transcript t;
  for (const EC_POINT* p : {b, m, z, t2, t3}) {
    IFED_ASSIGN_OR_RETURN(ElementBytes e, SerializeElement(p));
    t.Framed(e);
  }
  t.Raw("Challenge");
  return HashToScalar(t.span(), Dst("HashToScalar-", context));
}

}  // namespace

absl::StatusOr<ProofBytes> GenerateProof(const Scalar& k, const EC_POINT* a,
                                         const EC_POINT* b,
                                         const DleqBatch& batch,
                                         const Scalar& r,
                                         absl::Span<const uint8_t> context) {
  IFED_RETURN_IF_ERROR(CheckBatch(batch));
  IFED_ASSIGN_OR_RETURN(std::vector<Scalar> w,
                        CompositeWeights(b, batch, context));
  IFED_ASSIGN_OR_RETURN(Point m, CombinePublic(w, batch.c));
  IFED_ASSIGN_OR_RETURN(Point z, Mul(k, m.get()));  // ComputeCompositesFast
  IFED_ASSIGN_OR_RETURN(Point t2, Mul(r, a));
  IFED_ASSIGN_OR_RETURN(Point t3, Mul(r, m.get()));
  IFED_ASSIGN_OR_RETURN(
      Scalar c, Challenge(b, m.get(), z.get(), t2.get(), t3.get(), context));
  Scalar s = ScalarSubMul(r, c, k);
  ProofBytes proof;
  std::copy(c.begin(), c.end(), proof.begin());
  std::copy(s.begin(), s.end(), proof.begin() + kNs);
  OPENSSL_cleanse(s.data(), s.size());
  return proof;
}

absl::Status VerifyProof(const EC_POINT* a, const EC_POINT* b,
                         const DleqBatch& batch,
                         absl::Span<const uint8_t> proof,
                         absl::Span<const uint8_t> context) {
  IFED_RETURN_IF_ERROR(CheckBatch(batch));
  if (proof.size() != 2 * kNs) {
    return absl::InvalidArgumentError("proof: length is not 64");
  }
  IFED_ASSIGN_OR_RETURN(Scalar c, DeserializeScalar(proof.subspan(0, kNs)));
  IFED_ASSIGN_OR_RETURN(Scalar s, DeserializeScalar(proof.subspan(kNs, kNs)));
  IFED_ASSIGN_OR_RETURN(std::vector<Scalar> w,
                        CompositeWeights(b, batch, context));
  IFED_ASSIGN_OR_RETURN(Point m, CombinePublic(w, batch.c));
  IFED_ASSIGN_OR_RETURN(Point z, CombinePublic(w, batch.d));
  // t2 = s*A + c*B with A = G for VOPRF; t3 = s*M + c*Z.
  IFED_ASSIGN_OR_RETURN(Point sa, Mul(s, a));
  IFED_ASSIGN_OR_RETURN(Point cb, Mul(c, b));
  IFED_ASSIGN_OR_RETURN(Point t2, AddPoints(sa.get(), cb.get()));
  IFED_ASSIGN_OR_RETURN(Point t3, Mul(s, m.get()));
  IFED_ASSIGN_OR_RETURN(Point cz, Mul(c, z.get()));
  IFED_ASSIGN_OR_RETURN(t3, AddPoints(t3.get(), cz.get()));
  absl::StatusOr<Scalar> expected =
      Challenge(b, m.get(), z.get(), t2.get(), t3.get(), context);
  // An identity among t2/t3 cannot be serialised: the proof is invalid.
  if (!expected.ok() || CRYPTO_memcmp(expected->data(), c.data(), kNs) != 0) {
    return absl::InvalidArgumentError("proof does not verify");
  }
  return absl::OkStatus();
}

}  // namespace ifed::crypto::oprf::internal
