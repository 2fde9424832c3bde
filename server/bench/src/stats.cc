#include "stats.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

namespace hallq::bench {

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void LatencySamples::sort() const {
  if (sorted_ && sorted_size_ == ms_.size()) return;
  std::sort(ms_.begin(), ms_.end());
  sorted_ = true;
  sorted_size_ = ms_.size();
}

double LatencySamples::percentile(double p) const {
  if (ms_.empty()) return 0;
  sort();
  // Nearest rank: the smallest sample with at least p% of the samples at or below it.
  auto rank = std::size_t(std::ceil(p / 100.0 * double(ms_.size())));
  rank = std::clamp<std::size_t>(rank, 1, ms_.size());
  return ms_[rank - 1];
}

double LatencySamples::max() const {
  if (ms_.empty()) return 0;
  sort();
  return ms_.back();
}

double LatencySamples::mean() const {
  if (ms_.empty()) return 0;
  return std::accumulate(ms_.begin(), ms_.end(), 0.0) / double(ms_.size());
}

nlohmann::json LatencySamples::to_json() const {
  auto r = [](double v) { return std::round(v * 1000) / 1000; };
  return {{"count", count()}, {"p50", r(percentile(50))}, {"p90", r(percentile(90))},
          {"p99", r(percentile(99))}, {"max", r(max())}, {"mean", r(mean())}};
}

std::optional<ProcSample> read_proc(int pid) {
  std::string dir = pid == 0 ? "/proc/self" : "/proc/" + std::to_string(pid);
  ProcSample s;
  s.wall_s = now_s();
  {
    std::ifstream in(dir + "/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 2));
    std::string f;
    std::vector<std::string> v;
    while (fields >> f) v.push_back(f);
    // v[0] is field 3 (state); utime is field 14, stime field 15.
    if (v.size() < 13) return std::nullopt;
    double ticks = double(sysconf(_SC_CLK_TCK));
    s.cpu_s = (std::stod(v[11]) + std::stod(v[12])) / ticks;
  }
  std::ifstream in(dir + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") in >> s.rss_kb;
    else if (key == "VmHWM:") in >> s.hwm_kb;
    else if (key == "Threads:") in >> s.threads;
    std::string rest;
    std::getline(in, rest);
  }
  return s;
}

void ProcWatch::sample() {
  auto s = read_proc(pid_);
  if (!s) return;
  if (!first_) first_ = s;
  last_ = s;
  max_rss_kb_ = std::max(max_rss_kb_, s->rss_kb);
}

double ProcWatch::cpu_percent() const {
  if (!valid() || last_->wall_s <= first_->wall_s) return 0;
  return 100.0 * (last_->cpu_s - first_->cpu_s) / (last_->wall_s - first_->wall_s);
}

nlohmann::json ProcWatch::to_json() const {
  if (!valid()) return nullptr;
  return {{"pid", pid_},
          {"cpu_percent", std::round(cpu_percent() * 10) / 10},
          {"cpu_seconds", std::round((last_->cpu_s - first_->cpu_s) * 100) / 100},
          {"rss_kb_start", first_->rss_kb},
          {"rss_kb_end", last_->rss_kb},
          {"rss_kb_max_sampled", max_rss_kb_},
          {"hwm_kb", last_->hwm_kb},
          {"threads", last_->threads}};
}

std::map<std::string, double> parse_metrics(std::string_view text) {
  std::map<std::string, double> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = text.find('\n', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(i, end - i);
    i = end + 1;
    if (line.empty() || line.front() == '#') continue;
    std::size_t space = line.rfind(' ');
    if (space == std::string_view::npos) continue;
    try {
      out[std::string(line.substr(0, space))] = std::stod(std::string(line.substr(space + 1)));
    } catch (...) {
      // "+Inf" and friends: not counters we read.
    }
  }
  return out;
}

double metric_delta(const std::map<std::string, double>& before, const std::map<std::string, double>& after,
                    const std::string& name) {
  auto get = [&](const std::map<std::string, double>& m) {
    auto it = m.find(name);
    return it == m.end() ? 0.0 : it->second;
  };
  return get(after) - get(before);
}

}  // namespace hallq::bench
