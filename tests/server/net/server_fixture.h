// Starts a real hallq server in-process on 127.0.0.1 with a fresh data directory and the small
// test hall, and gives tests real HTTP and WebSocket clients.
#pragma once

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "hallq/client/client.h"
#include "hallq/hall_config.h"
#include "hallq/net/server.h"

namespace hallq::test {

inline const std::string kKioskToken = "kiosk-token-0001-abcdef";
inline const std::string kDisplayToken = "display-token-0001-abcdef";
inline const std::string kPrinterToken = "printer-token-0001-abcdef";

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/hallq-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// The value of a metric in the server's /metrics text, or -1 if it is not there.
inline double metric_value(const std::string& metrics, const std::string& name) {
  const auto at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + name.size() + 2));
}

// A port on 127.0.0.1 where nothing listens: bound, never listened to, so that a connection is
// refused and no other program can take the port while this lives.
struct NoListener {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  std::uint16_t port = 0;
  NoListener() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
  }
  ~NoListener() { ::close(fd); }
  NoListener(const NoListener&) = delete;
  NoListener& operator=(const NoListener&) = delete;
};

inline std::shared_ptr<const HallConfig> small_hall(const std::function<void(HallConfig&)>& edit = {}) {
  auto c = load_hall_config(std::string(HALLQ_TEST_DATA_DIR) + "/small-hall.json");
  if (!c) throw std::runtime_error("small-hall.json: " + c.error().message);
  // Tests on the real clock run on any day of the week, as they run at any hour (service A has
  // no hours); those about days off set their own workdays.
  c->rules.workdays = {0, 1, 2, 3, 4, 5, 6};
  if (edit) edit(*c);
  return std::make_shared<const HallConfig>(std::move(*c));
}

// A fake wall clock the test moves by hand; starts at 2026-11-27 10:00 Beijing time.
struct FakeClock {
  std::shared_ptr<std::atomic<TimeMs>> now = std::make_shared<std::atomic<TimeMs>>(1795744800000);
  std::function<TimeMs()> fn() const {
    return [n = now] { return n->load(); };
  }
  void advance_ms(TimeMs ms) { now->fetch_add(ms); }
};

class ServerFixture : public ::testing::Test {
 protected:
  void start(net::ServerOptions options = {}, std::shared_ptr<const HallConfig> config = small_hall()) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.data_dir = dir_.path.string();
    last_options_ = options;
    config_ = config;
    auto s = net::Server::create(options, config);
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(*s);
    server_->start();
    port_ = server_->port();
  }
  void restart() {
    server_->stop();
    server_.reset();
    auto s = net::Server::create(last_options_, config_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(*s);
    server_->start();
    port_ = server_->port();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  client::HttpClient http() { return client::HttpClient("127.0.0.1", port_); }
  std::string login(const std::string& user, const std::string& password) {
    auto c = http();
    auto r = c.post("/api/login", {{"user", user}, {"password", password}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().value("token", "");
  }
  // A metric of the server's /metrics, -1 if it is not there.
  double metric(const std::string& name) { return metric_value(http().get("/metrics").body, name); }
  // Waits until `name` reaches `at_least`, or `timeout` passes; its last value. Counters that the
  // server bumps after a send can lag what a client has already read.
  double until_metric(const std::string& name, double at_least,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    double v = metric(name);
    while (v < at_least && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      v = metric(name);
    }
    return v;
  }
  nlohmann::json state(const std::string& token) {
    auto c = http();
    auto r = c.get("/api/state", token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  // Connects a WebSocket, says hello with `token` and returns the snapshot that follows.
  nlohmann::json hello(client::WsClient& ws, const std::string& token) {
    EXPECT_EQ(ws.connect("127.0.0.1", port_), "");
    EXPECT_TRUE(ws.send({{"type", "hello"}, {"token", token}}));
    EXPECT_TRUE(ws.receive_type("welcome", std::chrono::seconds(5)).has_value());
    auto snap = ws.receive_type("snapshot", std::chrono::seconds(5));
    EXPECT_TRUE(snap.has_value());
    return snap.value_or(nlohmann::json());
  }
  // The next event of this kind on the socket, skipping others.
  std::optional<nlohmann::json> next_event(client::WsClient& ws, const std::string& kind) {
    for (int i = 0; i < 100; ++i) {
      auto e = ws.receive_type("event", std::chrono::seconds(10));
      if (!e) return std::nullopt;
      if ((*e)["event"] == kind) return e;
    }
    return std::nullopt;
  }

  TempDir dir_;
  net::ServerOptions last_options_;
  std::shared_ptr<const HallConfig> config_;
  std::unique_ptr<net::Server> server_;
  std::uint16_t port_ = 0;
};

}  // namespace hallq::test
