// How the bench's clerks and kiosks talk to the server: one command at a time over HTTP
// keep-alive, or many in flight over one WebSocket (results matched by request_id). Each channel
// belongs to one io_context thread and must only be used from it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hallq::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A command's answer as the bench needs it.
struct Reply {
  int status = 0;     // HTTP status (also carried by WebSocket results); 0: no answer came
  std::string body;   // the HTTP body, or the whole WebSocket result message
  std::string transport_error;  // when status == 0
  bool ok() const { return status >= 200 && status < 300; }
  // The server's error code ("queue_empty", "window_busy", ...), or "transport" when no answer.
  std::string error_code() const;
};

class CommandChannel {
 public:
  virtual ~CommandChannel() = default;
  // Sends command `name` with `request_id`; `window` > 0 makes it a window command; `fields`
  // are extra JSON members without braces (e.g. "\"service\":\"A\""), or empty.
  virtual asio::awaitable<Reply> command(std::string_view name, int window, std::string_view request_id,
                                         std::string_view fields) = 0;
  virtual bool is_open() const = 0;
  virtual void close() = 0;
  // Commands a caller may usefully have in flight at once on this channel.
  virtual bool pipelines() const = 0;
};

// One HTTP/1.1 connection, kept alive, reconnecting once on a broken one. One request at a time.
class HttpChannel final : public CommandChannel {
 public:
  HttpChannel(asio::any_io_executor ex, tcp::endpoint server, std::string token);
  asio::awaitable<Reply> request(std::string_view method, std::string_view target, std::string body);
  asio::awaitable<Reply> command(std::string_view name, int window, std::string_view request_id,
                                 std::string_view fields) override;
  bool is_open() const override { return stream_.socket().is_open(); }
  void close() override;
  bool pipelines() const override { return false; }
  void set_token(std::string token) { token_ = std::move(token); }

 private:
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  tcp::endpoint server_;
  std::string host_;  // the Host header
  std::string token_;
};

// One WebSocket as a client of the hall (hello, welcome, snapshot, then commands and events), or
// a command-only one (hello with "events": false: welcome, then results only). Events are
// counted and dropped. Keep it in a shared_ptr: its reader holds a reference while the socket
// is open.
class WsChannel final : public CommandChannel, public std::enable_shared_from_this<WsChannel> {
 public:
  WsChannel(asio::any_io_executor ex, tcp::endpoint server);
  // Connects and says hello; returns "" once the snapshot (or, without events, the welcome)
  // has arrived, else what went wrong.
  asio::awaitable<std::string> open(std::string token, bool events = true);
  asio::awaitable<Reply> command(std::string_view name, int window, std::string_view request_id,
                                 std::string_view fields) override;
  // Callback form: `done` runs on this channel's thread when the result (or the close) comes.
  void send(std::string request_id, std::string message, std::function<void(Reply)> done);
  bool is_open() const override { return open_; }
  void close() override;
  bool pipelines() const override { return true; }

  std::size_t pending() const { return pending_.size(); }
  std::uint64_t events_received() const { return events_; }
  std::uint64_t bytes_received() const { return bytes_; }
  std::size_t snapshot_bytes() const { return snapshot_bytes_; }
  const std::string& close_reason() const { return close_reason_; }

 private:
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  void fail_all(const std::string& why);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  tcp::endpoint server_;
  std::deque<std::string> outbox_;  // outbox_.front() is being written while writing_
  bool writing_ = false;
  bool open_ = false;
  std::unordered_map<std::string, std::function<void(Reply)>> pending_;  // by request_id
  std::uint64_t events_ = 0;
  std::uint64_t bytes_ = 0;
  std::size_t snapshot_bytes_ = 0;
  std::string close_reason_;
};

// An HTTP/1.1 request as text, written in one piece (no Beast serializer: it cost the bench
// about as much CPU as the send). `token` and `body` may be empty.
std::string http_request_text(std::string_view method, std::string_view target, std::string_view host,
                              std::string_view token, std::string_view body);
// The body of a command over HTTP: {"request_id":"...", fields...}.
std::string http_command_body(std::string_view request_id, std::string_view fields);

// The JSON text of a WebSocket command message.
std::string ws_command_message(std::string_view name, int window, std::string_view request_id,
                               std::string_view fields);

// POST /api/login; the session token, or an error text in `error`.
asio::awaitable<std::optional<std::string>> login(asio::any_io_executor ex, tcp::endpoint server,
                                                  std::string user, std::string password, std::string& error);

}  // namespace hallq::bench
