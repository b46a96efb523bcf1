// Sealer: AES-256-GCM for canonical values kept at rest (re-keying only; they
// never leave the node). Sealed form: 12-byte random nonce || ciphertext ||
// 16-byte tag. The associated data binds a sealed value to its record.
#ifndef IFED_CRYPTO_SEALER_H_
#define IFED_CRYPTO_SEALER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "node/crypto/secret.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace ifed::crypto {

// Thread-safe (no shared mutable state).
class Sealer {
 public:
  static absl::StatusOr<std::unique_ptr<Sealer>> Create(SecretBytes key);

  absl::StatusOr<std::string> Seal(std::string_view plaintext,
                                   std::string_view aad) const;
  // DataLoss if the sealed value was altered or belongs to other `aad`.
  absl::StatusOr<std::string> Open(std::string_view sealed,
                                   std::string_view aad) const;
  // An opaque token for a local name (a case reference) that may
  // leave the node: hex of HMAC-SHA256 under a key derived from this key and
  // `label`, truncated to 16 bytes. Equal names give equal tokens on this
  // node; nobody without the local key can link a token to its name, and
  // other nodes' tokens for the same name differ.
  absl::StatusOr<std::string> Token(std::string_view label, std::string_view name) const;

  // A record reference as one partner sees it (a hit's reference, a watch
  // notification's, a follow-up's subject). Deterministic per (partner,
  // record id), so the partner can name it in a follow-up; unlinkable
  // across partners (two partners get unrelated tokens for one record);
  // resolvable only by this node, and only for that partner. AES-256-SIV
  // (RFC 5297, deterministic authenticated encryption) of the record id
  // under a key derived from this key, with the partner id as associated
  // data; "r" + base64url: 45 characters for this node's record ids (32
  // hex digits), at most 64 for ids up to 30 bytes.
  absl::StatusOr<std::string> Reference(std::string_view partner,
                                        std::string_view record_id) const;
  // The record id behind `token` for `partner`. NotFound (never which part
  // failed) for a token minted for another partner or by another node, an
  // altered token, or garbage.
  absl::StatusOr<std::string> ResolveReference(std::string_view partner,
                                               std::string_view token) const;

 private:
  Sealer(SecretBytes key, SecretBytes reference_key)
      : key_(std::move(key)), reference_key_(std::move(reference_key)) {}
  SecretBytes key_;
  SecretBytes reference_key_;  // 64 bytes: AES-256-SIV.
  // AES-256-SIV keyed with reference_key_ once; each Reference() works on a
  // copy (read-only here, so thread-safe).
  std::shared_ptr<EVP_CIPHER_CTX> reference_template_;
};

}  // namespace ifed::crypto

#endif  // IFED_CRYPTO_SEALER_H_
