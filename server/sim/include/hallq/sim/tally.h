// What the simulator counted (only what the server acknowledged) and the exact comparison of
// those counts with the server's own figures: GET /api/reports/summary?by=service, the
// snapshot's issued_today, and each booked appointment's record. Pure; any thread.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hallq::sim {

struct ServiceTally {
  long issued = 0;         // tickets the server issued for this service (incl. appointment check-ins)
  long done = 0;           // completed here (the visit's final service)
  long no_show = 0;
  long transfers_out = 0;  // transferred from this service
  std::array<long, 6> ratings{};  // [1..5]; [0] unused
  friend bool operator==(const ServiceTally&, const ServiceTally&) = default;
};

struct AppointmentTally {
  long booked = 0;      // acknowledged bookings
  long checked_in = 0;  // acknowledged check-ins (a ticket was issued)
  long missed = 0;      // booked and never checked in: the server must mark them missed
  friend bool operator==(const AppointmentTally&, const AppointmentTally&) = default;
};

struct Tally {
  std::map<std::string, ServiceTally> services;
  std::optional<AppointmentTally> appointments;  // nullopt: appointments were not simulated
};

// The server's side, gathered after the day.
struct ServerFigures {
  nlohmann::json report;  // GET /api/reports/summary?from=D&to=D&by=service
  nlohmann::json state;   // GET /api/state (services[].issued_today)
  // code -> state ("booked", "checked_in", "missed", ...) of every appointment the sim booked
  std::map<std::string, std::string> appointment_states;
};

struct Row {
  std::string service;  // "" for hall-wide rows (appointments)
  std::string figure;   // "issued", "done", "no_show", "transfers", "rating_5", ..., "cancelled"
  long sim = 0;
  long server = 0;
  bool matches() const { return sim == server; }
};

struct Comparison {
  std::vector<Row> rows;
  int mismatches = 0;
  std::string problem;  // the server's answer was not of the expected shape
  bool ok() const { return mismatches == 0 && problem.empty(); }
};

// Every figure of every service (the union of both sides), compared exactly. The report's
// cancelled and expired must be 0: the sim cancels nothing and drains every queue.
Comparison compare(const Tally& sim, const ServerFigures& server);

// A fixed-width table: one line per service, "sim/server" only where they differ.
std::string format_table(const Comparison& c);

}  // namespace hallq::sim
