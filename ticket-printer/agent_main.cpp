// hallq-printer: drives one kiosk's ticket printer. A thin main over hallq_printer_agent.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "hallq/printer/agent.h"
#include "hallq/printer/render.h"

using namespace hallq::printer;
using hallq::TimeMs;

namespace {

std::atomic<bool> g_stop{false};

const char* kUsage =
    "usage: hallq-printer --server http://HOST:PORT --token T --device SPEC [options]\n"
    "       hallq-printer --device SPEC --status        decoded printer status, then exit\n"
    "       hallq-printer --device SPEC --test-page     print every feature once, then exit\n"
    "       hallq-printer --preview OUT.png [--lang L]  draw a sample ticket, then exit\n"
    "SPEC: serial:/dev/ttyUSB0[:BAUD[:rtscts|xonxoff|none]] | usb:/dev/usb/lp0 | tcp:HOST[:9100] | file:PATH\n"
    "options:\n"
    "  --spool DIR        durable print queue (default ./hallq-printer-spool)\n"
    "  --paper 58|80      paper width (default: the profile's)\n"
    "  --profile NAME     printer model from profiles.json (default generic-80 / generic-58)\n"
    "  --profiles FILE    printer profiles (default assets/printer/profiles.json)\n"
    "  --layout FILE      ticket layout (default assets/printer/ticket-layout.json)\n"
    "  --font FILE        CJK font for raster lines and previews (default Noto Sans CJK)\n"
    "  --lang zh-CN|zh-TW|en   ticket language (default the layout's default_lang)\n"
    "  --base-url URL     QR target base, {URL}/t/{id} (default the --server URL)\n"
    "  --kiosk ID         print this kiosk's tickets (repeatable; default: the server's list)\n"
    "  --fail-after SEC   report a ticket failed if not printed within SEC (default 300)\n"
    "  --stale-after SEC  after an outage, skip tickets older than SEC (default 600)\n";

TimeMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int fail(const std::string& m) {
  std::fprintf(stderr, "hallq-printer: %s\n", m.c_str());
  return 1;
}

PrintDoc test_page(const Paper& paper, const PrinterProfile& profile, const std::string& device) {
  PrintDoc d;
  d.paper = paper;
  auto line = [&](std::string text, TextStyle s = {}) {
    for (auto& l : wrap_text(text, paper.columns / s.width)) d.ops.push_back(TextLine{l, s});
  };
  line("HallQ 打印机测试页", {1, 2, true, Align::center});
  line(std::string(static_cast<std::size_t>(paper.columns), '='));
  line("profile: " + profile.name + " (" + std::string(to_string(profile.charset)) + ")");
  line("device: " + device);
  line("paper: " + std::to_string(paper.mm) + " mm, " + std::to_string(paper.dots) + " dots, " +
       std::to_string(paper.columns) + " columns");
  line(std::string(static_cast<std::size_t>(paper.columns), '-'));
  for (int s = 1; s <= 4; ++s) line("A0" + std::to_string(s) + " x" + std::to_string(s), {s, s, s > 2, Align::center});
  line("left 左对齐", {1, 1, false, Align::left});
  line("center 居中", {1, 1, false, Align::center});
  line("right 右对齐", {1, 1, false, Align::right});
  line("bold 粗体", {1, 1, true, Align::left});
  line("简体：综合受理 不动产登记 社保医保");
  line("繁體：綜合受理 不動產登記 社保醫保");
  line("金额 ¥12.50 → ￥ (fallback)");
  line("生僻字 𠮷 (raster line)");
  line(std::string(static_cast<std::size_t>(paper.columns), '-'));
  d.ops.push_back(QrCode{"https://example.org/hallq/test-page", paper.mm == 58 ? 5 : 7, QrLevel::M, Align::center});
  line("QR: https://example.org/hallq/test-page", {1, 1, false, Align::center});
  d.ops.push_back(Cut{true});
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  std::string server, token, device, spool_dir = "hallq-printer-spool", profile_name, lang, base_url, font, preview;
  std::string profiles_path = std::string(HALLQ_ASSETS_DIR) + "/printer/profiles.json";
  std::string layout_path = std::string(HALLQ_ASSETS_DIR) + "/printer/ticket-layout.json";
  int paper = 0;
  long fail_after = 300, stale_after = 600;
  bool status_only = false, test = false;
  std::vector<std::string> kiosks;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) { std::fprintf(stderr, "hallq-printer: %s needs a value\n%s", a.c_str(), kUsage); std::exit(1); }
      return argv[++i];
    };
    if (a == "--server") server = val();
    else if (a == "--token") token = val();
    else if (a == "--device") device = val();
    else if (a == "--spool") spool_dir = val();
    else if (a == "--paper") paper = std::atoi(val().c_str());
    else if (a == "--profile") profile_name = val();
    else if (a == "--profiles") profiles_path = val();
    else if (a == "--layout") layout_path = val();
    else if (a == "--font") font = val();
    else if (a == "--lang") lang = val();
    else if (a == "--base-url") base_url = val();
    else if (a == "--kiosk") kiosks.push_back(val());
    else if (a == "--fail-after") fail_after = std::atol(val().c_str());
    else if (a == "--stale-after") stale_after = std::atol(val().c_str());
    else if (a == "--preview") preview = val();
    else if (a == "--status") status_only = true;
    else if (a == "--test-page") test = true;
    else if (a == "--help" || a == "-h") { std::fputs(kUsage, stdout); return 0; }
    else return fail("unknown option " + a + "\n" + kUsage);
  }
  if (paper != 0 && paper != 58 && paper != 80) return fail("--paper must be 58 or 80");
  if (!lang.empty() && !normalize_lang(lang)) return fail("--lang must be zh-CN, zh-TW or en");

  PrinterProfile profile = generic_profile(paper == 58 ? 58 : 80);
  if (!profile_name.empty()) {
    auto profiles = load_profiles(profiles_path);
    if (!profiles) return fail(profiles.error().message);
    auto it = std::find_if(profiles->begin(), profiles->end(), [&](const PrinterProfile& p) { return p.name == profile_name; });
    if (it == profiles->end()) {
      std::string names;
      for (const auto& p : *profiles) names += " " + p.name;
      return fail("no profile \"" + profile_name + "\" in " + profiles_path + "; there are:" + names);
    }
    profile = *it;
  }
  if (paper) profile.paper_mm = paper;

  auto layout = load_layout(layout_path);
  if (!layout) return fail(layout.error().message);

  // The renderer is optional for printing (without a CJK font, unprintable characters print '?').
  std::unique_ptr<Renderer> renderer;
  if (auto r = Renderer::open(font)) renderer = std::move(*r);
  else if (!preview.empty()) return fail(r.error().message);
  else std::fprintf(stderr, "hallq-printer: %s; lines the printer's font lacks will print as '?'\n", r.error().message.c_str());

  if (!preview.empty()) {
    TicketInfo t;
    t.id = "preview-0001";
    t.number = "A012";
    t.service = "A";
    t.service_name = {{"zh-CN", "综合受理"}, {"zh-TW", "綜合受理"}, {"en", "General Counter"}};
    t.hall_name = {{"zh-CN", "某某县行政服务中心"}, {"zh-TW", "某某縣行政服務中心"}, {"en", "Sample County Service Centre"}};
    t.ahead = 7;
    t.wait_min = 35;
    t.issued_at = now_ms();
    const PrintDoc doc = compose(*layout, t, lang.empty() ? layout->default_lang : lang, paper_for_mm(profile.paper_mm),
                                 base_url.empty() ? "http://hall.example" : base_url);
    auto s = write_png(renderer->render(doc, profile), preview);
    if (!s) return fail(s.error().message);
    std::printf("%s\n", preview.c_str());
    return 0;
  }

  if (device.empty()) return fail(std::string("--device is required\n") + kUsage);
  auto spec = parse_device_spec(device);
  if (!spec) return fail(spec.error().message);
  Printer printer(make_port(*spec), profile);

  if (status_only) {
    auto st = printer.query_status();
    std::printf("%s\n%s\n", std::string(to_string(st.status)).c_str(), st.detail.c_str());
    if (st.answered) {
      const auto& f = st.flags;
      std::printf("flags: offline=%d cover_open=%d paper_near_end=%d paper_end=%d cutter_error=%d "
                  "unrecoverable=%d auto_recoverable=%d\n",
                  f.offline, f.cover_open, f.paper_near_end, f.paper_end, f.cutter_error, f.unrecoverable_error,
                  f.auto_recoverable_error);
    }
    return blocks_printing(st.status) ? 2 : 0;
  }
  if (test) {
    Encoder enc(profile, renderer.get());
    auto job = enc.encode(test_page(paper_for_mm(profile.paper_mm), profile, spec->to_string()));
    auto r = printer.send(job);
    if (r.outcome != JobOutcome::printed) return fail("test page not printed: " + r.reason);
    std::printf("test page sent (%zu bytes); printer says: %s\n", job.bytes.size(), std::string(to_string(r.status.status)).c_str());
    return 0;
  }

  if (server.empty() || token.empty()) return fail(std::string("--server and --token are required\n") + kUsage);
  AgentOptions ao;
  if (!parse_server_url(server, ao.server_host, ao.server_port)) return fail("--server must look like http://HOST:PORT");
  ao.token = token;
  ao.base_url = base_url.empty() ? "http://" + ao.server_host + ":" + std::to_string(ao.server_port) : base_url;
  ao.lang = lang;
  ao.kiosks = kiosks;
  ao.stale_after_ms = stale_after * 1000;

  auto spool = Spool::open(spool_dir);
  if (!spool) return fail(spool.error().message);
  std::fprintf(stderr, "hallq-printer: %s, profile %s, spool %s (%zu waiting)\n", spec->to_string().c_str(),
               profile.name.c_str(), spool_dir.c_str(), (*spool)->waiting());

  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGPIPE, SIG_IGN);

  Agent* agent_ptr = nullptr;
  PrintServiceOptions so;
  so.fail_after_ms = fail_after * 1000;
  so.base_url = ao.base_url;
  PrintEvents ev;
  ev.status_changed = [&](DeviceStatus s, const std::string& detail) {
    std::fprintf(stderr, "hallq-printer: status %s: %s\n", std::string(to_string(s)).c_str(), detail.c_str());
    if (agent_ptr) agent_ptr->post({{"type", "device_status"}, {"status", to_string(s)}, {"detail", detail}});
  };
  ev.job_failed = [&](const SpoolJob& j, const std::string& reason) {
    std::fprintf(stderr, "hallq-printer: ticket %s failed: %s\n", j.ticket.number.c_str(), reason.c_str());
    if (agent_ptr) agent_ptr->post({{"type", "print_failed"}, {"ticket_id", j.ticket.id}, {"reason", reason}});
  };
  PrintService service(**spool, printer, renderer.get(), *layout, so, ev, now_ms);
  Agent agent(ao, **spool, service, now_ms);
  agent_ptr = &agent;
  service.start();
  agent.run(g_stop);
  service.stop();
  return 0;
}
