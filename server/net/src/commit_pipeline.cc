#include "commit_pipeline.h"

#include <boost/asio/post.hpp>

#include <chrono>
#include <cstdio>
#include <unistd.h>

namespace hallq::net {

namespace {
constexpr std::size_t kNoBatch = std::size_t(-1);
}  // namespace

CommitPipeline::CommitPipeline(std::unique_ptr<storage::Journal> journal,
                               boost::asio::any_io_executor hall, Metrics& metrics)
    : journal_(std::move(journal)), hall_(std::move(hall)), metrics_(metrics) {
  thread_ = std::thread([this] { run(); });
}

CommitPipeline::~CommitPipeline() { stop(); }

void CommitPipeline::push(std::optional<storage::Batch> batch, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Entry{std::move(batch), std::move(done)});
  }
  cv_.notify_one();
}

std::size_t CommitPipeline::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size() + in_flight_->load();
}

void CommitPipeline::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void CommitPipeline::run() {
  for (;;) {
    std::vector<Entry> taken;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      taken.swap(queue_);
      in_flight_->fetch_add(taken.size());
    }
    std::vector<storage::Batch> batches;
    std::vector<std::size_t> batch_of(taken.size(), kNoBatch);  // entry -> its index in batches
    std::size_t events = 0;
    for (std::size_t i = 0; i < taken.size(); ++i) {
      if (taken[i].batch) {
        events += taken[i].batch->events.size();
        batch_of[i] = batches.size();
        batches.push_back(std::move(*taken[i].batch));
      }
    }
    if (!batches.empty()) {
      auto t0 = std::chrono::steady_clock::now();
      Status s = journal_->commit(batches);
      if (!s) {
        // The in-memory hall is now ahead of the disk. Stopping is the only safe answer:
        // nothing of this batch was acknowledged, and a restart rebuilds from the last commit.
        std::fprintf(stderr, "hallq: FATAL: journal commit failed: %s\n", s.error().message.c_str());
        std::fflush(stderr);
        _exit(70);
      }
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - t0).count();
      metrics_.commit_latency.observe_us(std::uint64_t(us));
      metrics_.commits.fetch_add(1, std::memory_order_relaxed);
      metrics_.events_committed.fetch_add(events, std::memory_order_relaxed);
    }
    // One post keeps the completions in push order on the hall strand. The batches go with
    // them, and are freed there rather than on this thread, which every commit waits for.
    std::vector<Done> dones;
    dones.reserve(taken.size());
    for (auto& e : taken) dones.push_back(std::move(e.done));
    boost::asio::post(hall_, [in_flight = in_flight_, dones = std::move(dones), batches = std::move(batches),
                              batch_of = std::move(batch_of)] {
      for (std::size_t i = 0; i < dones.size(); ++i)
        if (dones[i]) dones[i](batch_of[i] == kNoBatch ? nullptr : &batches[batch_of[i]]);
      in_flight->fetch_sub(dones.size());
    });
  }
}

}  // namespace hallq::net
