#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <iostream>

#include "sessions.h"

namespace hallq::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// ---- Listener ---------------------------------------------------------------------------------

Listener::Listener(asio::io_context& io, Context& ctx, tcp::endpoint endpoint, beast::error_code& ec)
    : io_(io), ctx_(ctx), acceptor_(asio::make_strand(io)), backoff_(acceptor_.get_executor()) {
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return;
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return;
  acceptor_.bind(endpoint, ec);
  if (ec) return;
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
}

void Listener::run() { accept(); }

void Listener::close() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->backoff_.cancel();
  });
}

std::uint16_t Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (!ec) {
      self->reported_no_descriptors_ = false;
      auto open = std::size_t(std::max<std::int64_t>(
          0, self->ctx_.metrics.http_connections.load() + self->ctx_.metrics.ws_connections.load()));
      // Over the limit: refuse rather than degrade everyone. A few at a time are told why (a
      // display's log then says "busy", not "connection reset"); a flood is only closed.
      const bool over = open >= self->ctx_.options.max_connections;
      if (over) self->ctx_.metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
      if (over && self->ctx_.turning_away.load() >= self->ctx_.options.max_turned_away) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        beast::error_code ignored;
        // Small answers and events must leave at once, not wait for Nagle's 40 ms.
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<HttpSession>(std::move(socket), self->ctx_, over)->run();
      }
    } else if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
      // Accepting again at once would fail again at once: the loop would spin and flood the log.
      // Connections wait in the backlog until a descriptor is free.
      if (!self->reported_no_descriptors_)
        std::cerr << "hallq: accept: out of file descriptors (" << ec.message()
                  << "); retrying every 100 ms. Raise the open-files limit (ulimit -n).\n";
      self->reported_no_descriptors_ = true;
      self->backoff_.expires_after(std::chrono::milliseconds(100));
      self->backoff_.async_wait([self](beast::error_code ec) {
        if (!ec && self->acceptor_.is_open()) self->accept();
      });
      return;
    }
    self->accept();
  });
}

// ---- HttpSession ------------------------------------------------------------------------------

HttpSession::HttpSession(tcp::socket&& socket, Context& ctx, bool turn_away)
    : stream_(std::move(socket)), ctx_(ctx), turn_away_(turn_away) {
  ctx_.metrics.http_connections.fetch_add(1, std::memory_order_relaxed);
  if (turn_away_) ctx_.turning_away.fetch_add(1, std::memory_order_relaxed);
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) peer_ = ep.address().to_string();
}

HttpSession::~HttpSession() {
  ctx_.metrics.http_connections.fetch_sub(1, std::memory_order_relaxed);
  if (turn_away_) ctx_.turning_away.fetch_sub(1, std::memory_order_relaxed);
  if (owes_answer_) ctx_.answers_owed.fetch_sub(1, std::memory_order_relaxed);
}

void HttpSession::run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
}

namespace {

// A connection turned away is held no longer than this for its request (the 503 needs one).
constexpr std::chrono::seconds kTurnAwayTimeout{5};

// The hall's configuration is the one body allowed to be larger than the rest (a hall of 300
// windows is ~150 KiB of JSON).
std::size_t body_limit_for(const http::request_header<>& h, const ServerOptions& o) {
  return h.method() == http::verb::put && h.target() == "/api/config" ? o.http_config_body_limit : o.http_body_limit;
}

}  // namespace

void HttpSession::read() {
  parser_.emplace();
  // Beast checks Content-Length against the limit while it reads the header, so the header is
  // read under the larger limit and the smaller one is applied once the target is known.
  parser_->body_limit(std::max(ctx_.options.http_body_limit, ctx_.options.http_config_body_limit));
  parser_->header_limit(std::uint32_t(ctx_.options.http_header_limit));
  stream_.expires_after(turn_away_ ? std::min<std::chrono::steady_clock::duration>(ctx_.options.http_timeout, kTurnAwayTimeout)
                                   : ctx_.options.http_timeout);
  // The header first: only the request line says which limit applies.
  http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    if (ec) return self->on_read(ec, n);
    auto& p = *self->parser_;
    const std::size_t limit = body_limit_for(p.get(), self->ctx_.options);
    p.body_limit(limit);  // chunked bodies are counted as they come
    if (p.content_length() && *p.content_length() > limit) return self->on_read(http::error::body_limit, n);
    http::async_read(self->stream_, self->buffer_, *self->parser_,
                     [self](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
  });
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset || ec == asio::error::eof) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return;
  }
  owes_answer_ = true;  // a request, or a malformed one: either way it gets an answer
  ctx_.answers_owed.fetch_add(1, std::memory_order_relaxed);
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    ctx_.metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
    auto e = make_error(ErrorCode::payload_too_large,
                        ec == http::error::body_limit
                            ? "the request body is larger than " +
                                  std::to_string(body_limit_for(parser_->get(), ctx_.options)) + " bytes"
                            : "the request headers are too large");
    request_ = {};
    request_.keep_alive(false);
    return write(HttpReply{413, error_reply(e).body});
  }
  if (ec) {
    ctx_.metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
    request_ = {};
    request_.keep_alive(false);
    return write(HttpReply{400, error_reply(make_error(ErrorCode::bad_request, "malformed HTTP request: " + ec.message())).body});
  }
  request_ = parser_->release();
  // Turned away after the whole request is read: closing on unread bytes would send a reset,
  // which can reach the client before the answer does.
  if (turn_away_) {
    request_.keep_alive(false);
    const std::string limit = std::to_string(ctx_.options.max_connections);
    return write(HttpReply{
        503, error_reply(make_error(ErrorCode::busy, "the server has its limit of " + limit + " connections open: retry in a moment")).body});
  }
  if (ctx_.stopping) {
    request_.keep_alive(false);
    return write(HttpReply{503, error_reply(make_error(ErrorCode::busy, "the server is stopping: retry in a moment")).body});
  }
  if (websocket::is_upgrade(request_)) {
    if (request_.target() != "/ws") {
      request_.keep_alive(false);
      return write(HttpReply{404, error_reply(make_error(ErrorCode::not_found, "WebSocket lives at /ws")).body});
    }
    owes_answer_ = false;  // the handshake's answer is the WebSocket session's
    ctx_.answers_owed.fetch_sub(1, std::memory_order_relaxed);
    // The connection moves to a WebSocket shard's strand. Nothing is in flight on it: the
    // request was read and the handshake's answer is the session's to write.
    // Errors here mean the client has gone; nothing throws out of the I/O thread.
    WsShard& shard = ctx_.next_ws_shard();
    beast::error_code gone;
    const auto protocol = stream_.socket().local_endpoint(gone).protocol();
    if (gone) return;  // stream_ closes with this session
    tcp::socket old = stream_.release_socket();
    const auto fd = old.release(gone);
    if (gone) return;  // old still holds it and closes it
    tcp::socket socket(shard.strand());
    socket.assign(protocol, fd, gone);
    if (gone) {
      ::close(fd);
      return;
    }
    std::make_shared<WebSocketSession>(std::move(socket), shard, ctx_)->run(std::move(request_));
    return;
  }
  handle_api(ctx_, request_, peer_, [self = shared_from_this()](HttpReply reply) {
    asio::post(self->stream_.get_executor(), [self, reply = std::move(reply)]() mutable { self->write(std::move(reply)); });
  });
}

namespace {

// A header value from the server's own strings; a line break would end the header early.
void append_value(std::string& head, std::string_view value) {
  for (char c : value) head += (c == '\r' || c == '\n') ? ' ' : c;
}

}  // namespace

// The answer's header is written here rather than by Beast's serializer, which took as much CPU
// as the send itself (about 5 % of the server at 15,000 tickets a second). A HEAD answer has
// the header its GET would have, without the body.
void HttpSession::write(HttpReply reply) {
  const bool keep_alive = request_.keep_alive();
  const unsigned version = request_.version() == 10 ? 10 : 11;
  std::string& h = answer_head_;
  h.clear();
  h.reserve(192 + reply.content_type.size() + reply.cache_control.size() + reply.attachment.size());
  h += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  h += std::to_string(reply.status);
  h += ' ';
  const auto reason = http::obsolete_reason(http::status(reply.status));
  h.append(reason.data(), reason.size());
  h += "\r\nServer: hallq\r\nContent-Type: ";
  append_value(h, reply.content_type);
  h += "\r\nCache-Control: ";
  append_value(h, reply.cache_control);
  if (!reply.attachment.empty()) {
    h += "\r\nContent-Disposition: attachment; filename=\"";
    append_value(h, reply.attachment);
    h += '"';
  }
  h += "\r\nContent-Length: ";
  h += std::to_string(reply.body.size());
  if (!keep_alive) h += "\r\nConnection: close";
  else if (version == 10) h += "\r\nConnection: keep-alive";
  h += "\r\n\r\n";
  answer_body_ = request_.method() != http::verb::head ? std::move(reply.body) : std::string();
  std::array<asio::const_buffer, 2> buffers{asio::buffer(answer_head_), asio::buffer(answer_body_)};
  stream_.expires_after(ctx_.options.http_timeout);
  asio::async_write(stream_, buffers, [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t n) {
    self->on_write(keep_alive, ec, n);
  });
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  answer_body_ = std::string();  // a report or the hall's config can be large: not kept idle
  if (owes_answer_) {
    owes_answer_ = false;
    ctx_.answers_owed.fetch_sub(1, std::memory_order_relaxed);
  }
  if (ec) return;
  if (!keep_alive) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return;
  }
  read();
}

}  // namespace hallq::net
