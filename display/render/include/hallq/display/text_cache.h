// Rendered text as textures, keyed by (face, pixel size, text): unchanged text, CJK above all, is
// never rendered twice. Text is rendered white and tinted when drawn, so a colour change (a
// flash) costs nothing. Entries not drawn for `keep_frames` frames are freed. Render thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <SDL.h>
#include <SDL_ttf.h>

#include "hallq/result.h"

namespace hallq::display {

enum class Face { sc, tc };  // Simplified or Traditional glyph forms (Latin is the same)

struct TextTexture {
  SDL_Texture* texture = nullptr;  // null for empty text
  int w = 0, h = 0;
};

class TextCache {
 public:
  // font_files: tried in order; face_sc / face_tc: the face index in a .ttc collection.
  TextCache(SDL_Renderer* renderer, std::vector<std::string> font_files, int face_sc, int face_tc, int keep_frames = 600);
  ~TextCache();
  TextCache(const TextCache&) = delete;
  TextCache& operator=(const TextCache&) = delete;

  // Checks that a font opens (at start-up, for a clear message).
  Status check();
  const TextTexture& get(Face face, int size, const std::string& text);
  // Width and height of text without creating a texture.
  std::pair<int, int> measure(Face face, int size, const std::string& text);
  // Call once per drawn frame: ages entries and frees the stale ones.
  void end_frame();

  std::uint64_t renders() const { return renders_; }  // textures created so far
  std::size_t size() const { return entries_.size(); }

 private:
  TTF_Font* font(Face face, int size);

  struct Entry {
    TextTexture t;
    std::uint64_t last_used = 0;
  };
  SDL_Renderer* renderer_;
  std::vector<std::string> files_;
  int face_sc_, face_tc_, keep_frames_;
  std::string file_;  // the first file that opened
  std::map<Face, TTF_Font*> fonts_;
  bool tried_[2] = {false, false};
  int sizes_[2] = {0, 0};  // the size each face is set to now
  std::map<std::tuple<Face, int, std::string>, Entry> entries_;
  std::uint64_t frame_ = 0;
  std::uint64_t renders_ = 0;
};

}  // namespace hallq::display
