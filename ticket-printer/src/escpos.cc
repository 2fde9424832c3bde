#include "hallq/printer/escpos.h"

#include <algorithm>

namespace hallq::printer {

namespace cmd {

std::string align(Align a) {
  const char n = a == Align::left ? 0 : a == Align::center ? 1 : 2;
  return std::string("\x1b\x61", 2) + n;
}

std::string size(int width, int height) {
  width = std::clamp(width, 1, 8);
  height = std::clamp(height, 1, 8);
  return std::string("\x1d\x21", 2) + static_cast<char>(((width - 1) << 4) | (height - 1));
}

std::string bold(bool on) { return std::string("\x1b\x45", 2) + static_cast<char>(on ? 1 : 0); }

std::string feed(int lines) { return std::string("\x1b\x64", 2) + static_cast<char>(std::clamp(lines, 0, 255)); }

std::string cut(CutCommand c, int feed_lines) {
  const char n = static_cast<char>(std::clamp(feed_lines, 0, 255));
  switch (c) {
    case CutCommand::feed_partial: return std::string("\x1d\x56\x42", 3) + n;
    case CutCommand::feed_full: return std::string("\x1d\x56\x41", 3) + n;
    case CutCommand::partial: return feed(feed_lines) + std::string("\x1d\x56\x01", 3);
    case CutCommand::none: return feed(feed_lines);
  }
  return {};
}

std::string qr(const QrCode& q) {
  auto fn = [](char f, std::string params) {
    const std::size_t len = params.size() + 2;  // cn, fn, params
    std::string s("\x1d\x28\x6b", 3);
    s += static_cast<char>(len & 0xFF);
    s += static_cast<char>((len >> 8) & 0xFF);
    s += '\x31';
    s += f;
    return s + params;
  };
  std::string s;
  s += fn('\x41', std::string("\x32\x00", 2));                               // model 2
  s += fn('\x43', std::string(1, static_cast<char>(std::clamp(q.module, 1, 16))));  // module size
  s += fn('\x45', std::string(1, static_cast<char>(0x30 + static_cast<int>(q.level))));  // error level
  s += fn('\x50', "\x30" + q.data);                                          // store
  s += fn('\x51', "\x30");                                                   // print
  return s;
}

std::string raster(const Bitmap& b) {
  const int xbytes = (b.width + 7) / 8;
  std::string s("\x1d\x76\x30\x00", 4);
  s += static_cast<char>(xbytes & 0xFF);
  s += static_cast<char>((xbytes >> 8) & 0xFF);
  s += static_cast<char>(b.height & 0xFF);
  s += static_cast<char>((b.height >> 8) & 0xFF);
  for (int y = 0; y < b.height; ++y) {
    for (int xb = 0; xb < xbytes; ++xb) {
      unsigned char byte = 0;
      for (int bit = 0; bit < 8; ++bit) {
        const int x = xb * 8 + bit;
        if (x < b.width && b.at(x, y)) byte |= static_cast<unsigned char>(0x80 >> bit);
      }
      s += static_cast<char>(byte);
    }
  }
  return s;
}

std::string realtime_status(int n) { return std::string("\x10\x04", 2) + static_cast<char>(n); }

std::string auto_status_back(bool on) {
  // Bits: 1 online/offline, 2 errors, 3 paper roll sensors (0, the drawer, is of no use here).
  return std::string("\x1d\x61", 2) + static_cast<char>(on ? 0x0E : 0x00);
}

}  // namespace cmd

namespace {

// One printed line at height h takes 24*h dots plus the default line gap (30-dot pitch).
int line_dots(int height) { return 30 * height; }

Bitmap band(const Bitmap& b, int y0, int rows) {
  Bitmap o{b.width, rows, {}};
  o.dots.assign(b.dots.begin() + static_cast<std::ptrdiff_t>(y0) * b.width,
                b.dots.begin() + static_cast<std::ptrdiff_t>(y0 + rows) * b.width);
  return o;
}

}  // namespace

Encoder::Encoder(PrinterProfile profile, Rasterizer* rasterizer)
    : profile_(std::move(profile)), rasterizer_(rasterizer), codec_(profile_.charset) {}

EscPosJob Encoder::encode(const PrintDoc& doc) {
  EscPosJob job;
  TextStyle cur;  // what ESC @ leaves: left, normal size, not bold
  auto emit = [&](const std::string& bytes) {
    job.bytes += bytes;
    job.boundaries.push_back(job.bytes.size());
  };
  auto set_style = [&](const TextStyle& s) {
    if (s.align != cur.align) emit(cmd::align(s.align));
    if (s.width != cur.width || s.height != cur.height) emit(cmd::size(s.width, s.height));
    if (s.bold != cur.bold) emit(cmd::bold(s.bold));
    cur = s;
  };
  const bool can_raster = rasterizer_ != nullptr && profile_.raster;
  auto emit_image = [&](const Bitmap& bm) {
    // Bands small enough that each fits half the printer's buffer with room to spare.
    const int xbytes = (bm.width + 7) / 8;
    const int rows = std::max(1, std::min(255, profile_.buffer_bytes / 2 / std::max(1, xbytes)));
    for (int y = 0; y < bm.height; y += rows) emit(cmd::raster(band(bm, y, std::min(rows, bm.height - y))));
    job.dot_rows += bm.height;
  };

  emit(cmd::kInit);
  for (const PrintOp& op : doc.ops) {
    if (const auto* t = std::get_if<TextLine>(&op)) {
      const std::string safe = codec_.make_safe(t->text);
      std::optional<std::string> enc = codec_.encode(safe);
      if (!enc && can_raster) {
        set_style(TextStyle{1, 1, false, Align::left});  // the image carries size and alignment
        emit_image(rasterizer_->text_line(TextLine{safe, t->style}, doc.paper, doc.font_lang));
        ++job.raster_lines;
        continue;
      }
      if (!enc) {
        std::string s;
        for (char32_t c : utf8_decode(safe)) {
          auto b = codec_.encode_char(c);
          if (b) {
            s += *b;
          } else {
            // Keep the width the layout planned: a wide character becomes two '?'.
            s += std::string(static_cast<std::size_t>(char_columns(c)), '?');
            ++job.replaced_chars;
          }
        }
        enc = s;
      }
      set_style(t->style);
      const bool chinese = std::any_of(enc->begin(), enc->end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
      if (chinese) emit(cmd::kChineseOn);
      emit(*enc + "\n");
      if (chinese) emit(cmd::kChineseOff);
      job.dot_rows += line_dots(t->style.height);
    } else if (const auto* q = std::get_if<QrCode>(&op)) {
      if (profile_.qr) {
        set_style(TextStyle{1, 1, cur.bold, q->align});
        emit(cmd::qr(*q));
        job.dot_rows += 33 * q->module;  // about a version-4 symbol
      } else if (can_raster) {
        set_style(TextStyle{1, 1, cur.bold, Align::left});
        emit_image(rasterizer_->qr(*q, doc.paper));
      } else {
        set_style(TextStyle{1, 1, false, Align::left});
        std::string url = q->data;
        while (!url.empty()) {  // the URL as text, so the visitor can still type it
          const std::size_t n = std::min<std::size_t>(url.size(), static_cast<std::size_t>(doc.paper.columns));
          emit(url.substr(0, n) + "\n");
          url.erase(0, n);
          job.dot_rows += line_dots(1);
        }
      }
    } else if (const auto* f = std::get_if<Feed>(&op)) {
      emit(cmd::feed(f->lines));
      job.dot_rows += line_dots(1) * f->lines;
    } else if (std::get_if<Cut>(&op)) {
      emit(cmd::cut(profile_.cut, profile_.cut_feed_lines));
      job.dot_rows += line_dots(1) * profile_.cut_feed_lines;
    }
  }
  return job;
}

}  // namespace hallq::printer
