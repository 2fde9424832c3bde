#include "hallq/net/hall.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <future>
#include <thread>
#include <set>

#include "commit_pipeline.h"
#include "hallq/json_codec.h"

namespace hallq::net {

namespace asio = boost::asio;
using nlohmann::json;

Reply error_reply(const Error& e) { return Reply{http_status_for(e.code), to_json(e).dump()}; }
Reply json_reply(int status, const json& body) { return Reply{status, body.dump()}; }

namespace {
TimeMs system_now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

Hall::Hall(asio::io_context& io, std::shared_ptr<const HallConfig> config, core::TicketIds& ids,
           HallOptions options, Metrics& metrics)
    : config_(std::move(config)),
      options_(std::move(options)),
      metrics_(metrics),
      strand_(asio::make_strand(io)),
      engine_(config_, ids),
      timer_(strand_) {
  if (!options_.clock) options_.clock = system_now;
  if (!(options_.clock_rate > 0)) options_.clock_rate = 1;
}

Hall::~Hall() { stop(); }

Result<std::shared_ptr<Hall>> Hall::open(asio::io_context& io, std::shared_ptr<const HallConfig> config,
                                         std::unique_ptr<storage::Journal> journal,
                                         core::TicketIds& ids, HallOptions options, Metrics& metrics) {
  auto state = journal->load_state();
  if (!state) return state.error();
  std::shared_ptr<Hall> hall(new Hall(io, std::move(config), ids, std::move(options), metrics));
  hall->engine_.restore(*state);
  hall->pipeline_ = std::make_unique<CommitPipeline>(std::move(journal), hall->strand_, metrics);
  return hall;
}

TimeMs Hall::now() const { return options_.clock(); }

void Hall::start() {
  asio::post(strand_, [this] {
    auto outcome = engine_.tick(now());
    if (!outcome.events.empty()) commit(std::move(outcome), nullptr, 200, std::chrono::steady_clock::now());
    arm_timer();
  });
}

void Hall::arm_timer() {
  if (stopped_) return;
  // Wake at the next deadline (day end, overdue alert), and at least once a real second so that
  // a clock jump, or a test's fake clock moved by hand, is noticed within a second. Deadlines
  // are in hall time: on a simulated day's faster clock they come sooner in real time.
  TimeMs t = now();
  const double until = double(engine_.next_deadline(t) - t) / options_.clock_rate;
  const auto wait = std::chrono::milliseconds(TimeMs(std::clamp(std::ceil(until), 10.0, 1'000.0)));
  timer_.expires_after(wait);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    auto outcome = engine_.tick(now());
    if (!outcome.events.empty()) commit(std::move(outcome), nullptr, 200, std::chrono::steady_clock::now());
    arm_timer();
  });
}

void Hall::stop() {
  if (!pipeline_ || stop_requested_.exchange(true)) return;
  std::promise<void> refused;
  asio::post(strand_, [this, &refused] {
    stopped_ = true;  // from here on new commands are refused, so the queue only shrinks
    timer_.cancel();
    refused.set_value();
  });
  // If the I/O threads are gone the strand never runs: then there is nobody to answer anyway.
  if (refused.get_future().wait_for(std::chrono::seconds(2)) == std::future_status::ready) {
    // Let every accepted command commit and its answer reach its session before stopping.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (pipeline_->pending() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pipeline_->stop();
}

bool Hall::rate_allowed(const core::Actor& actor, TimeMs t) {
  int rate = 0;
  switch (actor.role) {
    case Role::kiosk: rate = config_->rules.kiosk_rate_per_min; break;
    case Role::clerk: rate = config_->rules.clerk_rate_per_min; break;
    case Role::admin: rate = config_->rules.clerk_rate_per_min * 10; break;
    default: rate = config_->rules.clerk_rate_per_min; break;
  }
  return limiter_.allow(actor.name, rate, std::max(5, rate / 10), t);
}

void Hall::submit(Command command, core::Actor actor, std::function<void(Reply)> done) {
  auto started = std::chrono::steady_clock::now();
  asio::post(strand_, [this, command = std::move(command), actor = std::move(actor),
                       done = std::move(done), started]() mutable {
    TimeMs t = now();
    if (stopped_) {
      done(error_reply(make_error(ErrorCode::busy, "the server is stopping: retry in a moment")));
      return;
    }
    if (auto refused = refresh_actor(actor)) {
      done(error_reply(*refused));
      return;
    }
    if (!rate_allowed(actor, t)) {
      metrics_.rate_limited.fetch_add(1, std::memory_order_relaxed);
      done(error_reply(make_error(ErrorCode::rate_limited,
                                  "too many commands from " + actor.name + ": wait a moment and retry")));
      return;
    }
    if (pipeline_->pending() >= options_.max_pending) {
      metrics_.busy.fetch_add(1, std::memory_order_relaxed);
      done(error_reply(make_error(ErrorCode::busy, "the server is saving a burst of work: retry in a moment")));
      return;
    }
    bool is_issue = std::holds_alternative<IssueTicket>(command.body);
    auto outcome = engine_.execute(command, actor, t);
    if (!outcome.ok()) {
      metrics_.commands_rejected.fetch_add(1, std::memory_order_relaxed);
      if (outcome.error->code == ErrorCode::bad_request) metrics_.bad_requests.fetch_add(1, std::memory_order_relaxed);
    } else if (outcome.repeated) {
      metrics_.commands_repeated.fetch_add(1, std::memory_order_relaxed);
    } else {
      metrics_.commands_ok.fetch_add(1, std::memory_order_relaxed);
      if (is_issue) metrics_.tickets_issued.fetch_add(1, std::memory_order_relaxed);
    }
    const bool creates = is_issue || std::holds_alternative<BookAppointment>(command.body);
    commit(std::move(outcome), std::move(done), creates ? 201 : 200, started);
  });
}

// On the strand. Every answer waits for the pipeline, even a refusal: it may depend on state
// that is not yet durable, and a repeat must not be acknowledged before its original is.
void Hall::commit(core::Outcome outcome, std::function<void(Reply)> done, int success_status,
                  std::chrono::steady_clock::time_point started) {
  std::optional<storage::Batch> batch;
  if (!outcome.events.empty() || outcome.request) {
    batch.emplace();
    batch->events = std::move(outcome.events);
    batch->request = std::move(outcome.request);
    // Each event is rendered once, here: the journal stores the text, subscribers get it.
    batch->rendered.reserve(batch->events.size());
    for (const Event& e : batch->events) batch->rendered.push_back(storage::render(e));
  }
  Reply reply;
  if (!outcome.ok()) {
    reply = error_reply(*outcome.error);
  } else {
    reply.status = outcome.repeated ? 200 : success_status;
    reply.body = std::move(outcome.body);  // text already: the engine serialised it once
  }
  pipeline_->push(std::move(batch), [this, reply = std::move(reply), done = std::move(done),
                                     started](const storage::Batch* durable) mutable {
    if (durable && !durable->events.empty()) broadcast(*durable);
    if (done) {
      metrics_.command_latency.observe_us(std::uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - started).count()));
      done(std::move(reply));
    }
  });
}

void Hall::query(std::function<Reply(const core::Engine&, TimeMs)> read, std::function<void(Reply)> done) {
  asio::post(strand_, [this, read = std::move(read), done = std::move(done)]() mutable {
    Reply r = read(engine_, now());
    pipeline_->push(std::nullopt, [r = std::move(r), done = std::move(done)](const storage::Batch*) mutable {
      done(std::move(r));
    });
  });
}

std::shared_ptr<const std::string> Hall::snapshot_message(bool with_tickets, bool with_followups) {
  TimeMs t = now();
  auto& cache = snapshot_cache_[with_followups ? 2 : with_tickets ? 1 : 0];
  // Thousands of displays reconnecting at once get the same bytes within a second.
  if (cache.message && cache.seq == engine_.last_seq() && cache.second == t / 1000 &&
      cache.devices_version == devices_version_)
    return cache.message;
  cache.seq = engine_.last_seq();
  cache.second = t / 1000;
  cache.devices_version = devices_version_;
  json snap = engine_.snapshot(t, with_tickets || with_followups, with_followups);
  snap["devices"] = devices_json();
  cache.message = std::make_shared<const std::string>(snap.dump());
  return cache.message;
}

void Hall::subscribe(std::weak_ptr<Subscriber> subscriber, bool with_tickets, bool with_followups) {
  asio::post(strand_, [this, subscriber = std::move(subscriber), with_tickets, with_followups]() mutable {
    auto message = snapshot_message(with_tickets, with_followups);
    // Released after the events it includes are durable (and already broadcast); the subscriber
    // joins in the same handler, so it sees exactly the events after the snapshot's seq.
    pipeline_->push(std::nullopt, [this, subscriber = std::move(subscriber), message, with_tickets,
                                   with_followups](const storage::Batch*) {
      auto s = subscriber.lock();
      if (!s) return;
      subscribers_[s.get()] = Subscription{subscriber, with_tickets, with_followups};
      s->deliver(message, Push::snapshot);
    });
  });
}

void Hall::broadcast(const storage::Batch& durable) {
  const std::vector<Event>& events = durable.events;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    const std::shared_ptr<const std::string>& message = durable.rendered[i].event;
    const Push push = e.type == EventType::ticket_called || e.type == EventType::ticket_recalled ? Push::now : Push::update;
    if (e.appointment) {
      json j = to_json(e);
      // An appointment's code checks it in: a secret between the booker and the kiosk. Hall
      // screens get the record without it.
      j["appointment"].erase("code");
      fan_out(message, push, std::make_shared<const std::string>(j.dump()));
      continue;
    }
    if (e.type != EventType::followup_opened && e.type != EventType::followup_updated) {
      fan_out(message, push);
      continue;
    }
    // A follow-up names the clerk and holds the manager's notes: not for hall screens or
    // kiosks. They still get the event's seq, so their stream has no gap.
    json j = to_json(e);
    j.erase("followup");
    j.erase("actor");
    fan_out(message, push, std::make_shared<const std::string>(j.dump()));
  }
  if (!visitors_.empty()) update_visitors(events);
}

std::shared_ptr<const std::string> Hall::ticket_view_message(const std::string& ticket_id) {
  auto view = engine_.ticket_view(ticket_id, now());
  if (!view) return nullptr;
  json j = std::move(*view);
  j["type"] = "ticket_view";
  return std::make_shared<const std::string>(j.dump());
}

void Hall::watch_ticket(std::weak_ptr<Subscriber> subscriber, std::string ticket_id,
                        std::function<void(Error)> refused) {
  asio::post(strand_, [this, subscriber = std::move(subscriber), ticket_id = std::move(ticket_id),
                       refused = std::move(refused)]() mutable {
    if (!engine_.ticket(ticket_id)) return refused(make_error(ErrorCode::not_found, "no ticket of today has this id"));
    if (visitors_.size() >= kMaxVisitors || visitors_.count(ticket_id) >= kMaxVisitorsPerTicket)
      return refused(make_error(ErrorCode::rate_limited, "too many screens follow this ticket"));
    auto message = ticket_view_message(ticket_id);
    pipeline_->push(std::nullopt, [this, subscriber = std::move(subscriber), ticket_id, message](const storage::Batch*) {
      auto s = subscriber.lock();
      if (!s) return;
      visitors_.emplace(ticket_id, Visitor{subscriber, *message});
      s->deliver(message, Push::snapshot);
    });
  });
}

// A visitor's standing moves when anything happens in their ticket's service (or a window
// serving it pauses), so views are recomputed for the services the events touched.
void Hall::update_visitors(const std::vector<Event>& events) {
  std::set<std::string> services;
  bool windows_changed = false;
  for (const auto& e : events) {
    if (e.ticket) services.insert(e.ticket->service);
    if (e.load) services.insert(e.load->service);
    if (e.other_load) services.insert(e.other_load->service);
    if (e.window && !e.ticket) windows_changed = true;
    if (e.type == EventType::day_rolled_over) windows_changed = true;
  }
  for (auto it = visitors_.begin(); it != visitors_.end();) {
    auto s = it->second.subscriber.lock();
    const Ticket* t = engine_.ticket(it->first);
    if (!s || !t) {
      it = visitors_.erase(it);
      continue;
    }
    if (windows_changed || services.count(t->service)) {
      if (auto m = ticket_view_message(it->first); m && *m != it->second.last) {
        it->second.last = *m;
        s->deliver(m, Push::snapshot);
      }
    }
    ++it;
  }
}

void Hall::fan_out(const std::shared_ptr<const std::string>& message, Push push,
                   const std::shared_ptr<const std::string>& redacted) {
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    if (auto s = it->second.subscriber.lock()) {
      s->deliver(redacted && !it->second.with_followups ? redacted : message, push);
      ++it;
    } else {
      it = subscribers_.erase(it);
    }
  }
}

}  // namespace hallq::net

namespace hallq::net {

namespace {
json device_json(const DeviceConfig& d, int connections, const std::string& status, const std::string& detail,
                 TimeMs since) {
  json j{{"type", "device"}, {"id", d.id},     {"kind", to_string(d.kind)}, {"online", connections > 0},
         {"status", status}, {"detail", detail}, {"since", since}};
  if (d.window) j["window"] = d.window;
  return j;
}
}  // namespace

void Hall::reprint(std::string ticket_id, core::Actor actor, std::string request_id, std::function<void(Reply)> done) {
  asio::post(strand_, [this, ticket_id = std::move(ticket_id), actor = std::move(actor),
                       request_id = std::move(request_id), done = std::move(done)]() mutable {
    const Ticket* t = engine_.ticket(ticket_id);
    if (!t) return done(error_reply(make_error(ErrorCode::not_found, "no ticket " + ticket_id + " today")));
    bool allowed = actor.role == Role::admin || (actor.role == Role::kiosk && t->issued_by == actor.name);
    if (!allowed)
      return done(error_reply(make_error(ErrorCode::forbidden, actor.name + " may not reprint ticket " + t->number)));
    json msg{{"type", "reprint"}, {"request_id", request_id}, {"ticket", to_json(*t)}};
    auto message = std::make_shared<const std::string>(msg.dump());
    std::string number = t->number;
    // After the barrier: the ticket being reprinted is durable.
    pipeline_->push(std::nullopt, [this, message, number, done = std::move(done)](const storage::Batch*) {
      fan_out(message, Push::now);  // the printer prints it at once
      done(json_reply(202, json{{"status", "sent"}, {"number", number}}));
    });
  });
}

json Hall::devices_json() const {
  json out = json::array();
  for (const auto& d : config_->devices) {
    auto it = devices_.find(d.id);
    if (it == devices_.end()) {
      out.push_back(device_json(d, 0, "unknown", "", 0));
    } else {
      out.push_back(device_json(d, it->second.connections, it->second.status, it->second.detail, it->second.since));
    }
    out.back().erase("type");
  }
  return out;
}

void Hall::push_device(const std::string& id) {
  ++devices_version_;
  const DeviceConfig* d = config_->device(id);
  if (!d) return;
  const DeviceState& s = devices_[id];
  fan_out(std::make_shared<const std::string>(device_json(*d, s.connections, s.status, s.detail, s.since).dump()), Push::update);
}

void Hall::device_connected(const std::string& id, bool connected) {
  asio::post(strand_, [this, id, connected] {
    if (!config_->device(id)) return;
    DeviceState& s = devices_[id];
    bool was_online = s.connections > 0;
    s.connections = std::max(0, s.connections + (connected ? 1 : -1));
    if ((s.connections > 0) != was_online) {
      s.since = now();
      push_device(id);
    }
  });
}

void Hall::device_status(const std::string& id, std::string status, std::string detail) {
  asio::post(strand_, [this, id, status = std::move(status), detail = std::move(detail)]() mutable {
    if (!config_->device(id)) return;
    DeviceState& s = devices_[id];
    if (s.status == status && s.detail == detail) return;
    s.status = std::move(status);
    s.detail = std::move(detail);
    s.since = now();
    push_device(id);
  });
}

}  // namespace hallq::net

namespace hallq::net {

// An open WebSocket keeps the Actor it said hello with; the configuration may have changed
// since. A removed device or user is refused from its next command on, and a clerk acts with
// the windows the configuration gives now.
std::optional<Error> Hall::refresh_actor(core::Actor& actor) const {
  const HallConfig& c = *config_;
  switch (actor.role) {
    case Role::admin:
    case Role::clerk: {
      const UserConfig* u = c.user(actor.name);
      if (!u || u->role != actor.role)
        return make_error(ErrorCode::unauthorized, "user " + actor.name + " was changed or removed from the configuration: log in again");
      actor.windows = u->windows;
      return std::nullopt;
    }
    case Role::visitor:
      return std::nullopt;
    default: {
      const DeviceConfig* d = c.device(actor.name);
      if (!d) return make_error(ErrorCode::unauthorized, "device " + actor.name + " is no longer in the configuration");
      actor.windows = d->window ? std::vector<int>{d->window} : std::vector<int>{};
      actor.services = d->services;
      return std::nullopt;
    }
  }
}

void Hall::reconfigure(std::shared_ptr<const HallConfig> config, std::function<Status()> persist,
                       std::function<void()> applied, std::function<void(Status)> done) {
  asio::post(strand_, [this, config = std::move(config), persist = std::move(persist), applied = std::move(applied),
                       done = std::move(done)]() mutable {
    if (stopped_) return done(make_error(ErrorCode::busy, "the server is stopping: retry in a moment"));
    TimeMs t = now();
    // Checked before the file is written, applied after: on the strand nothing runs between.
    if (auto s = engine_.check_reconfigure(*config, t); !s) return done(s.error());
    if (auto s = persist(); !s) return done(s.error());
    if (auto s = engine_.reconfigure(config, t); !s) return done(s.error());  // checked above: cannot fail
    {
      std::lock_guard lock(config_mu_);
      retired_configs_.push_back(std::move(config_));
      config_ = config;
    }
    if (applied) applied();
    ++devices_version_;  // the cached snapshots show the old names
    std::array<std::shared_ptr<const std::string>, 3> messages{snapshot_message(false), snapshot_message(true),
                                                               snapshot_message(true, true)};
    // After the barrier, like subscribe(): the snapshot shows nothing that is not yet durable.
    pipeline_->push(std::nullopt, [this, messages = std::move(messages),
                                   done = std::move(done)](const storage::Batch*) mutable {
      for (auto it = subscribers_.begin(); it != subscribers_.end();) {
        auto s = it->second.subscriber.lock();
        if (!s) {
          it = subscribers_.erase(it);
          continue;
        }
        s->deliver(messages[it->second.with_followups ? 2 : it->second.with_tickets ? 1 : 0], Push::snapshot);
        ++it;
      }
      for (auto it = visitors_.begin(); it != visitors_.end();) {
        auto s = it->second.subscriber.lock();
        auto m = s ? ticket_view_message(it->first) : nullptr;
        if (!m) {
          it = visitors_.erase(it);
          continue;
        }
        if (*m != it->second.last) {
          it->second.last = *m;
          s->deliver(m, Push::snapshot);
        }
        ++it;
      }
      done(ok_status());
    });
  });
}

}  // namespace hallq::net
