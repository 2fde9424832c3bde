#include "hallq/client/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace hallq::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

nlohmann::json HttpResult::json() const { return nlohmann::json::parse(body, nullptr, false); }

// ---- HTTP -------------------------------------------------------------------------------------

struct HttpClient::Impl {
  std::string host;
  std::uint16_t port;
  std::chrono::milliseconds timeout;
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  // One blocking operation with a deadline: run the io_context until it completes or expires.
  template <typename Start>
  beast::error_code run(Start start) {
    beast::error_code result = asio::error::would_block;
    stream->expires_after(timeout);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  beast::error_code connect() {
    stream.emplace(io);
    buffer.clear();
    tcp::resolver resolver(io);
    beast::error_code ec;
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return ec;
    return run([&](auto handler) { stream->async_connect(results, [handler](beast::error_code e, auto&&) mutable { handler(e); }); });
  }
};

HttpClient::HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                               const std::string& token) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, impl_->host);
  req.set(http::field::content_type, "application/json");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  req.body() = body;
  req.prepare_payload();
  req.keep_alive(true);
  HttpResult out;
  // A kept-alive connection may have been closed by the server: retry once on a fresh one.
  // (Every command carries a request id, so resending is harmless.)
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!impl_->stream || !impl_->stream->socket().is_open()) {
      if (auto ec = impl_->connect()) {
        out.error = "connect: " + ec.message();
        impl_->stream.reset();
        continue;
      }
    }
    auto ec = impl_->run([&](auto handler) { http::async_write(*impl_->stream, req, handler); });
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (!ec) ec = impl_->run([&](auto handler) { http::async_read(*impl_->stream, impl_->buffer, parser, handler); });
    if (ec) {
      out.error = ec.message();
      impl_->stream.reset();
      continue;
    }
    auto res = parser.release();
    out.status = res.result_int();
    out.body = std::move(res.body());
    out.error.clear();
    if (!res.keep_alive()) impl_->stream.reset();
    return out;
  }
  return out;
}

// ---- WebSocket --------------------------------------------------------------------------------

struct WsClient::Impl {
  asio::io_context io;
  std::optional<websocket::stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
  bool open = false;
  int close_code = 0;
  // One read stays outstanding across receive() calls that time out: cancelling a WebSocket
  // read would leave the stream unusable.
  bool reading = false;
  bool read_done = false;
  beast::error_code read_ec;

  // Runs the io_context until `done` or the timeout; other outstanding work (a pending read)
  // may make progress meanwhile.
  bool run_until(const bool& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    io.restart();
    while (!done) {
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return false;
      if (io.run_one_for(left) == 0 && io.stopped()) io.restart();
    }
    return true;
  }
  template <typename Start>
  beast::error_code run(Start start, std::chrono::milliseconds timeout) {
    beast::error_code result = asio::error::timed_out;
    auto done = std::make_shared<bool>(false);
    start([&result, done](beast::error_code ec, auto&&...) { result = ec; *done = true; });
    if (!run_until(*done, timeout)) {
      // The operation is abandoned: close the connection so its handler finishes harmlessly.
      beast::get_lowest_layer(*ws).close();
      open = false;
      io.restart();
      while (!*done && io.run_one() > 0) {}
      return asio::error::timed_out;
    }
    return result;
  }
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}
WsClient::~WsClient() = default;

std::string WsClient::connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  impl_->ws.emplace(impl_->io);
  impl_->buffer.clear();
  impl_->close_code = 0;
  tcp::resolver resolver(impl_->io);
  beast::error_code ec;
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return "resolve: " + ec.message();
  beast::get_lowest_layer(*impl_->ws).expires_after(timeout);
  ec = impl_->run([&](auto h) {
    beast::get_lowest_layer(*impl_->ws).async_connect(results, [h](beast::error_code e, auto&&) mutable { h(e); });
  }, timeout);
  impl_->open = !ec;
  if (ec) return "connect: " + ec.message();
  ec = impl_->run([&](auto h) { impl_->ws->async_handshake(host + ":" + std::to_string(port), "/ws", h); }, timeout);
  if (ec) return "handshake: " + ec.message();
  beast::get_lowest_layer(*impl_->ws).expires_never();
  impl_->ws->read_message_max(64 * 1024 * 1024);
  impl_->open = true;
  return "";
}

bool WsClient::send(const nlohmann::json& message) { return send_text(message.dump()); }

bool WsClient::send_text(const std::string& text) {
  if (!impl_->open) return false;
  impl_->ws->text(true);
  auto ec = impl_->run([&](auto h) { impl_->ws->async_write(asio::buffer(text), h); }, std::chrono::seconds(10));
  if (ec) impl_->open = false;
  return !ec;
}

std::optional<nlohmann::json> WsClient::receive(std::chrono::milliseconds timeout) {
  if (!impl_->open) return std::nullopt;
  if (!impl_->reading) {
    impl_->reading = true;
    impl_->read_done = false;
    impl_->ws->async_read(impl_->buffer, [impl = impl_.get()](beast::error_code ec, std::size_t) {
      impl->read_ec = ec;
      impl->read_done = true;
    });
  }
  if (!impl_->run_until(impl_->read_done, timeout)) return std::nullopt;
  impl_->reading = false;
  auto ec = impl_->read_ec;
  if (ec) {
    impl_->open = false;
    impl_->close_code = impl_->ws->reason().code;
    return std::nullopt;
  }
  std::string text = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  return nlohmann::json::parse(text, nullptr, false);
}

std::optional<nlohmann::json> WsClient::receive_type(const std::string& type, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto m = receive(left);
    if (!m) return std::nullopt;
    if (m->is_object() && m->value("type", "") == type) return m;
  }
}

bool WsClient::is_open() const { return impl_->open; }
int WsClient::close_code() const { return impl_->close_code; }

void WsClient::close() {
  if (!impl_->open) return;
  impl_->run([&](auto h) { impl_->ws->async_close(websocket::close_code::normal, h); }, std::chrono::seconds(2));
  impl_->open = false;
}

}  // namespace hallq::client
