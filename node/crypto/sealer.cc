#include "node/crypto/sealer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace ifed::crypto {
namespace {

constexpr int kNonce = 12;
constexpr int kTag = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const uint8_t* U8(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Sealer>> Sealer::Create(SecretBytes key) {
  if (key.size() != 32) return absl::InvalidArgumentError("sealing key must be 32 bytes");
  return std::unique_ptr<Sealer>(new Sealer(std::move(key)));
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

}  // namespace ifed::crypto
