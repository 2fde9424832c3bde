// The report routes on a real server (in-process, 127.0.0.1, real sockets, real SQLite file):
// figures after a few real commands, CSV headers, roles, and precise 400s.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "../net/server_fixture.h"

namespace hallq::test {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;

constexpr TimeMs kSec = 1000;
constexpr TimeMs kMin = 60 * kSec;

// A raw request, to see the headers the shared client does not expose.
http::response<http::string_body> raw_get(std::uint16_t port, const std::string& target, const std::string& token) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  boost::asio::ip::tcp::resolver resolver(io);
  boost::asio::connect(socket, resolver.resolve("127.0.0.1", std::to_string(port)));
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, "Bearer " + token);
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return res;
}

class ReportsHttp : public ServerFixture {
 protected:
  void SetUp() override {
    net::ServerOptions o;
    o.clock = clock_.fn();
    o.web_root = std::string(HALLQ_ASSETS_DIR) + "/web";
    start(o);
    admin_ = login("admin", "admin-pass");
    zhang_ = login("zhang", "zhang-pass");
  }
  json command(const std::string& path, json body, const std::string& token) {
    auto c = http();
    body["request_id"] = "q2-" + std::to_string(++n_);
    auto r = c.post(path, body, token);
    EXPECT_EQ(r.status, path == "/api/tickets" ? 201 : 200) << path << " " << r.body;
    return r.json();
  }
  // 10:00 A001, 10:01 A002, 10:02 A003; window 1 calls A001 at 10:05 (wait 300 s), starts 10:06,
  // completes 10:10 (service 240 s); calls A002 at 10:12 (wait 660 s), no-show at 10:14.
  void play() {
    for (int i = 0; i < 3; ++i) {
      command("/api/tickets", {{"service", "A"}}, kKioskToken);
      clock_.advance_ms(kMin);
    }
    clock_.advance_ms(2 * kMin);  // 10:05
    command("/api/windows/1/call-next", json::object(), zhang_);
    clock_.advance_ms(kMin);
    command("/api/windows/1/start", json::object(), zhang_);
    clock_.advance_ms(4 * kMin);
    command("/api/windows/1/complete", json::object(), zhang_);
    clock_.advance_ms(2 * kMin);  // 10:12
    command("/api/windows/1/call-next", json::object(), zhang_);
    clock_.advance_ms(2 * kMin);
    command("/api/windows/1/no-show", json::object(), zhang_);
  }
  FakeClock clock_;
  std::string admin_, zhang_;
  int n_ = 0;
};

TEST_F(ReportsHttp, SummaryByServiceAndWindowAfterRealCommands) {
  play();
  auto c = http();
  auto r = c.get("/api/reports/summary?from=2026-11-27&to=2026-11-27&by=service", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j["by"], "service");
  ASSERT_EQ(j["groups"].size(), 1u) << j.dump();
  auto a = j["groups"][0];
  EXPECT_EQ(a["key"], "A");
  EXPECT_EQ(a["done"], 1);
  EXPECT_EQ(a["no_show"], 1);
  EXPECT_EQ(a["transfers"], 0);
  EXPECT_EQ(a["wait_s"]["count"], 2);
  EXPECT_DOUBLE_EQ(a["wait_s"]["mean"].get<double>(), 480.0);
  EXPECT_DOUBLE_EQ(a["wait_s"]["p50"].get<double>(), 300.0);
  EXPECT_DOUBLE_EQ(a["wait_s"]["p90"].get<double>(), 660.0);
  EXPECT_EQ(a["service_s"]["count"], 1);
  EXPECT_DOUBLE_EQ(a["service_s"]["p50"].get<double>(), 240.0);
  EXPECT_TRUE(a["satisfaction"].is_null());
  EXPECT_EQ(j["total"]["done"], 1);

  // More events later: the next request catches up by itself.
  command("/api/windows/1/call-next", json::object(), zhang_);  // A003 at 10:14, wait 720 s
  auto w = c.get("/api/reports/summary?from=2026-11-27&to=2026-11-27&by=window", admin_);
  ASSERT_EQ(w.status, 200) << w.body;
  auto jw = w.json();
  ASSERT_EQ(jw["groups"].size(), 1u) << jw.dump();
  EXPECT_EQ(jw["groups"][0]["key"], "1");
  EXPECT_EQ(jw["groups"][0]["wait_s"]["count"], 3);
  EXPECT_DOUBLE_EQ(jw["groups"][0]["wait_s"]["p90"].get<double>(), 720.0);

  // Another day has nothing.
  auto empty = c.get("/api/reports/summary?from=2026-11-28&to=2026-12-31", admin_);
  ASSERT_EQ(empty.status, 200);
  EXPECT_EQ(empty.json()["groups"].size(), 0u);
  EXPECT_EQ(empty.json()["total"]["done"], 0);
}

TEST_F(ReportsHttp, CsvIsAnExcelFriendlyDownload) {
  play();
  auto res = raw_get(port_, "/api/reports/summary?from=2026-11-27&to=2026-11-27&by=clerk&format=csv", admin_);
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(res[http::field::content_type], "text/csv; charset=utf-8");
  EXPECT_EQ(res[http::field::content_disposition],
            "attachment; filename=\"hallq-report-2026-11-27-2026-11-27-clerk.csv\"");
  const std::string& body = res.body();
  ASSERT_EQ(body.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_NE(body.find("\r\nzhang,"), std::string::npos) << body;
  EXPECT_NE(body.find("合计 total,"), std::string::npos);
}

TEST_F(ReportsHttp, RankingAnswersWithTheWeights) {
  play();
  auto c = http();
  auto r = c.get("/api/reports/ranking?from=2026-11-27&to=2026-11-27", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j["weights"]["min_cases"], 10);
  EXPECT_EQ(j["weights"]["satisfaction"], 40);
  // One visit done: below min_cases, so nobody is ranked yet.
  EXPECT_EQ(j["windows"].size(), 0u);
  EXPECT_TRUE(j["model_window"].is_null());
}

TEST_F(ReportsHttp, RankingWeightsComeFromTheHallConfig) {
  server_->stop();
  server_.reset();
  net::ServerOptions o;
  o.clock = clock_.fn();
  o.data_dir = dir_.path.string();
  start(o, small_hall([](HallConfig& c) { c.rules.ranking = RankingRules{100, 0, 0, 0, 1}; }));
  admin_ = login("admin", "admin-pass");
  zhang_ = login("zhang", "zhang-pass");
  play();
  auto r = http().get("/api/reports/ranking?from=2026-11-27&to=2026-11-27", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  ASSERT_EQ(j["windows"].size(), 1u) << j.dump();
  EXPECT_EQ(j["model_window"]["key"], "1");
  EXPECT_DOUBLE_EQ(j["model_window"]["score"].get<double>(), 100.0);
  EXPECT_EQ(j["service_star"]["key"], "zhang");
}

TEST_F(ReportsHttp, BadRequestsAreNamedAndRolesChecked) {
  auto c = http();
  struct Case {
    std::string target;
    int status;
    std::string message;
  };
  const Case cases[] = {
      {"/api/reports/summary", 400, "missing parameter from"},
      {"/api/reports/summary?from=2026-11-27&to=2026-11-31", 400, "parameter to: \"2026-11-31\" is not a day"},
      {"/api/reports/summary?from=2025-01-01&to=2026-11-27", 400, "is 696 days; at most 366"},
      {"/api/reports/summary?from=2026-11-27&to=2026-11-27&by=floor", 400, "parameter by"},
      {"/api/reports/ranking?from=2026-11-27&to=2026-11-27&format=csv", 400, "unknown parameter \"format\""},
      {"/api/reports/visits?from=2026-11-27&to=2026-11-27", 404, "no such report: visits"},
  };
  for (const auto& k : cases) {
    auto r = c.get(k.target, admin_);
    EXPECT_EQ(r.status, k.status) << k.target << " " << r.body;
    EXPECT_NE(r.json()["error"]["message"].get<std::string>().find(k.message), std::string::npos)
        << k.target << " " << r.body;
  }
  EXPECT_EQ(c.get("/api/reports/summary?from=2026-11-27&to=2026-11-27", zhang_).status, 403);
  EXPECT_EQ(c.get("/api/reports/summary?from=2026-11-27&to=2026-11-27", "").status, 401);
  EXPECT_EQ(c.post("/api/reports/summary?from=2026-11-27&to=2026-11-27", json::object(), admin_).status, 400);
}

TEST_F(ReportsHttp, ThePrintablePageIsServed) {
  auto res = raw_get(port_, "/report?day=2026-11-27", "");
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_NE(res.body().find("report.js"), std::string::npos);
}

}  // namespace
}  // namespace hallq::test
