#include "node/taxii/client_auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/taxii/feed.h"
#include "node/taxii/wire.h"

namespace ifed::taxii {
namespace {

absl::Status Refused() { return absl::UnauthenticatedError("unknown client or wrong password"); }

bool Equal(const std::string& a, const std::string& b) {
  return crypto::ConstantTimeEquals(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(a.data()), a.size()),
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClientAuthenticator>> ClientAuthenticator::Create(
    std::vector<ClientAccount> accounts, VerifyFn verify, std::function<int64_t()> now_ms,
    ClientAuthOptions options) {
  std::set<std::string> ids;
  for (const ClientAccount& a : accounts) {
    if (!IsValidClientId(a.id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("TAXII client id '", absl::CHexEscape(a.id),
                       "' must match [a-z0-9][a-z0-9._-]{0,63}"));
    }
    if (!ids.insert(a.id).second) {
      return absl::InvalidArgumentError(absl::StrCat("TAXII client ", a.id, " is listed twice"));
    }
    if (a.password_hash.empty() && a.cert_cn.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("TAXII client ", a.id, " has neither password_hash nor cert_cn"));
    }
    for (const std::string& c : a.collections) {
      if (FindCollection(c) == nullptr || c != FindCollection(c)->alias) {
        return absl::InvalidArgumentError(
            absl::StrCat("TAXII client ", a.id, ": no collection '", absl::CHexEscape(c),
                         "' (hits, watch-alerts)"));
      }
    }
  }
  if (!verify || !now_ms) return absl::InvalidArgumentError("no password check or clock");
  std::vector<uint8_t> key(32);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return absl::InternalError("no random bytes");
  }
  crypto::SecretBytes secret(key);
  std::fill(key.begin(), key.end(), 0);
  return std::unique_ptr<ClientAuthenticator>(new ClientAuthenticator(
      std::move(accounts), std::move(verify), std::move(now_ms), options, std::move(secret)));
}

ClientAuthenticator::ClientAuthenticator(std::vector<ClientAccount> accounts, VerifyFn verify,
                                         std::function<int64_t()> now_ms,
                                         ClientAuthOptions options, crypto::SecretBytes key)
    : accounts_(std::move(accounts)),
      verify_(std::move(verify)),
      now_ms_(std::move(now_ms)),
      options_(options),
      key_(std::move(key)) {}

std::string ClientAuthenticator::Remembered(const std::string& id,
                                            const std::string& password) const {
  const std::string message = absl::StrCat(id.size(), ":", id, password);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.span().data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

absl::StatusOr<Client> ClientAuthenticator::FromBasic(const std::string& authorization) {
  absl::string_view v = absl::StripAsciiWhitespace(authorization);
  if (v.size() < 6 || !absl::EqualsIgnoreCase(v.substr(0, 6), "basic ")) return Refused();
  std::string decoded;
  if (v.size() > 1024 || !absl::Base64Unescape(absl::StripAsciiWhitespace(v.substr(6)), &decoded)) {
    return Refused();
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return Refused();
  const std::string id = decoded.substr(0, colon);
  const std::string password = decoded.substr(colon + 1);
  const ClientAccount* account = nullptr;
  for (const ClientAccount& a : accounts_) {
    if (a.id == id) account = &a;
  }
  if (account == nullptr || account->password_hash.empty()) return Refused();
  const std::string mac = Remembered(id, password);
  const int64_t now = now_ms_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    State& s = state_[id];
    if (now < s.locked_until_ms) {
      return absl::ResourceExhaustedError("too many failed attempts; try again later");
    }
    if (now < s.remembered_until_ms && Equal(mac, s.remembered)) return ClientOf(*account);
  }
  const absl::Status checked = verify_(password, account->password_hash);  // slow: unlocked.
  std::lock_guard<std::mutex> lock(mu_);
  State& s = state_[id];
  if (!checked.ok()) {
    if (++s.failures >= options_.max_failures) {
      s.failures = 0;
      s.locked_until_ms = now + options_.lockout_ms;
    }
    return Refused();
  }
  s.failures = 0;
  s.remembered = mac;
  s.remembered_until_ms = now + options_.remember_ms;
  return ClientOf(*account);
}

absl::StatusOr<Client> ClientAuthenticator::FromCertificate(const std::string& subject_cn) const {
  if (subject_cn.empty()) return Refused();
  for (const ClientAccount& a : accounts_) {
    if (!a.cert_cn.empty() && a.cert_cn == subject_cn) return ClientOf(a);
  }
  return Refused();
}

}  // namespace ifed::taxii
