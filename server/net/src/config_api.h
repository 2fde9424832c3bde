// GET and PUT /api/config (administrators): the hall configuration as people edit it, with
// password hashes kept on the server; an edit is validated exactly like the file, checked
// against the live day, written back to the file atomically and then applied live.
// ConfigStore is thread-safe; edits run one at a time on the context's slow pool.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api.h"

namespace hallq::net {

class ConfigStore {
 public:
  // `path` empty: editing is off (a server started from an in-memory configuration).
  // `file_config` is the file as loaded; `overlay` is what the command line changes on top of
  // it (--always-open), applied to every edit before it goes live and never written.
  ConfigStore(std::string path, std::shared_ptr<const HallConfig> file_config,
              std::function<void(HallConfig&)> overlay);

  // Runs on the slow pool: hashing new passwords and writing the file take milliseconds.
  void get(std::function<void(HttpReply)> done) const;
  void put(Context& ctx, const std::string& admin, const std::string& body, std::function<void(HttpReply)> done);

 private:
  HttpReply answer_put(Context& ctx, const std::string& admin, const std::string& body);

  // Constant after construction.
  const std::string path_;
  const std::function<void(HallConfig&)> overlay_;

  mutable std::mutex mu_;  // held for a whole edit, from the version check to the swap
  std::shared_ptr<const HallConfig> file_config_;  // guarded by mu_: what the file holds
  std::string version_;                            // guarded by mu_
  struct Done {
    std::string admin, request_id, body;
    HttpReply reply;
  };
  std::deque<Done> recent_;  // guarded by mu_: the last edits' answers, for retries
  static constexpr std::size_t kRecent = 16;
};

// The version PUT's base_version must match: a hash of the file's canonical JSON, so it also
// survives a restart and changes with any edit, including a password.
std::string config_version(const HallConfig& config);
// The configuration as GET /api/config shows it: users carry "password_set" instead of the hash.
nlohmann::json redacted_config(const HallConfig& config);
// Writes `text` to `path` so that a crash leaves either the old or the new file: a temporary
// file in the same directory, fsync, rename over the old one, fsync of the directory. The old
// file is kept as `path.bak` first. The error names the step and the system's reason.
Status write_file_atomically(const std::string& path, const std::string& text);

// Routes /api/config; false if the path is not its own.
bool handle_config_api(Context& ctx, const HttpRequest& req, const std::vector<std::string_view>& parts,
                       std::function<void(HttpReply)>& done);

}  // namespace hallq::net
