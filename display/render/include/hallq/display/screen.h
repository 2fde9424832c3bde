// The SDL side of a display: one window and renderer, the text cache, and the layouts drawn from
// their view models. The software renderer always works (offscreen, in tests, on PCs without a
// GPU driver). Render thread only: SDL video is single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include <SDL.h>

#include "hallq/display/png.h"
#include "hallq/display/style.h"
#include "hallq/display/text_cache.h"
#include "hallq/display/touch.h"
#include "hallq/display/views.h"

namespace hallq::display {

struct ScreenOptions {
  int width = 1920, height = 1080;
  bool fullscreen = false;
  bool software = true;   // SDL_RENDERER_SOFTWARE; false lets SDL pick (GPU if any)
  std::string title = "hallq-display";
};

class Screen {
 public:
  // SDL_Init(VIDEO) must have happened. The error names what failed (window, renderer, fonts).
  static Result<std::unique_ptr<Screen>> open(const ScreenOptions& options, const Style& style);
  ~Screen();

  int width() const { return w_; }
  int height() const { return h_; }

  // Each draw leaves the whole frame in the back buffer; present() shows it. The return value
  // says whether the frame is animated (a marquee moves), i.e. needs redrawing soon.
  // The board under the software renderer repaints only the parts whose view changed (its
  // back buffer is the window surface, which keeps its pixels); otherwise every draw is whole.
  bool draw_board(const BoardView& v, TimeMs now);
  bool draw_strip(const StripView& v, TimeMs now);
  bool draw_touch(const TouchView& v, TimeMs now);
  void present();
  // The back buffer as drawn (call after a draw and before present()).
  Result<Image> read_pixels();

  TextCache& text() { return *text_; }
  // The next draw repaints everything (the window was exposed or resized).
  void invalidate() { last_board_.reset(); }
  // Pixels repainted by the draws so far (a whole 1080p frame is 2,073,600), for tests and the bench.
  std::uint64_t painted_pixels() const { return painted_; }

 private:
  Screen() = default;
  void fill(const Rect& r, Colour c);
  // Draws text with its top-left at (x, y); align: 0 left, 1 centre, 2 right of x. Returns width.
  int text(const std::string& s, int size, Colour c, int x, int y, int align = 0, Face face = Face::sc);
  // The largest size <= size at which s fits max_w (down to 60% of size).
  int fit(const std::string& s, int size, int max_w, Face face);
  // Text in a box: scrolls (marquee) when wider than the box. Returns true when it scrolls.
  bool marquee(const std::string& s, int size, Colour c, const Rect& box, TimeMs now, Face face);
  void lost_banner(const std::string& title, const std::string& detail, const Rect& r);
  // Paints the whole board; what falls outside clip_ is discarded by SDL, cheaply.
  bool paint_board(const BoardView& v, TimeMs now);
  // The parts of the board that differ between two views (empty: nothing to repaint).
  std::vector<Rect> board_changes(const BoardView& was, const BoardView& now_, bool animated) const;
  void set_clip(const SDL_Rect* r);

  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  std::unique_ptr<TextCache> text_;
  Style style_;
  Face face_ = Face::sc;
  int w_ = 0, h_ = 0;
  bool retained_ = false;  // the back buffer keeps its pixels between frames (software renderer)
  std::optional<BoardView> last_board_;  // what the back buffer shows, when retained
  bool last_board_animated_ = false;
  std::optional<SDL_Rect> clip_;  // the region being repainted
  std::uint64_t painted_ = 0;
  std::string marquee_text_;   // what the marquee shows, and since when (it restarts on change)
  TimeMs marquee_since_ = 0;
};

}  // namespace hallq::display
