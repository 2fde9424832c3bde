// hallq-display: one hall screen (window strip, hall board, kiosk or evaluator) following
// hallq-server over its WebSocket. Threads: this one runs SDL (events, drawing); the Connection
// has its own network thread; the Voice has its own audio thread. See docs/display.md.
#include <SDL.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "hallq/display/connection.h"
#include "hallq/display/hall_copy.h"
#include "hallq/display/png.h"
#include "hallq/display/screen.h"
#include "hallq/display/style.h"
#include "hallq/display/touch.h"
#include "hallq/display/views.h"
#include "hallq/display/voice.h"

using namespace hallq;
using namespace hallq::display;
using nlohmann::json;

namespace {

// Wakes the render loop from any thread or a signal handler (write(2) is async-signal-safe).
int g_wake_fd = -1;
void wake_loop() {
  const std::uint64_t one = 1;
  if (g_wake_fd >= 0 && write(g_wake_fd, &one, sizeof one) < 0) {
    // Only when the counter is full: the loop has plenty of wake-ups pending already.
  }
}

std::atomic<bool> g_screenshot_requested{false};
void on_sigusr1(int) {
  g_screenshot_requested = true;
  wake_loop();
}

// Sleeps until the wake-up fd fires or timeout_ms passes; true when woken (and clears it).
bool wait_wake(int timeout_ms) {
  pollfd p{g_wake_fd, POLLIN, 0};
  if (poll(&p, 1, std::max(0, timeout_ms)) <= 0) return false;
  std::uint64_t n = 0;
  [[maybe_unused]] auto r = read(g_wake_fd, &n, sizeof n);
  return true;
}

TimeMs wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const char* kUsage =
    "usage: hallq-display --server HOST:PORT --token TOKEN [options]\n"
    "  --layout strip|board|kiosk|evaluator   what to show (default: the device's layout in the hall file, else board)\n"
    "  --window N            the window of a strip or evaluator (default: the device's window from the welcome)\n"
    "  --style FILE          colours, fonts, services shown (default assets/display/<layout>.json)\n"
    "  --size WxH            window size (default 1920x1080 board, 512x64 strip, 1280x800 kiosk/evaluator)\n"
    "  --fullscreen          fill the screen\n"
    "  --renderer software|auto  (default software; always works, also offscreen)\n"
    "  --lang zh-CN|zh-TW|en the language shown (default: the style's)\n"
    "  --utc-offset-min N    the clock's time zone until the server says the hall's (default 480, China)\n"
    "  --screenshot FILE.png write the first live frame (or, after --screenshot-wait-ms, whatever is shown) and exit\n"
    "  --screenshot-wait-ms N  (default 5000)\n"
    "  --screenshot-on-signal FILE.png  on SIGUSR1, write the current frame to FILE (atomically)\n"
    "  --no-voice            silent\n"
    "  --voice cmn           espeak-ng voice of the announcement (default cmn)\n"
    "  --second-voice yue|en repeat each call in Cantonese or English\n"
    "  --voice-wav FILE.wav  write the announcements to a WAV file instead of the sound card\n"
    "  --no-marquee          never scroll (the notice is cut at the edge)\n"
    "  --kiosk-type TEXT     kiosk: once live, type TEXT as a QR scanner would (digits; '#' or a newline is Enter),\n"
    "                        for screenshots and tests\n"
    "  --tap X,Y             kiosk, evaluator: once an enabled button is at X,Y, touch it (for tests and screenshots)\n"
    "  --tap-count N         touch it N times at once, as a double tap does (default 1, at most 10)\n";

struct Args {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string token;
  Layout layout = Layout::board;
  bool layout_given = false;  // --layout; otherwise the hall file's layout for the device wins
  int window = 0;
  std::string style_file;
  int width = 0, height = 0;
  bool fullscreen = false;
  bool software = true;
  std::string lang;
  int utc_offset_min = 480;
  std::string screenshot;
  int screenshot_wait_ms = 5000;
  std::string signal_screenshot;
  bool voice = true;
  std::string voice_name = "cmn";
  std::string second_voice;
  std::string voice_wav;
  bool marquee = true;
  std::string kiosk_type;
  int tap_x = 0, tap_y = 0, tap_count = 0;  // --tap: 0 = none
};

std::optional<Args> parse_args(int argc, char** argv) {
  Args a;
  auto fail = [](const std::string& m) -> std::optional<Args> {
    std::cerr << "hallq-display: " << m << "\n" << kUsage;
    return std::nullopt;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    auto need = [&](std::optional<std::string> v) { return v ? *v : std::string("\x01"); };
    std::string v;
    if (k == "--help" || k == "-h") { std::cout << kUsage; std::exit(0); }
    else if (k == "--fullscreen") a.fullscreen = true;
    else if (k == "--no-voice") a.voice = false;
    else if (k == "--no-marquee") a.marquee = false;
    else if ((v = need(value())) == "\x01") return fail(k + " needs a value");
    else if (k == "--server") {
      std::string s = v;
      if (s.rfind("http://", 0) == 0) s = s.substr(7);
      if (s.rfind("ws://", 0) == 0) s = s.substr(5);
      while (!s.empty() && s.back() == '/') s.pop_back();
      const auto colon = s.rfind(':');
      if (colon == std::string::npos) return fail("--server: HOST:PORT, e.g. 127.0.0.1:8080");
      a.host = s.substr(0, colon);
      try {
        const int p = std::stoi(s.substr(colon + 1));
        if (p < 1 || p > 65535) throw std::out_of_range("port");
        a.port = std::uint16_t(p);
      } catch (...) { return fail("--server: bad port in \"" + v + "\""); }
    } else if (k == "--token") a.token = v;
    else if (k == "--layout") {
      auto l = layout_from_string(v);
      if (!l) return fail("--layout: strip, board, kiosk or evaluator, not \"" + v + "\"");
      a.layout = *l;
      a.layout_given = true;
    } else if (k == "--window") {
      try { a.window = std::stoi(v); } catch (...) { a.window = -1; }
      if (a.window < 1 || a.window > 999) return fail("--window: a window number 1..999");
    } else if (k == "--style") a.style_file = v;
    else if (k == "--size") {
      if (std::sscanf(v.c_str(), "%dx%d", &a.width, &a.height) != 2 || a.width < 64 || a.height < 32 || a.width > 8192 || a.height > 8192)
        return fail("--size: WxH, e.g. 1920x1080");
    } else if (k == "--renderer") {
      if (v != "software" && v != "auto") return fail("--renderer: software or auto");
      a.software = v == "software";
    } else if (k == "--lang") {
      if (v != "zh-CN" && v != "zh-TW" && v != "en") return fail("--lang: zh-CN, zh-TW or en");
      a.lang = v;
    } else if (k == "--utc-offset-min") {
      try { a.utc_offset_min = std::stoi(v); } catch (...) { return fail("--utc-offset-min: minutes, e.g. 480"); }
    } else if (k == "--screenshot") a.screenshot = v;
    else if (k == "--screenshot-wait-ms") {
      try { a.screenshot_wait_ms = std::stoi(v); } catch (...) { return fail("--screenshot-wait-ms: a number"); }
    } else if (k == "--screenshot-on-signal") a.signal_screenshot = v;
    else if (k == "--voice") a.voice_name = v;
    else if (k == "--tap") {
      if (std::sscanf(v.c_str(), "%d,%d", &a.tap_x, &a.tap_y) != 2 || a.tap_x < 0 || a.tap_y < 0 || a.tap_x > 8192 || a.tap_y > 8192)
        return fail("--tap: X,Y in pixels, e.g. 640,400");
      if (a.tap_count == 0) a.tap_count = 1;
    } else if (k == "--tap-count") {
      try { a.tap_count = std::stoi(v); } catch (...) { return fail("--tap-count: a number from 1 to 10"); }
      if (a.tap_count < 1 || a.tap_count > 10) return fail("--tap-count: a number from 1 to 10");
    }
    else if (k == "--kiosk-type") {
      if (v.size() > 64) return fail("--kiosk-type: at most 64 characters");
      a.kiosk_type = v;
    }
    else if (k == "--second-voice") {
      if (v != "yue" && v != "en") return fail("--second-voice: yue or en");
      a.second_voice = v;
    } else if (k == "--voice-wav") a.voice_wav = v;
    else return fail("unknown option " + k);
  }
  if (a.token.empty()) return fail("--token is required (the device's token from the hall file)");
  if (a.width == 0) {
    switch (a.layout) {
      case Layout::board: a.width = 1920, a.height = 1080; break;
      case Layout::strip: a.width = 512, a.height = 64; break;
      default: a.width = 1280, a.height = 800; break;
    }
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  // First thing: SIGUSR1's default action would end the process.
  g_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (g_wake_fd < 0) {
    std::cerr << "hallq-display: eventfd: " << std::strerror(errno) << "\n";
    return 1;
  }
  std::signal(SIGUSR1, on_sigusr1);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_UNBLOCK, &usr1, nullptr);  // blocked across a restart (below): delivered now
  auto parsed = parse_args(argc, argv);
  if (!parsed) return 2;
  Args args = *parsed;

  const std::string style_file =
      args.style_file.empty() ? std::string(HALLQ_ASSETS_DIR) + "/display/" + std::string(to_string(args.layout)) + ".json" : args.style_file;
  auto loaded = load_style(style_file);
  if (!loaded) {
    std::cerr << "hallq-display: " << loaded.error().message << "\n";
    return 2;
  }
  Style style = *loaded;
  if (style.layout != args.layout) {
    std::cerr << "hallq-display: " << style_file << ": a " << to_string(style.layout) << " style, not " << to_string(args.layout) << "\n";
    return 2;
  }
  if (!args.lang.empty()) style.language = args.lang;
  if (!args.marquee) style.notice_speed_px_s = 0;

  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    std::cerr << "hallq-display: SDL_Init: " << SDL_GetError() << "\n";
    return 1;
  }
  auto screen_r = Screen::open(ScreenOptions{args.width, args.height, args.fullscreen, args.software, "hallq-display"}, style);
  if (!screen_r) {
    std::cerr << "hallq-display: " << screen_r.error().message << "\n";
    SDL_Quit();
    return 1;
  }
  std::unique_ptr<Screen> screen = std::move(*screen_r);

  std::unique_ptr<Voice> voice;
  if (args.voice && (args.layout == Layout::board || args.layout == Layout::strip)) {
    auto v = Voice::open(VoiceOptions{args.voice_name, args.second_voice, args.voice_wav});
    if (!v) std::cerr << "hallq-display: voice off: " << v.error().message << "\n";
    else voice = std::move(*v);
  }

  // Drivers with a real event wait (a display server's socket) sleep in SDL_WaitEventTimeout;
  // the others (offscreen, kmsdrm, dummy) would poll it every 1 ms, so there the loop sleeps on
  // its own wake-up fd and looks at SDL's input 20 times a second.
  const std::string driver = SDL_GetCurrentVideoDriver() ? SDL_GetCurrentVideoDriver() : "";
  const bool native_wait = driver == "x11" || driver == "wayland";
  const Uint32 wake_event = SDL_RegisterEvents(1);
  ConnectionOptions copts;
  copts.host = args.host;
  copts.port = args.port;
  copts.token = args.token;
  copts.wake = [wake_event, native_wait] {
    if (!native_wait) return wake_loop();
    SDL_Event e{};
    e.type = wake_event;
    SDL_PushEvent(&e);  // thread-safe; wakes SDL_WaitEventTimeout
  };
  if (native_wait) {
    std::thread([wake_event] {
      // Signals arrive on the wake-up fd; hand them to SDL's wait as an event.
      while (true)
        if (wait_wake(-1)) {
          SDL_Event e{};
          e.type = wake_event;
          SDL_PushEvent(&e);
        }
    }).detach();
  }
  std::uint64_t input_polls = 0;
  auto wait_event = [&](SDL_Event& ev, int timeout_ms) -> bool {
    if (native_wait) return SDL_WaitEventTimeout(&ev, timeout_ms) != 0;
    constexpr int kInputPollMs = 50;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      SDL_PumpEvents();
      ++input_polls;
      if (SDL_PeepEvents(&ev, 1, SDL_GETEVENT, SDL_FIRSTEVENT, SDL_LASTEVENT) > 0) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
      if (left <= 0 || wait_wake(int(std::min<std::int64_t>(left, kInputPollMs)))) return false;
    }
  };
  Connection connection(copts);
  connection.start();

  const std::string id_prefix = "d" + std::to_string(wall_now());
  HallCopy hall;
  KioskModel kiosk(id_prefix, style.language);
  EvaluatorModel evaluator(id_prefix, args.window, style.language);
  std::optional<EvaluatorModel> eval_for_device;  // built once the welcome names our window

  using AnyView = std::variant<std::monostate, BoardView, StripView, TouchView>;
  AnyView last_view;
  bool animating = false;
  std::vector<Button> buttons;  // the touch layout's buttons as last drawn
  const TimeMs started = wall_now();
  int exit_code = 0;

  auto window_number = [&] { return args.window ? args.window : hall.device_windows().empty() ? 0 : hall.device_windows().front(); };
  auto build_view = [&](TimeMs now) -> AnyView {
    switch (args.layout) {
      case Layout::board: return board_view(hall, style, now, args.utc_offset_min);
      case Layout::strip: return strip_view(hall, style, window_number(), now);
      case Layout::kiosk: return kiosk.view(hall, style, screen->width(), screen->height(), now);
      case Layout::evaluator: return (eval_for_device ? *eval_for_device : evaluator).view(hall, style, screen->width(), screen->height(), now);
    }
    return std::monostate{};
  };
  auto draw = [&](const AnyView& v, TimeMs now) {
    if (auto* b = std::get_if<BoardView>(&v)) animating = screen->draw_board(*b, now);
    else if (auto* s = std::get_if<StripView>(&v)) animating = screen->draw_strip(*s, now);
    else if (auto* t = std::get_if<TouchView>(&v)) {
      animating = screen->draw_touch(*t, now);
      buttons = t->buttons;
    }
  };
  auto save = [&](const std::string& path) {
    auto img = screen->read_pixels();
    if (!img) return std::cerr << "hallq-display: " << img.error().message << "\n", false;
    if (auto st = write_png(*img, path); !st) return std::cerr << "hallq-display: " << st.error().message << "\n", false;
    std::cerr << "hallq-display: screenshot " << path << "\n";
    return true;
  };
  auto evaluator_model = [&]() -> EvaluatorModel& {
    if (!eval_for_device && args.window == 0 && window_number() != 0)
      eval_for_device.emplace(id_prefix, window_number(), style.language);
    return eval_for_device ? *eval_for_device : evaluator;
  };
  auto send_kiosk = [&](const std::optional<json>& cmd, TimeMs now) {
    if (cmd && !connection.send(*cmd)) kiosk.send_failed(now);
  };
  auto press = [&](int x, int y, TimeMs now) {
    for (const Button& b : buttons) {
      if (!b.enabled || !b.rect.contains(x, y)) continue;
      std::optional<json> cmd = args.layout == Layout::kiosk ? kiosk.press(b.action, now) : evaluator_model().press(b.action, now);
      if (cmd && !connection.send(*cmd) && args.layout == Layout::kiosk) kiosk.send_failed(now);
      return;
    }
  };

  // Keyboard-wedge QR scanners type the appointment code as text, then Enter.
  if (args.layout == Layout::kiosk) SDL_StartTextInput();
  bool running = true;
  std::optional<Layout> relayout;  // the hall file names another layout for this device
  int timeout_ms = 0;
  std::uint64_t turns = 0, frames = 0;  // reported with each screenshot: an idle display must not spin
  while (running) {
    SDL_Event ev;
    bool got = wait_event(ev, timeout_ms);
    ++turns;
    TimeMs now = wall_now();
    while (got) {
      if (ev.type == SDL_QUIT) running = false;
      else if (ev.type == SDL_WINDOWEVENT && (ev.window.event == SDL_WINDOWEVENT_EXPOSED || ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)) {
        screen->invalidate();
        last_view = std::monostate{};
      }
      else if (ev.type == SDL_MOUSEBUTTONDOWN && ev.button.which != SDL_TOUCH_MOUSEID) press(ev.button.x, ev.button.y, now);
      else if (ev.type == SDL_FINGERDOWN) press(int(ev.tfinger.x * screen->width()), int(ev.tfinger.y * screen->height()), now);
      else if (args.layout == Layout::kiosk && ev.type == SDL_TEXTINPUT) kiosk.type_text(ev.text.text, now);  // QR scanner digits
      else if (args.layout == Layout::kiosk && ev.type == SDL_KEYDOWN) {
        const SDL_Keycode k = ev.key.keysym.sym;
        if (k == SDLK_RETURN || k == SDLK_KP_ENTER) send_kiosk(kiosk.key_enter(now), now);
        else if (k == SDLK_BACKSPACE) kiosk.key_backspace(now);
      }
      got = SDL_PollEvent(&ev) != 0;
    }
    for (Inbound& in : connection.take()) {
      switch (in.kind) {
        case Inbound::Kind::opened:
          std::cerr << "hallq-display: connected to " << args.host << ":" << args.port << "\n";
          hall.connection_opened();
          if (args.layout == Layout::kiosk && kiosk.pending_command()) connection.send(*kiosk.pending_command());
          break;
        case Inbound::Kind::closed:
          if (!hall.lost()) std::cerr << "hallq-display: connection lost" << (in.detail.empty() ? "" : ": " + in.detail) << "\n";
          hall.connection_lost(now);
          break;
        case Inbound::Kind::overflow:
          hall.resync();
          connection.send(json{{"type", "snapshot"}});
          break;
        case Inbound::Kind::message: {
          const std::string type = in.body.value("type", "");
          if (type == "result") {
            if (kiosk.on_result(in.body, now))
              std::cerr << "hallq-display: kiosk: "
                        << (in.body.value("ok", false) ? "issued " + in.body["result"].value("ticket", json::object()).value("number", "?") + ": "
                                                       : std::string("refused: "))
                        << kiosk.message() << "\n";
            if (args.layout == Layout::evaluator && evaluator_model().on_result(in.body, now))
              std::cerr << "hallq-display: evaluator: " << (in.body.value("ok", false) ? "rated: " : "refused: ")
                        << evaluator_model().message() << "\n";
            break;
          }
          if (type == "error") std::cerr << "hallq-display: server says " << in.body.dump() << "\n";
          Applied a = hall.apply(in.body, now);
          if (!a.error.empty()) std::cerr << "hallq-display: " << a.error << "\n";
          if (type == "snapshot") std::cerr << "hallq-display: snapshot seq " << hall.seq() << "\n";
          if (type == "welcome" && !args.layout_given && !hall.device_layout().empty()) {
            if (auto l = layout_from_string(hall.device_layout()); !l)
              std::cerr << "hallq-display: the hall file's layout \"" << hall.device_layout() << "\" is not one of strip, board, kiosk, evaluator; keeping "
                        << to_string(args.layout) << "\n";
            else if (*l != args.layout) {
              relayout = *l;
              running = false;
            }
          }
          if (a.need_snapshot) connection.send(json{{"type", "snapshot"}});
          if (args.layout == Layout::evaluator) evaluator_model().on_applied(a, now);
          if (voice)
            for (const CallInfo& c : a.calls)
              if (args.layout == Layout::board || c.window == window_number()) voice->announce(c.number, c.window);
          break;
        }
      }
    }
    if (relayout) break;  // nothing to draw as the wrong layout
    now = wall_now();
    if (!args.kiosk_type.empty() && args.layout == Layout::kiosk && hall.live()) {
      for (char c : args.kiosk_type) {
        if (c == '#' || c == '\n') send_kiosk(kiosk.key_enter(now), now);
        else kiosk.type_text(std::string(1, c), now);
      }
      args.kiosk_type.clear();
    }
    AnyView view = build_view(now);
    // With --tap, the shot waits for the touch and its answer.
    const bool want_shot = !args.screenshot.empty() && ((hall.live() && args.tap_count == 0 && !kiosk.in_flight()) ||
                                                        now - started >= args.screenshot_wait_ms);
    const bool want_signal_shot = !args.signal_screenshot.empty() && g_screenshot_requested.exchange(false);
    if (view != last_view || animating || want_shot || want_signal_shot) {
      draw(view, now);
      ++frames;
      if (want_shot) {
        exit_code = save(args.screenshot) ? 0 : 1;
        running = false;
      }
      if (want_signal_shot && save(args.signal_screenshot))
        std::cerr << "hallq-display: loop turns " << turns << ", input polls " << input_polls << ", frames " << frames << "\n";
      screen->present();
      last_view = std::move(view);
    }
    // --tap: the first frame with an enabled button under the point touches it, N times at once
    // (the buttons as drawn, as a finger meets them). Then the loop turns again to show the result.
    bool tapped = false;
    if (args.tap_count > 0 && hall.live() && (args.layout == Layout::kiosk || args.layout == Layout::evaluator)) {
      for (const Button& b : buttons)
        if (b.enabled && b.rect.contains(args.tap_x, args.tap_y)) {
          std::cerr << "hallq-display: tap " << b.action << " x" << args.tap_count << "\n";
          for (int i = 0; i < args.tap_count; ++i) press(args.tap_x, args.tap_y, now);
          args.tap_count = 0;
          tapped = true;
          break;
        }
    }
    // Sleep until something can change: a message or a signal wakes us; otherwise the next
    // marquee step, blink, or clock minute.
    if (animating) timeout_ms = 16;
    else if (now - hall.last_call_seen() < style.flash_ms) timeout_ms = std::max<int>(10, style.blink_ms - int((now - hall.last_call_seen()) % style.blink_ms));
    else if (hall.live()) timeout_ms = 60000 - int(hall.hall_now(now) % 60000) + 2;  // the hall clock's next minute
    else timeout_ms = 1000 - int(now % 1000) + 2;                     // "lost for N s" counts up
    if (!args.screenshot.empty() || tapped) timeout_ms = std::min(timeout_ms, tapped ? 0 : 100);
    if (args.layout == Layout::kiosk)
      if (const TimeMs next = kiosk.next_change(now); next > now) timeout_ms = std::min<int>(timeout_ms, int(next - now) + 2);
  }
  connection.stop();
  voice.reset();
  screen.reset();
  TTF_Quit();
  SDL_Quit();
  if (relayout) {
    // The layout decides the window's size, the style and the voice: start again as that
    // layout, every other flag kept. Once per start (the new run has --layout).
    std::cerr << "hallq-display: the hall file makes this device a " << to_string(*relayout) << "; restarting as one\n";
    std::vector<std::string> again(argv, argv + argc);
    again.push_back("--layout");
    again.emplace_back(to_string(*relayout));
    std::vector<char*> cargs;
    for (auto& a : again) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    // A screenshot signal arriving meanwhile waits (blocked, pending across exec) instead of
    // killing the process before the new image installs its handler.
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, nullptr);
    execv("/proc/self/exe", cargs.data());
    std::cerr << "hallq-display: exec: " << std::strerror(errno) << "\n";
    return 1;
  }
  return exit_code;
}
