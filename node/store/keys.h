// Internal to the store: key layouts of the column families and the RocksDB
// status conversion, shared by store.cc and lifecycle.cc.
#ifndef IFED_STORE_KEYS_H_
#define IFED_STORE_KEYS_H_

#include <rocksdb/status.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "node/store/store.h"

namespace rocksdb {
class Cache;
struct ColumnFamilyOptions;
}  // namespace rocksdb

namespace ifed::store::internal {

// Options of every column family (bloom filter, hash index, no
// compression), sharing `cache`. Defined in store.cc.
rocksdb::ColumnFamilyOptions CfOptions(std::shared_ptr<rocksdb::Cache> cache);

inline absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsNoSpace()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        what, ": disk full (no space left in the data dir); nothing was written. Free space: "
              "writes resume without a restart"));
  }
  if (s.IsCorruption()) {
    return absl::DataLossError(absl::StrCat(msg, ". The store is damaged: ", kStoreDamageAdvice));
  }
  if (s.IsIOError()) return absl::UnavailableError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  return absl::InternalError(msg);
}

// index CF: epoch (4 bytes, big-endian) || pseudonym (32 bytes).
inline std::string EpochPrefix(uint32_t epoch) {
  std::string k(4, '\0');
  k[0] = static_cast<char>(epoch >> 24);
  k[1] = static_cast<char>(epoch >> 16);
  k[2] = static_cast<char>(epoch >> 8);
  k[3] = static_cast<char>(epoch);
  return k;
}

inline std::string IndexKey(uint32_t epoch, const Pseudonym& p) {
  std::string k = EpochPrefix(epoch);
  k.append(p.begin(), p.end());
  return k;
}

// meta CF: record count per indicator type, 8-byte big-endian.
inline std::string CountKey(int type) { return absl::StrCat("count/", type); }

inline uint64_t DecodeCount(const std::string& v) {
  uint64_t n = 0;
  for (size_t i = 0; i < v.size() && i < 8; ++i) n = n << 8 | static_cast<uint8_t>(v[i]);
  return n;
}

inline std::string EncodeCount(uint64_t n) {
  std::string v(8, '\0');
  for (int i = 7; i >= 0; --i, n >>= 8) v[i] = static_cast<char>(n & 0xff);
  return v;
}

}  // namespace ifed::store::internal

#endif  // IFED_STORE_KEYS_H_
