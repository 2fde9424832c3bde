#include "hallq/printer/printer.h"

#include <linux/lp.h>

#include <algorithm>
#include <thread>

namespace hallq::printer {

using std::chrono::milliseconds;

Printer::Printer(std::unique_ptr<Port> port, PrinterProfile profile, PrinterOptions options)
    : port_(std::move(port)), profile_(std::move(profile)), options_(options) {}

Status Printer::connect() {
  if (port_->is_open()) return ok_status();
  return port_->open();
}

std::optional<std::uint8_t> Printer::ask(int n) {
  if (!port_->write(cmd::realtime_status(n), options_.status_timeout).ok()) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + options_.status_timeout;
  while (port_->is_open()) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    std::string in;
    auto r = port_->read(in, 1, left);
    if (!r.ok()) return std::nullopt;
    for (char c : in) {
      const auto b = static_cast<std::uint8_t>(c);
      std::vector<std::uint8_t> other;
      asb_.feed(b, other);  // an unasked ASB block is skipped, not taken for the answer
      for (std::uint8_t o : other)
        if (is_realtime_status_byte(o)) return o;
    }
  }
  return std::nullopt;
}

StatusReport Printer::query_status() {
  StatusReport rep;
  if (auto s = connect(); !s) {
    rep.status = DeviceStatus::offline;
    rep.detail = s.error().message;
    return rep;
  }
  if (!port_->can_read() || !profile_.realtime_status) {
    // Nothing can answer: assume ready, and say so.
    rep.status = DeviceStatus::ok;
    rep.detail = port_->describe() + ": status unknown (printer cannot answer); assuming ready";
    return rep;
  }
  {  // drop anything left over (a late answer from an earlier timeout)
    std::string stale;
    while (port_->read(stale, 256, milliseconds(0)).bytes > 0 && stale.size() < 4096) {}
  }
  StatusFlags f;
  bool answered = false;
  for (int n = 1; n <= 4; ++n) {
    auto b = ask(n);
    if (!b) break;
    apply_realtime_status(n, *b, f);
    answered = n == 4;
  }
  if (!answered) {
    // usblp printers that do not answer DLE EOT still report paper out through the lp ioctl.
    if (auto lp = port_->lp_status()) {
      rep.answered = true;
      if (*lp & LP_POUTPA) f.paper_end = true;
      if (!(*lp & LP_PSELECD)) f.offline = true;
      if (!(*lp & LP_PERRORP)) f.error = true;
      rep.flags = f;
      rep.status = summarize(f);
      rep.detail = describe(rep.status) + " (usblp status 0x" + std::to_string(*lp) + ")";
      return rep;
    }
    rep.status = DeviceStatus::offline;
    rep.detail = port_->is_open() ? port_->describe() + ": no answer to DLE EOT (printer off or busy)"
                                  : port_->describe() + ": connection lost";
    return rep;
  }
  rep.answered = true;
  rep.flags = f;
  rep.status = summarize(f);
  rep.detail = describe(rep.status);
  return rep;
}

void Printer::clear_buffers() {
  if (!profile_.clear_on_recover || !port_->is_open()) return;
  port_->write(cmd::kClearBuffers, options_.status_timeout);
}

IoResult Printer::write_raw(const std::string& bytes) {
  if (auto s = connect(); !s) return IoResult{IoResult::Kind::closed, 0, s.error().message};
  return port_->write(bytes, options_.write_timeout + milliseconds(bytes.size() / 4));
}

SendResult Printer::send(const EscPosJob& job) {
  SendResult res;
  res.status = query_status();
  if (blocks_printing(res.status.status)) {
    res.outcome = JobOutcome::not_ready;
    res.reason = res.status.detail;
    return res;
  }
  const bool check = port_->can_read() && profile_.realtime_status;
  // Chunks end at command boundaries and fill at most half the printer's buffer, so a status
  // request between them always fits and is answered at once.
  const std::size_t chunk_max = static_cast<std::size_t>(std::max(64, profile_.buffer_bytes / 2));
  std::size_t start = 0;
  auto interrupted = [&](std::string why) {
    clear_buffers();
    res.outcome = JobOutcome::interrupted;
    res.reason = std::move(why);
    return res;
  };
  std::size_t bi = 0;
  while (start < job.bytes.size()) {
    std::size_t end = start;
    while (bi < job.boundaries.size() && (job.boundaries[bi] - start <= chunk_max || end == start)) {
      end = job.boundaries[bi++];
      if (end - start > chunk_max) break;  // one command larger than the chunk: send it alone
    }
    if (end == start) end = job.bytes.size();
    auto w = port_->write(std::string_view(job.bytes).substr(start, end - start), options_.write_timeout);
    if (!w.ok()) {
      res.status.status = DeviceStatus::offline;
      res.status.detail = w.message;
      return interrupted(w.message);
    }
    start = end;
    if (check && start < job.bytes.size()) {
      res.status = query_status();
      if (blocks_printing(res.status.status)) return interrupted("stopped mid-ticket: " + res.status.detail);
    }
  }
  if (check) {
    // The bytes are in the printer; wait until the paper could have come out, then look again:
    // paper that ran out during the ticket means it must be printed again.
    const int mm = job.dot_rows / 8;
    const auto wait = std::min<milliseconds>(options_.max_print_wait,
                                             milliseconds(1000LL * mm / std::max(1, profile_.print_speed_mm_s)));
    const auto until = std::chrono::steady_clock::now() + wait;
    do {
      res.status = query_status();
      if (blocks_printing(res.status.status)) return interrupted("fault while printing: " + res.status.detail);
      if (std::chrono::steady_clock::now() >= until) break;
      std::this_thread::sleep_for(std::min<milliseconds>(milliseconds(200), wait));
    } while (true);
  }
  res.outcome = JobOutcome::printed;
  return res;
}

}  // namespace hallq::printer
