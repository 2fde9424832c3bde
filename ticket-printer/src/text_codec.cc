#include "hallq/printer/text_codec.h"

#include <iconv.h>

#include <cstring>

#include "hallq/printer/print_doc.h"

namespace hallq::printer {

namespace {

const char* iconv_name(Charset c) {
  switch (c) {
    case Charset::gb18030: return "GB18030";
    case Charset::gbk: return "GBK";
    case Charset::gb2312: return "GB2312";
    case Charset::ascii: return nullptr;
  }
  return nullptr;
}

}  // namespace

std::string substitute(char32_t c) {
  switch (c) {
    case 0x00A5: return "\xEF\xBF\xA5";          // ¥ -> ￥ (full-width yen/yuan, GB A3A4)
    case 0x20AC: return "EUR";                   // €: two-byte only in GB18030, absent in GBK fonts
    case 0x00A0: return " ";                     // no-break space
    case 0x2002: case 0x2003: case 0x2009: case 0x200A: return " ";
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2212: return "-";
    case 0x2022: case 0x2027: case 0x30FB: return "\xC2\xB7";  // bullets, TW middle dot -> ·
    case 0x00A9: return "(C)";
    case 0x00AE: return "(R)";
    case 0x2122: return "TM";
    case 0x2026: return "...";                   // … is in GB, but not in every ASCII font
    case 0x200B: case 0xFEFF: return "";        // zero-width: drop
    case 0xFFFD: return "?";
    default: return {};
  }
}

TextCodec::TextCodec(Charset charset) : charset_(charset) {
  if (const char* name = iconv_name(charset)) {
    iconv_t cd = iconv_open(name, "UTF-32LE");
    if (cd != reinterpret_cast<iconv_t>(-1)) cd_ = cd;
  }
}

TextCodec::~TextCodec() {
  if (cd_) iconv_close(static_cast<iconv_t>(cd_));
}

std::optional<std::string> TextCodec::encode_char(char32_t c) {
  if (c < 0x80) {
    // Control characters would be commands: only printable ASCII is text.
    if (c < 0x20 || c == 0x7F) return std::nullopt;
    return std::string(1, static_cast<char>(c));
  }
  if (!cd_) return std::nullopt;
  unsigned char in[4] = {static_cast<unsigned char>(c), static_cast<unsigned char>(c >> 8),
                         static_cast<unsigned char>(c >> 16), static_cast<unsigned char>(c >> 24)};
  char out[8];
  char* inp = reinterpret_cast<char*>(in);
  std::size_t inleft = 4;
  char* outp = out;
  std::size_t outleft = sizeof out;
  iconv(static_cast<iconv_t>(cd_), nullptr, nullptr, nullptr, nullptr);
  if (iconv(static_cast<iconv_t>(cd_), &inp, &inleft, &outp, &outleft) == static_cast<std::size_t>(-1))
    return std::nullopt;
  const std::size_t n = sizeof out - outleft;
  // Only two-byte codes with both bytes >= 0x81/0x40 are Chinese-mode characters. Four-byte
  // GB18030 codes (e.g. ¥ = 81 30 84 36) print as garbage on every printer we know.
  if (n != 2) return std::nullopt;
  const auto b0 = static_cast<unsigned char>(out[0]), b1 = static_cast<unsigned char>(out[1]);
  if (b0 < 0x81 || b0 == 0xFF || b1 < 0x40 || b1 == 0x7F || b1 == 0xFF) return std::nullopt;
  return std::string(out, 2);
}

std::string TextCodec::make_safe(const std::string& utf8) {
  std::string out;
  for (char32_t c : utf8_decode(utf8)) {
    if (encode_char(c)) {
      out += utf8_encode(c);
      continue;
    }
    std::string sub = substitute(c);
    if (sub.empty() && c != 0x200B && c != 0xFEFF) {
      out += utf8_encode(c);  // no substitute: the line will go raster
      continue;
    }
    // Only take a substitute that itself encodes (e.g. ￥ is not in an ASCII printer's font).
    bool ok = true;
    for (char32_t s : utf8_decode(sub)) ok = ok && encode_char(s).has_value();
    out += ok ? sub : utf8_encode(c);
  }
  return out;
}

std::optional<std::string> TextCodec::encode(const std::string& utf8) {
  std::string out;
  for (char32_t c : utf8_decode(utf8)) {
    auto b = encode_char(c);
    if (!b) return std::nullopt;
    out += *b;
  }
  return out;
}

std::string decode_gb(const std::string& bytes) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) return {};
  std::string out(bytes.size() * 2 + 8, '\0');
  char* inp = const_cast<char*>(bytes.data());
  std::size_t inleft = bytes.size();
  char* outp = out.data();
  std::size_t outleft = out.size();
  while (inleft > 0) {
    if (iconv(cd, &inp, &inleft, &outp, &outleft) == static_cast<std::size_t>(-1)) {
      // Undecodable byte: show it as U+FFFD and go on.
      if (outleft < 3) break;
      std::memcpy(outp, "\xEF\xBF\xBD", 3);
      outp += 3;
      outleft -= 3;
      ++inp;
      --inleft;
    }
  }
  iconv_close(cd);
  out.resize(out.size() - outleft);
  return out;
}

}  // namespace hallq::printer
