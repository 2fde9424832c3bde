// The SDL layer under the offscreen video driver with the software renderer: every glyph of the
// sample hall renders (SC and TC faces), the text cache never re-renders unchanged text, a
// screenshot holds exactly the frame drawn, and the voice writes plausible, sequential audio.
#include <gtest/gtest.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "hallq/display/png.h"
#include "hallq/display/screen.h"
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
                        "priority", "appointment_na", "rate_5", "rate_4", "rate_3", "rate_2", "rate_1", "thanks"})
    for (const char* lang : {"zh-CN", "zh-TW", "en"}) texts.emplace_back(ui_text(k, lang), std::string(lang) == "zh-TW" ? 3 : 2);
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
