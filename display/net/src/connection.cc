#include "hallq/display/connection.h"

#include <atomic>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace hallq::display {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using nlohmann::json;
using Ws = websocket::stream<beast::tcp_stream>;

// Handlers capture the raw Impl: it owns the io_context, so it outlives every handler.
struct Connection::Impl {
  // constant after construction
  ConnectionOptions options;

  // guarded by mutex
  std::mutex mutex;
  std::deque<Inbound> inbox;
  bool woken = false;

  // network thread only
  asio::io_context ioc;
  std::shared_ptr<Ws> ws;  // the open link, or null
  std::deque<std::string> outbox;
  bool writing = false;
  std::mt19937 rng{std::random_device{}()};

  std::atomic<bool> is_connected{false};
  std::thread thread;

  explicit Impl(ConnectionOptions o) : options(std::move(o)) {}

  void push(Inbound in) {
    bool wake = false;
    {
      std::lock_guard lock(mutex);
      if (inbox.size() >= options.queue_limit) {
        // Dropping events means a gap anyway: replace them all with one "resync" marker.
        inbox.clear();
        inbox.push_back(Inbound{Inbound::Kind::overflow, {}, "render thread behind"});
      }
      inbox.push_back(std::move(in));
      if (!woken) wake = woken = true;
    }
    if (wake && options.wake) options.wake();
  }

  void write_next() {
    if (writing || outbox.empty() || !ws) return;
    writing = true;
    auto link = ws;  // keeps the stream alive until the write completes
    link->async_write(asio::buffer(outbox.front()), [self = this, link](beast::error_code ec, std::size_t) {
      self->writing = false;
      if (link != self->ws) return;  // an old link: its outbox is gone
      self->outbox.pop_front();
      if (ec) return;  // the read side notices and reconnects
      self->write_next();
    });
  }

  // One connection from connect to close. Returns true if the server welcomed us.
  asio::awaitable<bool> session(std::string& why) {
    bool welcomed = false;
    auto link = std::make_shared<Ws>(co_await asio::this_coro::executor);
    try {
      tcp::resolver resolver(co_await asio::this_coro::executor);
      auto endpoints = co_await resolver.async_resolve(options.host, std::to_string(options.port), asio::use_awaitable);
      auto& tcp_layer = beast::get_lowest_layer(*link);
      tcp_layer.expires_after(options.connect_timeout);
      co_await tcp_layer.async_connect(endpoints, asio::use_awaitable);
      tcp_layer.expires_never();
      websocket::stream_base::timeout t;
      t.handshake_timeout = options.connect_timeout;
      t.idle_timeout = options.idle_timeout;
      t.keep_alive_pings = true;
      link->set_option(t);
      link->read_message_max(options.message_max);
      co_await link->async_handshake(options.host + ":" + std::to_string(options.port), "/ws", asio::use_awaitable);
      const std::string hello = json{{"type", "hello"}, {"token", options.token}}.dump();
      co_await link->async_write(asio::buffer(hello), asio::use_awaitable);
      ws = link;
      outbox.clear();
      is_connected = true;
      push(Inbound{Inbound::Kind::opened, {}, ""});
      beast::flat_buffer buffer;
      for (;;) {
        buffer.clear();
        co_await link->async_read(buffer, asio::use_awaitable);
        json j = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;
        const std::string type = j.value("type", "");
        if (type == "welcome") welcomed = true;
        if (type == "error" && !welcomed) why = j.dump();
        push(Inbound{Inbound::Kind::message, std::move(j), ""});
      }
    } catch (const boost::system::system_error& e) {
      if (why.empty()) why = e.code().message();
    }
    if (ws == link) ws.reset();
    is_connected = false;
    co_return welcomed;
  }

  asio::awaitable<void> run() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    int attempt = 0;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (;;) {
      std::string why;
      const bool was_open = co_await session(why);
      push(Inbound{Inbound::Kind::closed, {}, why});
      if (was_open) attempt = 0;
      timer.expires_after(options.backoff.delay(attempt++, unit(rng)));
      co_await timer.async_wait(asio::use_awaitable);
    }
  }
};

Connection::Connection(ConnectionOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Connection::~Connection() { stop(); }

void Connection::start() {
  if (impl_->thread.joinable()) return;
  asio::co_spawn(impl_->ioc, impl_->run(), asio::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

void Connection::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->ioc.stop();
  impl_->thread.join();
}

bool Connection::send(const json& message) {
  if (!impl_->is_connected) return false;
  asio::post(impl_->ioc, [impl = impl_.get(), text = message.dump()]() mutable {
    if (!impl->ws || impl->outbox.size() >= impl->options.outbox_limit) return;
    impl->outbox.push_back(std::move(text));
    impl->write_next();
  });
  return true;
}

std::vector<Inbound> Connection::take() {
  std::lock_guard lock(impl_->mutex);
  std::vector<Inbound> out(std::make_move_iterator(impl_->inbox.begin()), std::make_move_iterator(impl_->inbox.end()));
  impl_->inbox.clear();
  impl_->woken = false;
  return out;
}

bool Connection::connected() const { return impl_->is_connected; }

}  // namespace hallq::display
