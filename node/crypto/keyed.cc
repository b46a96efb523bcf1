#include "node/crypto/keyed.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"

namespace ifed::crypto {

absl::StatusOr<std::unique_ptr<KeyedPseudonymizer>> KeyedPseudonymizer::Create(
    const std::map<uint32_t, SecretBytes>& keys) {
  std::unique_ptr<KeyedPseudonymizer> p(new KeyedPseudonymizer());
  IFED_ASSIGN_OR_RETURN(p->set_, Build(keys));
  return p;
}

absl::Status KeyedPseudonymizer::Replace(const std::map<uint32_t, SecretBytes>& keys) {
  IFED_ASSIGN_OR_RETURN(std::shared_ptr<const KeySet> next, Build(keys));
  std::lock_guard<std::mutex> l(mu_);
  set_ = std::move(next);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const KeyedPseudonymizer::KeySet>> KeyedPseudonymizer::Build(
    const std::map<uint32_t, SecretBytes>& keys) {
  if (keys.empty()) return absl::InvalidArgumentError("no federation key");
  auto p = std::make_shared<KeySet>();
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return absl::InternalError("HMAC unavailable");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  for (const auto& [epoch, key] : keys) {
    if (key.size() != 32) {
      EVP_MAC_free(mac);
      return absl::InvalidArgumentError(
          absl::StrCat("federation key of epoch ", epoch, " is not 32 bytes"));
    }
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    if (ctx == nullptr ||
        EVP_MAC_init(ctx, key.span().data(), key.size(), params) != 1) {
      EVP_MAC_CTX_free(ctx);
      EVP_MAC_free(mac);
      return absl::InternalError("HMAC init failed");
    }
    p->templates[epoch] = ctx;
    p->current = epoch;  // map is ordered: last is highest.
  }
  EVP_MAC_free(mac);
  return std::shared_ptr<const KeySet>(std::move(p));
}

KeyedPseudonymizer::KeySet::~KeySet() {
  for (auto& [epoch, ctx] : templates) EVP_MAC_CTX_free(ctx);
}

absl::StatusOr<Pseudonym> KeyedPseudonymizer::Pseudonymize(
    uint32_t epoch, IndicatorType type, std::string_view canonical) const {
  const std::shared_ptr<const KeySet> set = Get();
  auto it = set->templates.find(epoch);
  if (it == set->templates.end()) {
    return absl::NotFoundError(absl::StrCat("unknown key epoch ", epoch));
  }
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(it->second);
  if (ctx == nullptr) return absl::InternalError("HMAC dup failed");
  const std::string_view name = TypeName(type);
  static const uint8_t kSep = 0;
  Pseudonym out{};
  size_t out_len = 0;
  const bool ok =
      EVP_MAC_update(ctx, reinterpret_cast<const uint8_t*>(name.data()),
                     name.size()) == 1 &&
      EVP_MAC_update(ctx, &kSep, 1) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const uint8_t*>(canonical.data()),
                     canonical.size()) == 1 &&
      EVP_MAC_final(ctx, out.data(), &out_len, out.size()) == 1 &&
      out_len == out.size();
  EVP_MAC_CTX_free(ctx);
  if (!ok) return absl::InternalError("HMAC failed");
  return out;
}

}  // namespace ifed::crypto
