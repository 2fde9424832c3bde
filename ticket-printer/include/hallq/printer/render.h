// Draws a PrintDoc the way a thermal printer prints it: monochrome dots, 384 or 576 across,
// 12x24-dot half-width and 24x24-dot full-width character cells scaled by whole multiples (as
// GS ! does), QR modules of the configured size. Used for the preview PNGs and, as the
// Encoder's Rasterizer, for lines the printer's font cannot print. Fonts: Noto Sans Mono CJK
// (Debian fonts-noto-cjk). Not thread-safe (one FreeType library per Renderer).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hallq/printer/escpos.h"
#include "hallq/printer/print_doc.h"
#include "hallq/printer/profile.h"
#include "hallq/result.h"

namespace hallq::printer {

class Renderer : public Rasterizer {
 public:
  // Opens the CJK font: `font_file` if given, else the first of default_font_files() present.
  static Result<std::unique_ptr<Renderer>> open(const std::string& font_file = "");
  ~Renderer() override;

  Bitmap text_line(const TextLine& line, const Paper& paper, const std::string& font_lang) override;
  Bitmap qr(const QrCode& qr, const Paper& paper) override;

  // The whole ticket, top to bottom, as printed on `profile` (its cutter decides the tail).
  Bitmap render(const PrintDoc& doc, const PrinterProfile& profile);

 private:
  Renderer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::vector<std::string> default_font_files();

// 8-bit greyscale PNG, black dots on white.
Status write_png(const Bitmap& b, const std::string& path);

}  // namespace hallq::printer
