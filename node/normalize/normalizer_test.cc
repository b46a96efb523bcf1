// Phones, the common input checks, and the rule that no error message ever
// quotes its input. Other types: handle_test.cc, url_test.cc, ids_test.cc.
#include "node/normalize/normalizer.h"

#include <gtest/gtest.h>

#include "node/normalize/test_util.h"

namespace ifed::normalize {
namespace {

using ::ifed::normalize::testing::Case;
using ::ifed::normalize::testing::Norm;
using ::ifed::normalize::testing::Region;
using ::ifed::normalize::testing::RunCases;
using ::ifed::normalize::testing::TheNormalizer;

constexpr IndicatorType kPhone = IndicatorType::kPhone;

TEST(PhoneTest, FoundationDoneWhen) {
  // `normalize --type phone --region DE "030 1234567"` -> +49301234567
  EXPECT_EQ(Norm(kPhone, "030 1234567", Region("DE")), "+49301234567");
}

TEST(PhoneTest, SpellingsOfOneNumberMeet) {
  const std::string want = "+4917612345678";
  for (const char* raw :
       {"0176 1234 5678", "+49 (0)176-12345678", "0049 176 12345678",
        "+49 176 12345678", "(0176) 12345678", "0176/12345678",
        "wa.me/4917612345678", "https://wa.me/4917612345678?text=hi",
        "https://api.whatsapp.com/send?phone=4917612345678",
        "whatsapp://send?phone=%2B4917612345678", "viber://chat?number=%2B4917612345678",
        "tel:+49-176-12345678", "tel:0176-12345678", "＋４９ １７６ １２３４５６７８",
        "https://signal.me/#p/+4917612345678", "https://t.me/+4917612345678"}) {
    EXPECT_EQ(Norm(kPhone, raw, Region("DE")), want) << raw;
  }
  // International forms need no region.
  EXPECT_EQ(Norm(kPhone, "0049 176 12345678"), want);
  EXPECT_EQ(Norm(kPhone, "+49 176 12345678"), want);
}

TEST(PhoneTest, Countries) {
  RunCases(kPhone, {
      {"020 7946 0958", Region("GB"), "+442079460958"},
      {"06 12 34 56 78", Region("FR"), "+33612345678"},
      {"0612 345 678", Region("NL"), "+31612345678"},
      {"06 20 123 4567", Region("HU"), "+36201234567"},
      {"0664 1234567", Region("AT"), "+436641234567"},
      {"(201) 555-0123", Region("US"), "+12015550123"},
      {"011 49 30 1234567", Region("US"), "+49301234567"},
      {"312 345 6789", Region("IT"), "+393123456789"},
      {"06 1234 5678", Region("IT"), "+390612345678"},
      {"0532 123 45 67", Region("TR"), "+905321234567"},
      {"+964 770 123 4567", {}, "+9647701234567"},
      {"+218 91 234 5678", {}, "+218912345678"},
      {"٠١٧٦ ١٢٣٤ ٥٦٧٨", Region("DE"), "+4917612345678"},
      {"+31 (0)6 12345678", {}, "+31612345678"},
  });
}

TEST(PhoneTest, Refusals) {
  RunCases(kPhone, {
      {"0176 1234 5678", {}, "!needs a default region"},
      {"0800-FLOWERS", Region("US"), "!vanity"},
      {"112", Region("DE"), "!emergency"},
      {"110", Region("DE"), "!emergency"},
      {"911", Region("US"), "!emergency"},
      {"+49 112", {}, "!emergency"},
      {"116 117", Region("DE"), "!short codes"},
      {"+49 1", {}, "!too short"},
      {"+49 176 1234567890123", {}, "!too long"},
      {"+999 1234567", {}, "!country code"},
      {"030 1234567", Region("XX"), "!unknown default region"},
      {"+49 30 1234567 ext. 12", {}, "!vanity"},
      {"tel:+49-30-1234567;ext=12", {}, "!extensions"},
      {"call 030 1234567", Region("DE"), "!vanity"},
      {"030 1234567 #", Region("DE"), "!unexpected characters"},
      {"030 + 1234567", Region("DE"), "!unexpected characters"},
      {"https://example.com/4917612345678", {}, "!does not name a phone"},
      {"wa.me/message/ABCDEF", {}, "!does not name a phone"},
      {"+49 30 12", {}, "!"},
      {"00000", Region("DE"), "!"},
  });
}

TEST(PhoneTest, VanityOnlyWhenAllowed) {
  Options o = Region("US");
  o.allow_vanity = true;
  EXPECT_EQ(Norm(kPhone, "1-800-FLOWERS", o), "+18003569377");
}

TEST(PhoneTest, CanonicalIsFixedPoint) {
  for (const char* e164 : {"+4917612345678", "+442079460958", "+12015550123"}) {
    EXPECT_EQ(Norm(kPhone, e164), e164);
    EXPECT_EQ(Norm(kPhone, e164, Region("FR")), e164);
  }
}

TEST(InputTest, BadInputRefusedForEveryType) {
  const std::string too_long(3000, '1');
  const std::string bad_utf8 = "0176\xff\xfe 1234";
  const std::string with_nul("0176\0 1234", 10);
  for (int t = 0; t <= 7; ++t) {
    const auto type = static_cast<IndicatorType>(t);
    EXPECT_EQ(Norm(type, too_long, Region("DE")), "!input too long");
    EXPECT_EQ(Norm(type, bad_utf8, Region("DE")), "!input is not valid UTF-8");
    EXPECT_EQ(Norm(type, with_nul, Region("DE")),
              "!input contains control characters");
    EXPECT_EQ(Norm(type, "   ", Region("DE")), "!empty value");
    EXPECT_EQ(Norm(type, "a\nb", Region("DE")).rfind("!", 0), 0u);
  }
  EXPECT_EQ(Norm(IndicatorType::kUnspecified, "x"),
            "!indicator type not specified");
}

// Every refusal of a corpus of hostile and ordinary values: the message must
// not contain the sensitive part of the input, nor any run of 4 of its
// characters (digits of a number, part of a name). The sensitive parts use
// letter runs that occur in no English reason.
TEST(NoLeakTest, ErrorMessagesNeverQuoteTheInput) {
  struct Leak {
    IndicatorType type;
    std::string raw;
    std::string secret;  // empty: the whole input
  };
  const IndicatorType kH = IndicatorType::kHandle;
  const std::vector<Leak> corpus = {
      {kPhone, "0176 9876 54329 8765", ""}, {kPhone, "+49 9876", "9876"},
      {kPhone, "+999 876543", ""}, {kPhone, "0800-QZXJWKV", "QZXJWKV"},
      {kPhone, "tel:+4930987654;ext=4321", "4930987654"},
      {kPhone, "https://wa.me/qzxjwkv", "qzxjwkv"}, {kPhone, "98765", ""},
      {kPhone, "987", ""},
      {kH, "instagram:qzx..jwkv", "qzx..jwkv"},
      {kH, "x:qzxjwkvqzxjwkvqzxjwkv", "qzxjwkvqzxjwkvqzxjwkv"},
      {kH, "telegram:qzxjеwkv", "qzxj"},  // Cyrillic е
      {kH, "qzxjwkv:name", "qzxjwkv"}, {kH, "@qzxjwkv", "qzxjwkv"},
      {kH, "https://example.org/qzxjwkv", "qzxjwkv"},
      {kH, "https://t.me/joinchat/QZXJWKV", "QZXJWKV"},
      {kH, "whatsapp:0176 9876 54329 8765", "9876 5432"},
      {IndicatorType::kUrl, "javascript:qzxjwkv()", "qzxjwkv"},
      {IndicatorType::kUrl, "https://qzx:jwkvqz@example.com/", "jwkvqz"},
      {IndicatorType::kUrl, "https://qzx jwkv.com/", "jwkv"},
      {IndicatorType::kUrl, "https://example.com/%zzqzxjwkv", "qzxjwkv"},
      {IndicatorType::kEmail, "qzx..jwkv@example.com", "qzx..jwkv"},
      {IndicatorType::kEmail, "qzxjwkv@qzxjwkv", "qzxjwkv"},
      {IndicatorType::kEmail, "qzxjwkv", ""},
      {IndicatorType::kIban, "DE89370400440532013001", ""},
      {IndicatorType::kIban, "ZZ89370400440532013000", ""},
      {IndicatorType::kCryptoWallet, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", ""},
      {IndicatorType::kCryptoWallet,
       "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", ""},
      {IndicatorType::kCryptoWallet,
       "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", ""},
      {IndicatorType::kImei, "490154203237519", ""},
      {IndicatorType::kImei, "4901542032375", ""},
  };
  for (const Leak& l : corpus) {
    absl::StatusOr<Canonical> c =
        TheNormalizer().Normalize(l.type, l.raw, Region("DE"));
    ASSERT_FALSE(c.ok()) << l.raw;
    const std::string msg(c.status().message());
    const std::string secret = l.secret.empty() ? l.raw : l.secret;
    for (size_t i = 0; i + 4 <= secret.size(); ++i) {
      const std::string piece = secret.substr(i, 4);
      if (piece.find_first_of(" .:/-+@") != std::string::npos) continue;
      EXPECT_EQ(msg.find(piece), std::string::npos)
          << "message '" << msg << "' quotes input";
    }
  }
}

}  // namespace
}  // namespace ifed::normalize
