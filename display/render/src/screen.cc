#include "hallq/display/screen.h"

#include <algorithm>

namespace hallq::display {

Result<std::unique_ptr<Screen>> Screen::open(const ScreenOptions& o, const Style& style) {
  std::unique_ptr<Screen> s(new Screen());
  s->style_ = style;
  s->face_ = style.language == "zh-TW" ? Face::tc : Face::sc;
  if (o.software) {
    // Without this, SDL (2.26) probes OpenGL for a "texture framebuffer" and, on Mesa, keeps
    // llvmpipe loaded and composites every frame through it: 60+ MB of RSS and 3x the frame time
    // for nothing, since the software renderer draws on the CPU anyway. An environment
    // variable of the same name still wins (default priority).
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
  }
  Uint32 flags = SDL_WINDOW_SHOWN;
  if (o.fullscreen) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  s->window_ = SDL_CreateWindow(o.title.c_str(), SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, o.width, o.height, flags);
  if (!s->window_) return make_error(ErrorCode::internal, std::string("SDL_CreateWindow: ") + SDL_GetError());
  s->renderer_ = SDL_CreateRenderer(s->window_, -1, o.software ? SDL_RENDERER_SOFTWARE : 0);
  if (!s->renderer_) return make_error(ErrorCode::internal, std::string("SDL_CreateRenderer: ") + SDL_GetError());
  if (SDL_GetRendererOutputSize(s->renderer_, &s->w_, &s->h_) != 0) {
    s->w_ = o.width;
    s->h_ = o.height;
  }
  SDL_RendererInfo info{};
  s->retained_ = SDL_GetRendererInfo(s->renderer_, &info) == 0 && (info.flags & SDL_RENDERER_SOFTWARE) != 0;
  if (!TTF_WasInit() && TTF_Init() != 0) return make_error(ErrorCode::internal, std::string("TTF_Init: ") + TTF_GetError());
  s->text_ = std::make_unique<TextCache>(s->renderer_, style.fonts, style.face_sc, style.face_tc);
  if (auto st = s->text_->check(); !st) return st.error();
  return s;
}

Screen::~Screen() {
  text_.reset();
  if (renderer_) SDL_DestroyRenderer(renderer_);
  if (window_) SDL_DestroyWindow(window_);
}

void Screen::fill(const Rect& r, Colour c) {
  SDL_SetRenderDrawColor(renderer_, c.r, c.g, c.b, c.a);
  SDL_SetRenderDrawBlendMode(renderer_, c.a == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
  SDL_Rect sr{r.x, r.y, r.w, r.h};
  SDL_RenderFillRect(renderer_, &sr);
}

int Screen::text(const std::string& s, int size, Colour c, int x, int y, int align, Face face) {
  const TextTexture& t = text_->get(face, size, s);
  if (!t.texture) return 0;
  SDL_SetTextureColorMod(t.texture, c.r, c.g, c.b);
  SDL_SetTextureAlphaMod(t.texture, c.a);
  const int left = align == 1 ? x - t.w / 2 : align == 2 ? x - t.w : x;
  SDL_Rect dst{left, y, t.w, t.h};
  SDL_RenderCopy(renderer_, t.texture, nullptr, &dst);
  return t.w;
}

int Screen::fit(const std::string& s, int size, int max_w, Face face) {
  for (int k = 0; k < 4; ++k) {
    const int sz = size * (100 - 10 * k) / 100;
    if (text_->measure(face, sz, s).first <= max_w) return sz;
  }
  return size * 60 / 100;
}

bool Screen::marquee(const std::string& s, int size, Colour c, const Rect& box, TimeMs now, Face face) {
  const auto [tw, th] = text_->measure(face, size, s);
  const int y = box.y + (box.h - th) / 2;
  if (tw <= box.w || style_.notice_speed_px_s <= 0) {
    // Fits, or scrolling is off (--no-marquee): still; a long text is cut at the box's edge.
    SDL_Rect clip{box.x, box.y, box.w, box.h};
    set_clip(&clip);
    text(s, size, c, box.x, y, 0, face);
    set_clip(nullptr);
    return false;
  }
  if (s != marquee_text_) {
    marquee_text_ = s;
    marquee_since_ = now;
  }
  const int gap = std::max(box.w / 3, size * 3);
  const int off = marquee_offset(tw, box.w, now - marquee_since_, style_.notice_speed_px_s, gap);
  SDL_Rect clip{box.x, box.y, box.w, box.h};
  set_clip(&clip);
  text(s, size, c, box.x - off, y, 0, face);
  text(s, size, c, box.x - off + tw + gap, y, 0, face);
  set_clip(nullptr);
  return true;
}

void Screen::set_clip(const SDL_Rect* r) {
  // A box inside the region being repainted: clip to both.
  if (!r) {
    SDL_RenderSetClipRect(renderer_, clip_ ? &*clip_ : nullptr);
    return;
  }
  SDL_Rect both = *r;
  if (clip_ && !SDL_IntersectRect(r, &*clip_, &both)) both = SDL_Rect{0, 0, 0, 0};
  if (both.w == 0 || both.h == 0) both = SDL_Rect{-1, -1, 1, 1};  // empty: nothing may be drawn
  SDL_RenderSetClipRect(renderer_, &both);
}

void Screen::lost_banner(const std::string& title, const std::string& detail, const Rect& r) {
  fill(r, style_.lost);
  const int size = fit(title, r.h / 5, r.w * 9 / 10, face_);
  text(title, size, Colour{255, 255, 255, 255}, r.x + r.w / 2, r.y + r.h / 2 - size, 1, face_);
  if (!detail.empty()) {
    const int ds = fit(detail, r.h / 14, r.w * 9 / 10, face_);
    text(detail, ds, Colour{255, 255, 255, 255}, r.x + r.w / 2, r.y + r.h / 2 + size / 2, 1, face_);
  }
}

namespace {
// The board's boxes, shared by painting and by finding what changed.
struct BoardGeometry {
  int header_h, notice_h;
  Rect calls, services;
  int rows_y, row_h;     // call rows
  int srows_y, srow_h;   // service rows
};

BoardGeometry board_geometry(int W, int H, const Style& st, std::size_t services) {
  const auto px = [H](int at1080) { return at1080 * H / 1080; };
  BoardGeometry g;
  g.header_h = px(120);
  g.notice_h = px(96);
  const int body_y = g.header_h + px(20), body_h = H - g.header_h - g.notice_h - px(40);
  const int left_w = W * 47 / 100;
  g.calls = Rect{px(30), body_y, left_w - px(30), body_h};
  g.services = Rect{left_w + px(30), body_y, W - left_w - px(60), body_h};
  g.rows_y = g.calls.y + px(80) + px(50);
  g.row_h = (g.calls.y + g.calls.h - g.rows_y - px(10)) / std::max(1, st.calls_shown);
  g.srows_y = g.services.y + px(70);
  g.srow_h = std::min(px(110), (g.services.y + g.services.h - g.srows_y) / std::max<int>(1, int(services)));
  return g;
}
}  // namespace

bool Screen::draw_board(const BoardView& v, TimeMs now) {
  std::vector<Rect> regions;
  if (!retained_ || !last_board_) regions.push_back(Rect{0, 0, w_, h_});
  else regions = board_changes(*last_board_, v, last_board_animated_);
  bool animated = last_board_animated_;
  for (const Rect& r : regions) {
    const SDL_Rect clip{r.x, r.y, r.w, r.h};
    clip_ = clip;
    SDL_RenderSetClipRect(renderer_, &clip);
    animated = paint_board(v, now);
    painted_ += std::uint64_t(r.w) * std::uint64_t(r.h);
  }
  clip_.reset();
  SDL_RenderSetClipRect(renderer_, nullptr);
  text_->end_frame();
  if (retained_) {
    last_board_ = v;
    last_board_animated_ = animated;
  }
  return animated;
}

std::vector<Rect> Screen::board_changes(const BoardView& a, const BoardView& b, bool animated) const {
  const int W = w_, H = h_;
  const Rect all{0, 0, W, H};
  if (a.lost != b.lost || a.lost_title != b.lost_title || a.lost_detail != b.lost_detail || a.calls_heading != b.calls_heading ||
      a.number_heading != b.number_heading || a.window_heading != b.window_heading || a.services_heading != b.services_heading ||
      a.waiting_heading != b.waiting_heading || a.wait_heading != b.wait_heading || a.services.size() != b.services.size())
    return {all};
  const BoardGeometry g = board_geometry(W, H, style_, b.services.size());
  std::vector<Rect> out;
  // Rows are repainted with a margin: a glyph may reach a little past its row.
  auto add = [&](Rect r, int pad) {
    r.y -= pad;
    r.h += 2 * pad;
    if (r.y < 0) r.h += r.y, r.y = 0;
    r.h = std::min(r.h, H - r.y);
    if (!out.empty() && out.back().x == r.x && out.back().w == r.w && r.y <= out.back().y + out.back().h) {
      out.back().h = std::max(out.back().y + out.back().h, r.y + r.h) - out.back().y;  // merge touching rows
      return;
    }
    out.push_back(r);
  };
  if (a.title != b.title || a.date != b.date || a.clock != b.clock) add(Rect{0, 0, W, g.header_h}, 0);
  for (std::size_t i = 0; i < std::max(a.calls.size(), b.calls.size()); ++i)
    if (i >= a.calls.size() || i >= b.calls.size() || !(a.calls[i] == b.calls[i]))
      add(Rect{g.calls.x, g.rows_y + int(i) * g.row_h, g.calls.w, g.row_h}, g.row_h / 4);
  for (std::size_t i = 0; i < b.services.size(); ++i)
    if (!(a.services[i] == b.services[i])) add(Rect{g.services.x, g.srows_y + int(i) * g.srow_h, g.services.w, g.srow_h}, g.srow_h / 4);
  if (a.notice != b.notice || animated) add(Rect{0, H - g.notice_h, W, g.notice_h}, 0);
  return out;
}

bool Screen::paint_board(const BoardView& v, TimeMs now) {
  const int W = w_, H = h_;
  const auto px = [H](int at1080) { return at1080 * H / 1080; };
  const Style& st = style_;
  fill(Rect{0, 0, W, H}, st.background);
  // Header: hall name left, date and clock right.
  const BoardGeometry g = board_geometry(W, H, st, v.services.size());
  const int header_h = g.header_h;
  fill(Rect{0, 0, W, header_h}, st.panel);
  const int clock_w = text(v.clock, px(64), st.accent, W - px(40), px(24), 2, face_);
  const int date_size = px(34);
  text(v.date, date_size, st.muted, W - px(80) - clock_w, px(42), 2, face_);
  const int title_max = W - clock_w - text_->measure(face_, date_size, v.date).first - px(160);
  text(v.title, fit(v.title, px(60), title_max, face_), st.text, px(40), px(26), 0, face_);

  const int notice_h = g.notice_h;
  const Rect calls = g.calls, services = g.services;
  bool animated = false;

  if (v.lost) {
    lost_banner(v.lost_title, v.lost_detail, Rect{px(30), calls.y, W - px(60), calls.h});
  } else {
    // Calls: heading, column names, rows; the newest row on the highlight colour.
    fill(calls, st.panel);
    text(v.calls_heading, px(44), st.text, calls.x + px(24), calls.y + px(14), 0, face_);
    const int head_y = calls.y + px(80);
    text(v.number_heading, px(30), st.muted, calls.x + px(40), head_y, 0, face_);
    text(v.window_heading, px(30), st.muted, calls.x + calls.w * 55 / 100, head_y, 0, face_);
    const int rows_y = g.rows_y, row_h = g.row_h;
    for (std::size_t i = 0; i < v.calls.size(); ++i) {
      const BoardCall& c = v.calls[i];
      const int y = rows_y + int(i) * row_h;
      Colour number_c = st.accent, window_c = st.text;
      if (c.newest && c.highlight) {
        fill(Rect{calls.x + px(10), y, calls.w - px(20), row_h - px(6)}, st.newest);
        number_c = window_c = Colour{255, 255, 255, 255};
      }
      const int size = std::min(c.newest ? px(80) : px(64), (row_h - px(6)) * (c.newest ? 66 : 58) / 100);
      const int th = text_->measure(face_, size, c.number).second;
      const int ty = y + (row_h - px(6) - th) / 2;
      text(c.number, size, number_c, calls.x + px(40), ty, 0, face_);
      text(c.window, size, window_c, calls.x + calls.w * 55 / 100, ty, 0, face_);
    }
    // Services: name, waiting, estimated wait.
    fill(services, st.panel);
    const int c1 = services.x + px(24), c3 = services.x + services.w - px(24), c2 = services.x + services.w * 66 / 100;
    text(v.services_heading, px(30), st.muted, c1, services.y + px(20), 0, face_);
    text(v.waiting_heading, px(30), st.muted, c2, services.y + px(20), 1, face_);
    text(v.wait_heading, px(30), st.muted, c3, services.y + px(20), 2, face_);
    const int srows_y = g.srows_y, srow_h = g.srow_h;
    const bool two_lines = srow_h >= px(80);
    const int name_size = std::clamp(srow_h * (two_lines ? 45 : 62) / 100, px(18), px(46));
    for (std::size_t i = 0; i < v.services.size(); ++i) {
      const BoardService& s = v.services[i];
      const int y = srows_y + int(i) * srow_h;
      // Zebra rows: an opaque mix (a translucent fill is a blend of every pixel in software).
      if (i % 2 == 1)
        fill(Rect{services.x + px(8), y, services.w - px(16), srow_h},
             Colour{std::uint8_t(st.panel.r + (255 - st.panel.r) * 14 / 255), std::uint8_t(st.panel.g + (255 - st.panel.g) * 14 / 255),
                    std::uint8_t(st.panel.b + (255 - st.panel.b) * 14 / 255), 255});
      const int name_max = c2 - c1 - px(90);
      const int ty = y + (srow_h - name_size * 4 / 3 * (two_lines && !s.second_name.empty() ? 2 : 1)) / 2;
      text(s.name, fit(s.name, name_size, name_max, face_), st.text, c1, ty, 0, face_);
      if (two_lines && !s.second_name.empty()) {
        const Face f2 = style_.second_language == "zh-TW" ? Face::tc : Face::sc;
        text(s.second_name, fit(s.second_name, name_size * 6 / 10, name_max, f2), st.muted, c1, ty + name_size * 4 / 3, 0, f2);
      }
      const int vy = y + (srow_h - name_size * 4 / 3) / 2;
      text(s.waiting, name_size, s.waiting == "0" ? st.muted : st.accent, c2, vy, 1, face_);
      text(s.wait, fit(s.wait, name_size * 85 / 100, c3 - c2 - px(70), face_), s.closed ? st.paused : st.text, c3, vy + name_size / 12, 2, face_);
    }
  }
  // Notice line along the bottom.
  const Rect notice{px(40), H - notice_h, W - px(80), notice_h};
  fill(Rect{0, H - notice_h, W, notice_h}, st.panel);
  animated |= marquee(v.notice, px(42), st.text, notice, now, face_);
  return animated;
}

bool Screen::draw_strip(const StripView& v, TimeMs now) {
  const int W = w_, H = h_;
  const Style& st = style_;
  Colour bg = st.background, label = st.muted, value = v.paused ? st.paused : v.lost ? st.text : st.accent;
  if (v.flash_on) {
    // A new call: the whole panel inverts in time with the blink.
    bg = st.accent;
    label = value = Colour{0, 0, 0, 255};
  }
  fill(Rect{0, 0, W, H}, bg);
  const std::string shown = v.number.empty() ? v.status : v.number;
  bool animated = false;
  if (H < 100) {
    // One line (512x64): "3号窗口  A012"; scrolls when it does not fit.
    const int size = H * 78 / 100;
    const std::string line = v.window + "  " + shown;
    const int tw = text_->measure(face_, size, line).first;
    if (tw <= W - 8) {
      const int lw = text(v.window + "  ", size, label, (W - tw) / 2, (H - size * 4 / 3) / 2 + H / 40, 0, face_);
      text(shown, size, value, (W - tw) / 2 + lw, (H - size * 4 / 3) / 2 + H / 40, 0, face_);
    } else {
      animated = marquee(line, size, value, Rect{0, 0, W, H}, now, face_);
    }
  } else {
    // Two lines (640x160): window and its name above, the number (or state) large below.
    const int top = H * 36 / 100;
    const std::string head = v.name.empty() ? v.window : v.window + " " + v.name;
    animated |= marquee(head, top * 80 / 100, label, Rect{6, 2, W - 12, top}, now, face_);
    const int size = H * 50 / 100;
    const std::string big = v.number.empty() ? v.status : v.status;
    const int bs = fit(big, size, W - 12, face_);
    text(big, bs, value, W / 2, top + (H - top - bs * 4 / 3) / 2, 1, face_);
  }
  text_->end_frame();
  return animated;
}

bool Screen::draw_touch(const TouchView& v, TimeMs now) {
  const int W = w_, H = h_;
  const Style& st = style_;
  const Face face = face_;
  fill(Rect{0, 0, W, H}, st.background);
  const int title_h = H / 12;
  if (v.banner.empty()) {
    fill(Rect{0, 0, W, title_h}, st.panel);
    text(v.title, fit(v.title, title_h * 55 / 100, W - 40, face), st.text, W / 2, title_h * 20 / 100, 1, face);
  } else {
    // The printer cannot print: the band where the hall's name was, in the warning colour, so
    // visitors ask staff instead of waiting at the slot for paper.
    fill(Rect{0, 0, W, title_h}, st.lost);
    text(v.banner, fit(v.banner, title_h * 55 / 100, W - 40, face), Colour{255, 255, 255, 255}, W / 2, title_h * 20 / 100, 1, face);
  }
  if (v.lost) {
    lost_banner(v.lost_title, "", Rect{W / 10, H / 4, W * 8 / 10, H / 2});
    text_->end_frame();
    return false;
  }
  const int msg_size = H / 26;
  // A refusal in the warning colour: the visitor must notice it is not their number.
  text(v.message, fit(v.message, msg_size, W - 40, face), v.message_is_error ? st.paused : st.accent, W / 2, title_h + H / 60, 1, face);
  if (v.entry_max > 0) {
    // The code typed so far, one slot per digit; the next slot to fill is underlined in accent.
    const Rect& r = v.entry_rect;
    fill(r, st.panel);
    const int slot_w = r.w / v.entry_max, size = std::min(r.h * 70 / 100, slot_w * 9 / 10);
    for (int i = 0; i < v.entry_max; ++i) {
      const int x = r.x + i * slot_w;
      const bool next = i == int(v.entry.size());
      fill(Rect{x + slot_w / 8, r.y + r.h - r.h / 8, slot_w * 3 / 4, std::max(3, r.h / 24)}, next ? st.accent : st.muted);
      if (i < int(v.entry.size()))
        text(v.entry.substr(std::size_t(i), 1), size, st.text, x + slot_w / 2, r.y + (r.h - size * 4 / 3) / 2, 1, face);
    }
  }
  // A service the hall will not issue now is grey, with why in the warning colour: a visitor
  // across the hall sees which ones not to queue at before walking up.
  const int grey = (st.panel.r * 30 + st.panel.g * 59 + st.panel.b * 11) / 100;
  const Colour unavailable{std::uint8_t((grey + st.background.r) / 2), std::uint8_t((grey + st.background.g) / 2),
                           std::uint8_t((grey + st.background.b) / 2), 255};
  for (const Button& b : v.buttons) {
    Colour bg = b.selected ? st.accent : b.unavailable ? unavailable : st.panel;
    Colour fg = b.selected ? Colour{0, 0, 0, 255} : b.enabled ? st.text : st.muted;
    fill(b.rect, bg);
    // A keypad digit is one glyph: as large as the key allows.
    const int size = b.label.size() == 1 ? b.rect.h * 55 / 100 : std::min(b.rect.h * (b.detail.empty() ? 40 : 34) / 100, b.rect.w / 6);
    const Face f = b.action == "lang:zh-TW" ? Face::tc : face;
    const int ls = fit(b.label, size, b.rect.w - 20, f);
    const int total = b.detail.empty() ? ls * 4 / 3 : ls * 4 / 3 + size * 3 / 4;
    const int y = b.rect.y + (b.rect.h - total) / 2;
    text(b.label, ls, fg, b.rect.x + b.rect.w / 2, y, 1, f);
    if (!b.detail.empty())
      text(b.detail, fit(b.detail, size * 55 / 100, b.rect.w - 20, f), b.selected ? fg : b.unavailable ? st.paused : st.muted, b.rect.x + b.rect.w / 2,
           y + ls * 4 / 3, 1, f);
  }
  if (!v.big_number.empty()) {
    // The issued number over everything, large enough to copy down.
    const Rect r{W / 6, H / 4, W * 4 / 6, H / 2};
    fill(r, Colour{st.panel.r, st.panel.g, st.panel.b, 245});
    text(v.big_number, H / 5, st.accent, W / 2, r.y + r.h / 8, 1, face);
    const int msg_y = v.note.empty() ? r.y + r.h * 3 / 4 : r.y + r.h * 5 / 8;
    text(v.message, fit(v.message, H / 32, r.w - 40, face), st.text, W / 2, msg_y, 1, face);
    if (!v.note.empty()) text(v.note, fit(v.note, H / 36, r.w - 40, face), st.paused, W / 2, r.y + r.h * 13 / 16, 1, face);
  }
  text_->end_frame();
  return false;
}

void Screen::present() { SDL_RenderPresent(renderer_); }

Result<Image> Screen::read_pixels() {
  Image img;
  img.width = w_;
  img.height = h_;
  img.rgb.resize(std::size_t(w_) * h_ * 3);
  if (SDL_RenderReadPixels(renderer_, nullptr, SDL_PIXELFORMAT_RGB24, img.rgb.data(), w_ * 3) != 0)
    return make_error(ErrorCode::internal, std::string("SDL_RenderReadPixels: ") + SDL_GetError());
  return img;
}

}  // namespace hallq::display
