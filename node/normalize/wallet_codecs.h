// Address encodings for crypto wallets: base58check, bech32/bech32m
// (BIP-173/350) and Keccak-256 for EIP-55. Internal; all functions are pure.
#ifndef IFED_NORMALIZE_WALLET_CODECS_H_
#define IFED_NORMALIZE_WALLET_CODECS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ifed::normalize::internal {

// Base58 (Bitcoin alphabet) -> bytes; nullopt on a bad character.
std::optional<std::vector<uint8_t>> Base58Decode(std::string_view s);
// Base58check payload (version byte + data) if the 4-byte double-SHA-256
// checksum matches.
std::optional<std::vector<uint8_t>> Base58CheckDecode(std::string_view s);

enum class Bech32Encoding { kBech32, kBech32m };
struct SegwitAddress {
  std::string hrp;
  Bech32Encoding encoding;
  int witness_version;
  std::vector<uint8_t> program;
};
// Lower- or upper-case (never mixed) bech32/bech32m string with a valid
// checksum -> its parts. Witness rules (versions, program lengths) are left
// to the caller.
std::optional<SegwitAddress> Bech32Decode(std::string_view s);

// Keccak-256 (the pre-SHA-3 padding Ethereum uses).
std::array<uint8_t, 32> Keccak256(std::string_view data);

}  // namespace ifed::normalize::internal

#endif  // IFED_NORMALIZE_WALLET_CODECS_H_
