// hallq-bench's command line, and the plan it implies for a given hall: which token each display
// and kiosk uses, which user drives which window. Pure: no I/O besides reading the hall file.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hallq::bench {

enum class Transport { ws, http };

struct Options {
  boost::asio::ip::tcp::endpoint server;  // --server, loopback only (default 127.0.0.1:8080)
  std::size_t displays = 0;               // --displays
  std::size_t clerks = 0;                 // --clerks
  std::size_t kiosks = 0;                 // --kiosks: kiosk connections
  double duration_s = 10;                 // --duration: the measured phase
  double calls_per_second = 10;           // --calls-per-second, over all clerks
  double issue_rate = 0;                  // --issue-rate: tickets/s over all kiosks; 0 = flat out
  std::string token_display;              // --token-display (default: the hall's first display)
  std::string token_kiosk;                // --token-kiosk (default: the hall's kiosks, in turn)
  std::string admin_user = "admin";       // --admin-user: drives windows beyond the login budget
  std::string admin_password = "admin-demo";
  std::string clerk_password = "clerk-demo";  // --clerk-password: every clerk's
  std::string config_path;                // --config: the hall file the server runs
  std::vector<std::string> services;      // --services A,B: without --config, what kiosks issue
  int server_pid = 0;                     // --server-pid: read its RSS and CPU from /proc
  bool json = false;                      // --json: print the summary as JSON on stdout
  Transport clerk_transport = Transport::ws;  // --clerk-transport ws|http
  Transport kiosk_transport = Transport::ws;  // --kiosk-transport ws|http
  std::size_t kiosk_pipeline = 16;        // --kiosk-pipeline: commands in flight per WS kiosk
  bool kiosk_events = false;              // --kiosk-events: WS kiosks take the hall's events too
  int display_threads = 1;                // --display-threads
  std::size_t connect_concurrency = 256;  // --connect-concurrency: display handshakes at once
  std::size_t max_tickets = 300000;       // --max-tickets: bound on tickets in the measured phase
  long prefill = -1;                      // --prefill: tickets issued for the clerks first; -1 auto
  std::size_t preissue = 0;               // --preissue: tickets issued first over every service
                                          // (the day so far), before the displays connect
  double settle_s = 1;                    // --settle: pause between setup and measuring
  double drain_s = 10;                    // --drain: how long displays may take to catch up
  double connect_timeout_s = 300;         // --connect-timeout: for all displays together
  std::size_t max_logins = 25;            // --max-logins: the server allows 30 a minute per address
  std::string label;                      // --label: free text copied into the report
  std::string run_id;                     // request id prefix, unique per run
};

// Fills `out` from argv. Returns an error text, or "" (also for --help, with `help` set).
std::string parse_options(int argc, char** argv, Options& out, bool& help);
void print_usage(std::FILE* to);
nlohmann::json options_to_json(const Options& o);

struct ClerkSlot {
  std::string user;   // login name; admin-driven slots use the admin's
  bool admin = false;
  int window = 0;
  std::vector<std::string> services;  // the window's
};

struct KioskSlot {
  std::string name;   // device id, for messages
  std::string token;
  std::vector<std::string> services;  // what it issues
};

struct Plan {
  std::string display_token;
  std::vector<ClerkSlot> clerks;       // one per --clerks
  std::vector<std::string> logins;     // distinct clerk users to log in
  bool admin_login = false;
  std::vector<KioskSlot> kiosks;       // one per kiosk connection, plus at least one for prefill
  std::vector<std::string> services;   // every service, for kiosks issuing during the run
  std::vector<std::string> notes;      // what the user should know about the plan
};

// Decides the plan from the options and the hall file. Returns an error text or "".
std::string make_plan(const Options& o, Plan& out);

}  // namespace hallq::bench
