// The SDL layer under the offscreen video driver with the software renderer: every glyph of the
// sample hall renders (SC and TC faces), the text cache never re-renders unchanged text, a
// screenshot holds exactly the frame drawn, and the voice writes plausible, sequential audio.
#include <gtest/gtest.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "hallq/display/png.h"
#include "hallq/display/screen.h"
#include "hallq/display/touch.h"
#include "hallq/display/voice.h"
#include "hallq/display/wav.h"
#include "hallq/hall_config.h"

// SDL's video init dlopens system libraries (D-Bus/IME probing) and unloads them again; LSan
// then reports their one-time allocations with no stack to suppress them by. ASan stays on.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }

namespace hallq::display {
namespace {

using nlohmann::json;

class DisplaySdl : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    ASSERT_EQ(SDL_Init(SDL_INIT_VIDEO), 0) << SDL_GetError();
  }
  void TearDown() override {
    TTF_Quit();
    SDL_Quit();
  }
};

// Decodes UTF-8 into code points (the hall file is valid UTF-8: the config loader checks JSON).
std::vector<char32_t> code_points(const std::string& s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    for (int k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

TEST_F(DisplaySdl, EveryGlyphOfTheSampleHallIsInTheFont) {
  auto hall = load_hall_config(std::string(HALLQ_ASSETS_DIR) + "/halls/sample-county.json");
  ASSERT_TRUE(hall.ok()) << hall.error().message;
  std::vector<std::pair<std::string, int>> texts;  // text, face (2 = SC, 3 = TC)
  auto add = [&](const LocalizedText& t) {
    texts.emplace_back(t.zh_cn, 2);
    texts.emplace_back(t.in("zh-TW"), 3);
    texts.emplace_back(t.in("en"), 2);
  };
  add(hall->name);
  texts.emplace_back(hall->notice, 2);
  for (const auto& s : hall->services) add(s.name);
  for (const auto& w : hall->windows) add(w.name);
  // And the display's own words.
  for (const char* k : {"calls", "number", "window", "services", "waiting", "wait", "lost", "paused", "welcome", "no_wait",
                        "priority", "appointment", "appointment_prompt", "code_short", "confirm", "delete", "back", "checking_in",
                        "checked_in", "rate_5", "rate_4", "rate_3", "rate_2", "rate_1", "thanks"})
    for (const char* lang : {"zh-CN", "zh-TW", "en"}) texts.emplace_back(ui_text(k, lang), std::string(lang) == "zh-TW" ? 3 : 2);
  // The kiosk's words for a refused appointment check-in.
  for (const char* code : {"not_found", "appointment_missed", "appointment_cancelled", "already_checked_in", "bad_request", "forbidden"})
    for (const char* lang : {"zh-CN", "zh-TW", "en"})
      texts.emplace_back(appointment_error_text(json{{"code", code}, {"message", "is for 2026-11-30, ticket B012"}}, "483920", lang),
                         std::string(lang) == "zh-TW" ? 3 : 2);
  // And for a refused ticket.
  for (const char* message : {"the hall is closed today, 2026-11-28 (Saturday)", "service B is open 08:30-12:00, 13:30-17:30"})
    for (const char* code : {"service_closed", "daily_cap_reached", "rate_limited", "busy"})
      for (const char* lang : {"zh-CN", "zh-TW", "en"})
        texts.emplace_back(issue_error_text(json{{"code", code}, {"message", message}}, lang), std::string(lang) == "zh-TW" ? 3 : 2);
  ASSERT_EQ(TTF_Init(), 0);
  Style style = default_style(Layout::board);
  std::string file;
  for (const auto& f : style.fonts)
    if (std::filesystem::exists(f)) { file = f; break; }
  ASSERT_FALSE(file.empty()) << "fonts-noto-cjk is not installed";
  for (int face : {2, 3}) {
    TTF_Font* font = TTF_OpenFontIndex(file.c_str(), 32, face);
    ASSERT_NE(font, nullptr) << TTF_GetError();
    for (const auto& [text, f] : texts) {
      if (f != face) continue;
      for (char32_t cp : code_points(text))
        EXPECT_TRUE(TTF_GlyphIsProvided32(font, cp)) << "U+" << std::hex << std::uint32_t(cp) << " in \"" << text << "\" face " << face;
    }
    TTF_CloseFont(font);
  }
}

TEST_F(DisplaySdl, TextCacheRendersUnchangedTextOnceAndScreenshotIsTheFrame) {
  Style style = default_style(Layout::board);
  auto screen = Screen::open(ScreenOptions{1280, 720, false, true, "test"}, style);
  ASSERT_TRUE(screen.ok()) << screen.error().message;
  BoardView v;
  v.title = "某某縣行政服務中心";
  v.clock = "10:00:00";
  v.date = "2026年11月27日 星期五";
  v.notice = "短通知";
  v.calls = {BoardCall{"A012", "3号窗口", true, true, false}, BoardCall{"B004", "12号窗口", false, true, false}};
  v.services = {BoardService{"A", "综合受理", "", "7", "约 14 分钟"}};
  (*screen)->draw_board(v, 0);
  const auto after_first = (*screen)->text().renders();
  EXPECT_GT(after_first, 5u);
  auto first = (*screen)->read_pixels();
  ASSERT_TRUE(first.ok()) << first.error().message;
  (*screen)->present();
  (*screen)->draw_board(v, 1000);
  EXPECT_EQ((*screen)->text().renders(), after_first) << "the same view must not render text again";
  auto second = (*screen)->read_pixels();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->rgb, second->rgb) << "the same view draws the same frame";
  // A new clock renders just the clock.
  v.clock = "10:00:01";
  (*screen)->draw_board(v, 2000);
  EXPECT_EQ((*screen)->text().renders(), after_first + 1);

  const std::string path = std::string(::testing::TempDir()) + "/hallq-display-shot.png";
  ASSERT_TRUE(write_png(*second, path).ok());
  auto back = read_png(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->width, 1280);
  EXPECT_EQ(back->height, 720);
  EXPECT_EQ(back->rgb, second->rgb);
  // The newest call's row is on the highlight colour.
  const std::uint8_t* px = back->at(30, 200);  // left margin of the first call row
  EXPECT_EQ(px[0], style.newest.r);
  EXPECT_EQ(px[1], style.newest.g);
  std::filesystem::remove(path);
}

// A service the hall will not issue now is drawn grey with its reason in the warning colour;
// a button only disabled for a moment (a press being answered) keeps the panel colour.
TEST_F(DisplaySdl, KioskDrawsUnavailableServicesGreyWithTheReasonInTheWarningColour) {
  Style style = default_style(Layout::kiosk);
  auto screen = Screen::open(ScreenOptions{1280, 800, false, true, "kiosk"}, style);
  ASSERT_TRUE(screen.ok()) << screen.error().message;
  TouchView v;
  v.title = "某某县行政服务中心";
  v.message = "请选择业务取号";
  v.buttons.push_back(Button{Rect{20, 200, 400, 100}, "service:A", "综合受理", "等候人数 0 · 无需等候", false, true, false});
  v.buttons.push_back(Button{Rect{440, 200, 400, 100}, "service:H", "出入境证件", "取号时间 09:00-12:00", false, false, true});
  v.buttons.push_back(Button{Rect{860, 200, 400, 100}, "service:B", "企业开办", "等候人数 0 · 无需等候", false, false, false});
  (*screen)->draw_touch(v, 0);
  auto img = (*screen)->read_pixels();
  ASSERT_TRUE(img.ok()) << img.error().message;
  auto same = [](const std::uint8_t* p, Colour c) { return p[0] == c.r && p[1] == c.g && p[2] == c.b; };
  EXPECT_TRUE(same(img->at(25, 205), style.panel)) << "an open service";
  EXPECT_TRUE(same(img->at(865, 205), style.panel)) << "a press in flight does not grey";
  const std::uint8_t* grey = img->at(445, 205);
  EXPECT_FALSE(same(grey, style.panel)) << "an unavailable service";
  EXPECT_LT(std::max({grey[0], grey[1], grey[2]}) - std::min({grey[0], grey[1], grey[2]}), 24) << "grey, not a tint";
  // Some of the detail line's pixels are the warning colour (anti-aliased text: the cores).
  int warning = 0, warning_elsewhere = 0;
  for (int y = 200; y < 300; ++y)
    for (int x = 0; x < 1280; ++x)
      if (same(img->at(x, y), style.paused)) ++(x >= 440 && x < 840 ? warning : warning_elsewhere);
  EXPECT_GT(warning, 20);
  EXPECT_EQ(warning_elsewhere, 0);
}

BoardView busy_board() {
  BoardView v;
  v.title = "某某县行政服务中心";
  v.clock = "10:00";
  v.date = "2026年11月27日 星期五";
  v.calls_heading = "叫号信息";
  v.number_heading = "号码";
  v.window_heading = "窗口";
  v.services_heading = "业务";
  v.waiting_heading = "等候人数";
  v.wait_heading = "预计等候";
  v.notice = "请保管好随身物品";
  for (int i = 0; i < 8; ++i)
    v.calls.push_back(BoardCall{"A0" + std::to_string(20 - i), std::to_string(i + 1) + "号窗口", i == 0, true, false});
  for (int i = 0; i < 10; ++i)
    v.services.push_back(BoardService{std::string(1, char('A' + i)), "综合受理" + std::to_string(i), "", std::to_string(i), "约 14 分钟"});
  return v;
}

// The board repaints only what changed; the frame must still be exactly the frame a whole
// repaint of the same view gives, and a change must repaint much less than the screen.
TEST_F(DisplaySdl, BoardRepaintsOnlyChangesAndTheFrameEqualsAWholeRepaint) {
  Style style = default_style(Layout::board);
  auto partial = Screen::open(ScreenOptions{1280, 720, false, true, "partial"}, style);
  ASSERT_TRUE(partial.ok()) << partial.error().message;
  BoardView v = busy_board();
  (*partial)->draw_board(v, 0);
  const std::uint64_t whole = std::uint64_t(1280) * 720;
  EXPECT_EQ((*partial)->painted_pixels(), whole);
  (*partial)->present();
  // Nothing changed: nothing is repainted, and the back buffer still holds the frame.
  auto before = (*partial)->read_pixels();
  ASSERT_TRUE(before.ok());
  (*partial)->draw_board(v, 1000);
  EXPECT_EQ((*partial)->painted_pixels(), whole);
  auto same = (*partial)->read_pixels();
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->rgb, before->rgb);
  // A minute passes, then a call arrives (the rows shift, one service's queue shrinks).
  v.clock = "10:01";
  (*partial)->draw_board(v, 60000);
  (*partial)->present();
  const std::uint64_t clock_only = (*partial)->painted_pixels() - whole;
  EXPECT_GT(clock_only, 0u);
  EXPECT_LT(clock_only, whole / 8) << "a new minute repaints the header band only";
  v.calls.insert(v.calls.begin(), BoardCall{"B001", "12号窗口", true, true, false});
  v.calls.pop_back();
  v.calls[1].newest = false;
  v.services[3].waiting = "2";
  (*partial)->draw_board(v, 61000);
  const std::uint64_t call = (*partial)->painted_pixels() - whole - clock_only;
  EXPECT_LT(call, whole / 2) << "a call repaints the call rows and one service row";
  auto got = (*partial)->read_pixels();
  ASSERT_TRUE(got.ok());
  partial->reset();

  auto fresh = Screen::open(ScreenOptions{1280, 720, false, true, "whole"}, style);
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  (*fresh)->draw_board(v, 61000);
  auto want = (*fresh)->read_pixels();
  ASSERT_TRUE(want.ok());
  ASSERT_EQ(got->rgb.size(), want->rgb.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < got->rgb.size(); i += 3)
    if (std::memcmp(&got->rgb[i], &want->rgb[i], 3) != 0) ++differ;
  EXPECT_EQ(differ, 0u) << "pixels where the partly repainted frame differs from a whole repaint";
  // And the frame changed where it should, and only there (720p: service rows are 50 px from y 139).
  auto differing = [&](int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) n += std::memcmp(before->at(x, y), got->at(x, y), 3) != 0;
    return n;
  };
  EXPECT_GT(differing(20, 180, 600, 620), 0) << "the call rows";
  EXPECT_GT(differing(621, 289, 1260, 339), 0) << "service D's row";
  EXPECT_EQ(differing(621, 139, 1260, 189), 0) << "service A's row did not change";
}

TEST_F(DisplaySdl, VoiceAnnouncementsArePlausibleAndSequential) {
  const std::string one = std::string(::testing::TempDir()) + "/hallq-voice-1.wav";
  const std::string two = std::string(::testing::TempDir()) + "/hallq-voice-2.wav";
  {
    auto v = Voice::open(VoiceOptions{"cmn", "", one});
    ASSERT_TRUE(v.ok()) << v.error().message;
    (*v)->announce("A012", 3);
    ASSERT_TRUE((*v)->wait_idle(60000));
  }
  {
    auto v = Voice::open(VoiceOptions{"cmn", "", two});
    ASSERT_TRUE(v.ok()) << v.error().message;
    (*v)->announce("A012", 3);
    (*v)->announce("A012", 3);  // a recall right after: queued, not mixed in
    ASSERT_TRUE((*v)->wait_idle(60000));
    EXPECT_EQ((*v)->spoken(), 2u);
  }
  auto a = read_wav(one);
  auto b = read_wav(two);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  const double secs = double(a->samples.size()) / a->sample_rate;
  EXPECT_GT(secs, 2.5) << "chime + a sentence of 13 syllables";
  EXPECT_LT(secs, 12.0);
  // Two announcements one after the other: twice as long (give or take a few samples of
  // synthesis), and the chime starts exactly twice, the second time after the first
  // announcement's trailing silence: nothing overlapped, nothing cut.
  const double ratio = double(b->samples.size()) / double(a->samples.size());
  EXPECT_NEAR(ratio, 2.0, 0.02);
  const auto chime = make_chime(b->sample_rate);
  std::vector<std::size_t> starts;
  for (std::size_t p = 0; p + 400 < b->samples.size(); ++p)
    if (std::equal(chime.begin() + 100, chime.begin() + 400, b->samples.begin() + long(p + 100))) starts.push_back(p);
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0], 0u);
  EXPECT_NEAR(double(starts[1]), double(a->samples.size()), a->sample_rate * 0.05);
  const std::size_t quiet = std::size_t(b->sample_rate) * 6 / 10;
  EXPECT_TRUE(std::all_of(b->samples.begin() + long(starts[1] - quiet), b->samples.begin() + long(starts[1]),
                          [](std::int16_t s) { return s == 0; }))
      << "silence before the second chime";
  std::filesystem::remove(one);
  std::filesystem::remove(two);
}

}  // namespace
}  // namespace hallq::display
