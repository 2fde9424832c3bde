// A layout's look, read from assets/display/<layout>.json: colours, fonts, which services and
// windows to show, speeds. Pure value type; parse once at start-up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hallq/result.h"

namespace hallq::display {

struct Colour {
  std::uint8_t r = 0, g = 0, b = 0, a = 255;
  friend bool operator==(const Colour&, const Colour&) = default;
};
// "#RRGGBB" or "#RRGGBBAA".
Result<Colour> parse_colour(const std::string& s);

enum class Layout { strip, board, kiosk, evaluator };
std::string_view to_string(Layout l);
std::optional<Layout> layout_from_string(std::string_view s);

struct Style {
  Layout layout = Layout::board;
  // Font files tried in order; .ttc collections use the face for the language (Noto Sans CJK:
  // 2 = SC, 3 = TC), so Traditional text gets Traditional glyph forms.
  std::vector<std::string> fonts = {"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
                                    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"};
  int face_sc = 2;
  int face_tc = 3;
  std::string language = "zh-CN";   // zh-CN, zh-TW or en
  std::string second_language;      // boards: a smaller second line per service ("" = none)
  Colour background{0x0b, 0x16, 0x2c, 255};
  Colour panel{0x15, 0x26, 0x45, 255};
  Colour text{0xff, 0xff, 0xff, 255};
  Colour muted{0x9f, 0xb3, 0xcf, 255};
  Colour accent{0xff, 0xd2, 0x3f, 255};   // numbers
  Colour newest{0xe5, 0x39, 0x35, 255};   // the newest call's row
  Colour lost{0xc6, 0x28, 0x28, 255};     // connection lost banner
  Colour paused{0xff, 0x8f, 0x00, 255};
  std::vector<std::string> services;  // boards, kiosks: service codes shown, in order; empty = all
  std::vector<int> windows;           // boards: only calls to these windows; empty = all
  int calls_shown = 8;                // boards: rows of recent calls
  int notice_speed_px_s = 120;        // marquee speed of the notice line / strip text
  int flash_ms = 6000;                // a new call flashes this long
  int blink_ms = 500;                 // flash half-period
  int result_ms = 15000;              // kiosk: the issued number stays this long
  int rating_ms = 60000;              // evaluator: the rating screen stays this long
};

// Strict: unknown fields and bad values are refused with the JSON path of the first problem.
Result<Style> parse_style(const nlohmann::json& j);
Result<Style> load_style(const std::string& path);
Style default_style(Layout layout);

}  // namespace hallq::display
