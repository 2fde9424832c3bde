// Routing for call-next: a table of waiting lines (restored directly, so each ticket's class,
// service, queue time and target are exactly as written) and the order a window calls them.
// window_queue() must list the same order, which a randomised test checks at scale.
#include <cmath>
#include <cstdio>
#include <random>

#include "engine_test_support.h"

namespace hallq::core::test {
namespace {

enum class Via { issued, transferred, returning };

struct Spec {
  std::string number;  // "A001": its letters are the origin service
  double queued_min;   // minutes before (negative) or after now
  TicketClass cls = TicketClass::normal;
  int target = 0;
  Via via = Via::issued;
  std::optional<double> appointment_min = std::nullopt;  // booked time relative to now
  std::string service = "";  // queued for, if not the origin service
};

constexpr TimeMs kNow = kDay0 + 10 * kHour;

TimeMs minutes(double m) { return std::llround(m * static_cast<double>(kMin)); }

Ticket make_ticket(const Spec& s, const std::string& day) {
  Ticket t;
  t.id = "id-" + s.number;
  t.number = s.number;
  std::size_t letters = 0;
  while (letters < s.number.size() && s.number[letters] >= 'A' && s.number[letters] <= 'Z') ++letters;
  t.origin_service = s.number.substr(0, letters);
  t.service = s.service.empty() ? t.origin_service : s.service;
  t.business_day = day;
  t.cls = s.cls;
  if (s.cls == TicketClass::priority) t.priority_reason = "elderly";
  if (s.appointment_min) t.appointment_at = kNow + minutes(*s.appointment_min);
  t.state = TicketState::waiting;
  t.queued_at = kNow + minutes(s.queued_min);
  t.issued_at = s.via == Via::issued ? t.queued_at : t.queued_at - 30 * kMin;
  t.target_window = s.target;
  t.history.push_back(TicketTransition{TicketStep::issued, t.issued_at, 0, "", "", ""});
  if (s.via != Via::issued) {
    t.called_at = t.issued_at + kMin;
    t.started_at = t.issued_at + 2 * kMin;
    t.history.push_back(TicketTransition{TicketStep::called, *t.called_at, 4, "li", "", ""});
    t.history.push_back(TicketTransition{TicketStep::started, *t.started_at, 4, "li", "", ""});
    if (s.via == Via::transferred) {
      t.history.push_back(TicketTransition{TicketStep::transferred, t.queued_at, 4, "li", t.service, ""});
    } else {
      t.history.push_back(
          TicketTransition{TicketStep::completed, t.queued_at, 4, "li", t.service, "returning"});
    }
  }
  return t;
}

void restore(Hall& h, const std::vector<Spec>& specs) {
  EngineState st;
  st.last_seq = 100;
  st.business_day = h.engine.business_day_at(kNow);
  for (const Spec& s : specs) st.tickets.push_back(make_ticket(s, st.business_day));
  h.engine.restore(st);
}

using TC = TicketClass;
using V = std::vector<std::string>;

struct Scenario {
  const char* name;
  int window;  // 1 serves [A, B]; 2 serves [B, A]; 5 serves [D, A]
  std::vector<Spec> tickets;
  std::vector<std::string> expected;
};

// Rules in the test hall: aging 45 min, appointment slot [booked - 30 min, booked + 15 min].
const Scenario kScenarios[] = {
    {"FIFO within a service", 1, {{"A002", -5}, {"A001", -10}}, {"A001", "A002"}},
    {"the window's service order beats FIFO", 1, {{"B001", -10}, {"A001", -5}}, {"A001", "B001"}},
    {"another window, another order", 2, {{"B001", -10}, {"A001", -5}}, {"B001", "A001"}},
    {"priority beats normal and service order", 1, {{"A001", -10}, {"B001", -5, TC::priority}}, {"B001", "A001"}},
    {"priority tickets follow the service order", 1,
     {{"B001", -10, TC::priority}, {"A002", -5, TC::priority}}, {"A002", "B001"}},
    {"transferred in ranks with priority", 1,
     {{"A001", -10}, {"B001", -2, TC::normal, 0, Via::transferred}}, {"B001", "A001"}},
    {"returning after service ranks with priority", 1,
     {{"A001", -10}, {"A002", -2, TC::normal, 0, Via::returning}}, {"A002", "A001"}},
    {"transferred in from another service", 1,
     {{"A001", -10}, {"D001", -1, TC::normal, 0, Via::transferred, std::nullopt, "A"}}, {"D001", "A001"}},
    {"priority and transferred in share rank 0 by FIFO", 1,
     {{"A001", -3, TC::priority}, {"A002", -8, TC::normal, 0, Via::transferred}}, {"A002", "A001"}},
    {"an aged ticket beats priority and service order", 1,
     {{"B001", -50}, {"A001", -5, TC::priority}}, {"B001", "A001"}},
    {"aged exactly at the limit", 1, {{"B001", -45}, {"A001", -1}}, {"B001", "A001"}},
    {"one millisecond short of aged", 1, {{"B001", -45 + 1.0 / 60000}, {"A001", -1}}, {"A001", "B001"}},
    {"aged tickets oldest first", 1, {{"A001", -46}, {"B001", -60}, {"A002", -1}}, {"B001", "A001", "A002"}},
    {"an aged appointment out of its slot", 1,
     {{"A001", -50, TC::appointment, 0, Via::issued, 120.0}, {"A002", -5, TC::priority}}, {"A001", "A002"}},
    {"appointment in its slot beats older normal", 1,
     {{"A001", -20}, {"A002", -5, TC::appointment, 0, Via::issued, 20.0}}, {"A002", "A001"}},
    {"appointment too early ranks normal", 1,
     {{"A001", -20}, {"A002", -5, TC::appointment, 0, Via::issued, 40.0}}, {"A001", "A002"}},
    {"appointment too late ranks normal", 1,
     {{"A001", -20}, {"A002", -5, TC::appointment, 0, Via::issued, -20.0}}, {"A001", "A002"}},
    {"appointment slot edges", 1,
     {{"A001", -20},
      {"A002", -3, TC::appointment, 0, Via::issued, 30.0},                 // earliest in slot
      {"A003", -2, TC::appointment, 0, Via::issued, -15.0},                // latest in slot
      {"A004", -1, TC::appointment, 0, Via::issued, -15.0 - 1.0 / 60000},  // just missed it
      {"A005", -30, TC::appointment, 0, Via::issued, 30.0 + 1.0 / 60000}}, // just too early
     {"A002", "A003", "A005", "A001", "A004"}},
    {"out-of-slot appointment keeps its FIFO place among normal", 1,
     {{"A001", -30, TC::appointment, 0, Via::issued, 120.0}, {"A002", -10}}, {"A001", "A002"}},
    {"priority beats an appointment in its slot", 1,
     {{"A001", -20, TC::appointment, 0, Via::issued, 0.0}, {"A002", -5, TC::priority}}, {"A002", "A001"}},
    {"appointments in slot follow the service order", 1,
     {{"B001", -20, TC::appointment, 0, Via::issued, 5.0}, {"A001", -5, TC::appointment, 0, Via::issued, 5.0}},
     {"A001", "B001"}},
    {"targeted beats aged and priority", 1,
     {{"A001", -60}, {"A002", -1, TC::priority}, {"B001", 0, TC::normal, 1, Via::transferred}},
     {"B001", "A001", "A002"}},
    {"targeted tickets FIFO among themselves, any service", 1,
     {{"B001", -5, TC::normal, 1, Via::transferred}, {"D002", -10, TC::normal, 1, Via::transferred}},
     {"D002", "B001"}},
    {"targeted at another window is not seen here", 1,
     {{"A001", -60, TC::normal, 2, Via::transferred}, {"A002", -1}}, {"A002"}},
    {"a service the window does not serve is not seen", 1, {{"C0001", -60}, {"D001", -60}}, {}},
    {"equal queue times go by issue order", 1, {{"A002", -5}, {"A001", -5}, {"B001", -5}}, {"A001", "A002", "B001"}},
    {"window 5 prefers D to A", 5, {{"A001", -30}, {"D001", -2}, {"B001", -40}}, {"D001", "A001"}},
    {"all tiers together", 1,
     {{"A001", -70},                                               // aged: tier 1
      {"B001", -50},                                               // aged: tier 1, after A001
      {"A002", -30},                                               // normal
      {"B002", -29, TC::priority},                                 // rank 0, service B
      {"A003", -10, TC::priority},                                 // rank 0, service A
      {"A004", -8, TC::appointment, 0, Via::issued, 10.0},         // rank 1
      {"B003", -9, TC::appointment, 0, Via::issued, 10.0},         // rank 1, service B
      {"A005", -40, TC::appointment, 0, Via::issued, 100.0},       // rank 2 (too early)
      {"B004", -44},                                               // rank 2, service B
      {"A006", -2, TC::normal, 1, Via::transferred},               // tier 0
      {"A007", -1, TC::normal, 2, Via::transferred}},              // other window's
     {"A006", "A001", "B001", "A003", "B002", "A004", "B003", "A005", "A002", "B004"}},
};

TEST(CoreRouting, Table) {
  for (const Scenario& s : kScenarios) {
    SCOPED_TRACE(s.name);
    Hall h;
    restore(h, s.tickets);
    EXPECT_EQ(h.queue(s.window, kNow), s.expected) << "window_queue";
    EXPECT_EQ(h.drain(s.window, kNow), s.expected) << "call-next";
  }
}

TEST(CoreRouting, QueueLimitAndFields) {
  Hall h;
  restore(h, {{"A001", -70}, {"A002", -30}, {"B001", -5, TC::priority}, {"A003", -2, TC::normal, 1, Via::transferred}});
  auto q = h.engine.window_queue(1, kNow, 3);
  ASSERT_TRUE(q.ok());
  ASSERT_EQ((*q)["queue"].size(), 3u);
  EXPECT_EQ((*q)["window"], 1);
  const auto& first = (*q)["queue"][0];
  EXPECT_EQ(first["number"], "A003");
  EXPECT_EQ(first["tier"], 0);
  EXPECT_EQ(first["waited_s"], 120);
  EXPECT_EQ(first["queued_at"], kNow - 2 * kMin);
  EXPECT_EQ(first["class"], "normal");
  EXPECT_EQ((*q)["queue"][1]["tier"], 1);
  EXPECT_EQ((*q)["queue"][2]["tier"], 2);
  EXPECT_EQ((*q)["queue"][2]["number"], "B001");
  EXPECT_EQ((*q)["counts"], (nlohmann::json{{"A", 3}, {"B", 1}}));
  auto missing = h.engine.window_queue(42, kNow, 10);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

// Random lines: whatever the mix, the list window_queue shows is exactly the order call-next
// takes (the fast path and the full sort agree).
TEST(CoreRouting, WindowQueueIsTheOrderCallNextTakes) {
  const char* services[] = {"A", "B", "D"};
  for (unsigned seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    auto roll = [&](unsigned n) { return static_cast<int>(rng() % n); };
    std::vector<Spec> specs;
    int seq[3] = {0, 0, 0};
    const int count = 20 + roll(60);
    for (int i = 0; i < count; ++i) {
      const int si = roll(3);
      char number[16];
      std::snprintf(number, sizeof number, "%s%03d", services[si], ++seq[si]);
      Spec s{number, -static_cast<double>(roll(90 * 60)) / 60.0};
      const int kind = roll(10);
      if (kind == 0) s.cls = TC::priority;
      if (kind == 1 || kind == 2) {
        s.cls = TC::appointment;
        s.appointment_min = roll(120) - 60;
      }
      if (roll(8) == 0) s.via = roll(2) ? Via::transferred : Via::returning;
      if (s.via != Via::issued && roll(3) == 0) s.target = 1 + roll(5);
      if (roll(6) == 0) s.queued_min = -45;  // exact aging edge, equal queue times
      specs.push_back(s);
    }
    for (int window : {1, 2, 5}) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " window " + std::to_string(window));
      Hall h;
      restore(h, specs);
      auto listed = h.queue(window, kNow);
      auto called = h.drain(window, kNow);
      EXPECT_EQ(listed, called);
      EXPECT_FALSE(called.empty());
    }
  }
}

}  // namespace
}  // namespace hallq::core::test
