// 预约 at the protocol boundary: the service's appointment config and its slots, the booking
// and check-in commands, and the appointment record in events, each round-tripping exactly.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hallq/commands.h"
#include "hallq/hall_config.h"
#include "hallq/json_codec.h"

namespace hallq {
namespace {

using nlohmann::json;
using namespace nlohmann::literals;

json small_hall() {
  std::ifstream in(std::string(HALLQ_TEST_DATA_DIR) + "/small-hall.json", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

TEST(AppointmentConfigTest, ParsesDefaultsAndRoundTrips) {
  json j = small_hall();
  j["services"][1]["appointments"] = {{"slot_min", 30}, {"capacity", 4}, {"days_ahead", 7}};
  j["services"][2]["appointments"] = json::object();  // every field defaulted
  j["devices"].push_back({{"id", "portal"}, {"kind", "booking"}, {"token", "booking-token-0001-abcdef"}});
  auto hall = parse_hall_config(j);
  ASSERT_TRUE(hall.ok()) << hall.error().message;
  EXPECT_FALSE(hall->services[0].appointments.has_value());
  ASSERT_TRUE(hall->services[1].appointments.has_value());
  EXPECT_EQ(*hall->services[2].appointments, AppointmentConfig{});
  EXPECT_EQ(hall->device("portal")->kind, DeviceKind::booking);
  EXPECT_EQ(to_string(DeviceKind::booking), "booking");
  auto again = parse_hall_config(hall_config_to_json(*hall));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *hall);
}

TEST(AppointmentConfigTest, SampleHallBooksSomeServicesThroughAPortal) {
  auto hall = load_hall_config(std::string(HALLQ_ASSETS_DIR) + "/halls/sample-county.json");
  ASSERT_TRUE(hall.ok()) << hall.error().message;
  int booked = 0;
  for (const auto& s : hall->services) booked += s.appointments.has_value() && !appointment_slots(s).empty();
  EXPECT_GE(booked, 2);
  int portals = 0;
  for (const auto& d : hall->devices) portals += d.kind == DeviceKind::booking;
  EXPECT_EQ(portals, 1);
}

TEST(AppointmentConfigTest, SlotsTileEachSpanAndNeverStraddleItsEnd) {
  ServiceConfig s;
  EXPECT_TRUE(appointment_slots(s).empty());  // no appointments configured
  s.appointments = AppointmentConfig{45, 2, 3};
  // 09:00-10:40 fits two 45-minute slots (the third would end at 11:15); 14:00-15:30 two.
  s.hours = {OpeningSpan{9 * 60, 10 * 60 + 40}, OpeningSpan{14 * 60, 15 * 60 + 30}};
  std::vector<OpeningSpan> want{{540, 585}, {585, 630}, {840, 885}, {885, 930}};
  EXPECT_EQ(appointment_slots(s), want);
  s.hours.clear();  // no hours: 08:00-18:00
  auto all_day = appointment_slots(s);
  ASSERT_EQ(all_day.size(), 13u);  // 600 min / 45 = 13 whole slots
  EXPECT_EQ(all_day.front(), (OpeningSpan{480, 525}));
  EXPECT_EQ(all_day.back(), (OpeningSpan{480 + 12 * 45, 480 + 13 * 45}));
}

TEST(AppointmentConfigTest, MistakesNameTheirPath) {
  struct Case {
    json appointments;
    std::string path;
  };
  std::vector<Case> cases{
      {{{"slot_min", 4}}, "/services/1/appointments/slot_min:"},
      {{{"slot_min", 241}}, "/services/1/appointments/slot_min:"},
      {{{"capacity", 0}}, "/services/1/appointments/capacity:"},
      {{{"capacity", 1001}}, "/services/1/appointments/capacity:"},
      {{{"days_ahead", 61}}, "/services/1/appointments/days_ahead:"},
      {{{"days_ahead", -1}}, "/services/1/appointments/days_ahead:"},
      {{{"slots", 3}}, "/services/1/appointments/slots:"},
      {"30", "/services/1/appointments:"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.appointments.dump());
    json j = small_hall();
    j["services"][1]["appointments"] = c.appointments;
    auto hall = parse_hall_config(j);
    ASSERT_FALSE(hall.ok());
    EXPECT_EQ(hall.error().message.rfind(c.path, 0), 0u) << hall.error().message;
  }
  // A span shorter than one slot leaves nothing to book: said at config time, not at booking.
  json j = small_hall();
  j["services"][1]["hours"] = {"09:00-09:20"};
  j["services"][1]["appointments"] = {{"slot_min", 30}};
  auto hall = parse_hall_config(j);
  ASSERT_FALSE(hall.ok());
  EXPECT_EQ(hall.error().message,
            "/services/1/appointments/slot_min: no slot of 30 minutes fits in any opening span of "
            "the service");
  // Booking devices have no window, printer or services.
  j = small_hall();
  j["devices"].push_back({{"id", "portal"}, {"kind", "booking"}, {"token", "booking-token-0001-abcdef"},
                          {"window", 1}});
  hall = parse_hall_config(j);
  ASSERT_FALSE(hall.ok());
  EXPECT_EQ(hall.error().message.rfind("/devices/4/window:", 0), 0u) << hall.error().message;
}

TEST(AppointmentCommandTest, BookCancelAndCheckInRoundTrip) {
  struct Case {
    std::string name;
    json body;
    json expected;
  };
  std::vector<Case> cases{
      {"book", R"({"request_id": "b1", "service": "B", "slot_start": 1795000000000})"_json,
       R"({"command": "book", "request_id": "b1", "service": "B", "slot_start": 1795000000000})"_json},
      {"cancel-appointment", R"({"request_id": "b2", "code": "012345"})"_json,
       R"({"command": "cancel-appointment", "request_id": "b2", "code": "012345"})"_json},
      {"issue", R"({"request_id": "k1", "appointment_code": "483920"})"_json,
       R"({"command": "issue", "request_id": "k1", "appointment_code": "483920", "lang": "zh-CN"})"_json},
      {"issue", R"({"request_id": "k2", "appointment_code": "483920", "lang": "en"})"_json,
       R"({"command": "issue", "request_id": "k2", "appointment_code": "483920", "lang": "en"})"_json},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.dump());
    auto cmd = parse_command(c.name, c.body);
    ASSERT_TRUE(cmd.ok()) << cmd.error().message;
    EXPECT_EQ(command_name(cmd->body), c.name);
    EXPECT_EQ(command_to_json(*cmd), c.expected);
    auto again = parse_command(c.name, command_to_json(*cmd));
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(command_to_json(*again), c.expected);
  }
  auto checkin = parse_command("issue", R"({"request_id": "k1", "appointment_code": "000001"})"_json);
  ASSERT_TRUE(checkin.ok());
  const auto& issue = std::get<IssueTicket>(checkin->body);
  EXPECT_EQ(issue.appointment_code, "000001");
  EXPECT_EQ(issue.cls, TicketClass::appointment);
  EXPECT_TRUE(issue.service.empty());
}

TEST(AppointmentCommandTest, BadBodiesNameTheField) {
  struct Case {
    std::string name;
    json body;
    std::string message_part;
  };
  std::vector<Case> cases{
      {"book", R"({"request_id": "b", "slot_start": 1})"_json, "/service: missing"},
      {"book", R"({"request_id": "b", "service": "b", "slot_start": 1})"_json, "/service"},
      {"book", R"({"request_id": "b", "service": "B"})"_json, "/slot_start: missing"},
      {"book", R"({"request_id": "b", "service": "B", "slot_start": -5})"_json, "/slot_start"},
      {"book", R"({"request_id": "b", "service": "B", "slot_start": "09:30"})"_json, "/slot_start"},
      {"book", R"({"request_id": "b", "service": "B", "slot_start": 1, "n": 2})"_json,
       "/n: unknown field"},
      {"cancel-appointment", R"({"request_id": "b"})"_json, "/code: missing"},
      {"cancel-appointment", R"({"request_id": "b", "code": "12345"})"_json,
       "/code: must be 6 digits"},
      {"cancel-appointment", R"({"request_id": "b", "code": "12345a"})"_json,
       "/code: must be 6 digits"},
      {"issue", R"({"request_id": "k", "appointment_code": "1234567"})"_json,
       "/appointment_code: must be 6 digits"},
      {"issue", R"({"request_id": "k", "appointment_code": 483920})"_json,
       "/appointment_code: must be a string"},
      {"issue", R"({"request_id": "k", "appointment_code": "483920", "service": "B"})"_json,
       "/service: is not allowed with \"appointment_code\""},
      {"issue", R"({"request_id": "k", "appointment_code": "483920", "class": "normal"})"_json,
       "/class: is not allowed with \"appointment_code\""},
      {"issue", R"({"request_id": "k", "appointment_code": "483920", "lang": "fr"})"_json,
       "/lang"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.dump());
    auto cmd = parse_command(c.name, c.body);
    ASSERT_FALSE(cmd.ok());
    EXPECT_EQ(cmd.error().code, ErrorCode::bad_request);
    EXPECT_NE(cmd.error().message.find(c.message_part), std::string::npos) << cmd.error().message;
  }
  EXPECT_TRUE(is_appointment_code("000000"));
  EXPECT_FALSE(is_appointment_code("00000"));
  EXPECT_FALSE(is_appointment_code("０００００0"));
}

Appointment sample_appointment() {
  Appointment a;
  a.code = "483920";
  a.service = "B";
  a.date = "2026-11-28";
  a.slot_start = 1795915800000;
  a.slot_end = 1795917600000;
  a.booked_at = 1795800000000;
  a.booked_by = "admin";
  return a;
}

TEST(AppointmentRecordTest, JsonIsTheContractShapeAndRoundTrips) {
  Appointment a = sample_appointment();
  json j = to_json(a);
  EXPECT_EQ(j, json::parse(R"({"code":"483920","service":"B","date":"2026-11-28",
      "slot_start":1795915800000,"slot_end":1795917600000,"state":"booked",
      "booked_at":1795800000000,"booked_by":"admin","ticket":null,"number":null,
      "checked_in_at":null})"));
  auto back = appointment_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, a);

  a.state = AppointmentState::checked_in;
  a.ticket = "T-1";
  a.number = "B012";
  a.checked_in_at = 1795915000000;
  back = appointment_from_json(to_json(a));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, a);

  // A redacted copy (what displays get) has no code at all, and still parses.
  Appointment redacted = a;
  redacted.code.clear();
  EXPECT_FALSE(to_json(redacted).contains("code"));
  back = appointment_from_json(to_json(redacted));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, redacted);

  json bad = to_json(a);
  bad["state"] = "late";
  EXPECT_EQ(appointment_from_json(bad).error().message, "/state: unknown value \"late\"");
  bad = to_json(a);
  bad["code"] = "48392";
  EXPECT_EQ(appointment_from_json(bad).error().message, "/code: must be 6 digits");
}

TEST(AppointmentRecordTest, EventsCarryTheRecord) {
  for (EventType type : {EventType::appointment_booked, EventType::appointment_cancelled,
                         EventType::appointment_checked_in, EventType::appointment_missed}) {
    Event e;
    e.seq = 7;
    e.at = 1795800000000;
    e.type = type;
    e.actor = "portal";
    e.appointment = sample_appointment();
    json j = to_json(e);
    EXPECT_EQ(j["event"], std::string(to_string(type)));
    EXPECT_EQ(j["appointment"]["code"], "483920");
    auto back = event_from_json(j);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, e);
  }
  EXPECT_EQ(event_type_from_string("appointment_missed"), EventType::appointment_missed);
  EXPECT_EQ(to_string(Role::booking), "booking");
  EXPECT_EQ(http_status_for(ErrorCode::slot_full), 409);
  EXPECT_EQ(error_code_from_string("already_checked_in"), ErrorCode::already_checked_in);
  EXPECT_EQ(to_string(ErrorCode::appointment_missed), "appointment_missed");
  EXPECT_EQ(to_string(ErrorCode::appointment_cancelled), "appointment_cancelled");
}

}  // namespace
}  // namespace hallq
