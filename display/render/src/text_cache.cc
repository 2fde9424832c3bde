#include "hallq/display/text_cache.h"

#include <filesystem>

namespace hallq::display {

TextCache::TextCache(SDL_Renderer* renderer, std::vector<std::string> font_files, int face_sc, int face_tc, int keep_frames)
    : renderer_(renderer), files_(std::move(font_files)), face_sc_(face_sc), face_tc_(face_tc), keep_frames_(keep_frames) {}

TextCache::~TextCache() {
  for (auto& [k, e] : entries_)
    if (e.t.texture) SDL_DestroyTexture(e.t.texture);
  for (auto& [k, f] : fonts_)
    if (f) TTF_CloseFont(f);
}

Status TextCache::check() {
  if (!font(Face::sc, 24)) {
    std::string tried;
    for (const auto& f : files_) tried += (tried.empty() ? "" : ", ") + f;
    return make_error(ErrorCode::not_found, "no usable font among: " + tried + " (install fonts-noto-cjk)");
  }
  return ok_status();
}

TTF_Font* TextCache::font(Face face, int size) {
  // One FreeType face per glyph form, resized on demand: a CJK face costs megabytes, so opening
  // one per pixel size would cost hundreds.
  TTF_Font*& f = fonts_[face];
  if (!f && !tried_[int(face)]) {
    tried_[int(face)] = true;
    const long index = face == Face::tc ? face_tc_ : face_sc_;
    auto open = [&](const std::string& file) {
      // A .ttc holds several faces; a plain .otf/.ttf has only face 0.
      const bool collection = file.size() > 4 && file.compare(file.size() - 4, 4, ".ttc") == 0;
      return TTF_OpenFontIndex(file.c_str(), size, collection ? index : 0);
    };
    if (!file_.empty()) f = open(file_);
    for (std::size_t i = 0; !f && i < files_.size(); ++i)
      if (std::filesystem::exists(files_[i]) && (f = open(files_[i]))) file_ = files_[i];
  }
  if (f && sizes_[int(face)] != size) {
    if (TTF_SetFontSize(f, size) != 0) return nullptr;
    sizes_[int(face)] = size;
  }
  return f;
}

std::pair<int, int> TextCache::measure(Face face, int size, const std::string& text) {
  if (auto it = entries_.find({face, size, text}); it != entries_.end()) return {it->second.t.w, it->second.t.h};
  int w = 0, h = 0;
  if (TTF_Font* f = font(face, size); f && !text.empty()) TTF_SizeUTF8(f, text.c_str(), &w, &h);
  return {w, h};
}

const TextTexture& TextCache::get(Face face, int size, const std::string& text) {
  auto key = std::tuple{face, size, text};
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    Entry e;
    TTF_Font* f = font(face, size);
    if (f && !text.empty()) {
      SDL_Surface* s = TTF_RenderUTF8_Blended(f, text.c_str(), SDL_Color{255, 255, 255, 255});
      if (s) {
        e.t.texture = SDL_CreateTextureFromSurface(renderer_, s);
        e.t.w = s->w;
        e.t.h = s->h;
        SDL_FreeSurface(s);
        if (e.t.texture) SDL_SetTextureBlendMode(e.t.texture, SDL_BLENDMODE_BLEND);
        ++renders_;
      }
    }
    it = entries_.emplace(std::move(key), e).first;
  }
  it->second.last_used = frame_;
  return it->second.t;
}

void TextCache::end_frame() {
  ++frame_;
  if (frame_ % 64 != 0) return;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (frame_ - it->second.last_used > std::uint64_t(keep_frames_)) {
      if (it->second.t.texture) SDL_DestroyTexture(it->second.t.texture);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace hallq::display
