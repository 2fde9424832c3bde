// WebSocket sessions live on a few shared strands, one per I/O thread, not one strand each.
// An event for a thousand hall screens is then one handler per shard that hands the message to
// each of its sessions in turn, instead of a thousand posts (each an allocation, two locks and
// often a thread wake-up): about a tenth of the server's CPU per message (docs/benchmarks.md).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hallq::net {

class WebSocketSession;

class WsShard {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  explicit WsShard(boost::asio::io_context& io) : strand_(boost::asio::make_strand(io)) {}

  const Strand& strand() const { return strand_; }

  // Any thread (the hall strand, in practice). Messages reach each session in the order given.
  void deliver(std::shared_ptr<WebSocketSession> session, std::shared_ptr<const std::string> message,
               bool is_snapshot);

 private:
  struct Delivery {
    std::shared_ptr<WebSocketSession> session;
    std::shared_ptr<const std::string> message;
    bool is_snapshot;
  };
  void drain();  // on the strand

  Strand strand_;
  std::mutex mu_;
  std::vector<Delivery> pending_;  // guarded by mu_
  bool posted_ = false;            // a drain() is queued and has not taken pending_ yet
  std::vector<Delivery> draining_; // used by drain() only; kept to reuse its capacity
};

}  // namespace hallq::net
