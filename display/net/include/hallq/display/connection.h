// The display's link to hallq-server: a Boost.Beast WebSocket client on its own thread. It says
// hello with the device token, passes every server message to the render thread through a
// BOUNDED queue (and wakes it), notices a dead link within a few seconds (WebSocket pings on an
// idle connection), and reconnects with jittered exponential backoff. The render thread decides
// what a message means (HallCopy) and asks for a snapshot through send().
// Thread-safety: every public member may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hallq/display/reconnect.h"

namespace hallq::display {

struct ConnectionOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string token;                   // the device's token from the hall file
  Backoff backoff;                     // between failed attempts; reset after a welcome
  // With nothing received for half of this, a ping goes out; with nothing for all of it, the
  // link counts as dead (a pulled cable sends no FIN). Default 4 s.
  std::chrono::milliseconds idle_timeout{4000};
  std::chrono::milliseconds connect_timeout{3000};
  std::size_t queue_limit = 1024;      // messages waiting for the render thread
  std::size_t outbox_limit = 64;       // messages waiting to be written
  std::size_t message_max = 8 << 20;   // a snapshot of a 300-window hall is far below this
  std::function<void()> wake;          // called (from the network thread) when the queue fills
};

struct Inbound {
  enum class Kind {
    opened,    // connected and said hello; a welcome and a snapshot follow
    closed,    // the link is gone (detail says why); reconnecting
    message,   // a server message (json)
    overflow,  // the render thread fell behind and messages were dropped: resync
  };
  Kind kind = Kind::message;
  nlohmann::json body;
  std::string detail;
};

class Connection {
 public:
  explicit Connection(ConnectionOptions options);
  ~Connection();  // stops the thread
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  void stop();
  // Queues a message for the server. False when not connected or the outbox is full (the
  // caller's model decides whether to retry; a snapshot request is simply made again).
  bool send(const nlohmann::json& message);
  // Everything received since the last call, oldest first.
  std::vector<Inbound> take();
  bool connected() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hallq::display
