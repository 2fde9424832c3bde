// Connections: the listener accepts, an HttpSession reads requests (and hands a /ws upgrade to
// a WebSocketSession), a WebSocketSession owns one live client. An HTTP connection runs on its
// own strand, a WebSocket session on its shard's (ws_shard.h); the hall reaches a
// WebSocketSession only through Subscriber::deliver.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "api.h"
#include "context.h"
#include "ws_shard.h"

namespace hallq::net {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(boost::asio::io_context& io, Context& ctx, boost::asio::ip::tcp::endpoint endpoint,
           boost::system::error_code& ec);
  void run();
  void close();
  std::uint16_t port() const;

 private:
  void accept();
  boost::asio::io_context& io_;
  Context& ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;  // out of file descriptors: wait instead of spinning
  bool reported_no_descriptors_ = false;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // turn_away: the server is at max_connections; the request gets a 503 and the connection closes.
  HttpSession(boost::asio::ip::tcp::socket&& socket, Context& ctx, bool turn_away = false);
  ~HttpSession();
  void run();

 private:
  void read();
  void on_read(boost::beast::error_code ec, std::size_t);
  void write(HttpReply reply);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  Context& ctx_;
  std::string peer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  HttpRequest request_;
  std::string answer_head_;  // the answer being written, until async_write completes
  std::string answer_body_;
  bool owes_answer_ = false;        // counted in ctx_.answers_owed until the answer is written
  const bool turn_away_;            // counted in ctx_.turning_away
};

class WebSocketSession;

// A server-to-client WebSocket frame: one unfragmented text frame, unmasked as the server's
// frames are, so the same bytes serve every client. WsShard builds one per event and shares it
// among all its hall screens.
std::shared_ptr<const std::string> text_frame(std::string_view payload);

// The WebSocket stream's next layer. Reads go straight to the socket. A session writes its own
// frames (text_frame, sent with non-blocking gather writes: a Beast write per message per screen
// cost as much as the kernel's own work, docs/benchmarks.md). Beast still writes control frames
// (pings, pongs, close) on its own, and those join the session's queue whole here, so they never
// land in the middle of one of its frames.
class SessionSocket {
 public:
  using socket_type = boost::asio::ip::tcp::socket;
  using executor_type = socket_type::executor_type;
  explicit SessionSocket(socket_type&& socket) : socket_(std::move(socket)) {}

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  socket_type& next_layer() noexcept { return socket_; }
  const socket_type& next_layer() const noexcept { return socket_; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return socket_.async_read_some(buffers, std::forward<Token>(token));
  }
  // Takes the whole frame at once: Beast only writes control frames through here.
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token);

 private:
  friend class WebSocketSession;
  template <class Handler>
  friend void async_teardown(boost::beast::role_type role, SessionSocket& s, Handler&& handler);
  socket_type socket_;
  WebSocketSession* session_ = nullptr;  // the owner of the stream that owns this
};

// Beast's close ends with a teardown: after the session's queue has gone out, not before.
template <class Handler>
void async_teardown(boost::beast::role_type role, SessionSocket& s, Handler&& handler);
inline void teardown(boost::beast::role_type role, SessionSocket& s, boost::beast::error_code& ec) {
  boost::beast::websocket::teardown(role, s.next_layer(), ec);
}

class WebSocketSession : public Subscriber, public std::enable_shared_from_this<WebSocketSession> {
 public:
  // The socket must have been opened on shard.strand().
  WebSocketSession(boost::asio::ip::tcp::socket&& socket, WsShard& shard, Context& ctx);
  ~WebSocketSession() override;
  void run(HttpRequest request);
  void deliver(std::shared_ptr<const std::string> message, Push push) override;

 private:
  friend class WsShard;  // calls send_frame() and queue_frame() on the shard's strand
  friend class SessionSocket;
  template <class Handler>
  friend void async_teardown(boost::beast::role_type role, SessionSocket& s, Handler&& handler);
  enum class Kind { reply, event, snapshot, control };
  struct Outgoing {
    std::shared_ptr<const std::string> frame;  // the whole frame, header and payload
    Kind kind;
    bool answer = false;  // the result of a command: counted in ctx_.answers_owed until written
  };
  void on_accept(boost::beast::error_code ec);
  void read();
  void on_read(boost::beast::error_code ec, std::size_t);
  void handle(const std::string& text);
  void send(std::string_view text, Kind kind, bool answer = false);  // on the session strand
  void answer(std::string_view text);  // a command's result: written with the others ready now
  void send_frame(std::shared_ptr<const std::string> frame, Kind kind, bool answer = false);   // and flush
  void queue_frame(std::shared_ptr<const std::string> frame, Kind kind, bool answer = false);  // flush later
  void reply(nlohmann::json j, bool answer = false);                                      // on the session strand
  void error(ErrorCode code, std::string message);                 // {"type":"error",...}
  void resync();                                                   // behind: a snapshot replaces the backlog
  void forget_unsent_events();
  bool send_control(std::string frame);  // Beast's own frames; false once the socket is broken
  void flush();                          // writes what the socket takes now, waits for the rest
  void sent(std::size_t bytes);          // bytes of the queue went out
  void drop(const char* why);                                // abrupt: for a stuck peer
  void close_after_sending(boost::beast::websocket::close_reason reason);  // polite

  boost::beast::websocket::stream<SessionSocket> ws_;
  WsShard& shard_;
  boost::beast::flat_buffer buffer_;
  Context& ctx_;
  boost::asio::steady_timer hello_timer_;
  std::optional<core::Actor> actor_;  // set by hello with a token
  std::string visitor_ticket_;        // set by hello with a ticket id (a visitor's phone)
  std::deque<Outgoing> queue_;        // unsent frames; the front may be partly sent
  std::size_t front_sent_ = 0;        // bytes of queue_.front() already written
  std::size_t queued_bytes_ = 0;
  std::size_t answers_owed_ = 0;   // command results not yet written
  bool waiting_ = false;           // for the socket to take more bytes
  bool flushing_ = false;          // flush() is on the stack
  bool flush_posted_ = false;      // answers are queued and a flush() will write them
  bool held_ = false;              // an update waits for the hold (or the next write)
  bool listed_ = false;            // in the shard's held_ list
  std::chrono::steady_clock::time_point held_since_;  // when the oldest waiting update came
  std::chrono::milliseconds hold_{0};  // how long updates may wait; set at hello
  bool broken_ = false;            // a write failed or the socket was dropped: nothing more goes out
  bool awaiting_snapshot_ = false;  // events until it arrives are in it
  std::chrono::steady_clock::time_point wait_started_;
  bool closed_ = false;
  std::optional<boost::beast::websocket::close_reason> close_after_;
  std::function<void()> teardown_;  // Beast's teardown, waiting for the queue to go out
};

template <class ConstBuffers, class Token>
auto SessionSocket::async_write_some(const ConstBuffers& buffers, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
      [this](auto handler, const ConstBuffers& buffers) {
        std::string frame(boost::asio::buffer_size(buffers), '\0');
        boost::asio::buffer_copy(boost::asio::buffer(frame), buffers);
        const std::size_t n = frame.size();
        boost::system::error_code ec;
        if (!session_->send_control(std::move(frame))) ec = boost::asio::error::broken_pipe;
        boost::asio::post(socket_.get_executor(), boost::beast::bind_front_handler(std::move(handler), ec, ec ? 0 : n));
      },
      token, buffers);
}

template <class Handler>
void async_teardown(boost::beast::role_type role, SessionSocket& s, Handler&& handler) {
  // std::function wants a copyable callable; Beast's handlers move only.
  auto h = std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
  WebSocketSession& session = *s.session_;
  session.teardown_ = [&s, role, h] { boost::beast::websocket::async_teardown(role, s.socket_, std::move(*h)); };
  session.flush();
}

}  // namespace hallq::net
