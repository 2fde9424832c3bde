// The HTTP API against a real server on 127.0.0.1 with a real SQLite file: auth, roles, bad
// input, idempotency, concurrency, limits and restart.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <fstream>
#include <set>
#include <thread>

#include "hallq/net/auth.h"
#include "server_fixture.h"

namespace hallq::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ApiTest : public ServerFixture {};

json issue_body(const std::string& service, const std::string& request_id) {
  return json{{"service", service}, {"request_id", request_id}};
}

TEST_F(ApiTest, HealthAndMetricsAnswer) {
  start();
  auto c = http();
  auto h = c.get("/api/health");
  ASSERT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(h.json()["status"], "ok");
  EXPECT_FALSE(h.json()["business_day"].get<std::string>().empty());
  auto m = c.get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("hallq_commit_seconds_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("hallq_waiting{service=\"A\"} 0"), std::string::npos);
}

TEST_F(ApiTest, LoginAcceptsRightPasswordAndRefusesWrongOne) {
  start();
  auto c = http();
  auto good = c.post("/api/login", {{"user", "zhang"}, {"password", "zhang-pass"}});
  ASSERT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(good.json()["role"], "clerk");
  EXPECT_EQ(good.json()["windows"], json::array({1, 2}));
  EXPECT_EQ(good.json()["token"].get<std::string>().size(), 64u);

  auto bad = c.post("/api/login", {{"user", "zhang"}, {"password", "wrong"}});
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.json()["error"]["code"], "unauthorized");
  auto nobody = c.post("/api/login", {{"user", "nobody"}, {"password", "x"}});
  EXPECT_EQ(nobody.status, 401);
  // Same words for an unknown user: the API does not reveal which names exist.
  EXPECT_EQ(nobody.json()["error"]["message"], bad.json()["error"]["message"]);
}

// A restart (an update, a crash) must not send every clerk back to the login page. A logout
// stays a logout, and a password changed in the hall file while the server was down ends the
// sessions begun with the old one.
TEST_F(ApiTest, LoginsOutliveARestartButNotALogoutOrAPasswordChange) {
  start();
  const std::string zhang = login("zhang", "zhang-pass");
  const std::string admin = login("admin", "admin-pass");
  auto c = http();
  ASSERT_EQ(c.post("/api/logout", json::object(), admin).status, 200);
  EXPECT_EQ(c.get("/api/state", admin).status, 401);

  restart();
  auto after = http();
  EXPECT_EQ(after.get("/api/state", zhang).status, 200);
  auto refused = after.get("/api/state", admin);
  EXPECT_EQ(refused.status, 401) << refused.body;
  // The file keeps a hash of each token, never the token.
  for (const char* name : {"sessions.sqlite", "sessions.sqlite-wal"}) {
    std::ifstream in(dir_.path / name, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(zhang), std::string::npos) << name;
  }

  HallConfig changed = *config_;
  for (auto& u : changed.users)
    if (u.name == "zhang") u.password_hash = net::hash_password("new-zhang-pass");
  config_ = std::make_shared<const HallConfig>(std::move(changed));
  restart();
  auto third = http();
  EXPECT_EQ(third.get("/api/state", zhang).status, 401);
  EXPECT_EQ(third.post("/api/login", {{"user", "zhang"}, {"password", "new-zhang-pass"}}).status, 200);
}

TEST_F(ApiTest, IssueReturnsTicketWithPositionAndEstimate) {
  start();
  auto c = http();
  auto first = c.post("/api/tickets", issue_body("A", "k1-0001"), kKioskToken);
  ASSERT_EQ(first.status, 201) << first.body;
  auto t = first.json();
  EXPECT_EQ(t["ticket"]["number"], "A001");
  EXPECT_EQ(t["ticket"]["service"], "A");
  EXPECT_EQ(t["ahead"], 0);
  EXPECT_GE(t["ticket"]["id"].get<std::string>().size(), 20u);
  auto second = c.post("/api/tickets", issue_body("A", "k1-0002"), kKioskToken);
  ASSERT_EQ(second.status, 201);
  EXPECT_EQ(second.json()["ticket"]["number"], "A002");
  EXPECT_EQ(second.json()["ahead"], 1);
  EXPECT_GT(second.json()["estimated_wait_s"].get<int>(), 0);
}

TEST_F(ApiTest, KioskPressedTwiceWithOneRequestIdGetsOneTicket) {
  start();
  auto c = http();
  auto a = c.post("/api/tickets", issue_body("B", "press-42"), kKioskToken);
  auto b = c.post("/api/tickets", issue_body("B", "press-42"), kKioskToken);
  ASSERT_EQ(a.status, 201);
  ASSERT_EQ(b.status, 200);  // a repeat, not a new ticket
  EXPECT_EQ(a.json()["ticket"]["id"], b.json()["ticket"]["id"]);
  auto admin = login("admin", "admin-pass");
  auto s = state(admin);
  int waiting_b = 0;
  for (auto& svc : s["services"])
    if (svc["code"] == "B") waiting_b = svc["waiting"];
  EXPECT_EQ(waiting_b, 1);
  // The same id for a different command is refused, not silently answered.
  auto other = c.post("/api/tickets", issue_body("C", "press-42"), kKioskToken);
  EXPECT_EQ(other.status, 422);
  EXPECT_EQ(other.json()["error"]["code"], "request_id_reused");
}

TEST_F(ApiTest, RolesAndWindowsAreEnforcedAndRefusalsChangeNothing) {
  start();
  auto c = http();
  auto zhang = login("zhang", "zhang-pass");
  ASSERT_EQ(c.post("/api/tickets", issue_body("C", "r1"), kKioskToken).status, 201);
  auto admin = login("admin", "admin-pass");
  auto before = state(admin)["seq"];

  struct Case {
    std::string what, target, token;
    json body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"display issuing", "/api/tickets", kDisplayToken, issue_body("A", "d1"), 403, "forbidden"},
      {"printer issuing", "/api/tickets", kPrinterToken, issue_body("A", "p1"), 403, "forbidden"},
      {"clerk at another's window", "/api/windows/3/call-next", zhang, {{"request_id", "z1"}}, 403, "forbidden"},
      {"kiosk calling", "/api/windows/1/call-next", kKioskToken, {{"request_id", "k1"}}, 403, "forbidden"},
      {"no token", "/api/windows/1/call-next", "", {{"request_id", "n1"}}, 401, "unauthorized"},
      {"wrong token", "/api/windows/1/call-next", "not-a-real-token-at-all", {{"request_id", "w1"}}, 401, "unauthorized"},
      {"window that does not exist", "/api/windows/9/call-next", admin, {{"request_id", "a1"}}, 404, "not_found"},
      {"window number out of range", "/api/windows/1000/call-next", admin, {{"request_id", "a2"}}, 404, "not_found"},
      {"unknown command", "/api/windows/1/dance", admin, {{"request_id", "a3"}}, 404, "not_found"},
      {"clerk cancelling", "/api/commands/cancel", zhang, {{"request_id", "z2"}, {"number", "C001"}}, 403, "forbidden"},
      {"nobody waiting at 2", "/api/windows/2/call-next", zhang, {{"request_id", "z3"}}, 409, "queue_empty"},
  };
  for (const auto& k : cases) {
    auto r = c.post(k.target, k.body, k.token);
    EXPECT_EQ(r.status, k.status) << k.what << ": " << r.body;
    EXPECT_EQ(r.json()["error"]["code"], k.code) << k.what;
    EXPECT_FALSE(r.json()["error"]["message"].get<std::string>().empty()) << k.what;
  }
  EXPECT_EQ(state(admin)["seq"], before);
}

TEST_F(ApiTest, BadInputGetsPreciseErrorsAndServerKeepsRunning) {
  net::ServerOptions o;
  o.http_body_limit = 4096;
  start(o);
  auto c = http();
  struct Case {
    std::string what, body;
    int status;
    std::string code, message_part;
  };
  const std::vector<Case> cases = {
      {"syntax error", "{\"service\": \"A\",\n \"request_id\": }", 400, "bad_request", "line 2"},
      {"not an object", "[1,2,3]", 400, "bad_request", "object"},
      {"empty body", "", 400, "bad_request", "empty"},
      {"unknown field", R"({"service":"A","request_id":"x1","colour":"red"})", 400, "bad_request", "colour"},
      {"wrong type", R"({"service":7,"request_id":"x2"})", 400, "bad_request", "/service"},
      {"missing request id", R"({"service":"A"})", 400, "bad_request", "request_id"},
      {"unknown service", R"({"service":"Q","request_id":"x3"})", 404, "not_found", "Q"},
      {"deep nesting", std::string(2000, '[') + std::string(2000, ']'), 400, "bad_request", ""},
      {"oversized", R"({"service":"A","request_id":"x4","pad":")" + std::string(5000, 'x') + "\"}", 413,
       "payload_too_large", "4096"},
  };
  for (const auto& k : cases) {
    auto r = c.request("POST", "/api/tickets", k.body, kKioskToken);
    EXPECT_EQ(r.status, k.status) << k.what << ": " << r.body;
    EXPECT_EQ(r.json()["error"]["code"], k.code) << k.what << ": " << r.body;
    EXPECT_NE(r.json()["error"]["message"].get<std::string>().find(k.message_part), std::string::npos)
        << k.what << ": " << r.body;
  }
  EXPECT_EQ(c.get("/api/nowhere").status, 404);
  EXPECT_EQ(c.get("/api/tickets", kKioskToken).status, 400);  // wrong method
  // Still serving, and none of that issued anything.
  auto ok = c.post("/api/tickets", issue_body("A", "after-bad"), kKioskToken);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.json()["ticket"]["number"], "A001");
}

// The server writes its answers' headers itself: a client's HTTP parser must find each answer
// whole on a kept-alive connection, a HEAD answer without a body, and the connection closed
// when the client asked for that.
TEST_F(ApiTest, AnswersAreFramedForKeepAliveHeadAndClose) {
  TempDir web;
  std::ofstream(web.path / "index.html") << "<h1>" << std::string(200, 'x') << "</h1>";
  net::ServerOptions o;
  o.web_root = web.path.string();
  start(o);
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  asio::io_context io;
  const auto connect = [&] {
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), port_});
    return s;
  };
  boost::beast::flat_buffer buf;
  const auto exchange = [&](asio::ip::tcp::socket& s, const std::string& raw, bool head = false) {
    asio::write(s, asio::buffer(raw));
    http::response_parser<http::string_body> p;
    p.skip(head);
    http::read(s, buf, p);
    return p.release();
  };

  // HTTP/1.1: GET, HEAD and GET again on one connection.
  auto s = connect();
  auto get = exchange(s, "GET /api/nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(get.result_int(), 404);
  EXPECT_EQ(get[http::field::content_type], "application/json");
  EXPECT_EQ(get[http::field::server], "hallq");
  EXPECT_EQ(get[http::field::content_length], std::to_string(get.body().size()));
  EXPECT_TRUE(get.keep_alive());
  EXPECT_EQ(json::parse(get.body())["error"]["code"], "not_found");
  auto page = exchange(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(page.result_int(), 200);
  ASSERT_EQ(page.body().size(), 209u);
  auto head = exchange(s, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", true);
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[http::field::content_length], std::to_string(page.body().size()));
  EXPECT_EQ(head[http::field::content_type], page[http::field::content_type]);
  auto again = exchange(s, "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(again.result_int(), 200) << "a HEAD answer left bytes behind: " << again.body();
  EXPECT_EQ(json::parse(again.body())["status"], "ok");

  // HTTP/1.0 asking to keep the connection is told so, and the connection serves again.
  auto s10 = connect();
  buf.clear();
  auto ka = exchange(s10, "GET /api/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(ka.version(), 10);
  EXPECT_EQ(ka[http::field::connection], "keep-alive");
  EXPECT_EQ(exchange(s10, "GET /api/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").result_int(), 200);

  // Connection: close is answered in kind and the server closes its side.
  auto sc = connect();
  buf.clear();
  auto closing = exchange(sc, "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(closing.result_int(), 200);
  EXPECT_EQ(closing[http::field::connection], "close");
  char byte;
  boost::system::error_code ec;
  asio::read(sc, asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(ApiTest, TwoClerksCallingAtOnceNeverCallTheSameTicket) {
  start();
  auto c = http();
  constexpr int kTickets = 40;
  for (int i = 0; i < kTickets; ++i)
    ASSERT_EQ(c.post("/api/tickets", issue_body("A", "t" + std::to_string(i)), kKioskToken).status, 201);
  auto zhang = login("zhang", "zhang-pass");  // window 1 serves A
  auto li = login("li", "li-pass");           // windows 3 and 4 serve A
  std::mutex mu;
  std::multiset<std::string> called;
  auto clerk = [&](std::string token, int window) {
    auto cl = http();
    for (int round = 0; round < kTickets; ++round) {
      auto r = cl.post("/api/windows/" + std::to_string(window) + "/call-next",
                       {{"request_id", "w" + std::to_string(window) + "-" + std::to_string(round)}}, token);
      if (r.status == 409 && r.json()["error"]["code"] == "queue_empty") return;
      ASSERT_EQ(r.status, 200) << r.body;
      {
        std::lock_guard lock(mu);
        called.insert(r.json()["ticket"]["number"].get<std::string>());
      }
      auto done = cl.post("/api/windows/" + std::to_string(window) + "/no-show",
                          {{"request_id", "ns" + std::to_string(window) + "-" + std::to_string(round)}}, token);
      ASSERT_EQ(done.status, 200) << done.body;
    }
  };
  std::thread a(clerk, zhang, 1), b(clerk, li, 3), d(clerk, li, 4);
  a.join();
  b.join();
  d.join();
  EXPECT_EQ(called.size(), std::size_t(kTickets));
  std::set<std::string> unique(called.begin(), called.end());
  EXPECT_EQ(unique.size(), called.size()) << "a ticket was called twice";
}

// A raw TCP client of the test's server, with a receive timeout so that no test can hang.
struct RawClient {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s{io};
  explicit RawClient(std::uint16_t port) {
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    timeval tv{10, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void send(const std::string& raw) {
    boost::system::error_code ec;  // a connection the server has closed fails at the read
    boost::asio::write(s, boost::asio::buffer(raw), ec);
  }
  // Everything the server sends until it closes the connection (or 10 s pass).
  std::string until_closed() {
    std::string got;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(s.native_handle(), buf, sizeof buf, 0);
      if (n <= 0) return got;
      got.append(buf, std::size_t(n));
    }
  }
  // One answer to `raw`, or nullopt if the server closed the connection without one.
  std::optional<boost::beast::http::response<boost::beast::http::string_body>> ask(const std::string& raw) {
    send(raw);
    boost::beast::flat_buffer buf;
    boost::beast::http::response_parser<boost::beast::http::string_body> p;
    boost::beast::error_code ec;
    boost::beast::http::read(s, buf, p, ec);
    if (ec) return std::nullopt;
    return p.release();
  }
};
constexpr const char* kHealth = "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n";
// A metric read over a connection already open: at the connection limit a new one is turned away.
double metric_over(RawClient& c, const std::string& name) {
  auto r = c.ask("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  return r ? metric_value(r->body(), name) : -1;
}

TEST_F(ApiTest, OversizedHeadersAndStalledRequestsAreRefusedAndOthersServed) {
  net::ServerOptions o;
  o.http_header_limit = 1024;
  o.http_timeout = 1s;
  start(o);
  // Headers over the limit: an answer in words, then the connection closes.
  RawClient big(port_);
  auto r = big.ask("GET /api/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(2000, 'x') + "\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 413);
  EXPECT_FALSE(r->keep_alive());
  EXPECT_EQ(json::parse(r->body())["error"]["code"], "payload_too_large");
  EXPECT_EQ(json::parse(r->body())["error"]["message"], "the request headers are too large");

  // Half a request, then nothing (a client that hung, or slowloris): closed at the timeout,
  // while a client beside it is served.
  const auto t0 = std::chrono::steady_clock::now();  // the server's clock starts after this
  RawClient stalled(port_);
  stalled.send("POST /api/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{\"service\"");
  RawClient other(port_);
  auto ok = other.ask(kHealth);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->result_int(), 200);
  EXPECT_EQ(stalled.until_closed(), "") << "a stalled request gets no answer, only the close";
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 950ms);
  EXPECT_LT(waited, 9s) << "closed by the receive timeout of the test, not by the server";
  EXPECT_EQ(metric("hallq_tickets_issued_total"), 0);
}

TEST_F(ApiTest, ConnectionsBeyondTheLimitAreToldBusyAndOneFreedIsUsedAgain) {
  net::ServerOptions o;
  o.max_connections = 4;
  start(o);
  // The server counts a connection until it has seen it close: ask again until it has.
  auto served = [&](RawClient& c) {
    auto r = c.ask(kHealth);
    return r && r->result_int() == 200;
  };
  std::vector<std::unique_ptr<RawClient>> open;
  for (int i = 0; i < 4; ++i) {
    bool ok = false;
    for (int attempt = 0; attempt < 40 && !ok; ++attempt) {
      auto c = std::make_unique<RawClient>(port_);
      if ((ok = served(*c))) open.push_back(std::move(c));
      else std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(ok) << "connection " << i + 1 << " of 4 was refused";
  }
  // Four are open, kept alive: the fifth is told why, and closed, every time.
  auto refused = [&] { return metric_over(*open.front(), "hallq_connections_refused_total"); };
  const auto refused_before = refused();
  for (int i = 0; i < 3; ++i) {
    RawClient surplus(port_);
    auto r = surplus.ask(kHealth);
    ASSERT_TRUE(r) << "a connection over the limit was closed without an answer";
    EXPECT_EQ(r->result_int(), 503);
    EXPECT_FALSE(r->keep_alive());
    EXPECT_EQ(json::parse(r->body())["error"]["code"], "busy");
    EXPECT_EQ(json::parse(r->body())["error"]["message"], "the server has its limit of 4 connections open: retry in a moment");
    EXPECT_EQ(surplus.until_closed(), "");
  }
  EXPECT_EQ(refused() - refused_before, 3);
  // The open ones still work.
  for (auto& c : open) EXPECT_TRUE(served(*c));
  // A request with a body is read whole before the answer, so no reset overtakes the 503.
  {
    RawClient surplus(port_);
    const std::string body = R"({"service":"A","request_id":")" + std::string(20000, 'x') + R"("})";
    auto r = surplus.ask("POST /api/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(r) << "the 503 was lost";
    EXPECT_EQ(r->result_int(), 503);
  }
  EXPECT_EQ(metric_over(*open.front(), "hallq_tickets_issued_total"), 0);
  // One leaves: its place is free again.
  open.pop_back();
  bool again_served = false;
  for (int attempt = 0; attempt < 40 && !again_served; ++attempt) {
    RawClient again(port_);
    if (!(again_served = served(again))) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(again_served);
}

// Turning a connection away holds it until its request comes: a flood of silent connections
// over the limit is held only max_turned_away at a time, for at most 5 s, and the rest closed.
TEST_F(ApiTest, AFloodOverTheLimitIsClosedAndNeverServed) {
  net::ServerOptions o;
  o.max_connections = 2;
  o.max_turned_away = 3;
  start(o);
  std::vector<std::unique_ptr<RawClient>> open;
  for (int i = 0; i < 2; ++i) {
    open.push_back(std::make_unique<RawClient>(port_));
    auto r = open.back()->ask(kHealth);
    ASSERT_TRUE(r && r->result_int() == 200);
  }
  auto refused = [&] { return metric_over(*open.front(), "hallq_connections_refused_total"); };
  // Connected and silent. The server accepts in order: they are all held before the next.
  std::vector<std::unique_ptr<RawClient>> silent;
  for (int i = 0; i < 3; ++i) silent.push_back(std::make_unique<RawClient>(port_));
  RawClient flood(port_);
  EXPECT_FALSE(flood.ask(kHealth)) << "a fourth connection over the limit was answered";
  EXPECT_EQ(refused(), 4);
  // The silent ones still get their 503 when they speak, and then close.
  for (auto& c : silent) {
    auto r = c->ask(kHealth);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result_int(), 503);
    EXPECT_EQ(c->until_closed(), "");
  }
  std::this_thread::sleep_for(200ms);  // the server has let them go
  // A silent one is not held past 5 s.
  RawClient late(port_);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(late.until_closed(), "");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 8s);
  EXPECT_EQ(refused(), 5);
  for (auto& c : open) {
    auto r = c->ask(kHealth);
    EXPECT_TRUE(r && r->result_int() == 200) << "an open connection stopped being served";
  }
}

TEST_F(ApiTest, ClerkRetryAfterTimeoutDoesNotCallTwice) {
  start();
  auto c = http();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.post("/api/tickets", issue_body("A", "i" + std::to_string(i)), kKioskToken).status, 201);
  auto zhang = login("zhang", "zhang-pass");
  auto first = c.post("/api/windows/1/call-next", {{"request_id", "btn-7"}}, zhang);
  auto retry = c.post("/api/windows/1/call-next", {{"request_id", "btn-7"}}, zhang);
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(first.json()["ticket"]["number"], retry.json()["ticket"]["number"]);
  auto s = state(zhang);
  int called = 0;
  for (auto& t : s["tickets"])
    if (t["state"] == "called") ++called;
  EXPECT_EQ(called, 1);
}

TEST_F(ApiTest, KioskIsRateLimited) {
  start({}, small_hall([](HallConfig& c) { c.rules.kiosk_rate_per_min = 60; }));  // burst 6
  auto c = http();
  int created = 0, limited = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = c.post("/api/tickets", issue_body("A", "burst-" + std::to_string(i)), kKioskToken);
    if (r.status == 201) ++created;
    if (r.status == 429) {
      ++limited;
      EXPECT_EQ(r.json()["error"]["code"], "rate_limited");
    }
  }
  EXPECT_GE(created, 5);
  EXPECT_LE(created, 8);
  EXPECT_EQ(created + limited, 20);
}

// The small hall with 45 more clerks, clerk1..clerk45, all with the password "pw", on a fake
// clock.
class LoginLimitTest : public ServerFixture {
 protected:
  void SetUp() override {
    const std::string hash = net::hash_password("pw");
    net::ServerOptions o;
    o.clock = clock_.fn();
    start(o, small_hall([&](HallConfig& c) {
      for (int i = 1; i <= 45; ++i) c.users.push_back(UserConfig{"clerk" + std::to_string(i), "", Role::clerk, hash, {1}});
    }));
  }
  int login_status(const std::string& user, const std::string& password) {
    auto r = http().post("/api/login", {{"user", user}, {"password", password}});
    if (r.status == 429) {
      EXPECT_EQ(r.json()["error"]["code"], "rate_limited") << r.body;
    } else if (r.status == 401) {
      EXPECT_EQ(r.json()["error"]["code"], "unauthorized") << r.body;
    }
    return r.status;
  }
  FakeClock clock_;
};

TEST_F(LoginLimitTest, AHallsClerksAllLogInAtOpeningFromOneAddress) {
  // 45 clerks in the same minute, all from 127.0.0.1 (one NAT or proxy address in a hall).
  for (int i = 1; i <= 45; ++i) EXPECT_EQ(login_status("clerk" + std::to_string(i), "pw"), 200) << "clerk" << i;
  // Their right passwords cost the address nothing: a wrong one is still only a wrong one.
  EXPECT_EQ(login_status("clerk1", "wrong"), 401);
}

TEST_F(LoginLimitTest, AnAddressGetsThirtyWrongPasswordsAMinute) {
  for (int i = 1; i <= 30; ++i) EXPECT_EQ(login_status("clerk" + std::to_string(i), "guess"), 401) << i;
  // The 31st try is refused before the password is looked at, right or wrong, any user.
  EXPECT_EQ(login_status("clerk31", "guess"), 429);
  EXPECT_EQ(login_status("clerk32", "pw"), 429);
  EXPECT_EQ(login_status("nobody", "pw"), 429);
  // Two seconds later one token has come back (30 a minute): one try, then refused again.
  clock_.advance_ms(2'000);
  EXPECT_EQ(login_status("clerk33", "pw"), 200);
  EXPECT_EQ(login_status("clerk34", "guess"), 401);
  EXPECT_EQ(login_status("clerk35", "pw"), 429);
  // A minute on, the address is trusted again.
  clock_.advance_ms(60'000);
  EXPECT_EQ(login_status("clerk35", "pw"), 200);
}

TEST_F(LoginLimitTest, AUserNameGetsTenTriesAMinuteRightOrWrong) {
  for (int i = 0; i < 9; ++i) EXPECT_EQ(login_status("zhang", "guess"), 401) << i;
  EXPECT_EQ(login_status("zhang", "zhang-pass"), 200);  // the tenth
  EXPECT_EQ(login_status("zhang", "zhang-pass"), 429);  // the eleventh, right or not
  EXPECT_EQ(login_status("li", "li-pass"), 200) << "another user is not held up";
  clock_.advance_ms(6'000);  // one try back (10 a minute)
  EXPECT_EQ(login_status("zhang", "zhang-pass"), 200);
  EXPECT_EQ(login_status("zhang", "zhang-pass"), 429);
}

TEST_F(ApiTest, RestartRebuildsTheExactState) {
  start();
  auto c = http();
  auto admin = login("admin", "admin-pass");
  for (int i = 0; i < 6; ++i)
    ASSERT_EQ(c.post("/api/tickets", issue_body(i % 2 ? "A" : "C", "s" + std::to_string(i)), kKioskToken).status, 201);
  auto zhang = login("zhang", "zhang-pass");
  ASSERT_EQ(c.post("/api/windows/1/call-next", {{"request_id", "c1"}}, zhang).status, 200);
  ASSERT_EQ(c.post("/api/windows/1/start", {{"request_id", "c2"}}, zhang).status, 200);
  ASSERT_EQ(c.post("/api/windows/2/pause", {{"request_id", "c3"}}, zhang).status, 200);
  auto before = state(admin);
  restart();
  auto after = state(admin);  // sessions survive a restart
  before.erase("now");
  after.erase("now");
  for (auto* s : {&before, &after})
    for (auto& svc : (*s)["services"]) svc.erase("longest_wait_s");
  EXPECT_EQ(before, after);
  // Numbering continues; nothing is reused.
  auto next = http().post("/api/tickets", issue_body("A", "after-restart"), kKioskToken);
  EXPECT_EQ(next.json()["ticket"]["number"], "A004");
  // The retry of a request made before the restart is still recognised: the clerk's session
  // and the request id are both durable.
  auto retry = http().post("/api/windows/1/start", {{"request_id", "c2"}}, zhang);
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(state(admin)["windows"][0]["current_ticket"], before["windows"][0]["current_ticket"]);
}

TEST_F(ApiTest, TicketPageShowsOnlyThatTicket) {
  start();
  auto c = http();
  auto mine = c.post("/api/tickets", issue_body("A", "m1"), kKioskToken).json();
  c.post("/api/tickets", issue_body("A", "m2"), kKioskToken);
  auto id = mine["ticket"]["id"].get<std::string>();
  auto v = c.get("/api/tickets/" + id);
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_EQ(v.json()["ticket"]["number"], "A001");
  EXPECT_EQ(v.body.find("A002"), std::string::npos);
  EXPECT_EQ(c.get("/api/tickets/not-a-ticket").status, 404);
}

TEST_F(ApiTest, PagesAreServedByShortNameAndNothingOutsideTheWebRoot) {
  TempDir web;
  auto write = [&](const char* name, const char* text) {
    std::ofstream(web.path / name) << text;
  };
  write("index.html", "<h1>index</h1>");
  write("clerk.html", "<h1>clerk</h1>");
  write("ticket.html", "<h1>ticket</h1>");
  write("app.js", "let x = 1;");
  write(".secret", "no");
  net::ServerOptions o;
  o.web_root = web.path.string();
  start(o);
  auto c = http();
  struct Case {
    std::string path;
    int status;
    std::string body_part;
  };
  const std::vector<Case> cases = {
      {"/", 200, "index"},
      {"/clerk", 200, "clerk"},
      {"/clerk?window=3", 200, "clerk"},
      {"/t/q3jzabcdefghijklmnopqrstuv", 200, "ticket"},
      {"/app.js", 200, "let x"},
      {"/.secret", 404, "no such page"},
      {"/../etc/passwd", 404, "no such page"},
      {"/admin", 404, "no such page"},
  };
  for (const auto& k : cases) {
    auto r = c.get(k.path);
    EXPECT_EQ(r.status, k.status) << k.path;
    EXPECT_NE(r.body.find(k.body_part), std::string::npos) << k.path << ": " << r.body;
  }
}

}  // namespace
}  // namespace hallq::test
