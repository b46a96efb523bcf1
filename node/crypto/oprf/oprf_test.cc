// RFC 9497 P256-SHA256 known-answer tests (modes OPRF and VOPRF, text and
// JSON forms), decoding negatives, proof bit flips, wrong keys and misuse.
#include "node/crypto/oprf/oprf.h"

#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "gtest/gtest.h"
#include "node/crypto/oprf/group.h"
#include "node/crypto/oprf/vectors.h"

namespace ifed::crypto::oprf {
namespace {

using testing::Hex;
using testing::ReadTestData;
using testing::SplitComma;
using testing::ToHex;

// Key material must not be printable.
template <typename T, typename = void>
struct Printable : std::false_type {};
template <typename T>
struct Printable<T, std::void_t<decltype(std::declval<std::ostream&>()
                                         << std::declval<const T&>())>>
    : std::true_type {};
static_assert(!Printable<SecretScalar>::value);
static_assert(!std::is_copy_constructible_v<SecretScalar>);
static_assert(!std::is_copy_constructible_v<FinalizeData>);

struct Vector {
  std::vector<std::string> inputs, blinds, blinded, evaluated, outputs;
  std::string proof, proof_r;
};
struct Suite {
  Mode mode;
  std::string seed, key_info, sk, pk;
  std::vector<Vector> vectors;
};

std::string Bytes(const std::string& hex) {
  std::vector<uint8_t> b = Hex(hex);
  return std::string(b.begin(), b.end());
}

std::vector<std::string> SplitBytes(const std::string& list) {
  std::vector<std::string> out;
  for (const std::string& h : SplitComma(list)) out.push_back(Bytes(h));
  return out;
}

std::vector<Suite> LoadText() {
  auto text = ReadTestData("rfc9497_P256-SHA256.txt");
  EXPECT_TRUE(text.ok()) << text.status();
  if (!text.ok()) return {};
  std::vector<Suite> suites;
  for (auto& r : testing::ParseKeyValueRecords(*text, "Output")) {
    const std::string& section = r["section"];
    Mode mode;
    if (section.find("(mode 0x00)") != std::string::npos) {
      mode = Mode::kOprf;
    } else if (section.find("(mode 0x01)") != std::string::npos) {
      mode = Mode::kVoprf;
    } else {
      continue;  // POPRF (mode 2) is out of scope
    }
    if (suites.empty() || suites.back().mode != mode) {
      suites.push_back(
          {mode, r["Seed"], r["KeyInfo"], r["skSm"], r["pkSm"], {}});
    }
    suites.back().vectors.push_back(
        {SplitBytes(r["Input"]), SplitComma(r["Blind"]),
         SplitComma(r["BlindedElement"]), SplitComma(r["EvaluationElement"]),
         SplitComma(r["Output"]), r["Proof"], r["ProofRandomScalar"]});
  }
  return suites;
}

std::vector<Suite> LoadJson() {
  auto text = ReadTestData("rfc9497_allVectors.json");
  EXPECT_TRUE(text.ok()) << text.status();
  if (!text.ok()) return {};
  auto json = testing::ParseJson(*text);
  EXPECT_TRUE(json.ok()) << json.status();
  if (!json.ok()) return {};
  std::vector<Suite> suites;
  for (const auto& s : json->items) {
    if (s["identifier"].text != "P256-SHA256") continue;
    if (s["mode"].text != "0" && s["mode"].text != "1") continue;
    Suite suite{s["mode"].text == "0" ? Mode::kOprf : Mode::kVoprf,
                s["seed"].text,
                s["keyInfo"].text,
                s["skSm"].text,
                s["pkSm"].text,
                {}};
    for (const auto& v : s["vectors"].items) {
      suite.vectors.push_back({SplitBytes(v["Input"].text),
                               SplitComma(v["Blind"].text),
                               SplitComma(v["BlindedElement"].text),
                               SplitComma(v["EvaluationElement"].text),
                               SplitComma(v["Output"].text),
                               v["Proof"]["proof"].text, v["Proof"]["r"].text});
    }
    suites.push_back(std::move(suite));
  }
  return suites;
}

SecretScalar Scalar(const std::string& hex) {
  auto s = SecretScalar::FromBytes(Hex(hex));
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

std::vector<std::string> Hexes(const std::vector<Element>& v) {
  std::vector<std::string> out;
  for (const Element& e : v) out.push_back(ToHex(e));
  return out;
}

// Runs every vector of one suite; returns how many batches passed.
int RunSuite(const Suite& suite) {
  SCOPED_TRACE(suite.mode == Mode::kOprf ? "OPRF" : "VOPRF");
  auto sk = DeriveKeyPair(suite.mode, Hex(suite.seed), Hex(suite.key_info));
  EXPECT_TRUE(sk.ok()) << sk.status();
  if (!sk.ok()) return 0;
  EXPECT_EQ(ToHex(sk->RevealBytes()), suite.sk);
  auto server = OprfServer::Create(suite.mode, *std::move(sk));
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return 0;
  std::optional<Element> pk;
  if (suite.mode == Mode::kVoprf) {
    EXPECT_EQ(ToHex((*server)->public_key()), suite.pk);
    pk = (*server)->public_key();
  }
  auto client = OprfClient::Create(suite.mode, pk);
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return 0;

  int passed = 0;
  for (size_t vi = 0; vi < suite.vectors.size(); ++vi) {
    SCOPED_TRACE("vector " + std::to_string(vi + 1));
    const Vector& v = suite.vectors[vi];
    std::vector<SecretScalar> blinds;
    for (const auto& b : v.blinds) blinds.push_back(Scalar(b));
    auto data = (*client)->BlindWith(v.inputs, blinds);
    EXPECT_TRUE(data.ok()) << data.status();
    if (!data.ok()) continue;
    EXPECT_EQ(Hexes(data->blinded_elements()), v.blinded);

    absl::StatusOr<Evaluation> eval =
        suite.mode == Mode::kVoprf
            ? (*server)->BlindEvaluateWithNonce(data->blinded_elements(),
                                                Scalar(v.proof_r))
            : (*server)->BlindEvaluate(data->blinded_elements());
    EXPECT_TRUE(eval.ok()) << eval.status();
    if (!eval.ok()) continue;
    EXPECT_EQ(Hexes(eval->elements), v.evaluated);
    if (suite.mode == Mode::kVoprf) {
      EXPECT_TRUE(eval->proof.has_value());
      if (eval->proof.has_value()) {
        EXPECT_EQ(ToHex(*eval->proof), v.proof);
      }
    } else {
      EXPECT_FALSE(eval->proof.has_value());
    }

    auto outputs = (*client)->Finalize(*data, *eval);
    EXPECT_TRUE(outputs.ok()) << outputs.status();
    if (!outputs.ok()) continue;
    std::vector<std::string> got;
    for (const Output& o : *outputs) got.push_back(ToHex(o));
    EXPECT_EQ(got, v.outputs);
    for (size_t i = 0; i < v.inputs.size(); ++i) {
      auto direct = (*server)->Evaluate(v.inputs[i]);
      EXPECT_TRUE(direct.ok()) << direct.status();
      if (direct.ok()) {
        EXPECT_EQ(ToHex(*direct), v.outputs[i]);
      }
    }
    if (!::testing::Test::HasFailure()) ++passed;
  }
  return passed;
}

TEST(Rfc9497Vectors, TextForm) {
  std::vector<Suite> suites = LoadText();
  ASSERT_EQ(suites.size(), 2u);
  EXPECT_EQ(RunSuite(suites[0]), 2);  // OPRF: 2 vectors
  EXPECT_EQ(RunSuite(suites[1]), 3);  // VOPRF: 2 single + 1 batch of 2
}

TEST(Rfc9497Vectors, JsonForm) {
  std::vector<Suite> suites = LoadJson();
  ASSERT_EQ(suites.size(), 2u);
  EXPECT_EQ(RunSuite(suites[0]), 2);
  EXPECT_EQ(RunSuite(suites[1]), 3);
}

// ------------------------------------------------------------ negative
// decoding

struct NegativeCase {
  std::string label;
  std::vector<uint8_t> bytes;
  bool must_accept;
};

std::vector<NegativeCase> LoadNegatives() {
  auto text = ReadTestData("p256_element_scalar_negative_vectors.txt");
  EXPECT_TRUE(text.ok()) << text.status();
  std::vector<NegativeCase> out;
  if (!text.ok()) return out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::istringstream ls(line);
    std::string col;
    while (std::getline(ls, col, '|')) {
      size_t b = col.find_first_not_of(' '), e = col.find_last_not_of(' ');
      cols.push_back(b == std::string::npos ? "" : col.substr(b, e - b + 1));
    }
    if (cols.size() != 4) continue;
    out.push_back({cols[0],
                   cols[1] == "(empty)" ? std::vector<uint8_t>{} : Hex(cols[1]),
                   cols[3].rfind("OK", 0) == 0});
  }
  return out;
}

TEST(Decoding, NegativeVectorFile) {
  std::vector<NegativeCase> cases = LoadNegatives();
  ASSERT_EQ(cases.size(), 19u);
  auto server =
      OprfServer::Create(Mode::kVoprf, Scalar(std::string(63, '0') + "7"));
  ASSERT_TRUE(server.ok());
  int elements = 0, scalars = 0;
  for (const NegativeCase& c : cases) {
    SCOPED_TRACE(c.label);
    if (c.label.rfind("scalar_", 0) == 0) {
      ++scalars;
      bool is_zero = c.label == "scalar_zero_as_key_or_blind";
      // The wire decoding accepts 0 < n; as a key or blind it is refused.
      EXPECT_EQ(internal::DeserializeScalar(c.bytes).ok(), is_zero);
      EXPECT_FALSE(SecretScalar::FromBytes(c.bytes).ok());
      continue;
    }
    ++elements;
    absl::StatusOr<internal::Point> p = internal::DeserializeElement(c.bytes);
    EXPECT_EQ(p.ok(), c.must_accept) << p.status();
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    }
    if (c.bytes.size() == kElementSize) {
      Element e;
      std::copy(c.bytes.begin(), c.bytes.end(), e.begin());
      EXPECT_EQ((*server)->BlindEvaluate({e}).ok(), c.must_accept);
      EXPECT_EQ(OprfClient::Create(Mode::kVoprf, e).ok(), c.must_accept);
    }
  }
  EXPECT_EQ(elements, 14);
  EXPECT_EQ(scalars, 5);
}

// The fixed-exponent decompression (y = rhs^((p+1)/4), p = 3 mod 4) against
// OpenSSL's own decoder (generic BN_mod_sqrt): the same point for random
// valid encodings of both parities, and the same verdict for random x.
TEST(Decoding, DecompressionAgreesWithOpenSsl) {
  const EC_GROUP* g = internal::Group();
  BN_CTX* ctx = BN_CTX_new();
  BIGNUM* k = BN_new();
  EC_POINT* ours_pt = EC_POINT_new(g);
  EC_POINT* theirs = EC_POINT_new(g);
  ASSERT_TRUE(ctx && k && ours_pt && theirs);
  int odd = 0;
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(BN_rand_range(k, EC_GROUP_get0_order(g)), 1);
    ASSERT_EQ(EC_POINT_mul(g, ours_pt, k, nullptr, nullptr, ctx), 1);
    std::array<uint8_t, kElementSize> enc;
    ASSERT_EQ(EC_POINT_point2oct(g, ours_pt, POINT_CONVERSION_COMPRESSED, enc.data(), enc.size(),
                                 ctx),
              enc.size());
    odd += enc[0] == 0x03;
    absl::StatusOr<internal::Point> p = internal::DeserializeElement(enc);
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_EQ(EC_POINT_oct2point(g, theirs, enc.data(), enc.size(), ctx), 1);
    EXPECT_EQ(EC_POINT_cmp(g, p->get(), theirs, ctx), 0) << ToHex(enc);
  }
  EXPECT_GT(odd, 100);  // both prefixes were exercised
  EXPECT_LT(odd, 200);
  // Random x with either prefix: about half are not on the curve; both
  // decoders must agree on every one.
  int rejected = 0;
  for (int i = 0; i < 300; ++i) {
    std::array<uint8_t, kElementSize> enc;
    ASSERT_EQ(RAND_bytes(enc.data(), static_cast<int>(enc.size())), 1);
    enc[0] = (enc[0] & 1) ? 0x03 : 0x02;
    const bool ours = internal::DeserializeElement(enc).ok();
    ERR_set_mark();
    const bool openssl = EC_POINT_oct2point(g, theirs, enc.data(), enc.size(), ctx) == 1;
    ERR_pop_to_mark();
    EXPECT_EQ(ours, openssl) << ToHex(enc);
    rejected += !ours;
  }
  EXPECT_GT(rejected, 90);
  EC_POINT_free(theirs);
  EC_POINT_free(ours_pt);
  BN_free(k);
  BN_CTX_free(ctx);
}

// ---------------------------------------------------------------- proofs

class VoprfBatch : public ::testing::Test {
 protected:
  void SetUp() override {
    suite_ = LoadText();
    ASSERT_EQ(suite_.size(), 2u);
    const Suite& s = suite_[1];
    auto sk = DeriveKeyPair(Mode::kVoprf, Hex(s.seed), Hex(s.key_info));
    ASSERT_TRUE(sk.ok());
    server_ = *OprfServer::Create(Mode::kVoprf, *std::move(sk));
    client_ = *OprfClient::Create(Mode::kVoprf, server_->public_key());
    const Vector& v = s.vectors[2];  // batch of 2
    std::vector<SecretScalar> blinds;
    for (const auto& b : v.blinds) blinds.push_back(Scalar(b));
    auto data = client_->BlindWith(v.inputs, blinds);
    ASSERT_TRUE(data.ok());
    data_ = std::make_unique<FinalizeData>(*std::move(data));
    auto eval = server_->BlindEvaluate(data_->blinded_elements());
    ASSERT_TRUE(eval.ok());
    eval_ = *eval;
    ASSERT_TRUE(client_->Finalize(*data_, eval_).ok());
  }
  std::vector<Suite> suite_;
  std::unique_ptr<OprfServer> server_;
  std::unique_ptr<OprfClient> client_;
  std::unique_ptr<FinalizeData> data_;
  Evaluation eval_;
};

TEST_F(VoprfBatch, EveryProofBitFlipFails) {
  int rejected = 0;
  for (size_t bit = 0; bit < 8 * kProofSize; ++bit) {
    Evaluation bad = eval_;
    (*bad.proof)[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    auto out = client_->Finalize(*data_, bad);
    EXPECT_FALSE(out.ok()) << "bit " << bit;
    if (!out.ok() && out.status().code() == absl::StatusCode::kInvalidArgument)
      ++rejected;
  }
  EXPECT_EQ(rejected, 512);
}

TEST_F(VoprfBatch, OutOfRangeProofScalarsFail) {
  const std::vector<uint8_t> n =
      Hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  for (int half : {0, 1}) {
    Evaluation bad = eval_;
    std::copy(n.begin(), n.end(), bad.proof->begin() + 32 * half);
    EXPECT_FALSE(client_->Finalize(*data_, bad).ok()) << half;
  }
}

TEST_F(VoprfBatch, SwappedOrTamperedEvaluationsFail) {
  Evaluation swapped = eval_;
  std::swap(swapped.elements[0], swapped.elements[1]);
  EXPECT_FALSE(client_->Finalize(*data_, swapped).ok());
  Evaluation dup = eval_;
  dup.elements[1] = dup.elements[0];
  EXPECT_FALSE(client_->Finalize(*data_, dup).ok());
  Evaluation shorter = eval_;
  shorter.elements.pop_back();
  EXPECT_FALSE(client_->Finalize(*data_, shorter).ok());
  Evaluation no_proof = eval_;
  no_proof.proof.reset();
  EXPECT_FALSE(client_->Finalize(*data_, no_proof).ok());
}

TEST_F(VoprfBatch, WrongServerKeyFailsVerification) {
  const Suite& s = suite_[1];
  auto other_sk = DeriveKeyPair(Mode::kVoprf, Hex(s.seed), Hex("6f74686572"));
  ASSERT_TRUE(other_sk.ok());
  auto other = OprfServer::Create(Mode::kVoprf, *std::move(other_sk));
  ASSERT_TRUE(other.ok());
  auto eval = (*other)->BlindEvaluate(data_->blinded_elements());
  ASSERT_TRUE(eval.ok());
  EXPECT_FALSE(client_->Finalize(*data_, *eval).ok());
}

// ---------------------------------------------------------------- OPRF mode

TEST(Oprf, WrongKeyChangesOutput) {
  auto sk1 = SecretScalar::Random(), sk2 = SecretScalar::Random();
  ASSERT_TRUE(sk1.ok() && sk2.ok());
  auto s1 = OprfServer::Create(Mode::kOprf, *std::move(sk1));
  auto s2 = OprfServer::Create(Mode::kOprf, *std::move(sk2));
  auto client = OprfClient::Create(Mode::kOprf, std::nullopt);
  ASSERT_TRUE(s1.ok() && s2.ok() && client.ok());
  std::vector<std::string> inputs = {"+43123456789"};
  auto data = (*client)->Blind(inputs);
  ASSERT_TRUE(data.ok());
  auto out1 = (*client)->Finalize(
      *data, *(*s1)->BlindEvaluate(data->blinded_elements()));
  auto out2 = (*client)->Finalize(
      *data, *(*s2)->BlindEvaluate(data->blinded_elements()));
  ASSERT_TRUE(out1.ok() && out2.ok());
  EXPECT_EQ((*out1)[0], *(*s1)->Evaluate(inputs[0]));
  EXPECT_NE((*out1)[0], (*out2)[0]);
  EXPECT_EQ((*out2)[0], *(*s2)->Evaluate(inputs[0]));
}

TEST(Oprf, RandomRoundTripsInBothModes) {
  for (Mode mode : {Mode::kOprf, Mode::kVoprf}) {
    auto sk = SecretScalar::Random();
    ASSERT_TRUE(sk.ok());
    auto server = OprfServer::Create(mode, *std::move(sk));
    ASSERT_TRUE(server.ok());
    auto client = OprfClient::Create(
        mode, mode == Mode::kVoprf
                  ? std::optional<Element>((*server)->public_key())
                  : std::nullopt);
    ASSERT_TRUE(client.ok());
    std::vector<std::string> inputs = {"", std::string(1, '\0'),
                                       "telegram:smuggler",
                                       std::string(kMaxInputSize, 'x')};
    auto a = (*client)->Blind(inputs), b = (*client)->Blind(inputs);
    ASSERT_TRUE(a.ok() && b.ok());
    for (size_t i = 0; i < inputs.size(); ++i) {
      EXPECT_NE(a->blinded_elements()[i],
                b->blinded_elements()[i]);  // fresh blinds
    }
    auto eval = (*server)->BlindEvaluate(a->blinded_elements());
    ASSERT_TRUE(eval.ok()) << eval.status();
    EXPECT_EQ(eval->proof.has_value(), mode == Mode::kVoprf);
    auto out = (*client)->Finalize(*a, *eval);
    ASSERT_TRUE(out.ok()) << out.status();
    for (size_t i = 0; i < inputs.size(); ++i) {
      EXPECT_EQ((*out)[i], *(*server)->Evaluate(inputs[i]));
    }
  }
}

TEST(Oprf, MisuseIsRejected) {
  auto sk = SecretScalar::Random();
  ASSERT_TRUE(sk.ok());
  auto server = OprfServer::Create(Mode::kOprf, *std::move(sk));
  ASSERT_TRUE(server.ok());
  EXPECT_FALSE(OprfClient::Create(Mode::kOprf, (*server)->public_key()).ok());
  EXPECT_FALSE(OprfClient::Create(Mode::kVoprf, std::nullopt).ok());
  EXPECT_FALSE(OprfClient::Create(static_cast<Mode>(2), std::nullopt).ok());
  auto r = SecretScalar::Random();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*server)->BlindEvaluateWithNonce({}, *r).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE((*server)->BlindEvaluate({}).ok());
  EXPECT_FALSE((*server)->Evaluate(std::string(kMaxInputSize + 1, 'x')).ok());

  auto client = OprfClient::Create(Mode::kOprf, std::nullopt);
  ASSERT_TRUE(client.ok());
  EXPECT_FALSE((*client)->Blind({}).ok());
  EXPECT_FALSE((*client)->Blind({std::string(kMaxInputSize + 1, 'x')}).ok());
  std::vector<std::string> one = {"x"};
  auto data = (*client)->Blind(one);
  ASSERT_TRUE(data.ok());
  auto eval = (*server)->BlindEvaluate(data->blinded_elements());
  ASSERT_TRUE(eval.ok());
  Evaluation with_proof = *eval;
  with_proof.proof = Proof{};
  EXPECT_FALSE((*client)->Finalize(*data, with_proof).ok());
  Evaluation bad_element = *eval;
  bad_element.elements[0][0] = 0x04;
  EXPECT_FALSE((*client)->Finalize(*data, bad_element).ok());

  EXPECT_FALSE(DeriveKeyPair(Mode::kOprf, Hex("00"), {}).ok());
}

}  // namespace
}  // namespace ifed::crypto::oprf

namespace ifed::crypto::oprf {
namespace {

// The batched group operations agree with their one-element forms.
class BatchedGroup : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 5; ++i) {
      absl::StatusOr<internal::Scalar> s = internal::RandomScalar();
      ASSERT_TRUE(s.ok());
      absl::StatusOr<internal::Point> p = internal::MulGen(*s);
      ASSERT_TRUE(p.ok());
      weights_.push_back(*internal::RandomScalar());
      points_.push_back(*std::move(p));
      raw_.push_back(points_.back().get());
    }
  }
  std::vector<internal::Scalar> weights_;
  std::vector<internal::Point> points_;
  std::vector<const EC_POINT*> raw_;
};

TEST_F(BatchedGroup, CombineMatchesSumOfProducts) {
  absl::StatusOr<internal::Point> acc = internal::NewIdentity();
  ASSERT_TRUE(acc.ok());
  for (size_t i = 0; i < raw_.size(); ++i) {
    absl::StatusOr<internal::Point> term = internal::Mul(weights_[i], raw_[i]);
    ASSERT_TRUE(term.ok());
    acc = internal::AddPoints(acc->get(), term->get());
    ASSERT_TRUE(acc.ok());
  }
  absl::StatusOr<internal::Point> msm =
      internal::CombinePublic(weights_, raw_);
  ASSERT_TRUE(msm.ok()) << msm.status();
  EXPECT_EQ(*internal::SerializeElement(msm->get()),
            *internal::SerializeElement(acc->get()));
}

TEST_F(BatchedGroup, CombineRefusesMismatchedOrEmptyInput) {
  EXPECT_EQ(internal::CombinePublic(
                absl::MakeConstSpan(weights_).subspan(1), raw_)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(internal::CombinePublic({}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BatchedGroup, MulEachAndSerializeEachMatchOneByOne) {
  absl::StatusOr<std::vector<internal::Point>> each =
      internal::MulEach(weights_[0], raw_);
  ASSERT_TRUE(each.ok()) << each.status();
  ASSERT_EQ(each->size(), raw_.size());
  std::vector<EC_POINT*> mut;
  for (internal::Point& p : *each) mut.push_back(p.get());
  absl::StatusOr<std::vector<internal::ElementBytes>> enc =
      internal::SerializeEach(mut);
  ASSERT_TRUE(enc.ok()) << enc.status();
  for (size_t i = 0; i < raw_.size(); ++i) {
    absl::StatusOr<internal::Point> one = internal::Mul(weights_[0], raw_[i]);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ((*enc)[i], *internal::SerializeElement(one->get())) << i;
  }
}

TEST_F(BatchedGroup, SerializeEachRefusesTheIdentity) {
  absl::StatusOr<internal::Point> id = internal::NewIdentity();
  ASSERT_TRUE(id.ok());
  std::vector<EC_POINT*> mut = {points_[0].get(), id->get()};
  EXPECT_EQ(internal::SerializeEach(mut).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ifed::crypto::oprf
