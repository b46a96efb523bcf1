// RFC 9497 oblivious PRF, suite P256-SHA256, modes OPRF (0x00) and VOPRF
// (0x01), on OpenSSL 3.0.
//
// Security property. A client learns F(skS, input) for the inputs it blinds
// and nothing about skS beyond that; the server learns nothing about the
// inputs (blinded elements are uniformly random group elements). In VOPRF
// mode the client also checks a batched DLEQ proof that every evaluation used
// the key behind the server's pinned public key.
//
// Flow:   client.Blind(inputs) -> FinalizeData (keep) + blinded_elements()
//         server.BlindEvaluate(blinded) -> Evaluation (send back)
//         client.Finalize(data, evaluation) -> one Output per input
// The server can compute the same outputs for its own records with
// Evaluate(input), e.g. to publish a membership filter.
//
// Errors: every function returns a status; nothing throws or aborts.
// InvalidArgument for malformed or invalid wire data (RFC 9497
// InputValidationError, InvalidInputError) and a proof that does not verify
// (VerifyError), FailedPrecondition for a call that does not fit the mode,
// Internal for an OpenSSL failure.
//
// Thread safety: OprfServer and OprfClient are immutable after Create; all
// their methods are const and may be called concurrently. FinalizeData and
// SecretScalar are plain values (no sharing).
//
// Secrets: SecretScalar (keys, blinds) and FinalizeData (inputs, blinds)
// have no operator<<, are move-only and are wiped when they go away.
//
// Timing (details in hash_to_curve.h, group.h, mont256.h). Constant time in
// the secret: hash-to-curve of an input up to its affine point (own
// fixed-width field code), every scalar multiplication by the key, a blind
// or a proof nonce (OpenSSL EC_POINT_mul, one scalar), the blind inverse and
// the proof response s = r - c*k (fixed-width, fixed exponent). Not
// constant time: the hand-off of the hashed point to OpenSSL
// (EC_POINT_set_affine_coordinates) and OpenSSL's serialisation of the
// unblinded element before the final hash; decoding and proof verification,
// which only see public wire data; lengths and batch sizes.
#ifndef IFED_CRYPTO_OPRF_OPRF_H_
#define IFED_CRYPTO_OPRF_OPRF_H_

#include <array>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ifed::crypto::oprf {

enum class Mode : uint8_t { kOprf = 0x00, kVoprf = 0x01 };

inline constexpr size_t kElementSize = 33;  // compressed SEC1
inline constexpr size_t kScalarSize = 32;   // big-endian, < group order
inline constexpr size_t kOutputSize = 32;   // SHA-256
inline constexpr size_t kProofSize = 64;    // c || s
inline constexpr size_t kMaxBatch = 65536;  // proof indices are 16-bit
inline constexpr size_t kMaxInputSize = 65535;

using Element = std::array<uint8_t, kElementSize>;
using Output = std::array<uint8_t, kOutputSize>;
using Proof = std::array<uint8_t, kProofSize>;

// A nonzero scalar below the group order: a private key, a blind or a proof
// nonce. Cannot be printed; wiped on destruction and when moved from.
class SecretScalar {
 public:
  // InvalidArgument unless `bytes` is 32 bytes encoding 0 < s < n.
  static absl::StatusOr<SecretScalar> FromBytes(
      absl::Span<const uint8_t> bytes);
  // Uniform in [1, n-1] from OpenSSL's private DRBG.
  static absl::StatusOr<SecretScalar> Random();

  SecretScalar(SecretScalar&& other) noexcept;
  SecretScalar& operator=(SecretScalar&& other) noexcept;
  SecretScalar(const SecretScalar&) = delete;
  SecretScalar& operator=(const SecretScalar&) = delete;
  ~SecretScalar();

  // The big-endian bytes, for sealing into a key file. Never log them.
  const std::array<uint8_t, kScalarSize>& RevealBytes() const { return bytes_; }

  friend std::ostream& operator<<(std::ostream&, const SecretScalar&) = delete;

 private:
  explicit SecretScalar(const std::array<uint8_t, kScalarSize>& bytes)
      : bytes_(bytes) {}
  std::array<uint8_t, kScalarSize> bytes_;
};

// RFC 9497 3.2.1 DeriveKeyPair(seed, info) for the given mode: the private
// key (the public key is OprfServer::public_key()). InvalidArgument if `seed`
// is not 32 bytes or `info` is longer than 65535 bytes; Internal in the
// (probability 2^-256 * 256) case that no nonzero key is found.
absl::StatusOr<SecretScalar> DeriveKeyPair(Mode mode,
                                           absl::Span<const uint8_t> seed,
                                           absl::Span<const uint8_t> info);

// What the server returns: one evaluated element per blinded element, in
// order, and in VOPRF mode the batched proof over all of them.
struct Evaluation {
  std::vector<Element> elements;
  std::optional<Proof> proof;  // set iff mode is kVoprf
};

class OprfServer {
 public:
  static absl::StatusOr<std::unique_ptr<OprfServer>> Create(Mode mode,
                                                            SecretScalar key);

  Mode mode() const { return mode_; }
  // pkS = skS * G, for clients to pin (VOPRF).
  const Element& public_key() const { return public_key_; }

  // BlindEvaluate over a batch (1..kMaxBatch elements). Every element is
  // validated first (InvalidArgument naming the index); nothing is evaluated
  // if one is invalid. VOPRF: one proof for the whole batch, with a fresh
  // random nonce.
  absl::StatusOr<Evaluation> BlindEvaluate(
      absl::Span<const Element> blinded) const;
  // As BlindEvaluate, calling `admit` once every element has validated and
  // before anything is evaluated; its error is returned as is. A caller
  // charges a rate limit there, so a malformed batch costs nothing.
  absl::StatusOr<Evaluation> BlindEvaluate(
      absl::Span<const Element> blinded,
      const std::function<absl::Status()>& admit) const;

  // As BlindEvaluate with the proof nonce `r` given (known-answer tests
  // only: reusing r across batches reveals the key).
  absl::StatusOr<Evaluation> BlindEvaluateWithNonce(
      absl::Span<const Element> blinded, const SecretScalar& r) const;

  // RFC 9497 Evaluate: the client-visible output for `input`, computed with
  // the key directly. InvalidArgument if the input is too long or hashes to
  // the identity.
  absl::StatusOr<Output> Evaluate(std::string_view input) const;

 private:
  OprfServer(Mode mode, SecretScalar key, const Element& public_key);
  // `r` is the proof nonce (VOPRF), or null for no proof (OPRF).
  absl::StatusOr<Evaluation> BlindEvaluateImpl(
      absl::Span<const Element> blinded, const SecretScalar* r,
      const std::function<absl::Status()>& admit) const;
  Mode mode_;
  SecretScalar key_;
  Element public_key_;
};

// Client state between Blind and Finalize: the inputs, their blinds and the
// blinded elements to send. Move-only; inputs and blinds are wiped.
class FinalizeData {
 public:
  FinalizeData(FinalizeData&&) noexcept = default;
  FinalizeData& operator=(FinalizeData&&) = delete;
  ~FinalizeData();

  // To send to the server, in input order.
  const std::vector<Element>& blinded_elements() const { return blinded_; }
  size_t size() const { return blinded_.size(); }

 private:
  friend class OprfClient;
  FinalizeData() = default;
  std::vector<std::vector<uint8_t>> inputs_;
  std::vector<SecretScalar> blinds_;
  std::vector<Element> blinded_;
};

class OprfClient {
 public:
  // OPRF: `server_public_key` must be empty. VOPRF: required; it is
  // validated (InvalidArgument) and every Finalize checks proofs against it.
  static absl::StatusOr<std::unique_ptr<OprfClient>> Create(
      Mode mode, std::optional<Element> server_public_key);

  Mode mode() const { return mode_; }

  // Blind 1..kMaxBatch inputs (each at most kMaxInputSize bytes) with fresh
  // random blinds. InvalidArgument if an input hashes to the identity.
  absl::StatusOr<FinalizeData> Blind(
      absl::Span<const std::string> inputs) const;
  // With the blinds given (known-answer tests only), one per input.
  absl::StatusOr<FinalizeData> BlindWith(
      absl::Span<const std::string> inputs,
      absl::Span<const SecretScalar> blinds) const;

  // One output per input, in order, or an error for the whole batch:
  // InvalidArgument if the evaluation has the wrong count, an invalid
  // element, a missing or superfluous proof, or (VOPRF) a proof that does
  // not verify.
  absl::StatusOr<std::vector<Output>> Finalize(const FinalizeData& data,
                                               const Evaluation& eval) const;

 private:
  OprfClient(Mode mode, std::optional<Element> public_key)
      : mode_(mode), public_key_(public_key) {}
  Mode mode_;
  std::optional<Element> public_key_;
};

}  // namespace ifed::crypto::oprf

#endif  // IFED_CRYPTO_OPRF_OPRF_H_
