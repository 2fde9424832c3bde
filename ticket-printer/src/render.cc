#include "hallq/printer/render.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <png.h>
#include <qrencode.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

namespace hallq::printer {

namespace {

constexpr int kCell = 24;      // full-width cell, dots; half-width cells are 12
constexpr int kLineGap = 6;    // default line pitch 30 dots = 24 + 6
constexpr int kTopMargin = 12;

// One character cell at normal size: kCell rows, 12 or 24 columns.
struct Glyph {
  int width = 0;
  std::vector<std::uint8_t> dots;  // width * kCell
};

void blit(Bitmap& dst, const Bitmap& src, int x0, int y0) {
  for (int y = 0; y < src.height; ++y)
    for (int x = 0; x < src.width; ++x)
      if (src.at(x, y)) dst.set(x0 + x, y0 + y);
}

Bitmap blank(int w, int h) { return Bitmap{w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h, 0)}; }

}  // namespace

struct Renderer::Impl {
  FT_Library lib = nullptr;
  std::map<std::string, FT_Face> faces;  // "SC", "TC"
  std::map<std::pair<std::string, char32_t>, Glyph> cache;

  ~Impl() {
    for (auto& [k, f] : faces) FT_Done_Face(f);
    if (lib) FT_Done_FreeType(lib);
  }

  FT_Face face_for(const std::string& lang) {
    auto it = faces.find(lang == "zh-TW" ? "TC" : "SC");
    if (it != faces.end()) return it->second;
    return faces.begin()->second;
  }

  const Glyph& glyph(const std::string& lang, char32_t c) {
    auto key = std::make_pair(lang == "zh-TW" ? std::string("TC") : std::string("SC"), c);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    Glyph g;
    g.width = char_columns(c) * 12;
    g.dots.assign(static_cast<std::size_t>(g.width) * kCell, 0);
    FT_Face face = face_for(lang);
    if (c != ' ' && FT_Load_Char(face, c, FT_LOAD_RENDER) == 0) {
      const FT_GlyphSlot s = face->glyph;
      const int ascender = static_cast<int>(face->size->metrics.ascender >> 6);
      const int descender = static_cast<int>(-(face->size->metrics.descender >> 6));
      const int baseline = kCell - std::max(0, (kCell - ascender - descender) / 2) - descender;
      const int advance = static_cast<int>(s->advance.x >> 6);
      const int x0 = (g.width - advance) / 2 + s->bitmap_left;
      const int y0 = baseline - s->bitmap_top;
      const FT_Bitmap& bm = s->bitmap;
      for (unsigned y = 0; y < bm.rows; ++y) {
        for (unsigned x = 0; x < bm.width; ++x) {
          const unsigned char* row = bm.buffer + static_cast<std::ptrdiff_t>(y) * bm.pitch;
          const bool on = bm.pixel_mode == FT_PIXEL_MODE_MONO ? (row[x / 8] >> (7 - x % 8)) & 1 : row[x] >= 100;
          const int px = x0 + static_cast<int>(x), py = y0 + static_cast<int>(y);
          if (on && px >= 0 && px < g.width && py >= 0 && py < kCell) g.dots[static_cast<std::size_t>(py) * g.width + px] = 1;
        }
      }
    }
    return cache.emplace(key, std::move(g)).first->second;
  }
};

std::vector<std::string> default_font_files() {
  return {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
          "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
          "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
          "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"};
}

Renderer::Renderer() : impl_(std::make_unique<Impl>()) {}
Renderer::~Renderer() = default;

Result<std::unique_ptr<Renderer>> Renderer::open(const std::string& font_file) {
  std::string path = font_file;
  if (path.empty()) {
    for (const auto& p : default_font_files())
      if (std::filesystem::exists(p)) { path = p; break; }
  }
  if (path.empty())
    return make_error(ErrorCode::not_found, "no CJK font found (install fonts-noto-cjk, or pass a .ttc/.otf file)");
  std::unique_ptr<Renderer> r(new Renderer());
  if (FT_Init_FreeType(&r->impl_->lib) != 0) return make_error(ErrorCode::internal, "FreeType did not start");
  FT_Face first = nullptr;
  if (FT_New_Face(r->impl_->lib, path.c_str(), -1, &first) != 0)
    return make_error(ErrorCode::not_found, path + ": not a font file FreeType can read");
  const long n = first->num_faces;
  FT_Done_Face(first);
  // Printers use fixed-pitch fonts: prefer the Mono faces, Simplified and Traditional forms.
  std::map<std::string, std::pair<int, long>> best;  // script -> (score, face index)
  for (long i = 0; i < n; ++i) {
    FT_Face f = nullptr;
    if (FT_New_Face(r->impl_->lib, path.c_str(), i, &f) != 0) continue;
    const std::string family = f->family_name ? f->family_name : "";
    FT_Done_Face(f);
    for (const char* script : {"SC", "TC"}) {
      if (family.size() < 2 || family.substr(family.size() - 2) != script) continue;
      const int score = family.find("Mono") != std::string::npos ? 2 : 1;
      if (best[script].first < score) best[script] = {score, i};
    }
    if (n == 1) best["SC"] = {1, 0};
  }
  if (best.empty()) best["SC"] = {1, 0};
  for (const auto& [script, pick] : best) {
    FT_Face f = nullptr;
    if (FT_New_Face(r->impl_->lib, path.c_str(), pick.second, &f) != 0) continue;
    FT_Set_Pixel_Sizes(f, 0, kCell);
    r->impl_->faces[script] = f;
  }
  if (r->impl_->faces.empty()) return make_error(ErrorCode::not_found, path + ": no usable face");
  return r;
}

Bitmap Renderer::text_line(const TextLine& line, const Paper& paper, const std::string& font_lang) {
  const int w = std::clamp(line.style.width, 1, 8), h = std::clamp(line.style.height, 1, 8);
  Bitmap out = blank(paper.dots, kCell * h + kLineGap);
  const std::u32string text = utf8_decode(line.text);
  int total = 0;
  for (char32_t c : text) total += char_columns(c) * 12 * w;
  int x = line.style.align == Align::left ? 0
          : line.style.align == Align::center ? std::max(0, (paper.dots - total) / 2)
                                              : std::max(0, paper.dots - total);
  for (char32_t c : text) {
    const Glyph& g = impl_->glyph(font_lang, c);
    for (int gy = 0; gy < kCell; ++gy) {
      for (int gx = 0; gx < g.width; ++gx) {
        bool on = g.dots[static_cast<std::size_t>(gy) * g.width + gx];
        // Emphasis as printers do it: the dot is struck again one dot to the right.
        if (!on && line.style.bold && gx > 0) on = g.dots[static_cast<std::size_t>(gy) * g.width + gx - 1];
        if (!on) continue;
        for (int sy = 0; sy < h; ++sy)
          for (int sx = 0; sx < w; ++sx) out.set(x + gx * w + sx, gy * h + sy);
      }
    }
    x += g.width * w;
  }
  return out;
}

Bitmap Renderer::qr(const QrCode& q, const Paper& paper) {
  static const QRecLevel levels[] = {QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H};
  QRcode* code = QRcode_encodeString8bit(q.data.c_str(), 0, levels[static_cast<int>(q.level)]);
  if (!code) return blank(paper.dots, 0);
  const int m = std::clamp(q.module, 1, 16);
  const int side = code->width * m;
  Bitmap out = blank(paper.dots, side);
  const int x0 = q.align == Align::left ? 0 : q.align == Align::center ? std::max(0, (paper.dots - side) / 2)
                                                                        : std::max(0, paper.dots - side);
  for (int y = 0; y < code->width; ++y)
    for (int x = 0; x < code->width; ++x)
      if (code->data[y * code->width + x] & 1)
        for (int dy = 0; dy < m; ++dy)
          for (int dx = 0; dx < m; ++dx) out.set(x0 + x * m + dx, y * m + dy);
  QRcode_free(code);
  return out;
}

Bitmap Renderer::render(const PrintDoc& doc, const PrinterProfile& profile) {
  std::vector<Bitmap> parts;
  parts.push_back(blank(doc.paper.dots, kTopMargin));
  for (const PrintOp& op : doc.ops) {
    if (const auto* t = std::get_if<TextLine>(&op)) {
      parts.push_back(text_line(*t, doc.paper, doc.font_lang));
    } else if (const auto* q = std::get_if<QrCode>(&op)) {
      parts.push_back(qr(*q, doc.paper));
    } else if (const auto* f = std::get_if<Feed>(&op)) {
      parts.push_back(blank(doc.paper.dots, (kCell + kLineGap) * f->lines));
    } else if (std::get_if<Cut>(&op)) {
      parts.push_back(blank(doc.paper.dots, (kCell + kLineGap) * profile.cut_feed_lines));
    }
  }
  int height = 0;
  for (const auto& p : parts) height += p.height;
  Bitmap out = blank(doc.paper.dots, height);
  int y = 0;
  for (const auto& p : parts) {
    blit(out, p, 0, y);
    y += p.height;
  }
  return out;
}

Status write_png(const Bitmap& b, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return make_error(ErrorCode::internal, path + ": cannot create");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    return make_error(ErrorCode::internal, path + ": PNG write failed");
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, static_cast<png_uint_32>(b.width), static_cast<png_uint_32>(std::max(1, b.height)), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  std::vector<png_byte> row(static_cast<std::size_t>(b.width));
  for (int y = 0; y < std::max(1, b.height); ++y) {
    for (int x = 0; x < b.width; ++x) row[static_cast<std::size_t>(x)] = (y < b.height && b.at(x, y)) ? 0 : 255;
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return std::fclose(f) == 0 ? ok_status() : make_error(ErrorCode::internal, path + ": write failed");
}

}  // namespace hallq::printer
