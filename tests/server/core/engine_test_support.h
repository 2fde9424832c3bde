// Shared fixtures for the queue engine tests: a small hall built in code, predictable ticket
// ids, actors, a fake clock and one-line command helpers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hallq/core/engine.h"
#include "hallq/json_codec.h"

namespace hallq::core::test {

// 2026-11-27 00:00 at +08:00 (2026-11-26T16:00:00Z).
inline constexpr TimeMs kDay0 = 1795708800000;
inline constexpr TimeMs kMin = 60'000;
inline constexpr TimeMs kHour = 60 * kMin;
// Local clock time on 2026-11-27 (day 0) or a later day.
inline TimeMs at(int hour, int minute, int day = 0) {
  return kDay0 + day * 24 * kHour + hour * kHour + minute * kMin;
}

// Services: A (all day), B (08:30-12:00, 13:30-17:30), C (cap 3, 4 digits), D (10 min).
// Windows: 1 [A,B], 2 [B,A], 3 [C], 4 [D], 5 [D,A].
inline HallConfig make_config() {
  HallConfig c;
  c.id = "test-hall";
  c.name = {"测试县政务服务中心", "測試縣政務服務中心", "Test County Service Centre"};
  c.notice = "welcome";
  auto service = [](std::string code, std::string zh) {
    ServiceConfig s;
    s.code = std::move(code);
    s.name.zh_cn = std::move(zh);
    s.department = "dept-" + s.code;
    return s;
  };
  ServiceConfig a = service("A", "综合受理");
  ServiceConfig b = service("B", "不动产登记");
  b.hours = {{8 * 60 + 30, 12 * 60}, {13 * 60 + 30, 17 * 60 + 30}};
  ServiceConfig cc = service("C", "出入境");
  cc.daily_cap = 3;
  cc.number_digits = 4;
  ServiceConfig d = service("D", "公积金");
  d.expected_service_min = 10;
  c.services = {a, b, cc, d};
  auto window = [](int n, std::vector<std::string> services) {
    WindowConfig w;
    w.number = n;
    w.name.zh_cn = std::to_string(n) + "号窗口";
    w.name.en = "Window " + std::to_string(n);
    w.services = std::move(services);
    return w;
  };
  c.windows = {window(1, {"A", "B"}), window(2, {"B", "A"}), window(3, {"C"}), window(4, {"D"}),
               window(5, {"D", "A"})};
  c.rules.utc_offset_min = 8 * 60;
  c.rules.reset_hour = 0;
  c.rules.enforce_opening_hours = true;
  c.rules.workdays = {0, 1, 2, 3, 4, 5, 6};  // every day: the tests of days off name theirs
  c.rules.priority_reasons = {{"elderly", {"老年人", "", "Elderly"}}, {"disabled", {"残疾人", "", ""}}};
  c.rules.aging_min = 45;
  c.rules.appointment_early_min = 30;
  c.rules.appointment_late_min = 15;
  c.rules.estimate_sample = 20;
  return c;
}

// Overdue limits of a whole day: for tests about the day's timers that must see no alerts.
inline HallConfig without_alerts(HallConfig c) {
  for (auto& s : c.services) s.wait_limit_min = s.service_limit_min = 24 * 60;
  return c;
}

class FakeTicketIds : public TicketIds {
 public:
  std::string next() override { return "tk" + std::to_string(++n); }
  int n = 0;
};

inline Actor admin(std::string name = "root") { return Actor{Role::admin, std::move(name), {}, {}, {}}; }
inline Actor clerk(std::string name, std::vector<int> windows) {
  return Actor{Role::clerk, std::move(name), std::move(windows), {}, {}};
}
inline Actor kiosk(std::string name = "kiosk-1", std::vector<std::string> services = {}) {
  return Actor{Role::kiosk, std::move(name), {}, std::move(services), {}};
}
inline Actor device(Role role, std::string name) { return Actor{role, std::move(name), {}, {}, {}}; }
inline Actor zhang() { return clerk("zhang", {1, 2}); }

inline IssueTicket issue(std::string service, TicketClass cls = TicketClass::normal,
                         std::string reason = {}, std::optional<TimeMs> appointment = {}) {
  IssueTicket c;
  c.service = std::move(service);
  c.cls = cls;
  c.priority_reason = std::move(reason);
  c.appointment_at = appointment;
  c.lang = "zh-CN";
  return c;
}

inline std::vector<EventType> types(const Outcome& o) {
  std::vector<EventType> v;
  for (const auto& e : o.events) v.push_back(e.type);
  return v;
}

inline std::string describe(const Outcome& o) {
  if (o.ok()) return "ok";
  return std::string(to_string(o.error->code)) + ": " + o.error->message;
}

// A hall with its engine; every command gets a fresh request id unless one is given.
class Hall {
 public:
  explicit Hall(HallConfig config = make_config())
      : config_(std::make_shared<const HallConfig>(std::move(config))), engine(config_, ids) {}

  Outcome run(CommandBody body, const Actor& actor, TimeMs now, std::string request_id = {}) {
    Command c;
    c.request_id = request_id.empty() ? "r" + std::to_string(++next_request_) : request_id;
    c.body = std::move(body);
    return engine.execute(c, actor, now);
  }
  // Runs a command that must succeed and returns its outcome.
  Outcome ok(CommandBody body, const Actor& actor, TimeMs now) {
    Outcome o = run(std::move(body), actor, now);
    EXPECT_TRUE(o.ok()) << describe(o);
    return o;
  }
  // Issues a ticket (as an admin, so any service) and returns its number.
  std::string give(std::string service, TimeMs now, TicketClass cls = TicketClass::normal,
                   std::optional<TimeMs> appointment = {}) {
    Outcome o = ok(issue(std::move(service), cls,
                         cls == TicketClass::priority ? "elderly" : "", appointment),
                   admin(), now);
    return o.ok() ? o.result()["ticket"]["number"].get<std::string>() : "";
  }
  // Today's ticket with this number: ids from FakeTicketIds, or "id-" + number (restored).
  const Ticket* by_number(const std::string& number) const {
    for (int i = 1; i <= ids.n; ++i)
      if (const Ticket* t = engine.ticket("tk" + std::to_string(i)); t && t->number == number) return t;
    const Ticket* t = engine.ticket("id-" + number);
    return t && t->number == number ? t : nullptr;
  }
  // Every ticket number call-next would take at `window` now, by running it (no-show after each).
  std::vector<std::string> drain(int window, TimeMs now) {
    std::vector<std::string> called;
    for (int guard = 0; guard < 100000; ++guard) {
      Outcome o = run(CallNext{window}, admin(), now);
      if (!o.ok()) {
        EXPECT_EQ(o.error->code, ErrorCode::queue_empty) << describe(o);
        break;
      }
      called.push_back(o.result()["ticket"]["number"].get<std::string>());
      Outcome n = run(NoShow{window}, admin(), now);
      EXPECT_TRUE(n.ok()) << describe(n);
    }
    return called;
  }
  std::vector<std::string> queue(int window, TimeMs now, std::size_t limit = 100000) const {
    auto q = engine.window_queue(window, now, limit);
    std::vector<std::string> v;
    if (!q.ok()) return v;
    for (const auto& e : (*q)["queue"]) v.push_back(e["number"].get<std::string>());
    return v;
  }

  std::shared_ptr<const HallConfig> config_;
  FakeTicketIds ids;
  Engine engine;

 private:
  int next_request_ = 0;
};

}  // namespace hallq::core::test
