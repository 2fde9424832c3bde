// PrintDoc -> ESC/POS bytes for one printer profile. Pure apart from the optional rasterizer
// (lines the printer's font cannot print, and QR codes on printers without GS ( k). Not
// thread-safe (one TextCodec inside): one Encoder per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hallq/printer/print_doc.h"
#include "hallq/printer/profile.h"
#include "hallq/printer/text_codec.h"

namespace hallq::printer {

// A 1-bit image, row-major, one byte per dot (0 white, 1 black) for simplicity.
struct Bitmap {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> dots;
  std::uint8_t at(int x, int y) const { return dots[static_cast<std::size_t>(y) * width + x]; }
  void set(int x, int y) {
    if (x >= 0 && y >= 0 && x < width && y < height) dots[static_cast<std::size_t>(y) * width + x] = 1;
  }
};

// Draws what the printer's font or QR engine cannot: implemented by the preview renderer.
class Rasterizer {
 public:
  virtual ~Rasterizer() = default;
  // One text line exactly as the printer's font would draw it, `paper.dots` wide.
  virtual Bitmap text_line(const TextLine& line, const Paper& paper, const std::string& font_lang) = 0;
  virtual Bitmap qr(const QrCode& qr, const Paper& paper) = 0;
};

// The bytes of one job plus the offsets where a command ends: only there may the sender split
// the job into chunks or slip in a real-time command (DLE EOT inside QR data would be data).
struct EscPosJob {
  std::string bytes;
  std::vector<std::size_t> boundaries;  // ascending, last == bytes.size()
  int raster_lines = 0;                 // text lines sent as images (the fallback was used)
  int replaced_chars = 0;               // characters printed as '?' (no rasterizer)
  int dot_rows = 0;                     // paper used, in dots (for the print-time estimate)
};

namespace cmd {
// The commands we send, spelled once. Values from the ESC/POS reference (see docs/printer.md).
inline constexpr char kInit[] = "\x1b\x40";
inline constexpr char kChineseOn[] = "\x1c\x26";   // FS &
inline constexpr char kChineseOff[] = "\x1c\x2e";  // FS .
std::string align(Align a);                        // ESC a n
std::string size(int width, int height);           // GS ! n
std::string bold(bool on);                         // ESC E n
std::string feed(int lines);                       // ESC d n
std::string cut(CutCommand c, int feed_lines);
std::string qr(const QrCode& q);                   // model, size, level, store, print
std::string raster(const Bitmap& b);               // GS v 0 0 ...
std::string realtime_status(int n);                // DLE EOT n
inline constexpr char kClearBuffers[] = "\x10\x05\x02";  // DLE ENQ 2: recover, clear buffers
std::string auto_status_back(bool on);             // GS a n
}  // namespace cmd

class Encoder {
 public:
  // `rasterizer` may be null: then unencodable characters print as '?' and, on printers
  // without GS ( k, the QR is left out (its URL is printed as text instead).
  Encoder(PrinterProfile profile, Rasterizer* rasterizer);
  EscPosJob encode(const PrintDoc& doc);
  const PrinterProfile& profile() const { return profile_; }

 private:
  PrinterProfile profile_;
  Rasterizer* rasterizer_;
  TextCodec codec_;
};

}  // namespace hallq::printer
