// E-mail, IBAN, crypto wallets and IMEI.
#include <gtest/gtest.h>

#include "node/normalize/normalizer.h"
#include "node/normalize/test_util.h"
#include "node/normalize/wallet_codecs.h"

namespace ifed::normalize {
namespace {

using ::ifed::normalize::testing::Norm;
using ::ifed::normalize::testing::RunCases;

Options ProviderRules() {
  Options o;
  o.email_provider_rules = true;
  return o;
}

TEST(EmailTest, Normalisation) {
  RunCases(IndicatorType::kEmail, {
      {"John.Doe@Example.COM", {}, "john.doe@example.com"},
      {" mailto:john@example.com?subject=hi ", {}, "john@example.com"},
      {"john@bücher.de", {}, "john@xn--bcher-kva.de"},
      {"john@example.com.", {}, "john@example.com"},
      {"john@example\u3002com\u3002", {}, "john@example.com"},
      {"Jöhn@example.com", {}, "jöhn@example.com"},
      {"J.O.H.N+tag@gmail.com", {}, "j.o.h.n+tag@gmail.com"},
      {"J.O.H.N+tag@gmail.com", ProviderRules(), "john@gmail.com"},
      {"john.doe+x@googlemail.com", ProviderRules(), "johndoe@gmail.com"},
      {"john.doe+x@outlook.com", ProviderRules(), "john.doe@outlook.com"},
      {"john.doe+x@example.com", ProviderRules(), "john.doe+x@example.com"},
  });
}

TEST(EmailTest, Refusals) {
  RunCases(IndicatorType::kEmail, {
      {"john.example.com", {}, "!needs an @"},
      {"@example.com", {}, "!local part is empty"},
      {"john..doe@example.com", {}, "!misplaced dot"},
      {".john@example.com", {}, "!misplaced dot"},
      {"\"john doe\"@example.com", {}, "!quoted"},
      {"john doe@example.com", {}, "!characters not allowed"},
      {"john@localhost", {}, "!needs a dot"},
      {"john@[192.168.0.1]", {}, "!literals"},
      {"john@exa_mple.com", {}, "!IDNA"},
      {"john@", {}, "!empty domain"},
      // Regression (fuzzer): one trailing dot was taken off before IDNA,
      // which keeps a root dot, so "k.." canonicalised to "k." and that
      // failed the dot check on the next pass.
      {"'@k..", {}, "!empty label"},
      {"john@example.com..", {}, "!empty label"},
      {"john@localhost.", {}, "!needs a dot"},
      {"john@.", {}, "!empty label"},
      {std::string(65, 'a') + "@example.com", {}, "!too long (max 64)"},
  });
}

TEST(IbanTest, Validation) {
  RunCases(IndicatorType::kIban, {
      {"DE89 3704 0044 0532 0130 00", {}, "DE89370400440532013000"},
      {"IBAN: de89-3704-0044-0532-0130-00", {}, "DE89370400440532013000"},
      {"GB82WEST12345698765432", {}, "GB82WEST12345698765432"},
      {"FR14 2004 1010 0505 0001 3M02 606", {}, "FR1420041010050500013M02606"},
      {"NO93 8601 1117 947", {}, "NO9386011117947"},
      {"MT84MALT011000012345MTLCAST001S", {}, "MT84MALT011000012345MTLCAST001S"},
      {"DE89370400440532013001", {}, "!check digits"},
      {"DE88370400440532013000", {}, "!check digits"},
      {"DE8937040044053201300", {}, "!wrong length"},
      {"ZZ89370400440532013000", {}, "!not in the IBAN registry"},
      {"8937040044053201300012", {}, "!country code"},
      {"DE89_3704", {}, "!characters not allowed"},
  });
}

TEST(WalletTest, Bitcoin) {
  RunCases(IndicatorType::kCryptoWallet, {
      {"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", {}, "btc:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"},
      {"bitcoin:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy?amount=1", {},
       "btc:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"},
      {"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", {},
       "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
      {"bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", {},
       "btc:bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"},
      {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", {},
       "btc:bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"},
      {"btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", {},
       "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
      {"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", {}, "!checksum"},
      {"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN0", {}, "!checksum or alphabet"},
      {"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", {}, "!checksum"},
      {"bc1qw508d6qejxtdg4y5r3zarVary0c5xw7kv8f3t4", {}, "!checksum"},
      // v1 program in bech32 (not bech32m): BIP-350 says invalid.
      {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", {}, "!"},
      {"tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", {}, "!testnet"},
      {"mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", {}, "!testnet"},
      {"eth:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", {}, "!"},
  });
}

TEST(WalletTest, EthereumAndTron) {
  RunCases(IndicatorType::kCryptoWallet, {
      {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", {},
       "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
      {"ethereum:0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359@1", {},
       "eth:0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"},
      {"0xDBF03B407C01E7CD3CBEA99509D93F8DDDC8C6FB", {},
       "eth:0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb"},
      {"eth:0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb", {},
       "eth:0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb"},
      {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", {}, "!EIP-55"},
      {"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", {}, "!40 hex"},
      {"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beagd", {}, "!40 hex"},
      {"0x0000000000000000000000000000000000000000", {}, "!null address"},
      {"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", {}, "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
      {"btc:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", {}, "!supported chain"},
      {"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", {}, "!checksum"},
  });
}

// Every single-character substitution of a valid address must be refused
// (base58check, bech32 and EIP-55 all detect it).
TEST(WalletTest, EverySubstitutionRefused) {
  for (const std::string valid :
       {"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}) {
    for (size_t i = valid[0] == '0' ? 2 : 0; i < valid.size(); ++i) {
      std::string bad = valid;
      bad[i] = valid[i] == 'q' ? 'p' : (valid[i] == 'A' ? 'B' : 'q');
      if (valid[0] == '0') bad[i] = valid[i] == 'a' ? 'A' : (valid[i] == 'A' ? 'a' : bad[i]);
      if (bad == valid) continue;
      EXPECT_EQ(Norm(IndicatorType::kCryptoWallet, bad).rfind("!", 0), 0u) << i;
    }
  }
}

TEST(IdsTest, CanonicalIsFixedPoint) {
  const std::vector<std::pair<IndicatorType, std::string>> canon = {
      {IndicatorType::kEmail, "john.doe@xn--bcher-kva.de"},
      {IndicatorType::kIban, "DE89370400440532013000"},
      {IndicatorType::kCryptoWallet, "btc:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"},
      {IndicatorType::kCryptoWallet, "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
      {IndicatorType::kCryptoWallet, "trx:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
      {IndicatorType::kImei, "490154203237518"},
  };
  for (const auto& [type, value] : canon) EXPECT_EQ(Norm(type, value), value);
}

TEST(WalletTest, Keccak256KnownAnswer) {
  const std::array<uint8_t, 32> h = internal::Keccak256("");
  EXPECT_EQ(h[0], 0xc5);
  EXPECT_EQ(h[1], 0xd2);
  EXPECT_EQ(h[31], 0x70);
}

TEST(ImeiTest, Validation) {
  RunCases(IndicatorType::kImei, {
      {"490154203237518", {}, "490154203237518"},
      {"49-015420-323751-8", {}, "490154203237518"},
      {"IMEI: 49 015420 323751 8", {}, "490154203237518"},
      {"35/209900/176148/1", {}, "352099001761481"},
      {"49015420323751", {}, "490154203237518"},    // 14 digits: check added
      {"4901542032375101", {}, "490154203237518"},  // IMEISV: SVN dropped
      {"490154203237519", {}, "!Luhn"},
      {"4901542032375", {}, "!14, 15 or 16 digits"},
      {"49015420323751A", {}, "!characters not allowed"},
      {"000000000000000", {}, "!placeholder"},
  });
}

}  // namespace
}  // namespace ifed::normalize
