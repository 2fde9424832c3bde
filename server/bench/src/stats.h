// What the bench measures besides its own clients: latency samples and their percentiles, the
// server process's memory and CPU from /proc, and the server's /metrics counters. Value types;
// no synchronisation (each is filled by one thread and read after it is done).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hallq::bench {

// Latencies in milliseconds; percentiles by the nearest-rank method on the sorted samples.
class LatencySamples {
 public:
  void add(double ms) { ms_.push_back(ms); }
  std::size_t count() const { return ms_.size(); }
  // p in [0, 100]; 0 when there are no samples.
  double percentile(double p) const;
  double max() const;
  double mean() const;
  // {"count","p50","p90","p99","max","mean"}, milliseconds.
  nlohmann::json to_json() const;

 private:
  void sort() const;
  mutable std::vector<double> ms_;
  mutable bool sorted_ = false;
  mutable std::size_t sorted_size_ = 0;
};

// One reading of /proc/PID/{stat,status}.
struct ProcSample {
  double cpu_s = 0;          // utime + stime, seconds
  std::int64_t rss_kb = 0;   // VmRSS
  std::int64_t hwm_kb = 0;   // VmHWM: the peak RSS over the process's life
  std::int64_t threads = 0;
  double wall_s = 0;         // steady clock when read
};
// nullopt if the process is gone or /proc is unreadable. pid 0 reads this process.
std::optional<ProcSample> read_proc(int pid);

// Tracks one process over a run: first and last readings, the largest VmRSS seen.
class ProcWatch {
 public:
  explicit ProcWatch(int pid) : pid_(pid) {}
  void sample();  // call periodically
  bool valid() const { return first_.has_value() && last_.has_value(); }
  double cpu_percent() const;  // of one core, averaged between the first and last readings
  std::int64_t max_rss_kb() const { return max_rss_kb_; }
  const std::optional<ProcSample>& first() const { return first_; }
  const std::optional<ProcSample>& last() const { return last_; }
  nlohmann::json to_json() const;

 private:
  int pid_;
  std::optional<ProcSample> first_, last_;
  std::int64_t max_rss_kb_ = 0;
};

// The server's /metrics text: "name value" lines (labelled series keep their labels in the name).
std::map<std::string, double> parse_metrics(std::string_view text);
// after - before for each counter present in both; absent names count as 0.
double metric_delta(const std::map<std::string, double>& before, const std::map<std::string, double>& after,
                    const std::string& name);

double now_s();  // steady clock, seconds

}  // namespace hallq::bench
