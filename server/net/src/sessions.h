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
#include <memory>
#include <optional>

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
  HttpSession(boost::asio::ip::tcp::socket&& socket, Context& ctx);
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
};

class WebSocketSession : public Subscriber, public std::enable_shared_from_this<WebSocketSession> {
 public:
  // The socket must have been opened on shard.strand().
  WebSocketSession(boost::asio::ip::tcp::socket&& socket, WsShard& shard, Context& ctx);
  ~WebSocketSession() override;
  void run(HttpRequest request);
  void deliver(std::shared_ptr<const std::string> message, bool is_snapshot) override;

 private:
  friend class WsShard;  // calls send() on the shard's strand
  enum class Kind { reply, event, snapshot };
  struct Outgoing {
    std::shared_ptr<const std::string> message;
    Kind kind;
    bool answer = false;  // the result of a command: counted in ctx_.answers_owed until written
  };
  void on_accept(boost::beast::error_code ec);
  void read();
  void on_read(boost::beast::error_code ec, std::size_t);
  void handle(const std::string& text);
  void send(std::shared_ptr<const std::string> message, Kind kind, bool answer = false);  // on the session strand
  void reply(nlohmann::json j, bool answer = false);                                      // on the session strand
  void error(ErrorCode code, std::string message);                 // {"type":"error",...}
  void resync();                                                   // behind: a snapshot replaces the backlog
  void forget_unsent_events();
  void write_next();
  void on_write(boost::beast::error_code ec, std::size_t);
  void drop(const char* why);                                // abrupt: for a stuck peer
  void close_after_sending(boost::beast::websocket::close_reason reason);  // polite

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  WsShard& shard_;
  boost::beast::flat_buffer buffer_;
  Context& ctx_;
  boost::asio::steady_timer hello_timer_;
  std::optional<core::Actor> actor_;  // set by hello with a token
  std::string visitor_ticket_;        // set by hello with a ticket id (a visitor's phone)
  std::deque<Outgoing> queue_;        // queue_.front() is being written while writing_
  std::size_t queued_bytes_ = 0;
  std::size_t answers_owed_ = 0;   // command results not yet written
  bool writing_ = false;
  bool awaiting_snapshot_ = false;  // events until it arrives are in it
  std::chrono::steady_clock::time_point write_started_;
  bool closed_ = false;
  std::optional<boost::beast::websocket::close_reason> close_after_;
};

}  // namespace hallq::net
