#include "node/console/auth.h"

#include <spdlog/spdlog.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "node/console/password.h"

namespace ifed::console {

Authenticator::Authenticator(AuthOptions options, const StaffDirectory* staff,
                             SessionStore* sessions, std::function<int64_t()> now_ms)
    : options_(std::move(options)),
      staff_(staff),
      sessions_(sessions),
      now_ms_(std::move(now_ms)) {}

std::string Authenticator::SessionCookie(const std::string& session_id) {
  return absl::StrCat(kSessionCookie, "=", session_id, "; Path=/; Secure; HttpOnly; SameSite=Strict");
}

std::string Authenticator::ClearedCookie() {
  return absl::StrCat(kSessionCookie, "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
}

std::optional<Session> Authenticator::SessionOf(const Request& request, bool* created) {
  *created = false;
  std::optional<Session> s =
      sessions_->Touch(CookieValue(request.Header("cookie"), kSessionCookie));
  const bool via_proxy = !options_.proxy_cn.empty() && request.cert.present &&
                         request.cert.issuer == "proxy" &&
                         request.cert.subject_cn == options_.proxy_cn;
  if (via_proxy) {
    // The proxy is the authority on who is behind it: a session for anyone
    // else than the person it names now does not carry over.
    const std::string who = request.Header(options_.proxy_header);
    if (s && s->staff.method == "proxy" && s->staff.id == who) return s;
  } else if (s) {
    return s;
  }
  std::optional<Session> fresh = FromCertificate(request);
  if (fresh) *created = true;
  return fresh;
}

std::optional<Session> Authenticator::FromCertificate(const Request& request) {
  const PeerCertificate& cert = request.cert;
  if (!cert.present) return std::nullopt;
  const ifed::v1::StaffMember* m = nullptr;
  std::string method;
  if (!options_.proxy_cn.empty() && cert.issuer == "proxy" &&
      cert.subject_cn == options_.proxy_cn) {
    const std::string who = request.Header(options_.proxy_header);
    if (who.empty()) return std::nullopt;
    m = staff_->Find(who);
    method = "proxy";
    if (m == nullptr) spdlog::warn("console: the proxy named a person not in the staff file");
  } else if (options_.staff_certificates && cert.issuer == "staff") {
    m = staff_->FindByCn(cert.subject_cn);
    method = "certificate";
    if (m == nullptr) spdlog::warn("console: a staff certificate names no one in the staff file");
  }
  if (m == nullptr) return std::nullopt;
  absl::StatusOr<Session> s = sessions_->Create(StaffDirectory::ToStaff(*m, method));
  if (!s.ok()) return std::nullopt;
  spdlog::info("console: staff:{} signed in ({})", m->id(), method);
  return *s;
}

absl::StatusOr<Session> Authenticator::SignInWithPassword(const std::string& id,
                                                          const std::string& password) {
  if (!options_.local_accounts) {
    return absl::FailedPreconditionError("local accounts are off on this console");
  }
  const int64_t now = now_ms_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = failures_.find(id);
    if (it != failures_.end() && it->second.locked_until_ms > now) {
      return absl::ResourceExhaustedError("too many failed sign-ins; try again in a minute");
    }
  }
  const ifed::v1::StaffMember* m = staff_->Find(id);
  const bool ok = m != nullptr && !m->password_hash().empty() && !password.empty() &&
                  VerifyPassword(password, m->password_hash()).ok();
  if (!ok) {
    std::lock_guard<std::mutex> lock(mu_);
    if (m != nullptr) {  // unknown ids hold no state (no memory growth by probing).
      Failures& f = failures_[id];
      if (++f.count >= options_.max_failures) {
        f.count = 0;
        f.locked_until_ms = now + options_.lockout_ms;
        spdlog::warn("console: staff:{} locked out after repeated failed sign-ins", id);
      }
    }
    return absl::UnauthenticatedError("unknown staff id or wrong password");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    failures_.erase(id);
  }
  absl::StatusOr<Session> s = sessions_->Create(StaffDirectory::ToStaff(*m, "password"));
  if (s.ok()) spdlog::info("console: staff:{} signed in (password)", id);
  return s;
}

}  // namespace ifed::console
