// The exact comparison of the sim's counts with the server's figures: equal figures pass, and
// any single perturbed count is caught and named.
#include <gtest/gtest.h>

#include <functional>

#include "hallq/sim/tally.h"

namespace hallq::sim {
namespace {

using nlohmann::json;

Tally sim_counts() {
  Tally t;
  ServiceTally a;
  a.issued = 10, a.done = 7, a.no_show = 1, a.transfers_out = 2;
  a.ratings[5] = 4, a.ratings[4] = 1, a.ratings[1] = 1;
  ServiceTally b;
  b.issued = 3, b.done = 5;  // two came over from A
  b.ratings[3] = 2;
  t.services["A"] = a;
  t.services["B"] = b;
  return t;
}

ServerFigures server_figures() {
  ServerFigures f;
  f.report = json::parse(R"({"from":"2026-11-27","to":"2026-11-27","by":"service","groups":[
    {"key":"A","done":7,"no_show":1,"cancelled":0,"expired":0,"transfers":2,
     "ratings":{"5":4,"4":1,"3":0,"2":0,"1":1}},
    {"key":"B","done":5,"no_show":0,"cancelled":0,"expired":0,"transfers":0,
     "ratings":{"5":0,"4":0,"3":2,"2":0,"1":0}}],"total":{}})");
  f.state = json::parse(R"({"services":[{"code":"A","issued_today":10},{"code":"B","issued_today":3},
                                        {"code":"C","issued_today":0}]})");
  return f;
}

TEST(Compare, EqualFiguresMatch) {
  Comparison c = compare(sim_counts(), server_figures());
  EXPECT_TRUE(c.ok()) << format_table(c);
  EXPECT_EQ(c.mismatches, 0);
  EXPECT_EQ(c.rows.size(), 2u * 11u);  // A and B; C issued nothing and reported nothing
}

TEST(Compare, EveryPerturbedFigureIsCaught) {
  struct Case { const char* what; std::function<void(Tally&, ServerFigures&)> perturb; const char* service; const char* figure; };
  const Case cases[] = {
      {"sim done +1", [](Tally& t, ServerFigures&) { t.services["A"].done++; }, "A", "done"},
      {"server no_show +1", [](Tally&, ServerFigures& f) { f.report["groups"][0]["no_show"] = 2; }, "A", "no_show"},
      {"a transfer lost", [](Tally& t, ServerFigures&) { t.services["A"].transfers_out--; }, "A", "transfers"},
      {"a rating level moved", [](Tally&, ServerFigures& f) { f.report["groups"][1]["ratings"]["3"] = 1; }, "B", "rating_3"},
      {"issued counted twice", [](Tally& t, ServerFigures&) { t.services["B"].issued++; }, "B", "issued"},
      {"the server cancelled one", [](Tally&, ServerFigures& f) { f.report["groups"][0]["cancelled"] = 1; }, "A", "cancelled"},
      {"a group missing in the report", [](Tally&, ServerFigures& f) { f.report["groups"].erase(1); }, "B", "done"},
      {"a service only the server has", [](Tally&, ServerFigures& f) { f.state["services"][2]["issued_today"] = 1; }, "C", "issued"},
  };
  for (const Case& c : cases) {
    Tally t = sim_counts();
    ServerFigures f = server_figures();
    c.perturb(t, f);
    Comparison r = compare(t, f);
    EXPECT_FALSE(r.ok()) << c.what;
    bool named = false;
    for (const Row& row : r.rows)
      if (!row.matches()) named = named || (row.service == c.service && row.figure == c.figure);
    EXPECT_TRUE(named) << c.what << "\n" << format_table(r);
    EXPECT_NE(format_table(r).find("!="), std::string::npos) << c.what;
  }
}

TEST(Compare, AppointmentsAreComparedWithEachRecordsState) {
  Tally t = sim_counts();
  t.appointments = AppointmentTally{3, 2, 1};
  ServerFigures f = server_figures();
  f.appointment_states = {{"111111", "checked_in"}, {"222222", "checked_in"}, {"333333", "missed"}};
  EXPECT_TRUE(compare(t, f).ok());
  f.appointment_states["333333"] = "booked";  // the server never marked it missed
  Comparison c = compare(t, f);
  EXPECT_EQ(c.mismatches, 1);
  EXPECT_NE(format_table(c).find("appointments_missed: sim 1, server 0  MISMATCH"), std::string::npos);
}

TEST(Compare, AReportOfTheWrongShapeIsAProblemNotAMatch) {
  ServerFigures f = server_figures();
  f.report = json::parse(R"({"error":{"code":"forbidden","message":"admins only"}})");
  Comparison c = compare(sim_counts(), f);
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.problem.find("no groups"), std::string::npos);
}

}  // namespace
}  // namespace hallq::sim
