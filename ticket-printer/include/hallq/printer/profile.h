// Printer profiles: what one printer model understands (Chinese code set, QR, cutter, buffer),
// loaded from assets/printer/profiles.json. Immutable value types.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hallq/result.h"

namespace hallq::printer {

// The code set of the printer's Chinese font, entered with FS &. Text that does not encode
// into it (after the safe substitutions) is printed as a raster image instead.
enum class Charset {
  gb18030,  // two-byte GB18030 (GBK plus the few extra two-byte codes); four-byte codes never
  gbk,      // GBK/CP936 two-byte codes: Simplified and Traditional
  gb2312,   // EUC-CN: Simplified only; Traditional characters go raster
  ascii,    // no Chinese font (e.g. an international Epson): all Chinese goes raster
};
std::string_view to_string(Charset c);

enum class CutCommand {
  feed_partial,  // GS V 66 n: feed n lines, partial cut (most 80 mm printers)
  feed_full,     // GS V 65 n: feed n lines, full cut
  partial,       // GS V 1: partial cut here (older models), preceded by ESC d
  none,          // no cutter (most 58 mm printers): feed past the tear bar
};

struct PrinterProfile {
  std::string name;            // "generic-80"
  std::string description;
  int paper_mm = 80;           // 58 or 80
  Charset charset = Charset::gb18030;
  bool qr = true;              // GS ( k model 2; without it the QR is sent as a raster image
  bool raster = true;          // GS v 0; without it unencodable text becomes '?'
  CutCommand cut = CutCommand::feed_partial;
  int cut_feed_lines = 4;      // lines fed before the cut (or past the tear bar)
  int buffer_bytes = 4096;     // the printer's receive buffer: writes are chunked below it
  bool realtime_status = true; // answers DLE EOT n; false: status unknown, print blind
  bool clear_on_recover = true;  // understands DLE ENQ 2 (recover and clear buffers)
  int print_speed_mm_s = 100;  // for waiting until a job has left the printer
};

// Parses {"profiles":[...]}; the error names the JSON path of the first bad field.
Result<std::vector<PrinterProfile>> parse_profiles(const nlohmann::json& j);
Result<std::vector<PrinterProfile>> load_profiles(const std::string& path);
// The built-in fallback when no profiles file is found: generic-80 / generic-58.
PrinterProfile generic_profile(int paper_mm);

}  // namespace hallq::printer
