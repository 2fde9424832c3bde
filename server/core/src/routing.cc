// Who call-next takes, where a waiting ticket stands, and the per-service figures. The policy
// and its reasons: docs/queue-policy.md. call-next looks at the front of a few ordered sets per
// service (O(services x log n)); it never scans the day's tickets.
#include <algorithm>

#include "engine_impl.h"

namespace hallq::core {

bool HallState::in_slot(const Ticket& t, TimeMs now) const {
  if (t.cls != TicketClass::appointment || !t.appointment_at) return false;
  const Rules& r = config->rules;
  return *t.appointment_at - r.appointment_early_min * kMinuteMs <= now &&
         now <= *t.appointment_at + r.appointment_late_min * kMinuteMs;
}

namespace {

// The booked times whose slot contains `now`: [now - late, now + early].
template <typename Fn>
void for_each_in_slot(const ServiceLine& l, const Rules& r, TimeMs now, Fn&& fn) {
  const TimeMs lo = now - r.appointment_late_min * kMinuteMs;
  const TimeMs hi = now + r.appointment_early_min * kMinuteMs;
  QueueKey lowest;
  lowest.queued_at = INT64_MIN;
  for (auto it = l.appointments_by_time.lower_bound({lo, lowest});
       it != l.appointments_by_time.end() && it->first <= hi; ++it)
    fn(it->second);
}

const QueueKey* earlier(const QueueKey* a, const QueueKey* b) {
  if (a == nullptr) return b;
  if (b == nullptr) return a;
  return *b < *a ? b : a;
}

template <typename Set>
const QueueKey* front(const Set& s) {
  return s.empty() ? nullptr : &*s.begin();
}

}  // namespace

const QueueKey* HallState::pick(const WindowSlot& slot, TimeMs now) const {
  // Tier 0: sent to this window (transfer to it, callback at it).
  if (!slot.targeted.empty()) return &*slot.targeted.begin();

  std::vector<const ServiceLine*> served;
  served.reserve(slot.config->services.size());
  for (const std::string& code : slot.config->services)
    if (const ServiceLine* l = find_line(code)) served.push_back(l);

  // Tier 1: the oldest ticket of the window's services, if it has waited past the aging limit.
  const QueueKey* oldest = nullptr;
  for (const ServiceLine* l : served)
    oldest = earlier(oldest, earlier(front(l->rank0),
                                     earlier(front(l->normal), front(l->appointments))));
  const Rules& rules = config->rules;
  if (oldest != nullptr && now - oldest->queued_at >= rules.aging_min * kMinuteMs) return oldest;

  // Tier 2: class rank first, then the window's service order, then FIFO.
  for (const ServiceLine* l : served)
    if (!l->rank0.empty()) return &*l->rank0.begin();
  for (const ServiceLine* l : served) {
    const QueueKey* best = nullptr;
    for_each_in_slot(*l, rules, now, [&](const QueueKey& k) { best = earlier(best, &k); });
    if (best != nullptr) return best;
  }
  for (const ServiceLine* l : served) {
    const QueueKey* best = front(l->normal);
    // Appointments outside their slot rank as normal; the first such one in FIFO order.
    for (const QueueKey& k : l->appointments) {
      if (best != nullptr && *best < k) break;
      if (!in_slot(tickets.at(*k.id).t, now)) {
        best = earlier(best, &k);
        break;
      }
    }
    if (best != nullptr) return best;
  }
  return nullptr;
}

std::vector<QueueEntry> HallState::queue_of(const WindowSlot& slot, TimeMs now,
                                               std::size_t limit) const {
  // Every candidate with its full sort key. Keys do not depend on each other, so the sorted
  // list is what repeated call-next at `now` takes; pick() gives the same first one faster.
  std::vector<QueueEntry> v;
  for (const QueueKey& k : slot.targeted) v.push_back(QueueEntry{0, 0, 0, k});
  const TimeMs aged_before = now - config->rules.aging_min * kMinuteMs;
  const auto& services = slot.config->services;
  for (std::size_t i = 0; i < services.size(); ++i) {
    const ServiceLine* l = find_line(services[i]);
    if (l == nullptr || slot.service_index(services[i]) != static_cast<int>(i)) continue;
    auto add = [&](const QueueKey& k, int rank) {
      if (k.queued_at <= aged_before) {
        v.push_back(QueueEntry{1, 0, 0, k});
      } else {
        v.push_back(QueueEntry{2, rank, static_cast<int>(i), k});
      }
    };
    for (const QueueKey& k : l->rank0) add(k, 0);
    for (const QueueKey& k : l->normal) add(k, 2);
    for (const QueueKey& k : l->appointments) add(k, in_slot(tickets.at(*k.id).t, now) ? 1 : 2);
  }
  const std::size_t n = std::min(limit, v.size());
  std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end());
  v.resize(n);
  return v;
}

TimeMs HallState::mean_service_ms(const ServiceLine& l) const {
  if (!l.samples.empty()) return l.sample_sum / static_cast<TimeMs>(l.samples.size());
  const int minutes = l.config ? l.config->expected_service_min : ServiceConfig{}.expected_service_min;
  return minutes * kMinuteMs;
}

int HallState::open_windows(const ServiceLine& l) const {
  int n = 0;
  for (int number : l.windows) {
    auto it = windows.find(number);
    if (it != windows.end() && it->second.w.state == WindowState::open) ++n;
  }
  return n;
}

std::optional<TicketStanding> HallState::standing_of(const TicketRecord& r,
                                                        TimeMs now) const {
  const Ticket& t = r.t;
  if (t.state != TicketState::waiting) return std::nullopt;
  const ServiceLine* l = find_line(t.service);
  if (l == nullptr) return TicketStanding{};
  const QueueKey k = key_of(r);
  TicketStanding s;
  int windows_serving = 1;
  auto target = windows.find(t.target_window);
  if (t.target_window != 0 && target != windows.end()) {
    // Exact: the tickets sent to the same window before it.
    const auto& q = target->second.targeted;
    s.ahead = static_cast<int>(std::distance(q.begin(), q.lower_bound(k)));
  } else {
    // The service's own line by class rank and FIFO; see docs/queue-policy.md for what this
    // leaves out (aging, tickets sent to windows, other services sharing the windows).
    std::size_t in_slot_total = 0, in_slot_before = 0;
    for_each_in_slot(*l, config->rules, now, [&](const QueueKey& a) {
      ++in_slot_total;
      if (a < k) ++in_slot_before;
    });
    std::size_t ahead = 0;
    if (t.cls == TicketClass::priority || transferred_in(t)) {
      ahead = l->rank0.order_of_key(k);
    } else if (in_slot(t, now)) {
      ahead = l->rank0.size() + in_slot_before;
    } else {
      ahead = l->rank0.size() + in_slot_total + l->normal.order_of_key(k) +
              (l->appointments.order_of_key(k) - in_slot_before);
    }
    s.ahead = static_cast<int>(ahead);
    windows_serving = std::max(1, open_windows(*l));
  }
  s.estimated_wait_s = s.ahead * mean_service_ms(*l) / windows_serving / 1000;
  return s;
}

ServiceLoad HallState::load_of(const std::string& service, TimeMs now) const {
  ServiceLoad load;
  load.service = service;
  const ServiceLine* l = find_line(service);
  if (l == nullptr) return load;
  load.waiting = static_cast<int>(l->waiting.size());
  load.issued_today = l->counter;
  // A ticket issued now is normal and newest: every untargeted waiting ticket is ahead of it.
  load.estimated_wait_s = static_cast<TimeMs>(l->untargeted()) * mean_service_ms(*l) /
                          std::max(1, open_windows(*l)) / 1000;
  if (!l->waiting.empty())
    load.longest_wait_s = std::max<TimeMs>(0, now - l->waiting.begin()->queued_at) / 1000;
  return load;
}

}  // namespace hallq::core
