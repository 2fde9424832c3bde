#include "channel.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <nlohmann/json.hpp>

#include "scan.h"

namespace hallq::bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using namespace std::chrono_literals;

namespace {
constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
// A clerk's snapshot lists every active ticket: after a busy morning that is megabytes.
constexpr std::size_t kMessageMax = 256u << 20;
}  // namespace

std::string Reply::error_code() const {
  if (status == 0) return "transport";
  if (ok()) return "";
  auto code = string_field(body, "code");
  return code.empty() ? "http_" + std::to_string(status) : std::string(code);
}

std::string ws_command_message(std::string_view name, int window, std::string_view request_id,
                               std::string_view fields) {
  std::string m;
  m.reserve(96 + fields.size());
  m += R"({"type":"command","command":")";
  m += name;
  m += R"(","request_id":")";
  m += request_id;
  m += '"';
  if (window > 0) {
    m += R"(,"window":)";
    m += std::to_string(window);
  }
  if (!fields.empty()) {
    m += ',';
    m += fields;
  }
  m += '}';
  return m;
}

// ---- HTTP -------------------------------------------------------------------------------------

std::string http_request_text(std::string_view method, std::string_view target, std::string_view host,
                              std::string_view token, std::string_view body) {
  std::string req;
  req.reserve(160 + target.size() + token.size() + body.size());
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  if (!body.empty()) req += "\r\nContent-Type: application/json";
  if (!token.empty()) req.append("\r\nAuthorization: Bearer ").append(token);
  if (!body.empty() || method == "POST" || method == "PUT")
    req.append("\r\nContent-Length: ").append(std::to_string(body.size()));
  req += "\r\n\r\n";
  req += body;
  return req;
}

std::string http_command_body(std::string_view request_id, std::string_view fields) {
  std::string body = R"({"request_id":")";
  body += request_id;
  body += '"';
  if (!fields.empty()) {
    body += ',';
    body += fields;
  }
  body += '}';
  return body;
}

HttpChannel::HttpChannel(asio::any_io_executor ex, tcp::endpoint server, std::string token)
    : stream_(std::move(ex)), server_(std::move(server)), host_(server_.address().to_string()), token_(std::move(token)) {}

void HttpChannel::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  buffer_.clear();
}

asio::awaitable<Reply> HttpChannel::request(std::string_view method, std::string_view target, std::string body) {
  // The request as text, written in one piece: Beast's serializer cost the bench about as much
  // CPU as the send, CPU the server on the same two cores then lacked. Answers are still read
  // by Beast's parser.
  const std::string req = http_request_text(method, target, host_, token_, body);
  Reply out;
  // A kept-alive connection may have been closed by the server: one retry on a fresh one.
  // Every command carries a request id, so sending it twice is harmless.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!stream_.socket().is_open()) {
      stream_.expires_after(10s);
      auto [ec] = co_await stream_.async_connect(server_, kUse);
      if (ec) {
        out.transport_error = "connect: " + ec.message();
        close();
        continue;
      }
      stream_.socket().set_option(tcp::no_delay(true), ec);
    }
    stream_.expires_after(60s);
    auto [wec, wn] = co_await asio::async_write(stream_, asio::buffer(req), kUse);
    if (wec) {
      out.transport_error = "write: " + wec.message();
      close();
      continue;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMessageMax);
    auto [rec, rn] = co_await http::async_read(stream_, buffer_, parser, kUse);
    if (rec) {
      out.transport_error = "read: " + rec.message();
      close();
      continue;
    }
    stream_.expires_never();
    auto res = parser.release();
    out.status = res.result_int();
    out.body = std::move(res.body());
    out.transport_error.clear();
    if (!res.keep_alive()) close();
    co_return out;
  }
  co_return out;
}

asio::awaitable<Reply> HttpChannel::command(std::string_view name, int window, std::string_view request_id,
                                            std::string_view fields) {
  std::string target;
  if (window > 0) {
    target = "/api/windows/" + std::to_string(window) + "/" + std::string(name);
  } else if (name == "issue") {
    target = "/api/tickets";
  } else {
    target = "/api/commands/" + std::string(name);
  }
  co_return co_await request("POST", target, http_command_body(request_id, fields));
}

asio::awaitable<std::optional<std::string>> login(asio::any_io_executor ex, tcp::endpoint server,
                                                  std::string user, std::string password, std::string& error) {
  HttpChannel ch(std::move(ex), std::move(server), "");
  nlohmann::json body{{"user", user}, {"password", password}};
  Reply r = co_await ch.request("POST", "/api/login", body.dump());
  ch.close();
  if (!r.ok()) {
    error = "login as " + user + ": " + (r.status == 0 ? r.transport_error : std::to_string(r.status) + " " + r.body);
    co_return std::nullopt;
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string()) {
    error = "login as " + user + ": no token in " + r.body;
    co_return std::nullopt;
  }
  co_return j["token"].get<std::string>();
}

// ---- WebSocket --------------------------------------------------------------------------------

WsChannel::WsChannel(asio::any_io_executor ex, tcp::endpoint server)
    : ws_(std::move(ex)), server_(std::move(server)) {}

asio::awaitable<std::string> WsChannel::open(std::string token, bool events) {
  auto& tcp_layer = beast::get_lowest_layer(ws_);
  tcp_layer.expires_after(10s);
  if (auto [ec] = co_await tcp_layer.async_connect(server_, kUse); ec) co_return "connect: " + ec.message();
  tcp_layer.expires_never();
  beast::error_code ignored;
  tcp_layer.socket().set_option(tcp::no_delay(true), ignored);
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  ws_.read_message_max(kMessageMax);
  ws_.text(true);
  std::string host = server_.address().to_string() + ":" + std::to_string(server_.port());
  if (auto [ec] = co_await ws_.async_handshake(host, "/ws", kUse); ec) co_return "handshake: " + ec.message();
  nlohmann::json hello{{"type", "hello"}, {"token", token}};
  if (!events) hello["events"] = false;
  std::string text = hello.dump();
  if (auto [ec, n] = co_await ws_.async_write(asio::buffer(text), kUse); ec) co_return "hello: " + ec.message();
  // welcome, then the snapshot (nothing else can come before it) unless events are off.
  bool welcomed = false;
  for (;;) {
    auto [ec, n] = co_await ws_.async_read(buffer_, kUse);
    if (ec) co_return std::string(welcomed ? "waiting for the snapshot: " : "waiting for welcome: ") + ec.message();
    std::string_view m(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    if (find(m, R"("type":"error")") != std::string_view::npos) co_return "server said: " + std::string(m);
    if (find(m, R"("type":"welcome")") != std::string_view::npos) welcomed = true;
    bool snapshot = find(m, R"("type":"snapshot")") != std::string_view::npos;
    if (snapshot) snapshot_bytes_ = m.size();
    buffer_.consume(buffer_.size());
    if (snapshot || (welcomed && !events)) break;
  }
  buffer_.shrink_to_fit();
  open_ = true;
  asio::co_spawn(ws_.get_executor(), [self = shared_from_this()]() { return self->read_loop(); }, asio::detached);
  co_return "";
}

void WsChannel::close() {
  if (!open_) return;
  open_ = false;
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).close();
}

void WsChannel::fail_all(const std::string& why) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, done] : pending) {
    Reply r;
    r.transport_error = why;
    done(std::move(r));
  }
}

asio::awaitable<void> WsChannel::read_loop() {
  auto self = shared_from_this();
  for (;;) {
    auto [ec, n] = co_await ws_.async_read(buffer_, kUse);
    if (ec) {
      close_reason_ = ec == websocket::error::closed ? "closed by the server (" + std::to_string(ws_.reason().code) + " " +
                                                          std::string(ws_.reason().reason.data(), ws_.reason().reason.size()) + ")"
                                                    : ec.message();
      break;
    }
    std::string_view m(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    bytes_ += m.size();
    if (find(m, R"("type":"result")") != std::string_view::npos) {
      auto id = string_field(m, "request_id");
      auto it = pending_.find(std::string(id));
      if (it != pending_.end()) {
        Reply r;
        r.status = int(int_field(m, "status").value_or(0));
        r.body.assign(m);
        auto done = std::move(it->second);
        pending_.erase(it);
        done(std::move(r));
      }
    } else if (find(m, R"("type":"event")") != std::string_view::npos) {
      ++events_;
    }
    buffer_.consume(buffer_.size());
  }
  open_ = false;
  fail_all("connection lost: " + close_reason_);
}

asio::awaitable<void> WsChannel::write_loop() {
  auto self = shared_from_this();
  while (!outbox_.empty() && open_) {
    auto [ec, n] = co_await ws_.async_write(asio::buffer(outbox_.front()), kUse);
    if (ec) {
      close_reason_ = "write: " + ec.message();
      close();
      break;
    }
    outbox_.pop_front();
  }
  outbox_.clear();
  writing_ = false;
}

void WsChannel::send(std::string request_id, std::string message, std::function<void(Reply)> done) {
  if (!open_) {
    Reply r;
    r.transport_error = "not connected: " + close_reason_;
    asio::post(ws_.get_executor(), [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    return;
  }
  pending_[std::move(request_id)] = std::move(done);
  outbox_.push_back(std::move(message));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(ws_.get_executor(), [self = shared_from_this()]() { return self->write_loop(); }, asio::detached);
  }
}

asio::awaitable<Reply> WsChannel::command(std::string_view name, int window, std::string_view request_id,
                                          std::string_view fields) {
  std::string id(request_id);
  std::string message = ws_command_message(name, window, request_id, fields);
  // Turns the callback into something a coroutine can await; the answer is posted to the
  // waiting coroutine's executor rather than resuming it inside the reader.
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Reply)>(
      [this](auto handler, std::string id, std::string message) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        send(std::move(id), std::move(message), [h](Reply r) {
          auto ex = asio::get_associated_executor(*h);
          asio::post(ex, [h, r = std::move(r)]() mutable { std::move (*h)(std::move(r)); });
        });
      },
      asio::use_awaitable, std::move(id), std::move(message));
}

}  // namespace hallq::bench
