#include "hallq/sim/tally.h"

#include <cstdio>
#include <set>

namespace hallq::sim {

using nlohmann::json;

namespace {

long number_at(const json& j, const json::json_pointer& p) {
  if (!j.contains(p)) return 0;  // a group with nothing of that kind
  const json& v = j.at(p);
  return v.is_number_integer() ? v.get<long>() : -1;
}

}  // namespace

Comparison compare(const Tally& sim, const ServerFigures& server) {
  Comparison c;
  std::map<std::string, const json*> groups;
  if (!server.report.is_object() || !server.report.contains("groups") || !server.report["groups"].is_array()) {
    c.problem = "the report has no groups array: " + server.report.dump().substr(0, 200);
    return c;
  }
  for (const json& g : server.report["groups"])
    if (g.contains("key") && g["key"].is_string()) groups[g["key"].get<std::string>()] = &g;
  std::map<std::string, long> issued;
  if (server.state.contains("services") && server.state["services"].is_array()) {
    for (const json& s : server.state["services"])
      issued[s.value("code", "")] = s.value("issued_today", 0L);
  } else {
    c.problem = "the snapshot has no services array";
    return c;
  }

  std::set<std::string> codes;
  for (const auto& [code, t] : sim.services) codes.insert(code);
  for (const auto& [code, g] : groups) codes.insert(code);
  for (const auto& [code, n] : issued)
    if (n > 0) codes.insert(code);

  static const ServiceTally kNone;
  static const json kEmpty = json::object();
  for (const std::string& code : codes) {
    auto it = sim.services.find(code);
    const ServiceTally& t = it == sim.services.end() ? kNone : it->second;
    auto g = groups.find(code);
    const json& r = g == groups.end() ? kEmpty : *g->second;
    auto add = [&](const char* figure, long a, long b) { c.rows.push_back(Row{code, figure, a, b}); };
    add("issued", t.issued, issued.count(code) ? issued[code] : 0);
    add("done", t.done, number_at(r, json::json_pointer("/done")));
    add("no_show", t.no_show, number_at(r, json::json_pointer("/no_show")));
    add("transfers", t.transfers_out, number_at(r, json::json_pointer("/transfers")));
    for (int level = 5; level >= 1; --level) {
      std::string f = "rating_" + std::to_string(level);
      c.rows.push_back(Row{code, f, t.ratings[std::size_t(level)],
                           number_at(r, json::json_pointer("/ratings/" + std::to_string(level)))});
    }
    add("cancelled", 0, number_at(r, json::json_pointer("/cancelled")));
    add("expired", 0, number_at(r, json::json_pointer("/expired")));
  }
  if (sim.appointments) {
    long booked = long(server.appointment_states.size()), checked_in = 0, missed = 0;
    for (const auto& [code, state] : server.appointment_states) {
      if (state == "checked_in") ++checked_in;
      if (state == "missed") ++missed;
    }
    c.rows.push_back(Row{"", "appointments_booked", sim.appointments->booked, booked});
    c.rows.push_back(Row{"", "appointments_checked_in", sim.appointments->checked_in, checked_in});
    c.rows.push_back(Row{"", "appointments_missed", sim.appointments->missed, missed});
  }
  for (const Row& row : c.rows)
    if (!row.matches()) ++c.mismatches;
  return c;
}

std::string format_table(const Comparison& c) {
  static const char* kColumns[] = {"issued", "done", "no_show", "transfers", "rating_5", "rating_4",
                                   "rating_3", "rating_2", "rating_1", "cancelled", "expired"};
  static const char* kHeads[] = {"issued", "done", "no-show", "transfers", "5", "4", "3", "2", "1",
                                 "cancelled", "expired"};
  std::string out;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%-8s", "service");
  out += buf;
  for (const char* h : kHeads) {
    std::snprintf(buf, sizeof buf, " %11s", h);
    out += buf;
  }
  out += "\n";
  std::map<std::string, std::map<std::string, const Row*>> by_service;
  for (const Row& r : c.rows)
    if (!r.service.empty()) by_service[r.service][r.figure] = &r;
  for (const auto& [service, figures] : by_service) {
    std::snprintf(buf, sizeof buf, "%-8s", service.c_str());
    out += buf;
    for (const char* col : kColumns) {
      auto it = figures.find(col);
      std::string cell = "-";
      if (it != figures.end()) {
        const Row& r = *it->second;
        cell = r.matches() ? std::to_string(r.sim) : std::to_string(r.sim) + "!=" + std::to_string(r.server);
      }
      std::snprintf(buf, sizeof buf, " %11s", cell.c_str());
      out += buf;
    }
    out += "\n";
  }
  for (const Row& r : c.rows) {
    if (!r.service.empty()) continue;
    out += r.figure + ": sim " + std::to_string(r.sim) + ", server " + std::to_string(r.server) +
           (r.matches() ? "" : "  MISMATCH") + "\n";
  }
  out += "(cells show the sim's count; \"a!=b\" is sim a, server b)\n";
  return out;
}

}  // namespace hallq::sim
