// Crypto wallet addresses. Canonical forms carry the chain:
//   btc:<address>  P2PKH/P2SH base58check (version 0x00/0x05, checksum
//                  verified, case kept: base58 is case-sensitive) or
//                  segwit bech32 (v0) / bech32m (v1+) with hrp "bc",
//                  checksum and witness rules verified, lower-cased;
//   eth:0x<40 hex> lower-case; a mixed-case input must carry a valid EIP-55
//                  checksum; the all-zero address is refused;
//   trx:T...       TRON base58check, version 0x41.
// Accepted spellings: bare addresses (the chain is recognised from the
// format), "btc:"/"bitcoin:" (BIP-21 parameters dropped), "eth:"/
// "ethereum:" (EIP-681 chain id and function dropped), "trx:"/"tron:".
// Testnet addresses are refused. Other chains are not supported yet.
#include "node/common/status_macros.h"
#include "node/normalize/internal.h"
#include "node/normalize/wallet_codecs.h"

namespace ifed::normalize::internal {
namespace {

enum class Chain { kAny, kBtc, kEth, kTrx };

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

absl::StatusOr<std::string> Ethereum(std::string_view s) {
  if (!ConsumePrefixIgnoreCase(&s, "0x") || s.size() != 40) {
    return Invalid("an ethereum address is 0x and 40 hex digits");
  }
  bool lower = false;
  bool upper = false;
  for (char c : s) {
    if (!IsHex(c)) return Invalid("an ethereum address is 0x and 40 hex digits");
    if (c >= 'a' && c <= 'f') lower = true;
    if (c >= 'A' && c <= 'F') upper = true;
  }
  const std::string hex = AsciiLower(s);
  if (lower && upper) {
    const std::array<uint8_t, 32> hash = Keccak256(hex);
    for (size_t i = 0; i < 40; ++i) {
      const int nibble = (hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xf;
      const bool is_upper = s[i] >= 'A' && s[i] <= 'F';
      if (s[i] > '9' && is_upper != (nibble >= 8)) {
        return Invalid("ethereum address fails its EIP-55 checksum");
      }
    }
  }
  if (hex.find_first_not_of('0') == std::string::npos) {
    return Invalid("the ethereum null address is not an indicator");
  }
  return "eth:0x" + hex;
}

absl::StatusOr<std::string> Segwit(std::string_view s) {
  std::optional<SegwitAddress> a = Bech32Decode(s);
  if (!a) return Invalid("bech32 address fails its checksum or format");
  if (a->hrp == "tb" || a->hrp == "bcrt") {
    return Invalid("testnet addresses are not accepted");
  }
  if (a->hrp != "bc") return Invalid("unknown bech32 address prefix");
  const size_t n = a->program.size();
  if (a->witness_version > 16 || n < 2 || n > 40) {
    return Invalid("invalid segwit witness program");
  }
  if (a->witness_version == 0) {
    if (a->encoding != Bech32Encoding::kBech32 || (n != 20 && n != 32)) {
      return Invalid("invalid segwit v0 address");
    }
  } else if (a->encoding != Bech32Encoding::kBech32m) {
    return Invalid("segwit v1+ addresses must use bech32m");
  }
  return "btc:" + AsciiLower(s);
}

absl::StatusOr<std::string> Base58Address(std::string_view s, Chain chain) {
  if (s.size() < 25 || s.size() > 40) return Invalid("wallet address length out of range");
  std::optional<std::vector<uint8_t>> payload = Base58CheckDecode(s);
  if (!payload) return Invalid("base58 address fails its checksum or alphabet");
  if (payload->size() != 21) return Invalid("base58 address has the wrong length");
  const uint8_t version = (*payload)[0];
  if ((version == 0x00 || version == 0x05) && chain != Chain::kEth &&
      chain != Chain::kTrx) {
    return "btc:" + std::string(s);
  }
  if (version == 0x41 && (chain == Chain::kAny || chain == Chain::kTrx)) {
    return "trx:" + std::string(s);
  }
  if (version == 0x6f || version == 0xc4) {
    return Invalid("testnet addresses are not accepted");
  }
  return Invalid("address version does not match a supported chain");
}

Chain TakeChainPrefix(std::string_view* s) {
  for (std::string_view p : {"btc:", "bitcoin:"}) {
    if (ConsumePrefixIgnoreCase(s, p)) {
      *s = s->substr(0, s->find('?'));
      return Chain::kBtc;
    }
  }
  for (std::string_view p : {"eth:", "ethereum:"}) {
    if (ConsumePrefixIgnoreCase(s, p)) {
      ConsumePrefixIgnoreCase(s, "pay-");
      *s = s->substr(0, s->find_first_of("@/?"));
      return Chain::kEth;
    }
  }
  for (std::string_view p : {"trx:", "tron:"}) {
    if (ConsumePrefixIgnoreCase(s, p)) return Chain::kTrx;
  }
  return Chain::kAny;
}

}  // namespace

absl::StatusOr<std::string> NormalizeWallet(const Unicode& unicode,
                                            std::string_view raw) {
  IFED_ASSIGN_OR_RETURN(std::string text, unicode.Nfkc(TrimSpace(raw)));
  std::string_view s = TrimSpace(text);
  const Chain chain = TakeChainPrefix(&s);
  s = TrimSpace(s);
  if (s.empty()) return Invalid("empty wallet address");
  if (!IsAscii(s)) return Invalid("characters not allowed in a wallet address");
  if (chain == Chain::kEth || StartsWithIgnoreCase(s, "0x")) {
    if (chain != Chain::kAny && chain != Chain::kEth) {
      return Invalid("address format does not match the named chain");
    }
    return Ethereum(s);
  }
  if (StartsWithIgnoreCase(s, "bc1") || StartsWithIgnoreCase(s, "tb1") ||
      StartsWithIgnoreCase(s, "bcrt1")) {
    if (chain != Chain::kAny && chain != Chain::kBtc) {
      return Invalid("address format does not match the named chain");
    }
    return Segwit(s);
  }
  return Base58Address(s, chain);
}

}  // namespace ifed::normalize::internal
