// Previews and whole ticket streams: the PNG is read back with zbarimg (the QR is the ticket
// URL), the ESC/POS stream is tokenised by our fake printer's tokeniser and, independently, by
// npos (node) with one added rule for GS ( k; the text both decode equals the ticket's text.
// HALLQ_WRITE_DOCS=1 also writes the previews to docs/tickets/.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "fake_printer.h"
#include "hallq/printer/layout.h"
#include "hallq/printer/render.h"

using namespace hallq::printer;

namespace {

std::string run(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

TicketLayout layout() {
  auto l = load_layout(std::string(HALLQ_ASSETS_DIR) + "/printer/ticket-layout.json");
  EXPECT_TRUE(l) << l.error().message;
  return *l;
}

TicketInfo sample() {
  TicketInfo t;
  t.id = "Q7d2kP9xVb";
  t.number = "A012";
  t.service = "A";
  t.service_name = {{"zh-CN", "综合受理"}, {"zh-TW", "綜合受理"}, {"en", "General Counter (One-Window Acceptance)"}};
  t.hall_name = {{"zh-CN", "某某县行政服务中心"}, {"zh-TW", "某某縣行政服務中心"}, {"en", "Sample County Administrative Service Centre"}};
  t.ahead = 7;
  t.wait_min = 35;
  t.issued_at = 1795741500000;  // 2026-11-27 09:05 in China
  return t;
}

std::unique_ptr<Renderer> renderer() {
  auto r = Renderer::open();
  EXPECT_TRUE(r) << r.error().message;
  return r ? std::move(*r) : nullptr;
}

const char* kBase = "http://hall.example:8080";

}  // namespace

struct PreviewCase { const char* lang; int mm; const char* file; };

TEST(PrinterPreview, QrReadsBackAsTheTicketUrl) {
  auto r = renderer();
  ASSERT_TRUE(r);
  const PreviewCase cases[] = {{"zh-CN", 58, "ticket-zh-CN-58mm.png"},
                               {"zh-TW", 80, "ticket-zh-TW-80mm.png"},
                               {"en", 80, "ticket-en-80mm.png"}};
  const bool write_docs = std::getenv("HALLQ_WRITE_DOCS") != nullptr;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    PrintDoc doc = compose(layout(), sample(), c.lang, paper_for_mm(c.mm), kBase);
    Bitmap b = r->render(doc, generic_profile(c.mm));
    EXPECT_EQ(b.width, c.mm == 58 ? 384 : 576);
    // Ink in every text line: the font really drew the Chinese, nothing blank.
    long ink = 0;
    for (auto d : b.dots) ink += d;
    EXPECT_GT(ink, 20000);
    const std::string out = std::string(HALLQ_BINARY_DIR) + "/" + c.file;
    ASSERT_TRUE(write_png(b, out));
    int status = -1;
    const std::string qr = run("zbarimg -q --raw '" + out + "' 2>/dev/null", &status);
    EXPECT_EQ(status, 0) << "zbarimg failed (is zbar-tools installed? scripts/setup)";
    EXPECT_EQ(qr, ticket_url(kBase, "Q7d2kP9xVb") + "\n");
    if (write_docs) {
      ASSERT_TRUE(write_png(b, std::string(HALLQ_SOURCE_DIR) + "/docs/tickets/" + c.file));
    }
  }
}

TEST(PrinterPreview, RasterFallbackLineCarriesInk) {
  auto r = renderer();
  ASSERT_TRUE(r);
  Encoder enc(generic_profile(80), r.get());
  PrintDoc doc;
  doc.paper = paper_for_mm(80);
  doc.ops = {TextLine{"姓名 𠮷田", {1, 1, false, Align::center}}, TextLine{"普通行", {}}, Cut{}};
  auto job = enc.encode(doc);
  EXPECT_EQ(job.raster_lines, 1);
  std::string err;
  auto printed = hallq::printer::testing::print_stream(job.bytes, &err);
  EXPECT_EQ(err, "");
  ASSERT_EQ(printed.size(), 1u);
  EXPECT_EQ(printed[0].text, "[image]\n普通行\n");
  // The image is not blank, and its ink sits in the middle (centred).
  const auto pos = job.bytes.find("\x1d\x76\x30");
  ASSERT_NE(pos, std::string::npos);
  int ink_left = 0, ink_mid = 0;
  const int xbytes = 72;
  const int rows = static_cast<unsigned char>(job.bytes[pos + 6]) + 256 * static_cast<unsigned char>(job.bytes[pos + 7]);
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < xbytes; ++x) {
      const unsigned char v = static_cast<unsigned char>(job.bytes[pos + 8 + static_cast<std::size_t>(y) * xbytes + x]);
      (x < 18 ? ink_left : ink_mid) += __builtin_popcount(v);
    }
  EXPECT_EQ(ink_left, 0);
  EXPECT_GT(ink_mid, 200);
}

struct StreamCase { const char* profile; const char* lang; bool all_text; };

TEST(PrinterStream, EveryByteIsAKnownCommandAndTheTextIsTheTickets) {
  auto profiles = load_profiles(std::string(HALLQ_ASSETS_DIR) + "/printer/profiles.json");
  ASSERT_TRUE(profiles);
  auto r = renderer();
  ASSERT_TRUE(r);
  const std::string node_modules = std::string(HALLQ_PRINTER_TEST_DIR) + "/node_modules/npos";
  ASSERT_TRUE(std::filesystem::exists(node_modules))
      << "npos is not installed: run scripts/setup (npm ci in tests/ticket-printer)";
  const StreamCase cases[] = {{"generic-80", "zh-CN", true},       {"generic-58", "zh-TW", true},
                              {"xprinter-xp58", "en", true},       {"epson-tm-t88", "zh-TW", true},
                              {"xprinter-xp58-old", "zh-CN", true}, {"epson-tm-t88-intl", "zh-CN", false}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.profile) + " " + c.lang);
    auto it = std::find_if(profiles->begin(), profiles->end(), [&](const auto& p) { return p.name == c.profile; });
    ASSERT_NE(it, profiles->end());
    PrintDoc doc = compose(layout(), sample(), c.lang, paper_for_mm(it->paper_mm), kBase);
    Encoder enc(*it, r.get());
    auto job = enc.encode(doc);
    std::vector<std::string> want;
    for (const auto& l : doc.text_lines()) {
      TextCodec codec(it->charset);
      if (codec.encode(codec.make_safe(l))) want.push_back(codec.make_safe(l));
    }
    if (c.all_text) {
      EXPECT_EQ(want.size(), doc.text_lines().size());
    }

    // Our tokeniser (the fake printer's).
    std::string err;
    auto printed = hallq::printer::testing::print_stream(job.bytes, &err);
    EXPECT_EQ(err, "");
    ASSERT_EQ(printed.size(), 1u);
    std::string ours;
    for (const auto& l : want) ours += l + "\n";
    std::string got;
    for (std::size_t p = 0; p < printed[0].text.size();) {  // drop image lines
      auto e = printed[0].text.find('\n', p);
      std::string line = printed[0].text.substr(p, e - p);
      if (line != "[image]") got += line + "\n";
      p = e + 1;
    }
    EXPECT_EQ(got, ours);
    if (it->qr) {
      EXPECT_EQ(printed[0].qr, ticket_url(kBase, "Q7d2kP9xVb"));
    }

    // npos, independently.
    const std::string bin = std::string(HALLQ_BINARY_DIR) + "/ticket-" + c.profile + ".bin";
    std::ofstream(bin, std::ios::binary) << job.bytes;
    int status = -1;
    const std::string out = run("node '" + std::string(HALLQ_PRINTER_TEST_DIR) + "/npos_check.js' '" + bin + "'", &status);
    ASSERT_EQ(status, 0) << out;
    auto j = nlohmann::json::parse(out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << out;
    EXPECT_TRUE(j["ok"].get<bool>()) << out;
    EXPECT_EQ(j["lines"].get<std::vector<std::string>>(), want);
    EXPECT_EQ(j["commands"]["ESC @"], 1);
    if (it->qr) {
      EXPECT_EQ(j["commands"]["GS (k"], 5);
    }
  }
}

TEST(PrinterStream, TokeniserRejectsWhatThePrinterWouldMisprint) {
  struct Case { std::string bytes; const char* error; };
  const Case cases[] = {
      {"\x1b\x40\xd7\xdb\n", "non-ASCII byte 0xD7 outside FS & ... FS ."},
      {"\x1b\x40\x1c\x26\x81\x30\x84\x36\n", "bad GB trail byte 0x30"},  // four-byte GB18030 ¥
      {"\x1b\x40\x07", "byte 0x07 is no known command"},
      {"\x1b\x40\x1b\x5a", "unknown ESC 0x5A"},
  };
  for (const auto& c : cases) {
    std::string err;
    hallq::printer::testing::print_stream(c.bytes, &err);
    EXPECT_NE(err.find(c.error), std::string::npos) << err;
  }
}

// An installer's typo in a layout or profile file is named by file, line and column, as the
// hall file's are; a missing file says why it cannot be read.
TEST(PrinterFiles, ABrokenFileIsNamedByLineAndColumn) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("hallq-printer-files-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "layout.json").string();
  std::ofstream(path) << "{\n  \"width\": 48,\n  \"lines\": [\n    {\"text\": \"号码\",}\n  ]\n}\n";
  auto l = load_layout(path);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().message.rfind(path + ": invalid JSON at line 4, column 19: ", 0), 0u) << l.error().message;
  auto p = load_profiles((dir / "missing.json").string());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "cannot read " + (dir / "missing.json").string() + ": No such file or directory");
  std::filesystem::remove_all(dir);
}
