#include "node/crypto/oprf/oprf.h"

#include <openssl/crypto.h>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/crypto/oprf/dleq.h"
#include "node/crypto/oprf/group.h"
#include "node/crypto/oprf/hash_to_curve.h"

namespace ifed::crypto::oprf {
namespace {

using internal::ElementBytes;
using internal::Point;
using internal::Scalar;

bool ValidMode(Mode mode) {
  return mode == Mode::kOprf || mode == Mode::kVoprf;
}

// contextString = "OPRFV1-" || I2OSP(mode, 1) || "-P256-SHA256".
std::vector<uint8_t> WithContext(const char* prefix, Mode mode) {
  std::string s = absl::StrCat(prefix, "OPRFV1-");
  s.push_back(static_cast<char>(mode));
  s += "-P256-SHA256";
  return {s.begin(), s.end()};
}

std::vector<uint8_t> Context(Mode mode) { return WithContext("", mode); }

void AppendFramed(std::vector<uint8_t>* out, absl::Span<const uint8_t> v) {
  out->push_back(static_cast<uint8_t>(v.size() >> 8));
  out->push_back(static_cast<uint8_t>(v.size()));
  out->insert(out->end(), v.begin(), v.end());
}

absl::Span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Hash(I2OSP(len(input), 2) || input || I2OSP(33, 2) || N || "Finalize").
absl::StatusOr<Output> FinalHash(absl::Span<const uint8_t> input,
                                 const EC_POINT* unblinded) {
  IFED_ASSIGN_OR_RETURN(ElementBytes n, internal::SerializeElement(unblinded));
  std::vector<uint8_t> t;
  t.reserve(input.size() + kElementSize + 12);
  AppendFramed(&t, input);
  AppendFramed(&t, n);
  for (char ch : std::string_view("Finalize"))
    t.push_back(static_cast<uint8_t>(ch));
  absl::StatusOr<Output> out = internal::Sha256(t);
  OPENSSL_cleanse(t.data(), t.size());
  OPENSSL_cleanse(n.data(), n.size());
  return out;
}

absl::Status CheckBatchSize(size_t n) {
  if (n == 0 || n > kMaxBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch size ", n, " outside 1..", kMaxBatch));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Point>> DeserializeAll(absl::Span<const Element> in,
                                                  const char* what) {
  std::vector<Point> out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    absl::StatusOr<Point> p = internal::DeserializeElement(in[i]);
    if (!p.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " ", i, ": ", p.status().message()));
    }
    out.push_back(*std::move(p));
  }
  return out;
}

std::vector<const EC_POINT*> Raw(const std::vector<Point>& points) {
  std::vector<const EC_POINT*> out;
  out.reserve(points.size());
  for (const Point& p : points) out.push_back(p.get());
  return out;
}

}  // namespace

// ---------------------------------------------------------------- SecretScalar

absl::StatusOr<SecretScalar> SecretScalar::FromBytes(
    absl::Span<const uint8_t> bytes) {
  IFED_ASSIGN_OR_RETURN(Scalar s, internal::DeserializeScalar(bytes));
  if (internal::ScalarIsZero(s)) {
    return absl::InvalidArgumentError("scalar: zero");
  }
  SecretScalar out(s);
  OPENSSL_cleanse(s.data(), s.size());
  return out;
}

absl::StatusOr<SecretScalar> SecretScalar::Random() {
  IFED_ASSIGN_OR_RETURN(Scalar s, internal::RandomScalar());
  SecretScalar out(s);
  OPENSSL_cleanse(s.data(), s.size());
  return out;
}

SecretScalar::SecretScalar(SecretScalar&& other) noexcept
    : bytes_(other.bytes_) {
  OPENSSL_cleanse(other.bytes_.data(), other.bytes_.size());
}

SecretScalar& SecretScalar::operator=(SecretScalar&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    OPENSSL_cleanse(other.bytes_.data(), other.bytes_.size());
  }
  return *this;
}

SecretScalar::~SecretScalar() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

// --------------------------------------------------------------- DeriveKeyPair

absl::StatusOr<SecretScalar> DeriveKeyPair(Mode mode,
                                           absl::Span<const uint8_t> seed,
                                           absl::Span<const uint8_t> info) {
  if (!ValidMode(mode)) return absl::InvalidArgumentError("unknown mode");
  if (seed.size() != kScalarSize) {
    return absl::InvalidArgumentError("DeriveKeyPair: seed must be 32 bytes");
  }
  if (info.size() > kMaxInputSize) {
    return absl::InvalidArgumentError("DeriveKeyPair: info too long");
  }
  // deriveInput || I2OSP(counter, 1), with deriveInput = seed || framed info.
  std::vector<uint8_t> input(seed.begin(), seed.end());
  AppendFramed(&input, info);
  input.push_back(0);
  const std::vector<uint8_t> dst = WithContext("DeriveKeyPair", mode);
  for (int counter = 0; counter <= 255; ++counter) {
    input.back() = static_cast<uint8_t>(counter);
    absl::StatusOr<Scalar> sk = internal::HashToScalar(input, dst);
    if (!sk.ok()) break;
    if (!internal::ScalarIsZero(*sk)) {
      OPENSSL_cleanse(input.data(), input.size());
      absl::StatusOr<SecretScalar> out = SecretScalar::FromBytes(*sk);
      OPENSSL_cleanse(sk->data(), sk->size());
      return out;
    }
  }
  OPENSSL_cleanse(input.data(), input.size());
  return absl::InternalError("DeriveKeyPair failed");
}

// ------------------------------------------------------------------ OprfServer

OprfServer::OprfServer(Mode mode, SecretScalar key, const Element& public_key)
    : mode_(mode), key_(std::move(key)), public_key_(public_key) {}

absl::StatusOr<std::unique_ptr<OprfServer>> OprfServer::Create(
    Mode mode, SecretScalar key) {
  if (!ValidMode(mode)) return absl::InvalidArgumentError("unknown mode");
  IFED_ASSIGN_OR_RETURN(Point pk, internal::MulGen(key.RevealBytes()));
  IFED_ASSIGN_OR_RETURN(ElementBytes pk_bytes,
                        internal::SerializeElement(pk.get()));
  return std::unique_ptr<OprfServer>(
      new OprfServer(mode, std::move(key), pk_bytes));
}

absl::StatusOr<Evaluation> OprfServer::BlindEvaluate(
    absl::Span<const Element> blinded) const {
  return BlindEvaluate(blinded, [] { return absl::OkStatus(); });
}

absl::StatusOr<Evaluation> OprfServer::BlindEvaluate(
    absl::Span<const Element> blinded, const std::function<absl::Status()>& admit) const {
  if (mode_ == Mode::kOprf) return BlindEvaluateImpl(blinded, nullptr, admit);
  IFED_ASSIGN_OR_RETURN(SecretScalar r, SecretScalar::Random());
  return BlindEvaluateImpl(blinded, &r, admit);
}

absl::StatusOr<Evaluation> OprfServer::BlindEvaluateWithNonce(
    absl::Span<const Element> blinded, const SecretScalar& r) const {
  if (mode_ != Mode::kVoprf) {
    return absl::FailedPreconditionError("a proof nonce needs VOPRF mode");
  }
  return BlindEvaluateImpl(blinded, &r, nullptr);
}

absl::StatusOr<Evaluation> OprfServer::BlindEvaluateImpl(
    absl::Span<const Element> blinded, const SecretScalar* r,
    const std::function<absl::Status()>& admit) const {
  IFED_RETURN_IF_ERROR(CheckBatchSize(blinded.size()));
  IFED_ASSIGN_OR_RETURN(std::vector<Point> c,
                        DeserializeAll(blinded, "blinded element"));
  if (admit) IFED_RETURN_IF_ERROR(admit());
  std::vector<const EC_POINT*> c_raw = Raw(c);
  IFED_ASSIGN_OR_RETURN(std::vector<Point> d,
                        internal::MulEach(key_.RevealBytes(), c_raw));
  std::vector<EC_POINT*> d_mut;
  d_mut.reserve(d.size());
  for (Point& di : d) d_mut.push_back(di.get());
  Evaluation eval;
  IFED_ASSIGN_OR_RETURN(eval.elements, internal::SerializeEach(d_mut));
  if (r == nullptr) return eval;
  IFED_ASSIGN_OR_RETURN(Point pk, internal::DeserializeElement(public_key_));
  std::vector<const EC_POINT*> d_raw = Raw(d);
  internal::DleqBatch batch{c_raw, d_raw, blinded, eval.elements};
  IFED_ASSIGN_OR_RETURN(
      eval.proof,
      internal::GenerateProof(
          key_.RevealBytes(), EC_GROUP_get0_generator(internal::Group()),
          pk.get(), batch, r->RevealBytes(), Context(mode_)));
  return eval;
}

absl::StatusOr<Output> OprfServer::Evaluate(std::string_view input) const {
  if (input.size() > kMaxInputSize) {
    return absl::InvalidArgumentError("input longer than 65535 bytes");
  }
  IFED_ASSIGN_OR_RETURN(
      Point p, internal::HashToGroup(AsBytes(input),
                                     WithContext("HashToGroup-", mode_)));
  IFED_ASSIGN_OR_RETURN(Point n, internal::Mul(key_.RevealBytes(), p.get()));
  return FinalHash(AsBytes(input), n.get());
}

// ---------------------------------------------------------------- FinalizeData

FinalizeData::~FinalizeData() {
  for (std::vector<uint8_t>& in : inputs_)
    OPENSSL_cleanse(in.data(), in.size());
}

// ------------------------------------------------------------------ OprfClient

absl::StatusOr<std::unique_ptr<OprfClient>> OprfClient::Create(
    Mode mode, std::optional<Element> server_public_key) {
  if (!ValidMode(mode)) return absl::InvalidArgumentError("unknown mode");
  if (mode == Mode::kOprf && server_public_key.has_value()) {
    return absl::InvalidArgumentError("OPRF mode takes no public key");
  }
  if (mode == Mode::kVoprf) {
    if (!server_public_key.has_value()) {
      return absl::InvalidArgumentError(
          "VOPRF mode needs the server public key");
    }
    absl::StatusOr<Point> pk = internal::DeserializeElement(*server_public_key);
    if (!pk.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("server public key: ", pk.status().message()));
    }
  }
  return std::unique_ptr<OprfClient>(new OprfClient(mode, server_public_key));
}

absl::StatusOr<FinalizeData> OprfClient::Blind(
    absl::Span<const std::string> inputs) const {
  IFED_RETURN_IF_ERROR(CheckBatchSize(inputs.size()));
  std::vector<SecretScalar> blinds;
  blinds.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    IFED_ASSIGN_OR_RETURN(SecretScalar b, SecretScalar::Random());
    blinds.push_back(std::move(b));
  }
  return BlindWith(inputs, blinds);
}

absl::StatusOr<FinalizeData> OprfClient::BlindWith(
    absl::Span<const std::string> inputs,
    absl::Span<const SecretScalar> blinds) const {
  IFED_RETURN_IF_ERROR(CheckBatchSize(inputs.size()));
  if (blinds.size() != inputs.size()) {
    return absl::InvalidArgumentError("one blind per input");
  }
  const std::vector<uint8_t> dst = WithContext("HashToGroup-", mode_);
  FinalizeData data;
  data.inputs_.reserve(inputs.size());
  data.blinds_.reserve(inputs.size());
  data.blinded_.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].size() > kMaxInputSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("input ", i, " longer than 65535 bytes"));
    }
    data.inputs_.emplace_back(inputs[i].begin(), inputs[i].end());
    absl::StatusOr<Point> p = internal::HashToGroup(AsBytes(inputs[i]), dst);
    if (!p.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input ", i, ": ", p.status().message()));
    }
    IFED_ASSIGN_OR_RETURN(Point b,
                          internal::Mul(blinds[i].RevealBytes(), p->get()));
    IFED_ASSIGN_OR_RETURN(ElementBytes enc,
                          internal::SerializeElement(b.get()));
    data.blinded_.push_back(enc);
    IFED_ASSIGN_OR_RETURN(SecretScalar copy,
                          SecretScalar::FromBytes(blinds[i].RevealBytes()));
    data.blinds_.push_back(std::move(copy));
  }
  return data;
}

absl::StatusOr<std::vector<Output>> OprfClient::Finalize(
    const FinalizeData& data, const Evaluation& eval) const {
  if (eval.elements.size() != data.size() || data.size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluation has ", eval.elements.size(), " elements for ",
                     data.size(), " inputs"));
  }
  if (eval.proof.has_value() != (mode_ == Mode::kVoprf)) {
    return absl::InvalidArgumentError(mode_ == Mode::kVoprf
                                          ? "VOPRF evaluation without a proof"
                                          : "OPRF evaluation with a proof");
  }
  IFED_ASSIGN_OR_RETURN(std::vector<Point> d,
                        DeserializeAll(eval.elements, "evaluated element"));
  if (mode_ == Mode::kVoprf) {
    IFED_ASSIGN_OR_RETURN(std::vector<Point> c,
                          DeserializeAll(data.blinded_, "blinded element"));
    IFED_ASSIGN_OR_RETURN(Point pk, internal::DeserializeElement(*public_key_));
    std::vector<const EC_POINT*> c_raw = Raw(c), d_raw = Raw(d);
    internal::DleqBatch batch{c_raw, d_raw, data.blinded_, eval.elements};
    IFED_RETURN_IF_ERROR(
        internal::VerifyProof(EC_GROUP_get0_generator(internal::Group()),
                              pk.get(), batch, *eval.proof, Context(mode_)));
  }
  std::vector<Output> out;
  out.reserve(d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    Scalar inv = internal::ScalarInverse(data.blinds_[i].RevealBytes());
    absl::StatusOr<Point> n = internal::Mul(inv, d[i].get());
    OPENSSL_cleanse(inv.data(), inv.size());
    if (!n.ok()) return n.status();
    IFED_ASSIGN_OR_RETURN(Output o, FinalHash(data.inputs_[i], n->get()));
    out.push_back(o);
  }
  return out;
}

}  // namespace ifed::crypto::oprf
