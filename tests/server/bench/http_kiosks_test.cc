// hallq-bench's HTTP kiosks (server/bench/src/http_kiosks.cc) against a real server on
// 127.0.0.1: goal 3's figure is what they count, so every ticket they call acknowledged must be
// one the server issued, and every refusal must be counted, not lost.
#include <gtest/gtest.h>

#include <string>

#include "../net/server_fixture.h"
#include "http_kiosks.h"

namespace hallq::test {
namespace {

using bench::HttpKiosk;
using bench::issue_over_http;

class HttpKiosksTest : public ServerFixture {
 protected:
  void SetUp() override {
    // The bench's own hall lifts the per-kiosk rate limit the same way.
    start({}, small_hall([](HallConfig& c) { c.rules.kiosk_rate_per_min = 100000; }));
  }
  boost::asio::ip::tcp::endpoint endpoint() const {
    return {boost::asio::ip::make_address("127.0.0.1"), port_};
  }
};

TEST_F(HttpKiosksTest, EveryAcknowledgedTicketIsOneTheServerIssued) {
  std::vector<HttpKiosk> kiosks(8, HttpKiosk{kKioskToken, {"A", "B", "C"}});
  std::atomic<std::size_t> live = 0;
  auto r = issue_over_http(endpoint(), kiosks, 600, bench::now_s() + 60, 10, "t1-k", &live);
  EXPECT_TRUE(r.errors.empty()) << r.errors.begin()->first;
  EXPECT_EQ(r.started, 600u);
  EXPECT_EQ(r.acked, 600u);
  EXPECT_EQ(live.load(), 600u);
  EXPECT_EQ(r.latency.count(), 600u);
  EXPECT_GT(r.last_ack_s, r.first_sent_s);
  EXPECT_EQ(metric("hallq_tickets_issued_total"), 600);
  EXPECT_EQ(metric("hallq_commands_repeated_total"), 0);  // every request id its own
}

TEST_F(HttpKiosksTest, RefusalsAreCountedByTheServersCodeAndNotAcknowledged) {
  std::vector<HttpKiosk> kiosks(2, HttpKiosk{kKioskToken, {"Z"}});  // no such service
  auto r = issue_over_http(endpoint(), kiosks, 10, bench::now_s() + 60, 10, "t2-k");
  EXPECT_EQ(r.started, 10u);
  EXPECT_EQ(r.acked, 0u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors.begin()->first, "not_found");
  EXPECT_EQ(r.errors.begin()->second, 10u);

  kiosks.assign(2, HttpKiosk{"not-a-token-of-this-hall", {"A"}});
  r = issue_over_http(endpoint(), kiosks, 4, bench::now_s() + 60, 10, "t3-k");
  EXPECT_EQ(r.acked, 0u);
  EXPECT_EQ(r.errors["unauthorized"], 4u);
  EXPECT_EQ(metric("hallq_tickets_issued_total"), 0);
}

TEST_F(HttpKiosksTest, NoServerEndsAtOnceWithTransportErrors) {
  const NoListener none;
  ASSERT_NE(none.port, 0);
  const boost::asio::ip::tcp::endpoint nobody{boost::asio::ip::make_address("127.0.0.1"), none.port};
  std::vector<HttpKiosk> kiosks(3, HttpKiosk{kKioskToken, {"A"}});
  const double t0 = bench::now_s();
  auto r = issue_over_http(nobody, kiosks, 100, t0 + 60, 10, "t4-k");
  EXPECT_LT(bench::now_s() - t0, 5.0);
  EXPECT_EQ(r.acked, 0u);
  EXPECT_EQ(r.errors["transport: connect: Connection refused"], 3u);
}

}  // namespace
}  // namespace hallq::test
