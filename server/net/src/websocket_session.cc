#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <set>
#include <utility>

#include "hallq/commands.h"
#include "hallq/json_codec.h"
#include "sessions.h"

namespace hallq::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using nlohmann::json;

WebSocketSession::WebSocketSession(asio::ip::tcp::socket&& socket, WsShard& shard, Context& ctx)
    : ws_(std::move(socket)), shard_(shard), ctx_(ctx), hello_timer_(ws_.get_executor()) {
  ctx_.metrics.ws_connections.fetch_add(1, std::memory_order_relaxed);
}

namespace {
// A command's answer over the socket: the HTTP answer inside a "result" message. A success's
// body is spliced in as text (parsing and dumping it again cost as much as running the command).
std::string result_message(const json& request_id, const Reply& r) {
  if (r.status < 300) {
    std::string out = R"({"ok":true,"request_id":)";
    out += request_id.dump(-1, ' ', false, json::error_handler_t::replace);
    out += R"(,"result":)";
    out += r.body;
    out += R"(,"status":)";
    out += std::to_string(r.status);
    out += R"(,"type":"result"})";
    return out;
  }
  json body = json::parse(r.body, nullptr, false);
  json out{{"type", "result"}, {"request_id", request_id}, {"ok", false}, {"status", r.status}};
  out["error"] = body.is_object() && body.contains("error") ? body["error"] : json(r.body);
  return out.dump();
}

bool is_device(Role r) { return r == Role::kiosk || r == Role::display || r == Role::printer || r == Role::evaluator; }
bool wants_tickets(Role r) { return r == Role::admin || r == Role::clerk || r == Role::printer; }
}  // namespace

WebSocketSession::~WebSocketSession() {
  ctx_.metrics.ws_connections.fetch_sub(1, std::memory_order_relaxed);
  // Results that never reached the client (it left, or was dropped) are owed no more.
  if (answers_owed_) ctx_.answers_owed.fetch_sub(std::int64_t(answers_owed_), std::memory_order_relaxed);
  // At shutdown the hall may already be gone.
  if (actor_ && is_device(actor_->role) && ctx_.hall) ctx_.hall->device_connected(actor_->name, false);
}

void WebSocketSession::run(HttpRequest request) {
  beast::get_lowest_layer(ws_).expires_never();  // the websocket's own timeouts take over
  if (ctx_.options.ws_send_buffer > 0) {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(
        asio::socket_base::send_buffer_size(ctx_.options.ws_send_buffer), ignored);
  }
  websocket::stream_base::timeout t{};
  t.handshake_timeout = ctx_.options.http_timeout;
  t.idle_timeout = ctx_.options.ws_idle_timeout;
  t.keep_alive_pings = true;  // ping at half the idle timeout; a dead peer is noticed
  ws_.set_option(t);
  ws_.read_message_max(ctx_.options.ws_message_limit);  // larger: Beast closes with 1009
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "hallq"); }));
  ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
}

void WebSocketSession::on_accept(beast::error_code ec) {
  if (ec) return;
  hello_timer_.expires_after(ctx_.options.ws_hello_timeout);
  hello_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->actor_ || !self->visitor_ticket_.empty() || self->closed_) return;
    self->error(ErrorCode::unauthorized, "no hello within the time limit");
    self->close_after_sending({websocket::close_code::policy_error, "no hello"});
  });
  read();
}

void WebSocketSession::read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void WebSocketSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    if (ec == websocket::error::message_too_big) ctx_.metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
    closed_ = true;
    hello_timer_.cancel();
    return;
  }
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  handle(text);
  if (!closed_) read();
}

void WebSocketSession::reply(json j, bool answer) {
  send(std::make_shared<const std::string>(j.dump()), Kind::reply, answer);
}

void WebSocketSession::error(ErrorCode code, std::string message) {
  reply(json{{"type", "error"}, {"error", {{"code", to_string(code)}, {"message", std::move(message)}}}});
}

void WebSocketSession::handle(const std::string& text) {
  auto bad = [this](ErrorCode code, std::string message) {
    ctx_.metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
    error(code, std::move(message));
  };
  auto parsed = parse_json_body(text);
  if (!parsed) return bad(ErrorCode::bad_request, parsed.error().message);
  json& j = *parsed;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    return bad(ErrorCode::bad_request, "/type: every message needs a \"type\": hello, snapshot, command or ping");
  const std::string type = j["type"].get<std::string>();

  if (type == "hello") {
    if (actor_ || !visitor_ticket_.empty()) return bad(ErrorCode::bad_request, "already said hello");
    JsonReader r(j, "");
    r.string("type");
    if (r.has("ticket")) {
      // A visitor's phone: no token, just the unguessable ticket id; it sees that ticket only.
      std::string ticket = r.string("ticket", true, 64);
      if (auto s = r.finish(); !s) return bad(ErrorCode::bad_request, s.error().message);
      visitor_ticket_ = ticket;
      hello_timer_.cancel();
      ctx_.hall->watch_ticket(weak_from_this(), ticket, [self = shared_from_this()](Error e) {
        asio::post(self->ws_.get_executor(), [self, e] {
          self->error(e.code, e.message);
          self->close_after_sending({websocket::close_code::policy_error, "unknown ticket"});
        });
      });
      return;
    }
    std::string token = r.string("token", true, 256);
    if (auto s = r.finish(); !s) return bad(ErrorCode::bad_request, s.error().message);
    auto actor = ctx_.auth->authenticate(token, ctx_.hall->now());
    if (!actor) {
      error(ErrorCode::unauthorized, actor.error().message);
      return close_after_sending({websocket::close_code::policy_error, "unauthorized"});
    }
    actor_ = std::move(*actor);
    hello_timer_.cancel();
    json welcome{{"type", "welcome"}, {"role", to_string(actor_->role)}, {"name", actor_->name},
                 {"windows", actor_->windows}, {"server_time", ctx_.hall->now()}};
    if (actor_->role == Role::printer) {
      json kiosks = json::array();
      for (const auto& d : ctx_.hall->config().devices)
        if (d.kind == DeviceKind::kiosk && d.printer == actor_->name) kiosks.push_back(d.id);
      welcome["kiosks"] = std::move(kiosks);
    }
    if (is_device(actor_->role)) {
      // What the hall file says this screen shows; a display's own flag overrides it.
      for (const auto& d : ctx_.hall->config().devices)
        if (d.id == actor_->name) {
          welcome["layout"] = d.layout;
          welcome["window"] = d.window;
          if (d.kind == DeviceKind::kiosk && !d.printer.empty()) welcome["printer"] = d.printer;  // its status is the kiosk's banner
        }
    }
    reply(std::move(welcome));
    if (is_device(actor_->role)) ctx_.hall->device_connected(actor_->name, true);
    ctx_.hall->subscribe(weak_from_this(), wants_tickets(actor_->role), actor_->role == Role::admin);
    return;
  }
  if (!actor_ && visitor_ticket_.empty()) {
    error(ErrorCode::unauthorized, "say hello with a token first");
    return close_after_sending({websocket::close_code::policy_error, "hello first"});
  }
  if (type == "ping") return reply(json{{"type", "pong"}, {"server_time", ctx_.hall->now()}});
  if (!actor_) return bad(ErrorCode::forbidden, "a ticket page may only ping");
  if (type == "snapshot") {
    ctx_.hall->subscribe(weak_from_this(), wants_tickets(actor_->role), actor_->role == Role::admin);
    return;
  }
  if (type == "device_status" || type == "print_failed") {
    if (!is_device(actor_->role)) return bad(ErrorCode::bad_request, "only devices report a device status");
    JsonReader r(j, "");
    r.string("type");
    std::string status, detail;
    if (type == "device_status") {
      status = r.string("status", true, 32);
      detail = r.string("detail", false, 200);
      static const std::set<std::string> kKnown = {"ok", "paper_near_end", "paper_out", "cover_open",
                                                   "cutter_error", "offline", "error"};
      if (r.ok() && !kKnown.count(status))
        r.fail("/status: unknown status \"" + status + "\" (ok, paper_near_end, paper_out, cover_open, cutter_error, offline, error)");
    } else {
      std::string ticket = r.string("ticket_id", true, 64);
      std::string reason = r.string("reason", true, 200);
      status = "print_failed";
      detail = "ticket " + ticket + " did not print: " + reason;
    }
    if (auto st = r.finish(); !st) return bad(ErrorCode::bad_request, st.error().message);
    ctx_.hall->device_status(actor_->name, std::move(status), std::move(detail));
    return;
  }
  if (type == "command") {
    j.erase("type");
    std::string name = j.contains("command") && j["command"].is_string() ? j["command"].get<std::string>() : "";
    json request_id = j.contains("request_id") ? j["request_id"] : json();
    if (name.empty()) return bad(ErrorCode::bad_request, "/command: missing: name the command, e.g. \"call-next\"");
    auto refuse = [&](const Error& e) {
      reply(json{{"type", "result"}, {"request_id", request_id}, {"ok", false}, {"status", http_status_for(e.code)},
                 {"error", to_json(e)["error"]}});
    };
    auto command = parse_command(name, j);
    if (!command) {
      ctx_.metrics.bad_requests.fetch_add(1, std::memory_order_relaxed);
      return refuse(command.error());
    }
    // Refused here, not by the hall, so that the answers still owed while stopping only shrink.
    if (ctx_.stopping) return refuse(make_error(ErrorCode::busy, "the server is stopping: retry in a moment"));
    ++answers_owed_;
    ctx_.answers_owed.fetch_add(1, std::memory_order_relaxed);
    ctx_.hall->submit(std::move(*command), *actor_, [self = shared_from_this(), request_id](Reply r) {
      asio::post(self->ws_.get_executor(), [self, request_id, r = std::move(r)] {
        self->send(std::make_shared<const std::string>(result_message(request_id, r)), Kind::reply, true);
      });
    });
    return;
  }
  bad(ErrorCode::bad_request, "/type: unknown message type \"" + type + "\"");
}

void WebSocketSession::deliver(std::shared_ptr<const std::string> message, bool is_snapshot) {
  shard_.deliver(shared_from_this(), std::move(message), is_snapshot);
}

void WsShard::deliver(std::shared_ptr<WebSocketSession> session, std::shared_ptr<const std::string> message,
                      bool is_snapshot) {
  bool post = false;
  {
    std::lock_guard lock(mu_);
    pending_.push_back(Delivery{std::move(session), std::move(message), is_snapshot});
    post = !std::exchange(posted_, true);
  }
  if (post) asio::post(strand_, [this] { drain(); });
}

void WsShard::drain() {
  {
    std::lock_guard lock(mu_);
    draining_.swap(pending_);
    posted_ = false;
  }
  for (Delivery& d : draining_)
    d.session->send(std::move(d.message), d.is_snapshot ? WebSocketSession::Kind::snapshot : WebSocketSession::Kind::event);
  draining_.clear();
}

void WebSocketSession::send(std::shared_ptr<const std::string> message, Kind kind, bool answer) {
  if (closed_ || close_after_) return;  // an unsent answer stays owed until the destructor
  if (kind == Kind::snapshot) {
    // A snapshot supersedes every unsent event and snapshot (their seqs are all older);
    // replies to this client's own commands stay.
    forget_unsent_events();
    awaiting_snapshot_ = false;
  } else if (kind == Kind::event) {
    if (awaiting_snapshot_) return;  // the snapshot on its way already includes this event
    if (queue_.size() >= ctx_.options.ws_queue_messages ||
        queued_bytes_ + message->size() > ctx_.options.ws_queue_bytes)
      return resync();
  }
  queued_bytes_ += message->size();
  queue_.push_back(Outgoing{std::move(message), kind, answer});
  if (!writing_) write_next();
}

// A burst (a day rollover expiring hundreds of tickets, a flood of kiosks) outran this client.
// Rather than close it, and have a whole hall of screens reconnect at once, drop its backlog and
// send one fresh snapshot. Only a client whose socket has stopped taking bytes is closed.
void WebSocketSession::resync() {
  if (writing_ && std::chrono::steady_clock::now() - write_started_ > ctx_.options.ws_stall_timeout) {
    ctx_.metrics.ws_closed_slow.fetch_add(1, std::memory_order_relaxed);
    return drop("client stopped reading");
  }
  if (!actor_) {  // a visitor's phone gets views, not events; nothing to resync from
    ctx_.metrics.ws_closed_slow.fetch_add(1, std::memory_order_relaxed);
    return drop("client fell behind");
  }
  ctx_.metrics.ws_resynced.fetch_add(1, std::memory_order_relaxed);
  forget_unsent_events();
  awaiting_snapshot_ = true;
  ctx_.hall->subscribe(weak_from_this(), wants_tickets(actor_->role), actor_->role == Role::admin);
}

void WebSocketSession::forget_unsent_events() {
  auto first = queue_.begin() + (writing_ ? 1 : 0);
  for (auto it = first; it != queue_.end();) {
    if (it->kind != Kind::reply) {
      if (it->kind == Kind::snapshot) ctx_.metrics.ws_snapshots_replaced.fetch_add(1, std::memory_order_relaxed);
      queued_bytes_ -= it->message->size();
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
}

void WebSocketSession::write_next() {
  if (closed_) return;
  if (queue_.empty()) {
    if (close_after_) {
      closed_ = true;
      ws_.async_close(*close_after_, [self = shared_from_this()](beast::error_code) {});
    }
    return;
  }
  writing_ = true;
  write_started_ = std::chrono::steady_clock::now();
  ws_.text(true);
  ws_.async_write(asio::buffer(*queue_.front().message),
                  [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_write(ec, n); });
}

void WebSocketSession::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) {
    closed_ = true;
    return;
  }
  ctx_.metrics.ws_messages_sent.fetch_add(1, std::memory_order_relaxed);
  if (queue_.front().answer) {
    --answers_owed_;
    ctx_.answers_owed.fetch_sub(1, std::memory_order_relaxed);
  }
  queued_bytes_ -= queue_.front().message->size();
  queue_.pop_front();
  write_next();
}

void WebSocketSession::close_after_sending(websocket::close_reason reason) {
  if (closed_ || close_after_) return;
  hello_timer_.cancel();
  close_after_ = std::move(reason);
  if (!writing_) write_next();
}

void WebSocketSession::drop(const char* why) {
  if (closed_) return;
  closed_ = true;
  hello_timer_.cancel();
  // Closing the socket cancels a write stuck on a client that stopped reading, which a polite
  // close handshake would wait behind.
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).close();
  (void)why;
}

}  // namespace hallq::net
