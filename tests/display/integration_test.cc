// A real hallq-server process (the small test hall) and real hallq-display processes under
// SDL's offscreen video driver: tickets are issued and called over HTTP, the display is asked
// for screenshots with SIGUSR1, and the pixels must change where they should and only there.
// The server is killed and restarted: the board must say "connection lost" and then show the
// hall again. The voice goes to a WAV file. Everything polls with generous deadlines: nothing
// here measures speed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>

#include "hallq/client/client.h"
#include "hallq/display/png.h"
#include "hallq/display/style.h"
#include "hallq/display/wav.h"

namespace hallq::display {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kKioskToken = "kiosk-token-0001-abcdef";
const std::string kDisplayToken = "display-token-0001-abcdef";

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/hallq-display-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A child process with stdout and stderr in files.
struct Process {
  pid_t pid = -1;
  fs::path out, err;
  Process(const std::vector<std::string>& argv, const fs::path& dir, const std::string& name, const std::vector<std::string>& env = {}) {
    out = dir / (name + ".out");
    err = dir / (name + ".err");
    pid = fork();
    if (pid == 0) {
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(o, 1);
      dup2(e, 2);
      for (const auto& kv : env) putenv(strdup(kv.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Process() { stop(SIGKILL); }
  int stop(int sig) {
    if (pid <= 0) return -1;
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }
  bool alive() const { return pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0; }
  std::string text(const fs::path& p) const {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

bool wait_for(const std::function<bool()>& ok, std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    if (ok()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return ok();
}

class DisplayTest : public ::testing::Test {
 protected:
  void start_server(std::uint16_t port = 0, std::string config = std::string(HALLQ_SOURCE_DIR) + "/tests/data/small-hall.json") {
    server_ = std::make_unique<Process>(
        std::vector<std::string>{HALLQ_SERVER_BIN, "--config", config, "--data",
                                 (dir_.path / "data").string(), "--listen", "127.0.0.1:" + std::to_string(port), "--always-open"},
        dir_.path, "server");
    std::string line;
    ASSERT_TRUE(wait_for([&] {
      line = server_->text(server_->out);
      return line.find("listening on http://127.0.0.1:") != std::string::npos && line.find('\n', line.rfind("listening")) != std::string::npos;
    }, 60s)) << server_->text(server_->err);
    const std::string last = line.substr(line.rfind("listening on http://127.0.0.1:") + 30);
    port_ = std::uint16_t(std::stoi(last));
  }

  // `env` comes after the defaults, so it can override them (SDL_AUDIODRIVER=disk).
  void start_display(const std::string& name, std::vector<std::string> args, const std::string& token = kDisplayToken,
                     std::vector<std::string> env = {}) {
    shot_ = dir_.path / (name + ".png");
    std::vector<std::string> argv{HALLQ_DISPLAY_BIN, "--server", "127.0.0.1:" + std::to_string(port_), "--token", token,
                                  "--screenshot-on-signal", shot_.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    // The leak checker is off for the display only: the offscreen video driver dlopens GL
    // libraries whose one-time allocations LSan reports without a stack to suppress them by.
    env.insert(env.begin(), {"SDL_VIDEODRIVER=offscreen", "SDL_AUDIODRIVER=dummy", "ASAN_OPTIONS=detect_leaks=0"});
    display_ = std::make_unique<Process>(argv, dir_.path, name, env);
    // Up (its SIGUSR1 handler installed) once it reports on the connection.
    ASSERT_TRUE(wait_for([&] {
      const std::string err = display_->text(display_->err);
      return err.find("connected") != std::string::npos || err.find("connection lost") != std::string::npos;
    }, 60s)) << display_->text(display_->err);
  }

  // Asks the running display for its current frame.
  Image shot() {
    EXPECT_TRUE(display_->alive()) << display_->text(display_->err);
    fs::remove(shot_);
    kill(display_->pid, SIGUSR1);
    EXPECT_TRUE(wait_for([&] { return fs::exists(shot_); }, 20s)) << display_->text(display_->err);
    auto img = read_png(shot_.string());
    EXPECT_TRUE(img.ok()) << (img.ok() ? "" : img.error().message);
    return img.ok() ? *img : Image{};
  }

  // Polls screenshots until `ok` holds for one; returns it (or the last one tried).
  Image shot_until(const std::function<bool(const Image&)>& ok, std::chrono::milliseconds deadline, const char* what) {
    Image img;
    const bool done = wait_for([&] { img = shot(); return img.width > 0 && ok(img); }, deadline);
    EXPECT_TRUE(done) << what << "\n" << display_->text(display_->err);
    return img;
  }

  client::HttpClient http() { return client::HttpClient("127.0.0.1", port_); }
  std::string login(const std::string& user, const std::string& password) {
    auto r = http().post("/api/login", {{"user", user}, {"password", password}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().value("token", "");
  }
  void issue(const std::string& service, const std::string& rid) {
    auto r = http().post("/api/tickets", {{"service", service}, {"request_id", rid}}, kKioskToken);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  std::string call(int window, const std::string& token, const std::string& rid, const std::string& command = "call-next") {
    auto r = http().post("/api/windows/" + std::to_string(window) + "/" + command, {{"request_id", rid}}, token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().contains("ticket") ? r.json()["ticket"].value("number", "") : "";
  }

  TempDir dir_;
  std::unique_ptr<Process> server_, display_;
  std::uint16_t port_ = 0;
  fs::path shot_;
};

bool same_colour(const std::uint8_t* p, Colour c) { return p[0] == c.r && p[1] == c.g && p[2] == c.b; }

// Pixels that differ inside [x0,x1) x [y0,y1).
int differing(const Image& a, const Image& b, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x)
      if (std::memcmp(a.at(x, y), b.at(x, y), 3) != 0) ++n;
  return n;
}

TEST_F(DisplayTest, BoardFollowsCallsLosesTheServerAndConverges) {
  start_server();
  // The shipped board style without the blink, so frames are comparable (blinking is unit-tested).
  nlohmann::json style_json = nlohmann::json::parse(std::ifstream(std::string(HALLQ_ASSETS_DIR) + "/display/board.json"));
  style_json["flash_ms"] = 0;
  const fs::path style_file = dir_.path / "board-style.json";
  std::ofstream(style_file) << style_json.dump();
  const Style style = *parse_style(style_json);
  const fs::path wav = dir_.path / "voice.wav";
  start_display("board", {"--layout", "board", "--size", "1280x720", "--voice-wav", wav.string(), "--no-marquee", "--style",
                          style_file.string()});
  // Geometry of the 1280x720 board (display/render/src/screen.cc, sizes scale with height).
  const int W = 1280, H = 720, header_h = 80, notice_h = 64;
  const int calls_x0 = 20, calls_x1 = W * 47 / 100, body_y0 = header_h + 13, body_y1 = H - notice_h - 14;
  auto panel_probe = [&](const Image& img) { return img.at(calls_x0 + 2, body_y1 - 10); };  // calls panel, bottom-left corner

  Image idle = shot_until([&](const Image& i) { return same_colour(panel_probe(i), style.panel); }, 60s, "board goes live");

  // Idle, nothing changing: the loop sleeps. Each screenshot reports the loop's counters.
  auto counters = [&] {
    const std::string err = display_->text(display_->err);
    std::array<unsigned long, 3> c{};
    const auto at = err.rfind("loop turns ");
    EXPECT_NE(at, std::string::npos) << err;
    if (at != std::string::npos) std::sscanf(err.c_str() + at, "loop turns %lu, input polls %lu, frames %lu", &c[0], &c[1], &c[2]);
    return c;
  };
  const auto idle_from = Clock::now();
  const auto c0 = counters();
  std::this_thread::sleep_for(2s);
  shot();
  const auto c1 = counters();
  const double idle_s = std::chrono::duration<double>(Clock::now() - idle_from).count();
  std::cout << "[ display ] idle " << idle_s << " s: " << c1[0] - c0[0] << " loop turns, " << c1[1] - c0[1] << " input polls, "
            << c1[2] - c0[2] << " frames\n";
  // The screenshot itself is one turn and one frame; the clock may have turned a minute.
  EXPECT_LE(c1[0] - c0[0], 4u) << "loop turns while idle";
  EXPECT_LE(c1[2] - c0[2], 3u) << "frames drawn while idle";
  // Under the offscreen driver SDL cannot wait for input: it is looked at 20 times a second,
  // not every millisecond (SDL_WaitEventTimeout's own poll).
  EXPECT_LE(double(c1[1] - c0[1]), 21.0 * idle_s + 5) << "input polls while idle";

  issue("A", "it-1");
  const std::string zhang = login("zhang", "zhang-pass");
  EXPECT_EQ(call(1, zhang, "it-call-1"), "A001");
  const int newest_y = 200;  // the first call row (rows start at y 179), left of its text
  Image called = shot_until([&](const Image& i) { return same_colour(i.at(calls_x0 + 10, newest_y), style.newest); }, 30s,
                            "the newest call row is highlighted");
  EXPECT_GT(differing(idle, called, calls_x0, body_y0, calls_x1, body_y1), 500) << "the calls area shows the call";
  EXPECT_EQ(differing(idle, called, 0, 0, W / 2, header_h), 0) << "the hall name did not move";
  EXPECT_EQ(differing(idle, called, 0, H - notice_h, W, H), 0) << "the notice line did not change";

  // The voice said it: chime + sentence, a plausible length.
  std::size_t one_call = 0;
  ASSERT_TRUE(wait_for([&] {
    auto w = read_wav(wav.string());
    one_call = w.ok() ? w->samples.size() : 0;
    return w.ok() && one_call > std::size_t(w->sample_rate) * 25 / 10;
  }, 60s)) << "no announcement in " << wav;
  auto first = read_wav(wav.string());
  ASSERT_TRUE(first.ok());
  EXPECT_LT(one_call, std::size_t(first->sample_rate) * 12) << "one call, not more";

  // A recall is announced again, after the first, not over it.
  EXPECT_EQ(call(1, zhang, "it-recall-1", "recall"), "A001");
  ASSERT_TRUE(wait_for([&] {
    auto w = read_wav(wav.string());
    return w.ok() && w->samples.size() > one_call * 18 / 10;
  }, 60s));
  auto both = read_wav(wav.string());
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(std::equal(first->samples.begin(), first->samples.end(), both->samples.begin()))
      << "the first announcement was left whole";

  // Server gone: the board says so and shows no calls.
  Image before_kill = shot();
  const std::uint16_t port = port_;
  server_->stop(SIGKILL);
  Image lost = shot_until([&](const Image& i) { return same_colour(panel_probe(i), style.lost); }, 30s, "connection lost banner");
  EXPECT_FALSE(same_colour(lost.at(calls_x0 + 10, newest_y), style.newest)) << "no stale newest call";

  // Back on the same port with the same data: the board converges to the same calls.
  start_server(port);
  const auto back = Clock::now();
  Image again = shot_until([&](const Image& i) { return same_colour(panel_probe(i), style.panel); }, 30s, "live again");
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - back).count();
  std::cout << "[ display ] live again " << ms << " ms after the server was listening\n";
  EXPECT_EQ(differing(before_kill, again, calls_x0, body_y0 + 60, calls_x1, body_y1), 0)
      << "the same calls as before the restart";
  EXPECT_EQ(display_->stop(SIGTERM), 0) << display_->text(display_->err);
}

TEST_F(DisplayTest, WindowStripShowsTheCallAndThePause) {
  start_server();
  start_display("strip", {"--layout", "strip", "--window", "1", "--size", "512x64", "--no-voice"});
  const Style style = *load_style(std::string(HALLQ_ASSETS_DIR) + "/display/strip.json");
  auto has = [&](const Image& i, Colour c) {
    for (int y = 0; y < i.height; ++y)
      for (int x = 0; x < i.width; ++x)
        if (same_colour(i.at(x, y), c)) return true;
    return false;
  };
  // Idle: "1号窗口  欢迎光临" in amber and green (lost would be all red). A strip has no clock,
  // so frames are exactly comparable.
  Image idle = shot_until([&](const Image& i) { return has(i, style.muted) && has(i, style.accent); }, 60s, "strip live");
  issue("A", "st-1");
  const std::string zhang = login("zhang", "zhang-pass");
  EXPECT_EQ(call(1, zhang, "st-call-1"), "A001");
  Image called = shot_until([&](const Image& i) { return differing(i, idle, 0, 0, 512, 64) > 200 && !same_colour(i.at(2, 2), style.accent); },
                            30s, "the number instead of the welcome, after the flash");
  EXPECT_GT(differing(idle, called, 0, 0, 512, 64), 200);
  call(1, zhang, "st-noshow-1", "no-show");
  call(1, zhang, "st-pause-1", "pause");
  shot_until([&](const Image& i) { return !has(i, style.accent) && has(i, style.paused); }, 30s, "暂停服务 in red, nothing green");
  call(1, zhang, "st-resume-1", "resume");
  shot_until([&](const Image& i) { return differing(i, idle, 0, 0, 512, 64) == 0; }, 30s, "back to the idle frame");
  EXPECT_EQ(display_->stop(SIGTERM), 0) << display_->text(display_->err);
}

// The hall file, not a flag, makes this device a window strip at window 2: the display
// (started without --layout) restarts itself as a strip of the strip's size and follows window 2.
TEST_F(DisplayTest, LayoutAndWindowComeFromTheHallFile) {
  nlohmann::json hall = nlohmann::json::parse(std::ifstream(std::string(HALLQ_SOURCE_DIR) + "/tests/data/small-hall.json"));
  const std::string token = "strip-token-0002-abcdef";
  hall["devices"].push_back({{"id", "strip-2"}, {"kind", "display"}, {"token", token}, {"layout", "strip"}, {"window", 2}});
  const fs::path hall_file = dir_.path / "hall.json";
  std::ofstream(hall_file) << hall.dump();
  start_server(0, hall_file.string());
  start_display("from-config", {"--no-voice"}, token);
  ASSERT_TRUE(wait_for([&] {
    const std::string err = display_->text(display_->err);
    const auto restart = err.find("restarting as one");
    return restart != std::string::npos && err.find("snapshot seq", restart) != std::string::npos;
  }, 60s)) << display_->text(display_->err);
  Image idle = shot();
  EXPECT_EQ(idle.width, 512);
  EXPECT_EQ(idle.height, 64);
  // Window 1 pauses (its strip would turn to 暂停服务), then window 2 calls: the call shows, the
  // pause (applied first: events arrive in order) does not.
  const Style style = *load_style(std::string(HALLQ_ASSETS_DIR) + "/display/strip.json");
  const std::string zhang = login("zhang", "zhang-pass");
  issue("B", "lc-1");
  call(1, zhang, "lc-pause-1", "pause");
  EXPECT_EQ(call(2, zhang, "lc-call-2"), "B001");
  Image called = shot_until([&](const Image& i) { return i.width == 512 && differing(i, idle, 0, 0, 512, 64) > 200; }, 30s, "window 2's call");
  int paused_pixels = 0;
  for (int y = 0; y < called.height; ++y)
    for (int x = 0; x < called.width; ++x) paused_pixels += same_colour(called.at(x, y), style.paused);
  EXPECT_EQ(paused_pixels, 0) << "window 1's pause is not on window 2's strip";
  const std::string err = display_->text(display_->err);
  EXPECT_EQ(err.find("restarting as one"), err.rfind("restarting as one")) << "restarted once\n" << err;
  EXPECT_EQ(display_->stop(SIGTERM), 0) << display_->text(display_->err);
}

// 预约取号 at the kiosk: the visitor scans (or types) the code; the kiosk checks it in with one
// request; a second try with the same code is refused in words. Against appt-contract.md.
TEST_F(DisplayTest, KioskChecksInAnAppointmentByItsCode) {
  nlohmann::json hall = nlohmann::json::parse(std::ifstream(std::string(HALLQ_SOURCE_DIR) + "/tests/data/small-hall.json"));
  hall["services"][0]["appointments"] = {{"slot_min", 30}, {"capacity", 4}, {"days_ahead", 7}};
  hall["rules"]["workdays"] = {0, 1, 2, 3, 4, 5, 6};  // it books today, whatever day the test runs
  // The hall's clock is set to about 10:00 whatever the time of the run, so that today has a
  // next slot: near the hall's midnight the test could not book today.
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const int utc_minute = int(now / 60000 % 1440);
  int offset_min = ((600 - utc_minute) % 1440 + 1440) % 1440;
  if (offset_min > 840) offset_min -= 1440;  // the hall file's range is -720..840
  hall["rules"]["utc_offset_min"] = offset_min;
  const fs::path hall_file = dir_.path / "hall.json";
  std::ofstream(hall_file) << hall.dump();
  start_server(0, hall_file.string());
  const std::string admin = login("admin", "admin-pass");
  // The next 30-minute slot today, in the hall's time.
  const std::int64_t offset_ms = std::int64_t{offset_min} * 60000;
  const std::int64_t slot = ((now + offset_ms) / 1800000 + 1) * 1800000 - offset_ms;
  ASSERT_EQ((slot + offset_ms) / 86400000, (now + offset_ms) / 86400000) << "no slot left today (hall time)";
  auto booked = http().post("/api/appointments", {{"request_id", "kb-1"}, {"service", "A"}, {"slot_start", slot}}, admin);
  if (booked.status == 404 && booked.body.find("\"A\"") == std::string::npos)
    GTEST_SKIP() << "this server has no appointments API yet: " << booked.body;
  ASSERT_EQ(booked.status, 201) << booked.body;
  const std::string code = booked.json()["appointment"].value("code", "");
  ASSERT_EQ(code.size(), 6u) << booked.body;

  start_display("kiosk", {"--layout", "kiosk", "--no-voice", "--kiosk-type", code + "#"}, kKioskToken);
  ASSERT_TRUE(wait_for([&] { return display_->text(display_->err).find("kiosk: ") != std::string::npos; }, 30s)) << display_->text(display_->err);
  const std::string first = display_->text(display_->err);
  EXPECT_NE(first.find("kiosk: issued A001: 预约签到成功"), std::string::npos) << first;
  EXPECT_EQ(first.find("kiosk: ", first.find("kiosk: ") + 1), std::string::npos) << "one request, one answer\n" << first;
  shot();  // the issued number over the services
  EXPECT_EQ(display_->stop(SIGTERM), 0) << display_->text(display_->err);

  // The same code again, in English: the server remembers the check-in; refused, in words.
  start_display("kiosk-again", {"--layout", "kiosk", "--no-voice", "--lang", "en", "--kiosk-type", code + "#"}, kKioskToken);
  ASSERT_TRUE(wait_for([&] { return display_->text(display_->err).find("kiosk: ") != std::string::npos; }, 30s)) << display_->text(display_->err);
  EXPECT_NE(display_->text(display_->err).find("kiosk: refused: Appointment " + code + " is already checked in"), std::string::npos)
      << display_->text(display_->err);
  EXPECT_EQ(display_->stop(SIGTERM), 0) << display_->text(display_->err);
}

const std::string kPrinterToken = "printer-token-0001-abcdef";
const std::string kEvaluatorToken = "evaluator-token-0001-abcdef";

// Pixels of exactly this colour inside [x0,x1) x [y0,y1).
int count_colour(const Image& img, Colour c, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) n += same_colour(img.at(x, y), c);
  return n;
}

// The kiosk's printer (printer-1 in the hall file) runs out of paper: the printer agent says so
// over its WebSocket, the kiosk's top band turns into the warning banner. A ticket issued then
// says it prints once the printer is fixed; back to "ok", the banner goes.
TEST_F(DisplayTest, KioskShowsItsPrinterOutOfPaper) {
  start_server();
  client::WsClient printer;
  ASSERT_EQ(printer.connect("127.0.0.1", port_), "");
  ASSERT_TRUE(printer.send({{"type", "hello"}, {"token", kPrinterToken}}));
  auto welcome = printer.receive_type("welcome", 10s);
  ASSERT_TRUE(welcome.has_value());
  ASSERT_TRUE(printer.send({{"type", "device_status"}, {"status", "ok"}, {"detail", ""}}));

  const Style style = *load_style(std::string(HALLQ_ASSETS_DIR) + "/display/kiosk.json");
  const int W = 1280, H = 800, band = H / 12;
  start_display("kiosk-printer", {"--layout", "kiosk", "--no-voice", "--size", "1280x800"}, kKioskToken);
  Image fine = shot_until([&](const Image& i) { return i.width == W && count_colour(i, style.panel, 0, 0, W, band) > W * band / 2; }, 30s,
                          "the hall's name band while the printer prints");
  // A loaded machine may paint the band before the rest: the reference is a screen that stays
  // the same over two screenshots.
  for (int tries = 0; tries < 50; ++tries) {
    Image again = shot();
    if (differing(fine, again, 0, 0, W, H) == 0) break;
    fine = again;
  }
  EXPECT_EQ(count_colour(fine, style.lost, 0, 0, W, band), 0) << "no banner while the printer is ok";

  ASSERT_TRUE(printer.send({{"type", "device_status"}, {"status", "paper_out"}, {"detail", "paper roll empty"}}));
  Image out = shot_until([&](const Image& i) { return i.width == W && count_colour(i, style.lost, 0, 0, W, band) > W * band / 2; }, 30s,
                         "the printer banner");
  EXPECT_GT(differing(fine, out, 0, 0, W, band), W * band / 2);
  EXPECT_EQ(differing(fine, out, 0, band, W, H), 0) << "only the band changes";

  ASSERT_TRUE(printer.send({{"type", "device_status"}, {"status", "ok"}, {"detail", ""}}));
  Image back = shot_until([&](const Image& i) { return i.width == W && count_colour(i, style.lost, 0, 0, W, band) == 0; }, 30s,
                          "the banner gone once the printer prints again");
  EXPECT_EQ(differing(fine, back, 0, 0, W, H), 0);
  EXPECT_EQ(display_->stop(SIGTERM), 0) << display_->text(display_->err);

  // Out of paper again; a visitor takes a number (a double tap on the first service): one ticket,
  // and the screen tells them to remember it.
  ASSERT_TRUE(printer.send({{"type", "device_status"}, {"status", "paper_out"}, {"detail", ""}}));
  start_display("kiosk-issue", {"--layout", "kiosk", "--no-voice", "--size", "1280x800", "--lang", "en", "--tap", "300,180", "--tap-count", "2"},
                kKioskToken);
  ASSERT_TRUE(wait_for([&] { return display_->text(display_->err).find("kiosk: ") != std::string::npos; }, 30s)) << display_->text(display_->err);
  const std::string log = display_->text(display_->err);
  EXPECT_NE(log.find("tap service:A x2"), std::string::npos) << log;
  EXPECT_NE(log.find("kiosk: issued A001"), std::string::npos) << log;
  EXPECT_EQ(log.find("kiosk: ", log.find("kiosk: ") + 1), std::string::npos) << "a double tap, one request\n" << log;
  Image issued = shot();
  EXPECT_GT(count_colour(issued, style.lost, 0, 0, W, band), W * band / 2) << "the banner stays over the issued number";
  EXPECT_GT(count_colour(issued, style.paused, W / 6, H / 4 + H / 2 * 13 / 16, W * 5 / 6, H * 3 / 4), 50) << "the print-later note";
  EXPECT_EQ(display_->stop(SIGTERM), 0) << display_->text(display_->err);
}

// 评价器 end to end: a visit completes at window 1; the window's evaluator shows the five levels;
// a double tap on 非常满意 sends one rating; the server records exactly one, level 5.
TEST_F(DisplayTest, EvaluatorRatesACompletedVisitOnce) {
  start_server();
  client::WsClient watcher;  // counts the ticket_rated events the server publishes
  ASSERT_EQ(watcher.connect("127.0.0.1", port_), "");
  ASSERT_TRUE(watcher.send({{"type", "hello"}, {"token", kDisplayToken}}));
  ASSERT_TRUE(watcher.receive_type("snapshot", 10s).has_value());

  auto issued = http().post("/api/tickets", {{"service", "A"}, {"request_id", "ev-1"}}, kKioskToken);
  ASSERT_EQ(issued.status, 201) << issued.body;
  const std::string id = issued.json()["ticket"].value("id", "");
  const std::string zhang = login("zhang", "zhang-pass");
  EXPECT_EQ(call(1, zhang, "ev-call"), "A001");
  call(1, zhang, "ev-start", "start");

  // 1280x800: five levels in a row at y 266..666; the first (x 21..258) is 非常满意.
  start_display("evaluator", {"--layout", "evaluator", "--no-voice", "--size", "1280x800", "--tap", "100,400", "--tap-count", "2"},
                kEvaluatorToken);
  Image idle = shot_until([&](const Image& i) { return i.width == 1280; }, 30s, "the idle evaluator");
  EXPECT_EQ(display_->text(display_->err).find("tap "), std::string::npos) << "nothing to rate yet, nothing tapped";
  call(1, zhang, "ev-complete", "complete");
  ASSERT_TRUE(wait_for([&] { return display_->text(display_->err).find("tap rate:5 x2") != std::string::npos; }, 30s))
      << display_->text(display_->err);

  nlohmann::json rating;
  ASSERT_TRUE(wait_for([&] {
    auto r = http().get("/api/tickets/" + id);
    if (r.status != 200 || !r.json()["ticket"].contains("rating")) return false;
    rating = r.json()["ticket"]["rating"];
    return true;
  }, 30s));
  EXPECT_EQ(rating.value("level", 0), 5) << rating.dump();
  EXPECT_EQ(rating.value("via", ""), "evaluator") << rating.dump();
  // Events arrive in order: the completion, the rating, then whatever follows. A marker event
  // after the rating (a notice) bounds the wait: any second rating would come before it.
  auto notice = http().post("/api/commands/notice", {{"text", "ev-marker"}, {"request_id", "ev-notice"}}, login("admin", "admin-pass"));
  ASSERT_EQ(notice.status, 200) << notice.body;
  int rated = 0;
  for (;;) {
    auto m = watcher.receive(20s);
    ASSERT_TRUE(m.has_value()) << "the notice event never came";
    if (m->value("type", "") != "event") continue;
    if (m->value("event", "") == "ticket_rated") ++rated;
    if (m->value("event", "") == "notice_changed" || m->dump().find("ev-marker") != std::string::npos) break;
  }
  EXPECT_EQ(rated, 1) << "a double tap rates once";
  const std::string log = display_->text(display_->err);
  EXPECT_NE(log.find("evaluator: rated: 感谢您的评价"), std::string::npos) << log;
  EXPECT_EQ(log.find("evaluator: ", log.find("evaluator: ") + 1), std::string::npos) << "a double tap, one rate command\n" << log;
  Image thanks = shot();
  EXPECT_GT(differing(idle, thanks, 0, 800 / 12, 1280, 800), 0);
  EXPECT_EQ(display_->stop(SIGTERM), 0) << display_->text(display_->err);
}

// The live voice path: SDL audio, not the WAV writer. SDL's "disk" driver writes what it plays
// (16-bit mono at the rate the display logs) to a file, silence included, in real time. One call:
// the sound in it (first to last non-silent sample) is one announcement's length.
TEST_F(DisplayTest, VoicePlaysThroughSdlAudio) {
  start_server();
  const fs::path raw = dir_.path / "sdl-audio.raw";
  start_display("board-audio", {"--layout", "board", "--size", "1280x720", "--no-marquee"}, kDisplayToken,
                {"SDL_AUDIODRIVER=disk", "SDL_DISKAUDIOFILE=" + raw.string()});
  std::string log = display_->text(display_->err);
  const std::string said = "voice through SDL audio driver disk at ";
  const auto at = log.find(said);
  ASSERT_NE(at, std::string::npos) << log;
  const int rate = std::stoi(log.substr(at + said.size()));
  ASSERT_GT(rate, 7999) << log;
  auto samples = [&] {
    std::ifstream in(raw, std::ios::binary);
    std::vector<std::int16_t> s;
    std::int16_t v;
    while (in.read(reinterpret_cast<char*>(&v), 2)) s.push_back(v);
    return s;
  };
  auto loud = [](std::int16_t v) { return v > 64 || v < -64; };
  ASSERT_TRUE(wait_for([&] { return samples().size() > std::size_t(rate) / 2; }, 30s)) << "SDL writes nothing to " << raw;
  const auto before = samples();
  EXPECT_EQ(std::count_if(before.begin(), before.end(), loud), 0) << "silence before any call";

  issue("A", "au-1");
  EXPECT_EQ(call(1, login("zhang", "zhang-pass"), "au-call-1"), "A001");
  // Done when a second of silence follows the last sound.
  std::size_t first = 0, last = 0;
  ASSERT_TRUE(wait_for([&] {
    const auto s = samples();
    const auto f = std::find_if(s.begin(), s.end(), loud);
    if (f == s.end()) return false;
    const auto l = std::find_if(s.rbegin(), s.rend(), loud);
    first = std::size_t(f - s.begin());
    last = s.size() - std::size_t(l - s.rbegin());
    return s.size() - last > std::size_t(rate);
  }, 60s)) << "no announcement played\n" << display_->text(display_->err);
  const double seconds = double(last - first) / rate;
  std::cerr << "SDL audio: " << rate << " Hz, announcement " << seconds << " s\n";
  EXPECT_GT(seconds, 2.5) << "chime and 「请 A001 号到 1 号窗口办理」";
  EXPECT_LT(seconds, 12.0) << "one announcement, not more";
  EXPECT_EQ(display_->stop(SIGTERM), 0) << display_->text(display_->err);
}

}  // namespace
}  // namespace hallq::display
