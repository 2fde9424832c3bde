#include "hallq/sim/plan.h"

#include <algorithm>
#include <cmath>

namespace hallq::sim {

double Rng::uniform() {
  // 53 random bits: every double in [0, 1) on the 2^-53 grid, the same on every platform.
  return double(engine_() >> 11) * 0x1.0p-53;
}

double Rng::exponential(double rate) { return -std::log1p(-uniform()) / rate; }

double Rng::normal() {
  // Box-Muller; one of the pair is thrown away to keep the stream simple to reason about.
  double u1 = 1.0 - uniform();  // (0, 1]
  double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double Rng::lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }

int Rng::below(int n) { return n <= 1 ? 0 : std::min(n - 1, int(uniform() * n)); }

double arrival_intensity(double m) {
  // Piecewise, in local minutes. Each step is one line so the curve reads like a timetable.
  struct Step { double until; double level; };
  static constexpr Step kSteps[] = {
      {8 * 60 + 30, 0.0},    // before the doors open
      {9 * 60, 0.55},        // 08:30 opening: the first wave
      {11 * 60, 1.0},        // morning peak
      {12 * 60, 0.55},       // late morning
      {13 * 60 + 30, 0.08},  // lunch: a few early arrivals for the afternoon
      {14 * 60, 0.6},        // reopening
      {15 * 60 + 30, 0.9},   // early-afternoon peak
      {17 * 60, 0.4},        // tailing off
      {17 * 60 + 30, 0.15},  // the last half hour
  };
  for (const Step& s : kSteps)
    if (m < s.until) return s.level;
  return 0.0;
}

bool service_open(const HallConfig& hall, const ServiceConfig& s, double m) {
  if (!hall.rules.enforce_opening_hours || s.hours.empty()) return true;
  for (const OpeningSpan& span : s.hours)
    if (span.open_min <= m && m < span.close_min) return true;
  return false;
}

namespace {

std::vector<const WindowConfig*> staffed_windows(const HallConfig& hall, const Staffing& staffing) {
  std::vector<const WindowConfig*> out;
  for (int n : staffing.windows)
    if (const WindowConfig* w = hall.window(n)) out.push_back(w);
  return out;
}

// Minutes in [from, until) when the service is open (and the hall works: the curve is > 0).
double open_minutes(const HallConfig& hall, const ServiceConfig& s, int from, int until) {
  double total = 0;
  for (int m = from; m < until; ++m)
    if (service_open(hall, s, m + 0.5) && arrival_intensity(m + 0.5) > 0) total += 1;
  return total;
}

// The service's appointment slots (local minutes) and their capacity. A template so this file
// builds both before and after the appointments change to the hall config lands (issue 6).
template <class Service>
std::vector<OpeningSpan> slots_of(const Service& s, int& capacity) {
  if constexpr (requires { s.appointments->capacity; }) {
    if (!s.appointments) return {};
    capacity = s.appointments->capacity;
    return appointment_slots(s);
  } else {
    return {};
  }
}

}  // namespace

double service_capacity(const HallConfig& hall, const Staffing& staffing, const ServiceConfig& s,
                        int from_min, int until_min) {
  double share = 0;
  for (const WindowConfig* w : staffed_windows(hall, staffing))
    if (std::find(w->services.begin(), w->services.end(), s.code) != w->services.end())
      share += 1.0 / double(w->services.size());
  double minutes = open_minutes(hall, s, from_min, until_min);
  return share * minutes / std::max(1, s.expected_service_min);
}

std::vector<Visit> plan_day(const HallConfig& hall, const Staffing& staffing, const PlanOptions& o) {
  Rng arrivals(o.seed);
  Rng traits(o.seed ^ 0x9e3779b97f4a7c15ULL);
  std::vector<Visit> visits;

  std::vector<std::string> served;  // services a staffed window serves: transfer targets
  for (const auto& s : hall.services)
    if (service_capacity(hall, staffing, s, 0, 24 * 60) > 0) served.push_back(s.code);

  for (const auto& s : hall.services) {
    double capacity = service_capacity(hall, staffing, s, o.from_min, o.until_min);
    if (capacity <= 0) continue;
    // Normalise the curve over the minutes the service is open in the simulated span.
    double mass = 0;
    for (int m = o.from_min; m < o.until_min; ++m)
      if (service_open(hall, s, m + 0.5)) mass += arrival_intensity(m + 0.5);
    if (mass <= 0) continue;
    const double per_unit = o.load * capacity / mass;
    // Exact non-homogeneous Poisson arrivals with a rate that is constant within each minute:
    // walk the cumulative rate and emit an arrival each time it passes an Exp(1) draw.
    double need = arrivals.exponential(1.0);
    for (int m = o.from_min; m < o.until_min; ++m) {
      double rate = service_open(hall, s, m + 0.5) ? per_unit * arrival_intensity(m + 0.5) : 0.0;
      double pos = 0;
      while (rate > 0 && rate * (1.0 - pos) >= need) {
        pos += need / rate;
        Visit v;
        v.arrival_min = m + pos;
        v.service = s.code;
        visits.push_back(std::move(v));
        need = arrivals.exponential(1.0);
      }
      need -= rate * (1.0 - pos);
    }
    int slot_capacity = 0;
    if (o.appointments) {
      for (const OpeningSpan& slot : slots_of(s, slot_capacity)) {
        // Booked ahead of the day: only slots that start after the simulated day begins.
        if (slot.open_min < o.from_min + 20 || slot.open_min >= o.until_min) continue;
        for (int k = 0; k < slot_capacity; ++k) {
          if (!arrivals.chance(o.appointment_fill)) continue;
          Visit v;
          v.service = s.code;
          v.appointment = true;
          v.slot_start_min = slot.open_min;
          v.absent = arrivals.chance(o.appointment_absent_rate);
          // Most come a little early; none later than the late limit allows (docs/simulator.md).
          v.arrival_min = std::max<double>(o.from_min, slot.open_min + arrivals.uniform(-20.0, 10.0));
          // Early birds wait for the doors: the kiosk refuses a check-in while the service is closed.
          for (const OpeningSpan& span : s.hours)
            if (span.open_min <= slot.open_min && slot.open_min < span.close_min)
              v.arrival_min = std::max<double>(v.arrival_min, span.open_min + 0.5);
          visits.push_back(std::move(v));
        }
      }
    }
  }
  std::stable_sort(visits.begin(), visits.end(),
                   [](const Visit& a, const Visit& b) { return a.arrival_min < b.arrival_min; });

  for (std::size_t i = 0; i < visits.size(); ++i) {
    Visit& v = visits[i];
    v.index = int(i);
    const ServiceConfig* s = hall.service(v.service);
    const double expected = std::max(1, s->expected_service_min);
    v.priority = !v.appointment && !hall.rules.priority_reasons.empty() && traits.chance(o.priority_rate);
    v.no_show = traits.chance(o.no_show_rate);
    v.service_min = std::clamp(traits.lognormal(expected * 0.9, o.sigma), 1.0, expected * 4);
    if (served.size() > 1 && traits.chance(o.transfer_rate)) {
      std::string to = served[std::size_t(traits.below(int(served.size())))];
      if (to == v.service) to = served[(std::find(served.begin(), served.end(), to) - served.begin() + 1) % served.size()];
      v.transfer_to = to;
      const ServiceConfig* t = hall.service(to);
      const double e2 = std::max(1, t->expected_service_min);
      v.second_service_min = std::clamp(traits.lognormal(e2 * 0.9, o.sigma), 1.0, e2 * 4);
    }
    if (traits.chance(o.rating_rate)) {
      // Mostly 非常满意 and 满意, a few bad ones that open follow-ups.
      double u = traits.uniform();
      v.rating = u < 0.72 ? 5 : u < 0.90 ? 4 : u < 0.95 ? 3 : u < 0.98 ? 2 : 1;
    }
  }
  return visits;
}

}  // namespace hallq::sim
