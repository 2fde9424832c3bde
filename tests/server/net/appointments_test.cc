// 预约 against a real server on 127.0.0.1: booking over HTTP and WebSocket with the roles the
// contract names, the kiosk check-in (a retry is one ticket, a second code use is 409), codes
// kept from display subscribers, the QR SVG, the missed timer on a fake clock, and a restart
// that remembers bookings and capacity.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <vector>

#include "hallq/commands.h"

#include "server_fixture.h"

namespace hallq::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kBookingToken = "booking-token-0001-abcdef";
constexpr TimeMs kMin = 60'000;
// The fake clock starts at 2026-11-27 10:00 Beijing time; B's slots tile 00:00-24:00.
constexpr TimeMs kTen = 1795744800000;
constexpr TimeMs kSlot = kTen + 30 * kMin;  // 10:30

std::shared_ptr<const HallConfig> appointment_hall() {
  return small_hall([](HallConfig& c) {
    for (auto& s : c.services)
      if (s.code == "B") s.appointments = AppointmentConfig{30, 2, 7};
    DeviceConfig portal;
    portal.id = "portal";
    portal.kind = DeviceKind::booking;
    portal.token = kBookingToken;
    c.devices.push_back(portal);
  });
}

class AppointmentsTest : public ServerFixture {
 protected:
  void start_hall() {
    net::ServerOptions o;
    o.clock = clock_.fn();
    start(o, appointment_hall());
  }
  client::HttpResult book(const std::string& rid, const std::string& token, TimeMs slot = kSlot) {
    auto c = http();
    return c.post("/api/appointments", {{"request_id", rid}, {"service", "B"}, {"slot_start", slot}}, token);
  }
  std::string book_code(const std::string& rid, const std::string& token) {
    auto r = book(rid, token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["appointment"].value("code", "");
  }
  client::HttpResult check_in(const std::string& rid, const std::string& code) {
    auto c = http();
    return c.post("/api/tickets", {{"request_id", rid}, {"appointment_code", code}}, kKioskToken);
  }

  FakeClock clock_;
};

TEST_F(AppointmentsTest, BookCheckInOnceAndKeepTheCodeFromDisplays) {
  start_hall();
  const std::string admin = login("admin", "admin-pass");
  const std::string zhang = login("zhang", "zhang-pass");
  client::WsClient display, admin_ws;
  json display_snap = hello(display, kDisplayToken);
  json admin_snap = hello(admin_ws, admin);
  EXPECT_FALSE(display_snap.contains("appointments"));
  EXPECT_EQ(admin_snap["appointments"], (json{{"today_booked", 0}, {"checked_in", 0}, {"missed", 0}}));

  auto booked = book("b1", admin);
  ASSERT_EQ(booked.status, 201) << booked.body;
  const json a = booked.json()["appointment"];  // json() parses a new value each call
  const std::string code = a["code"];
  EXPECT_TRUE(is_appointment_code(code)) << code;
  EXPECT_EQ(a["state"], "booked");
  EXPECT_EQ(a["slot_start"], kSlot);
  EXPECT_EQ(a["slot_end"], kSlot + 30 * kMin);
  EXPECT_EQ(a["date"], "2026-11-27");
  EXPECT_EQ(booked.json()["qr"], code);
  EXPECT_EQ(booked.json()["qr_svg"], "/api/appointments/" + code + "/qr.svg");
  // The same request again is the same booking, not a second one.
  auto retried = book("b1", admin);
  EXPECT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.json()["appointment"]["code"], code);

  auto to_display = next_event(display, "appointment_booked");
  ASSERT_TRUE(to_display.has_value());
  EXPECT_FALSE((*to_display)["appointment"].contains("code")) << to_display->dump();
  EXPECT_EQ((*to_display)["appointment"]["slot_start"], kSlot);
  auto to_admin = next_event(admin_ws, "appointment_booked");
  ASSERT_TRUE(to_admin.has_value());
  EXPECT_EQ((*to_admin)["appointment"]["code"], code);

  // Who may book: a clerk may not; the booking portal may; the slot holds two.
  auto by_clerk = book("z1", zhang);
  EXPECT_EQ(by_clerk.status, 403) << by_clerk.body;
  EXPECT_EQ(by_clerk.json()["error"]["code"], "forbidden");
  auto by_kiosk = book("k0", kKioskToken);
  EXPECT_EQ(by_kiosk.status, 403) << by_kiosk.body;
  const std::string second = book_code("p1", kBookingToken);
  auto full = book("p2", kBookingToken);
  EXPECT_EQ(full.status, 409) << full.body;
  EXPECT_EQ(full.json()["error"]["code"], "slot_full");
  auto off_boundary = book("p3", kBookingToken, kSlot + 10 * kMin);
  EXPECT_EQ(off_boundary.status, 400);
  EXPECT_NE(off_boundary.json()["error"]["message"].get<std::string>().find("is not a slot of service B"),
            std::string::npos);
  auto no_service = http().post("/api/appointments", {{"request_id", "p4"}, {"service", "Z"}, {"slot_start", kSlot}},
                                kBookingToken);
  EXPECT_EQ(no_service.status, 404);

  auto c = http();
  auto slots = c.get("/api/appointments/slots?service=B&date=2026-11-27", kKioskToken);
  ASSERT_EQ(slots.status, 200) << slots.body;
  EXPECT_EQ(slots.json()["slots"].size(), 48u);
  EXPECT_EQ(slots.json()["slots"][21], (json{{"start", kSlot}, {"end", kSlot + 30 * kMin}, {"capacity", 2}, {"booked", 2}}));
  EXPECT_EQ(c.get("/api/appointments/slots?service=B&date=2026-11-27", kDisplayToken).status, 403);
  EXPECT_EQ(c.get("/api/appointments/slots?service=B&day=2026-11-27", kKioskToken).status, 400);
  auto one = c.get("/api/appointments/" + second, kBookingToken);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()["appointment"]["booked_by"], "portal");
  EXPECT_EQ(c.get("/api/appointments/" + second, kKioskToken).status, 403);
  EXPECT_EQ(c.get("/api/appointments/12345x", admin).status, 400);

  // The kiosk checks in: a retry of the same request is the same ticket; another request is 409.
  auto in = check_in("k1", code);
  ASSERT_EQ(in.status, 201) << in.body;
  const json ticket = in.json()["ticket"];
  EXPECT_EQ(ticket["class"], "appointment");
  EXPECT_EQ(ticket["appointment_at"], kSlot);
  EXPECT_EQ(ticket["service"], "B");
  EXPECT_EQ(in.json()["appointment"]["state"], "checked_in");
  EXPECT_EQ(in.json()["appointment"]["number"], ticket["number"]);
  EXPECT_TRUE(in.json().contains("ahead"));
  auto again = check_in("k1", code);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["ticket"]["id"], ticket["id"]);
  auto other = check_in("k2", code);
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_EQ(other.json()["error"]["code"], "already_checked_in");
  EXPECT_NE(other.json()["error"]["message"].get<std::string>().find(ticket["number"].get<std::string>()),
            std::string::npos);
  EXPECT_EQ(state(admin)["services"][1]["issued_today"], 1);  // one ticket for B

  // The check-in is the usual ticket_issued, then appointment_checked_in; still no code on screens.
  auto issued = next_event(display, "ticket_issued");
  ASSERT_TRUE(issued.has_value());
  EXPECT_EQ((*issued)["ticket"]["number"], ticket["number"]);
  auto checked = next_event(display, "appointment_checked_in");
  ASSERT_TRUE(checked.has_value());
  EXPECT_FALSE((*checked)["appointment"].contains("code")) << checked->dump();
  EXPECT_EQ((*checked)["seq"], (*issued)["seq"].get<int>() + 1);
  auto checked_admin = next_event(admin_ws, "appointment_checked_in");
  ASSERT_TRUE(checked_admin.has_value());
  EXPECT_EQ((*checked_admin)["appointment"]["code"], code);

  // Cancel over HTTP frees the place; a WebSocket "book" command takes it.
  auto cancelled = c.post("/api/appointments/" + second + "/cancel", {{"request_id", "x1"}}, kBookingToken);
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.json()["appointment"]["state"], "cancelled");
  auto cancel_used = c.post("/api/appointments/" + code + "/cancel", {{"request_id", "x2"}}, admin);
  EXPECT_EQ(cancel_used.status, 409);
  EXPECT_EQ(cancel_used.json()["error"]["code"], "already_checked_in");
  ASSERT_TRUE(admin_ws.send({{"type", "command"}, {"command", "book"}, {"request_id", "w1"}, {"service", "B"},
                             {"slot_start", kSlot}}));
  auto result = admin_ws.receive_type("result", 5s);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ((*result)["status"], 201) << result->dump();
  EXPECT_EQ(state(admin)["appointments"], (json{{"today_booked", 2}, {"checked_in", 1}, {"missed", 0}}));
}

TEST_F(AppointmentsTest, QrSvgEncodesTheCode) {
  start_hall();
  const std::string code = book_code("b1", kBookingToken);
  auto c = http();
  auto svg = c.get("/api/appointments/" + code + "/qr.svg", kBookingToken);
  ASSERT_EQ(svg.status, 200) << svg.body;
  EXPECT_EQ(svg.body.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.body.find("</svg>"), std::string::npos);
  // Six digits at level M fit QR version 1: 21 x 21 modules, every dark one inside the grid.
  EXPECT_NE(svg.body.find("data-modules=\"21\""), std::string::npos);
  int dark = 0;
  const std::string module = "<rect x=\"";
  for (std::size_t at = svg.body.find(module); at != std::string::npos; at = svg.body.find(module, at + 1)) {
    int x = -1, y = -1;
    ASSERT_EQ(std::sscanf(svg.body.c_str() + at, "<rect x=\"%d\" y=\"%d\" width=\"1\" height=\"1\"/>", &x, &y), 2);
    EXPECT_TRUE(x >= 4 && x < 25 && y >= 4 && y < 25) << x << "," << y;
    ++dark;
  }
  EXPECT_GT(dark, 21 * 21 / 4);  // the three finder patterns alone are 3 * 33 modules
  EXPECT_LT(dark, 21 * 21);
  EXPECT_EQ(c.get("/api/appointments/" + code + "/qr.svg", kDisplayToken).status, 403);
  EXPECT_EQ(c.get("/api/appointments/000001/qr.svg", kBookingToken).status, 404);

  // A scanner reads back exactly the code: the SVG's modules drawn into a plain PGM (the
  // SVG has only unit squares), scanned by zbarimg when it is installed.
  if (std::system("command -v zbarimg >/dev/null") != 0) GTEST_SKIP() << "zbarimg is not installed";
  const int side = 29, scale = 6;  // 21 modules + 2 * 4 quiet zone
  std::vector<unsigned char> pixels(side * scale * side * scale, 255);
  for (std::size_t at = svg.body.find(module); at != std::string::npos; at = svg.body.find(module, at + 1)) {
    int x = 0, y = 0;
    std::sscanf(svg.body.c_str() + at, "<rect x=\"%d\" y=\"%d\"", &x, &y);
    for (int dy = 0; dy < scale; ++dy)
      for (int dx = 0; dx < scale; ++dx) pixels[(y * scale + dy) * side * scale + x * scale + dx] = 0;
  }
  const std::string pgm_path = (dir_.path / "qr.pgm").string();
  {
    std::ofstream pgm(pgm_path, std::ios::binary);
    pgm << "P5\n" << side * scale << " " << side * scale << "\n255\n";
    pgm.write(reinterpret_cast<const char*>(pixels.data()), static_cast<std::streamsize>(pixels.size()));
  }
  std::string out;
  if (FILE* p = popen(("zbarimg --quiet --raw " + pgm_path + " 2>/dev/null").c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  EXPECT_EQ(out, code + "\n");
}

TEST_F(AppointmentsTest, TheTimerMarksAMissedAppointmentAndALateCheckInIsRefused) {
  start_hall();
  const std::string admin = login("admin", "admin-pass");
  client::WsClient admin_ws;
  hello(admin_ws, admin);
  const std::string code = book_code("b1", kBookingToken);
  clock_.advance_ms(45 * kMin - 1);  // 10:44:59.999, a millisecond before 10:30 + 15 min
  clock_.advance_ms(1);
  auto missed = next_event(admin_ws, "appointment_missed");
  ASSERT_TRUE(missed.has_value());
  EXPECT_EQ((*missed)["appointment"]["code"], code);
  EXPECT_EQ((*missed)["appointment"]["state"], "missed");
  EXPECT_EQ((*missed)["actor"], "system");
  EXPECT_EQ((*missed)["at"], kTen + 45 * kMin);
  auto late = check_in("k1", code);
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_EQ(late.json()["error"]["code"], "appointment_missed");
  EXPECT_EQ(late.json()["error"]["message"],
            "appointment " + code + " for 10:30 was missed at 10:45; please take a normal ticket");
}

TEST_F(AppointmentsTest, ARestartRemembersBookingsAndCapacity) {
  start_hall();
  const std::string first = book_code("b1", kBookingToken);
  const std::string second = book_code("b2", kBookingToken);
  // Monday: the hall does not work on the weekend in between.
  const std::string monday =
      book("b3", kBookingToken, kSlot + 3 * 24 * 60 * kMin).json()["appointment"].value("code", "");
  restart();
  EXPECT_EQ(book("b4", kBookingToken).status, 409);  // still full
  auto in = check_in("k1", first);
  ASSERT_EQ(in.status, 201) << in.body;
  EXPECT_EQ(check_in("k2", first).status, 409);
  restart();
  auto c = http();
  auto one = c.get("/api/appointments/" + first, kBookingToken);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()["appointment"]["state"], "checked_in");
  EXPECT_EQ(one.json()["appointment"]["ticket"], in.json()["ticket"]["id"]);
  EXPECT_EQ(check_in("k3", first).status, 409);
  EXPECT_EQ(check_in("k4", second).status, 201);
  auto next_day = check_in("k5", monday);
  EXPECT_EQ(next_day.status, 400) << next_day.body;
  EXPECT_EQ(next_day.json()["error"]["message"], "appointment " + monday + " is for 2026-11-30");
}

// The hall works Monday to Friday (rules.workdays) and not on its holidays: no slot is booked
// on those days, the slots answer says why, and on the day itself no walk-in ticket is issued.
TEST_F(AppointmentsTest, NoBookingOrTicketOnAWeekendOrAHoliday) {
  net::ServerOptions o;
  o.clock = clock_.fn();
  auto hall = small_hall([](HallConfig& c) {
    for (auto& s : c.services)
      if (s.code == "B") s.appointments = AppointmentConfig{30, 2, 7};
    c.rules.workdays = {1, 2, 3, 4, 5};
    c.rules.holidays = {"2026-12-01"};
  });
  start(o, hall);
  auto admin = login("admin", "admin-pass");
  auto c = http();
  constexpr TimeMs kDayMs = 24 * 60 * kMin;
  auto saturday = c.post("/api/appointments", {{"request_id", "w1"}, {"service", "B"}, {"slot_start", kSlot + kDayMs}}, admin);
  EXPECT_EQ(saturday.status, 409) << saturday.body;
  EXPECT_EQ(saturday.json()["error"]["code"], "service_closed");
  EXPECT_EQ(saturday.json()["error"]["message"], "the hall is closed on 2026-11-28 (Saturday): book a slot on a working day");
  auto holiday = c.post("/api/appointments", {{"request_id", "w2"}, {"service", "B"}, {"slot_start", kSlot + 4 * kDayMs}}, admin);
  EXPECT_EQ(holiday.status, 409) << holiday.body;
  EXPECT_EQ(holiday.json()["error"]["message"], "the hall is closed on 2026-12-01 (a holiday): book a slot on a working day");
  auto monday = c.post("/api/appointments", {{"request_id", "w3"}, {"service", "B"}, {"slot_start", kSlot + 3 * kDayMs}}, admin);
  EXPECT_EQ(monday.status, 201) << monday.body;

  auto sunday_slots = c.get("/api/appointments/slots?service=B&date=2026-11-29", admin);
  ASSERT_EQ(sunday_slots.status, 200) << sunday_slots.body;
  EXPECT_EQ(sunday_slots.json()["closed"], true);
  EXPECT_EQ(sunday_slots.json()["reason"], "Sunday");
  EXPECT_TRUE(sunday_slots.json()["slots"].empty());
  auto monday_slots = c.get("/api/appointments/slots?service=B&date=2026-11-30", admin);
  EXPECT_EQ(monday_slots.json()["closed"], false);
  EXPECT_EQ(monday_slots.json()["slots"].size(), 48u);

  // Saturday comes: the kiosk is refused walk-in tickets too, and nothing is issued.
  clock_.advance_ms(kDayMs);
  auto walk_in = c.post("/api/tickets", {{"request_id", "k-sat"}, {"service", "A"}}, kKioskToken);
  EXPECT_EQ(walk_in.status, 409) << walk_in.body;
  EXPECT_EQ(walk_in.json()["error"]["code"], "service_closed");
  EXPECT_EQ(walk_in.json()["error"]["message"],
            "the hall is closed today, 2026-11-28 (Saturday): tickets are issued on working days");
  // What the kiosk words it from, in the visitor's language.
  EXPECT_EQ(walk_in.json()["error"]["detail"],
            (nlohmann::json{{"reason", "day_off"}, {"date", "2026-11-28"}, {"why", "Saturday"}}));
  auto state = c.get("/api/state", login("admin", "admin-pass")).json();  // a day on: a new login
  EXPECT_EQ(state["business_day"], "2026-11-28");
  for (const auto& s : state["services"]) EXPECT_EQ(s["issued_today"], 0) << s.dump();
}

}  // namespace
}  // namespace hallq::test
