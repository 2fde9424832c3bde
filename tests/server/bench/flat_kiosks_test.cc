// hallq-bench's flat-out kiosks (server/bench/src/flat_kiosks.cc) over HTTP and over WebSockets,
// against a real server on 127.0.0.1: goal 3's figure is what they count, so every ticket they
// call acknowledged must be one the server issued, and every refusal must be counted, not lost.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "../net/server_fixture.h"
#include "flat_kiosks.h"

namespace hallq::test {
namespace {

using bench::FlatIssue;
using bench::FlatKiosk;
using bench::issue_flat_out;
using bench::Transport;

class FlatKiosksTest : public ServerFixture, public ::testing::WithParamInterface<Transport> {
 protected:
  void SetUp() override {
    // The bench's own hall lifts the per-kiosk rate limit the same way.
    start({}, small_hall([](HallConfig& c) { c.rules.kiosk_rate_per_min = 100000; }));
  }
  boost::asio::ip::tcp::endpoint endpoint() const {
    return {boost::asio::ip::make_address("127.0.0.1"), port_};
  }
  // `limit` tickets, 32 in flight on each WebSocket, one on each HTTP connection.
  static FlatIssue plan(std::size_t limit, const std::string& id_prefix) {
    return FlatIssue{GetParam(), 32, limit, bench::now_s() + 60, 10, id_prefix};
  }
  static bool ws() { return GetParam() == Transport::ws; }
};

TEST_P(FlatKiosksTest, EveryAcknowledgedTicketIsOneTheServerIssued) {
  std::vector<FlatKiosk> kiosks(8, FlatKiosk{kKioskToken, {"A", "B", "C"}});
  std::atomic<std::size_t> live = 0;
  auto r = issue_flat_out(endpoint(), kiosks, plan(600, "t1-k"), &live);
  EXPECT_TRUE(r.errors.empty()) << r.errors.begin()->first;
  EXPECT_EQ(r.started, 600u);
  EXPECT_EQ(r.acked, 600u);
  EXPECT_EQ(live.load(), 600u);
  EXPECT_EQ(r.latency.count(), 600u);
  EXPECT_GT(r.last_ack_s, r.first_sent_s);
  EXPECT_EQ(metric("hallq_tickets_issued_total"), 600);
  EXPECT_EQ(metric("hallq_commands_repeated_total"), 0);  // every request id its own
  // Command-only sockets: the server sent them results and nothing else.
  if (ws()) {  // counted just after each write: the last may lag the kiosks' reads
    until_metric("hallq_websocket_messages_sent_total", 8 + 600);
    EXPECT_EQ(metric("hallq_websocket_messages_sent_total"), 8 + 600);  // welcomes and results
  }
}

TEST_P(FlatKiosksTest, RefusalsAreCountedByTheServersCodeAndNotAcknowledged) {
  std::vector<FlatKiosk> kiosks(2, FlatKiosk{kKioskToken, {"Z"}});  // no such service
  auto r = issue_flat_out(endpoint(), kiosks, plan(10, "t2-k"));
  EXPECT_EQ(r.started, 10u);
  EXPECT_EQ(r.acked, 0u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors.begin()->first, "not_found");
  EXPECT_EQ(r.errors.begin()->second, 10u);

  kiosks.assign(2, FlatKiosk{"not-a-token-of-this-hall", {"A"}});
  r = issue_flat_out(endpoint(), kiosks, plan(4, "t3-k"));
  EXPECT_EQ(r.acked, 0u);
  // Over HTTP each request is refused; a WebSocket is refused once, at its hello.
  EXPECT_EQ(r.errors["unauthorized"], ws() ? 2u : 4u);
  EXPECT_EQ(r.started, ws() ? 0u : 4u);
  EXPECT_EQ(metric("hallq_tickets_issued_total"), 0);
}

TEST_P(FlatKiosksTest, NoServerEndsAtOnceWithTransportErrors) {
  const NoListener none;
  ASSERT_NE(none.port, 0);
  const boost::asio::ip::tcp::endpoint nobody{boost::asio::ip::make_address("127.0.0.1"), none.port};
  std::vector<FlatKiosk> kiosks(3, FlatKiosk{kKioskToken, {"A"}});
  const double t0 = bench::now_s();
  auto r = issue_flat_out(nobody, kiosks, plan(100, "t4-k"));
  EXPECT_LT(bench::now_s() - t0, 5.0);
  EXPECT_EQ(r.acked, 0u);
  EXPECT_EQ(r.errors["transport: connect: Connection refused"], 3u);
}

// A server that stops mid-run: every ticket the kiosks counted is in its journal, and the
// answers it never gave are counted as refused or lost, not as tickets.
TEST_P(FlatKiosksTest, AServerThatStopsMidRunHasEveryTicketItAcknowledged) {
  std::vector<FlatKiosk> kiosks(4, FlatKiosk{kKioskToken, {"A"}});
  std::atomic<std::size_t> live = 0;
  bench::FlatIssueResult r;
  std::thread kiosk_thread([&] { r = issue_flat_out(endpoint(), kiosks, plan(1000000, "t5-k"), &live); });
  while (live.load() < 300) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server_->stop();   // as SIGTERM does: what is in flight is committed and answered,
  server_.reset();   // and then the process and its sockets are gone
  kiosk_thread.join();
  EXPECT_GE(r.acked, 300u);
  EXPECT_LT(r.acked, r.started);
  EXPECT_FALSE(r.errors.empty());
  for (const auto& [code, n] : r.errors)
    EXPECT_TRUE(code == "busy" || code.rfind("transport: ", 0) == 0) << code << " x" << n;
  start(last_options_, config_);  // the same journal
  const auto snapshot = state(kDisplayToken);
  double issued = -1;
  for (const auto& s : snapshot["services"])
    if (s["code"] == "A") issued = s["issued_today"].get<double>();
  EXPECT_GE(issued, double(r.acked));
  EXPECT_LE(issued, double(r.started));
}

INSTANTIATE_TEST_SUITE_P(Transports, FlatKiosksTest, ::testing::Values(Transport::http, Transport::ws),
                         [](const auto& info) { return info.param == Transport::ws ? "ws" : "http"; });

}  // namespace
}  // namespace hallq::test
