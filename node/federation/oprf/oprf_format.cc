#include "node/federation/oprf/oprf_format.h"

#include <openssl/evp.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace ifed::federation {
namespace filter = crypto::filter;

std::string OprfInput(IndicatorType type, const std::string& canonical) {
  return absl::StrCat(TypeName(type), std::string(1, '\0'), canonical);
}

std::string OprfCanonical(const std::string& input) {
  const size_t zero = input.find('\0');
  return zero == std::string::npos ? std::string() : input.substr(zero + 1);
}

filter::Digest DeltaDigest(const std::string& log_id, uint64_t since_version, uint64_t version,
                           const std::string& data) {
  uint8_t be[16];
  for (int i = 0; i < 8; ++i) {
    be[i] = static_cast<uint8_t>(since_version >> (56 - 8 * i));
    be[8 + i] = static_cast<uint8_t>(version >> (56 - 8 * i));
  }
  static constexpr char kLabel[] = "ifed-filter-delta-v1";
  filter::Digest d;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, kLabel, sizeof(kLabel) - 1);
  EVP_DigestUpdate(ctx, log_id.data(), log_id.size());
  EVP_DigestUpdate(ctx, be, sizeof(be));
  EVP_DigestUpdate(ctx, data.data(), data.size());
  EVP_DigestFinal_ex(ctx, d.data(), nullptr);
  EVP_MD_CTX_free(ctx);
  return d;
}

filter::Key OutputKey(const std::string& s) {
  filter::Key k;
  std::memcpy(k.data(), s.data(), k.size());
  return k;
}

}  // namespace ifed::federation
