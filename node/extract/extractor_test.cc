#include "node/extract/extractor.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"

namespace ifed::extract {
namespace {

const Extractor& TheExtractor() {
  static const normalize::Normalizer* n = normalize::Normalizer::Create().value().release();
  static const Extractor* e = Extractor::Create(n).value().release();
  return *e;
}

// "type canonical [b,e) evasions" per indicator.
std::vector<std::string> Found(std::string_view text, std::string region = "") {
  ExtractOptions o;
  o.region = std::move(region);
  auto r = TheExtractor().Extract(text, o);
  EXPECT_TRUE(r.ok()) << r.status();
  std::vector<std::string> out;
  if (!r.ok()) return out;
  for (const Indicator& i : r->indicators) {
    out.push_back(absl::StrCat(TypeName(i.type), " ", i.canonical, " [", i.span.begin, ",",
                               i.span.end, ") ", EvasionNames(i.evasions)));
  }
  return out;
}

// Canonical values only.
std::vector<std::string> Values(std::string_view text, std::string region = "") {
  ExtractOptions o;
  o.region = std::move(region);
  auto r = TheExtractor().Extract(text, o);
  EXPECT_TRUE(r.ok()) << r.status();
  std::vector<std::string> out;
  if (!r.ok()) return out;
  for (const Indicator& i : r->indicators) {
    out.push_back(absl::StrCat(TypeName(i.type), " ", i.canonical));
    for (const auto& d : i.derived) out.push_back(absl::StrCat("  ", TypeName(d.type), " ", d.value));
  }
  return out;
}

using V = std::vector<std::string>;

TEST(Extractor, PlainInternationalPhoneWithSpan) {
  EXPECT_EQ(Found("call +90 532 614 27 83 now"),
            V{"phone +905326142783 [5,22) "});
}

TEST(Extractor, EasternArabicAndPersianDigits) {
  // ٠٥٣٢ ٦١٤ ٢٧ ٨٣ (Arabic-Indic) and ۰۵۳۲۶۱۴۲۷۸۳ (Persian), region TR.
  EXPECT_EQ(Found("اتصل ٠٥٣٢ ٦١٤ ٢٧ ٨٣", "TR"),
            V{"phone +905326142783 [5,19) non-ascii-digits"});
  EXPECT_EQ(Found("شماره: ۰۵۳۲۶۱۴۲۷۸۳", "TR"),
            V{"phone +905326142783 [7,18) non-ascii-digits"});
}

TEST(Extractor, CircledSuperscriptAndMathematicalDigits) {
  EXPECT_EQ(Found("⓪⑤③② ⑥①④ ②⑦ ⑧③", "TR"),
            V{"phone +905326142783 [0,14) non-ascii-digits"});
  EXPECT_EQ(Values("⁰⁵³² ⁶¹⁴ ²⁷ ⁸³", "TR"), V{"phone +905326142783"});
  EXPECT_EQ(Values("𝟎𝟓𝟑𝟐 𝟔𝟏𝟒 𝟐𝟕 𝟖𝟑", "TR"), V{"phone +905326142783"});
  EXPECT_EQ(Values("⑩⑪ ½ 120 m²", "TR"), V{});
}

TEST(Extractor, FullWidthDigits) {
  EXPECT_EQ(Found("tel ＋９０ ５３２ ６１４ ２７ ８３"),
            V{"phone +905326142783 [4,21) full-width"});
}

TEST(Extractor, KeycapEmojiSpanCoversTheWholeSequence) {
  // 0️⃣5️⃣3️⃣2️⃣6️⃣1️⃣4️⃣2️⃣7️⃣8️⃣3️⃣: 11 keycaps of 3 code points each.
  std::string keycaps;
  for (char d : std::string("05326142783")) keycaps += std::string(1, d) + "\xEF\xB8\x8F\xE2\x83\xA3";
  EXPECT_EQ(Found("ara " + keycaps + " !", "TR"),
            V{"phone +905326142783 [4,37) keycap"});
}

TEST(Extractor, SpacedDottedDashedDigits) {
  EXPECT_EQ(Values("0 5 3 2 6 1 4 2 7 8 3", "TR"), V{"phone +905326142783"});
  EXPECT_EQ(Found("0.5.3.2.6.1.4.2.7.8.3", "TR"),
            V{"phone +905326142783 [0,21) separated"});
  EXPECT_EQ(Values("0532-614-27-83", "TR"), V{"phone +905326142783"});
}

TEST(Extractor, LetterOAndLInsideDigitRuns) {
  EXPECT_EQ(Found("whatsapp +90 532 6l4 27 83", ""),
            V{"phone +905326142783 [9,26) letter-digits"});
  EXPECT_EQ(Values("num: O532 614 27 83", "TR"), V{"phone +905326142783"});
}

TEST(Extractor, ArabiziWordsNeverYieldPhones) {
  EXPECT_EQ(Values("7abibi 3arab 2ool 5alas ma3a 3ala tari2 el 7al", "TR"), V{});
  EXPECT_EQ(Values("2ool 2ool 3ool 7ool 2ool 2ool", "TR"), V{});
  EXPECT_EQ(Values("ya 7abibi kalimni 3al +90 532 614 27 83 ba3den", "TR"),
            V{"phone +905326142783"});
}

TEST(Extractor, InvisibleCharactersInsideANumber) {
  EXPECT_EQ(Found("+90\u200B532\u200C614\u200D2783"),
            V{"phone +905326142783 [0,16) invisible"});
}

TEST(Extractor, NumberRunningIntoOtherDigits) {
  EXPECT_EQ(Found("telegram: @safar_rahat +90 532 614 27 83 2500 euro"),
            (V{"handle telegram:safar_rahat [10,22) platform-word",
               "phone +905326142783 [23,40) "}));
  EXPECT_EQ(Values("2500 0532 614 27 83", "TR"), V{"phone +905326142783"});
  EXPECT_EQ(Values("2500 3000 4500 12000 euro", "TR"), V{});
}

TEST(Extractor, GluedContactWord) {
  EXPECT_EQ(Found("whatsapp05326142783", "TR"),
            V{"phone +905326142783 [8,19) glued"});
}

TEST(Extractor, ClickToChatAndTelegramLinks) {
  EXPECT_EQ(Values("yaz bana wa.me/905326142783 hemen"),
            (V{"url https://wa.me/905326142783", "  phone +905326142783"}));
  EXPECT_EQ(Values("channel: https://t.me/s/Yol_Rehberi."),
            (V{"url https://t.me/s/Yol_Rehberi", "  handle telegram:yol_rehberi"}));
}

TEST(Extractor, EmailAndUrlWithTrailingPunctuation) {
  EXPECT_EQ(Values("écrivez à contact.voyage@passage-sur.fr, ou voir www.passage-sur.fr/prix."),
            (V{"email contact.voyage@passage-sur.fr", "url https://www.passage-sur.fr/prix"}));
}

TEST(Extractor, PlatformWordsInSeveralScripts) {
  EXPECT_EQ(Found("telegram: @Safar_Rahat"), V{"handle telegram:safar_rahat [10,22) platform-word"});
  EXPECT_EQ(Values("تلگرام: @safar_rahat"), V{"handle telegram:safar_rahat"});
  EXPECT_EQ(Values("تيليجرام @safar_rahat"), V{"handle telegram:safar_rahat"});
  EXPECT_EQ(Values("تلغرام: safar_rahat"), V{"handle telegram:safar_rahat"});
  EXPECT_EQ(Values("insta: @yol.rehberi"), V{"handle instagram:yol.rehberi"});
  EXPECT_EQ(Values("snap @yolrehber"), V{"handle snapchat:yolrehber"});
  EXPECT_EQ(Values("ቴሌግራም: @safar_rahat"), V{"handle telegram:safar_rahat"});
}

TEST(Extractor, NonLatinPlatformWordThenLatinHandle) {
  EXPECT_EQ(Values("تلگرام safar_rahat"), V{"handle telegram:safar_rahat"});
  EXPECT_EQ(Values("ቴሌግራም safar.rahat2"), V{});  // telegram names take no '.'.
  EXPECT_EQ(Values("انستغرام safar.rahat2"), V{"handle instagram:safar.rahat2"});
  EXPECT_EQ(Values("تلگرام channel"), V{});  // a plain word: not taken.
}

TEST(Extractor, BracketedAtAndDot) {
  EXPECT_EQ(Found("mail safar [at] mail-demo-box [dot] net"),
            V{"email safar@mail-demo-box.net [5,39) bracketed"});
  EXPECT_EQ(Values("kanal t(.)me/safar_rahat"),
            (V{"url https://t.me/safar_rahat", "  handle telegram:safar_rahat"}));
  EXPECT_EQ(Values("meet (at) noon, see you [dot]"), V{});
}

TEST(Extractor, PlatformWordWithoutMarkerIsNotAHandle) {
  EXPECT_EQ(Values("follow us on insta for more"), V{});
  EXPECT_EQ(Values("instagrammer life"), V{});
}

TEST(Extractor, WithoutRegionNationalNumbersAreNotRead) {
  EXPECT_EQ(Values("0532 614 27 83"), V{});
  EXPECT_EQ(Values("0532 614 27 83", "TR"), V{"phone +905326142783"});
}

TEST(Extractor, RefusedCandidatesAreCountedNotReported) {
  auto r = TheExtractor().Extract("telegram: @ab and tg: @x_", {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->indicators.empty());
  EXPECT_GE(r->rejected, 1u);
}

TEST(Extractor, WarningListValuesCarryTheReason) {
  auto r = TheExtractor().Extract("see https://example.com/x", {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->indicators.size(), 1u);
  EXPECT_FALSE(r->indicators[0].warning.empty());
}

TEST(Extractor, BadUtf8IsRefusedWithTheByteOffset) {
  auto r = TheExtractor().Extract("abc\xC3\x28 +90 532 614 27 83", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "not valid UTF-8 at byte 3");
  EXPECT_FALSE(TheExtractor().Extract("\xFF", {}).ok());
  EXPECT_FALSE(TheExtractor().Extract("\xED\xA0\x80", {}).ok());  // a surrogate.
}

TEST(Extractor, OversizedPostIsRefused) {
  std::string big(kMaxPostBytes + 1, 'a');
  EXPECT_EQ(TheExtractor().Extract(big, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Extractor, ErrorsNeverQuoteTheText) {
  auto r = TheExtractor().Extract("+905326142783 \xC3", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::string(r.status().message()).find("532"), std::string::npos);
}

TEST(Extractor, SpansAreCodePointsOfTheOriginal) {
  // Three 2-byte Arabic letters, one 4-byte emoji, then the number.
  const std::string text = "رقم 📞 +90 532 614 27 83";
  auto r = TheExtractor().Extract(text, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->indicators.size(), 1u);
  EXPECT_EQ(r->indicators[0].span.begin, 6u);
  EXPECT_EQ(r->indicators[0].span.end, 23u);
}

TEST(Extractor, OneIndicatorPerOccurrenceInTextOrder) {
  EXPECT_EQ(Values("+90 532 614 27 83 / snap: @yolrehber / +90 532 614 27 83"),
            (V{"phone +905326142783", "handle snapchat:yolrehber", "phone +905326142783"}));
}

// Made-up identifiers with valid checksums (tests/data/posts/make_corpus.py
// computes them); none is on the warning list.
constexpr char kBtcP2pkh[] = "16aq1G7qGrvyXcboDTtiLmyhF6zYadJr7a";
constexpr char kBtcP2sh[] = "34y8jDYBUqRosXJPozZWh3c5pyqsLTuzFi";
constexpr char kBech32[] = "bc1q5v9f3gfsf4zj9fq4dkvel5vkpzuxzucnna342s";
constexpr char kBech32m[] = "bc1pyewk05u3lcu836v55c7w0mfjg2yfu6p4hwwkgcgfqsjzq3gc8nwq00v4ah";
constexpr char kTron[] = "TYsfTHdYdRbyDKFZ5zCGAoAf3a1YncdaBk";
constexpr char kEth[] = "0x09b5fa0b90eaa97b7f0377f585c330c1a57b16ff";

TEST(Extractor, WalletsOfEveryFormat) {
  EXPECT_EQ(Values(absl::StrCat("Zahlung BTC an ", kBech32, " bitte")),
            V{absl::StrCat("crypto btc:", kBech32)});
  EXPECT_EQ(Values(absl::StrCat("pay to ", kBtcP2pkh, " or ", kBtcP2sh, ".")),
            (V{absl::StrCat("crypto btc:", kBtcP2pkh), absl::StrCat("crypto btc:", kBtcP2sh)}));
  EXPECT_EQ(Values(absl::StrCat("taproot: ", kBech32m)), V{absl::StrCat("crypto btc:", kBech32m)});
  EXPECT_EQ(Values(absl::StrCat("USDT (TRC20) ", kTron, "، شكرا")),
            V{absl::StrCat("crypto trx:", kTron)});
  EXPECT_EQ(Values(absl::StrCat("ETH: ", kEth)), V{absl::StrCat("crypto eth:", kEth)});
  // Upper-case bech32 (QR-code style) and a BIP-21 URI.
  EXPECT_EQ(Values(absl::StrCat("BTC ", absl::AsciiStrToUpper(kBech32))),
            V{absl::StrCat("crypto btc:", kBech32)});
  EXPECT_EQ(Values(absl::StrCat("bitcoin:", kBtcP2pkh, "?amount=0.1")),
            V{absl::StrCat("crypto btc:", kBtcP2pkh)});
  // EIP-55 mixed case: the EIP's own example is accepted, one flipped
  // letter case is not.
  EXPECT_EQ(Values("eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            V{"crypto eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"});
  EXPECT_EQ(Values("eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"), V{});
}

TEST(Extractor, WalletChecksumOffByOneCharacterIsRefused) {
  auto bump = [](std::string s, size_t i) {
    s[i] = s[i] == 'z' ? 'y' : (s[i] == '9' ? '8' : static_cast<char>(s[i] + 1));
    return s;
  };
  for (const char* a : {kBtcP2pkh, kBtcP2sh, kBech32, kBech32m, kTron}) {
    const std::string bad = bump(a, std::string_view(a).size() - 3);
    auto r = TheExtractor().Extract("send to " + bad, {});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->indicators.empty()) << bad;
    EXPECT_GE(r->rejected, 1u) << bad;
  }
  // Glued to letters or too long: no candidate at all.
  EXPECT_EQ(Values(absl::StrCat("x", kBtcP2pkh)), V{});
  EXPECT_EQ(Values(absl::StrCat(kEth, "a")), V{});
}

TEST(Extractor, IbanSpacedPlainAndInOtherDigitScripts) {
  EXPECT_EQ(Found("IBAN: DE14 3704 0044 1234 5678 90 bitte"),
            V{"iban DE14370400441234567890 [6,33) "});
  EXPECT_EQ(Values("Überweisung an DE14370400441234567890."), V{"iban DE14370400441234567890"});
  EXPECT_EQ(Values("hesap TR33-0006-1005-1978-6457-8413-26 (Ziraat)"),
            V{"iban TR330006100519786457841326"});
  // Eastern Arabic and Persian digits after a Latin country code.
  EXPECT_EQ(Found("الحساب IQ٩٨ NBIQ ٨٥٠١ ٢٣٤٥ ٦٧٨٩ ٠١٢"),
            V{"iban IQ98NBIQ850123456789012 [7,35) non-ascii-digits"});
  EXPECT_EQ(Values("حساب GR۱۶ ۰۱۱۰ ۱۲۵۰ ۰۰۰۰ ۰۰۰۱ ۲۳۰۰ ۶۹۵"),
            V{"iban GR1601101250000000012300695"});
  // Followed by an amount: the country's length decides where it ends.
  EXPECT_EQ(Values("AT34 1904 3002 3457 3202 1500 EUR"), V{"iban AT341904300234573202"});
}

TEST(Extractor, IbanNearMissesAreNotFound) {
  // One digit off: mod 97 fails.
  auto r = TheExtractor().Extract("IBAN DE14 3704 0044 1234 5678 91", {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->indicators.empty());
  EXPECT_GE(r->rejected, 1u);
  // Runs on past the country's length; unknown country; a product code.
  EXPECT_EQ(Values("DE14 3704 0044 1234 5678 9012"), V{});
  EXPECT_EQ(Values("ZZ14 3704 0044 1234 5678 90"), V{});
  EXPECT_EQ(Values("model AB12 CD34 in stock, order 2026-03-12"), V{});
}

TEST(Extractor, ImeiNeedsItsLabelAndLuhn) {
  EXPECT_EQ(Found("IMEI: 35 209900 176148 1"), V{"imei 352099001761481 [6,24) "});
  EXPECT_EQ(Values("imei ٨٦٤٩٨٤٠٣٢١٥٩٧٣٣ (Samsung)"), V{"imei 864984032159733"});
  EXPECT_EQ(Values("IMEI-Nr. 35-209900-176148-1"), V{"imei 352099001761481"});
  // IMEISV: 16 digits, the software version dropped.
  EXPECT_EQ(Values("IMEISV 3520990017614807"), V{"imei 352099001761481"});
  // Luhn off by one digit.
  auto r = TheExtractor().Extract("IMEI 352099001761482", {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->indicators.empty());
  EXPECT_GE(r->rejected, 1u);
  // Without a label a Luhn-valid 15-digit number is an order number; 14
  // digits after a label are not completed.
  EXPECT_EQ(Values("order 352099001761481 shipped"), V{});
  EXPECT_EQ(Values("IMEI 35209900176148"), V{});
}

TEST(Extractor, IbanAndImeiGluedToTheirLabelAreSplitLikeAContactWord) {
  // The shadow splits a label glued to the number as it splits
  // "whatsapp0532...": a space before the identifier, flagged "glued".
  EXPECT_EQ(Found("IBANDE89370400440532013000 sofort"),
            V{"iban DE89370400440532013000 [4,26) glued"});
  EXPECT_EQ(Values("ibanTR330006100519786457841326"), V{"iban TR330006100519786457841326"});
  EXPECT_EQ(Values("IBANIQ٩٨NBIQ٨٥٠١٢٣٤٥٦٧٨٩٠١٢"), V{"iban IQ98NBIQ850123456789012"});
  EXPECT_EQ(Found("IMEI352099001761481"), V{"imei 352099001761481 [4,19) glued"});
  EXPECT_EQ(Values("imeisv3520990017614807"), V{"imei 352099001761481"});
  // Near misses stay refused when glued: a check digit off by one, a
  // country code that is not one, a word that only starts like the label.
  EXPECT_EQ(Values("IBANDE89370400440532013001"), V{});
  EXPECT_EQ(Values("IMEI352099001761482"), V{});
  EXPECT_EQ(Values("IBANZZ89370400440532013000"), V{});
  EXPECT_EQ(Values("ibanez1234 guitar"), V{});
}

TEST(Extractor, IbanGroupedInFoursAndImeiInGroupsInEveryDigitScript) {
  EXPECT_EQ(Found("IBAN DE89 3704 0044 0532 0130 00"),
            V{"iban DE89370400440532013000 [5,32) "});
  EXPECT_EQ(Values("IBAN DE89 ۳۷۰۴ ۰۰۴۴ ۰۵۳۲ ۰۱۳۰ ۰۰"), V{"iban DE89370400440532013000"});
  EXPECT_EQ(Values("IBAN DE٨٩ ٣٧٠٤ ٠٠٤٤ ٠٥٣٢ ٠١٣٠ ٠٠"), V{"iban DE89370400440532013000"});
  EXPECT_EQ(Values("IMEI 35-209900-176148-1"), V{"imei 352099001761481"});
  EXPECT_EQ(Values("IMEI 35 209900 176148 1"), V{"imei 352099001761481"});
  EXPECT_EQ(Values("IMEI ۳۵ ۲۰۹۹۰۰ ۱۷۶۱۴۸ ۱"), V{"imei 352099001761481"});
  EXPECT_EQ(Values("IMEI ٣٥-٢٠٩٩٠٠-١٧٦١٤٨-١"), V{"imei 352099001761481"});
  // Run on into a price: the IMEI ends at the group after its 15th digit.
  EXPECT_EQ(Values("IMEI 35 209900 176148 1 1 250 000 EUR"), V{"imei 352099001761481"});
  EXPECT_EQ(Values("IMEISV 35 209900 176148 07 2500"), V{"imei 352099001761481"});
  EXPECT_EQ(Values("IMEI 3520990017614811 250"), V{});  // 16 digits in one group
  // Grouped, one digit off: refused.
  EXPECT_EQ(Values("IBAN DE89 3704 0044 0532 0130 01"), V{});
  EXPECT_EQ(Values("IMEI 35-209900-176148-2"), V{});
}

TEST(Extractor, PricesDatesAndLongNumbersWithoutContextAreNoIdentifiers) {
  for (const char* post : {"1 250 000 EUR", "Preis: 1 250 000 EUR, Abfahrt 12.03.2026",
                           "السعر ١ ٢٥٠ ٠٠٠ يورو", "سفارش ۳۵۲۰۹۹۰۰۱۷۶۱۴۸۱ ارسال شد",
                           "tracking 352099001761481", "ref 35-209900-176148-1",
                           "2026-03-12 14:30, order 100045872231"}) {
    SCOPED_TRACE(post);
    ExtractOptions o;
    o.region = "DE";
    auto r = TheExtractor().Extract(post, o);
    ASSERT_TRUE(r.ok());
    for (const Indicator& i : r->indicators) {
      ADD_FAILURE() << TypeName(i.type) << " " << i.canonical;
    }
  }
}

TEST(Extractor, PricesDatesAndOrderNumbersYieldNoPaymentIdentifier) {
  EXPECT_EQ(Values("price 2500 EUR, 12.03.2026, order #100045872231, ref 1A2B3C4D5E6F"), V{});
  EXPECT_EQ(Values("Preis 1.500,00 € / Bestellung 3000000000000000000000000 / Tel 1500"), V{});
  EXPECT_EQ(Values("0x1234 and 0xdeadbeef are not addresses"), V{});
}

}  // namespace
}  // namespace ifed::extract
