// The WebSocket protocol against a real server: hello, snapshot, events in seq order, commands
// over the socket, bad messages, size limits, slow clients and resync after a restart.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "server_fixture.h"

namespace hallq::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class WebSocketTest : public ServerFixture {
 protected:
  // Connects, says hello and returns the snapshot.
  json hello(client::WsClient& ws, const std::string& token) {
    EXPECT_EQ(ws.connect("127.0.0.1", port_), "");
    EXPECT_TRUE(ws.send({{"type", "hello"}, {"token", token}}));
    auto welcome = ws.receive_type("welcome", 5s);
    EXPECT_TRUE(welcome.has_value());
    auto snap = ws.receive_type("snapshot", 5s);
    EXPECT_TRUE(snap.has_value());
    return snap.value_or(json());
  }
};

TEST_F(WebSocketTest, SnapshotThenEveryChangeInSeqOrder) {
  start();
  client::WsClient ws;
  auto snap = hello(ws, kDisplayToken);
  ASSERT_TRUE(snap.contains("seq"));
  std::uint64_t seq = snap["seq"];
  EXPECT_FALSE(snap.contains("tickets"));  // displays get counts, not ticket lists
  EXPECT_EQ(snap["windows"].size(), 4u);

  auto c = http();
  auto zhang = login("zhang", "zhang-pass");
  ASSERT_EQ(c.post("/api/tickets", {{"service", "A"}, {"request_id", "e1"}}, kKioskToken).status, 201);
  ASSERT_EQ(c.post("/api/windows/1/call-next", {{"request_id", "e2"}}, zhang).status, 200);
  ASSERT_EQ(c.post("/api/windows/1/recall", {{"request_id", "e3"}}, zhang).status, 200);

  std::vector<std::string> kinds;
  for (int i = 0; i < 3; ++i) {
    auto e = ws.receive_type("event", 5s);
    ASSERT_TRUE(e) << "event " << i << " did not arrive";
    EXPECT_EQ(e->at("seq").get<std::uint64_t>(), seq + 1) << "gap or reorder";
    seq = e->at("seq");
    kinds.push_back(e->at("event"));
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"ticket_issued", "ticket_called", "ticket_recalled"}));
}

// WebSocket sessions share one strand per I/O thread (server/net/src/ws_shard.h), and an event
// reaches the screens of a shard in one handler. Every screen, on every shard, still gets each
// event exactly once and in seq order, and a clerk's answer comes after the event it caused.
TEST_F(WebSocketTest, EveryScreenOnEveryShardGetsEachEventOnceInOrder) {
  net::ServerOptions options;
  options.threads = 3;  // three shards; sessions are dealt to them in turn
  start(options);
  constexpr int kScreens = 7;
  std::vector<std::unique_ptr<client::WsClient>> screens;
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < kScreens; ++i) {
    screens.push_back(std::make_unique<client::WsClient>());
    seqs.push_back(hello(*screens.back(), kDisplayToken).value("seq", std::uint64_t(0)));
  }
  client::WsClient clerk;
  hello(clerk, login("zhang", "zhang-pass"));

  constexpr int kTickets = 6;
  auto c = http();
  for (int i = 0; i < kTickets; ++i)
    ASSERT_EQ(c.post("/api/tickets", {{"service", "A"}, {"request_id", "s" + std::to_string(i)}}, kKioskToken).status, 201);
  // Each command's answer on the clerk's socket must follow the event it caused there.
  const std::vector<std::pair<std::string, std::string>> steps = {
      {"call-next", "ticket_called"}, {"start", "service_started"}, {"complete", "service_completed"}};
  for (int i = 0; i < kTickets; ++i) {
    for (const auto& [command, caused] : steps) {
      const std::string id = command + "-" + std::to_string(i);
      ASSERT_TRUE(clerk.send({{"type", "command"}, {"command", command}, {"window", 1}, {"request_id", id}}));
      std::vector<std::string> events_before;
      std::optional<json> result;
      while (!result) {
        auto m = clerk.receive(5s);
        ASSERT_TRUE(m) << "no answer to " << id;
        if ((*m)["type"] == "event") events_before.push_back((*m)["event"]);
        if ((*m)["type"] == "result" && (*m)["request_id"] == id) result = m;
      }
      ASSERT_TRUE(result->at("ok").get<bool>()) << result->dump();
      EXPECT_NE(std::find(events_before.begin(), events_before.end(), caused), events_before.end())
          << id << " was answered before its " << caused << " arrived";
    }
  }

  const std::uint64_t last = state(login("zhang", "zhang-pass")).value("seq", std::uint64_t(0));
  ASSERT_EQ(last, seqs[0] + kTickets * 4) << "each ticket is issued, called, started and completed";
  for (int i = 0; i < kScreens; ++i) {
    std::uint64_t seq = seqs[i];
    while (seq < last) {
      auto e = screens[i]->receive_type("event", 5s);
      ASSERT_TRUE(e) << "screen " << i << " stopped at seq " << seq << " of " << last;
      ASSERT_EQ(e->at("seq").get<std::uint64_t>(), seq + 1) << "screen " << i << ": a gap, a repeat or a reorder";
      seq = e->at("seq");
    }
    // Nothing after the last event: no event was delivered twice.
    EXPECT_FALSE(screens[i]->receive_type("event", 300ms)) << "screen " << i << " got more than every event";
  }
}

TEST_F(WebSocketTest, CommandsOverTheSocketAreAnsweredAndIdempotent) {
  start();
  client::WsClient kiosk;
  hello(kiosk, kKioskToken);
  json cmd{{"type", "command"}, {"command", "issue"}, {"service", "C"}, {"request_id", "ws-1"}};
  ASSERT_TRUE(kiosk.send(cmd));
  auto r1 = kiosk.receive_type("result", 5s);
  ASSERT_TRUE(r1);
  EXPECT_TRUE(r1->at("ok").get<bool>()) << r1->dump();
  EXPECT_EQ(r1->at("request_id"), "ws-1");
  EXPECT_EQ(r1->at("result")["ticket"]["number"], "C001");
  ASSERT_TRUE(kiosk.send(cmd));
  auto r2 = kiosk.receive_type("result", 5s);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->at("result")["ticket"]["id"], r1->at("result")["ticket"]["id"]);

  json bad{{"type", "command"}, {"command", "call-next"}, {"window", 1}, {"request_id", "ws-2"}};
  ASSERT_TRUE(kiosk.send(bad));
  auto r3 = kiosk.receive_type("result", 5s);
  ASSERT_TRUE(r3);
  EXPECT_FALSE(r3->at("ok").get<bool>());
  EXPECT_EQ(r3->at("error")["code"], "forbidden");
}

// A kiosk pressed by many visitors at once, over one socket: every command gets its own result,
// once, however the commit groups them and however few writes carry them.
TEST_F(WebSocketTest, PipelinedCommandsAreEachAnsweredOnce) {
  start();
  client::WsClient kiosk;
  hello(kiosk, kKioskToken);
  constexpr int kCommands = 60;
  for (int i = 0; i < kCommands; ++i)
    ASSERT_TRUE(kiosk.send({{"type", "command"}, {"command", "issue"}, {"service", "A"}, {"request_id", "p-" + std::to_string(i)}}));
  std::set<std::string> ids, numbers;
  for (int i = 0; i < kCommands; ++i) {
    auto r = kiosk.receive_type("result", 5s);
    ASSERT_TRUE(r) << "result " << i << " did not arrive";
    ASSERT_TRUE(r->at("ok").get<bool>()) << r->dump();
    EXPECT_TRUE(ids.insert(r->at("request_id")).second) << "answered twice: " << r->dump();
    numbers.insert(r->at("result")["ticket"]["number"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), std::size_t(kCommands));
  EXPECT_EQ(numbers.size(), std::size_t(kCommands));  // sixty tickets, sixty numbers
  EXPECT_FALSE(kiosk.receive_type("result", 300ms)) << "an extra result";
}

// "events": false in the hello: a client that only sends commands gets its results and none of
// the hall's traffic, until it asks for a snapshot.
TEST_F(WebSocketTest, ACommandOnlyClientGetsResultsAndNoEventsUntilItAsks) {
  start();
  client::WsClient board;
  hello(board, kDisplayToken);
  client::WsClient kiosk;
  ASSERT_EQ(kiosk.connect("127.0.0.1", port_), "");
  ASSERT_TRUE(kiosk.send({{"type", "hello"}, {"token", kKioskToken}, {"events", false}}));
  auto welcome = kiosk.receive(5s);
  ASSERT_TRUE(welcome);
  EXPECT_EQ(welcome->at("type"), "welcome") << welcome->dump();

  ASSERT_TRUE(kiosk.send({{"type", "command"}, {"command", "issue"}, {"service", "A"}, {"request_id", "q-1"}}));
  auto r = kiosk.receive(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("type"), "result") << "a snapshot or event came first: " << r->dump();
  EXPECT_TRUE(r->at("ok").get<bool>()) << r->dump();
  auto zhang = login("zhang", "zhang-pass");
  ASSERT_EQ(http().post("/api/windows/1/call-next", {{"request_id", "q-2"}}, zhang).status, 200);
  // The board has both events; by then the kiosk would have had them too.
  auto issued = board.receive_type("event", 5s);
  auto called = board.receive_type("event", 5s);
  ASSERT_TRUE(issued && called);
  EXPECT_EQ(called->at("event"), "ticket_called");
  auto extra = kiosk.receive(500ms);
  EXPECT_FALSE(extra) << "a command-only client got " << extra->dump();

  ASSERT_TRUE(kiosk.send({{"type", "snapshot"}}));
  auto snap = kiosk.receive(5s);
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->at("type"), "snapshot") << snap->dump();
  EXPECT_EQ(snap->at("seq"), called->at("seq"));
  ASSERT_EQ(http().post("/api/windows/1/recall", {{"request_id", "q-3"}}, zhang).status, 200);
  auto recalled = kiosk.receive_type("event", 5s);
  ASSERT_TRUE(recalled);
  EXPECT_EQ(recalled->at("event"), "ticket_recalled");
  EXPECT_EQ(recalled->at("seq").get<std::uint64_t>(), snap->at("seq").get<std::uint64_t>() + 1);

  client::WsClient wrong;
  ASSERT_EQ(wrong.connect("127.0.0.1", port_), "");
  ASSERT_TRUE(wrong.send({{"type", "hello"}, {"token", kKioskToken}, {"events", "no"}}));
  auto e = wrong.receive_type("error", 5s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->at("error")["code"], "bad_request");
  EXPECT_EQ(e->at("error")["message"], "/events: must be true or false");
}

TEST_F(WebSocketTest, MalformedMessagesGetErrorsAndTheConnectionStays) {
  start();
  client::WsClient ws;
  hello(ws, kDisplayToken);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{not json", "line 1"},
      {"[]", "type"},
      {R"({"type":"dance"})", "dance"},
      {R"({"type":"command","request_id":"x"})", "command"},
      {R"({"type":"hello","token":"again"})", "already"},
  };
  for (const auto& [text, part] : cases) {
    ASSERT_TRUE(ws.send_text(text));
    auto e = ws.receive_type("error", 5s);
    ASSERT_TRUE(e) << text;
    EXPECT_EQ(e->at("error")["code"], "bad_request") << text;
    EXPECT_NE(e->at("error")["message"].get<std::string>().find(part), std::string::npos) << e->dump();
  }
  ASSERT_TRUE(ws.send({{"type", "ping"}}));
  EXPECT_TRUE(ws.receive_type("pong", 5s));
}

TEST_F(WebSocketTest, WrongTokenIsRefusedAndClosed) {
  start();
  client::WsClient ws;
  ASSERT_EQ(ws.connect("127.0.0.1", port_), "");
  ASSERT_TRUE(ws.send({{"type", "hello"}, {"token", "definitely-not-valid-token"}}));
  auto e = ws.receive_type("error", 5s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->at("error")["code"], "unauthorized");
  EXPECT_FALSE(ws.receive(5s).has_value());
  EXPECT_EQ(ws.close_code(), 1008);
}

TEST_F(WebSocketTest, SilentClientIsClosedAfterHelloTimeout) {
  net::ServerOptions o;
  o.ws_hello_timeout = std::chrono::seconds(1);
  start(o);
  client::WsClient ws;
  ASSERT_EQ(ws.connect("127.0.0.1", port_), "");
  auto e = ws.receive_type("error", 5s);
  ASSERT_TRUE(e);
  EXPECT_FALSE(ws.receive(5s).has_value());
  EXPECT_EQ(ws.close_code(), 1008);
}

TEST_F(WebSocketTest, ASocketThatAnswersNoPingIsClosedAtTheIdleTimeoutAndAReaderStays) {
  net::ServerOptions o;
  o.ws_idle_timeout = 2s;  // a ping after 1 s of silence, closed after 2 s
  start(o);
  client::WsClient quiet, reader;
  hello(quiet, kDisplayToken);
  hello(reader, kDisplayToken);
  // The reader reads (its client answers the server's pings); the quiet one reads nothing, as a
  // display whose PC has frozen.
  for (auto until = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < until;)
    EXPECT_FALSE(reader.receive(200ms).has_value()) << "nothing happened in the hall";
  EXPECT_FALSE(quiet.receive(2s).has_value());
  EXPECT_FALSE(quiet.is_open()) << "a socket silent for more than the idle timeout is still open";
  ASSERT_TRUE(reader.is_open());
  ASSERT_EQ(http().post("/api/tickets", {{"service", "A"}, {"request_id", "idle-1"}}, kKioskToken).status, 201);
  EXPECT_TRUE(next_event(reader, "ticket_issued").has_value());
  EXPECT_EQ(metric("hallq_websocket_connections"), 1);
}

TEST_F(WebSocketTest, OversizedMessageClosesWith1009) {
  net::ServerOptions o;
  o.ws_message_limit = 1024;
  start(o);
  client::WsClient ws;
  hello(ws, kDisplayToken);
  // One frame (under the client's 4 KiB fragment size) of about 2 KiB: over the limit.
  ASSERT_TRUE(ws.send_text(R"({"type":"ping","pad":")" + std::string(2000, 'x') + "\"}"));
  EXPECT_FALSE(ws.receive(5s).has_value());
  EXPECT_EQ(ws.close_code(), 1009);
  // Others are unaffected.
  EXPECT_EQ(http().get("/api/health").status, 200);
}

// A display that says hello and then never reads: a raw socket with a tiny receive buffer,
// so the kernel stops taking bytes quickly and the server's queue for it fills.
int connect_stuck_display(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  std::string upgrade =
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  ::send(fd, upgrade.data(), upgrade.size(), 0);
  char buf[512];
  ::recv(fd, buf, sizeof buf, 0);  // the 101 response
  // A masked text frame (mask 0) carrying the hello.
  std::string hello = R"({"type":"hello","token":")" + kDisplayToken + "\"}";
  std::string frame;
  frame.push_back(char(0x81));
  frame.push_back(char(0x80 | hello.size()));
  frame.append(4, '\0');
  frame += hello;
  ::send(fd, frame.data(), frame.size(), 0);
  return fd;
}

TEST_F(WebSocketTest, ClientThatStopsReadingIsClosedAndOthersKeepUp) {
  net::ServerOptions o;
  o.ws_queue_messages = 8;
  o.ws_send_buffer = 4096;
  o.ws_stall_timeout = 200ms;  // behind with a write stuck this long: closed, not resynced
  o.display_update_hold = 0ms;  // the healthy display waits for each notice before the next
  start(o);
  int stuck = connect_stuck_display(port_);
  ASSERT_GE(stuck, 0);
  client::WsClient healthy;
  auto snap = hello(healthy, kDisplayToken);
  std::uint64_t seq = snap["seq"];

  auto c = http();
  auto admin = login("admin", "admin-pass");
  const std::string long_notice(400, 'N');
  for (int i = 0; i < 400; ++i) {
    auto r = c.post("/api/commands/notice", {{"request_id", "n" + std::to_string(i)}, {"text", long_notice + std::to_string(i)}}, admin);
    ASSERT_EQ(r.status, 200) << r.body;
    // The healthy display keeps reading and sees every event, in order.
    auto e = healthy.receive_type("event", 5s);
    ASSERT_TRUE(e) << "healthy display lost event " << i;
    EXPECT_EQ(e->at("seq").get<std::uint64_t>(), ++seq);
  }
  auto metrics = c.get("/metrics").body;
  EXPECT_NE(metrics.find("hallq_websocket_closed_slow_total 1"), std::string::npos) << metrics;
  ::close(stuck);
}

// A call goes to the screens at once and takes the updates waiting before it along, in one
// write and in seq order. Updates with no call after them still go when the hold is over.
TEST_F(WebSocketTest, UpdatesRideWithTheNextCallOrGoWhenTheHoldIsOver) {
  net::ServerOptions o;
  o.display_update_hold = 3s;  // long enough that only the call can send the updates before it
  start(o);
  client::WsClient ws;
  auto snap = hello(ws, kDisplayToken);
  std::uint64_t seq = snap["seq"];
  auto c = http();
  auto zhang = login("zhang", "zhang-pass");
  auto counters = [&] {
    auto m = c.get("/metrics").body;
    return std::pair{metric_value(m, "hallq_websocket_writes_total"), metric_value(m, "hallq_websocket_messages_sent_total")};
  };
  // The server counts a write just after its sendmsg, so the client can read the frames first:
  // wait until it has counted `messages` since `from`.
  auto counted = [&](double from, double messages) {
    until_metric("hallq_websocket_messages_sent_total", from + messages, 5s);
    return counters();
  };
  const auto [writes0, messages0] = counted(0, 2);
  ASSERT_GE(writes0, 2) << "the welcome and the snapshot";

  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(c.post("/api/tickets", {{"service", "A"}, {"request_id", "u" + std::to_string(i)}}, kKioskToken).status, 201);
  EXPECT_FALSE(ws.receive(300ms).has_value()) << "an update went out before the call or the hold";
  ASSERT_EQ(c.post("/api/windows/1/call-next", {{"request_id", "call"}}, zhang).status, 200);
  std::vector<std::string> kinds;
  for (int i = 0; i < 4; ++i) {
    auto e = ws.receive_type("event", 5s);
    ASSERT_TRUE(e) << "event " << i;
    EXPECT_EQ(e->at("seq").get<std::uint64_t>(), ++seq);
    kinds.push_back(e->at("event"));
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"ticket_issued", "ticket_issued", "ticket_issued", "ticket_called"}));
  const auto [writes1, messages1] = counted(messages0, 4);
  EXPECT_EQ(messages1 - messages0, 4);
  EXPECT_EQ(writes1 - writes0, 1) << "the three updates rode with the call";

  // No call after this one: it goes when the hold is over.
  ASSERT_EQ(c.post("/api/tickets", {{"service", "B"}, {"request_id", "alone"}}, kKioskToken).status, 201);
  auto e = ws.receive_type("event", 10s);
  ASSERT_TRUE(e) << "an update with no call after it never went out";
  EXPECT_EQ(e->at("seq").get<std::uint64_t>(), ++seq);
  EXPECT_EQ(e->at("event"), "ticket_issued");
  const auto [writes2, messages2] = counted(messages1, 1);
  EXPECT_EQ(messages2 - messages1, 1);
  EXPECT_EQ(writes2 - writes1, 1);
}

// The hold counts from the update that waits. One that a call took along does not shorten the
// next one's: in a busy hall that would add a write to every screen between most calls.
TEST_F(WebSocketTest, AnUpdateAfterACallIsHeldItsWholeHold) {
  net::ServerOptions o;
  o.display_update_hold = 1s;
  start(o);
  client::WsClient ws;
  hello(ws, kDisplayToken);
  auto c = http();
  auto zhang = login("zhang", "zhang-pass");
  ASSERT_EQ(c.post("/api/tickets", {{"service", "A"}, {"request_id", "h1"}}, kKioskToken).status, 201);
  std::this_thread::sleep_for(400ms);
  ASSERT_EQ(c.post("/api/windows/1/call-next", {{"request_id", "h2"}}, zhang).status, 200);
  for (const char* kind : {"ticket_issued", "ticket_called"}) {
    auto e = ws.receive_type("event", 5s);
    ASSERT_TRUE(e) << kind;
    EXPECT_EQ(e->at("event"), kind);
  }
  // Held from now: not when the first ticket's hold would have ended, 600 ms from now at most.
  ASSERT_EQ(c.post("/api/tickets", {{"service", "A"}, {"request_id", "h3"}}, kKioskToken).status, 201);
  const auto posted = std::chrono::steady_clock::now();
  auto early = ws.receive(800ms);
  EXPECT_FALSE(early) << "went out before its own hold: " << early->dump();
  auto e = ws.receive_type("event", 5s);
  ASSERT_TRUE(e) << "an update with no call after it never went out";
  EXPECT_EQ(e->at("event"), "ticket_issued");
  EXPECT_LT(std::chrono::steady_clock::now() - posted, 3s);
}

// A hall's screens may hold updates longer than a clerk's console: the console answers a person
// at the counter, the screens are the thousand clients whose writes the holds save.
TEST_F(WebSocketTest, ScreensHoldUpdatesLongerThanConsoles) {
  net::ServerOptions o;
  o.ws_update_hold = 50ms;
  o.display_update_hold = 3s;
  start(o);
  client::WsClient board, console;
  hello(board, kDisplayToken);
  hello(console, login("zhang", "zhang-pass"));
  ASSERT_EQ(http().post("/api/tickets", {{"service", "A"}, {"request_id", "s1"}}, kKioskToken).status, 201);
  auto e = console.receive_type("event", 2s);
  ASSERT_TRUE(e) << "the console's update waited for the screens' hold";
  EXPECT_EQ(e->at("event"), "ticket_issued");
  auto early = board.receive(1s);
  EXPECT_FALSE(early) << "the screen's update did not wait: " << early->dump();
  auto late = board.receive_type("event", 5s);
  ASSERT_TRUE(late) << "the screen's update never went out";
  EXPECT_EQ(late->at("seq"), e->at("seq"));
}

// What a raw client reads from the server: whole frames, parsed by hand so that a byte out of
// place (a pong inside an event's frame, a frame cut short by a resync) shows as an error.
struct ServerFrame {
  int opcode = 0;
  std::string payload;
};

// Reads frames off `fd` until `done` says so or `timeout` passes. Server frames are unmasked
// and, from HallQ, never fragmented.
std::vector<ServerFrame> read_frames(int fd, std::chrono::milliseconds timeout,
                                     const std::function<bool(const std::vector<ServerFrame>&)>& done,
                                     std::string& error) {
  std::vector<ServerFrame> frames;
  std::string bytes;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(frames) && std::chrono::steady_clock::now() < deadline) {
    char buf[8192];
    timeval tv{0, 100'000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) continue;
    bytes.append(buf, std::size_t(n));
    for (;;) {
      if (bytes.size() < 2) break;
      const auto b0 = std::uint8_t(bytes[0]), b1 = std::uint8_t(bytes[1]);
      if ((b0 & 0x80) == 0 || (b0 & 0x70) != 0 || (b1 & 0x80) != 0) {
        error = "not a whole unmasked frame at a frame boundary: bytes " + std::to_string(b0) + " " + std::to_string(b1);
        return frames;
      }
      std::size_t header = 2;
      std::uint64_t length = b1 & 0x7f;
      if (length == 126 || length == 127) {
        const std::size_t width = length == 126 ? 2 : 8;
        if (bytes.size() < 2 + width) break;
        length = 0;
        for (std::size_t i = 0; i < width; ++i) length = (length << 8) | std::uint8_t(bytes[2 + i]);
        header += width;
      }
      if (bytes.size() < header + length) break;
      frames.push_back(ServerFrame{b0 & 0x0f, bytes.substr(header, std::size_t(length))});
      bytes.erase(0, header + std::size_t(length));
    }
  }
  return frames;
}

// A display that stopped reading has a frame half written and more queued behind it. It pings
// meanwhile (our displays ping every half minute), and its queue overflows into a resync. When
// it reads again, the bytes must still be whole frames: the pongs between frames, not inside
// one; the half-written frame finished before the snapshot; every event once, in order, after
// the snapshot that covers the ones it missed.
TEST_F(WebSocketTest, ABackedUpDisplayGetsWholeFramesItsPongsAndAResync) {
  net::ServerOptions o;
  o.ws_queue_messages = 16;     // overflows quickly: a resync, not a close
  o.ws_send_buffer = 4096;      // the kernel holds little, so frames wait in the server
  o.ws_stall_timeout = 30s;     // this client is slow, not gone
  start(o);
  int fd = connect_stuck_display(port_);
  ASSERT_GE(fd, 0);
  auto c = http();
  auto admin = login("admin", "admin-pass");
  int notices = 0;
  auto notice = [&] {
    auto r = c.post("/api/commands/notice", {{"request_id", "n" + std::to_string(notices)},
                                             {"text", std::string(480, 'N') + std::to_string(notices)}}, admin);
    ++notices;
    ASSERT_EQ(r.status, 200) << r.body;
  };
  auto ping = [&](int k) {  // a masked ping (mask 0) with payload "pK"
    std::string payload = "p" + std::to_string(k);
    std::string frame{char(0x89), char(0x80 | payload.size())};
    frame.append(4, '\0');
    frame += payload;
    ASSERT_EQ(::send(fd, frame.data(), frame.size(), 0), ssize_t(frame.size()));
  };
  constexpr int kPings = 3;
  for (int i = 0; i < 40; ++i) notice();
  for (int k = 0; k < kPings; ++k) {
    ping(k);
    for (int i = 0; i < 20; ++i) notice();
  }
  const std::uint64_t last_seq = json::parse(c.get("/api/state", admin).body)["seq"];

  std::string error;
  auto frames = read_frames(fd, 10s, [&](const std::vector<ServerFrame>& fs) {
    int pongs = 0;
    bool at_end = false;
    for (const auto& f : fs) {
      if (f.opcode == 0xA) ++pongs;
      if (f.opcode == 0x1) {
        auto j = json::parse(f.payload, nullptr, false);
        at_end = j.is_object() && j.value("seq", std::uint64_t(0)) == last_seq;
      }
    }
    return pongs == kPings && at_end;
  }, error);
  ::close(fd);
  ASSERT_EQ(error, "");

  std::vector<std::string> pongs;
  std::uint64_t seq = 0;
  int snapshots = 0, events = 0;
  for (const auto& f : frames) {
    if (f.opcode == 0xA) {
      pongs.push_back(f.payload);
      continue;
    }
    ASSERT_EQ(f.opcode, 0x1) << "only text frames and pongs";
    auto j = json::parse(f.payload, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "a text frame that is not JSON: " << f.payload.substr(0, 80);
    const std::string type = j.value("type", "");
    if (type == "snapshot") {
      ++snapshots;
      EXPECT_GE(j["seq"].get<std::uint64_t>(), seq) << "a snapshot older than an event before it";
      seq = j["seq"];
    } else if (type == "event") {
      ++events;
      EXPECT_EQ(j["seq"].get<std::uint64_t>(), seq + 1) << "a gap or a repeat after seq " << seq;
      seq = j["seq"];
    }
  }
  EXPECT_EQ(pongs, (std::vector<std::string>{"p0", "p1", "p2"}));
  EXPECT_EQ(seq, last_seq) << "the display did not catch up";
  EXPECT_GE(snapshots, 2) << "the first snapshot, then at least one resync";
  EXPECT_LT(events, notices) << "the resync should have replaced some events";
  auto metrics = c.get("/metrics").body;
  EXPECT_NE(metrics.find("hallq_websocket_closed_slow_total 0"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("hallq_websocket_resynced_total 0"), std::string::npos) << metrics;
}

// The text frames among `frames`, parsed.
std::vector<json> texts(const std::vector<ServerFrame>& frames) {
  std::vector<json> out;
  for (const auto& f : frames)
    if (f.opcode == 0x1) out.push_back(json::parse(f.payload, nullptr, false));
  return out;
}

// The day rolls over with every ticket still open: one command brings dozens of events at once,
// more than a client's queue holds while its socket is full. Each screen gets one fresh snapshot
// instead of being closed (which would have the whole hall reconnect together), then the events
// after it.
TEST_F(WebSocketTest, BurstLargerThanTheQueueResyncsWithASnapshotInsteadOfClosing) {
  FakeClock clock;
  net::ServerOptions o;
  o.clock = clock.fn();
  o.ws_queue_messages = 8;
  o.ws_send_buffer = 4096;  // with the display's small receive buffer, the burst waits in the server
  start(o);
  int fd = connect_stuck_display(port_);
  ASSERT_GE(fd, 0);
  auto c = http();
  auto admin = login("admin", "admin-pass");
  auto state = [&] {
    auto j = json::parse(c.get("/api/state", admin).body, nullptr, false);
    EXPECT_TRUE(j.contains("seq")) << j.dump().substr(0, 200);
    return j;
  };
  // Reads until the display has seen `seq`, by an event or a snapshot.
  auto read_to = [&](std::uint64_t seq) {
    std::string error;
    auto frames = read_frames(fd, 10s, [&](const std::vector<ServerFrame>& fs) {
      auto ts = texts(fs);
      return std::any_of(ts.begin(), ts.end(), [&](const json& j) { return j.is_object() && j.value("seq", std::uint64_t(0)) == seq; });
    }, error);
    EXPECT_EQ(error, "");
    return texts(frames);
  };
  constexpr int kOpen = 30;
  for (int i = 0; i < kOpen; ++i) {
    ASSERT_EQ(c.post("/api/tickets", {{"service", i % 2 ? "A" : "B"}, {"request_id", "b" + std::to_string(i)}}, kKioskToken).status, 201);
    if (i % 4 == 3) read_to(state()["seq"]);  // keeps up, a few events at a time
  }
  const json before = state();
  read_to(before["seq"]);
  const std::uint64_t seq = before["seq"];
  const std::string first_day = before["business_day"];

  clock.advance_ms(24 * 3600 * 1000);  // the next morning: the first ticket expires yesterday's 30
  auto r = c.post("/api/tickets", {{"service", "A"}, {"request_id", "next-day"}}, kKioskToken);
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(c.post("/api/tickets", {{"service", "B"}, {"request_id", "after"}}, kKioskToken).status, 201);
  admin = login("admin", "admin-pass");  // yesterday's sign-in has run out
  const std::uint64_t last = state()["seq"];
  auto got = read_to(last);
  ::close(fd);

  auto day = std::find_if(got.begin(), got.end(), [&](const json& j) {
    return j.value("type", "") == "snapshot" && j.value("business_day", "") != first_day;
  });
  ASSERT_NE(day, got.end()) << "no snapshot of the new day after the burst: was the display closed?";
  EXPECT_GE(day->at("seq").get<std::uint64_t>(), seq + kOpen + 1) << "30 expiries and the rollover at least";
  int waiting = 0;
  for (const auto& sv : day->at("services")) waiting += sv.at("waiting").get<int>();
  EXPECT_LE(waiting, 2) << "only today's tickets wait";
  // And the stream goes on from the snapshot, with no gap, to the last event.
  std::uint64_t at = day->at("seq");
  for (auto it = day + 1; it != got.end(); ++it) {
    if (it->value("type", "") != "event") continue;
    EXPECT_EQ(it->at("seq").get<std::uint64_t>(), at + 1);
    at = it->at("seq");
  }
  EXPECT_EQ(at, last);
  auto metrics = c.get("/metrics").body;
  EXPECT_EQ(metrics.find("hallq_websocket_resynced_total 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("hallq_websocket_closed_slow_total 0"), std::string::npos) << metrics;
}

TEST_F(WebSocketTest, DisplayResyncsAfterServerRestart) {
  start();
  client::WsClient ws;
  hello(ws, kDisplayToken);
  auto c = http();
  ASSERT_EQ(c.post("/api/tickets", {{"service", "A"}, {"request_id", "r1"}}, kKioskToken).status, 201);
  ASSERT_TRUE(ws.receive_type("event", 5s));
  restart();
  // The old connection is gone; a reconnect gets a snapshot that includes the ticket.
  EXPECT_FALSE(ws.receive(5s).has_value());
  client::WsClient again;
  auto snap = hello(again, kDisplayToken);
  int waiting = 0;
  for (auto& s : snap["services"])
    if (s["code"] == "A") waiting = s["waiting"];
  EXPECT_EQ(waiting, 1);
}

TEST_F(WebSocketTest, TicketPageFollowsItsOwnTicketOnly) {
  start();
  auto c = http();
  auto first = c.post("/api/tickets", {{"service", "A"}, {"request_id", "v1"}}, kKioskToken).json();
  auto mine = c.post("/api/tickets", {{"service", "A"}, {"request_id", "v2"}}, kKioskToken).json();
  std::string id = mine["ticket"]["id"];

  client::WsClient phone;
  ASSERT_EQ(phone.connect("127.0.0.1", port_), "");
  ASSERT_TRUE(phone.send({{"type", "hello"}, {"ticket", id}}));
  auto v = phone.receive_type("ticket_view", 5s);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("ticket")["number"], "A002");
  EXPECT_EQ(v->at("ahead"), 1);

  auto zhang = login("zhang", "zhang-pass");
  ASSERT_EQ(c.post("/api/windows/1/call-next", {{"request_id", "p1"}}, zhang).status, 200);  // A001
  v = phone.receive_type("ticket_view", 5s);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("ahead"), 0);
  ASSERT_EQ(c.post("/api/windows/1/no-show", {{"request_id", "p2"}}, zhang).status, 200);
  ASSERT_EQ(c.post("/api/windows/1/call-next", {{"request_id", "p3"}}, zhang).status, 200);  // A002
  // Views only change when something about this ticket changes; skip to the called one.
  for (;;) {
    v = phone.receive_type("ticket_view", 5s);
    ASSERT_TRUE(v);
    if (v->at("ticket")["state"] == "called") break;
  }
  EXPECT_EQ(v->at("ticket")["window"], 1);
  EXPECT_TRUE(v->contains("window_name"));
  // Nothing about the other visitor ever reached this phone.
  EXPECT_EQ(v->dump().find(first["ticket"]["id"].get<std::string>()), std::string::npos);
  // A phone may not send commands.
  ASSERT_TRUE(phone.send({{"type", "command"}, {"command", "call-next"}, {"window", 1}, {"request_id", "x"}}));
  auto e = phone.receive_type("error", 5s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->at("error")["code"], "forbidden");
}

TEST_F(WebSocketTest, PrinterLearnsItsKioskReportsPaperOutAndGetsReprints) {
  start();
  auto admin_token = login("admin", "admin-pass");
  client::WsClient admin;
  auto snap = hello(admin, admin_token);
  bool listed = false;
  for (auto& d : snap["devices"])
    if (d["id"] == "printer-1") listed = d["online"] == false;
  EXPECT_TRUE(listed) << snap["devices"].dump();

  client::WsClient printer;
  ASSERT_EQ(printer.connect("127.0.0.1", port_), "");
  ASSERT_TRUE(printer.send({{"type", "hello"}, {"token", kPrinterToken}}));
  auto welcome = printer.receive_type("welcome", 5s);
  ASSERT_TRUE(welcome);
  EXPECT_EQ(welcome->at("kiosks"), json::array({"kiosk-1"}));
  auto psnap = printer.receive_type("snapshot", 5s);
  ASSERT_TRUE(psnap);
  EXPECT_TRUE(psnap->contains("tickets"));  // to find tickets issued while it was away

  auto online = admin.receive_type("device", 5s);
  ASSERT_TRUE(online);
  EXPECT_EQ(online->at("id"), "printer-1");
  EXPECT_EQ(online->at("online"), true);

  ASSERT_TRUE(printer.send({{"type", "device_status"}, {"status", "paper_out"}, {"detail", "纸将用尽，请通知工作人员"}}));
  auto out = admin.receive_type("device", 5s);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->at("status"), "paper_out");
  auto c = http();
  EXPECT_NE(c.get("/metrics").body.find("hallq_printer_status{printer=\"printer-1\",status=\"paper_out\"} 1"),
            std::string::npos);

  ASSERT_TRUE(printer.send({{"type", "device_status"}, {"status", "on_fire"}}));
  auto bad = printer.receive_type("error", 5s);
  ASSERT_TRUE(bad);
  EXPECT_NE(bad->at("error")["message"].get<std::string>().find("on_fire"), std::string::npos);

  auto issued = c.post("/api/tickets", {{"service", "A"}, {"request_id", "rp1"}}, kKioskToken).json();
  std::string id = issued["ticket"]["id"];
  EXPECT_EQ(c.post("/api/tickets/" + id + "/reprint", {{"request_id", "rp-x"}}, kDisplayToken).status, 403);
  auto r = c.post("/api/tickets/" + id + "/reprint", {{"request_id", "rp-2"}}, kKioskToken);
  ASSERT_EQ(r.status, 202) << r.body;
  auto again = printer.receive_type("reprint", 5s);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->at("ticket")["id"], id);
  EXPECT_EQ(again->at("request_id"), "rp-2");

  printer.close();
  auto offline = admin.receive_type("device", 5s);
  ASSERT_TRUE(offline);
  EXPECT_EQ(offline->at("online"), false);
}

TEST_F(WebSocketTest, TicketPageWithUnknownTicketIsRefused) {
  start();
  client::WsClient phone;
  ASSERT_EQ(phone.connect("127.0.0.1", port_), "");
  ASSERT_TRUE(phone.send({{"type", "hello"}, {"ticket", "aaaaaaaaaaaaaaaaaaaaaaaaaa"}}));
  auto e = phone.receive_type("error", 5s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->at("error")["code"], "not_found");
  EXPECT_FALSE(phone.receive(5s).has_value());
  EXPECT_EQ(phone.close_code(), 1008);
}

}  // namespace
}  // namespace hallq::test
