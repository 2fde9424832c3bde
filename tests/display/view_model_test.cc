// The display's pure core: its copy of the hall, the view models, announcements, styles, the
// touch models. No SDL, no sockets: messages are built with the shared codec, as the server does.
#include <gtest/gtest.h>

#include "hallq/display/announcement.h"
#include "hallq/display/hall_copy.h"
#include "hallq/display/reconnect.h"
#include "hallq/display/style.h"
#include "hallq/display/touch.h"
#include "hallq/display/views.h"
#include "hallq/json_codec.h"

namespace hallq::display {
namespace {

using nlohmann::json;

constexpr TimeMs kT0 = 1795744800000;  // 2026-11-27 10:00 Beijing

json name(const char* cn, const char* tw, const char* en) { return json{{"zh_cn", cn}, {"zh_tw", tw}, {"en", en}}; }

// A snapshot shaped like Engine::snapshot: two services, three windows, two recent calls.
json snapshot(std::uint64_t seq) {
  return json{{"type", "snapshot"},
              {"seq", seq},
              {"business_day", "2026-11-27"},
              {"now", kT0},
              {"notice", "请携带身份证"},
              {"hall", {{"id", "t"}, {"name", name("测试大厅", "測試大廳", "Test Hall")}}},
              {"services",
               {{{"code", "A"}, {"name", name("综合受理", "綜合受理", "General")}, {"department", ""}, {"waiting", 3},
                 {"issued_today", 9}, {"estimated_wait_s", 840}, {"longest_wait_s", 900}},
                {{"code", "B"}, {"name", name("不动产登记", "不動產登記", "Real Estate")}, {"department", ""}, {"waiting", 0},
                 {"issued_today", 2}, {"estimated_wait_s", 0}, {"longest_wait_s", 0}}}},
              {"windows",
               {{{"number", 1}, {"name", name("1号窗口", "1號窗口", "Window 1")}, {"department", ""}, {"services", {"A"}},
                 {"state", "open"}, {"state_since", kT0}, {"clerk", "zhang"}, {"served_today", 4},
                 {"current", {{"id", "T-A005"}, {"number", "A005"}, {"service", "A"}, {"state", "called"}, {"class", "normal"},
                              {"called_at", kT0 - 60000}, {"recalls", 0}}},
                 {"held", json::array()}},
                {{"number", 2}, {"name", name("2号窗口", "2號窗口", "Window 2")}, {"department", ""}, {"services", {"B"}},
                 {"state", "paused"}, {"state_since", kT0}, {"clerk", ""}, {"served_today", 0}, {"current", nullptr},
                 {"held", json::array()}},
                {{"number", 3}, {"name", name("3号窗口", "3號窗口", "Window 3")}, {"department", ""}, {"services", {"A", "B"}},
                 {"state", "open"}, {"state_since", kT0}, {"clerk", ""}, {"served_today", 0}, {"current", nullptr},
                 {"held", json::array()}}}},
              {"recent_calls",
               {{{"number", "A005"}, {"service", "A"}, {"window", 1}, {"at", kT0 - 60000}, {"recall", false}},
                {{"number", "B002"}, {"service", "B"}, {"window", 3}, {"at", kT0 - 120000}, {"recall", false}}}}};
}

Ticket ticket(const std::string& number, TicketState state, int window, TicketStep last, TimeMs at) {
  Ticket t;
  t.id = "T-" + number;
  t.number = number;
  t.service = t.origin_service = number.substr(0, 1);
  t.business_day = "2026-11-27";
  t.state = state;
  t.issued_at = t.queued_at = kT0 - 600000;
  t.window = window;
  if (state == TicketState::called) t.called_at = at;
  t.history.assign(2, TicketTransition{});
  t.history[0].step = TicketStep::issued;
  t.history[0].at = kT0 - 600000;
  t.history[1].step = last;
  t.history[1].at = at;
  t.history[1].window = window;
  t.history[1].clerk = "zhang";
  return t;
}

json event(std::uint64_t seq, EventType type, std::optional<Ticket> t, std::optional<Window> w, std::optional<ServiceLoad> load = {}) {
  Event e;
  e.seq = seq;
  e.at = kT0;
  e.type = type;
  e.ticket = std::move(t);
  e.window = std::move(w);
  e.load = std::move(load);
  e.actor = "zhang";
  return to_json(e);
}

Window window(int number, WindowState state, std::string current) {
  Window w;
  w.number = number;
  w.state = state;
  w.current_ticket = std::move(current);
  return w;
}

Style board_style() { return default_style(Layout::board); }

TEST(DisplayHallCopy, SnapshotBecomesBoardRowsNewestFirst) {
  HallCopy hall;
  Applied a = hall.apply(snapshot(10), kT0);
  ASSERT_TRUE(a.error.empty()) << a.error;
  EXPECT_TRUE(a.changed);
  EXPECT_TRUE(hall.live());
  BoardView v = board_view(hall, board_style(), kT0, 480);
  EXPECT_EQ(v.title, "测试大厅");
  EXPECT_EQ(v.clock, "10:00");
  EXPECT_EQ(v.date, "2026年11月27日 星期五");
  ASSERT_EQ(v.calls.size(), 2u);
  EXPECT_EQ(v.calls[0].number, "A005");
  EXPECT_EQ(v.calls[0].window, "1号窗口");
  EXPECT_TRUE(v.calls[0].newest);
  EXPECT_FALSE(v.calls[1].newest);
  // A snapshot's calls are not new: no flash, the newest row is steadily highlighted.
  EXPECT_TRUE(v.calls[0].highlight);
  ASSERT_EQ(v.services.size(), 2u);
  EXPECT_EQ(v.services[0].name, "综合受理");
  EXPECT_EQ(v.services[0].waiting, "3");
  EXPECT_EQ(v.services[0].wait, "约 14 分钟");
  EXPECT_EQ(v.services[1].wait, "无需等候");
  EXPECT_FALSE(v.lost);
}

TEST(DisplayHallCopy, CallEventPutsTheNewestCallFirstAndFlashes) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  Ticket t = ticket("A006", TicketState::called, 3, TicketStep::called, kT0 + 1000);
  Applied a = hall.apply(event(11, EventType::ticket_called, t, window(3, WindowState::open, t.id),
                               ServiceLoad{"A", 2, 9, 600, 700}),
                         kT0 + 1000);
  ASSERT_TRUE(a.error.empty()) << a.error;
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls[0].number, "A006");
  EXPECT_EQ(a.calls[0].window, 3);
  EXPECT_EQ(hall.seq(), 11u);
  Style style = board_style();
  BoardView v = board_view(hall, style, kT0 + 1000, 480);
  ASSERT_EQ(v.calls.size(), 3u);
  EXPECT_EQ(v.calls[0].number, "A006");
  EXPECT_EQ(v.calls[0].window, "3号窗口");
  EXPECT_EQ(v.services[0].waiting, "2");
  // Blinks during the flash time, then stays highlighted.
  EXPECT_TRUE(board_view(hall, style, kT0 + 1000 + 100, 480).calls[0].highlight);
  EXPECT_FALSE(board_view(hall, style, kT0 + 1000 + style.blink_ms + 100, 480).calls[0].highlight);
  EXPECT_TRUE(board_view(hall, style, kT0 + 1000 + style.flash_ms + 1, 480).calls[0].highlight);
  // The window strip shows the number and flashes too.
  StripView s = strip_view(hall, default_style(Layout::strip), 3, kT0 + 1100);
  EXPECT_EQ(s.number, "A006");
  EXPECT_TRUE(s.flash_on);
}

TEST(DisplayHallCopy, RecallIsAnnouncedAgain) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  Ticket t = ticket("A005", TicketState::called, 1, TicketStep::recalled, kT0 + 5000);
  t.recalls = 1;
  Applied a = hall.apply(event(11, EventType::ticket_recalled, t, window(1, WindowState::open, t.id)), kT0 + 5000);
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_TRUE(a.calls[0].recall);
  EXPECT_EQ(hall.recent_calls().front().number, "A005");
}

TEST(DisplayHallCopy, GapAsksForASnapshotAndIgnoresEventsUntilItComes) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  Ticket t = ticket("A006", TicketState::called, 3, TicketStep::called, kT0);
  Applied gap = hall.apply(event(12, EventType::ticket_called, t, window(3, WindowState::open, t.id)), kT0);
  EXPECT_TRUE(gap.need_snapshot);
  EXPECT_TRUE(gap.calls.empty());
  EXPECT_EQ(hall.seq(), 10u);
  // The next event is not applied on top of a copy known to be incomplete, nor asked for twice.
  Applied next = hall.apply(event(13, EventType::ticket_called, t, window(3, WindowState::open, t.id)), kT0);
  EXPECT_FALSE(next.need_snapshot);
  EXPECT_FALSE(next.changed);
  // The snapshot resets; events at or below its seq are old news.
  hall.apply(snapshot(13), kT0);
  EXPECT_FALSE(hall.apply(event(13, EventType::ticket_called, t, window(3, WindowState::open, t.id)), kT0).changed);
  EXPECT_TRUE(hall.apply(event(14, EventType::ticket_called, t, window(3, WindowState::open, t.id)), kT0).changed);
}

TEST(DisplayHallCopy, UnreadableEventAsksForASnapshot) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  json bad = event(11, EventType::ticket_called, std::nullopt, std::nullopt);
  bad["ticket"] = json{{"number", 12}};
  Applied a = hall.apply(bad, kT0);
  EXPECT_TRUE(a.need_snapshot);
  EXPECT_NE(a.error.find("/ticket"), std::string::npos) << a.error;
}

TEST(DisplayHallCopy, UnknownEventKeepsOrderAndIsHandedOn) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  json e{{"type", "event"}, {"seq", 11}, {"at", kT0}, {"event", "queue_reshuffled_in_2030"}, {"ticket", {{"id", "T-A005"}, {"window", 1}}}};
  Applied a = hall.apply(e, kT0);
  EXPECT_FALSE(a.need_snapshot);
  EXPECT_EQ(a.other_event, "queue_reshuffled_in_2030");
  EXPECT_EQ(hall.seq(), 11u);
}

TEST(DisplayHallCopy, TicketLeavingAWindowIsNoLongerShownThere) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  Ticket t = ticket("A005", TicketState::no_show, 1, TicketStep::no_show, kT0);
  hall.apply(event(11, EventType::ticket_no_show, t, window(1, WindowState::open, "")), kT0);
  EXPECT_FALSE(hall.window(1)->current.has_value());
  StripView s = strip_view(hall, default_style(Layout::strip), 1, kT0);
  EXPECT_EQ(s.number, "");
  EXPECT_EQ(s.status, "欢迎光临");
}

TEST(DisplayStripView, PausedWindowSaysSo) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  StripView s = strip_view(hall, default_style(Layout::strip), 2, kT0);
  EXPECT_TRUE(s.paused);
  EXPECT_EQ(s.status, "暂停服务");
  EXPECT_EQ(s.window, "2号窗口");
  // Pausing window 1 by event.
  hall.apply(event(11, EventType::window_paused, std::nullopt, window(1, WindowState::paused, "")), kT0);
  EXPECT_TRUE(strip_view(hall, default_style(Layout::strip), 1, kT0).paused);
  Style tw = default_style(Layout::strip);
  tw.language = "zh-TW";
  EXPECT_EQ(strip_view(hall, tw, 2, kT0).status, "暫停服務");
}

TEST(DisplayBoardView, LostConnectionShowsNoStaleCalls) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  hall.connection_lost(kT0 + 1000);
  EXPECT_FALSE(hall.live());
  BoardView v = board_view(hall, board_style(), kT0 + 13500, 480);
  EXPECT_TRUE(v.lost);
  EXPECT_TRUE(v.calls.empty());
  EXPECT_TRUE(v.services.empty());
  EXPECT_EQ(v.lost_title, "连接中断 / Connection lost");
  EXPECT_NE(v.lost_detail.find("12 秒"), std::string::npos) << v.lost_detail;
  StripView s = strip_view(hall, default_style(Layout::strip), 1, kT0 + 2000);
  EXPECT_TRUE(s.lost);
  EXPECT_EQ(s.number, "");
  // Reconnected but no snapshot yet: still not live; events are ignored until the snapshot.
  hall.connection_opened();
  Ticket t = ticket("A006", TicketState::called, 3, TicketStep::called, kT0);
  EXPECT_FALSE(hall.apply(event(11, EventType::ticket_called, t, window(3, WindowState::open, t.id)), kT0).changed);
  EXPECT_TRUE(board_view(hall, board_style(), kT0 + 14000, 480).lost);
  hall.apply(snapshot(11), kT0 + 14000);
  EXPECT_FALSE(board_view(hall, board_style(), kT0 + 14000, 480).lost);
}

// The board says why a service issues no tickets now where its estimate would be, as the kiosk
// greys it: the next opening today, the day's end, the cap, a day off.
TEST(DisplayBoardView, ClosedServicesSayWhyInsteadOfAnEstimate) {
  json s = snapshot(10);
  s["hall"]["utc_offset_min"] = 480;
  s["hall"]["enforce_opening_hours"] = true;
  s["services"][0]["hours"] = {"08:30-12:00", "14:00-17:30"};
  s["services"][1]["daily_cap"] = 2;  // B has issued 2
  HallCopy hall;
  hall.apply(s, kT0);
  auto row = [&](TimeMs at, std::size_t i) { return board_view(hall, board_style(), at, 480).services.at(i); };
  const TimeMs hour = 3600000;
  EXPECT_FALSE(row(kT0, 0).closed) << "10:00: A is open";
  EXPECT_EQ(row(kT0, 0).wait, "约 14 分钟");
  EXPECT_TRUE(row(kT0, 1).closed);
  EXPECT_EQ(row(kT0, 1).wait, "今日号已取完");
  EXPECT_TRUE(row(kT0 + 2 * hour + hour / 2, 0).closed) << "12:30";
  EXPECT_EQ(row(kT0 + 2 * hour + hour / 2, 0).wait, "14:00 起取号");
  EXPECT_FALSE(row(kT0 + 4 * hour, 0).closed) << "14:00 sharp";
  EXPECT_EQ(row(kT0 + 8 * hour, 0).wait, "今日已停止取号") << "18:00";
  s["seq"] = 11;
  s["hall"]["day_off"] = {{"date", "2026-11-28"}, {"why", "Saturday"}};
  hall.apply(s, kT0);
  EXPECT_EQ(row(kT0, 0).wait, "今日不办公");
  EXPECT_EQ(row(kT0, 1).wait, "今日不办公");
  Style en = board_style();
  en.language = "en";
  s["seq"] = 12;
  s["hall"]["day_off"] = nullptr;
  hall.apply(s, kT0);
  EXPECT_EQ(board_view(hall, en, kT0 + 2 * hour + hour / 2, 480).services.at(0).wait, "From 14:00");
}

// A display PC's clock is often wrong: the board shows the server's time, in the hall's zone.
TEST(DisplayBoardView, TheClockIsTheHallsNotThisPCs) {
  json s = snapshot(10);  // the server's now: kT0, 10:00 in Beijing
  s["hall"]["utc_offset_min"] = 480;
  HallCopy hall;
  const TimeMs slow = 3 * 3600000 + 7 * 60000;  // this PC is 3 h 7 min slow
  EXPECT_EQ(board_view(hall, board_style(), kT0 - slow, 480).clock, "06:53") << "before a snapshot: this PC's clock";
  hall.apply(s, kT0 - slow);
  EXPECT_EQ(board_view(hall, board_style(), kT0 - slow + 61000, 480).clock, "10:01");
  EXPECT_EQ(board_view(hall, board_style(), kT0 - slow + 61000, 480).date, "2026年11月27日 星期五");
  s["seq"] = 11;
  s["hall"]["utc_offset_min"] = 0;  // a hall on UTC: the snapshot's zone wins over the flag's
  hall.apply(s, kT0 - slow);
  EXPECT_EQ(board_view(hall, board_style(), kT0 - slow, 480).clock, "02:00");
}

TEST(DisplayBoardView, StyleFiltersWindowsAndServices) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  Style s = board_style();
  s.windows = {3};
  s.services = {"B"};
  s.second_language = "en";
  BoardView v = board_view(hall, s, kT0, 480);
  ASSERT_EQ(v.calls.size(), 1u);
  EXPECT_EQ(v.calls[0].number, "B002");
  ASSERT_EQ(v.services.size(), 1u);
  EXPECT_EQ(v.services[0].second_name, "Real Estate");
  s.language = "zh-TW";
  EXPECT_EQ(board_view(hall, s, kT0, 480).services[0].name, "不動產登記");
  EXPECT_EQ(board_view(hall, s, kT0, 480).title, "測試大廳");
}

TEST(DisplayAnnouncement, ReadsTheNumberDigitByDigit) {
  EXPECT_EQ(announcement_text("A012", 3), "请A012号到3号窗口办理");
  EXPECT_EQ(spoken_announcement("A012", 3, "cmn"), "请 A 零 一 二 号到 三 号窗口办理");
  EXPECT_EQ(spoken_announcement("B100", 12, "yue"), "請 B 一 零 零 號到 十二 號窗口辦理");
  EXPECT_EQ(spoken_announcement("A012", 3, "en"), "Number A, zero, one, two, please go to window 3.");
  struct Case { int n; const char* zh; } cases[] = {{1, "一"}, {10, "十"}, {12, "十二"}, {20, "二十"}, {28, "二十八"},
                                                    {100, "一百"}, {105, "一百零五"}, {110, "一百一十"}, {999, "九百九十九"}};
  for (const auto& c : cases) EXPECT_EQ(chinese_numeral(c.n), c.zh) << c.n;
}

TEST(DisplayViews, Formatting) {
  EXPECT_EQ(wait_text(0, "zh-CN"), "无需等候");
  EXPECT_EQ(wait_text(61, "zh-CN"), "约 2 分钟");
  EXPECT_EQ(wait_text(600, "zh-TW"), "約 10 分鐘");
  EXPECT_EQ(wait_text(600, "en"), "about 10 min");
  EXPECT_EQ(window_label(7, "en"), "Window 7");
  EXPECT_EQ(clock_text(kT0 + 3723000, 480), "11:02");
  EXPECT_EQ(date_text(kT0, 480, "en"), "Fri 2026-11-27");
  // Marquee: no shift when it fits; wraps after text + gap.
  EXPECT_EQ(marquee_offset(100, 200, 5000, 100, 50), 0);
  EXPECT_EQ(marquee_offset(400, 200, 1000, 100, 50), 100);
  EXPECT_EQ(marquee_offset(400, 200, 4500, 100, 50), 0);
  EXPECT_EQ(marquee_offset(400, 200, 5000, 100, 50), 50);
}

TEST(DisplayBackoff, StartsNearOneSecondAndCapsNearTen) {
  Backoff b;
  EXPECT_EQ(b.delay(0, 0.5).count(), 1000);
  EXPECT_EQ(b.delay(1, 0.5).count(), 2000);
  EXPECT_EQ(b.delay(3, 0.5).count(), 8000);
  EXPECT_EQ(b.delay(4, 0.5).count(), 10000);
  EXPECT_EQ(b.delay(40, 0.5).count(), 10000);
  EXPECT_EQ(b.delay(0, 0.0).count(), 750);
  EXPECT_EQ(b.delay(10, 0.999999).count(), 12499);
}

TEST(DisplayStyle, ParsesAndNamesTheFirstBadField) {
  auto ok = parse_style(json{{"layout", "strip"}, {"colours", {{"text", "#FF0000"}}}, {"calls_shown", 5}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->layout, Layout::strip);
  EXPECT_EQ(ok->text, (Colour{255, 0, 0, 255}));
  struct Case { json j; const char* needle; } cases[] = {
      {json{{"layout", "wall"}}, "/layout"},
      {json{{"layout", "board"}, {"colours", {{"text", "red"}}}}, "/colours/text"},
      {json{{"layout", "board"}, {"calls_shown", 99}}, "/calls_shown"},
      {json{{"layout", "board"}, {"colour", {}}}, "colour"},
      {json{{"layout", "board"}, {"language", "fr"}}, "/language"},
  };
  for (const auto& c : cases) {
    auto r = parse_style(c.j);
    ASSERT_FALSE(r.ok()) << c.j.dump();
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << r.error().message;
  }
}

TEST(DisplayStyle, ShippedStylesParse) {
  for (const char* f : {"board", "strip", "kiosk", "evaluator"}) {
    auto s = load_style(std::string(HALLQ_ASSETS_DIR) + "/display/" + f + ".json");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(to_string(s->layout), f);
  }
}

TEST(DisplayKiosk, DoubleTapGivesOneRequest) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  KioskModel k("kiosk-run1", "zh-CN");
  auto first = k.press("service:A", kT0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)["command"], "issue");
  EXPECT_EQ((*first)["service"], "A");
  EXPECT_FALSE(k.press("service:A", kT0 + 80).has_value()) << "second tap while the first is in flight";
  EXPECT_FALSE(k.press("service:B", kT0 + 90).has_value());
  // After a reconnect the same command (same request id) is sent again, not a new one.
  ASSERT_TRUE(k.pending_command().has_value());
  EXPECT_EQ((*k.pending_command())["request_id"], (*first)["request_id"]);
  k.on_result(json{{"type", "result"}, {"request_id", (*first)["request_id"]}, {"ok", true}, {"status", 201},
                   {"result", {{"ticket", {{"number", "A010"}}}, {"ahead", 3}, {"estimated_wait_s", 600}}}},
              kT0 + 200);
  TouchView v = k.view(hall, default_style(Layout::kiosk), 1280, 800, kT0 + 300);
  EXPECT_EQ(v.big_number, "A010");
  EXPECT_NE(v.message.find("3"), std::string::npos);
  auto second = k.press("service:A", kT0 + 5000);
  ASSERT_TRUE(second.has_value());
  EXPECT_NE((*second)["request_id"], (*first)["request_id"]) << "a new press is a new request";
}

TEST(DisplayKiosk, ButtonsPerServiceLanguageAndPriority) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  KioskModel k("kiosk-run1", "zh-CN");
  TouchView v = k.view(hall, default_style(Layout::kiosk), 1280, 800, kT0);
  ASSERT_GE(v.buttons.size(), 2u + 2u + 3u);
  EXPECT_EQ(v.buttons[0].action, "service:A");
  EXPECT_EQ(v.buttons[0].label, "综合受理");
  for (const Button& b : v.buttons) {
    EXPECT_GT(b.rect.w, 0) << b.action;
    EXPECT_LE(b.rect.x + b.rect.w, 1280) << b.action;
    EXPECT_LE(b.rect.y + b.rect.h, 800) << b.action;
  }
  k.press("lang:zh-TW", kT0);
  k.press("priority", kT0);
  v = k.view(hall, default_style(Layout::kiosk), 1280, 800, kT0);
  EXPECT_EQ(v.buttons[1].label, "不動產登記");
  auto cmd = k.press("service:B", kT0);
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ((*cmd)["class"], "priority");
  EXPECT_EQ((*cmd)["lang"], "zh-TW");
  k.press("appointment", kT0);
  EXPECT_TRUE(k.entering_code(kT0));
}

const Button* button(const TouchView& v, const std::string& action) {
  for (const Button& b : v.buttons)
    if (b.action == action) return &b;
  return nullptr;
}

// The snapshot's hours, caps and day off grey the buttons before anyone taps (the agreement with
// the server's own refusals is kiosk_agreement_test.cc); the button says why, in the language.
TEST(DisplayKiosk, GreyedServicesSayWhyBeforeAnyoneTaps) {
  json s = snapshot(10);
  s["hall"]["utc_offset_min"] = 480;
  s["hall"]["enforce_opening_hours"] = true;
  s["hall"]["day_off"] = nullptr;
  s["services"][0]["hours"] = {"08:30-12:00", "14:00-17:30"};
  s["services"][1]["daily_cap"] = 3;  // B has issued 2
  HallCopy hall;
  hall.apply(s, kT0);
  KioskModel k("kiosk-run1", "zh-CN");
  const Style style = default_style(Layout::kiosk);

  TouchView v = k.view(hall, style, 1280, 800, kT0);  // 10:00
  ASSERT_NE(button(v, "service:A"), nullptr);
  EXPECT_TRUE(button(v, "service:A")->enabled);
  EXPECT_TRUE(button(v, "service:B")->enabled);
  EXPECT_EQ(v.message, "请选择业务取号");

  v = k.view(hall, style, 1280, 800, kT0 + 2 * 3600000 + 1800000);  // 12:30, lunch
  EXPECT_FALSE(button(v, "service:A")->enabled);
  EXPECT_TRUE(button(v, "service:A")->unavailable);
  EXPECT_EQ(button(v, "service:A")->detail, "取号时间 08:30-12:00、14:00-17:30");
  EXPECT_TRUE(button(v, "service:B")->enabled);
  EXPECT_FALSE(button(v, "service:B")->unavailable);
  // A press in flight disables every button for a moment, but greys none.
  ASSERT_TRUE(k.press("service:B", kT0).has_value());
  v = k.view(hall, style, 1280, 800, kT0 + 2 * 3600000 + 1800000);
  EXPECT_FALSE(button(v, "service:B")->enabled);
  EXPECT_FALSE(button(v, "service:B")->unavailable);
  k.send_failed(kT0);  // "connection lost" shows for 5 s: the views below are after it
  k.press("lang:en", kT0);
  v = k.view(hall, style, 1280, 800, kT0 + 2 * 3600000 + 1800000);
  EXPECT_EQ(button(v, "service:A")->detail, "Tickets 08:30-12:00, 14:00-17:30");
  k.press("lang:zh-CN", kT0);

  // B's third ticket of the day, as an event's load says: the cap is reached.
  ServiceLoad load{"B", 1, 3, 300, 0};
  hall.apply(event(11, EventType::ticket_issued, ticket("B003", TicketState::waiting, 0, TicketStep::issued, kT0), {}, load), kT0);
  v = k.view(hall, style, 1280, 800, kT0);
  EXPECT_FALSE(button(v, "service:B")->enabled);
  EXPECT_EQ(button(v, "service:B")->detail, "今日号已取完");
  EXPECT_TRUE(button(v, "priority")->enabled);

  // Saturday: every service and option greyed, and the prompt says the hall is closed today.
  s["seq"] = 12;
  s["hall"]["day_off"] = {{"date", "2026-11-28"}, {"why", "Saturday"}};
  hall.apply(s, kT0);
  v = k.view(hall, style, 1280, 800, kT0 + 6000);
  for (const char* action : {"service:A", "service:B", "priority", "appointment"}) {
    ASSERT_NE(button(v, action), nullptr) << action;
    EXPECT_FALSE(button(v, action)->enabled) << action;
  }
  EXPECT_EQ(button(v, "service:B")->detail, "今日不办公");
  EXPECT_EQ(v.message, "今天（2026-11-28）不办公，不能取号");
  EXPECT_TRUE(v.message_is_error);
  EXPECT_TRUE(button(v, "lang:en")->enabled) << "the visitor may still read it in their language";

  // A hall that does not enforce its hours (--always-open) greys nothing for hours or days.
  s["seq"] = 13;
  s["hall"]["enforce_opening_hours"] = false;
  hall.apply(s, kT0 + 2 * 3600000 + 1800000);
  v = k.view(hall, style, 1280, 800, kT0 + 2 * 3600000 + 1800000);
  EXPECT_TRUE(button(v, "service:A")->enabled);
  EXPECT_EQ(v.message, "请选择业务取号");
}

json result_for(const json& cmd, bool ok, const json& body) {
  json r{{"type", "result"}, {"request_id", cmd["request_id"]}, {"ok", ok}, {"status", ok ? 201 : 409}};
  r[ok ? "result" : "error"] = body;
  return r;
}

TEST(DisplayKiosk, AppointmentKeypadTakesSixDigitsAndConfirmSendsOneRequest) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  KioskModel k("kiosk-run1", "zh-CN");
  const Style style = default_style(Layout::kiosk);
  ASSERT_TRUE(k.press("appointment", kT0) == std::nullopt);
  TouchView v = k.view(hall, style, 1280, 800, kT0);
  EXPECT_EQ(v.entry_max, 6);
  EXPECT_EQ(v.entry, "");
  EXPECT_EQ(v.message, "请输入6位预约码，或扫描预约二维码");
  // Ten digit keys, delete, confirm, back, three languages; inside the screen, not overlapping.
  ASSERT_EQ(v.buttons.size(), 16u);
  for (const char* a : {"digit:0", "digit:9", "backspace", "confirm", "back", "lang:en"}) EXPECT_NE(button(v, a), nullptr) << a;
  for (std::size_t i = 0; i < v.buttons.size(); ++i) {
    const Rect& r = v.buttons[i].rect;
    EXPECT_TRUE(r.x >= 0 && r.y >= 0 && r.x + r.w <= 1280 && r.y + r.h <= 800) << v.buttons[i].action;
    EXPECT_GE(r.h, 80) << v.buttons[i].action << ": a finger-sized key";
    for (std::size_t j = 0; j < i; ++j) {
      const Rect& o = v.buttons[j].rect;
      EXPECT_FALSE(r.x < o.x + o.w && o.x < r.x + r.w && r.y < o.y + o.h && o.y < r.y + r.h) << v.buttons[i].action << " / " << v.buttons[j].action;
    }
  }
  EXPECT_FALSE(button(v, "confirm")->enabled);
  EXPECT_FALSE(button(v, "backspace")->enabled);
  for (const char* d : {"4", "8", "3", "9", "2", "0", "7"}) k.press(std::string("digit:") + d, kT0 + 100);
  EXPECT_EQ(k.code(), "483920") << "at most six digits";
  v = k.view(hall, style, 1280, 800, kT0 + 100);
  EXPECT_EQ(v.entry, "483920");
  EXPECT_FALSE(button(v, "digit:1")->enabled);
  EXPECT_TRUE(button(v, "confirm")->enabled);
  k.press("backspace", kT0 + 200);
  EXPECT_EQ(k.code(), "48392");
  // Confirm with five digits: no request, a precise hint.
  EXPECT_FALSE(k.press("confirm", kT0 + 300).has_value());
  v = k.view(hall, style, 1280, 800, kT0 + 300);
  EXPECT_EQ(v.message, "预约码是6位数字");
  EXPECT_TRUE(v.message_is_error);
  k.press("digit:0", kT0 + 400);
  auto cmd = k.press("confirm", kT0 + 500);
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ((*cmd)["command"], "issue");
  EXPECT_EQ((*cmd)["appointment_code"], "483920");
  EXPECT_EQ((*cmd)["lang"], "zh-CN");
  EXPECT_FALSE(cmd->contains("service")) << "the appointment decides the service";
  EXPECT_FALSE(cmd->contains("class"));
  // A double press, and keys while in flight: nothing more is sent, the code stays.
  EXPECT_FALSE(k.press("confirm", kT0 + 550).has_value());
  k.press("backspace", kT0 + 560);
  EXPECT_EQ(k.code(), "483920");
  EXPECT_FALSE(button(k.view(hall, style, 1280, 800, kT0 + 560), "confirm")->enabled);
  // A reconnect re-sends the same command (same request id); another id's answer is not ours.
  ASSERT_TRUE(k.pending_command().has_value());
  EXPECT_EQ(*k.pending_command(), *cmd);
  k.on_result(json{{"type", "result"}, {"request_id", "someone-else"}, {"ok", true}, {"result", json::object()}}, kT0 + 600);
  EXPECT_TRUE(k.in_flight());
  k.on_result(result_for(*cmd, true,
                         {{"ticket", {{"number", "B012"}}}, {"ahead", 1}, {"estimated_wait_s", 120},
                          {"appointment", {{"code", "483920"}, {"state", "checked_in"}, {"number", "B012"}}}}),
              kT0 + 700);
  v = k.view(hall, style, 1280, 800, kT0 + 800);
  EXPECT_EQ(v.big_number, "B012");
  EXPECT_EQ(v.message.rfind("预约签到成功", 0), 0u) << v.message;
  EXPECT_EQ(v.entry_max, 0) << "after a check-in the next visitor starts at the services";
  // The next confirm is a new request with a new id.
  k.type_text("111222", kT0 + 20000);
  auto again = k.press("confirm", kT0 + 20100);
  ASSERT_TRUE(again.has_value());
  EXPECT_NE((*again)["request_id"], (*cmd)["request_id"]);
}

TEST(DisplayKiosk, ScannerTypesTheCodeAndEnterConfirms) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  KioskModel k("kiosk-run1", "en");
  // A scan on the services screen opens the code entry by itself; stray characters are ignored.
  k.type_text("48-39 2a0", kT0);
  EXPECT_TRUE(k.entering_code(kT0));
  EXPECT_EQ(k.code(), "483920");
  auto cmd = k.key_enter(kT0 + 10);
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ((*cmd)["appointment_code"], "483920");
  EXPECT_EQ((*cmd)["lang"], "en");
  EXPECT_FALSE(k.key_enter(kT0 + 20).has_value()) << "a second Enter while in flight";
  // Refused: the words say why, the entry stays open and empty for the next scan.
  k.on_result(result_for(*cmd, false, {{"code", "not_found"}, {"message", "no appointment with code 483920"}}), kT0 + 100);
  TouchView v = k.view(hall, default_style(Layout::kiosk), 1280, 800, kT0 + 200);
  EXPECT_EQ(v.message, "No appointment has the code 483920; please check it");
  EXPECT_TRUE(v.message_is_error);
  EXPECT_EQ(v.big_number, "");
  EXPECT_EQ(v.entry_max, 6);
  EXPECT_EQ(v.entry, "");
  k.type_text("4", kT0 + 300);
  EXPECT_FALSE(k.view(hall, default_style(Layout::kiosk), 1280, 800, kT0 + 300).message_is_error) << "typing again clears the refusal";
  // Left alone, the entry goes back to the services.
  EXPECT_EQ(k.next_change(kT0 + 300), kT0 + 300 + KioskModel::kEntryIdleMs);
  v = k.view(hall, default_style(Layout::kiosk), 1280, 800, kT0 + 300 + KioskModel::kEntryIdleMs);
  EXPECT_EQ(v.entry_max, 0);
  EXPECT_NE(button(v, "service:A"), nullptr);
}

TEST(DisplayKiosk, AppointmentRefusalsInTheVisitorsLanguage) {
  struct Case {
    const char* code;
    const char* message;  // the server's (English) words
    const char* lang;
    const char* want;
  };
  const Case cases[] = {
      {"not_found", "no appointment with code 483920", "zh-CN", "预约码 483920 不存在，请核对后重新输入"},
      {"not_found", "no appointment with code 483920", "zh-TW", "預約碼 483920 不存在，請核對後重新輸入"},
      {"appointment_missed", "appointment 483920 for 09:30 was missed at 09:45; please take a normal ticket", "zh-CN",
       "预约 483920 已过时，请选择业务取普通号"},
      {"appointment_missed", "appointment 483920 for 09:30 was missed at 09:45", "zh-TW", "預約 483920 已逾時，請選擇業務取一般號碼"},
      {"appointment_missed", "appointment 483920 for 09:30 was missed at 09:45", "en", "Appointment 483920 was missed; please take a normal ticket"},
      {"already_checked_in", "appointment 483920 is already checked in: ticket B012", "zh-CN", "预约 483920 已签到，号码 B012"},
      {"already_checked_in", "appointment 483920 is already checked in: ticket B012", "en", "Appointment 483920 is already checked in as B012"},
      {"already_checked_in", "already checked in", "zh-TW", "預約 483920 已報到過"},
      {"bad_request", "appointment 483920 is for 2026-11-30", "zh-CN", "预约 483920 的日期是 2026-11-30，不是今天"},
      {"bad_request", "appointment 483920 is for 2026-11-30", "en", "Appointment 483920 is for 2026-11-30, not today"},
      {"appointment_cancelled", "appointment 483920 was cancelled", "zh-TW", "預約 483920 已取消"},
      {"forbidden", "this kiosk issues only A", "zh-CN", "本机不能办理这个预约的业务，请到其他取号机"},
      {"busy", "the server's commit queue is full; retry in a moment", "zh-CN", "系统繁忙，请稍候再按"},
      {"service_closed", "the hall is closed today, 2026-11-28 (Saturday): tickets are issued on working days", "zh-CN",
       "今天（2026-11-28）不办公，不能取号"},
      {"unknown_code", "something new", "zh-CN", "something new"},
  };
  for (const Case& c : cases)
    EXPECT_EQ(appointment_error_text(json{{"code", c.code}, {"message", c.message}}, "483920", c.lang), c.want) << c.code << " " << c.lang;
}

// A refused ticket in the visitor's language: the server's messages are English, for staff.
// Without the error's detail (an older server), the kiosk reads the facts from the message.
TEST(DisplayKiosk, TicketRefusalsInTheVisitorsLanguage) {
  struct Case {
    const char* code;
    const char* message;  // the server's words; "closed today" and the hours exactly as the engine writes them
    const char* lang;
    const char* want;
  };
  const Case cases[] = {
      {"service_closed", "the hall is closed today, 2026-11-28 (Saturday): tickets are issued on working days", "zh-CN",
       "今天（2026-11-28）不办公，不能取号"},
      {"service_closed", "the hall is closed today, 2026-10-01 (a holiday): tickets are issued on working days", "zh-TW",
       "今天（2026-10-01）不辦公，不能取號"},
      {"service_closed", "the hall is closed today, 2026-11-29 (Sunday): tickets are issued on working days", "en",
       "The hall is closed today (2026-11-29): no tickets"},
      {"service_closed", "service B is open 08:30-12:00, 13:30-17:30 (it is 12:10 now)", "zh-CN",
       "该业务现在不取号，取号时间 08:30-12:00、13:30-17:30"},
      {"service_closed", "service B is open 08:30-12:00, 13:30-17:30 (it is 12:10 now)", "en",
       "This service issues tickets 08:30-12:00, 13:30-17:30 only"},
      {"service_closed", "closed", "zh-TW", "該業務現在不取號"},
      {"daily_cap_reached", "service C has issued all 80 of today's tickets", "zh-CN", "该业务今天的号已经取完，请明天再来"},
      {"rate_limited", "kiosk kiosk-1 is sending too many commands", "zh-TW", "操作太快，請稍候再按"},
      {"busy", "the server's commit queue is full; retry in a moment", "en", "The system is busy; please press again in a moment"},
      {"not_found", "service Z does not exist", "zh-CN", "service Z does not exist"},
  };
  for (const Case& c : cases)
    EXPECT_EQ(issue_error_text(json{{"code", c.code}, {"message", c.message}}, c.lang), c.want) << c.code << " " << c.lang;
}

// The server says why it refused in the error's detail; the kiosk words it from there, not from
// the English message (which above is what a server without the detail leaves to read).
TEST(DisplayKiosk, TicketRefusalsAreWordedFromTheErrorsDetail) {
  struct Case {
    json detail;
    const char* lang;
    const char* want;
  };
  const Case cases[] = {
      {{{"reason", "day_off"}, {"date", "2026-11-28"}, {"why", "Saturday"}}, "zh-CN", "今天（2026-11-28）不办公，不能取号"},
      {{{"reason", "day_off"}, {"date", "2026-10-01"}, {"why", "a holiday"}}, "en", "The hall is closed today (2026-10-01): no tickets"},
      {{{"reason", "outside_hours"}, {"hours", "08:30-12:00, 13:30-17:30"}, {"now", "12:10"}}, "zh-TW",
       "該業務現在不取號，取號時間 08:30-12:00、13:30-17:30"},
      {{{"reason", "outside_hours"}, {"hours", "08:30-12:00"}, {"now", "07:55"}}, "en", "This service issues tickets 08:30-12:00 only"},
      // A reason this kiosk does not know yet, or a malformed detail: the plain words.
      {{{"reason", "snow_day"}}, "zh-CN", "该业务现在不取号"},
      {json::array({1, 2}), "en", "This service issues no tickets now"},
      {{{"reason", 7}, {"date", 20261128}}, "zh-TW", "該業務現在不取號"},
  };
  for (const Case& c : cases) {
    // The message alone would not say it: only the detail can.
    const json error{{"code", "service_closed"}, {"message", "refused"}, {"detail", c.detail}};
    EXPECT_EQ(issue_error_text(error, c.lang), c.want) << c.detail.dump();
  }
}

TEST(DisplayEvaluator, AsksAfterACompletedVisitAtItsWindowAndSendsOneRating) {
  HallCopy hall;
  hall.apply(snapshot(10), kT0);
  EvaluatorModel e("eval-run1", 1, "zh-CN");
  Ticket elsewhere = ticket("B002", TicketState::done, 3, TicketStep::completed, kT0);
  e.on_applied(hall.apply(event(11, EventType::service_completed, elsewhere, window(3, WindowState::open, "")), kT0), kT0);
  EXPECT_TRUE(e.view(hall, default_style(Layout::evaluator), 1280, 800, kT0).buttons.empty());
  Ticket here = ticket("A005", TicketState::done, 1, TicketStep::completed, kT0);
  e.on_applied(hall.apply(event(12, EventType::service_completed, here, window(1, WindowState::open, "")), kT0), kT0);
  TouchView v = e.view(hall, default_style(Layout::evaluator), 1280, 800, kT0);
  ASSERT_EQ(v.buttons.size(), 5u);
  EXPECT_EQ(v.buttons[0].label, "非常满意");
  EXPECT_EQ(v.buttons[4].label, "非常不满意");
  auto cmd = e.press(v.buttons[0].action, kT0);
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ((*cmd)["command"], "rate");
  EXPECT_EQ((*cmd)["ticket"], "T-A005");
  EXPECT_EQ((*cmd)["level"], 5);
  EXPECT_FALSE(e.press("rate:1", kT0 + 50).has_value());
  e.on_result(json{{"type", "result"}, {"request_id", (*cmd)["request_id"]}, {"ok", true}}, kT0 + 100);
  v = e.view(hall, default_style(Layout::evaluator), 1280, 800, kT0 + 200);
  EXPECT_TRUE(v.buttons.empty());
  EXPECT_EQ(v.message, "感谢您的评价");
}

json welcome_kiosk(const char* printer) {
  return json{{"type", "welcome"}, {"role", "kiosk"}, {"name", "kiosk-1"}, {"windows", json::array()}, {"printer", printer}};
}
json device(const char* id, bool online, const char* status, TimeMs since) {
  return json{{"type", "device"}, {"id", id},         {"kind", "printer"}, {"online", online},
              {"status", status}, {"detail", "x"}, {"since", since}};
}

TEST(DisplayKioskPrinter, EachStatusInThreeLanguages) {
  struct Case {
    const char* status;
    bool online;
    const char* cn;
    const char* tw;
    const char* en;
  };
  const Case cases[] = {
      {"ok", true, "", "", ""},
      {"paper_near_end", true, "", "", ""},  // still prints: a hint for staff, not for visitors
      {"paper_out", true, "打印机缺纸，请联系工作人员", "印表機缺紙，請聯繫工作人員", "Printer out of paper — please ask staff"},
      {"cover_open", true, "打印机盖未关好，请联系工作人员", "印表機蓋未關好，請聯繫工作人員", "Printer cover open — please ask staff"},
      {"cutter_error", true, "打印机切纸故障，请联系工作人员", "印表機切紙故障，請聯繫工作人員", "Printer cutter jammed — please ask staff"},
      {"offline", true, "打印机离线，请联系工作人员", "印表機離線，請聯繫工作人員", "Printer offline — please ask staff"},
      {"ok", false, "打印机离线，请联系工作人员", "印表機離線，請聯繫工作人員", "Printer offline — please ask staff"},  // agent gone
      {"jammed_v2", true, "打印机故障，请联系工作人员", "印表機故障，請聯繫工作人員", "Printer fault — please ask staff"},
  };
  for (const Case& c : cases) {
    DeviceInfo d{"printer-1", "printer", c.online, c.status, "", kT0};
    EXPECT_EQ(printer_problem_text(&d, "zh-CN"), c.cn) << c.status << " online " << c.online;
    EXPECT_EQ(printer_problem_text(&d, "zh-TW"), c.tw) << c.status;
    EXPECT_EQ(printer_problem_text(&d, "en"), c.en) << c.status;
  }
  // Never heard of (no printer agent in this hall) and no printer at all: no banner.
  DeviceInfo never{"printer-1", "printer", false, "unknown", "", 0};
  EXPECT_EQ(printer_problem_text(&never, "zh-CN"), "");
  EXPECT_EQ(printer_problem_text(nullptr, "zh-CN"), "");
}

TEST(DisplayKioskPrinter, BannerFollowsTheKiosksOwnPrinterFromSnapshotAndDeviceMessages) {
  HallCopy hall;
  hall.apply(welcome_kiosk("printer-1"), kT0);
  EXPECT_EQ(hall.device_printer(), "printer-1");
  json snap = snapshot(10);
  snap["devices"] = {{{"id", "printer-1"}, {"kind", "printer"}, {"online", true}, {"status", "ok"}, {"detail", ""}, {"since", kT0}},
                     {{"id", "printer-2"}, {"kind", "printer"}, {"online", true}, {"status", "paper_out"}, {"detail", ""}, {"since", kT0}}};
  hall.apply(snap, kT0);
  KioskModel k("kiosk-run1", "zh-CN");
  const Style style = default_style(Layout::kiosk);
  EXPECT_EQ(k.view(hall, style, 1280, 800, kT0).banner, "") << "another kiosk's printer is out, not ours";

  Applied a = hall.apply(device("printer-1", true, "paper_out", kT0 + 10), kT0 + 10);
  EXPECT_TRUE(a.changed);
  TouchView v = k.view(hall, style, 1280, 800, kT0 + 10);
  EXPECT_EQ(v.banner, "打印机缺纸，请联系工作人员");
  EXPECT_EQ(v.note, "") << "nothing issued yet";
  k.press("lang:zh-TW", kT0 + 20);
  EXPECT_EQ(k.view(hall, style, 1280, 800, kT0 + 20).banner, "印表機缺紙，請聯繫工作人員");

  // A ticket issued while the paper is out: its number on screen, and it prints later.
  auto cmd = k.press("service:A", kT0 + 30);
  ASSERT_TRUE(cmd.has_value());
  k.on_result(json{{"type", "result"}, {"request_id", (*cmd)["request_id"]}, {"ok", true}, {"status", 201},
                   {"result", {{"ticket", {{"number", "A011"}}}, {"ahead", 2}, {"estimated_wait_s", 300}}}},
              kT0 + 40);
  v = k.view(hall, style, 1280, 800, kT0 + 50);
  EXPECT_EQ(v.big_number, "A011");
  EXPECT_EQ(v.note, "號票將在印表機修復後列印，請記住您的號碼");
  EXPECT_EQ(v.message.find("請取走號票"), std::string::npos) << "no ticket to take: " << v.message;

  // Fixed: the banner goes, and the same issued screen says to take the ticket again.
  hall.apply(device("printer-1", true, "ok", kT0 + 60), kT0 + 60);
  v = k.view(hall, style, 1280, 800, kT0 + 70);
  EXPECT_EQ(v.banner, "");
  EXPECT_EQ(v.note, "");
  EXPECT_NE(v.message.find("請取走號票"), std::string::npos) << v.message;

  // The agent disconnects: the server says online false, the kiosk says offline.
  hall.apply(device("printer-1", false, "ok", kT0 + 80), kT0 + 80);
  k.press("lang:en", kT0 + 90);
  EXPECT_EQ(k.view(hall, style, 1280, 800, kT0 + 90).banner, "Printer offline — please ask staff");

  // A later snapshot replaces what the device messages said.
  json snap2 = snapshot(11);
  snap2["devices"] = {{{"id", "printer-1"}, {"kind", "printer"}, {"online", true}, {"status", "cover_open"}, {"detail", ""}, {"since", kT0 + 100}}};
  hall.apply(snap2, kT0 + 100);
  EXPECT_EQ(k.view(hall, style, 1280, 800, kT0 + 100).banner, "Printer cover open — please ask staff");
}

TEST(DisplayKioskPrinter, MalformedDeviceMessagesAreRefusedOrReadSafely) {
  HallCopy hall;
  hall.apply(welcome_kiosk("printer-1"), kT0);
  hall.apply(snapshot(10), kT0);
  Applied a = hall.apply(json{{"type", "device"}, {"status", "paper_out"}}, kT0);
  EXPECT_EQ(a.error, "device message without id");
  EXPECT_FALSE(a.changed);
  // Wrong types read as "not online", "" status: the kiosk says offline, it does not crash.
  hall.apply(json{{"type", "device"}, {"id", "printer-1"}, {"online", "yes"}, {"status", 3}, {"since", kT0}}, kT0);
  ASSERT_NE(hall.device("printer-1"), nullptr);
  EXPECT_FALSE(hall.device("printer-1")->online);
  EXPECT_EQ(hall.device(""), nullptr);
}

}  // namespace
}  // namespace hallq::display
