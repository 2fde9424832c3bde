// The hallq-printer agent. PrintService is the printer side: it owns the Printer and drains the
// Spool on its own thread, reconnecting the port, polling status and retrying. Agent is the
// server side: the WebSocket session that turns ticket_issued events and reprint requests into
// spool jobs and reports status changes and failed jobs back.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "hallq/printer/escpos.h"
#include "hallq/printer/layout.h"
#include "hallq/printer/printer.h"
#include "hallq/printer/spool.h"

namespace hallq::client {
class HttpClient;
}

namespace hallq::printer {

struct PrintServiceOptions {
  std::chrono::milliseconds poll_interval{2000};    // status poll while idle
  std::chrono::milliseconds retry_interval{1000};   // between tries while the printer is down
  TimeMs fail_after_ms = 5 * 60 * 1000;             // a job not printed by then is reported failed
  std::string base_url;                             // QR: {base_url}/t/{id}
};

// Callbacks run on the print thread; keep them short (they queue messages).
struct PrintEvents {
  std::function<void(DeviceStatus, const std::string& detail)> status_changed;
  std::function<void(const SpoolJob&, const std::string& reason)> job_failed;
  std::function<void(const SpoolJob&)> job_printed;
};

class PrintService {
 public:
  PrintService(Spool& spool, Printer& printer, Rasterizer* rasterizer, TicketLayout layout,
               PrintServiceOptions options, PrintEvents events, std::function<TimeMs()> now);
  ~PrintService();
  void start();  // the print thread
  void stop();
  void wake();   // a job was queued: look now
  // One round (also what the thread runs): returns true if it should run again at once.
  bool step();
  DeviceStatus status() const { return status_.load(); }
  bool has_status() const { return have_status_.load(); }  // false until the first check

 private:
  void set_status(DeviceStatus s, const std::string& detail);

  // constant after construction
  Spool& spool_;
  Printer& printer_;
  Encoder encoder_;
  Rasterizer* rasterizer_;
  const TicketLayout layout_;
  const PrintServiceOptions options_;
  const PrintEvents events_;
  const std::function<TimeMs()> now_;
  // print thread only
  std::chrono::steady_clock::time_point next_poll_{};
  std::chrono::steady_clock::time_point next_prune_{};
  // shared
  std::atomic<bool> have_status_{false};
  std::atomic<DeviceStatus> status_{DeviceStatus::offline};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;  // guarded by mu_
  std::thread thread_;
};

struct AgentOptions {
  std::string server_host;
  int server_port = 8080;
  std::string token;
  std::string base_url;                  // for the QR; default http://server_host:server_port
  std::string lang;                      // ticket language; default the layout's
  std::vector<std::string> kiosks;       // override the server's list
  TimeMs stale_after_ms = 10 * 60 * 1000;  // on (re)connect, tickets older than this are not printed
};

// The WebSocket side. Runs on the calling thread until stop is set.
class Agent {
 public:
  Agent(AgentOptions options, Spool& spool, PrintService& service, std::function<TimeMs()> now);
  void run(const std::atomic<bool>& stop);
  // Thread-safe: queues a message for the server (status, print_failed). While the server is
  // away only the latest device_status is kept, and at most 100 messages in all.
  void post(nlohmann::json message);
  // Handles one server message; public for tests.
  void handle(const nlohmann::json& m);
  // The ticket printed from a ticket_issued event or snapshot entry; nullopt if it is not ours.
  std::optional<TicketInfo> ticket_from_server(const nlohmann::json& ticket, const nlohmann::json* load) const;

 private:
  // The visitor's own standing (GET /api/tickets/{id}): exact "ahead" and wait for this ticket.
  void fetch_standing(TicketInfo& t);
  const AgentOptions options_;
  Spool& spool_;
  PrintService& service_;
  const std::function<TimeMs()> now_;
  // net thread only
  std::string name_ = "printer";
  std::set<std::string> kiosks_;
  std::map<std::string, std::string> hall_name_;
  int utc_offset_min_ = 8 * 60;  // the hall's, from the snapshot; China's until then
  std::map<std::string, std::map<std::string, std::string>> service_names_;
  std::uint64_t last_seq_ = 0;
  client::HttpClient* http_ = nullptr;  // set while run() is connected
  std::mutex out_mu_;
  std::deque<nlohmann::json> outbox_;  // guarded by out_mu_
};

// "http://host:port" -> host, port. False if it is not such a URL.
bool parse_server_url(const std::string& url, std::string& host, int& port);
// Localised names as the server sends them ({"zh_cn","zh_tw","en"}) -> by language.
std::map<std::string, std::string> localized_from_server(const nlohmann::json& j);

}  // namespace hallq::printer
