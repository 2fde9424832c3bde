// UTF-8 text -> the bytes a Chinese ESC/POS printer's font takes (GB18030/GBK/GB2312 two-byte
// codes, ASCII single bytes). Characters outside the printer's code set are first replaced by
// safe equivalents (¥ -> ￥, € -> EUR, ...); what is still left says "needs raster".
// Not thread-safe (holds iconv descriptors): one per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hallq/printer/profile.h"

namespace hallq::printer {

class TextCodec {
 public:
  explicit TextCodec(Charset charset);
  ~TextCodec();
  TextCodec(const TextCodec&) = delete;
  TextCodec& operator=(const TextCodec&) = delete;

  // The printer bytes for one character: 1 byte (ASCII) or 2 bytes; nullopt if the printer's
  // code set has no such character.
  std::optional<std::string> encode_char(char32_t c);

  // Applies the safe substitutions to characters the code set lacks (see substitute()).
  std::string make_safe(const std::string& utf8);

  // Bytes for a whole line, or nullopt if some character (after make_safe) cannot be encoded:
  // such a line is printed as a raster image.
  std::optional<std::string> encode(const std::string& utf8);

  Charset charset() const { return charset_; }

 private:
  Charset charset_;
  void* cd_ = nullptr;  // iconv_t, UTF-32LE -> charset
};

// The substitution for a character that printers commonly lack, or "" if there is none.
// Substitutes stay within GB2312 or ASCII so they print on every Chinese printer.
std::string substitute(char32_t c);

// Inverse, for tests and the fake printer: printer bytes (ASCII + two-byte GB) -> UTF-8.
std::string decode_gb(const std::string& bytes);

}  // namespace hallq::printer
