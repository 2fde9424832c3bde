// The simulated day's plan: who arrives when, for what, and how each visit will go. Pure and
// deterministic: the same hall, options and seed give the same plan on every machine (the
// random draws use std::mt19937_64, whose output the standard fixes, and our own transforms).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hallq/hall_config.h"

namespace hallq::sim {

// Seeded random numbers with portable transforms (std::*_distribution may differ between
// standard libraries; these do not).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double uniform();                          // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double exponential(double rate);           // mean 1/rate
  double normal();                           // mean 0, sd 1
  double lognormal(double median, double sigma) ;
  int below(int n);                          // 0..n-1
  bool chance(double p) { return uniform() < p; }

 private:
  std::mt19937_64 engine_;
};

// Relative arrival intensity at a local minute of the day (0 = midnight), 0..1: closed before
// 08:30, the morning peak 09:00-11:00 (1.0), quiet at lunch 12:00-13:30, the early-afternoon
// peak 14:00-15:30 (0.9), tailing off to 17:30. Real halls: docs/simulator.md.
double arrival_intensity(double minute_of_day);

struct PlanOptions {
  std::uint64_t seed = 1;
  int from_min = 8 * 60 + 30;     // local minutes: first possible arrival
  int until_min = 17 * 60 + 30;   // last possible arrival (exclusive)
  double load = 0.85;             // expected arrivals / window capacity over the day
  double no_show_rate = 0.05;     // called and never comes (过号)
  double transfer_rate = 0.04;    // sent on to another service after the first one (转移)
  double rating_rate = 0.85;      // visits done that get a rating on the evaluator
  double priority_rate = 0.04;    // elderly etc. (绿色通道)
  double appointment_fill = 0.5;  // share of each slot's capacity that gets booked
  double appointment_absent_rate = 0.1;  // booked and never come (missed)
  double sigma = 0.45;            // lognormal spread of service times
  bool appointments = true;       // book slots of services that take appointments
};

struct Visit {
  int index = 0;                  // order of arrival, from 0
  double arrival_min = 0;         // local minutes after midnight (fractional)
  std::string service;
  bool priority = false;
  bool no_show = false;
  std::string transfer_to;        // "" = no transfer
  double service_min = 0;         // first leg
  double second_service_min = 0;  // after a transfer
  int rating = 0;                 // 1..5, 0 = the visitor does not rate
  // Appointments: a booking for slot_start_min; the visitor checks in at arrival_min, or
  // never (absent: the appointment is missed).
  bool appointment = false;
  int slot_start_min = 0;
  bool absent = false;
};

// The windows that are staffed today and the services they can serve.
struct Staffing {
  std::vector<int> windows;  // window numbers
};

// Arrivals from a non-homogeneous Poisson process per service: rate(t) = intensity(t) x the
// service's capacity share, scaled so that the day's expected arrivals are load x capacity.
// Only services a staffed window serves get visitors, and only while the service is open
// (when rules.enforce_opening_hours). Sorted by arrival time.
std::vector<Visit> plan_day(const HallConfig& hall, const Staffing& staffing, const PlanOptions& options);

// Expected visits a service can take in [from, until) with the staffed windows (a window
// serving k services gives each 1/k of its time).
double service_capacity(const HallConfig& hall, const Staffing& staffing, const ServiceConfig& s,
                        int from_min, int until_min);

bool service_open(const HallConfig& hall, const ServiceConfig& s, double minute_of_day);

}  // namespace hallq::sim
