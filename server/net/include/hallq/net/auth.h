// Who is calling: device tokens from the hall config, clerk and admin logins with Argon2id
// password hashes (libsodium) and random session tokens, and per-client rate limits.
// Thread-safe: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "hallq/core/engine.h"
#include "hallq/hall_config.h"
#include "hallq/result.h"
#include "hallq/storage/session_file.h"

namespace hallq::net {

// libsodium's Argon2id; the hash string carries its own salt and cost.
std::string hash_password(const std::string& password);
bool verify_password(const std::string& hash, const std::string& password);
// n random bytes from libsodium, hex-encoded.
std::string random_hex(std::size_t n);

struct Session {
  std::string token;
  core::Actor actor;
  TimeMs expires_at = 0;
};

class Auth {
 public:
  struct Options {
    std::chrono::seconds session_ttl{12 * 3600};  // a working day and then some
    std::size_t max_sessions = 10000;             // oldest dropped beyond this
  };
  Auth(std::shared_ptr<const HallConfig> config, Options options);
  ~Auth();

  // Keeps sessions in `path` from now on, and takes back the ones stored there that are still
  // live and whose user still exists with the same role and password. Without it sessions
  // live in memory only (tests). A session that cannot be stored still works until a restart;
  // the failure goes to stderr.
  Status keep_sessions_in(const std::string& path, TimeMs now);

  // Slow (Argon2id, tens of ms): call off the I/O threads. Unknown user and wrong password give
  // the same message, so the API does not reveal which user names exist.
  Result<Session> login(const std::string& user, const std::string& password, TimeMs now);
  void logout(const std::string& token);
  // A device token or a live session token. Fast.
  Result<core::Actor> authenticate(std::string_view bearer, TimeMs now) const;
  // The Actor a device token stands for, if it is one.
  std::optional<core::Actor> device(std::string_view token) const;
  // A new hall configuration (PUT /api/config): tokens and users change at once. Sessions of
  // removed users, or of users whose role or password changed, end; a clerk's session takes
  // the new list of windows.
  void reconfigure(std::shared_ptr<const HallConfig> config);

 private:
  std::shared_ptr<const HallConfig> current() const;
  void forget(const std::string& token_hash);  // with mu_ held: from memory and the file

  const Options options_;
  mutable std::mutex mu_;
  std::shared_ptr<const HallConfig> config_;           // guarded by mu_; swapped whole
  std::unordered_map<std::string, Session> sessions_;  // guarded by mu_; by token hash
  std::unique_ptr<storage::SessionFile> file_;         // guarded by mu_; null: memory only
};

// Token buckets keyed by client name: `rate_per_min` refill, bursts of `burst`.
// Thread-safe. Entries idle for ten minutes are forgotten so the map stays bounded.
class RateLimiter {
 public:
  // Takes a token if there is one.
  bool allow(const std::string& key, int rate_per_min, int burst, TimeMs now);
  // Gives back a token `allow` took, for attempts that turn out not to count.
  void refund(const std::string& key, int burst);
  std::size_t size() const;

 private:
  struct Bucket {
    double tokens = 0;
    TimeMs last = 0;
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
  TimeMs last_sweep_ = 0;                             // guarded by mu_
};

}  // namespace hallq::net
