#include "hallq/printer/profile.h"

#include "hallq/json_codec.h"

namespace hallq::printer {

using nlohmann::json;

std::string_view to_string(Charset c) {
  switch (c) {
    case Charset::gb18030: return "gb18030";
    case Charset::gbk: return "gbk";
    case Charset::gb2312: return "gb2312";
    case Charset::ascii: return "ascii";
  }
  return "?";
}

PrinterProfile generic_profile(int paper_mm) {
  PrinterProfile p;
  if (paper_mm == 58) {
    p.name = "generic-58";
    p.description = "Generic 58 mm Chinese ESC/POS printer without cutter";
    p.paper_mm = 58;
    p.cut = CutCommand::none;
  } else {
    p.name = "generic-80";
    p.description = "Generic 80 mm Chinese ESC/POS printer with partial cutter";
  }
  return p;
}

Result<std::vector<PrinterProfile>> parse_profiles(const json& j) {
  auto bad = [](std::string m) { return make_error(ErrorCode::bad_request, std::move(m)); };
  if (!j.is_object() || !j.contains("profiles") || !j["profiles"].is_array())
    return bad("/profiles: missing: expected {\"profiles\": [...]}");
  std::vector<PrinterProfile> out;
  const json& arr = j["profiles"];
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const std::string path = "/profiles/" + std::to_string(i);
    JsonReader r(arr[i], path);
    if (!r.is_object()) return bad(path + ": expected an object");
    PrinterProfile p;
    p.name = r.string("name", true, 64);
    p.description = r.string("description", false, 256);
    p.paper_mm = static_cast<int>(r.integer("paper_mm", true, 58, 80));
    if (r.ok() && p.paper_mm != 58 && p.paper_mm != 80) r.fail(r.path_of("paper_mm") + ": must be 58 or 80");
    std::string cs = r.string("charset", true, 16);
    if (r.ok()) {
      if (cs == "gb18030") p.charset = Charset::gb18030;
      else if (cs == "gbk") p.charset = Charset::gbk;
      else if (cs == "gb2312") p.charset = Charset::gb2312;
      else if (cs == "ascii") p.charset = Charset::ascii;
      else r.fail(r.path_of("charset") + ": \"" + cs + "\" is not one of gb18030, gbk, gb2312, ascii");
    }
    p.qr = r.boolean("qr", false, true);
    p.raster = r.boolean("raster", false, true);
    std::string cut = r.string("cut", true, 16);
    if (r.ok()) {
      if (cut == "feed_partial") p.cut = CutCommand::feed_partial;
      else if (cut == "feed_full") p.cut = CutCommand::feed_full;
      else if (cut == "partial") p.cut = CutCommand::partial;
      else if (cut == "none") p.cut = CutCommand::none;
      else r.fail(r.path_of("cut") + ": \"" + cut + "\" is not one of feed_partial, feed_full, partial, none");
    }
    p.cut_feed_lines = static_cast<int>(r.integer("cut_feed_lines", false, 0, 20, 4));
    p.buffer_bytes = static_cast<int>(r.integer("buffer_bytes", false, 256, 1 << 20, 4096));
    p.realtime_status = r.boolean("realtime_status", false, true);
    p.clear_on_recover = r.boolean("clear_on_recover", false, true);
    p.print_speed_mm_s = static_cast<int>(r.integer("print_speed_mm_s", false, 10, 1000, 100));
    if (auto s = r.finish(); !s) return s.error();
    for (const auto& o : out)
      if (o.name == p.name) return bad(path + "/name: duplicate profile \"" + p.name + "\"");
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<PrinterProfile>> load_profiles(const std::string& path) {
  auto j = load_json_file(path);
  if (!j) return j.error();
  auto r = parse_profiles(*j);
  if (!r) return make_error(r.error().code, path + ": " + r.error().message);
  return r;
}

}  // namespace hallq::printer
