#include "node/audit/event.h"

#include <openssl/sha.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/common/json.h"

namespace ifed::audit {
namespace {

void AppendValue(std::string* out, const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    absl::StrAppend(out, "\"", Escape(*s), "\"");
  } else {
    absl::StrAppend(out, std::get<int64_t>(v));
  }
}

absl::Status Bad(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("not an audit line: ", why));
}

// Parses a JSON string starting at s[*i] == '"'; leaves *i after the quote.
absl::StatusOr<std::string> ParseString(absl::string_view s, size_t* i) {
  std::string out;
  ++*i;
  while (*i < s.size()) {
    char c = s[(*i)++];
    if (c == '"') return out;
    if (static_cast<unsigned char>(c) < 0x20) return Bad("control character in string");
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (*i >= s.size()) break;
    char e = s[(*i)++];
    switch (e) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'u': {
        if (*i + 4 > s.size()) return Bad("short \\u escape");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
          char h = s[(*i)++];
          v <<= 4;
          if (h >= '0' && h <= '9') v |= h - '0';
          else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
          else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
          else return Bad("bad \\u escape");
        }
        if (v >= 0x80) return Bad("non-ASCII \\u escape");  // Escape() never writes one.
        out.push_back(static_cast<char>(v));
        break;
      }
      default:
        return Bad("bad escape");
    }
  }
  return Bad("unterminated string");
}

}  // namespace

std::string Escape(absl::string_view s) {
  return JsonEscape(std::string_view(s.data(), s.size()));
}

std::string Encode(const Link& link, const Event& e) {
  std::string out;
  absl::StrAppend(&out, "{\"seq\":", link.seq, ",\"prev\":\"", link.prev, "\",\"ts_ms\":",
                  link.ts_ms, ",\"node\":\"", Escape(link.node), "\",\"action\":\"",
                  Escape(e.action), "\",\"actor\":\"", Escape(e.actor), "\",\"outcome\":\"",
                  Escape(e.outcome), "\"");
  for (const auto& [k, v] : e.fields) {
    absl::StrAppend(&out, ",\"", Escape(k), "\":");
    AppendValue(&out, v);
  }
  out += "}";
  return out;
}

bool FromHex(absl::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  *out = absl::HexStringToBytes(hex);
  return true;
}

std::string HashLine(absl::string_view line) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(line.data()), line.size(), md);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), sizeof md));
}

std::string PseudonymDigest(absl::string_view pseudonym) {
  return HashLine(absl::StrCat("ifed-audit-pseudonym", pseudonym)).substr(0, 16);
}

absl::StatusOr<Parsed> Parsed::Parse(absl::string_view s) {
  Parsed p;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  };
  skip_ws();
  if (i >= s.size() || s[i] != '{') return Bad("no object");
  ++i;
  skip_ws();
  if (i < s.size() && s[i] == '}') {
    ++i;
  } else {
    for (;;) {
      skip_ws();
      if (i >= s.size() || s[i] != '"') return Bad("expected a key");
      auto key = ParseString(s, &i);
      if (!key.ok()) return key.status();
      skip_ws();
      if (i >= s.size() || s[i] != ':') return Bad("expected ':'");
      ++i;
      skip_ws();
      if (i >= s.size()) return Bad("missing value");
      Value v;
      if (s[i] == '"') {
        auto str = ParseString(s, &i);
        if (!str.ok()) return str.status();
        v = std::move(*str);
      } else {
        const size_t start = i;
        if (s[i] == '-') ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        const std::string num(s.substr(start, i - start));
        if (num.empty() || num == "-" || num.size() > 20) return Bad("bad value");
        errno = 0;
        char* end = nullptr;
        long long n = std::strtoll(num.c_str(), &end, 10);
        if (errno != 0 || *end != '\0') return Bad("bad integer");
        v = static_cast<int64_t>(n);
      }
      if (!p.values_.emplace(std::move(*key), std::move(v)).second) return Bad("duplicate key");
      skip_ws();
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      return Bad("expected ',' or '}'");
    }
  }
  skip_ws();
  if (i != s.size()) return Bad("trailing bytes");
  return p;
}

std::optional<std::string> Parsed::Str(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  return std::nullopt;
}

std::optional<int64_t> Parsed::Int(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  if (const auto* n = std::get_if<int64_t>(&it->second)) return *n;
  return std::nullopt;
}

}  // namespace ifed::audit
