#include "node/crypto/key_file.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/common/status_macros.h"

namespace ifed::crypto {
namespace {

constexpr size_t kKeyBytes = 32;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<SecretBytes> ParseHexKey(std::string_view hex,
                                        const std::string& where) {
  if (hex.size() != 2 * kKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": key must be 64 hex characters"));
  }
  std::vector<uint8_t> bytes(kKeyBytes);
  for (size_t i = 0; i < kKeyBytes; ++i) {
    const int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      std::fill(bytes.begin(), bytes.end(), 0);
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": key is not hexadecimal"));
    }
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  SecretBytes key(bytes);
  std::fill(bytes.begin(), bytes.end(), 0);
  return key;
}

absl::StatusOr<std::string> ReadPrivateFile(const std::string& path) {
  IFED_RETURN_IF_ERROR(CheckPrivateFile(path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

absl::Status CheckPrivateFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": not a regular file"));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        path, ": key file must not be accessible by group or others (chmod 600)"));
  }
  if (st.st_uid != ::geteuid()) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": key file must be owned by the node's user"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<uint32_t, SecretBytes>> LoadFederationKeys(
    const std::string& path) {
  IFED_ASSIGN_OR_RETURN(std::string text, ReadPrivateFile(path));
  std::map<uint32_t, SecretBytes> keys;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = absl::StrCat(path, ":", line_no);
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    uint32_t epoch = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &epoch) || epoch == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected '<epoch> <64 hex chars>' with epoch >= 1"));
    }
    if (keys.count(epoch)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": duplicate epoch"));
    }
    IFED_ASSIGN_OR_RETURN(SecretBytes key,
                          ParseHexKey(std::string_view(parts[1].data(), parts[1].size()), where));
    keys.emplace(epoch, std::move(key));
  }
  std::fill(text.begin(), text.end(), '\0');
  if (keys.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no key"));
  }
  return keys;
}

absl::StatusOr<SecretBytes> LoadLocalKey(const std::string& path) {
  IFED_ASSIGN_OR_RETURN(std::string text, ReadPrivateFile(path));
  absl::string_view hex = absl::StripAsciiWhitespace(text);
  auto key = ParseHexKey(std::string_view(hex.data(), hex.size()), path);
  std::fill(text.begin(), text.end(), '\0');
  return key;
}

}  // namespace ifed::crypto
