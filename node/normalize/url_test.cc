// URLs: RFC 3986 normalisation, IDNA, tracking parameters, platform hosts.
#include <gtest/gtest.h>

#include "node/normalize/normalizer.h"
#include "node/normalize/test_util.h"

namespace ifed::normalize {
namespace {

using ::ifed::normalize::testing::Norm;
using ::ifed::normalize::testing::RunCases;

constexpr IndicatorType kUrl = IndicatorType::kUrl;

TEST(UrlTest, Normalisation) {
  RunCases(kUrl, {
      {"HTTPS://Example.COM/a/b", {}, "https://example.com/a/b"},
      {"example.com", {}, "https://example.com/"},
      {"http://example.com:80/x", {}, "http://example.com/x"},
      {"https://example.com:443/x", {}, "https://example.com/x"},
      {"https://example.com:8443/x", {}, "https://example.com:8443/x"},
      {"https://example.com/a/./b/../c/", {}, "https://example.com/a/c/"},
      {"https://example.com/../../a", {}, "https://example.com/a"},
      {"https://example.com/%7euser/%2fx%3a", {}, "https://example.com/~user/%2Fx%3A"},
      {"https://example.com/%41%42c", {}, "https://example.com/ABc"},
      {"https://example.com/a b/ü", {}, "https://example.com/a%20b/%C3%BC"},
      {"https://example.com/x#frag", {}, "https://example.com/x"},
      {"https://example.com/x?utm_source=a&id=5&fbclid=z&b=2&gclid=q#f", {},
       "https://example.com/x?id=5&b=2"},
      {"https://example.com/?utm_medium=x", {}, "https://example.com/"},
      {"https://example.com/?b=1&a=2", {}, "https://example.com/?b=1&a=2"},
      {"https://bücher.de/", {}, "https://xn--bcher-kva.de/"},
      {"https://BÜCHER.de./", {}, "https://xn--bcher-kva.de/"},
      {"https://ｅｘａｍｐｌｅ.com/", {}, "https://example.com/"},
      {"https://192.168.0.1:80/", {}, "https://192.168.0.1:80/"},
      {"http://[2001:DB8::0:1]/", {}, "http://[2001:db8::1]/"},
      {"https://example.com\\a\\b", {}, "https://example.com/a/b"},
  });
}

TEST(UrlTest, PlatformHostsFolded) {
  RunCases(kUrl, {
      {"https://m.facebook.com/Some.Page/?ref=share#x", {},
       "https://facebook.com/Some.Page"},
      {"https://mbasic.facebook.com/Some.Page?__tn__=C-R", {},
       "https://facebook.com/Some.Page"},
      {"https://mobile.twitter.com/jack/status/20?s=20&t=abc", {},
       "https://x.com/jack/status/20"},
      {"https://twitter.com/jack", {}, "https://x.com/jack"},
      {"https://telegram.me/name/", {}, "https://t.me/name"},
      {"https://www.instagram.com/p/CxYz/?igsh=MWQ1", {}, "https://instagram.com/p/CxYz"},
      {"https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&si=x", {},
       "https://youtube.com/watch?v=dQw4w9WgXcQ"},
      {"https://www.example.com/", {}, "https://www.example.com/"},
      {"https://example.com/dir/", {}, "https://example.com/dir/"},
  });
}

TEST(UrlTest, Refusals) {
  RunCases(kUrl, {
      {"ftp://example.com/x", {}, "!only http and https"},
      {"javascript:alert(1)", {}, "!only http and https"},
      {"mailto:a@example.com", {}, "!only http and https"},
      {"https://user:pw@example.com/", {}, "!credentials"},
      {"https://exa mple.com/", {}, "!forbidden character"},
      {"https://example.com/%zz", {}, "!malformed percent"},
      {"https://example.com/%4", {}, "!malformed percent"},
      {"https:///x", {}, "!no host"},
      {"https://localhost/", {}, "!not a domain name"},
      {"https://example.com:99999/", {}, "!bad URL port"},
      {"https://example.com:12ab/", {}, "!bad URL port"},
      {"https://256.1.1.1/", {}, "!malformed IP"},
      {"https://[::zz]/", {}, "!malformed IP"},
      {"https://xn--a.com/", {}, "!IDNA"},
      {"https://a..b.com/", {}, "!empty label"},
      {"https://0x7f.0.0.1/", {}, "!numeric top-level"},
      {"https://example.123/", {}, "!numeric top-level"},
  });
}

// Regression (fuzzer): UTS #46 without STD3 rules maps compatibility
// characters to ASCII that a host may not hold: U+00A8 -> SPACE + U+0308,
// U+00A0/U+3000 -> SPACE, full-width ／？＃＠：％＼［ -> / ? # @ : % \ [.
// The canonical host used to carry them (raw space in a punycode label, or a
// "%" that the next parse decoded), so the canonical form was no fixed
// point. A host is now checked again after the mapping, as WHATWG does.
TEST(UrlTest, IdnaMappedForbiddenHostCharacters) {
  RunCases(kUrl, {
      {"https://WWW.E\u00a8mple.Ct.me43/a/./b/;a/.b.//./c?utm_{o/:p/sWWid", {},
       "!forbidden character in URL host"},
      {"https://e\u00a8mple.com/", {}, "!forbidden character in URL host"},
      {"https://exa\u00a0mple.com/", {}, "!forbidden character in URL host"},
      {"https://exa\u3000mple.com/", {}, "!forbidden character in URL host"},
      {"https://exa\uff0fmple.com/", {}, "!forbidden character in URL host"},
      {"https://exa\uff1fmple.com/", {}, "!forbidden character in URL host"},
      {"https://exa\uff03mple.com/", {}, "!forbidden character in URL host"},
      {"https://exa\uff20mple.com/", {}, "!forbidden character in URL host"},
      {"https://exa\uff1ample.com/", {}, "!forbidden character in URL host"},
      {"https://exa\uff05\uff14\uff11mple.com/", {}, "!forbidden character in URL host"},
      {"https://exa\uff3cmple.com/", {}, "!forbidden character in URL host"},
      {"https://exa\uff3bmple.com/", {}, "!forbidden character in URL host"},
      {"https://exa\u2100mple.com/", {}, "!forbidden character in URL host"},
      {"https://exa%C2%A8mple.com/", {}, "!forbidden character in URL host"},
      {"https://exa%7Fmple.com/", {}, "!forbidden character in URL host"},
      {"https://exa%09mple.com/", {}, "!forbidden character in URL host"},
      // Mappings to characters a host may hold still work.
      {"https://exa\u3002mple.com/", {}, "https://exa.mple.com/"},
      {"https://\uff45xample\uff0ecom/", {}, "https://example.com/"},
      {"https://my_host.example.com/", {}, "https://my_host.example.com/"},
  });
}

TEST(UrlTest, CanonicalIsFixedPoint) {
  for (const char* c :
       {"https://example.com/", "https://xn--bcher-kva.de/a%20b?x=1&y",
        "https://facebook.com/Some.Page", "http://[2001:db8::1]/",
        "https://example.com/~user/%2Fx%3A"}) {
    EXPECT_EQ(Norm(kUrl, c), c);
  }
}

}  // namespace
}  // namespace ifed::normalize
