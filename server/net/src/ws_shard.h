// WebSocket sessions live on a few shared strands, one per I/O thread, not one strand each.
// An event for a thousand hall screens is then one handler per shard that hands the message to
// each of its sessions in turn, instead of a thousand posts (each an allocation, two locks and
// often a thread wake-up): about a tenth of the server's CPU per message (docs/benchmarks.md).
//
// The shard also holds updates (Push::update) for up to the client's hold (ws_update_hold, or
// display_update_hold for a display), so that they share the client's next write: a write costs
// the kernel about the same for one event as for three, on the server and again on the screen.
// The hold counts from the oldest update the client still waits for: one that a call took along
// does not shorten the next one's.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hallq/net/hall.h"

namespace hallq::net {

class WebSocketSession;

class WsShard {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  explicit WsShard(boost::asio::io_context& io) : strand_(boost::asio::make_strand(io)), hold_timer_(strand_) {}

  const Strand& strand() const { return strand_; }

  // Any thread (the hall strand, in practice). Messages reach each session in the order given.
  void deliver(std::shared_ptr<WebSocketSession> session, std::shared_ptr<const std::string> message, Push push);

 private:
  struct Delivery {
    std::shared_ptr<WebSocketSession> session;
    std::shared_ptr<const std::string> message;
    Push push;
  };
  void drain();         // on the strand
  void flush_held();    // on the strand: the hold of the oldest held update is over
  void arm(std::chrono::steady_clock::time_point due);
  void forget_unheld();  // drops clients whose updates have gone; arms for the oldest left

  Strand strand_;
  boost::asio::steady_timer hold_timer_;  // armed for the oldest update waiting
  std::chrono::steady_clock::time_point hold_until_ = std::chrono::steady_clock::time_point::max();  // not armed
  std::vector<std::shared_ptr<WebSocketSession>> held_;  // sessions that had updates waiting
  std::mutex mu_;
  std::vector<Delivery> pending_;  // guarded by mu_
  bool posted_ = false;            // a drain() is queued and has not taken pending_ yet
  std::vector<Delivery> draining_; // used by drain() only; kept to reuse its capacity
};

}  // namespace hallq::net
