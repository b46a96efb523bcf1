#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/metrics/registry.h"
#include "node/metrics/server.h"

namespace ifed::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Get(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "connect failed";
  (void)!::write(fd, request.data(), request.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

TEST(Registry, RendersTextFormat004) {
  Registry r;
  Counter* c = r.AddCounter("ifed_x_total", "Things.", {"peer", "result"});
  c->Inc({"at", "OK"});
  c->Inc({"at", "OK"}, 2);
  Histogram* h = r.AddHistogram("ifed_lat_seconds", "Latency.", {"method"}, {0.1, 1});
  h->Observe({"/m"}, 0.05);
  h->Observe({"/m"}, 0.5);
  h->Observe({"/m"}, 5);
  r.AddCallback("ifed_records", "Records.", "gauge", {"type"}, [] {
    return std::vector<Callback::Sample>{{{"phone"}, 7}};
  });
  const std::string page = r.Render();
  EXPECT_THAT(page, HasSubstr("# TYPE ifed_x_total "
                              "counter\nifed_x_total{peer=\"at\",result=\"OK\"} 3\n"));
  EXPECT_THAT(page, HasSubstr("ifed_lat_seconds_bucket{method=\"/m\",le=\"0.1\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("ifed_lat_seconds_bucket{method=\"/m\",le=\"1\"} 2\n"));
  EXPECT_THAT(page, HasSubstr("ifed_lat_seconds_bucket{method=\"/m\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(page, HasSubstr("ifed_lat_seconds_count{method=\"/m\"} 3\n"));
  EXPECT_THAT(page, HasSubstr("ifed_records{type=\"phone\"} 7\n"));
}

TEST(Registry, NoValueLikeLabelIsPublished) {
  Registry r;
  Counter* c = r.AddCounter("ifed_y_total", "Y.", {"peer"});
  c->Inc({"+43 660 1234567"});
  c->Inc({"someone@example.org"});
  c->Inc({"a\"b\nc"});
  const std::string page = r.Render();
  EXPECT_THAT(page, Not(HasSubstr("1234567")));
  EXPECT_THAT(page, Not(HasSubstr("example.org")));
  EXPECT_THAT(page, HasSubstr("ifed_y_total{peer=\"invalid\"} 3\n"));
}

TEST(Server, ServesMetricsAndRefusesTheRest) {
  Registry r;
  r.AddCounter("ifed_z_total", "Z.")->Inc({});
  auto s = MetricsServer::Start("127.0.0.1:0", &r);
  ASSERT_TRUE(s.ok()) << s.status();
  const int port = (*s)->port();
  ASSERT_GT(port, 0);
  std::string resp = Get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(resp, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(resp, HasSubstr("Content-Type: text/plain"));
  EXPECT_THAT(resp, HasSubstr("ifed_z_total 1\n"));
  EXPECT_THAT(Get(port, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
              HasSubstr("404"));
  EXPECT_FALSE(MetricsServer::Start("127.0.0.1:notaport", &r).ok());
  EXPECT_FALSE(MetricsServer::Start(absl::StrCat("127.0.0.1:", port), &r).ok());
}

TEST(Server, ATricklingClientDoesNotBlockOtherScrapes) {
  Registry r;
  r.AddCounter("ifed_w_total", "W.")->Inc({});
  auto s = MetricsServer::Start("127.0.0.1:0", &r);
  ASSERT_TRUE(s.ok()) << s.status();
  const int port = (*s)->port();
  // A client that sends half a request line and then nothing.
  int slow = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(slow, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::write(slow, "GET /met", 8), 8);
  // Scrapes meanwhile are answered.
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(Get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
                HasSubstr("ifed_w_total 1"));
  }
  ::close(slow);
}

TEST(Server, RefusesBadAddresses) {
  Registry r;
  EXPECT_FALSE(MetricsServer::Start("nocolon", &r).ok());
  EXPECT_FALSE(MetricsServer::Start("127.0.0.1:70000", &r).ok());
  EXPECT_FALSE(MetricsServer::Start("no.such.host.invalid:0", &r).ok());
  auto s = MetricsServer::Start("localhost:0", &r);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_GT((*s)->port(), 0);
}

TEST(Registry, CounterGetCreatesNothing) {
  Registry r;
  Counter* c = r.AddCounter("ifed_v_total", "V.", {"peer"});
  EXPECT_EQ(c->Get({"at"}), 0);
  EXPECT_THAT(r.Render(), Not(HasSubstr("peer=\"at\"")));
  c->Inc({"at"}, 2);
  EXPECT_EQ(c->Get({"at"}), 2);
}

}  // namespace
}  // namespace ifed::metrics
