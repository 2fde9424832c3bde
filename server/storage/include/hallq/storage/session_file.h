// Clerks' and admins' login sessions, in their own SQLite file beside the journal, so that a
// restart (an update, a crash) does not log every window in the hall out. Only a hash of each
// token is stored: reading the file lets nobody in. Not thread-safe: the owner (net::Auth)
// calls it under its own lock.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hallq/result.h"
#include "hallq/types.h"

namespace hallq::storage {

struct StoredSession {
  std::string token_hash;            // hex; the token itself is never stored
  std::string user;
  std::string role;                  // to_string(Role) when the session began
  std::string password_fingerprint;  // hex hash of the user's password hash then: a changed password ends it
  TimeMs expires_at = 0;

  bool operator==(const StoredSession&) const = default;
};

class SessionFile {
 public:
  // Opens or creates `path` (WAL, synchronous=NORMAL: a login lost to a power cut means
  // logging in again, so no fsync per login). Errors name the file.
  static Result<std::unique_ptr<SessionFile>> open(const std::string& path);
  ~SessionFile();
  SessionFile(const SessionFile&) = delete;
  SessionFile& operator=(const SessionFile&) = delete;

  // The sessions still live at `now`; expired ones are deleted from the file.
  Result<std::vector<StoredSession>> load(TimeMs now);
  Status put(const StoredSession& s);
  Status erase(const std::string& token_hash);

 private:
  struct Impl;
  explicit SessionFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hallq::storage
