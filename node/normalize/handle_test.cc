// Handles: platform:name, profile URLs, per-platform rules, Unicode and
// confusables, and the messenger platforms that are phone numbers.
#include <gtest/gtest.h>

#include "node/normalize/normalizer.h"
#include "node/normalize/test_util.h"

namespace ifed::normalize {
namespace {

using ::ifed::normalize::testing::Norm;
using ::ifed::normalize::testing::OnPlatform;
using ::ifed::normalize::testing::Region;
using ::ifed::normalize::testing::RunCases;
using ::ifed::normalize::testing::TheNormalizer;

constexpr IndicatorType kHandle = IndicatorType::kHandle;

TEST(HandleTest, IssueDoneWhenFacebookPageSpellingsMeet) {
  const std::string want = "facebook:somepage";
  EXPECT_EQ(Norm(kHandle, "@some.page", OnPlatform("facebook")), want);
  EXPECT_EQ(Norm(kHandle, "https://m.facebook.com/Some.Page/?ref=share#x"), want);
  EXPECT_EQ(Norm(kHandle, "facebook.com/some.page"), want);
  EXPECT_EQ(Norm(kHandle, "fb:SomePage"), want);
  EXPECT_EQ(Norm(kHandle, "https://mbasic.facebook.com/somepage/posts/123"), want);
}

TEST(HandleTest, TelegramSpellingsMeet) {
  const std::string want = "telegram:channel_name";
  for (const char* raw :
       {"telegram:@Channel_Name", "tg:channel_name", "t.me/s/Channel_Name",
        "https://telegram.me/channel_name", "https://t.me/channel_name/123",
        "telegram.dog/channel_name", "tg://resolve?domain=Channel_Name",
        "telegram:＠Ｃｈａｎｎｅｌ＿Ｎａｍｅ"}) {
    EXPECT_EQ(Norm(kHandle, raw), want) << raw;
  }
  EXPECT_EQ(Norm(kHandle, "@Channel_Name", OnPlatform("telegram")), want);
}

TEST(HandleTest, Platforms) {
  RunCases(kHandle, {
      {"instagram:Some.User_1", {}, "instagram:some.user_1"},
      {"https://www.instagram.com/some.user_1/?igsh=abc", {}, "instagram:some.user_1"},
      {"instagram.com/stories/some.user_1/123", {}, "instagram:some.user_1"},
      {"tiktok:@Dancer.01", {}, "tiktok:dancer.01"},
      {"https://www.tiktok.com/@dancer.01/video/72?_t=x", {}, "tiktok:dancer.01"},
      {"x:Jack", {}, "x:jack"},
      {"twitter:@jack", {}, "x:jack"},
      {"https://twitter.com/jack/status/20", {}, "x:jack"},
      {"https://mobile.twitter.com/Jack", {}, "x:jack"},
      {"https://twitter.com/#!/jack", {}, "x:jack"},
      {"x.com/jack", {}, "x:jack"},
      {"vk:Durov", {}, "vk:durov"},
      {"https://m.vk.com/id1", {}, "vk:id1"},
      {"youtube:@Some-Channel", {}, "youtube:some-channel"},
      {"https://www.youtube.com/@some-channel/videos", {}, "youtube:some-channel"},
      {"https://youtube.com/channel/UCBR8-60-B28hp2BmDPdntcQ", {},
       "youtube:channel/UCBR8-60-B28hp2BmDPdntcQ"},
      {"https://youtube.com/user/SomeUser", {}, "youtube:user/someuser"},
      {"youtube:@Гагарин", {}, "youtube:гагарин"},
      {"snapchat:Snap.User", {}, "snapchat:snap.user"},
      {"https://www.snapchat.com/add/snap.user", {}, "snapchat:snap.user"},
      {"facebook.com/profile.php?id=100012345678&ref=bookmarks", {},
       "facebook:id/100012345678"},
      {"facebook.com/groups/123456/", {}, "facebook:group/123456"},
      {"facebook.com/people/Some-Name/100012345678/", {}, "facebook:id/100012345678"},
      {"facebook:100012345678", {}, "facebook:id/100012345678"},
      {"signal:Alice.42", {}, "signal:alice.42"},
      {"jack", OnPlatform("twitter"), "x:jack"},
  });
}

TEST(HandleTest, MessengersAreTelephones) {
  const Options de = Region("DE");
  const std::string want = "+4917612345678";
  for (const char* raw :
       {"whatsapp:+49 176 12345678", "whatsapp:4917612345678", "wa:0176 12345678",
        "https://wa.me/4917612345678", "viber:+4917612345678",
        "viber://chat?number=4917612345678", "signal:+49 176 12345678",
        "https://signal.me/#p/+4917612345678",
        "whatsapp:4917612345678@s.whatsapp.net"}) {
    absl::StatusOr<Canonical> c = TheNormalizer().Normalize(
        kHandle, raw, std::string(raw).find("wa:0") == 0 ? de : Options{});
    ASSERT_TRUE(c.ok()) << raw << ": " << c.status();
    EXPECT_EQ(c->type, IndicatorType::kPhone) << raw;
    EXPECT_EQ(c->value, want) << raw;
  }
  absl::StatusOr<Canonical> h = TheNormalizer().Normalize(kHandle, "x:jack", {});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->type, kHandle);
}

TEST(HandleTest, ConfusablesRefused) {
  RunCases(kHandle, {
      // Cyrillic а (U+0430) inside a Latin name.
      {"telegram:p\xD0\xB0ypal_support", {}, "!mixed-script look-alike"},
      {"instagram:\xD0\xB0\xD1\x80\xD0\xB5", {}, "!look-alike characters from another script"},
      {"youtube:@p\xD0\xB0ypal", {}, "!mixed-script look-alike"},
      // Invisible characters vanish under NFKC_Casefold; full-width folds.
      {"x:ja\xE2\x80\x8B" "ck", {}, "x:jack"},
      {"x:ｊａｃｋ", {}, "x:jack"},
      {"x:jäck", {}, "!characters not allowed in handle for x"},
  });
}

TEST(HandleTest, Refusals) {
  RunCases(kHandle, {
      {"@jack", {}, "!needs a platform"},
      {"jack", {}, "!needs a platform"},
      {"myspace:jack", {}, "!unknown platform"},
      {"x:jack", OnPlatform("telegram"), "!disagree"},
      {"jack", OnPlatform("myspace"), "!unknown platform"},
      {"instagram:" + std::string(31, 'a'), {}, "!handle too long for instagram (max 30)"},
      {"x:sixteen_chars_xy", {}, "!too long for x (max 15)"},
      {"instagram:.dot", {}, "!misplaced dot"},
      {"instagram:a..b", {}, "!misplaced dot"},
      {"telegram:1abcde", {}, "!start with a letter"},
      {"telegram:abc", {}, "!too short for telegram"},
      {"telegram:abcde_", {}, "!underscore"},
      {"tiktok:name.", {}, "!ends with a dot"},
      {"facebook:abc", {}, "!too short for facebook"},
      {"x:jack!", {}, "!characters not allowed"},
      {"x:", {}, "!empty handle"},
      {"https://t.me/joinchat/AAAAAEkk", {}, "!invite"},
      {"https://t.me/+AbCdEf12", {}, "!invite"},
      {"https://www.instagram.com/p/CxYzAbC/", {}, "!not a profile"},
      {"https://facebook.com/sharer.php?u=x", {}, "!not a profile"},
      {"https://example.com/jack", {}, "!not a profile"},
      {"https://signal.me/#eu/abc", {}, "!encrypted"},
      {"youtube:channel/UCshort", {}, "!channel id"},
      {"whatsapp:0176 12345678", {}, "!needs a default region"},
      {"whatsapp:112", Region("DE"), "!emergency"},
      {"signal:alice", {}, "!signal username"},
  });
}

TEST(HandleTest, CanonicalIsFixedPoint) {
  for (const char* c : {"facebook:somepage", "facebook:id/100012345678",
                        "facebook:group/123456", "telegram:channel_name",
                        "youtube:channel/UCBR8-60-B28hp2BmDPdntcQ", "x:jack",
                        "signal:alice.42", "youtube:гагарин"}) {
    EXPECT_EQ(Norm(kHandle, c), c);
  }
}

}  // namespace
}  // namespace ifed::normalize
