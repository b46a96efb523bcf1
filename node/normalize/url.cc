// URLs (RFC 3986 syntax-based normalisation plus the rules that real
// indicator data needs):
//  - only http and https; a missing scheme means https; the scheme is kept
//    (http and https stay distinct);
//  - user:password@ is refused (credentials, and a classic disguise);
//  - host: percent-decoded, IDNA UTS #46 to punycode (lower-case; WHATWG
//    forbidden host characters refused before and after the mapping), trailing
//    dot removed, needs a dot; IPv4 dotted quads and IPv6 literals in their
//    canonical text form; mobile/www hosts of known platforms folded
//    (m./mbasic./web.facebook.com -> facebook.com, twitter.com ->
//    x.com, telegram.me -> t.me, ... see kHostFolds);
//  - default port dropped;
//  - percent-encoding: unreserved characters decoded, other escapes in
//    upper-case hex, characters that may not appear raw (space, non-ASCII
//    bytes, quotes, <>{}|^`) encoded; "\" is read as "/" like browsers do;
//  - dot-segments resolved, an empty path becomes "/";
//  - trailing slash: kept, except on known platform hosts where
//    /name/ and /name are the same page;
//  - query: tracking parameters removed (utm_*, fbclid, gclid, ref, si,
//    igshid, ... and per-platform ones), the rest kept in order;
//  - fragment dropped (an old "#!/name" on twitter/facebook becomes the path).
// Path case is kept: Instagram /p/ codes, Facebook share links and Telegram
// invites are case-sensitive. Profile URLs meet handles through the handle
// they name (Normalize(kHandle, url)).
#include <arpa/inet.h>

#include <array>
#include <cstdio>

#include "node/common/status_macros.h"
#include "node/normalize/internal.h"
#include "node/normalize/platform_hosts.h"

namespace ifed::normalize::internal {
namespace {

bool IsUnreserved(unsigned char c) {
  return IsAsciiAlnum(static_cast<char>(c)) || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// Characters that may stay raw in a path or query component besides the
// unreserved ones (sub-delims, ":", "@", "/", "?").
bool IsAllowedRaw(unsigned char c) {
  return std::string_view("!$&'()*+,;=:@/?").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendEscape(unsigned char c, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('%');
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

absl::StatusOr<std::string> NormalizePercent(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return Invalid("malformed percent-encoding in URL");
      }
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return Invalid("malformed percent-encoding in URL");
      const auto v = static_cast<unsigned char>(hi * 16 + lo);
      if (IsUnreserved(v)) {
        out.push_back(static_cast<char>(v));
      } else {
        AppendEscape(v, &out);
      }
      i += 2;
    } else if (IsUnreserved(c) || IsAllowedRaw(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      AppendEscape(c, &out);
    }
  }
  return out;
}

// RFC 3986 section 5.2.4.
std::string RemoveDotSegments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (in.substr(0, 3) == "../") {
      in.remove_prefix(3);
    } else if (in.substr(0, 2) == "./") {
      in.remove_prefix(2);
    } else if (in.substr(0, 3) == "/./") {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.substr(0, 4) == "/../" || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      const size_t slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      size_t next = in.find('/', 1);
      if (next == std::string_view::npos) next = in.size();
      out.append(in.substr(0, next));
      in.remove_prefix(next);
    }
  }
  return out;
}

bool IsTrackingParam(const std::string& host, const std::string& name) {
  static constexpr std::array<std::string_view, 26> kGeneric = {
      "fbclid", "gclid",  "dclid",    "gbraid",  "wbraid",  "msclkid",
      "yclid",  "twclid", "ttclid",   "li_fat_id", "mc_cid", "mc_eid",
      "igshid", "igsh",   "si",       "ref",     "ref_src", "ref_url",
      "_hsenc", "_hsmi",  "mkt_tok",  "mibextid", "_openstat", "spm",
      "oly_anon_id", "oly_enc_id"};
  if (name.rfind("utm_", 0) == 0) return true;
  for (std::string_view g : kGeneric) {
    if (name == g) return true;
  }
  for (std::string_view p : PlatformTrackingParams(host)) {
    if (!p.empty() && p.back() == '*' ? name.rfind(p.substr(0, p.size() - 1), 0) == 0
                                      : name == p) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::string> CanonicalIp(const std::string& host, bool v6) {
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  const int af = v6 ? AF_INET6 : AF_INET;
  if (inet_pton(af, host.c_str(), buf) != 1 ||
      inet_ntop(af, buf, text, sizeof(text)) == nullptr) {
    return Invalid("malformed IP address in URL");
  }
  return v6 ? "[" + std::string(text) + "]" : std::string(text);
}

// WHATWG forbidden domain code points (C0 controls, space, DEL and
// "#%/:<>?@[\\]^|") plus the quote.
absl::Status CheckHostCharacters(std::string_view host) {
  for (char c : host) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F ||
        std::string_view("#%/:<>?@[\\]^|\"").find(c) != std::string_view::npos) {
      return Invalid("forbidden character in URL host");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeHost(const Unicode& unicode,
                                          std::string_view raw,
                                          bool need_dot) {
  if (raw.empty()) return Invalid("URL has no host");
  if (raw.front() == '[') {
    if (raw.back() != ']') return Invalid("malformed IP address in URL");
    return CanonicalIp(std::string(raw.substr(1, raw.size() - 2)), true);
  }
  const std::string decoded = PercentDecode(raw);
  IFED_RETURN_IF_ERROR(CheckHostCharacters(decoded));
  IFED_ASSIGN_OR_RETURN(std::string host,
                        unicode.DomainToAscii(decoded, /*strict=*/false));
  // Again after the mapping (WHATWG "domain to ASCII" does the same): UTS #46
  // without STD3 rules maps compatibility characters to ASCII a host may not
  // hold (U+00A8 -> SPACE + U+0308, U+3000 -> SPACE, full-width "/?#@:%\[",
  // U+2100 -> "a/c"). Such a host would not parse back to itself.
  IFED_RETURN_IF_ERROR(CheckHostCharacters(host));
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host.find_first_not_of("0123456789.") == std::string::npos) {
    return CanonicalIp(host, false);
  }
  if (IsAsciiDigits(std::string_view(host).substr(host.rfind('.') + 1))) {
    return Invalid("URL host has a numeric top-level label");  // WHATWG: IPv4
  }
  if (need_dot && host.find('.') == std::string::npos) {
    return Invalid("URL host is not a domain name");
  }
  return FoldPlatformHost(host);
}

absl::Status ParsePort(std::string_view port, const std::string& scheme,
                       std::string* out) {
  if (port.empty()) return absl::OkStatus();
  if (!IsAsciiDigits(port) || port.size() > 5) return Invalid("bad URL port");
  const int value = std::stoi(std::string(port));
  if (value < 1 || value > 65535) return Invalid("bad URL port");
  if ((scheme == "http" && value == 80) || (scheme == "https" && value == 443)) {
    return absl::OkStatus();
  }
  *out = std::to_string(value);
  return absl::OkStatus();
}

absl::Status ParseQuery(std::string_view q, UrlParts* url) {
  while (!q.empty()) {
    const size_t amp = q.find('&');
    const std::string_view item = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    IFED_ASSIGN_OR_RETURN(std::string name, NormalizePercent(item.substr(0, eq)));
    std::string value;
    if (eq != std::string_view::npos) {
      IFED_ASSIGN_OR_RETURN(value, NormalizePercent(item.substr(eq + 1)));
      value.insert(0, "=");
    }
    if (IsTrackingParam(url->host, AsciiLower(PercentDecode(name)))) continue;
    url->query.emplace_back(std::move(name), std::move(value));
  }
  return absl::OkStatus();
}

// Splits off "scheme://"; a URL without one is https.
absl::StatusOr<std::string> TakeScheme(std::string_view* s, bool app_schemes) {
  const size_t colon = s->find(':');
  std::string scheme = "https";
  if (colon != std::string_view::npos && colon > 0 &&
      s->find_first_of("/?#") > colon &&
      !IsAsciiDigits(s->substr(colon + 1, 1))) {
    scheme = AsciiLower(s->substr(0, colon));
    s->remove_prefix(colon + 1);
    const bool app = scheme == "whatsapp" || scheme == "viber" ||
                     scheme == "sgnl" || scheme == "tg";
    if (scheme != "http" && scheme != "https" && !(app_schemes && app)) {
      return Invalid("only http and https URLs are accepted");
    }
    if (s->substr(0, 2) != "//") return Invalid("URL has no host");
  }
  if (s->substr(0, 2) == "//") s->remove_prefix(2);
  return scheme;
}

}  // namespace

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() &&
        HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 +
                                      HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

absl::StatusOr<UrlParts> ParseUrl(const Unicode& unicode, std::string_view raw,
                                  bool app_schemes) {
  std::string text(TrimSpace(raw));
  for (char& c : text) {
    if (c == '\\') c = '/';
  }
  std::string_view s = text;
  UrlParts url;
  IFED_ASSIGN_OR_RETURN(url.scheme, TakeScheme(&s, app_schemes));
  const bool web = url.scheme == "http" || url.scheme == "https";
  const size_t auth_end = s.find_first_of("/?#");
  const std::string_view authority = s.substr(0, auth_end);
  s = auth_end == std::string_view::npos ? std::string_view()
                                         : s.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    return Invalid("credentials in URLs are not accepted");
  }
  size_t port_colon = authority.rfind(':');
  if (port_colon != std::string_view::npos &&
      authority.find(']', port_colon) != std::string_view::npos) {
    port_colon = std::string_view::npos;  // the colon is inside [IPv6]
  }
  IFED_ASSIGN_OR_RETURN(url.host, NormalizeHost(unicode,
                                                authority.substr(0, port_colon),
                                                /*need_dot=*/web));
  if (port_colon != std::string_view::npos) {
    IFED_RETURN_IF_ERROR(
        ParsePort(authority.substr(port_colon + 1), url.scheme, &url.port));
  }
  const size_t hash = s.find('#');
  if (hash != std::string_view::npos) {
    url.fragment = std::string(s.substr(hash + 1));
    s = s.substr(0, hash);
  }
  const size_t qmark = s.find('?');
  std::string path(s.substr(0, qmark));
  if (IsPlatformHost(url.host) && (path.empty() || path == "/") &&
      url.fragment.rfind("!/", 0) == 0) {
    path = url.fragment.substr(1);  // old "#!/name" links
  }
  IFED_ASSIGN_OR_RETURN(path, NormalizePercent(path));
  url.path = RemoveDotSegments(path);
  if (url.path.empty() || url.path[0] != '/') url.path.insert(0, "/");
  if (IsPlatformHost(url.host)) {
    while (url.path.size() > 1 && url.path.back() == '/') url.path.pop_back();
  }
  if (qmark != std::string_view::npos) {
    IFED_RETURN_IF_ERROR(ParseQuery(s.substr(qmark + 1), &url));
  }
  return url;
}

std::string UrlParts::Serialize() const {
  std::string out = scheme + "://" + host;
  if (!port.empty()) out += ":" + port;
  out += path;
  for (size_t i = 0; i < query.size(); ++i) {
    out += (i == 0 ? "?" : "&") + query[i].first + query[i].second;
  }
  return out;
}

absl::StatusOr<std::string> NormalizeUrl(const Unicode& unicode,
                                         std::string_view raw) {
  IFED_ASSIGN_OR_RETURN(UrlParts url, ParseUrl(unicode, raw));
  return url.Serialize();
}

std::optional<std::string> QueryValue(const UrlParts& url,
                                      std::string_view name) {
  for (const auto& [key, value] : url.query) {
    if (AsciiLower(PercentDecode(key)) == name) {
      return PercentDecode(std::string_view(value).substr(value.empty() ? 0 : 1));
    }
  }
  return std::nullopt;
}

}  // namespace ifed::normalize::internal
