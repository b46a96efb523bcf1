// Test-only: loading the known-answer vector files in testdata/ (plain-text
// and JSON forms). Failures are reported as gtest failures by the callers.
#ifndef IFED_CRYPTO_OPRF_VECTORS_H_
#define IFED_CRYPTO_OPRF_VECTORS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ifed::crypto::oprf::testing {

// Contents of testdata/<name> under $IFED_SOURCE_DIR/node/crypto/oprf/, or
// under this source tree when IFED_SOURCE_DIR is unset.
absl::StatusOr<std::string> ReadTestData(const std::string& name);

// Hex (optionally "0x"-prefixed) to bytes; aborts the test binary on bad hex.
std::vector<uint8_t> Hex(const std::string& hex);
std::string ToHex(const uint8_t* data, size_t n);
template <typename C>
std::string ToHex(const C& c) {
  return ToHex(c.data(), c.size());
}

// "key = value" text files: one map per record. A record is closed by the
// line whose key is `last_key`; it carries every key seen since the last
// "## " heading (stored under "section"), so header values such as DST or
// skSm are repeated in each record.
using Record = std::map<std::string, std::string>;
std::vector<Record> ParseKeyValueRecords(const std::string& text,
                                         const std::string& last_key);

// Comma-separated list (batched vectors).
std::vector<std::string> SplitComma(const std::string& s);

// A minimal JSON value: enough for the vector files (no \u escapes beyond
// ASCII, numbers kept as text).
struct Json {
  enum class Kind {
    kNull,
    kBool,
    kNumber,
    kString,
    kArray,
    kObject
  } kind = Kind::kNull;
  std::string text;  // string contents, number text, "true"/"false"
  std::vector<Json> items;
  std::map<std::string, Json> fields;

  const Json& operator[](const std::string& key) const;  // null if missing
  bool has(const std::string& key) const { return fields.count(key) > 0; }
};
absl::StatusOr<Json> ParseJson(const std::string& text);

}  // namespace ifed::crypto::oprf::testing

#endif  // IFED_CRYPTO_OPRF_VECTORS_H_
