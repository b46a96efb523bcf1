#include "node/crypto/oprf/vectors.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ifed::crypto::oprf::testing {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}

  absl::StatusOr<Json> Parse() {
    Json v;
    if (!Value(&v)) return Error();
    Ws();
    if (pos_ != s_.size()) return Error();
    return v;
  }

 private:
  absl::Status Error() const {
    return absl::InvalidArgumentError(
        absl::StrCat("bad JSON at offset ", pos_));
  }
  void Ws() {
    while (pos_ < s_.size() &&
           std::isspace(static_cast<unsigned char>(s_[pos_])))
      ++pos_;
  }
  bool Eat(char c) {
    Ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool String(std::string* out) {
    if (!Eat('"')) return false;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c == '\\') {
        if (pos_ >= s_.size()) return false;
        char e = s_[pos_++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 't':
            c = '\t';
            break;
          case '"':
          case '\\':
          case '/':
            c = e;
            break;
          default:
            return false;  // not needed by the vector files
        }
      }
      out->push_back(c);
    }
    return Eat('"');
  }
  bool Value(Json* v) {
    Ws();
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      v->kind = Json::Kind::kObject;
      if (Eat('}')) return true;
      do {
        std::string key;
        Json item;
        if (!String(&key) || !Eat(':') || !Value(&item)) return false;
        v->fields[key] = std::move(item);
      } while (Eat(','));
      return Eat('}');
    }
    if (c == '[') {
      ++pos_;
      v->kind = Json::Kind::kArray;
      if (Eat(']')) return true;
      do {
        Json item;
        if (!Value(&item)) return false;
        v->items.push_back(std::move(item));
      } while (Eat(','));
      return Eat(']');
    }
    if (c == '"') {
      v->kind = Json::Kind::kString;
      return String(&v->text);
    }
    for (const char* lit : {"true", "false", "null"}) {
      if (s_.compare(pos_, std::strlen(lit), lit) == 0) {
        pos_ += std::strlen(lit);
        v->kind = lit[0] == 'n' ? Json::Kind::kNull : Json::Kind::kBool;
        v->text = lit;
        return true;
      }
    }
    size_t start = pos_;
    while (pos_ < s_.size() &&
           std::strchr("+-0123456789.eE", s_[pos_]) != nullptr)
      ++pos_;
    if (pos_ == start) return false;
    v->kind = Json::Kind::kNumber;
    v->text = s_.substr(start, pos_ - start);
    return true;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::string> ReadTestData(const std::string& name) {
  // ctest sets IFED_SOURCE_DIR; a direct run falls back to the directory
  // the binary was configured from.
  const char* root = std::getenv("IFED_SOURCE_DIR");
  std::string path =
      root != nullptr ? absl::StrCat(root, "/node/crypto/oprf/testdata/", name)
                      : absl::StrCat(IFED_OPRF_TESTDATA_DIR, "/", name);
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<uint8_t> Hex(const std::string& hex_in) {
  std::string hex = hex_in;
  if (hex.rfind("0x", 0) == 0) hex = hex.substr(2);
  if (hex.size() % 2 != 0) {
    std::cerr << "odd-length hex: " << hex_in << "\n";
    std::abort();
  }
  std::vector<uint8_t> out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    char* end = nullptr;
    std::string byte = hex.substr(i, 2);
    long v = std::strtol(byte.c_str(), &end, 16);
    if (end != byte.c_str() + 2) {
      std::cerr << "bad hex: " << hex_in << "\n";
      std::abort();
    }
    out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

std::string ToHex(const uint8_t* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

std::vector<Record> ParseKeyValueRecords(const std::string& text,
                                         const std::string& last_key) {
  std::vector<Record> out;
  Record current;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      current.clear();
      current["section"] = line.substr(3);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = Trim(line.substr(0, eq));
    current[key] = Trim(line.substr(eq + 1));
    if (key == last_key) out.push_back(current);
  }
  return out;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.push_back(Trim(s.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

const Json& Json::operator[](const std::string& key) const {
  static const Json kNull;
  auto it = fields.find(key);
  return it == fields.end() ? kNull : it->second;
}

absl::StatusOr<Json> ParseJson(const std::string& text) {
  return JsonParser(text).Parse();
}

}  // namespace ifed::crypto::oprf::testing
