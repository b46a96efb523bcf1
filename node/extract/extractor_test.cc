#include "node/extract/extractor.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
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

}  // namespace
}  // namespace ifed::extract
