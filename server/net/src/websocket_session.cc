#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
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
  ws_.next_layer().session_ = this;
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
  if (ctx_.options.ws_send_buffer > 0) {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).set_option(
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
  send(j.dump(), Kind::reply, answer);
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
    // false: a client that only sends commands (a script, a kiosk that shows no queue) gets
    // their results and no snapshot or events, until it asks for a snapshot.
    const bool events = r.boolean("events", false, true);
    if (auto s = r.finish(); !s) return bad(ErrorCode::bad_request, s.error().message);
    auto actor = ctx_.auth->authenticate(token, ctx_.hall->now());
    if (!actor) {
      error(ErrorCode::unauthorized, actor.error().message);
      return close_after_sending({websocket::close_code::policy_error, "unauthorized"});
    }
    actor_ = std::move(*actor);
    hold_ = actor_->role == Role::display ? ctx_.options.display_update_hold : ctx_.options.ws_update_hold;
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
    if (events) ctx_.hall->subscribe(weak_from_this(), wants_tickets(actor_->role), actor_->role == Role::admin);
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
      asio::post(self->ws_.get_executor(), [self, request_id, r = std::move(r)] { self->answer(result_message(request_id, r)); });
    });
    return;
  }
  bad(ErrorCode::bad_request, "/type: unknown message type \"" + type + "\"");
}

void WebSocketSession::deliver(std::shared_ptr<const std::string> message, Push push) {
  shard_.deliver(shared_from_this(), std::move(message), push);
}

void WsShard::deliver(std::shared_ptr<WebSocketSession> session, std::shared_ptr<const std::string> message, Push push) {
  bool post = false;
  {
    std::lock_guard lock(mu_);
    pending_.push_back(Delivery{std::move(session), std::move(message), push});
    post = !std::exchange(posted_, true);
  }
  if (post) asio::post(strand_, [this] { drain(); });
}

std::shared_ptr<const std::string> text_frame(std::string_view payload) {
  auto frame = std::make_shared<std::string>();
  const std::uint64_t n = payload.size();
  frame->reserve(payload.size() + 10);
  frame->push_back(char(0x81));  // FIN, text
  if (n < 126) {
    frame->push_back(char(n));
  } else if (n <= 0xffff) {
    frame->push_back(char(126));
    for (int shift = 8; shift >= 0; shift -= 8) frame->push_back(char((n >> shift) & 0xff));
  } else {
    frame->push_back(char(127));
    for (int shift = 56; shift >= 0; shift -= 8) frame->push_back(char((n >> shift) & 0xff));
  }
  frame->append(payload);
  return frame;
}

void WsShard::drain() {
  {
    std::lock_guard lock(mu_);
    draining_.swap(pending_);
    posted_ = false;
  }
  // An event comes to every screen of the shard in a row: frame it once for all of them.
  std::shared_ptr<const std::string> message, frame;
  bool wrote = false;
  for (Delivery& d : draining_) {
    if (d.message != message) {
      message = d.message;
      frame = text_frame(*message);
    }
    WebSocketSession& s = *d.session;
    if (d.push != Push::update || s.hold_.count() == 0) {
      s.send_frame(frame, d.push == Push::snapshot ? WebSocketSession::Kind::snapshot : WebSocketSession::Kind::event);
      wrote = true;
      continue;
    }
    // Out with the next write to this client, or when the hold is over.
    s.queue_frame(frame, WebSocketSession::Kind::event);
    if (!std::exchange(s.held_, true)) s.held_since_ = std::chrono::steady_clock::now();
    const auto due = s.held_since_ + s.hold_;
    if (!std::exchange(s.listed_, true)) held_.push_back(std::move(d.session));
    if (due < hold_until_) arm(due);
  }
  draining_.clear();
  // A call took the held updates along: those clients wait for nothing now, and their next
  // update is held afresh, not cut short by a timer set for the one before.
  if (wrote) forget_unheld();
}

void WsShard::arm(std::chrono::steady_clock::time_point due) {
  hold_until_ = due;
  hold_timer_.expires_at(due);
  hold_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) flush_held();
  });
}

void WsShard::forget_unheld() {
  auto due = std::chrono::steady_clock::time_point::max();
  std::erase_if(held_, [&](const std::shared_ptr<WebSocketSession>& s) {
    if (s->held_) {
      due = std::min(due, s->held_since_ + s->hold_);
      return false;
    }
    s->listed_ = false;
    return true;
  });
  if (due == hold_until_) return;
  if (held_.empty()) {
    hold_until_ = due;
    hold_timer_.cancel();
    return;
  }
  arm(due);
}

void WsShard::flush_held() {
  hold_until_ = std::chrono::steady_clock::time_point::max();
  const auto now = std::chrono::steady_clock::now();
  for (auto& s : held_) {
    if (!s->held_ || s->held_since_ + s->hold_ > now) continue;
    s->held_ = false;  // released: a full socket sends them when it has room
    s->flush();
  }
  forget_unheld();
}

void WebSocketSession::send(std::string_view text, Kind kind, bool answer) {
  send_frame(text_frame(text), kind, answer);
}

// A commit answers a client's pipelined commands together, each in a handler of its own: they
// queue, and one write after the last of them takes them all.
void WebSocketSession::answer(std::string_view text) {
  queue_frame(text_frame(text), Kind::reply, true);
  if (std::exchange(flush_posted_, true)) return;
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void WebSocketSession::send_frame(std::shared_ptr<const std::string> frame, Kind kind, bool answer) {
  queue_frame(std::move(frame), kind, answer);
  flush();
}

void WebSocketSession::queue_frame(std::shared_ptr<const std::string> frame, Kind kind, bool answer) {
  if (broken_) return;  // an unsent answer stays owed until the destructor
  // Closed, or closing: only Beast's own frames (its close among them) still go out.
  if (kind != Kind::control && (closed_ || close_after_)) return;
  if (kind == Kind::snapshot) {
    // A snapshot supersedes every unsent event and snapshot (their seqs are all older);
    // replies to this client's own commands stay.
    forget_unsent_events();
    awaiting_snapshot_ = false;
  } else if (kind == Kind::event) {
    if (awaiting_snapshot_) return;  // the snapshot on its way already includes this event
    // Behind is what the socket will not take, not what waits for the hold.
    auto full = [&] {
      return queue_.size() >= ctx_.options.ws_queue_messages || queued_bytes_ + frame->size() > ctx_.options.ws_queue_bytes;
    };
    if (full()) flush();
    if (full()) return resync();
  }
  queued_bytes_ += frame->size();
  queue_.push_back(Outgoing{std::move(frame), kind, answer});
}

bool WebSocketSession::send_control(std::string frame) {
  if (broken_) return false;
  send_frame(std::make_shared<const std::string>(std::move(frame)), Kind::control);
  return true;
}

// A burst (a day rollover expiring hundreds of tickets, a flood of kiosks) outran this client.
// Rather than close it, and have a whole hall of screens reconnect at once, drop its backlog and
// send one fresh snapshot. Only a client whose socket has stopped taking bytes is closed.
void WebSocketSession::resync() {
  if (waiting_ && std::chrono::steady_clock::now() - wait_started_ > ctx_.options.ws_stall_timeout) {
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
  auto first = queue_.begin() + (front_sent_ > 0 ? 1 : 0);  // a frame half sent must be finished
  for (auto it = first; it != queue_.end();) {
    if (it->kind == Kind::event || it->kind == Kind::snapshot) {
      if (it->kind == Kind::snapshot) ctx_.metrics.ws_snapshots_replaced.fetch_add(1, std::memory_order_relaxed);
      queued_bytes_ -= it->frame->size();
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
}

// Writes straight from the strand with non-blocking gather writes: most of the time the socket
// takes the whole queue at once and no handler runs at all. Only a full socket waits.
void WebSocketSession::flush() {
  if (broken_) {
    if (teardown_) std::exchange(teardown_, nullptr)();  // Beast finds the socket closed and ends
    return;
  }
  if (flushing_ || waiting_) return;
  flushing_ = true;
  auto& socket = ws_.next_layer().next_layer();
  while (!queue_.empty()) {
    constexpr std::size_t kMaxFrames = 64;  // per write; the kernel takes up to IOV_MAX (1,024)
    iovec iov[kMaxFrames];
    std::size_t count = 0, offered = 0;
    for (auto it = queue_.begin(); it != queue_.end() && count < kMaxFrames; ++it, ++count) {
      const std::size_t skip = count == 0 ? front_sent_ : 0;
      iov[count].iov_base = const_cast<char*>(it->frame->data() + skip);
      iov[count].iov_len = it->frame->size() - skip;
      offered += iov[count].iov_len;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    const ssize_t n = ::sendmsg(socket.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      flushing_ = false;
      return drop("write failed");
    }
    if (n > 0) {
      ctx_.metrics.ws_writes.fetch_add(1, std::memory_order_relaxed);
      sent(std::size_t(n));
    }
    if (n < 0 || std::size_t(n) < offered) {  // the socket is full: the rest when it has room
      waiting_ = true;
      wait_started_ = std::chrono::steady_clock::now();
      socket.async_wait(asio::socket_base::wait_write, [self = shared_from_this()](beast::error_code ec) {
        self->waiting_ = false;
        if (ec) return self->drop("write failed");
        self->flush();
      });
      flushing_ = false;
      return;
    }
  }
  flushing_ = false;
  held_ = false;  // no update waits any more
  // Everything is out: Beast's close may finish now, or ours begin.
  if (teardown_) return std::exchange(teardown_, nullptr)();
  if (close_after_ && !closed_) {
    closed_ = true;
    ws_.async_close(*close_after_, [self = shared_from_this()](beast::error_code) {});
  }
}

void WebSocketSession::sent(std::size_t bytes) {
  while (bytes > 0) {
    Outgoing& front = queue_.front();
    const std::size_t left = front.frame->size() - front_sent_;
    if (bytes < left) {
      front_sent_ += bytes;
      return;
    }
    bytes -= left;
    front_sent_ = 0;
    if (front.kind != Kind::control) ctx_.metrics.ws_messages_sent.fetch_add(1, std::memory_order_relaxed);
    if (front.answer) {
      --answers_owed_;
      ctx_.answers_owed.fetch_sub(1, std::memory_order_relaxed);
    }
    queued_bytes_ -= front.frame->size();
    queue_.pop_front();
  }
}

void WebSocketSession::close_after_sending(websocket::close_reason reason) {
  if (closed_ || close_after_) return;
  hello_timer_.cancel();
  close_after_ = std::move(reason);
  flush();
}

void WebSocketSession::drop(const char* why) {
  if (broken_) return;
  broken_ = true;
  closed_ = true;
  hello_timer_.cancel();
  // Closing the socket cancels a write stuck on a client that stopped reading, which a polite
  // close handshake would wait behind. It also ends Beast's pending read.
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).close(ignored);
  flush();  // a teardown waiting for the queue runs now, on the closed socket
  (void)why;
}

}  // namespace hallq::net
