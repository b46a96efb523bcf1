#include "node/crypto/sealer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>

#include "absl/strings/escaping.h"

namespace ifed::crypto {
namespace {

constexpr int kNonce = 12;
constexpr int kTag = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

struct CipherFree {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};

const uint8_t* U8(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Sealer>> Sealer::Create(SecretBytes key) {
  if (key.size() != 32) return absl::InvalidArgumentError("sealing key must be 32 bytes");
  // The reference key: HMAC-SHA512(local key, label), 64 bytes for AES-256-SIV.
  static constexpr char kLabel[] = "ifed record reference token v1";
  unsigned char derived[64];
  size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA512", nullptr, key.span().data(), key.size(),
                reinterpret_cast<const unsigned char*>(kLabel), sizeof(kLabel) - 1, derived,
                sizeof derived, &len) == nullptr ||
      len != sizeof derived) {
    OPENSSL_cleanse(derived, sizeof derived);
    return absl::InternalError("reference key derivation failed");
  }
  SecretBytes reference_key(absl::Span<const uint8_t>(derived, sizeof derived));
  OPENSSL_cleanse(derived, sizeof derived);
  std::unique_ptr<Sealer> sealer(new Sealer(std::move(key), std::move(reference_key)));
  // Cipher fetch and key schedule once, not per reference.
  std::unique_ptr<EVP_CIPHER, CipherFree> siv(EVP_CIPHER_fetch(nullptr, "AES-256-SIV", nullptr));
  sealer->reference_template_.reset(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (!siv || !sealer->reference_template_ ||
      EVP_EncryptInit_ex2(sealer->reference_template_.get(), siv.get(),
                          sealer->reference_key_.span().data(), nullptr, nullptr) != 1) {
    return absl::InternalError("reference cipher setup failed");
  }
  return sealer;
}

absl::StatusOr<std::string> Sealer::Seal(std::string_view plaintext,
                                         std::string_view aad) const {
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  uint8_t* nonce = reinterpret_cast<uint8_t*>(out.data());
  if (RAND_bytes(nonce, kNonce) != 1) return absl::InternalError("RNG failed");
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  uint8_t* ct = nonce + kNonce;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         key_.span().data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U8(aad), aad.size()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ct, &len, U8(plaintext), plaintext.size()) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag,
                          ct + plaintext.size()) != 1) {
    return absl::InternalError("seal failed");
  }
  return out;
}

absl::StatusOr<std::string> Sealer::Open(std::string_view sealed,
                                         std::string_view aad) const {
  if (sealed.size() < kNonce + kTag) return absl::DataLossError("sealed value truncated");
  const size_t n = sealed.size() - kNonce - kTag;
  std::string out(n, '\0');
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const uint8_t* nonce = U8(sealed);
  std::string tag(sealed.substr(kNonce + n));
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         key_.span().data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U8(aad), aad.size()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<uint8_t*>(out.data()), &len,
                        nonce + kNonce, n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<uint8_t*>(out.data()) + len,
                          &len) != 1) {
    return absl::DataLossError("sealed value failed authentication");
  }
  return out;
}

absl::StatusOr<std::string> Sealer::Token(std::string_view label, std::string_view name) const {
  unsigned char sub[32], mac[32];
  size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key_.span().data(), key_.size(),
                reinterpret_cast<const unsigned char*>(label.data()), label.size(), sub,
                sizeof sub, &len) == nullptr ||
      EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, sub, sizeof sub,
                reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac,
                sizeof mac, &len) == nullptr) {
    OPENSSL_cleanse(sub, sizeof sub);
    return absl::InternalError("HMAC failed");
  }
  OPENSSL_cleanse(sub, sizeof sub);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
  return out;
}

namespace {

constexpr size_t kSivTag = 16;
constexpr size_t kMaxReference = 128;  // characters of a token we try to open.

// Record ids of this node are 32 lower-case hex digits: packed to 16 bytes
// behind a 0x01 marker; any other id is kept as is behind 0x00.
std::string PackId(std::string_view id) {
  const bool hex = id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
                     return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                   });
  if (hex) return std::string(1, '\x01') + absl::HexStringToBytes(absl::string_view(id.data(), id.size()));
  return std::string(1, '\0') + std::string(id);
}

absl::StatusOr<std::string> UnpackId(std::string_view packed) {
  if (packed.empty()) return absl::NotFoundError("unknown reference");
  if (packed[0] == '\x01' && packed.size() == 17) {
    return absl::BytesToHexString(absl::string_view(packed.data() + 1, packed.size() - 1));
  }
  if (packed[0] == '\0') return std::string(packed.substr(1));
  return absl::NotFoundError("unknown reference");
}

}  // namespace

absl::StatusOr<std::string> Sealer::Reference(std::string_view partner,
                                              std::string_view record_id) const {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  const std::string pt = PackId(record_id);
  std::string out(kSivTag + pt.size(), '\0');
  uint8_t* tag = reinterpret_cast<uint8_t*>(out.data());
  int len = 0;
  if (!ctx || EVP_CIPHER_CTX_copy(ctx.get(), reference_template_.get()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U8(partner), partner.size()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), tag + kSivTag, &len, U8(pt), pt.size()) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), tag + kSivTag + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kSivTag, tag) != 1) {
    return absl::InternalError("reference token failed");
  }
  return "r" + absl::WebSafeBase64Escape(out);
}

absl::StatusOr<std::string> Sealer::ResolveReference(std::string_view partner,
                                                     std::string_view token) const {
  std::string raw;
  if (token.size() < 2 || token.size() > kMaxReference || token[0] != 'r' ||
      !absl::WebSafeBase64Unescape(absl::string_view(token.data() + 1, token.size() - 1), &raw) || raw.size() <= kSivTag) {
    return absl::NotFoundError("unknown reference");
  }
  std::unique_ptr<EVP_CIPHER, CipherFree> siv(EVP_CIPHER_fetch(nullptr, "AES-256-SIV", nullptr));
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  const size_t n = raw.size() - kSivTag;
  std::string pt(n, '\0');
  int len = 0;
  if (!siv || !ctx) return absl::InternalError("reference token failed");
  if (EVP_DecryptInit_ex2(ctx.get(), siv.get(), reference_key_.span().data(), nullptr,
                          nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kSivTag, raw.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U8(partner), partner.size()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<uint8_t*>(pt.data()), &len,
                        U8(raw) + kSivTag, n) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<uint8_t*>(pt.data()) + len, &len) != 1) {
    return absl::NotFoundError("unknown reference");
  }
  return UnpackId(pt);
}

}  // namespace ifed::crypto
