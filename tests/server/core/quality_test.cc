// Service quality on a fake clock: overdue alerts raised at exactly their limit and cleared when
// resolved, the rating rules (one per visit, who may rate), request-rating, and follow-ups with
// deadlines counted in working days.
#include <functional>

#include "engine_test_support.h"
#include "hallq/commands.h"

namespace hallq::core::test {
namespace {

// Window 3 alarms after 10 idle minutes; the others never do. A waits 30, serves 20 minutes.
HallConfig quality_config() {
  HallConfig c = make_config();
  c.rules.workdays = {1, 2, 3, 4, 5};  // follow-ups count working days: Monday to Friday
  for (auto& w : c.windows)
    if (w.number == 3) w.idle_limit_min = 10;
  return c;
}

Actor evaluator(int window) { return Actor{Role::evaluator, "eval-" + std::to_string(window), {window}, {}, {}}; }
Actor visitor(const std::string& ticket) { return Actor{Role::visitor, "visitor:" + ticket, {}, {}, ticket}; }

std::vector<Alert> alerts_in(const Outcome& o, EventType type) {
  std::vector<Alert> v;
  for (const Event& e : o.events)
    if (e.type == type && e.alert) v.push_back(*e.alert);
  return v;
}

struct AlertCase {
  std::string name;
  std::function<void(Hall&)> setup;  // runs at 09:00
  TimeMs due;
  AlertKind kind;
  std::string id;      // of the raised alert
  int window;
  std::string number;  // empty for idle
  std::int64_t limit_s;
  std::function<Outcome(Hall&, TimeMs)> resolve;
};

std::vector<AlertCase> alert_cases() {
  return {
      {"a ticket waits 30 minutes", [](Hall& h) { h.give("A", at(9, 0)); }, at(9, 30),
       AlertKind::wait, "W-tk1", 0, "A001", 1800,
       [](Hall& h, TimeMs t) { return h.run(CallNext{1}, zhang(), t); }},
      {"a waiting ticket is cancelled", [](Hall& h) { h.give("A", at(9, 0)); }, at(9, 30),
       AlertKind::wait, "W-tk1", 0, "A001", 1800,
       [](Hall& h, TimeMs t) { return h.run(CancelTicket{"A001", ""}, admin(), t); }},
      {"a service runs 20 minutes",
       [](Hall& h) {
         h.give("A", at(8, 50));
         h.ok(CallNext{1}, zhang(), at(9, 0));
         h.ok(StartService{1}, zhang(), at(9, 0));
       },
       at(9, 20), AlertKind::service, "S-tk1", 1, "A001", 1200,
       [](Hall& h, TimeMs t) { return h.run(CompleteService{1}, zhang(), t); }},
      {"a long service is put on hold",
       [](Hall& h) {
         h.give("A", at(8, 50));
         h.ok(CallNext{1}, zhang(), at(9, 0));
         h.ok(StartService{1}, zhang(), at(9, 0));
       },
       at(9, 20), AlertKind::service, "S-tk1", 1, "A001", 1200,
       [](Hall& h, TimeMs t) { return h.run(Hold{1}, zhang(), t); }},
      {"window 3 stays idle 10 minutes",
       [](Hall& h) {
         h.ok(PauseWindow{3}, admin(), at(8, 55));
         h.ok(ResumeWindow{3}, admin(), at(9, 0));
       },
       at(9, 10), AlertKind::idle, "I-3-" + std::to_string(at(9, 0)), 3, "", 600,
       [](Hall& h, TimeMs t) {
         h.give("C", t);
         return h.run(CallNext{3}, admin(), t);
       }},
      {"an idle window is paused",
       [](Hall& h) {
         h.ok(PauseWindow{3}, admin(), at(8, 55));
         h.ok(ResumeWindow{3}, admin(), at(9, 0));
       },
       at(9, 10), AlertKind::idle, "I-3-" + std::to_string(at(9, 0)), 3, "", 600,
       [](Hall& h, TimeMs t) { return h.run(PauseWindow{3}, admin(), t); }},
  };
}

TEST(CoreQuality, AlertsRaiseAtTheLimitOnceAndClearWhenResolved) {
  for (const AlertCase& c : alert_cases()) {
    SCOPED_TRACE(c.name);
    Hall h(quality_config());
    c.setup(h);
    EXPECT_EQ(h.engine.next_deadline(at(9, 1)), c.due);
    EXPECT_TRUE(h.engine.tick(c.due - 1).events.empty()) << "raised before the limit";

    Outcome raised = h.engine.tick(c.due);
    auto up = alerts_in(raised, EventType::alert_raised);
    ASSERT_EQ(up.size(), 1u);
    EXPECT_EQ(up[0].id, c.id);
    EXPECT_EQ(up[0].kind, c.kind);
    EXPECT_EQ(up[0].window, c.window);
    EXPECT_EQ(up[0].number, c.number);
    EXPECT_EQ(up[0].limit_s, c.limit_s);
    EXPECT_EQ(up[0].raised_at, c.due);
    EXPECT_EQ(up[0].since, c.due - c.limit_s * 1000);
    EXPECT_EQ(raised.events[0].actor, "system");
    ASSERT_EQ(h.engine.active_alerts().size(), 1u);
    EXPECT_EQ(h.engine.snapshot(c.due, false)["alerts"][0]["id"], c.id);

    EXPECT_TRUE(h.engine.tick(c.due + 1).events.empty()) << "raised twice";
    EXPECT_TRUE(h.engine.tick(c.due + 60 * kMin).events.empty()) << "raised twice";

    Outcome resolved = c.resolve(h, c.due + 2 * kMin);
    ASSERT_TRUE(resolved.ok()) << describe(resolved);
    auto down = alerts_in(resolved, EventType::alert_cleared);
    ASSERT_EQ(down.size(), 1u) << "cleared in the resolving command's events";
    EXPECT_EQ(down[0].id, c.id);
    EXPECT_EQ(down[0].cleared_at, c.due + 2 * kMin);
    EXPECT_EQ(resolved.events.back().type, EventType::alert_cleared);
    EXPECT_TRUE(h.engine.active_alerts().empty());
    EXPECT_TRUE(h.engine.snapshot(c.due, false)["alerts"].empty());
    // Nothing comes back for the resolved spell.
    for (const Alert& a : alerts_in(h.engine.tick(c.due + 3 * kMin), EventType::alert_raised))
      EXPECT_NE(a.id, c.id);
  }
}

TEST(CoreQuality, ACallBackStartsANewWaitWithItsOwnAlert) {
  Hall h(quality_config());
  h.give("A", at(9, 0));
  h.ok(CallNext{1}, zhang(), at(9, 1));
  h.ok(StartService{1}, zhang(), at(9, 2));
  h.ok(Hold{1}, zhang(), at(9, 5));
  // Held tickets do not wait in the line: no alert while on hold.
  EXPECT_TRUE(h.engine.tick(at(10, 0)).events.empty());
  Outcome back = h.ok(Callback{1, "A001"}, zhang(), at(10, 0));  // called at once: window free
  EXPECT_TRUE(alerts_in(back, EventType::alert_raised).empty());
  h.ok(StartService{1}, zhang(), at(10, 1));
  auto up = alerts_in(h.engine.tick(at(10, 21)), EventType::alert_raised);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].since, at(10, 1));
}

TEST(CoreQuality, ManyWaitingTicketsRaiseInDeadlineOrder) {
  Hall h(quality_config());
  for (int i = 0; i < 50; ++i) h.give("A", at(9, 0) + i * 1000);
  EXPECT_EQ(h.engine.next_deadline(at(9, 1)), at(9, 30));
  Outcome o = h.engine.tick(at(9, 30) + 24'500);  // the first 25 are due
  auto up = alerts_in(o, EventType::alert_raised);
  ASSERT_EQ(up.size(), 25u);
  for (std::size_t i = 1; i < up.size(); ++i) EXPECT_LT(up[i - 1].since, up[i].since);
  EXPECT_EQ(h.engine.next_deadline(at(9, 31)), at(9, 30) + 25'000);
}

// ---- ratings ---------------------------------------------------------------------------------

// Serves A001 at window 1 (clerk zhang) and returns its id.
std::string served_ticket(Hall& h) {
  h.give("A", at(9, 0));
  h.ok(CallNext{1}, zhang(), at(9, 1));
  h.ok(StartService{1}, zhang(), at(9, 2));
  h.ok(CompleteService{1}, zhang(), at(9, 10));
  return "tk1";
}

TEST(CoreQuality, RatingRules) {
  struct Case {
    std::string name;
    bool serve;  // complete A001 first
    std::function<Actor(const std::string&)> who;
    std::optional<ErrorCode> code;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"the evaluator of the window", true, [](const std::string&) { return evaluator(1); },
       std::nullopt, ""},
      {"the visitor with the ticket id", true, [](const std::string& id) { return visitor(id); },
       std::nullopt, ""},
      {"an admin", true, [](const std::string&) { return admin(); }, std::nullopt, ""},
      {"the evaluator of another window", true, [](const std::string&) { return evaluator(2); },
       ErrorCode::forbidden, "served at window 1"},
      {"a visitor with another ticket", true, [](const std::string&) { return visitor("tk9"); },
       ErrorCode::forbidden, "own ticket"},
      {"the clerk who served", true, [](const std::string&) { return zhang(); },
       ErrorCode::forbidden, "may not rate"},
      {"a kiosk", true, [](const std::string&) { return kiosk(); }, ErrorCode::forbidden,
       "may not rate"},
      {"a visit not finished", false, [](const std::string&) { return admin(); },
       ErrorCode::invalid_state, "only a finished visit can be rated"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Hall h(quality_config());
    std::string id;
    if (c.serve) {
      id = served_ticket(h);
    } else {
      h.give("A", at(9, 0));
      id = "tk1";
    }
    Outcome o = h.run(Rate{id, 4}, c.who(id), at(9, 12));
    if (!c.code) {
      ASSERT_TRUE(o.ok()) << describe(o);
      ASSERT_EQ(types(o), std::vector<EventType>{EventType::ticket_rated});
      const Ticket& t = *o.events[0].ticket;
      ASSERT_TRUE(t.rating.has_value());
      EXPECT_EQ(t.rating->level, 4);
      EXPECT_EQ(t.rating->at, at(9, 12));
      EXPECT_EQ(t.window, 1);
      EXPECT_EQ(t.clerk, "zhang");
      EXPECT_EQ(h.engine.ticket(id)->rating, t.rating);
      // A second rating, by anyone, is refused and changes nothing.
      Outcome again = h.run(Rate{id, 1}, admin(), at(9, 13));
      ASSERT_FALSE(again.ok());
      EXPECT_EQ(again.error->code, ErrorCode::already_rated) << describe(again);
      EXPECT_NE(again.error->message.find("one rating per visit"), std::string::npos);
      EXPECT_TRUE(again.events.empty());
      EXPECT_EQ(h.engine.ticket(id)->rating->level, 4);
    } else {
      ASSERT_FALSE(o.ok());
      EXPECT_EQ(o.error->code, *c.code) << describe(o);
      EXPECT_NE(o.error->message.find(c.message_part), std::string::npos) << describe(o);
      EXPECT_TRUE(o.events.empty());
      EXPECT_FALSE(h.engine.ticket(id)->rating.has_value());
    }
  }
}

TEST(CoreQuality, RatingViaAndUnknownTickets) {
  Hall h(quality_config());
  const std::string id = served_ticket(h);
  Outcome o = h.ok(Rate{id, 5}, visitor(id), at(9, 11));
  EXPECT_EQ(o.events[0].ticket->rating->via, RatingVia::visitor);
  EXPECT_EQ(o.result()["rating"]["level"], 5);
  Outcome missing = h.run(Rate{"nope", 5}, admin(), at(9, 11));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error->code, ErrorCode::not_found);
  // Levels outside 1..5 never reach the engine: the parser names the field.
  for (int level : {0, 6}) {
    auto parsed = parse_command("rate", nlohmann::json{{"request_id", "r"}, {"ticket", id}, {"level", level}});
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code, ErrorCode::bad_request);
    EXPECT_EQ(parsed.error().message, "/level: must be an integer from 1 to 5");
  }
}

TEST(CoreQuality, RequestRatingPromptsForTheWindowsLastVisit) {
  Hall h(quality_config());
  Outcome none = h.run(RequestRating{1}, zhang(), at(8, 59));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error->code, ErrorCode::invalid_state);
  const std::string id = served_ticket(h);
  Outcome other = h.run(RequestRating{3}, zhang(), at(9, 11));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error->code, ErrorCode::forbidden);

  Outcome o = h.ok(RequestRating{1}, zhang(), at(9, 11));
  ASSERT_EQ(types(o), std::vector<EventType>{EventType::rating_requested});
  EXPECT_EQ(o.events[0].ticket->id, id);
  EXPECT_EQ(o.events[0].window->number, 1);
  EXPECT_EQ(o.result()["number"], "A001");

  // A later visit at the window becomes the one to rate.
  h.give("A", at(9, 12));
  h.ok(CallNext{1}, zhang(), at(9, 13));
  h.ok(StartService{1}, zhang(), at(9, 14));
  h.ok(CompleteService{1}, zhang(), at(9, 15));
  EXPECT_EQ(h.ok(RequestRating{1}, zhang(), at(9, 16)).result()["number"], "A002");
  h.ok(Rate{"tk2", 3}, evaluator(1), at(9, 17));
  Outcome rated = h.run(RequestRating{1}, zhang(), at(9, 18));
  ASSERT_FALSE(rated.ok());
  EXPECT_EQ(rated.error->code, ErrorCode::already_rated);
}

// ---- follow-ups ------------------------------------------------------------------------------

TEST(CoreQuality, BadRatingOpensAFollowupThatAnAdminCloses) {
  Hall h(quality_config());
  const std::string id = served_ticket(h);
  Outcome o = h.ok(Rate{id, 2}, evaluator(1), at(9, 11));
  ASSERT_EQ(types(o), (std::vector<EventType>{EventType::ticket_rated, EventType::followup_opened}));
  const Followup& f = *o.events[1].followup;
  EXPECT_EQ(f.id, "F20261127A001");
  EXPECT_EQ(o.result()["followup"], f.id);
  EXPECT_EQ(f.ticket, id);
  EXPECT_EQ(f.number, "A001");
  EXPECT_EQ(f.service, "A");
  EXPECT_EQ(f.window, 1);
  EXPECT_EQ(f.clerk, "zhang");
  EXPECT_EQ(f.level, 2);
  EXPECT_EQ(f.state, FollowupState::open);
  EXPECT_EQ(f.opened_at, at(9, 11));
  EXPECT_EQ(f.due_at, at(9, 11, 21));  // 15 working days from Friday 27 Nov: Friday 18 Dec

  auto fj = h.engine.followups_json(at(9, 12));
  ASSERT_EQ(fj.size(), 1u);
  EXPECT_EQ(fj[0]["overdue"], false);
  EXPECT_EQ(h.engine.followups_json(at(9, 11, 21) + 1)[0]["overdue"], true);
  EXPECT_TRUE(h.engine.snapshot(at(9, 12), true).count("followups") == 0);
  EXPECT_EQ(h.engine.snapshot(at(9, 12), true, true)["followups"].size(), 1u);

  Outcome clerk = h.run(UpdateFollowup{f.id, "called", std::nullopt, false}, zhang(), at(10, 0));
  ASSERT_FALSE(clerk.ok());
  EXPECT_EQ(clerk.error->code, ErrorCode::forbidden);
  Outcome early = h.run(UpdateFollowup{f.id, std::nullopt, std::nullopt, true}, admin(), at(10, 0));
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error->code, ErrorCode::invalid_state);
  EXPECT_NE(early.error->message.find("missing: callback_note, fix_note"), std::string::npos)
      << describe(early);

  Outcome called = h.ok(UpdateFollowup{f.id, "电话回访，群众反映等候太久", std::nullopt, false}, admin(), at(10, 0));
  ASSERT_EQ(types(called), std::vector<EventType>{EventType::followup_updated});
  EXPECT_EQ(called.events[0].followup->state, FollowupState::called_back);
  Outcome closed = h.ok(UpdateFollowup{f.id, std::nullopt, "增开窗口", true}, admin(), at(11, 0));
  EXPECT_EQ(closed.events[0].followup->state, FollowupState::closed);
  EXPECT_EQ(closed.events[0].followup->closed_at, at(11, 0));
  EXPECT_EQ(closed.events[0].followup->callback_note, "电话回访，群众反映等候太久");
  EXPECT_TRUE(h.engine.followups_json(at(11, 0)).empty());
  Outcome again = h.run(UpdateFollowup{f.id, "x", std::nullopt, false}, admin(), at(11, 1));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error->code, ErrorCode::not_found);

  // Ratings 3 to 5 open nothing.
  h.give("A", at(12, 0));
  h.ok(CallNext{1}, zhang(), at(12, 1));
  h.ok(StartService{1}, zhang(), at(12, 2));
  h.ok(CompleteService{1}, zhang(), at(12, 3));
  EXPECT_EQ(types(h.ok(Rate{"tk2", 3}, evaluator(1), at(12, 4))),
            std::vector<EventType>{EventType::ticket_rated});
}

TEST(CoreQuality, FollowupDeadlinesCountWorkingDays) {
  struct Case {
    std::string name;
    int working_days;
    std::vector<std::string> holidays;
    int rated_day;  // days after Friday 2026-11-27
    int due_day;
    std::vector<std::string> extra_workdays = {};
  };
  const std::vector<Case> cases = {
      {"Friday + 1 is Monday", 1, {}, 0, 3},
      {"Friday + 5 is next Friday", 5, {}, 0, 7},
      {"Saturday + 1 is Monday", 1, {}, 1, 3},
      {"Sunday + 1 is Monday", 1, {}, 2, 3},
      {"Monday + 1 is Tuesday", 1, {}, 3, 4},
      {"a holiday Monday is skipped", 1, {"2026-11-30"}, 0, 4},
      {"holidays inside the span", 5, {"2026-12-01", "2026-12-03"}, 0, 11},
      {"a holiday on a Saturday changes nothing", 1, {"2026-11-28"}, 0, 3},
      {"15 days over New Year", 15, {"2027-01-01"}, 32, 54},
      {"a worked Saturday (调休) counts", 1, {}, 0, 1, {"2026-11-28"}},
      {"a holiday Monday made up on Sunday", 2, {"2026-11-30"}, 0, 4, {"2026-11-29"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    HallConfig config = quality_config();
    config.rules.followup_working_days = c.working_days;
    config.rules.holidays = c.holidays;
    config.rules.extra_workdays = c.extra_workdays;
    config.rules.enforce_opening_hours = false;
    Hall h(config);
    const TimeMs t = at(10, 30, c.rated_day);
    h.give("A", t);
    h.ok(CallNext{1}, zhang(), t);
    h.ok(StartService{1}, zhang(), t);
    h.ok(CompleteService{1}, zhang(), t);
    Outcome o = h.ok(Rate{"tk1", 1}, admin(), t);
    ASSERT_EQ(o.events.size(), 2u);
    EXPECT_EQ(o.events[1].followup->due_at, at(10, 30, c.due_day));
  }
}

}  // namespace
}  // namespace hallq::core::test
