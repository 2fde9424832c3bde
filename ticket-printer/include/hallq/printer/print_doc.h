// The printed ticket as a list of operations, between the layout (what to say) and the two
// back ends that draw it: ESC/POS bytes for the printer and a bitmap for the preview. Both back
// ends read the same document, so the preview shows what the printer prints. Value types.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace hallq::printer {

enum class Align { left, center, right };

// Character size and emphasis, as ESC/POS sets them (GS ! and ESC E).
struct TextStyle {
  int width = 1;   // 1..8 times the normal width (GS ! high nibble + 1)
  int height = 1;  // 1..8 times the normal height (GS ! low nibble + 1)
  bool bold = false;
  Align align = Align::left;
  friend bool operator==(const TextStyle&, const TextStyle&) = default;
};

// One printed line of UTF-8 text that already fits the paper: the layout wraps, not the printer.
struct TextLine {
  std::string text;
  TextStyle style;
};

enum class QrLevel { L, M, Q, H };

struct QrCode {
  std::string data;
  int module = 6;  // dots per module, 1..16
  QrLevel level = QrLevel::M;
  Align align = Align::center;
};

struct Feed { int lines = 1; };      // ESC d n
struct Cut { bool partial = true; };  // feed to the cutter and cut (what the profile allows)

using PrintOp = std::variant<TextLine, QrCode, Feed, Cut>;

// Paper: dots across and text columns of the normal (12x24 dot) font.
struct Paper {
  int mm = 80;
  int dots = 576;
  int columns = 48;
};
Paper paper_for_mm(int mm);  // 58 -> 384 dots / 32 columns; anything else -> 80 mm

struct PrintDoc {
  Paper paper;
  std::string font_lang = "zh-CN";  // glyph shapes for the preview: "zh-TW" draws Traditional forms
  std::vector<PrintOp> ops;
  // The ticket's text as the visitor reads it, one entry per TextLine: tests compare it with
  // what a parser decodes from the byte stream.
  std::vector<std::string> text_lines() const;
};

// Text metrics shared by the layout, the encoder and the preview: in the normal font an ASCII
// character takes one column (12 dots) and any other character two (24 dots).
int char_columns(char32_t c);
int text_columns(const std::string& utf8);

// UTF-8 helpers (invalid sequences decode to U+FFFD).
std::u32string utf8_decode(const std::string& s);
std::string utf8_encode(char32_t c);
std::string utf8_encode(const std::u32string& s);

}  // namespace hallq::printer
