// Group commit: batches from the hall strand queue up while the previous transaction is being
// written; the commit thread takes everything queued and writes it in one transaction. Each
// entry's completion then runs on the hall strand, in the order entries were pushed, and gets
// its batch back (the events to broadcast are in it). An entry without a batch is a barrier:
// its completion runs, with null, once everything before it is durable.
// push()/pending() are for the hall strand only; the commit thread owns the Journal.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "hallq/net/metrics.h"
#include "hallq/storage/journal.h"

namespace hallq::net {

class CommitPipeline {
 public:
  using Done = std::function<void(const storage::Batch*)>;
  CommitPipeline(std::unique_ptr<storage::Journal> journal, boost::asio::any_io_executor hall,
                 Metrics& metrics);
  ~CommitPipeline();  // drains, then joins the commit thread

  void push(std::optional<storage::Batch> batch, Done done);
  // Entries pushed but not yet completed: the hall refuses new commands beyond a limit.
  std::size_t pending() const;
  // Waits until everything pushed so far is durable and the commit thread has stopped.
  void stop();

 private:
  struct Entry {
    std::optional<storage::Batch> batch;
    Done done;
  };
  void run();

  std::unique_ptr<storage::Journal> journal_;  // used by the commit thread only
  boost::asio::any_io_executor hall_;
  Metrics& metrics_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Entry> queue_;   // guarded by mu_
  // Taken by the commit thread but not yet completed on the hall strand. Shared with the posted
  // completions so they stay valid even if they run after the pipeline is gone.
  std::shared_ptr<std::atomic<std::size_t>> in_flight_ = std::make_shared<std::atomic<std::size_t>>(0);
  bool stopping_ = false;      // guarded by mu_
  std::thread thread_;
};

}  // namespace hallq::net
