// Restart equivalence: a long scripted day and a half on engine A; engines rebuilt from its
// events (from an empty database, and from the state storage would hold at two midpoints, both
// through the JSON codec) must show the same hall and, fed the same commands, answer the same.
#include <map>
#include <random>
#include <set>

#include "engine_test_support.h"

namespace hallq::core::test {
namespace {

struct Step {
  Command command;
  Actor actor;
};

const Actor kClerks[] = {clerk("zhang", {1, 2}), clerk("li", {3}), clerk("wu", {4, 5})};

// Commands a busy hall sends, mostly sensible for the hall's current state, some not.
class Script {
 public:
  explicit Script(unsigned seed) : rng_(seed) {}

  Step next(const Engine& a) {
    Step s;
    s.command.request_id = "q" + std::to_string(++rid_);
    int w = 1 + roll(5);
    if (roll(100) < 8) return quality_step(w);
    if (roll(100) < 6) return appointment_step();
    const int r = roll(100);
    // Window commands go where they make sense most of the time.
    auto window_with = [&](TicketState state) {
      std::vector<int> found;
      for (int n = 1; n <= 5; ++n) {
        const Window* win = a.window(n);
        const Ticket* t = win->current_ticket.empty() ? nullptr : a.ticket(win->current_ticket);
        if (t && t->state == state) found.push_back(n);
      }
      return found.empty() || roll(10) == 0 ? 1 + roll(5) : found[roll(found.size())];
    };
    if (r < 28) {
      static const char* kServices[] = {"A", "B", "C", "D", "A", "D"};
      IssueTicket c = issue(kServices[roll(6)]);
      const int kind = roll(10);
      if (kind == 0) {
        c.cls = TicketClass::priority;
        c.priority_reason = "elderly";
      } else if (kind == 1) {
        c.cls = TicketClass::appointment;
        c.appointment_at = now + (roll(180) - 60) * kMin;
      }
      s.command.body = c;
      s.actor = roll(4) ? kiosk() : admin();
      return s;
    }
    if (r < 47) {
      s.command.body = CallNext{w};
    } else if (r < 50) {
      s.command.body = CallNumber{w, random_number()};
    } else if (r < 54) {
      w = window_with(TicketState::called);
      s.command.body = Recall{w};
    } else if (r < 58) {
      w = window_with(TicketState::called);
      s.command.body = NoShow{w};
    } else if (r < 68) {
      w = window_with(TicketState::called);
      s.command.body = StartService{w};
    } else if (r < 78) {
      w = window_with(TicketState::serving);
      s.command.body = CompleteService{w};
    } else if (r < 83) {
      w = window_with(TicketState::serving);
      Transfer t;
      t.window = w;
      if (roll(2)) {
        t.to_service = std::string(1, static_cast<char>('A' + roll(4)));
      } else {
        t.to_window = 1 + roll(5);
      }
      t.return_after = roll(3) == 0;
      t.note = roll(2) ? "材料不全" : "";
      s.command.body = t;
    } else if (r < 86) {
      w = window_with(TicketState::serving);
      s.command.body = Hold{w};
    } else if (r < 90) {
      std::string number = random_number();
      for (int n = 1; n <= 5; ++n) {
        const Window* win = a.window(n);
        if (!win->held.empty() && roll(4)) {
          w = n;
          number = a.ticket(win->held[roll(win->held.size())])->number;
          break;
        }
      }
      s.command.body = Callback{w, number};
    } else if (r < 93) {
      s.command.body = CancelTicket{random_number(), ""};
      s.actor = admin();
      return s;
    } else if (r < 95) {
      s.command.body = PauseWindow{w};
    } else if (r < 98) {
      s.command.body = ResumeWindow{w};
    } else if (r < 99) {
      s.command.body = CloseWindow{w};
    } else {
      s.command.body = SetNotice{"notice " + std::to_string(rid_)};
      s.actor = admin();
      return s;
    }
    // The window's clerk usually; an admin sometimes; a clerk of other windows rarely.
    const int who = roll(20);
    if (who == 0) {
      s.actor = kClerks[roll(3)];
    } else if (who < 5) {
      s.actor = admin();
    } else {
      s.actor = w <= 2 ? kClerks[0] : w == 3 ? kClerks[1] : kClerks[2];
    }
    return s;
  }

  // Ratings (by the window's evaluator, the visitor, an admin, or someone refused), the clerk's
  // prompt, and follow-up updates.
  Step quality_step(int w) {
    Step s;
    s.command.request_id = "q" + std::to_string(++rid_);
    const int r = roll(10);
    if (r < 6) {
      Rate c;
      c.ticket = done_.empty() || roll(8) == 0 ? "tk" + std::to_string(1 + roll(50))
                                               : done_[roll(done_.size())].first;
      c.level = 1 + roll(5);
      s.command.body = c;
      const int who = roll(6);
      const int at = done_.empty() ? 1 : done_.back().second;
      if (who < 3) {
        s.actor = Actor{Role::evaluator, "eval-" + std::to_string(at), {roll(5) ? at : w}, {}, {}};
      } else if (who < 5) {
        s.actor = Actor{Role::visitor, "visitor:" + c.ticket, {}, {}, c.ticket};
      } else {
        s.actor = admin();
      }
    } else if (r < 8) {
      s.command.body = RequestRating{w};
      s.actor = w <= 2 ? kClerks[0] : w == 3 ? kClerks[1] : kClerks[2];
    } else {
      UpdateFollowup c;
      c.id = followups_.empty() ? "F20261127A001" : *std::next(followups_.begin(), roll(followups_.size()));
      if (roll(2)) c.callback_note = "已电话回访";
      if (roll(2)) c.fix_note = roll(2) ? "已整改" : "";
      c.close = roll(2) == 0;
      if (!c.callback_note && !c.fix_note) c.close = true;
      s.command.body = c;
      s.actor = roll(6) ? admin() : kClerks[0];
    }
    return s;
  }

  // 预约: bookings of A and D over today and the next two days (some refused), cancels and
  // kiosk check-ins of codes seen, including used and unknown ones.
  Step appointment_step() {
    Step s;
    s.command.request_id = "q" + std::to_string(++rid_);
    const int r = roll(10);
    const std::string code = codes_.empty() || roll(10) == 0 ? "123456" : codes_[roll(codes_.size())];
    if (r < 5) {
      const TimeMs midnight = kDay0 + (now - kDay0) / (24 * kHour) * (24 * kHour);
      s.command.body = BookAppointment{roll(2) ? "A" : "D",
                                       midnight + roll(3) * 24 * kHour + 8 * kHour + roll(21) * 30 * kMin};
      s.actor = roll(8) == 0 ? kiosk() : roll(2) ? admin() : Actor{Role::booking, "portal", {}, {}, {}};
    } else if (r < 7) {
      s.command.body = CancelAppointment{code};
      s.actor = Actor{Role::booking, "portal", {}, {}, {}};
    } else {
      IssueTicket c;
      c.appointment_code = code;
      c.cls = TicketClass::appointment;
      s.command.body = c;
      s.actor = kiosk();
    }
    return s;
  }

  void observe(const Outcome& o) {
    for (const Event& e : o.events) {
      if (e.type == EventType::appointment_booked) codes_.push_back(e.appointment->code);
      if (e.type == EventType::day_rolled_over) {
        numbers_.clear();
        done_.clear();
      }
      if (e.type == EventType::ticket_issued) numbers_.push_back(e.ticket->number);
      if (e.type == EventType::service_completed && e.ticket->state == TicketState::done)
        done_.emplace_back(e.ticket->id, e.window->number);
      if (e.followup) {
        if (e.followup->state == FollowupState::closed) {
          followups_.erase(e.followup->id);
        } else {
          followups_.insert(e.followup->id);
        }
      }
    }
  }

  TimeMs now = 0;

 private:
  int roll(std::size_t n) { return static_cast<int>(rng_() % n); }
  std::string random_number() { return numbers_.empty() ? "A001" : numbers_[roll(numbers_.size())]; }
  std::mt19937 rng_;
  int rid_ = 0;
  std::vector<std::string> numbers_;
  std::vector<std::pair<std::string, int>> done_;  // finished visits of today and their window
  std::set<std::string> followups_;                // not closed
  std::vector<std::string> codes_;                 // appointment codes booked
};

// What storage would hold: the records the events carried, today's requests.
struct Recorded {
  EngineState state;
  std::map<std::string, Ticket> tickets;
  std::map<int, Window> windows;
  std::map<std::string, StoredRequest> requests;
  std::map<std::string, Alert> alerts;          // active
  std::map<std::string, Followup> followups;    // not closed
  std::map<std::string, Appointment> appointments;  // every one booked (restore drops old ones)

  void record(const Outcome& o) {
    for (const Event& e : o.events) {
      state.last_seq = e.seq;
      if (e.type == EventType::day_rolled_over) {
        state.business_day = e.business_day;
        tickets.clear();
        requests.clear();
      }
      if (e.type == EventType::notice_changed) {
        state.notice = e.notice;
        state.notice_set = true;
      }
      if (e.ticket) tickets[e.ticket->id] = *e.ticket;
      if (e.window) windows[e.window->number] = *e.window;
      if (e.type == EventType::alert_raised) alerts[e.alert->id] = *e.alert;
      if (e.type == EventType::alert_cleared) alerts.erase(e.alert->id);
      if (e.followup) {
        if (e.followup->state == FollowupState::closed) {
          followups.erase(e.followup->id);
        } else {
          followups[e.followup->id] = *e.followup;
        }
      }
      if (e.appointment) appointments[e.appointment->code] = *e.appointment;
    }
    if (o.request) requests[o.request->key] = *o.request;
  }
  // Through the codec, as the journal stores them.
  EngineState load() const {
    EngineState s = state;
    for (const auto& [id, t] : tickets) s.tickets.push_back(ticket_from_json(to_json(t)).value());
    for (const auto& [n, w] : windows) s.windows.push_back(window_from_json(to_json(w)).value());
    for (const auto& [k, r] : requests) s.requests.push_back(r);
    for (const auto& [id, a] : alerts) s.alerts.push_back(alert_from_json(to_json(a)).value());
    for (const auto& [id, f] : followups)
      s.followups.push_back(followup_from_json(to_json(f)).value());
    for (const auto& [code, a] : appointments)
      s.appointments.push_back(appointment_from_json(to_json(a)).value());
    return s;
  }
};

void expect_same_hall(const Engine& a, const Engine& b, TimeMs now, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(b.last_seq(), a.last_seq());
  EXPECT_EQ(b.business_day(), a.business_day());
  const nlohmann::json sa = a.snapshot(now, true, true);
  const nlohmann::json sb = b.snapshot(now, true, true);
  EXPECT_EQ(b.next_deadline(now), a.next_deadline(now));
  EXPECT_EQ(sb, sa) << nlohmann::json::diff(sa, sb).dump();
  EXPECT_EQ(b.appointments(), a.appointments());
  for (int n = 1; n <= 5; ++n) {
    EXPECT_EQ(b.window_queue(n, now, 1000)->dump(), a.window_queue(n, now, 1000)->dump()) << n;
    EXPECT_EQ(*b.window(n), *a.window(n)) << n;
  }
  for (const char* s : {"A", "B", "C", "D"}) EXPECT_EQ(b.load(s, now), a.load(s, now)) << s;
  for (const auto& t : sa["tickets"]) {
    const std::string id = t["id"];
    ASSERT_NE(b.ticket(id), nullptr) << id;
    EXPECT_EQ(*b.ticket(id), *a.ticket(id));
    auto sta = a.standing(id, now);
    auto stb = b.standing(id, now);
    ASSERT_EQ(sta.has_value(), stb.has_value());
    if (sta) {
      EXPECT_EQ(stb->ahead, sta->ahead) << id;
      EXPECT_EQ(stb->estimated_wait_s, sta->estimated_wait_s) << id;
    }
    EXPECT_EQ(b.ticket_view(id, now)->dump(), a.ticket_view(id, now)->dump());
  }
}

void expect_same_outcome(const Outcome& a, const Outcome& b) {
  EXPECT_EQ(b.error, a.error);
  EXPECT_EQ(b.body, a.body);
  EXPECT_EQ(b.repeated, a.repeated);
  EXPECT_TRUE(b.events == a.events) << "events differ";
  ASSERT_EQ(b.request.has_value(), a.request.has_value());
  if (a.request) {
    EXPECT_EQ(b.request->key, a.request->key);
    EXPECT_EQ(b.request->fingerprint, a.request->fingerprint);
    EXPECT_EQ(b.request->business_day, a.request->business_day);
    EXPECT_EQ(b.request->result, a.request->result);
  }
}

// The hall as A showed it at one point, with what storage held then.
struct Midpoint {
  EngineState state;
  std::size_t events = 0;  // events in the log at that point
  TimeMs now = 0;
  nlohmann::json hall;
  std::vector<std::string> queues;
  TimeMs next_deadline = 0;
  std::vector<Appointment> appointments;
};

void expect_matches(const Engine& b, const Midpoint& m, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(b.last_seq(), m.state.last_seq);
  const nlohmann::json hall = b.snapshot(m.now, true, true);
  EXPECT_EQ(b.next_deadline(m.now), m.next_deadline);
  EXPECT_EQ(hall, m.hall) << nlohmann::json::diff(m.hall, hall).dump();
  EXPECT_EQ(b.appointments(), m.appointments);
  for (int n = 1; n <= 5; ++n)
    EXPECT_EQ(b.window_queue(n, m.now, 1000)->dump(), m.queues[n - 1]) << "window " << n;
}

// The test hall with idle alerts at windows 3 and 5.
HallConfig replay_config() {
  HallConfig c = make_config();
  for (auto& s : c.services)
    if (s.code == "A" || s.code == "D") s.appointments = AppointmentConfig{30, 2, 2};
  for (auto& w : c.windows)
    if (w.number == 3 || w.number == 5) w.idle_limit_min = 10;
  c.rules.holidays = {"2026-12-01"};
  // The script spans Friday to Sunday: a hall that works every day books appointments on each
  // of them, so every kind of event happens (days off are tested in appointments_test.cc).
  c.rules.workdays = {0, 1, 2, 3, 4, 5, 6};
  return c;
}

TEST(CoreReplay, RebuiltEnginesMatchTheLiveOne) {
  auto config = std::make_shared<const HallConfig>(replay_config());
  FakeTicketIds ids_a, ids_b0, ids_b1, ids_b2;
  Engine a(config, ids_a);
  Script script(20261127);
  Recorded recorded;
  std::vector<Event> log;
  std::vector<Midpoint> mids;
  std::map<EventType, int> seen;
  std::optional<Step> repeatable;  // a day-2 request from before the last midpoint
  Outcome repeatable_first;

  auto run_a = [&](const Outcome& o) {
    for (const Event& e : o.events) {
      log.push_back(e);
      ++seen[e.type];
    }
    recorded.record(o);
    script.observe(o);
  };

  script.now = at(8, 0);
  const int kSteps = 2400;
  for (int i = 0; i < kSteps; ++i) {
    if (i == kSteps / 2) {
      // The next morning: an admin's explicit rollover starts the day.
      script.now = at(7, 50, 1);
      Command roll{"roll-1", RollOverDay{}};
      Outcome o = a.execute(roll, admin(), script.now);
      ASSERT_TRUE(o.ok()) << describe(o);
      run_a(o);
    }
    if (i % 20 == 0) run_a(a.tick(script.now));  // the server's timer: day, alerts
    script.now += static_cast<TimeMs>(i % 7) * 4000;  // some steps at the same millisecond
    Step s = script.next(a);
    Outcome o = a.execute(s.command, s.actor, script.now);
    run_a(o);
    if (i > kSteps / 2 + 100 && !repeatable && o.ok() && o.request &&
        std::holds_alternative<IssueTicket>(s.command.body)) {
      repeatable = s;
      repeatable_first = o;
    }
    if (i % 200 == 199) {
      Midpoint m;
      m.state = recorded.load();
      m.events = log.size();
      m.now = script.now;
      m.hall = a.snapshot(m.now, true, true);
      m.next_deadline = a.next_deadline(m.now);
      m.appointments = a.appointments();
      for (int n = 1; n <= 5; ++n) m.queues.push_back(a.window_queue(n, m.now, 1000)->dump());
      mids.push_back(std::move(m));
    }
  }
  // The script reached every kind of event.
  for (int t = 0; t <= static_cast<int>(EventType::appointment_missed); ++t)
    EXPECT_GT(seen[static_cast<EventType>(t)], 0) << to_string(static_cast<EventType>(t));
  ASSERT_TRUE(repeatable.has_value());
  ASSERT_GT(a.snapshot(script.now, true)["tickets"].size(), 10u);
  ASSERT_EQ(mids.size(), 12u);

  // Storage's state at each midpoint, restored, is the hall A showed then.
  for (std::size_t i = 0; i < mids.size(); ++i) {
    FakeTicketIds ids;
    Engine b(config, ids);
    b.restore(mids[i].state);
    expect_matches(b, mids[i], "restored at midpoint " + std::to_string(i));
  }

  // B0: an empty database, then every event (checked at each midpoint on the way). B1, B2:
  // storage's state at a midpoint of each day, then the later events through JSON.
  Engine b0(config, ids_b0), b1(config, ids_b1), b2(config, ids_b2);
  b0.restore(EngineState{});
  std::size_t next_mid = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    b0.apply(log[i]);
    if (next_mid < mids.size() && mids[next_mid].events == i + 1) {
      expect_matches(b0, mids[next_mid], "replayed to midpoint " + std::to_string(next_mid));
      ++next_mid;
    }
  }
  const Midpoint& mid1 = mids[2];  // day 1
  const Midpoint& mid2 = mids[8];  // day 2
  ASSERT_EQ(mid1.state.business_day, "2026-11-27");
  ASSERT_EQ(mid2.state.business_day, "2026-11-28");
  b1.restore(mid1.state);
  b2.restore(mid2.state);
  for (std::size_t i = mid1.events; i < log.size(); ++i) {
    auto parsed = event_from_json(to_json(log[i]));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    ASSERT_EQ(*parsed, log[i]);
    b1.apply(*parsed);
    if (i >= mid2.events) b2.apply(*parsed);
  }
  expect_same_hall(a, b0, script.now, "from events");
  expect_same_hall(a, b1, script.now, "from day 1 midpoint");
  expect_same_hall(a, b2, script.now, "from day 2 midpoint");

  // The same commands from here give the same answers.
  ids_b0.n = ids_b1.n = ids_b2.n = ids_a.n;
  for (int i = 0; i < 600; ++i) {
    script.now += static_cast<TimeMs>(i % 5) * 7000;
    if (i % 20 == 0) {
      Outcome ta = a.tick(script.now);
      script.observe(ta);
      for (Engine* b : {&b0, &b1, &b2}) expect_same_outcome(ta, b->tick(script.now));
    }
    Step s = script.next(a);
    Outcome oa = a.execute(s.command, s.actor, script.now);
    script.observe(oa);
    for (Engine* b : {&b0, &b1, &b2}) {
      Outcome ob = b->execute(s.command, s.actor, script.now);
      expect_same_outcome(oa, ob);
      if (::testing::Test::HasFailure()) return;
    }
  }
  expect_same_hall(a, b2, script.now, "after continuing");

  // A retry of a request made before the day-2 midpoint: the restored engine remembers it.
  Outcome ra = a.execute(repeatable->command, repeatable->actor, script.now);
  Outcome rb = b2.execute(repeatable->command, repeatable->actor, script.now);
  EXPECT_TRUE(ra.repeated);
  EXPECT_EQ(ra.body, repeatable_first.body);
  expect_same_outcome(ra, rb);
  // ...and the next day all of them roll over alike.
  Outcome ta = a.tick(at(8, 0, 2));
  Outcome tb = b2.tick(at(8, 0, 2));
  expect_same_outcome(ta, tb);
  expect_same_hall(a, b2, at(8, 0, 2), "next day");
}

}  // namespace
}  // namespace hallq::core::test
