// View models: the display's copy of the hall + the time -> exactly what a layout draws (texts,
// which row is newest, whether it flashes, the lost-connection state). Pure functions of their
// inputs, comparable with ==, so the render loop redraws only when the view changed.
#pragma once

#include <string>
#include <vector>

#include "hallq/display/hall_copy.h"
#include "hallq/display/style.h"

namespace hallq::display {

// UI words in the three languages ("zh-CN", "zh-TW", "en").
std::string ui_text(std::string_view key, std::string_view lang);
// ui_text with its "{}" replaced by `value` ("{} 起取号" -> "14:00 起取号").
std::string ui_text_with(std::string_view key, std::string_view lang, const std::string& value);

// "约 14 分钟" / "約 14 分鐘" / "about 14 min"; "无需等候" when zero.
std::string wait_text(std::int64_t seconds, std::string_view lang);
// "3号窗口" / "3號窗口" / "Window 3".
std::string window_label(int number, std::string_view lang);
// Local date and time of the hall: "2026年11月27日 星期五" and "10:05".
std::string date_text(TimeMs now, int utc_offset_min, std::string_view lang);
std::string clock_text(TimeMs now, int utc_offset_min);

// Text wider than its box scrolls left at `speed_px_s`, then repeats after a gap of `gap_px`.
// Returns how far to shift the text left; 0 when it fits.
int marquee_offset(int text_w, int box_w, TimeMs elapsed_ms, int speed_px_s, int gap_px);

// How long the connection has been lost, for the banner: "已断开 12 秒，正在重新连接".
std::string lost_detail(TimeMs lost_for_ms, std::string_view lang);

struct BoardCall {
  std::string number;
  std::string window;   // "3号窗口"
  bool newest = false;
  bool highlight = true;  // the newest row's flash phase (steady on after the flash time)
  bool recall = false;
  friend bool operator==(const BoardCall&, const BoardCall&) = default;
};

struct BoardService {
  std::string code;
  std::string name;
  std::string second_name;  // the style's second language, or ""
  std::string waiting;      // "7"
  std::string wait;         // "约 14 分钟"; or why no tickets now ("14:00 起取号"), when closed
  bool closed = false;      // the hall issues no ticket for it now (drawn in the warning colour)
  friend bool operator==(const BoardService&, const BoardService&) = default;
};

struct BoardView {
  std::string title;
  std::string date, clock;
  std::string calls_heading, number_heading, window_heading;
  std::string services_heading, waiting_heading, wait_heading;
  std::vector<BoardCall> calls;        // newest first; empty while the connection is lost
  std::vector<BoardService> services;  // empty while lost
  std::string notice;
  bool lost = false;                   // show the banner, nothing stale
  std::string lost_title, lost_detail;
  friend bool operator==(const BoardView&, const BoardView&) = default;
};

// utc_offset_min is the clock's time zone until a snapshot says the hall's.
BoardView board_view(const HallCopy& hall, const Style& style, TimeMs now, int utc_offset_min);

struct StripView {
  std::string window;   // "3号窗口"
  std::string name;     // "企业开办"
  std::string number;   // "A012" while a visitor is called or served; "" otherwise
  std::string status;   // "请 A012 号办理" / "暂停服务" / "欢迎光临" / "连接中断"
  bool paused = false;
  bool lost = false;
  bool flash_on = false;  // during a new call's flash time, the inverted phase
  friend bool operator==(const StripView&, const StripView&) = default;
};

StripView strip_view(const HallCopy& hall, const Style& style, int window, TimeMs now);

// Rectangles in screen pixels, for layouts whose geometry input code also needs (touch).
struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
  bool contains(int px, int py) const { return px >= x && py >= y && px < x + w && py < y + h; }
  friend bool operator==(const Rect&, const Rect&) = default;
};

}  // namespace hallq::display
