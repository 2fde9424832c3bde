// Real ports against fake printers: a pseudo-terminal (serial) and a TCP socket on 127.0.0.1.
// The print service, spool and printer driver are the agent's own; the fake printer scripts
// paper out, stalls and disconnects mid-job, and every test ends by checking that each
// ticket came out complete exactly once.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "fake_printer.h"
#include "hallq/printer/agent.h"
#include "hallq/printer/render.h"

using namespace hallq::printer;
using namespace std::chrono_literals;
using hallq::TimeMs;
using testing_fake = hallq::printer::testing::FakePrinter;

namespace {

TimeMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("hallq-printer-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(now_ms()));
  std::filesystem::remove_all(d);
  return d.string();
}

TicketLayout shipped_layout() {
  auto l = load_layout(std::string(HALLQ_ASSETS_DIR) + "/printer/ticket-layout.json");
  EXPECT_TRUE(l);
  return *l;
}

TicketInfo ticket(int n) {
  TicketInfo t;
  t.id = "tk" + std::to_string(1000 + n);
  t.number = "A" + std::to_string(100 + n);
  t.service = "A";
  t.service_name = {{"zh-CN", "综合受理"}};
  t.hall_name = {{"zh-CN", "某某县行政服务中心"}};
  t.ahead = n;
  t.wait_min = 5 * n;
  t.issued_at = now_ms();
  return t;
}

// Counts each ticket (by its QR payload) that came out complete.
std::map<std::string, int> copies(const testing_fake& f) {
  std::map<std::string, int> m;
  for (const auto& t : f.tickets()) m[t.qr]++;
  return m;
}

struct Recorder {
  std::mutex mu;
  std::vector<DeviceStatus> statuses;
  std::vector<std::string> failed;
  PrintEvents events() {
    PrintEvents e;
    e.status_changed = [this](DeviceStatus s, const std::string&) { std::lock_guard l(mu); statuses.push_back(s); };
    e.job_failed = [this](const SpoolJob& j, const std::string&) { std::lock_guard l(mu); failed.push_back(j.ticket.id); };
    return e;
  }
  bool saw(DeviceStatus s) { std::lock_guard l(mu); return std::count(statuses.begin(), statuses.end(), s) > 0; }
};

template <typename F>
bool eventually(F f, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

PrintServiceOptions fast_options() {
  PrintServiceOptions o;
  o.poll_interval = 200ms;
  o.retry_interval = 100ms;
  o.fail_after_ms = 60'000;
  o.base_url = "http://hall.test:8080";
  return o;
}

PrinterOptions fast_printer() {
  PrinterOptions o;
  o.write_timeout = 500ms;
  o.status_timeout = 200ms;
  o.max_print_wait = 300ms;
  return o;
}

std::string url(int n) { return "http://hall.test:8080/t/tk" + std::to_string(1000 + n); }

}  // namespace

TEST(PrinterPty, StatusAnswersDecoded) {
  auto fake = testing_fake::on_pty();
  ASSERT_TRUE(fake);
  Printer p(make_port(*parse_device_spec("serial:" + fake->slave_path() + ":19200:none")), generic_profile(80),
            fast_printer());
  EXPECT_EQ(p.query_status().status, DeviceStatus::ok);
  fake->set_state(testing_fake::State::paper_out);
  auto st = p.query_status();
  EXPECT_TRUE(st.answered);
  EXPECT_EQ(st.status, DeviceStatus::paper_out);
  EXPECT_TRUE(st.flags.paper_end && st.flags.offline && st.flags.paper_near_end);
  fake->set_state(testing_fake::State::cover_open);
  EXPECT_EQ(p.query_status().status, DeviceStatus::cover_open);
  fake->set_state(testing_fake::State::offline_silent);
  st = p.query_status();
  EXPECT_FALSE(st.answered);
  EXPECT_EQ(st.status, DeviceStatus::offline);
  fake->set_state(testing_fake::State::healthy);
  EXPECT_EQ(p.query_status().status, DeviceStatus::ok);  // late answers were drained, not misread
  EXPECT_EQ(fake->error(), "");
}

TEST(PrinterPty, SerialPortIsRaw8N1WithTheAskedFlowControl) {
  auto fake = testing_fake::on_pty();
  ASSERT_TRUE(fake);
  struct Case { const char* opts; speed_t speed; bool rtscts; bool xonxoff; };
  const Case cases[] = {{":19200:rtscts", B19200, true, false}, {":9600:xonxoff", B9600, false, true},
                        {":115200", B115200, false, false}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.opts);
    auto port = make_port(*parse_device_spec("serial:" + fake->slave_path() + c.opts));
    ASSERT_TRUE(port->open());
    // termios belongs to the device: look at it through a second descriptor.
    const int fd = ::open(fake->slave_path().c_str(), O_RDWR | O_NOCTTY);
    ASSERT_GE(fd, 0);
    termios t{};
    ASSERT_EQ(::tcgetattr(fd, &t), 0);
    ::close(fd);
    EXPECT_EQ(::cfgetospeed(&t), c.speed);
    EXPECT_EQ(t.c_cflag & CSIZE, static_cast<tcflag_t>(CS8));
    EXPECT_FALSE(t.c_cflag & PARENB);
    EXPECT_FALSE(t.c_cflag & CSTOPB);
    EXPECT_FALSE(t.c_lflag & (ICANON | ECHO | ISIG));  // raw: bytes pass untouched
    EXPECT_FALSE(t.c_oflag & OPOST);                     // no LF -> CR LF
    EXPECT_EQ(static_cast<bool>(t.c_cflag & CRTSCTS), c.rtscts);
    EXPECT_EQ(static_cast<bool>(t.c_iflag & IXON), c.xonxoff);
    port->close();
  }
}

// usblp's write() would block forever on a stalled printer; the port must not.
TEST(PrinterPty, UsbPortNeverBlocksOnAStalledPrinter) {
  auto fake = testing_fake::on_pty();
  ASSERT_TRUE(fake);
  fake->set_stalled(true);
  auto port = make_port(*parse_device_spec("usb:" + fake->slave_path()));
  ASSERT_TRUE(port->open());
  const std::string big(256 * 1024, 'x');
  const auto t0 = std::chrono::steady_clock::now();
  auto r = port->write(big, 300ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.kind, IoResult::Kind::timeout);
  EXPECT_LT(r.bytes, big.size());
  EXPECT_NE(r.message.find("stalled"), std::string::npos) << r.message;
  EXPECT_LT(took, 2s);
  Printer p(std::move(port), generic_profile(80), fast_printer());
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(p.query_status().status, DeviceStatus::offline);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 3s);
  EXPECT_FALSE(p.port().lp_status().has_value());  // not a usblp device: no LPGETSTATUS
}

// A USB-serial adapter unplugged and plugged back comes back as a new tty; the stable name
// (a udev SYMLINK or /dev/serial/by-id) then points at it. The agent reopens by that name.
TEST(PrinterPty, AdapterReplugUnderAStableNameIsReopened) {
  const std::string dir = temp_dir("replug");
  std::filesystem::create_directories(dir);
  const std::string link = dir + "/hallq-printer";
  auto fake1 = testing_fake::on_pty();
  ASSERT_TRUE(fake1);
  std::filesystem::create_symlink(fake1->slave_path(), link);
  auto spool = Spool::open(dir + "/spool");
  ASSERT_TRUE(spool);
  Printer printer(make_port(*parse_device_spec("serial:" + link + ":19200")), generic_profile(80), fast_printer());
  Recorder rec;
  PrintService svc(**spool, printer, nullptr, shipped_layout(), fast_options(), rec.events(), now_ms);
  svc.start();
  ASSERT_TRUE((*spool)->add_ticket(ticket(1), "zh-CN", now_ms()));
  svc.wake();
  ASSERT_TRUE(fake1->wait_for_tickets(1, 10s));
  ASSERT_TRUE(eventually([&] { return (*spool)->waiting() == 0; }, 5s));

  fake1.reset();  // unplugged
  std::filesystem::remove(link);
  ASSERT_TRUE(eventually([&] { return svc.status() == DeviceStatus::offline; }, 10s));
  ASSERT_TRUE((*spool)->add_ticket(ticket(2), "zh-CN", now_ms()));
  svc.wake();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ((*spool)->waiting(), 1u);  // kept while the printer is gone

  auto fake2 = testing_fake::on_pty();  // plugged back in, maybe as another tty
  ASSERT_TRUE(fake2);
  std::filesystem::create_symlink(fake2->slave_path(), link);
  ASSERT_TRUE(fake2->wait_for_tickets(1, 10s));
  ASSERT_TRUE(eventually([&] { return (*spool)->waiting() == 0; }, 5s));
  svc.stop();
  EXPECT_EQ(fake2->tickets().size(), 1u);
  EXPECT_EQ(fake2->tickets()[0].qr, url(2));
  EXPECT_TRUE(rec.saw(DeviceStatus::ok));
  std::filesystem::remove_all(dir);
}

TEST(PrinterPty, PaperOutMidTicketThenBackPrintsEveryTicketOnce) {
  auto fake = testing_fake::on_pty();
  ASSERT_TRUE(fake);
  const std::string dir = temp_dir("paper");
  auto spool = Spool::open(dir);
  ASSERT_TRUE(spool);
  for (int i = 1; i <= 5; ++i) ASSERT_EQ(*(*spool)->add_ticket(ticket(i), "zh-CN", now_ms()), Enqueued::queued);
  // Paper runs out in the middle of the second ticket.
  Encoder probe(generic_profile(80), nullptr);
  const auto one = probe.encode(compose(shipped_layout(), ticket(1), "zh-CN", paper_for_mm(80), "http://hall.test:8080"));
  fake->paper_out_after(one.bytes.size() + one.bytes.size() / 2);

  Printer printer(make_port(*parse_device_spec("serial:" + fake->slave_path() + ":19200:rtscts")), generic_profile(80),
                  fast_printer());
  Recorder rec;
  PrintService svc(**spool, printer, nullptr, shipped_layout(), fast_options(), rec.events(), now_ms);
  svc.start();
  ASSERT_TRUE(eventually([&] { return rec.saw(DeviceStatus::paper_out); }, 10s));
  std::this_thread::sleep_for(400ms);  // staff fetch a roll
  EXPECT_EQ(fake->tickets().size(), 1u);
  EXPECT_EQ((*spool)->waiting(), 4u);
  fake->set_state(testing_fake::State::healthy);
  ASSERT_TRUE(fake->wait_for_tickets(5, 20s)) << fake->tickets().size() << " tickets";
  ASSERT_TRUE(eventually([&] { return (*spool)->waiting() == 0; }, 5s));
  svc.stop();

  auto c = copies(*fake);
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(c[url(i)], 1) << "ticket " << i;
  EXPECT_EQ(fake->tickets().size(), 5u);
  EXPECT_GE(fake->clears(), 1);     // the half-printed ticket was dropped by DLE ENQ 2...
  EXPECT_GE(fake->fragments(), 1);  // ...and only its torn-off start is on the old roll
  EXPECT_EQ(fake->error(), "");
  EXPECT_TRUE(rec.saw(DeviceStatus::ok));
  // In print order, and the text is the ticket's.
  EXPECT_EQ(fake->tickets()[0].qr, url(1));
  EXPECT_NE(fake->tickets()[1].text.find("A102"), std::string::npos);
  EXPECT_NE(fake->tickets()[1].text.find("前面还有 2 人"), std::string::npos) << fake->tickets()[1].text;
  std::filesystem::remove_all(dir);
}

// Why the clear matters: a printer that ignores DLE ENQ 2 (clear_on_recover false, as for the
// Xprinter profiles) finishes the half-printed ticket when paper is back, and the resend makes a
// second copy. Documented in docs/printer.md; this also shows the test above can fail.
TEST(PrinterPty, WithoutBufferClearTheInterruptedTicketComesOutTwice) {
  auto fake = testing_fake::on_pty();
  ASSERT_TRUE(fake);
  const std::string dir = temp_dir("noclear");
  auto spool = Spool::open(dir);
  ASSERT_TRUE(spool);
  for (int i = 1; i <= 2; ++i) ASSERT_TRUE((*spool)->add_ticket(ticket(i), "zh-CN", now_ms()));
  Encoder probe(generic_profile(80), nullptr);
  const auto one = probe.encode(compose(shipped_layout(), ticket(1), "zh-CN", paper_for_mm(80), "http://hall.test:8080"));
  fake->paper_out_after(one.bytes.size() + one.bytes.size() / 2);
  PrinterProfile profile = generic_profile(80);
  profile.clear_on_recover = false;
  Printer printer(make_port(*parse_device_spec("serial:" + fake->slave_path() + ":19200")), profile, fast_printer());
  Recorder rec;
  PrintService svc(**spool, printer, nullptr, shipped_layout(), fast_options(), rec.events(), now_ms);
  svc.start();
  ASSERT_TRUE(eventually([&] { return rec.saw(DeviceStatus::paper_out); }, 10s));
  std::this_thread::sleep_for(300ms);
  fake->set_state(testing_fake::State::healthy);
  ASSERT_TRUE(fake->wait_for_tickets(3, 20s));
  ASSERT_TRUE(eventually([&] { return (*spool)->waiting() == 0; }, 5s));
  svc.stop();
  EXPECT_EQ(copies(*fake)[url(2)], 2);
  EXPECT_EQ(fake->clears(), 0);
  std::filesystem::remove_all(dir);
}

TEST(PrinterPty, StallMidJobThenRecoveryPrintsEveryTicketOnce) {
  auto fake = testing_fake::on_pty();
  ASSERT_TRUE(fake);
  auto renderer = Renderer::open();
  ASSERT_TRUE(renderer) << renderer.error().message;
  // A printer without a Chinese font: every Chinese line goes as an image, so one ticket is
  // far larger than the pty's buffer and the stall really blocks the writer.
  PrinterProfile profile = generic_profile(80);
  profile.charset = Charset::ascii;
  TicketLayout layout = shipped_layout();
  std::string footer;
  for (int i = 0; i < 120; ++i) footer += "请留意叫号过号请重新取号";
  layout.footer = {{"zh-CN", footer}};
  const std::string dir = temp_dir("stall");
  auto spool = Spool::open(dir);
  ASSERT_TRUE(spool);
  for (int i = 1; i <= 2; ++i) ASSERT_TRUE((*spool)->add_ticket(ticket(i), "zh-CN", now_ms()));
  fake->stall_after(30'000);

  Printer printer(make_port(*parse_device_spec("serial:" + fake->slave_path() + ":115200:none")), profile,
                  fast_printer());
  Recorder rec;
  PrintService svc(**spool, printer, renderer->get(), layout, fast_options(), rec.events(), now_ms);
  svc.start();
  ASSERT_TRUE(eventually([&] { return fake->stalled() && rec.saw(DeviceStatus::offline); }, 20s));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(fake->tickets().size(), 0u);
  fake->set_stalled(false);
  ASSERT_TRUE(fake->wait_for_tickets(2, 60s)) << fake->tickets().size();
  ASSERT_TRUE(eventually([&] { return (*spool)->waiting() == 0; }, 10s));
  svc.stop();
  auto c = copies(*fake);
  EXPECT_EQ(c[url(1)], 1);
  EXPECT_EQ(c[url(2)], 1);
  EXPECT_EQ(fake->tickets().size(), 2u);
  EXPECT_GE(fake->fragments(), 1);
  EXPECT_EQ(fake->error(), "");
  std::filesystem::remove_all(dir);
}

TEST(PrinterTcp, DisconnectMidJobReconnectsAndPrintsEveryTicketOnce) {
  auto fake = testing_fake::on_tcp();
  ASSERT_TRUE(fake);
  const std::string dir = temp_dir("tcp");
  auto spool = Spool::open(dir);
  ASSERT_TRUE(spool);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE((*spool)->add_ticket(ticket(i), "zh-CN", now_ms()));
  fake->disconnect_after(700);  // in the middle of the first ticket
  Printer printer(make_port(*parse_device_spec("tcp:127.0.0.1:" + std::to_string(fake->port()))), generic_profile(80),
                  fast_printer());
  Recorder rec;
  PrintService svc(**spool, printer, nullptr, shipped_layout(), fast_options(), rec.events(), now_ms);
  svc.start();
  ASSERT_TRUE(fake->wait_for_tickets(3, 20s)) << fake->tickets().size();
  ASSERT_TRUE(eventually([&] { return (*spool)->waiting() == 0; }, 5s));
  svc.stop();
  auto c = copies(*fake);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(c[url(i)], 1) << i;
  EXPECT_EQ(fake->tickets().size(), 3u);
  EXPECT_GE(fake->fragments(), 1);
  EXPECT_EQ(fake->error(), "");
  std::filesystem::remove_all(dir);
}

TEST(PrinterTcp, NobodyListeningIsOfflineWithAClearMessage) {
  auto fake = testing_fake::on_tcp();
  const int port = fake->port();
  fake.reset();  // closed: connection refused
  Printer p(make_port(*parse_device_spec("tcp:127.0.0.1:" + std::to_string(port))), generic_profile(80), fast_printer());
  auto st = p.query_status();
  EXPECT_EQ(st.status, DeviceStatus::offline);
  EXPECT_NE(st.detail.find("refused"), std::string::npos) << st.detail;
}

TEST(PrinterSpool, SurvivesRestartWhilePrinterIsOutOfPaper) {
  auto fake = testing_fake::on_pty();
  ASSERT_TRUE(fake);
  fake->set_state(testing_fake::State::paper_out);
  const std::string dir = temp_dir("restart");
  const std::string spec = "serial:" + fake->slave_path() + ":9600";
  {
    auto spool = Spool::open(dir);
    ASSERT_TRUE(spool);
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE((*spool)->add_ticket(ticket(i), "zh-CN", now_ms()));
    Printer printer(make_port(*parse_device_spec(spec)), generic_profile(80), fast_printer());
    Recorder rec;
    PrintService svc(**spool, printer, nullptr, shipped_layout(), fast_options(), rec.events(), now_ms);
    svc.start();
    ASSERT_TRUE(eventually([&] { return rec.saw(DeviceStatus::paper_out); }, 5s));
    svc.stop();  // the agent is restarted (or the kiosk PC rebooted)
  }
  EXPECT_EQ(fake->tickets().size(), 0u);
  fake->set_state(testing_fake::State::healthy);
  auto spool = Spool::open(dir);
  ASSERT_TRUE(spool);
  EXPECT_EQ((*spool)->waiting(), 3u);
  Printer printer(make_port(*parse_device_spec(spec)), generic_profile(80), fast_printer());
  Recorder rec;
  PrintService svc(**spool, printer, nullptr, shipped_layout(), fast_options(), rec.events(), now_ms);
  svc.start();
  ASSERT_TRUE(fake->wait_for_tickets(3, 10s));
  ASSERT_TRUE(eventually([&] { return (*spool)->waiting() == 0; }, 5s));

  // Retries of the first request are no-ops; a reprint prints once per request id.
  EXPECT_EQ(*(*spool)->add_ticket(ticket(2), "zh-CN", now_ms()), Enqueued::duplicate);
  EXPECT_EQ(*(*spool)->add_reprint(ticket(2), "zh-CN", "r-1", now_ms()), Enqueued::queued);
  EXPECT_EQ(*(*spool)->add_reprint(ticket(2), "zh-CN", "r-1", now_ms()), Enqueued::duplicate);
  svc.wake();
  ASSERT_TRUE(fake->wait_for_tickets(4, 10s));
  ASSERT_TRUE(eventually([&] { return (*spool)->waiting() == 0; }, 5s));
  EXPECT_EQ(*(*spool)->add_reprint(ticket(2), "zh-CN", "r-1", now_ms()), Enqueued::duplicate);  // after printing too
  svc.stop();
  auto c = copies(*fake);
  EXPECT_EQ(c[url(1)], 1);
  EXPECT_EQ(c[url(2)], 2);
  EXPECT_EQ(c[url(3)], 1);
  EXPECT_NE(fake->tickets().back().text.find("（补打）"), std::string::npos) << fake->tickets().back().text;
  // The printed record outlives another restart.
  auto again = Spool::open(dir);
  ASSERT_TRUE(again);
  EXPECT_TRUE((*again)->was_printed("tk1002"));
  EXPECT_EQ(*(*again)->add_reprint(ticket(2), "zh-CN", "r-1", now_ms()), Enqueued::duplicate);
  std::filesystem::remove_all(dir);
}

TEST(PrinterSpool, JobFailsAfterTheLimitAndAReprintBringsItBack) {
  auto fake = testing_fake::on_pty();
  ASSERT_TRUE(fake);
  fake->set_state(testing_fake::State::cover_open);
  const std::string dir = temp_dir("fail");
  auto spool = Spool::open(dir);
  ASSERT_TRUE(spool);
  ASSERT_TRUE((*spool)->add_ticket(ticket(1), "zh-CN", now_ms()));
  Printer printer(make_port(*parse_device_spec("serial:" + fake->slave_path())), generic_profile(80), fast_printer());
  Recorder rec;
  auto opts = fast_options();
  opts.fail_after_ms = 300;
  PrintService svc(**spool, printer, nullptr, shipped_layout(), opts, rec.events(), now_ms);
  svc.start();
  ASSERT_TRUE(eventually([&] { std::lock_guard l(rec.mu); return !rec.failed.empty(); }, 5s));
  std::this_thread::sleep_for(300ms);
  {
    std::lock_guard l(rec.mu);
    EXPECT_EQ(rec.failed, std::vector<std::string>{"tk1001"});  // reported once, not every retry
  }
  EXPECT_TRUE(rec.saw(DeviceStatus::cover_open));
  EXPECT_EQ((*spool)->waiting(), 0u);  // failed jobs wait for a person, not for the printer
  fake->set_state(testing_fake::State::healthy);
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(fake->tickets().size(), 0u);
  EXPECT_EQ(*(*spool)->add_reprint(ticket(1), "zh-CN", "", now_ms()), Enqueued::requeued);
  svc.wake();
  ASSERT_TRUE(fake->wait_for_tickets(1, 10s));
  svc.stop();
  EXPECT_EQ(copies(*fake)[url(1)], 1);
  // It never printed before, so this copy is not marked as a reprint.
  EXPECT_EQ(fake->tickets()[0].text.find("补打"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(PrinterAgent, ServerMessagesBecomeJobsForOurKiosksOnly) {
  const std::string dir = temp_dir("agent");
  auto spool = Spool::open(dir);
  ASSERT_TRUE(spool);
  Printer printer(make_port(*parse_device_spec("file:" + dir + "/out.bin")), generic_profile(80), fast_printer());
  PrintService svc(**spool, printer, nullptr, shipped_layout(), fast_options(), {}, now_ms);
  AgentOptions ao;
  ao.server_host = "127.0.0.1";
  Agent agent(ao, **spool, svc, now_ms);
  using nlohmann::json;
  agent.handle(json{{"type", "welcome"}, {"role", "printer"}, {"name", "printer-1"}, {"kiosks", {"kiosk-1"}}});
  const TimeMs now = now_ms();
  auto t = [&](std::string id, std::string by, TimeMs at, std::string state = "waiting") {
    return json{{"id", id}, {"number", "A001"}, {"service", "A"}, {"state", state}, {"class", "normal"},
                {"issued_at", at}, {"issued_by", by}};
  };
  agent.handle(json{{"type", "snapshot"}, {"seq", 10},
                    {"hall", {{"name", {{"zh_cn", "某某县行政服务中心"}, {"zh_tw", "某某縣"}, {"en", "County"}}},
                              {"utc_offset_min", 7 * 60}}},
                    {"services", {{{"code", "A"}, {"name", {{"zh_cn", "综合受理"}, {"en", "General"}}}, {"waiting", 3}}}},
                    {"tickets", {t("fresh1", "kiosk-1", now - 60'000), t("stale1", "kiosk-1", now - 11 * 60'000),
                                 t("other1", "kiosk-2", now), t("called1", "kiosk-1", now, "called")}}});
  EXPECT_TRUE((*spool)->has_job_for("fresh1"));
  EXPECT_FALSE((*spool)->has_job_for("stale1"));   // older than 10 minutes: not printed after an outage
  EXPECT_FALSE((*spool)->has_job_for("other1"));   // another kiosk's printer prints it
  EXPECT_FALSE((*spool)->has_job_for("called1"));  // already called: no ticket needed
  agent.handle(json{{"type", "event"}, {"seq", 11}, {"event", "ticket_issued"}, {"ticket", t("new1", "kiosk-1", now)},
                    {"load", {{"service", "A"}, {"waiting", 4}, {"estimated_wait_s", 610}}}});
  auto info = (*spool)->ticket("new1");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->ahead, 3);
  EXPECT_EQ(info->wait_min, 11);
  EXPECT_EQ(info->service_name.at("zh-CN"), "综合受理");
  EXPECT_EQ(info->hall_name.at("zh-TW"), "某某縣");
  EXPECT_EQ(info->utc_offset_min, 7 * 60);  // the hall's clock, not China's by default
  // The same event again (a replay after reconnect) does not queue a second copy.
  agent.handle(json{{"type", "event"}, {"seq", 11}, {"event", "ticket_issued"}, {"ticket", t("new1", "kiosk-1", now)}});
  EXPECT_EQ((*spool)->waiting(), 2u);
  agent.handle(json{{"type", "reprint"}, {"ticket_id", "new1"}, {"request_id", "x"}});
  agent.handle(json{{"type", "reprint"}, {"ticket_id", "new1"}, {"request_id", "x"}});
  EXPECT_EQ((*spool)->waiting(), 2u);  // not printed yet: the visitor still gets one ticket
  // The server's shape: the whole ticket. Another kiosk's ticket is another printer's job.
  agent.handle(json{{"type", "reprint"}, {"request_id", "y"}, {"ticket", t("other1", "kiosk-2", now)}});
  EXPECT_FALSE((*spool)->has_job_for("other1"));
  agent.handle(json{{"type", "reprint"}, {"request_id", "z"}, {"ticket", t("old1", "kiosk-1", now - 3'600'000)}});
  EXPECT_TRUE((*spool)->has_job_for("old1"));  // explicit reprints are never "stale"
  agent.handle(json{{"type", "error"}, {"error", {{"code", "bad_request"}, {"message", "unknown message type"}}}});
  std::string host;
  int port = 0;
  EXPECT_TRUE(parse_server_url("http://10.0.0.5:8080", host, port));
  EXPECT_EQ(host, "10.0.0.5");
  EXPECT_EQ(port, 8080);
  EXPECT_FALSE(parse_server_url("https://x", host, port));
  std::filesystem::remove_all(dir);
}
