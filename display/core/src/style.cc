#include "hallq/display/style.h"

#include <nlohmann/json.hpp>

#include "hallq/json_codec.h"

namespace hallq::display {

using nlohmann::json;

Result<Colour> parse_colour(const std::string& s) {
  if ((s.size() != 7 && s.size() != 9) || s[0] != '#')
    return make_error(ErrorCode::bad_request, "colour \"" + s + "\" is not #RRGGBB or #RRGGBBAA");
  auto hex = [&](std::size_t i) -> int {
    auto d = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
    int hi = d(s[i]), lo = d(s[i + 1]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  };
  int v[4] = {0, 0, 0, 255};
  for (std::size_t k = 0; k < (s.size() - 1) / 2; ++k) {
    v[k] = hex(1 + 2 * k);
    if (v[k] < 0) return make_error(ErrorCode::bad_request, "colour \"" + s + "\" has a non-hex digit");
  }
  return Colour{std::uint8_t(v[0]), std::uint8_t(v[1]), std::uint8_t(v[2]), std::uint8_t(v[3])};
}

std::string_view to_string(Layout l) {
  switch (l) {
    case Layout::strip: return "strip";
    case Layout::board: return "board";
    case Layout::kiosk: return "kiosk";
    case Layout::evaluator: return "evaluator";
  }
  return "?";
}

std::optional<Layout> layout_from_string(std::string_view s) {
  for (Layout l : {Layout::strip, Layout::board, Layout::kiosk, Layout::evaluator})
    if (to_string(l) == s) return l;
  return std::nullopt;
}

Style default_style(Layout layout) {
  Style s;
  s.layout = layout;
  if (layout == Layout::strip) {
    // LED panels: black, red/amber/green like the real ones.
    s.background = {0, 0, 0, 255};
    s.text = {0xff, 0x3b, 0x30, 255};
    s.accent = {0x4c, 0xff, 0x4c, 255};
    s.muted = {0xff, 0xb0, 0x20, 255};
    s.notice_speed_px_s = 60;
  }
  return s;
}

Result<Style> parse_style(const json& j) {
  JsonReader r(j, "");
  if (!r.is_object()) return make_error(ErrorCode::bad_request, "a style must be a JSON object");
  auto layout = layout_from_string(r.string("layout", true, 16));
  if (r.ok() && !layout) r.fail("/layout: one of strip, board, kiosk, evaluator");
  Style s = default_style(layout.value_or(Layout::board));
  if (const json* f = r.child("fonts", false)) {
    s.fonts.clear();
    if (!f->is_array() || f->empty()) r.fail(r.path_of("fonts") + ": a non-empty array of font files");
    else
      for (const auto& x : *f) {
        if (!x.is_string()) { r.fail(r.path_of("fonts") + ": font files are strings"); break; }
        s.fonts.push_back(x.get<std::string>());
      }
  }
  s.face_sc = int(r.integer("face_sc", false, 0, 63, s.face_sc));
  s.face_tc = int(r.integer("face_tc", false, 0, 63, s.face_tc));
  s.language = r.string("language", false, 8);
  if (s.language.empty()) s.language = "zh-CN";
  if (r.ok() && s.language != "zh-CN" && s.language != "zh-TW" && s.language != "en") r.fail("/language: zh-CN, zh-TW or en");
  s.second_language = r.string("second_language", false, 8);
  if (r.ok() && !s.second_language.empty() && s.second_language != "zh-CN" && s.second_language != "zh-TW" && s.second_language != "en")
    r.fail("/second_language: zh-CN, zh-TW, en or absent");
  if (const json* c = r.child("colours", false)) {
    JsonReader cr(*c, "/colours");
    if (!cr.is_object()) r.fail("/colours: an object of \"#RRGGBB\" strings");
    for (auto [key, field] : {std::pair{"background", &s.background}, {"panel", &s.panel}, {"text", &s.text}, {"muted", &s.muted},
                              {"accent", &s.accent}, {"newest", &s.newest}, {"lost", &s.lost}, {"paused", &s.paused}}) {
      if (!cr.is_object() || !cr.has(key)) continue;
      std::string v = cr.string(key, true, 9);
      if (!cr.ok()) break;
      auto colour = parse_colour(v);
      if (!colour) cr.fail(cr.path_of(key) + ": " + colour.error().message);
      else *field = *colour;
    }
    if (auto st = cr.finish(); !st && r.ok()) r.fail(st.error().message);
  }
  if (const json* v = r.child("services", false)) {
    if (!v->is_array()) r.fail("/services: an array of service codes");
    else for (const auto& x : *v) if (x.is_string()) s.services.push_back(x.get<std::string>()); else { r.fail("/services: codes are strings"); break; }
  }
  if (const json* v = r.child("windows", false)) {
    if (!v->is_array()) r.fail("/windows: an array of window numbers");
    else for (const auto& x : *v) if (x.is_number_integer()) s.windows.push_back(x.get<int>()); else { r.fail("/windows: numbers"); break; }
  }
  s.calls_shown = int(r.integer("calls_shown", false, 1, 20, s.calls_shown));
  s.notice_speed_px_s = int(r.integer("notice_speed_px_s", false, 10, 2000, s.notice_speed_px_s));
  s.flash_ms = int(r.integer("flash_ms", false, 0, 60000, s.flash_ms));
  s.blink_ms = int(r.integer("blink_ms", false, 100, 5000, s.blink_ms));
  s.result_ms = int(r.integer("result_ms", false, 1000, 120000, s.result_ms));
  s.rating_ms = int(r.integer("rating_ms", false, 5000, 600000, s.rating_ms));
  r.child("comment", false);  // free text for the people who edit the file
  if (auto st = r.finish(); !st) return st.error();
  return s;
}

Result<Style> load_style(const std::string& path) {
  auto j = load_json_file(path);
  if (!j) return j.error();
  auto s = parse_style(*j);
  if (!s) return make_error(ErrorCode::bad_request, path + ": " + s.error().message);
  return s;
}

}  // namespace hallq::display
