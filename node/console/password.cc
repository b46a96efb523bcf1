#include "node/console/password.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ifed::console {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kSaltBytes = 16;

struct Parsed {
  ScryptParams params;
  std::string salt;
  std::string key;
};

absl::Status CheckParams(const ScryptParams& p) {
  if (p.log2_n < 10 || p.log2_n > 20 || p.r < 1 || p.r > 32 || p.p < 1 || p.p > 16) {
    return absl::InvalidArgumentError(
        "scrypt parameters out of range (log2 N 10..20, r 1..32, p 1..16)");
  }
  return absl::OkStatus();
}

absl::StatusOr<Parsed> Parse(const std::string& hash) {
  std::vector<std::string> parts = absl::StrSplit(hash, '$');
  Parsed out;
  if (parts.size() != 6 || parts[0] != "scrypt" ||
      !absl::SimpleAtoi(parts[1], &out.params.log2_n) ||
      !absl::SimpleAtoi(parts[2], &out.params.r) || !absl::SimpleAtoi(parts[3], &out.params.p) ||
      !absl::Base64Unescape(parts[4], &out.salt) || !absl::Base64Unescape(parts[5], &out.key)) {
    return absl::InvalidArgumentError(
        "not a password hash of the form scrypt$<log2 N>$<r>$<p>$<salt>$<key> "
        "(make one with `ifed-console hash-password`)");
  }
  if (absl::Status s = CheckParams(out.params); !s.ok()) return s;
  if (out.salt.size() < 8 || out.key.size() != kKeyBytes) {
    return absl::InvalidArgumentError("password hash: salt under 8 bytes or key not 32 bytes");
  }
  return out;
}

absl::StatusOr<std::string> Derive(const std::string& password, const std::string& salt,
                                   const ScryptParams& p) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr),
                                                        EVP_KDF_free);
  if (!kdf) return absl::InternalError("OpenSSL has no scrypt");
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()),
                                                                EVP_KDF_CTX_free);
  if (!ctx) return absl::InternalError("scrypt context");
  uint64_t n = uint64_t{1} << p.log2_n;
  uint32_t r = static_cast<uint32_t>(p.r);
  uint32_t par = static_cast<uint32_t>(p.p);
  uint64_t maxmem = 128 * n * r * par + (uint64_t{1} << 24);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                        const_cast<char*>(password.data()), password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  std::string key(kKeyBytes, '\0');
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(key.data()), key.size(),
                     params) != 1) {
    return absl::InternalError("scrypt derivation failed");
  }
  return key;
}

}  // namespace

absl::StatusOr<std::string> HashPassword(const std::string& password, ScryptParams params) {
  if (password.empty()) return absl::InvalidArgumentError("empty password");
  if (absl::Status s = CheckParams(params); !s.ok()) return s;
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), salt.size()) != 1) {
    return absl::UnavailableError("no randomness");
  }
  absl::StatusOr<std::string> key = Derive(password, salt, params);
  if (!key.ok()) return key.status();
  return absl::StrCat("scrypt$", params.log2_n, "$", params.r, "$", params.p, "$",
                      absl::Base64Escape(salt), "$", absl::Base64Escape(*key));
}

absl::Status CheckHashFormat(const std::string& hash) { return Parse(hash).status(); }

absl::Status VerifyPassword(const std::string& password, const std::string& hash) {
  absl::StatusOr<Parsed> parsed = Parse(hash);
  if (!parsed.ok()) return parsed.status();
  absl::StatusOr<std::string> key = Derive(password, parsed->salt, parsed->params);
  if (!key.ok()) return key.status();
  if (CRYPTO_memcmp(key->data(), parsed->key.data(), kKeyBytes) != 0) {
    return absl::PermissionDeniedError("wrong password");
  }
  return absl::OkStatus();
}

}  // namespace ifed::console
