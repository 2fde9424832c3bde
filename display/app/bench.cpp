// hallq-display-bench: the 1080p hall board with the sample hall under the software renderer.
// Measures the frame time (draw + present of a changed frame), the call-on-screen latency (a
// ticket_called event as received from the socket -> parsed, applied, drawn and presented), and
// the resident memory afterwards. Idle CPU is measured on a running hallq-display (docs/display.md).
//   SDL_VIDEODRIVER=offscreen hallq-display-bench [--hall FILE] [--frames N]
#include <SDL.h>

#include <algorithm>
#include <cstdint>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "hallq/display/hall_copy.h"
#include "hallq/display/screen.h"
#include "hallq/display/style.h"
#include "hallq/display/views.h"
#include "hallq/hall_config.h"
#include "hallq/json_codec.h"

using namespace hallq;
using namespace hallq::display;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

json names(const LocalizedText& t) { return json{{"zh_cn", t.zh_cn}, {"zh_tw", t.in("zh-TW")}, {"en", t.in("en")}}; }

// A busy mid-morning snapshot of the hall: every service has a queue, eight recent calls.
json snapshot_of(const HallConfig& c, TimeMs now) {
  json services = json::array(), windows = json::array(), calls = json::array();
  int i = 0;
  for (const auto& s : c.services)
    services.push_back(json{{"code", s.code}, {"name", names(s.name)}, {"department", s.department}, {"waiting", 3 + (i++ * 7) % 40},
                            {"issued_today", 100}, {"estimated_wait_s", 60 * (5 + i * 3)}, {"longest_wait_s", 1200}});
  for (const auto& w : c.windows)
    windows.push_back(json{{"number", w.number}, {"name", names(w.name)}, {"department", w.department}, {"services", w.services},
                           {"state", "open"}, {"state_since", now}, {"clerk", ""}, {"served_today", 10}, {"current", nullptr},
                           {"held", json::array()}});
  for (int k = 0; k < 8; ++k) {
    const auto& w = c.windows[std::size_t(k * 3) % c.windows.size()];
    char number[16];
    std::snprintf(number, sizeof number, "%s%03d", w.services.front().c_str(), 40 - k);
    calls.push_back(json{{"number", number}, {"service", w.services.front()}, {"window", w.number}, {"at", now - k * 30000}, {"recall", false}});
  }
  return json{{"type", "snapshot"}, {"seq", 1000}, {"business_day", "2026-11-27"}, {"now", now}, {"notice", c.notice},
              {"hall", {{"id", c.id}, {"name", names(c.name)}}}, {"services", services}, {"windows", windows}, {"recent_calls", calls}};
}

std::string call_event(std::uint64_t seq, int n, int window, TimeMs at) {
  Ticket t;
  char number[16];
  std::snprintf(number, sizeof number, "A%03d", 100 + n);
  t.id = "bench-" + std::to_string(n);
  t.number = number;
  t.service = t.origin_service = "A";
  t.business_day = "2026-11-27";
  t.state = TicketState::called;
  t.issued_at = t.queued_at = at - 600000;
  t.called_at = at;
  t.window = window;
  t.history.assign(2, TicketTransition{});
  t.history[0].step = TicketStep::issued;
  t.history[0].at = at - 600000;
  t.history[1].step = TicketStep::called;
  t.history[1].at = at;
  t.history[1].window = window;
  t.history[1].clerk = "clerk";
  Window w;
  w.number = window;
  w.current_ticket = t.id;
  Event e;
  e.seq = seq;
  e.at = at;
  e.type = EventType::ticket_called;
  e.ticket = t;
  e.window = w;
  e.load = ServiceLoad{"A", 12, 100, 900, 1500};
  e.actor = "clerk";
  return to_json(e).dump();
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

void report(const char* what, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  std::printf("%-34s mean %6.2f ms  p50 %6.2f  p99 %6.2f  max %6.2f  (n=%zu)\n", what, sum / double(v.size()), v[v.size() / 2],
              v[std::min(v.size() - 1, v.size() * 99 / 100)], v.back(), v.size());
}

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string hall_file = std::string(HALLQ_ASSETS_DIR) + "/halls/sample-county.json";
  int frames = 300;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--hall") hall_file = argv[i + 1];
    else if (k == "--frames") frames = std::max(10, std::atoi(argv[i + 1]));
  }
  auto config = load_hall_config(hall_file);
  if (!config) {
    std::cerr << "hallq-display-bench: " << config.error().message << "\n";
    return 2;
  }
  auto style = load_style(std::string(HALLQ_ASSETS_DIR) + "/display/board.json");
  if (!style) return std::cerr << style.error().message << "\n", 2;
  style->notice_speed_px_s = 0;
  if (SDL_Init(SDL_INIT_VIDEO) != 0) return std::cerr << SDL_GetError() << "\n", 1;
  auto screen = Screen::open(ScreenOptions{1920, 1080, false, true, "bench"}, *style);
  if (!screen) return std::cerr << screen.error().message << "\n", 1;
  const long rss_before = rss_kb();

  const TimeMs t0 = 1795744800000;
  HallCopy hall;
  hall.apply(snapshot_of(*config, t0), t0);
  // Warm the text cache with the first frame (what a display does once at start).
  (*screen)->draw_board(board_view(hall, *style, t0, 480), t0);
  (*screen)->present();

  // Frame time: each frame differs (the clock's minute), as when a quiet board redraws.
  std::vector<double> frame, full;
  for (int f = 0; f < frames; ++f) {
    const TimeMs now = t0 + 60000 * (f % 60);
    auto start = Clock::now();
    (*screen)->draw_board(board_view(hall, *style, now, 480), now);
    (*screen)->present();
    frame.push_back(ms_since(start));
  }
  // The worst case, for comparison: every pixel repainted (start-up, reconnect, expose).
  for (int f = 0; f < std::max(10, frames / 10); ++f) {
    const TimeMs now = t0 + 60000 * (f % 60);
    (*screen)->invalidate();
    auto start = Clock::now();
    (*screen)->draw_board(board_view(hall, *style, now, 480), now);
    (*screen)->present();
    full.push_back(ms_since(start));
  }
  // Latency: the event's text as the socket delivers it -> on screen.
  const std::uint64_t painted_before_calls = (*screen)->painted_pixels();
  std::vector<double> latency;
  std::uint64_t seq = 1000;
  for (int n = 0; n < 100; ++n) {
    const TimeMs now = t0 + 60000 + n * 1000;
    const std::string text = call_event(++seq, n, 1 + n % int(config->windows.size()), now);
    auto start = Clock::now();
    Applied a = hall.apply(json::parse(text), now);
    if (a.calls.empty()) return std::cerr << "event not applied: " << a.error << "\n", 1;
    (*screen)->draw_board(board_view(hall, *style, now, 480), now);
    (*screen)->present();
    latency.push_back(ms_since(start));
  }
  std::printf("hallq-display-bench: 1920x1080 hall board, %s, software renderer, %zu services, %zu windows\n", hall_file.c_str(),
              config->services.size(), config->windows.size());
  report("frame (draw + present)", frame);
  report("full repaint (draw + present)", full);
  report("call event -> on screen", latency);
  std::printf("%-34s %.1f %% of the screen per call\n", "repainted", 100.0 * double((*screen)->painted_pixels() - painted_before_calls) / 100.0 /
                                                                    (double((*screen)->width()) * (*screen)->height()));
  std::printf("%-34s %ld KiB (after SDL + fonts: %ld KiB), %zu cached texts, %llu text renders\n", "RSS", rss_kb(), rss_before,
              (*screen)->text().size(), (unsigned long long)(*screen)->text().renders());
  screen->reset();
  SDL_Quit();
  return 0;
}
