#include "node/taxii/page_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ifed::taxii {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kMaxToken = 512;

absl::Status Malformed() { return absl::InvalidArgumentError("the next token is not valid"); }

}  // namespace

absl::StatusOr<std::unique_ptr<PageTokens>> PageTokens::Create() {
  std::vector<uint8_t> key(kKeyBytes);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return absl::InternalError("no random bytes for the page token key");
  }
  crypto::SecretBytes secret(key);
  std::fill(key.begin(), key.end(), 0);
  return WithKey(std::move(secret));
}

absl::StatusOr<std::unique_ptr<PageTokens>> PageTokens::WithKey(crypto::SecretBytes key) {
  if (key.size() < kKeyBytes) return absl::InvalidArgumentError("page token key under 32 bytes");
  return std::unique_ptr<PageTokens>(new PageTokens(std::move(key)));
}

std::string PageTokens::Tag(const std::string& binding, const std::string& payload) const {
  const std::string message = absl::StrCat(binding.size(), ":", binding, payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.span().data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string PageTokens::Mint(const std::string& binding, const Cursor& after) const {
  const std::string payload = absl::StrCat(after.added_us, "/", after.id);
  return absl::StrCat(absl::WebSafeBase64Escape(payload), ".",
                      absl::WebSafeBase64Escape(Tag(binding, payload)));
}

absl::StatusOr<Cursor> PageTokens::Verify(const std::string& binding,
                                          const std::string& token) const {
  if (token.empty() || token.size() > kMaxToken) return Malformed();
  const std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string payload, tag;
  if (parts.size() != 2 || !absl::WebSafeBase64Unescape(parts[0], &payload) ||
      !absl::WebSafeBase64Unescape(parts[1], &tag)) {
    return Malformed();
  }
  const std::string want = Tag(binding, payload);
  if (!crypto::ConstantTimeEquals(
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(tag.data()), tag.size()),
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(want.data()), want.size()))) {
    return Malformed();
  }
  const size_t slash = payload.find('/');
  Cursor c;
  if (slash == std::string::npos || !absl::SimpleAtoi(payload.substr(0, slash), &c.added_us)) {
    return Malformed();
  }
  c.id = payload.substr(slash + 1);
  return c;
}

std::string BindingOf(const std::string& client, const std::string& endpoint,
                      const std::string& collection_id, const std::string& object_id,
                      const Filter& f) {
  // Every part is length-prefixed, so no two requests share a binding.
  std::string out;
  auto part = [&out](const std::string& s) { absl::StrAppend(&out, s.size(), ":", s, ";"); };
  part(client);
  part(endpoint);
  part(collection_id);
  part(object_id);
  part(f.added_after_us ? absl::StrCat(*f.added_after_us) : "-");
  part(absl::StrJoin(f.ids, ","));
  part(absl::StrJoin(f.types, ","));
  part(f.any_version ? "*" : absl::StrJoin(f.versions_us, ","));
  part(absl::StrJoin(f.spec_versions, ","));
  return out;
}

}  // namespace ifed::taxii
