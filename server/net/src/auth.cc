#include "hallq/net/auth.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace hallq::net {
namespace {
struct SodiumInit {
  SodiumInit() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  }
};
void ensure_sodium() { static SodiumInit once; }

// OWASP's Argon2id minimum (19 MiB, 2 passes): affordable on a kiosk-class server, and the hash
// string records it, so raising it later keeps old hashes valid.
constexpr unsigned long long kOpsLimit = 2;
constexpr std::size_t kMemLimit = 19u * 1024u * 1024u;

// BLAKE2b-256 in hex. Sessions are found by the hash of their token, and the session file holds
// nothing else of it; a password hash is fingerprinted the same way to notice a change.
std::string hash_hex(std::string_view text) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  char hex[2 * sizeof h + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}
}  // namespace

std::string hash_password(const std::string& password) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), kOpsLimit, kMemLimit) != 0)
    throw std::runtime_error("out of memory hashing a password");
  return out;
}

bool verify_password(const std::string& hash, const std::string& password) {
  ensure_sodium();
  if (hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string random_hex(std::size_t n) {
  ensure_sodium();
  std::string bytes(n, '\0');
  randombytes_buf(bytes.data(), n);
  std::string hex(2 * n + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bytes.data()), n);
  hex.pop_back();
  return hex;
}

Auth::Auth(std::shared_ptr<const HallConfig> config, Options options)
    : options_(options), config_(std::move(config)) {
  ensure_sodium();
}

Auth::~Auth() = default;

Status Auth::keep_sessions_in(const std::string& path, TimeMs now) {
  auto file = storage::SessionFile::open(path);
  if (!file) return file.error();
  auto stored = (*file)->load(now);
  if (!stored) return stored.error();
  std::lock_guard lock(mu_);
  for (const auto& s : *stored) {
    const UserConfig* u = config_->user(s.user);
    if (!u || to_string(u->role) != s.role || hash_hex(u->password_hash) != s.password_fingerprint) {
      // The hall file changed while the server was down: this login is no longer good.
      if (auto e = (*file)->erase(s.token_hash); !e) return e.error();
      continue;
    }
    Session live;
    live.actor.role = u->role;
    live.actor.name = u->name;
    live.actor.windows = u->windows;
    live.expires_at = s.expires_at;
    sessions_[s.token_hash] = std::move(live);
  }
  file_ = std::move(*file);
  return ok_status();
}

void Auth::forget(const std::string& token_hash) {
  sessions_.erase(token_hash);
  if (!file_) return;
  if (auto s = file_->erase(token_hash); !s)
    std::fprintf(stderr, "hallq: a session may outlive its end: %s\n", s.error().message.c_str());
}

std::shared_ptr<const HallConfig> Auth::current() const {
  std::lock_guard lock(mu_);
  return config_;
}

void Auth::reconfigure(std::shared_ptr<const HallConfig> config) {
  std::lock_guard lock(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const UserConfig* now = config->user(it->second.actor.name);
    const UserConfig* before = config_->user(it->second.actor.name);
    if (!now || !before || now->role != before->role || now->password_hash != before->password_hash) {
      const std::string hash = it->first;
      ++it;
      forget(hash);
      continue;
    }
    it->second.actor.windows = now->windows;
    ++it;
  }
  config_ = std::move(config);
}

Result<Session> Auth::login(const std::string& user, const std::string& password, TimeMs now) {
  auto config = current();  // kept alive while `u` points into it
  const UserConfig* u = config->user(user);
  // Verify against a fixed hash when the user is unknown so timing does not reveal names.
  static const std::string kDummy = hash_password("not a real password");
  bool good = verify_password(u ? u->password_hash : kDummy, password) && u != nullptr;
  if (!good) return make_error(ErrorCode::unauthorized, "wrong user name or password");
  Session s;
  s.token = random_hex(32);
  s.actor.role = u->role;
  s.actor.name = u->name;
  s.actor.windows = u->windows;
  s.expires_at = now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_ttl).count();
  std::lock_guard lock(mu_);
  if (config_ != config) {  // the configuration changed while the password was being checked
    const UserConfig* n = config_->user(user);
    if (!n || n->role != u->role || n->password_hash != u->password_hash)
      return make_error(ErrorCode::unauthorized, "wrong user name or password");
    s.actor.windows = n->windows;
  }
  if (sessions_.size() >= options_.max_sessions) {
    // Drop expired sessions first, then the one closest to expiry.
    std::vector<std::string> expired;
    for (const auto& [hash, live] : sessions_)
      if (live.expires_at <= now) expired.push_back(hash);
    for (const auto& hash : expired) forget(hash);
    if (sessions_.size() >= options_.max_sessions) {
      auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
        return a.second.expires_at < b.second.expires_at;
      });
      forget(std::string(oldest->first));
    }
  }
  const std::string hash = hash_hex(s.token);
  if (file_) {
    const UserConfig* n = config_->user(user);
    if (auto st = file_->put({hash, user, std::string(to_string(n->role)), hash_hex(n->password_hash), s.expires_at}); !st)
      std::fprintf(stderr, "hallq: %s (this login will not survive a restart)\n", st.error().message.c_str());
  }
  Session live = s;
  live.token.clear();  // memory keeps the hash only, like the file
  sessions_[hash] = std::move(live);
  return s;
}

void Auth::logout(const std::string& token) {
  std::lock_guard lock(mu_);
  forget(hash_hex(token));
}

std::optional<core::Actor> Auth::device(std::string_view token) const {
  auto config = current();
  const DeviceConfig* d = config->device_by_token(token);
  if (!d) return std::nullopt;
  core::Actor a;
  switch (d->kind) {
    case DeviceKind::kiosk: a.role = Role::kiosk; break;
    case DeviceKind::display: a.role = Role::display; break;
    case DeviceKind::printer: a.role = Role::printer; break;
    case DeviceKind::evaluator: a.role = Role::evaluator; break;
    case DeviceKind::booking: a.role = Role::booking; break;
  }
  a.name = d->id;
  if (d->window) a.windows = {d->window};
  a.services = d->services;
  return a;
}

Result<core::Actor> Auth::authenticate(std::string_view bearer, TimeMs now) const {
  if (bearer.empty()) return make_error(ErrorCode::unauthorized, "missing token: send Authorization: Bearer <token>");
  if (auto d = device(bearer)) return *d;
  std::lock_guard lock(mu_);
  auto it = sessions_.find(hash_hex(bearer));
  if (it == sessions_.end()) return make_error(ErrorCode::unauthorized, "unknown or expired token: log in again");
  if (it->second.expires_at <= now) return make_error(ErrorCode::unauthorized, "session expired: log in again");
  return it->second.actor;
}

bool RateLimiter::allow(const std::string& key, int rate_per_min, int burst, TimeMs now) {
  std::lock_guard lock(mu_);
  if (now - last_sweep_ > 60'000) {
    std::erase_if(buckets_, [now](const auto& kv) { return now - kv.second.last > 600'000; });
    last_sweep_ = now;
  }
  auto [it, fresh] = buckets_.try_emplace(key);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst;
    b.last = now;
  }
  double refill = double(std::max<TimeMs>(0, now - b.last)) * rate_per_min / 60'000.0;
  b.tokens = std::min<double>(burst, b.tokens + refill);
  b.last = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

void RateLimiter::refund(const std::string& key, int burst) {
  std::lock_guard lock(mu_);
  if (auto it = buckets_.find(key); it != buckets_.end())
    it->second.tokens = std::min<double>(burst, it->second.tokens + 1.0);
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace hallq::net
