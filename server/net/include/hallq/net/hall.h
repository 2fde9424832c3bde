// The hall hub: owns the queue engine, the group-commit pipeline and the list of live WebSocket
// subscribers. Every engine call runs on the hall strand; answers are released only after what
// they depend on is durable, and events are pushed to subscribers in seq order, each serialised
// once. Public members may be called from any thread; callbacks run on the hall strand and must
// only post work to their own executors.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hallq/core/engine.h"
#include "hallq/hall_config.h"
#include "hallq/net/auth.h"
#include "hallq/net/metrics.h"
#include "hallq/storage/journal.h"

namespace hallq::net {

class CommitPipeline;

// An HTTP-style answer: status code and a JSON body.
struct Reply {
  int status = 200;
  std::string body;
};
Reply error_reply(const Error& e);
Reply json_reply(int status, const nlohmann::json& body);

// What a subscriber is handed. A snapshot supersedes anything unsent. A call (and a recall, a
// printer's reprint) goes out at once: a screen shows and speaks it. An update, any other event,
// may wait a moment (ServerOptions::ws_update_hold, display_update_hold) to share the next write
// to the same client: in a busy hall a call's start and finish ride with the next call, one
// write instead of three.
enum class Push { snapshot, now, update };

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // On the hall strand. Queue the message, never block.
  virtual void deliver(std::shared_ptr<const std::string> message, Push push) = 0;
};

struct HallOptions {
  std::size_t max_pending = 20000;  // commands waiting for their commit; more are told "busy"
  std::function<TimeMs()> clock;    // defaults to the system clock
  double clock_rate = 1;            // hall ms per real ms (the timer waits real time)
};

class Hall {
 public:
  // Restores the engine from the journal and starts the commit thread. The journal moves into
  // the pipeline. Fails if the stored state does not load.
  static Result<std::shared_ptr<Hall>> open(boost::asio::io_context& io,
                                            std::shared_ptr<const HallConfig> config,
                                            std::unique_ptr<storage::Journal> journal,
                                            core::TicketIds& ids, HallOptions options,
                                            Metrics& metrics);
  ~Hall();

  void start();  // day-rollover timer; rolls over at once if the day changed while down
  void stop();   // stops the timer, waits for every pending commit

  // Runs a command. `done` gets the durable answer.
  void submit(Command command, core::Actor actor, std::function<void(Reply)> done);
  // A read of the engine, answered after everything it may have seen is durable.
  void query(std::function<Reply(const core::Engine&, TimeMs now)> read,
             std::function<void(Reply)> done);
  // Sends the subscriber a snapshot, then every later event. Subscribing again resyncs.
  // with_followups (admins): the snapshot lists the open follow-ups, and follow-up events keep
  // their notes and clerk; everyone else gets those events without a body, so seq has no gap.
  void subscribe(std::weak_ptr<Subscriber> subscriber, bool with_tickets, bool with_followups);

  // Devices: connections and the status a device reports (printer paper, ...). Changes are
  // pushed to subscribers as {"type":"device",...}; they are live facts, not journal events.
  void device_connected(const std::string& id, bool connected);
  void device_status(const std::string& id, std::string status, std::string detail);
  // A visitor's phone following one ticket: sends {"type":"ticket_view",...} (the body of
  // GET /api/tickets/{id}) now and whenever it changes. `refused` runs on the strand if the
  // ticket is unknown or too many phones follow it.
  void watch_ticket(std::weak_ptr<Subscriber> subscriber, std::string ticket_id,
                    std::function<void(Error)> refused);

  // Asks the printer of the ticket's kiosk to print it again ({"type":"reprint",...} to every
  // subscriber; printers act on their own kiosks' tickets, once per request id).
  void reprint(std::string ticket_id, core::Actor actor, std::string request_id, std::function<void(Reply)> done);
  // On the hall strand only (inside query()): every configured device and what is known of it.
  nlohmann::json devices_json() const;

  // Replaces the configuration (PUT /api/config), on the strand: checks it against the live
  // day (Engine::check_reconfigure; invalid_state names what is in the way), then runs
  // `persist` (writes the file; if it fails nothing changes and its error is passed on; it runs
  // on the strand, which waits for its fsyncs: edits are rare, and nothing may slip in between), then
  // swaps the engine's and the hall's configuration, runs `applied`, and sends every subscriber
  // a fresh snapshot and every ticket page a fresh view. `done` gets the outcome.
  void reconfigure(std::shared_ptr<const HallConfig> config, std::function<Status()> persist,
                   std::function<void()> applied, std::function<void(Status)> done);

  // Any thread. A reference stays valid for the server's life: replaced configurations are kept.
  const HallConfig& config() const { return *config_ptr(); }
  std::shared_ptr<const HallConfig> config_ptr() const {
    std::lock_guard lock(config_mu_);
    return config_;
  }
  Metrics& metrics() { return metrics_; }
  TimeMs now() const;

 private:
  Hall(boost::asio::io_context& io, std::shared_ptr<const HallConfig> config, core::TicketIds& ids,
       HallOptions options, Metrics& metrics);
  void commit(core::Outcome outcome, std::function<void(Reply)> done, int success_status,
              std::chrono::steady_clock::time_point started);
  void broadcast(const storage::Batch& durable);  // its events, rendered
  // To every live subscriber; `redacted`, when given, goes to those without follow-ups instead.
  void fan_out(const std::shared_ptr<const std::string>& message, Push push,
               const std::shared_ptr<const std::string>& redacted = nullptr);
  std::shared_ptr<const std::string> snapshot_message(bool with_tickets, bool with_followups = false);
  void arm_timer();
  bool rate_allowed(const core::Actor& actor, TimeMs now);
  std::optional<Error> refresh_actor(core::Actor& actor) const;

  // Replaced only on the strand (reconfigure), under config_mu_; the strand reads it without.
  mutable std::mutex config_mu_;
  std::shared_ptr<const HallConfig> config_;
  // Every configuration replaced so far, so that references from config() never dangle. An
  // edit is a person saving a form: a handful a day, a few hundred KiB at most.
  std::vector<std::shared_ptr<const HallConfig>> retired_configs_;  // on the strand only
  // Constant after construction.
  HallOptions options_;
  Metrics& metrics_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;

  // Used on the strand only.
  core::Engine engine_;
  std::unique_ptr<CommitPipeline> pipeline_;
  boost::asio::steady_timer timer_;
  struct Subscription {
    std::weak_ptr<Subscriber> subscriber;
    bool with_tickets = false;
    bool with_followups = false;
  };
  std::map<Subscriber*, Subscription> subscribers_;
  struct DeviceState {
    int connections = 0;
    std::string status = "unknown";  // as last reported by the device
    std::string detail;
    TimeMs since = 0;                // last change of connection or status
  };
  std::map<std::string, DeviceState> devices_;
  struct Visitor {
    std::weak_ptr<Subscriber> subscriber;
    std::string last;  // the view last sent: unchanged views are not sent again
  };
  std::multimap<std::string, Visitor> visitors_;  // by ticket id
  static constexpr std::size_t kMaxVisitors = 20000;
  static constexpr std::size_t kMaxVisitorsPerTicket = 4;
  void update_visitors(const std::vector<Event>& events);
  std::shared_ptr<const std::string> ticket_view_message(const std::string& ticket_id);
  std::uint64_t devices_version_ = 0;  // part of the snapshot cache key; a new config bumps it too
  void push_device(const std::string& id);
  struct CachedSnapshot {
    std::uint64_t seq = 0;
    std::uint64_t devices_version = 0;
    TimeMs second = -1;
    std::shared_ptr<const std::string> message;
  };
  CachedSnapshot snapshot_cache_[3];  // [with_tickets], [2]: with tickets and follow-ups
  RateLimiter limiter_;
  bool stopped_ = false;                        // on the strand: refuse new commands
  std::atomic<bool> stop_requested_{false};     // stop() runs once
};

}  // namespace hallq::net
