// Where a visitor stands and how long they will wait, on a worked example with round numbers;
// then what the hall boards and the visitor's ticket page receive.
#include "engine_test_support.h"

namespace hallq::core::test {
namespace {

struct Standing {
  int ahead;
  std::int64_t wait_s;
  friend bool operator==(const Standing&, const Standing&) = default;
};

std::ostream& operator<<(std::ostream& os, const Standing& s) {
  return os << "{ahead " << s.ahead << ", wait " << s.wait_s << "s}";
}

Standing standing(const Hall& h, const std::string& number, TimeMs now) {
  const Ticket* t = h.by_number(number);
  if (t == nullptr) return {-1, -1};
  auto s = h.engine.standing(t->id, now);
  if (!s) return {-2, -2};
  return {s->ahead, s->estimated_wait_s};
}

// Service D: 10 minutes expected per visitor until real times exist; windows 4 and 5 serve it.
TEST(CoreStanding, WorkedExample) {
  Hall h;
  const Actor k = kiosk();
  for (int i = 0; i < 3; ++i) h.run(issue("D"), k, at(9, i));
  Outcome d4 = h.run(issue("D"), k, at(9, 3));
  ASSERT_TRUE(d4.ok());
  // Three ahead, 600 s each, two open windows: 3 * 600 / 2.
  EXPECT_EQ(d4.result()["ahead"], 3);
  EXPECT_EQ(d4.result()["estimated_wait_s"], 900);
  EXPECT_EQ(d4.events.back().load, (ServiceLoad{"D", 4, 4, 1200, 180}));

  // A priority visitor goes to the front of D's line.
  Outcome d5 = h.run(issue("D", TicketClass::priority, "disabled"), k, at(9, 4));
  EXPECT_EQ(d5.result()["ahead"], 0);
  EXPECT_EQ(d5.result()["estimated_wait_s"], 0);
  EXPECT_EQ(standing(h, "D004", at(9, 4)), (Standing{4, 1200}));
  EXPECT_EQ(standing(h, "D001", at(9, 4)), (Standing{1, 300}));

  // One window paused: the same line, half the windows.
  h.ok(PauseWindow{5}, admin(), at(9, 5));
  EXPECT_EQ(standing(h, "D004", at(9, 5)), (Standing{4, 2400}));
  EXPECT_EQ(h.engine.load("D", at(9, 5)).estimated_wait_s, 3000);
  h.ok(ResumeWindow{5}, admin(), at(9, 6));

  // Real service times replace the expectation: 300 s and 420 s, mean 360 s.
  EXPECT_EQ(h.ok(CallNext{4}, admin(), at(9, 10)).result()["ticket"]["number"], "D005");
  h.ok(StartService{4}, admin(), at(9, 10));
  h.ok(CompleteService{4}, admin(), at(9, 15));
  EXPECT_EQ(h.ok(CallNext{4}, admin(), at(9, 15)).result()["ticket"]["number"], "D001");
  h.ok(StartService{4}, admin(), at(9, 15));
  Outcome done = h.ok(CompleteService{4}, admin(), at(9, 22));
  EXPECT_EQ(standing(h, "D004", at(9, 22)), (Standing{2, 360}));
  // Waiting D002, D003, D004; the oldest since 09:01.
  EXPECT_EQ(done.events.back().load, (ServiceLoad{"D", 3, 5, 540, 21 * 60}));

  // An appointment booked for 09:40 is in its slot from 09:10 to 09:55: it ranks ahead of the
  // normal line. One booked for 11:00 is early and waits like anyone else.
  Outcome d6 = h.run(issue("D", TicketClass::appointment, "", at(9, 40)), k, at(9, 23));
  EXPECT_EQ(d6.result()["ahead"], 0);
  EXPECT_EQ(standing(h, "D004", at(9, 23)), (Standing{3, 540}));
  Outcome d7 = h.run(issue("D", TicketClass::appointment, "", at(11, 0)), k, at(9, 24));
  EXPECT_EQ(d7.result()["ahead"], 4);
  EXPECT_EQ(d7.result()["estimated_wait_s"], 720);
  // Past its slot the 09:40 appointment is ranked normal, by its queue time (09:23).
  EXPECT_EQ(standing(h, "D006", at(9, 56)), (Standing{3, 540}));

  // Sent to a window: only the tickets sent there earlier count, and only that window serves.
  EXPECT_EQ(h.ok(CallNext{4}, admin(), at(9, 25)).result()["ticket"]["number"], "D006");
  h.ok(StartService{4}, admin(), at(9, 25));
  h.ok(Transfer{4, "", 5, false, ""}, admin(), at(9, 26));
  EXPECT_EQ(h.ok(CallNext{4}, admin(), at(9, 26)).result()["ticket"]["number"], "D002");
  h.ok(StartService{4}, admin(), at(9, 26));
  h.ok(Transfer{4, "", 5, false, ""}, admin(), at(9, 27));
  EXPECT_EQ(standing(h, "D006", at(9, 27)), (Standing{0, 0}));
  EXPECT_EQ(standing(h, "D002", at(9, 27)), (Standing{1, 360}));

  // Only waiting tickets have a standing.
  EXPECT_EQ(standing(h, "D001", at(9, 27)), (Standing{-2, -2}));
}

TEST(CoreStanding, TheSampleKeepsTheLastServices) {
  HallConfig c = make_config();
  c.rules.estimate_sample = 2;
  Hall h(c);
  // No samples yet: A's 8 minutes over its three windows (1, 2, 5).
  h.give("A", at(9, 0));
  EXPECT_EQ(h.engine.load("A", at(9, 0)).estimated_wait_s, 480 / 3);
  TimeMs t = at(9, 0);
  for (int seconds : {60, 120, 300}) {
    h.ok(CallNext{1}, admin(), t);
    h.ok(StartService{1}, admin(), t);
    t += seconds * 1000;
    h.ok(CompleteService{1}, admin(), t);
    h.give("A", t);
  }
  // The last two: (120 + 300) / 2 = 210 s; one waiting; three windows.
  EXPECT_EQ(h.engine.load("A", t).estimated_wait_s, 210 / 3);
  h.give("A", t);
  h.give("A", t);
  EXPECT_EQ(h.engine.load("A", t).estimated_wait_s, 210);
}

TEST(CoreTicketView, ShowsTheVisitorTheirOwnTicketOnly) {
  Hall h;
  h.give("A", at(9, 0));
  h.give("A", at(9, 1));
  const Ticket* a1 = h.by_number("A001");
  const Ticket* a2 = h.by_number("A002");
  auto waiting = h.engine.ticket_view(a2->id, at(9, 3));
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ((*waiting)["ticket"]["number"], "A002");
  EXPECT_EQ((*waiting)["ticket"]["state"], "waiting");
  EXPECT_EQ((*waiting)["ahead"], 1);
  EXPECT_EQ((*waiting)["estimated_wait_s"], 160);  // 480 s over windows 1, 2 and 5
  EXPECT_EQ((*waiting)["service_name"]["zh_cn"], "综合受理");
  EXPECT_FALSE(waiting->contains("window_name"));
  EXPECT_EQ(waiting->dump().find("A001"), std::string::npos) << "shows another visitor";
  EXPECT_EQ(waiting->dump().find(a1->id), std::string::npos) << "shows another visitor";

  h.ok(CallNext{2}, zhang(), at(9, 4));
  auto called = h.engine.ticket_view(a1->id, at(9, 4));
  ASSERT_TRUE(called.ok());
  EXPECT_EQ((*called)["ticket"]["window"], 2);
  EXPECT_EQ((*called)["ticket"]["called_at"], at(9, 4));
  EXPECT_EQ((*called)["window_name"]["zh_cn"], "2号窗口");
  EXPECT_EQ((*called)["window_name"]["en"], "Window 2");
  EXPECT_EQ((*called)["window_name"]["zh_tw"], "2号窗口");  // falls back to zh_cn
  EXPECT_FALSE(called->contains("ahead"));
  EXPECT_EQ(called->dump().find("A002"), std::string::npos);

  auto missing = h.engine.ticket_view("no-such-id", at(9, 4));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST(CoreSnapshot, WhatTheBoardsSee) {
  Hall h;
  h.give("A", at(9, 0));
  h.give("B", at(9, 1));
  h.give("A", at(9, 2));
  h.ok(CallNext{1}, zhang(), at(9, 3));  // A001
  h.ok(StartService{1}, zhang(), at(9, 4));
  h.ok(Hold{1}, zhang(), at(9, 5));
  h.ok(CallNext{1}, zhang(), at(9, 6));  // A002: window 1 prefers A to the older B001
  h.ok(Recall{1}, zhang(), at(9, 7));
  nlohmann::json s = h.engine.snapshot(at(9, 8), false);
  EXPECT_EQ(s["type"], "snapshot");
  EXPECT_EQ(s["seq"], h.engine.last_seq());
  EXPECT_EQ(s["business_day"], "2026-11-27");
  EXPECT_EQ(s["now"], at(9, 8));
  EXPECT_EQ(s["hall"]["id"], "test-hall");
  EXPECT_EQ(s["hall"]["name"]["en"], "Test County Service Centre");
  EXPECT_FALSE(s.contains("tickets"));
  ASSERT_EQ(s["services"].size(), 4u);
  const auto& a = s["services"][0];
  EXPECT_EQ(a["code"], "A");
  EXPECT_EQ(a["department"], "dept-A");
  EXPECT_EQ(a["waiting"], 0);
  EXPECT_EQ(a["issued_today"], 2);
  EXPECT_EQ(s["services"][1]["waiting"], 1);
  EXPECT_EQ(s["services"][1]["longest_wait_s"], 7 * 60);
  const auto& w1 = s["windows"][0];
  EXPECT_EQ(w1["number"], 1);
  EXPECT_EQ(w1["services"], (nlohmann::json{"A", "B"}));
  EXPECT_EQ(w1["state"], "open");
  EXPECT_EQ(w1["state_since"], at(9, 6));
  EXPECT_EQ(w1["clerk"], "zhang");
  EXPECT_EQ(w1["current"]["number"], "A002");
  EXPECT_EQ(w1["current"]["recalls"], 1);
  EXPECT_EQ(w1["current"]["state"], "called");
  EXPECT_EQ(w1["held"], (nlohmann::json{"A001"}));
  EXPECT_TRUE(s["windows"][1]["current"].is_null());
  ASSERT_EQ(s["recent_calls"].size(), 3u);
  EXPECT_EQ(s["recent_calls"][0], (nlohmann::json{{"number", "A002"}, {"service", "A"}, {"window", 1},
                                                  {"at", at(9, 7)}, {"recall", true}}));
  EXPECT_EQ(s["recent_calls"][2]["number"], "A001");

  nlohmann::json full = h.engine.snapshot(at(9, 8), true);
  ASSERT_EQ(full["tickets"].size(), 3u);  // every active ticket: held, called, waiting
  EXPECT_EQ(full["tickets"][0]["number"], "A001");
  EXPECT_EQ(full["tickets"][0]["state"], "held");
}

TEST(CoreSnapshot, RecentCallsKeepTheLastTwenty) {
  Hall h;
  for (int i = 0; i < 25; ++i) h.give("A", at(9, 0));
  for (int i = 0; i < 25; ++i) {
    h.ok(CallNext{1}, admin(), at(9, 1 + i));
    h.ok(NoShow{1}, admin(), at(9, 1 + i));
  }
  auto calls = h.engine.snapshot(at(10, 0), false)["recent_calls"];
  ASSERT_EQ(calls.size(), 20u);
  EXPECT_EQ(calls[0]["number"], "A025");
  EXPECT_EQ(calls[19]["number"], "A006");
}

}  // namespace
}  // namespace hallq::core::test
