// The pure printer core: golden ESC/POS bytes, the GB fallback rule, wrapping, layouts,
// status decoding and device specs. Table-driven where the cases are alike.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hallq/printer/device_spec.h"
#include "hallq/printer/escpos.h"
#include "hallq/printer/layout.h"
#include "hallq/printer/status.h"

using namespace hallq::printer;

namespace {

std::string hex(const std::string& bytes) {
  static const char* d = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ' ';
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string ascii_hex(const std::string& s) { return hex(s); }

// A rasterizer that draws a fixed 16x2 checker, so the GS v 0 bytes are predictable.
struct FakeRasterizer : Rasterizer {
  int lines = 0;
  Bitmap text_line(const TextLine&, const Paper&, const std::string&) override {
    ++lines;
    Bitmap b{16, 2, std::vector<std::uint8_t>(32, 0)};
    for (int x = 0; x < 8; ++x) b.set(x, 0);  // row 0: FF 00, row 1: 00 00
    return b;
  }
  Bitmap qr(const QrCode&, const Paper&) override {
    Bitmap b{8, 1, std::vector<std::uint8_t>(8, 0)};
    b.set(0, 0);
    return b;  // 80
  }
};

PrinterProfile profile(int mm, Charset cs, CutCommand cut, bool qr = true) {
  PrinterProfile p = generic_profile(mm);
  p.charset = cs;
  p.cut = cut;
  p.qr = qr;
  return p;
}

}  // namespace

struct GoldenCase {
  const char* name;
  PrinterProfile profile;
  std::vector<PrintOp> ops;
  bool rasterizer;
  std::string expected;  // hex, without the leading ESC @
};

TEST(PrinterEncoder, GoldenBytes) {
  const TextStyle big{4, 4, true, Align::center};
  const std::vector<GoldenCase> cases = {
      {"ascii line, default style", profile(80, Charset::gb18030, CutCommand::none), {TextLine{"A012", {}}}, false,
       "41 30 31 32 0A"},
      {"big bold centred number", profile(80, Charset::gb18030, CutCommand::none), {TextLine{"A012", big}}, false,
       "1B 61 01 1D 21 33 1B 45 01 41 30 31 32 0A"},
      {"chinese inside FS & / FS .", profile(80, Charset::gb18030, CutCommand::none), {TextLine{"综合受理", {}}}, false,
       "1C 26 D7 DB BA CF CA DC C0 ED 0A 1C 2E"},
      {"mixed line", profile(80, Charset::gbk, CutCommand::none), {TextLine{"前面还有 3 人", {}}}, false,
       "1C 26 C7 B0 C3 E6 BB B9 D3 D0 20 33 20 C8 CB 0A 1C 2E"},
      {"yen becomes full-width yuan (A3A4), not the 4-byte 81308436",
       profile(80, Charset::gb18030, CutCommand::none), {TextLine{"¥5", {}}}, false, "1C 26 A3 A4 35 0A 1C 2E"},
      {"traditional in GBK", profile(80, Charset::gbk, CutCommand::none), {TextLine{"號", {}}}, false,
       "1C 26 CC 96 0A 1C 2E"},
      {"traditional on a GB2312 printer without raster: two '?' keep the width",
       profile(58, Charset::gb2312, CutCommand::none), {TextLine{"號", {}}}, false, "3F 3F 0A"},
      {"emoji line goes raster: align left, GS v 0 2x2 bytes", profile(80, Charset::gb18030, CutCommand::none),
       {TextLine{"取号 \xF0\x9F\x98\x80", TextStyle{1, 1, false, Align::center}}}, true,
       "1D 76 30 00 02 00 02 00 FF 00 00 00"},
      {"qr model 2, module 6, level M, centred", profile(80, Charset::gb18030, CutCommand::none),
       {QrCode{"http://h/t/abc", 6, QrLevel::M, Align::center}}, false,
       "1B 61 01 "
       "1D 28 6B 04 00 31 41 32 00 "
       "1D 28 6B 03 00 31 43 06 "
       "1D 28 6B 03 00 31 45 31 "
       "1D 28 6B 11 00 31 50 30 " + ascii_hex("http://h/t/abc") + " "
       "1D 28 6B 03 00 31 51 30"},
      {"qr level H module 3", profile(58, Charset::gb18030, CutCommand::none), {QrCode{"x", 3, QrLevel::H, Align::left}},
       false,
       "1D 28 6B 04 00 31 41 32 00 1D 28 6B 03 00 31 43 03 1D 28 6B 03 00 31 45 33 "
       "1D 28 6B 04 00 31 50 30 78 1D 28 6B 03 00 31 51 30"},
      {"printer without GS ( k: the QR as an image", profile(58, Charset::gb2312, CutCommand::none, false),
       {QrCode{"x", 3, QrLevel::H, Align::center}}, true, "1D 76 30 00 01 00 01 00 80"},
      {"printer without GS ( k and no rasterizer: the URL as text", profile(58, Charset::gb2312, CutCommand::none, false),
       {QrCode{"http://h/t/1", 3, QrLevel::H, Align::center}}, false, ascii_hex("http://h/t/1\n")},
      {"feed", profile(80, Charset::gb18030, CutCommand::none), {Feed{3}}, false, "1B 64 03"},
      {"cut: feed and partial cut", profile(80, Charset::gb18030, CutCommand::feed_partial), {Cut{}}, false,
       "1D 56 42 04"},
      {"cut: full", profile(80, Charset::gb18030, CutCommand::feed_full), {Cut{}}, false, "1D 56 41 04"},
      {"cut: old partial", profile(80, Charset::gb18030, CutCommand::partial), {Cut{}}, false, "1B 64 04 1D 56 01"},
      {"no cutter: feed past the tear bar", profile(58, Charset::gb18030, CutCommand::none), {Cut{}}, false,
       "1B 64 04"},
      {"style changes only when needed", profile(80, Charset::gb18030, CutCommand::none),
       {TextLine{"a", {1, 2, false, Align::right}}, TextLine{"b", {1, 2, false, Align::right}}, TextLine{"c", {}}}, false,
       "1B 61 02 1D 21 01 61 0A 62 0A 1B 61 00 1D 21 00 63 0A"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FakeRasterizer r;
    Encoder enc(c.profile, c.rasterizer ? &r : nullptr);
    PrintDoc doc;
    doc.paper = paper_for_mm(c.profile.paper_mm);
    doc.ops = c.ops;
    EscPosJob job = enc.encode(doc);
    ASSERT_GE(job.bytes.size(), 2u);
    EXPECT_EQ(hex(job.bytes.substr(0, 2)), "1B 40");
    EXPECT_EQ(hex(job.bytes.substr(2)), c.expected);
    ASSERT_FALSE(job.boundaries.empty());
    EXPECT_EQ(job.boundaries.back(), job.bytes.size());
  }
}

TEST(PrinterEncoder, BigRasterIsBandedBelowHalfTheBuffer) {
  struct Tall : FakeRasterizer {
    Bitmap text_line(const TextLine&, const Paper& p, const std::string&) override {
      return Bitmap{p.dots, 300, std::vector<std::uint8_t>(static_cast<std::size_t>(p.dots) * 300, 1)};
    }
  } r;
  PrinterProfile p = generic_profile(80);
  p.buffer_bytes = 2048;
  Encoder enc(p, &r);
  PrintDoc doc;
  doc.paper = paper_for_mm(80);
  doc.ops = {TextLine{"\xF0\x9F\x98\x80", {}}};
  auto job = enc.encode(doc);
  std::size_t prev = 0, bands = 0;
  for (std::size_t b : job.boundaries) {
    if (job.bytes.compare(prev, 3, "\x1d\x76\x30") == 0) {
      ++bands;
      EXPECT_LE(b - prev, 1024u + 8u);
    }
    prev = b;
  }
  EXPECT_EQ(bands, (300u + 13) / 14);  // 1024 / 72 = 14 rows a band
  EXPECT_EQ(job.raster_lines, 1);
}

TEST(PrinterTextCodec, FallbackRule) {
  TextCodec gb(Charset::gb18030);
  EXPECT_EQ(gb.make_safe("¥10 — “好”"), "￥10 — “好”");  // ¥ swapped; — and quotes are in GB
  EXPECT_EQ(gb.make_safe("€5"), "€5");                    // € is two-byte A2E3 in GB18030
  EXPECT_FALSE(gb.encode_char(U'¥').has_value());         // four bytes: never sent
  EXPECT_FALSE(gb.encode_char(U'\U00020BB7').has_value()); // 𠮷 (ext B): raster
  EXPECT_FALSE(gb.encode("𠮷").has_value());
  TextCodec gbk(Charset::gbk);
  EXPECT_EQ(gbk.make_safe("€5"), "EUR5");
  TextCodec ascii(Charset::ascii);
  EXPECT_EQ(ascii.make_safe("¥5"), "¥5");  // ￥ is not in an ASCII font either: stays for raster
  EXPECT_FALSE(ascii.encode("中").has_value());
  EXPECT_EQ(*ascii.encode("A-1"), "A-1");
  EXPECT_FALSE(ascii.encode("a\x1b").has_value());  // control bytes are never text
  EXPECT_EQ(decode_gb("\xD7\xDB\xBA\xCF" "A"), "综合A");
}

TEST(PrinterLayout, WrapNeverOverflowsAndKeepsPunctuation) {
  struct Case { std::string text; int cols; std::vector<std::string> want; };
  const std::vector<Case> cases = {
      {"Please listen for your number", 12, {"Please", "listen for", "your number"}},
      {"一二三四五六七八", 8, {"一二三四", "五六七八"}},
      {"一二三，四五", 6, {"一二", "三，四", "五"}},  // "，" may not start a line
      {"abcdefghijkl", 5, {"abcde", "fghij", "kl"}},
      {"前面还有 12 人", 8, {"前面还有", "12 人"}},
      {"", 10, {""}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto lines = wrap_text(c.text, c.cols);
    EXPECT_EQ(lines, c.want);
    for (const auto& l : lines) EXPECT_LE(text_columns(l), c.cols);
  }
}

TEST(PrinterLayout, ShippedLayoutComposesEveryLanguageWithinThePaper) {
  auto layout = load_layout(std::string(HALLQ_ASSETS_DIR) + "/printer/ticket-layout.json");
  ASSERT_TRUE(layout) << layout.error().message;
  TicketInfo t;
  t.id = "tk_3Fz9";
  t.number = "A012";
  t.service_name = {{"zh-CN", "综合受理"}, {"zh-TW", "綜合受理"}, {"en", "General Counter (One-Window Acceptance)"}};
  t.hall_name = {{"zh-CN", "某某县行政服务中心"}, {"zh-TW", "某某縣行政服務中心"}, {"en", "Sample County Administrative Service Centre"}};
  t.ahead = 7;
  t.wait_min = 35;
  t.issued_at = 1764205500000;  // 2025-11-27 01:05 UTC = 09:05 in China
  for (int mm : {58, 80}) {
    for (const char* lang : {"zh-CN", "zh-TW", "en"}) {
      SCOPED_TRACE(std::to_string(mm) + " " + lang);
      PrintDoc doc = compose(*layout, t, lang, paper_for_mm(mm), "http://hall.example:8080/");
      bool has_number = false, has_qr = false;
      for (const auto& op : doc.ops) {
        if (const auto* l = std::get_if<TextLine>(&op)) {
          EXPECT_LE(text_columns(l->text) * l->style.width, doc.paper.columns) << l->text;
          if (l->text == "A012") {
            has_number = true;
            EXPECT_EQ(l->style.width, 4);
          }
        }
        if (const auto* q = std::get_if<QrCode>(&op)) {
          has_qr = true;
          EXPECT_EQ(q->data, "http://hall.example:8080/t/tk_3Fz9");
        }
      }
      EXPECT_TRUE(has_number);
      EXPECT_TRUE(has_qr);
      EXPECT_TRUE(std::holds_alternative<Cut>(doc.ops.back()));
      const auto lines = doc.text_lines();
      const std::string all = [&] { std::string s; for (auto& l : lines) s += l + "|"; return s; }();
      if (std::string(lang) == "zh-CN") {
        EXPECT_NE(all.find("前面还有 7 人"), std::string::npos) << all;
        EXPECT_NE(all.find("预计等候 35 分钟"), std::string::npos) << all;
        EXPECT_NE(all.find("2025-11-27 09:05"), std::string::npos) << all;
      } else if (std::string(lang) == "zh-TW") {
        EXPECT_NE(all.find("前面還有 7 人"), std::string::npos) << all;
        EXPECT_NE(all.find("綜合受理"), std::string::npos) << all;
      } else {
        EXPECT_NE(all.find("People ahead of you: 7"), std::string::npos) << all;
      }
    }
  }
  // Unknown counts leave their lines out rather than print "-1".
  t.ahead = -1;
  t.wait_min = -1;
  auto lines = compose(*layout, t, "zh-CN", paper_for_mm(58), "http://h").text_lines();
  for (const auto& l : lines) {
    EXPECT_EQ(l.find("前面还有"), std::string::npos);
    EXPECT_EQ(l.find(" -1 "), std::string::npos);
    EXPECT_EQ(l.find("预计等候"), std::string::npos);
  }
}

TEST(PrinterLayout, BadLayoutsNameTheField) {
  struct Case { const char* json; const char* error; };
  const Case cases[] = {
      {R"({"blocks": []})", "/blocks: must be a non-empty array"},
      {R"({"blocks": [{"text": "x", "size": [9, 1]}]})", "/blocks/0/size: must be [width, height], each 1 to 8"},
      {R"({"blocks": [{"text": {"fr": "x"}}]})", "/blocks/0/text/fr: unknown language"},
      {R"({"blocks": [{"qr": true, "colour": 1}]})", "/blocks/0/colour: unknown field"},
      {R"({"blocks": [{"text": "x", "when": "tuesday"}]})", "/blocks/0/when: must be one of"},
      {R"({"qr": {"level": "Z"}, "blocks": [{"qr": true}]})", "/qr/level: must be L, M, Q or H"},
      {R"({"blocks": [{"text": "x", "paper": {"58": {"size": [2, 2], "font": 1}}}]})", "/blocks/0/paper/58/font"},
  };
  for (const auto& c : cases) {
    auto r = parse_layout(nlohmann::json::parse(c.json));
    ASSERT_FALSE(r) << c.json;
    EXPECT_NE(r.error().message.find(c.error), std::string::npos) << r.error().message;
  }
}

TEST(PrinterLayout, LongNumberShrinksInsteadOfWrapping) {
  TicketLayout L;
  LayoutBlock b;
  b.text = {{"*", "{number}"}};
  b.style = {8, 8, true, Align::center};
  L.blocks = {b};
  TicketInfo t;
  t.id = "x";
  t.number = "AB12345";
  auto doc = compose(L, t, "zh-CN", paper_for_mm(58), "http://h");
  ASSERT_TRUE(std::holds_alternative<TextLine>(doc.ops[0]));
  const auto& line = std::get<TextLine>(doc.ops[0]);
  EXPECT_EQ(line.text, "AB12345");
  EXPECT_EQ(line.style.width, 4);  // 7 columns x 4 = 28 <= 32
  EXPECT_EQ(line.style.height, 8);
}

TEST(PrinterStatus, RealtimeAnswers) {
  struct Case { const char* name; std::uint8_t b[4]; DeviceStatus want; };
  const Case cases[] = {
      {"healthy", {0x12, 0x12, 0x12, 0x12}, DeviceStatus::ok},
      {"out of paper (HALL.md: 1A 32 12 7E)", {0x1A, 0x32, 0x12, 0x7E}, DeviceStatus::paper_out},
      {"paper near end only", {0x12, 0x12, 0x12, 0x1E}, DeviceStatus::paper_near_end},
      {"cover open", {0x1A, 0x16, 0x12, 0x12}, DeviceStatus::cover_open},
      {"cover open with paper sensor blind", {0x1A, 0x36, 0x12, 0x72}, DeviceStatus::cover_open},
      {"cutter error", {0x1A, 0x52, 0x1A, 0x12}, DeviceStatus::cutter_error},
      {"offline, no cause", {0x1A, 0x12, 0x12, 0x12}, DeviceStatus::offline},
      {"unrecoverable error", {0x1A, 0x52, 0x32, 0x12}, DeviceStatus::offline},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    StatusFlags f;
    for (int n = 1; n <= 4; ++n) ASSERT_TRUE(apply_realtime_status(n, c.b[n - 1], f));
    EXPECT_EQ(to_string(summarize(f)), to_string(c.want));
  }
  StatusFlags f;
  EXPECT_FALSE(apply_realtime_status(1, 0x00, f));  // bits 1 and 4 must be set
  EXPECT_FALSE(apply_realtime_status(1, 0x93, f));  // bits 0 and 7 must be clear
  EXPECT_FALSE(apply_realtime_status(5, 0x12, f));
  EXPECT_TRUE(blocks_printing(DeviceStatus::paper_out));
  EXPECT_FALSE(blocks_printing(DeviceStatus::paper_near_end));
  EXPECT_EQ(device_status_from_string("cover_open"), DeviceStatus::cover_open);
}

TEST(PrinterStatus, AutoStatusBackBlocksInAStream) {
  // ok, then paper end (byte 3 bits 2-3), then cover open; with a DLE EOT answer in between.
  const std::vector<std::uint8_t> stream = {0x10, 0x00, 0x00, 0x00, 0x12, 0x18, 0x00, 0x0C, 0x00,
                                            0x30, 0x00, 0x00, 0x00};
  StatusReader r;
  std::vector<std::uint8_t> other;
  std::vector<DeviceStatus> seen;
  for (auto b : stream)
    if (auto f = r.feed(b, other)) seen.push_back(summarize(*f));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], DeviceStatus::ok);
  EXPECT_EQ(seen[1], DeviceStatus::paper_out);
  EXPECT_EQ(seen[2], DeviceStatus::cover_open);
  EXPECT_EQ(other, std::vector<std::uint8_t>{0x12});
  const std::uint8_t bad[4] = {0x12, 0, 0, 0};
  EXPECT_FALSE(decode_auto_status(bad));
}

TEST(PrinterDeviceSpec, GoodAndBad) {
  struct Case { const char* spec; const char* canonical_or_error; bool ok; };
  const Case cases[] = {
      {"serial:/dev/ttyUSB0:19200:rtscts", "serial:/dev/ttyUSB0:19200:rtscts", true},
      {"serial:/dev/ttyS0", "serial:/dev/ttyS0:9600:none", true},
      {"serial:/dev/ttyUSB1:115200:xonxoff", "serial:/dev/ttyUSB1:115200:xonxoff", true},
      {"usb:/dev/usb/lp0", "usb:/dev/usb/lp0", true},
      {"tcp:192.168.1.50:9100", "tcp:192.168.1.50:9100", true},
      {"tcp:printer.local", "tcp:printer.local:9100", true},
      {"tcp:[fe80::1]:9101", "tcp:[fe80::1]:9101", true},
      {"file:/tmp/out.bin", "file:/tmp/out.bin", true},
      {"serial:/dev/ttyUSB0:19201", "baud \"19201\" is not one of", false},
      {"serial:/dev/ttyUSB0:19200:cts", "flow control \"cts\" is not rtscts, xonxoff or none", false},
      {"serial:ttyUSB0", "serial: needs an absolute device path", false},
      {"usb:lp0", "usb: needs an absolute device path", false},
      {"tcp::9100", "tcp: needs a host", false},
      {"tcp:host:0", "tcp: port \"0\" is not 1 to 65535", false},
      {"tcp:host:", "tcp: empty port", false},
      {"tcp:a:b:c", "too many ':'", false},
      {"lpt:/dev/lp0", "unknown kind \"lpt\"", false},
      {"/dev/usb/lp0", "no kind", false},
      {"file:", "file: needs a path", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.spec);
    auto r = parse_device_spec(c.spec);
    EXPECT_EQ(r.ok(), c.ok);
    if (r) EXPECT_EQ(r->to_string(), c.canonical_or_error);
    else EXPECT_NE(r.error().message.find(c.canonical_or_error), std::string::npos) << r.error().message;
  }
}

TEST(PrinterProfiles, ShippedProfilesLoad) {
  auto p = load_profiles(std::string(HALLQ_ASSETS_DIR) + "/printer/profiles.json");
  ASSERT_TRUE(p) << p.error().message;
  std::vector<std::string> names;
  for (const auto& x : *p) names.push_back(x.name);
  for (const char* want : {"generic-58", "generic-80", "epson-tm-t88", "xprinter-xp58"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  auto bad = parse_profiles(nlohmann::json::parse(R"({"profiles":[{"name":"x","paper_mm":80,"charset":"big5","cut":"none"}]})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("/profiles/0/charset"), std::string::npos) << bad.error().message;
}
