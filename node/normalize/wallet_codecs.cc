#include "node/normalize/wallet_codecs.h"

#include <openssl/sha.h>

#include <cstring>

namespace ifed::normalize::internal {
namespace {

constexpr std::string_view kBase58 =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kBech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32Const = 1;
constexpr uint32_t kBech32mConst = 0x2bc830a3;

uint32_t Polymod(const std::vector<uint8_t>& values) {
  static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
                                       0x3d4233dd, 0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    const uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

// 5-bit groups -> bytes, no padding allowed (BIP-173).
std::optional<std::vector<uint8_t>> From5Bit(const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t v : in) {
    acc = (acc << 5) | v;
    bits += 5;
    while (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 5 || ((acc << (8 - bits)) & 0xff) != 0) return std::nullopt;
  return out;
}

uint64_t Rotl(uint64_t x, int n) { return (x << n) | (x >> (64 - n)); }

void KeccakF1600(uint64_t st[25]) {
  static constexpr uint64_t kRc[24] = {
      0x0000000000000001, 0x0000000000008082, 0x800000000000808a,
      0x8000000080008000, 0x000000000000808b, 0x0000000080000001,
      0x8000000080008081, 0x8000000000008009, 0x000000000000008a,
      0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
      0x000000008000808b, 0x800000000000008b, 0x8000000000008089,
      0x8000000000008003, 0x8000000000008002, 0x8000000000000080,
      0x000000000000800a, 0x800000008000000a, 0x8000000080008081,
      0x8000000000008080, 0x0000000080000001, 0x8000000080008008};
  static constexpr int kRot[24] = {1,  3,  6,  10, 15, 21, 28, 36,
                                   45, 55, 2,  14, 27, 41, 56, 8,
                                   25, 43, 62, 18, 39, 61, 20, 44};
  static constexpr int kPi[24] = {10, 7,  11, 17, 18, 3, 5,  16,
                                  8,  21, 24, 4,  15, 23, 19, 13,
                                  12, 2,  20, 14, 22, 9,  6,  1};
  for (uint64_t rc : kRc) {
    uint64_t bc[5];
    for (int i = 0; i < 5; ++i) {
      bc[i] = st[i] ^ st[i + 5] ^ st[i + 10] ^ st[i + 15] ^ st[i + 20];
    }
    for (int i = 0; i < 5; ++i) {
      const uint64_t t = bc[(i + 4) % 5] ^ Rotl(bc[(i + 1) % 5], 1);
      for (int j = 0; j < 25; j += 5) st[j + i] ^= t;
    }
    uint64_t t = st[1];
    for (int i = 0; i < 24; ++i) {
      const int j = kPi[i];
      const uint64_t tmp = st[j];
      st[j] = Rotl(t, kRot[i]);
      t = tmp;
    }
    for (int j = 0; j < 25; j += 5) {
      for (int i = 0; i < 5; ++i) bc[i] = st[j + i];
      for (int i = 0; i < 5; ++i) {
        st[j + i] ^= (~bc[(i + 1) % 5]) & bc[(i + 2) % 5];
      }
    }
    st[0] ^= rc;
  }
}

}  // namespace

std::optional<std::vector<uint8_t>> Base58Decode(std::string_view s) {
  std::vector<uint8_t> out;  // big-endian magnitude
  for (char c : s) {
    const size_t digit = kBase58.find(c);
    if (digit == std::string_view::npos) return std::nullopt;
    uint32_t carry = static_cast<uint32_t>(digit);
    for (auto it = out.rbegin(); it != out.rend(); ++it) {
      carry += 58u * *it;
      *it = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      out.insert(out.begin(), static_cast<uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  size_t zeros = 0;
  while (zeros < s.size() && s[zeros] == '1') ++zeros;
  out.insert(out.begin(), zeros, 0);
  return out;
}

std::optional<std::vector<uint8_t>> Base58CheckDecode(std::string_view s) {
  std::optional<std::vector<uint8_t>> bytes = Base58Decode(s);
  if (!bytes || bytes->size() < 5) return std::nullopt;
  const size_t n = bytes->size() - 4;
  uint8_t h1[SHA256_DIGEST_LENGTH];
  uint8_t h2[SHA256_DIGEST_LENGTH];
  SHA256(bytes->data(), n, h1);
  SHA256(h1, sizeof(h1), h2);
  if (std::memcmp(h2, bytes->data() + n, 4) != 0) return std::nullopt;
  bytes->resize(n);
  return bytes;
}

std::optional<SegwitAddress> Bech32Decode(std::string_view s) {
  if (s.size() < 8 || s.size() > 90) return std::nullopt;
  bool lower = false;
  bool upper = false;
  std::string str(s);
  for (char& c : str) {
    if (c < 33 || c > 126) return std::nullopt;
    if (c >= 'a' && c <= 'z') lower = true;
    if (c >= 'A' && c <= 'Z') {
      upper = true;
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  if (lower && upper) return std::nullopt;
  const size_t pos = str.rfind('1');
  if (pos == std::string::npos || pos < 1 || pos + 7 > str.size()) {
    return std::nullopt;
  }
  std::vector<uint8_t> values;
  for (char c : std::string_view(str).substr(0, pos)) values.push_back(c >> 5);
  values.push_back(0);
  for (char c : std::string_view(str).substr(0, pos)) values.push_back(c & 31);
  std::vector<uint8_t> data;
  for (char c : std::string_view(str).substr(pos + 1)) {
    const size_t v = kBech32.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    data.push_back(static_cast<uint8_t>(v));
  }
  values.insert(values.end(), data.begin(), data.end());
  const uint32_t check = Polymod(values);
  if (check != kBech32Const && check != kBech32mConst) return std::nullopt;
  data.resize(data.size() - 6);
  if (data.empty()) return std::nullopt;
  std::optional<std::vector<uint8_t>> program =
      From5Bit(std::vector<uint8_t>(data.begin() + 1, data.end()));
  if (!program) return std::nullopt;
  return SegwitAddress{str.substr(0, pos),
                       check == kBech32Const ? Bech32Encoding::kBech32
                                             : Bech32Encoding::kBech32m,
                       data[0], std::move(*program)};
}

std::array<uint8_t, 32> Keccak256(std::string_view data) {
  constexpr size_t kRate = 136;
  uint64_t st[25] = {};
  std::string padded(data);
  padded.push_back('\x01');
  while (padded.size() % kRate != 0) padded.push_back('\0');
  padded.back() = static_cast<char>(padded.back() | 0x80);
  for (size_t off = 0; off < padded.size(); off += kRate) {
    for (size_t i = 0; i < kRate / 8; ++i) {
      uint64_t lane = 0;
      for (int b = 7; b >= 0; --b) {
        lane = (lane << 8) | static_cast<uint8_t>(padded[off + i * 8 + b]);
      }
      st[i] ^= lane;
    }
    KeccakF1600(st);
  }
  std::array<uint8_t, 32> out;
  for (size_t i = 0; i < 32; ++i) {
    out[i] = static_cast<uint8_t>(st[i / 8] >> (8 * (i % 8)));
  }
  return out;
}

}  // namespace ifed::normalize::internal
