#include "config_api.h"

#include <boost/asio/post.hpp>

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "hallq/json_codec.h"

namespace hallq::net {

using nlohmann::json;

namespace {

constexpr std::size_t kPasswordMin = 8;
constexpr std::size_t kPasswordMax = 256;

// The API's error body, with the JSON path of the field concerned when there is one, so the
// page can show the message next to that field.
HttpReply config_error(int status, std::string_view code, std::string message, std::string path = {}) {
  json e{{"code", code}, {"message", std::move(message)}};
  if (!path.empty()) e["path"] = std::move(path);
  return HttpReply{status, json{{"error", std::move(e)}}.dump()};
}

// parse_hall_config's messages start with the path: "/windows/3/name: ...".
std::string path_of(const std::string& message) {
  if (message.empty() || message[0] != '/') return {};
  auto colon = message.find(": ");
  return colon == std::string::npos ? std::string() : message.substr(0, colon);
}

std::string sys_error(const std::string& what, const std::string& path) {
  return "cannot " + what + " " + path + ": " + std::strerror(errno);
}

Status fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::internal, sys_error("open", path));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return make_error(ErrorCode::internal, sys_error("fsync", path));
  return ok_status();
}

// Writes a whole file under a temporary name in `dir`, synced; returns that name.
Result<std::string> write_temp(const std::string& dir, const std::string& base, const std::string& text) {
  std::string tmpl = dir + "/." + base + ".XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return make_error(ErrorCode::internal, sys_error("create a temporary file in", dir));
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto e = make_error(ErrorCode::internal, sys_error("write", tmpl));
      ::close(fd);
      ::unlink(tmpl.c_str());
      return e;
    }
    p += n;
    left -= std::size_t(n);
  }
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) {
    auto e = make_error(ErrorCode::internal, sys_error("sync", tmpl));
    ::close(fd);
    ::unlink(tmpl.c_str());
    return e;
  }
  ::close(fd);
  return tmpl;
}

}  // namespace

std::string config_version(const HallConfig& config) {
  std::string text = hall_config_to_json(config).dump();
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  char hex[2 * sizeof hash + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}

json redacted_config(const HallConfig& config) {
  json j = hall_config_to_json(config);
  // The hashes would let anyone who reads this page guess passwords offline. Device tokens
  // are shown: installers type them into devices, and a token only lets a device do its job.
  for (auto& u : j["users"]) {
    u["password_set"] = u.contains("password_hash") && !u["password_hash"].get<std::string>().empty();
    u.erase("password_hash");
  }
  return j;
}

Status write_file_atomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  fs::path target(path);
  std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  std::string base = target.filename().string();
  std::error_code ec;
  if (fs::exists(target, ec)) {
    // The previous file as FILE.bak, itself replaced atomically.
    std::ifstream in(path, std::ios::binary);
    std::ostringstream old;
    old << in.rdbuf();
    if (!in) return make_error(ErrorCode::internal, sys_error("read", path));
    auto bak = write_temp(dir, base + ".bak", old.str());
    if (!bak) return bak.error();
    if (::rename(bak->c_str(), (path + ".bak").c_str()) != 0) {
      auto e = make_error(ErrorCode::internal, sys_error("rename to", path + ".bak"));
      ::unlink(bak->c_str());
      return e;
    }
  }
  auto tmp = write_temp(dir, base, text);
  if (!tmp) return tmp.error();
  if (::rename(tmp->c_str(), path.c_str()) != 0) {
    auto e = make_error(ErrorCode::internal, sys_error("rename over", path));
    ::unlink(tmp->c_str());
    return e;
  }
  // The rename is durable only once the directory is.
  return fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

ConfigStore::ConfigStore(std::string path, std::shared_ptr<const HallConfig> file_config,
                         std::function<void(HallConfig&)> overlay)
    : path_(std::move(path)), overlay_(std::move(overlay)), file_config_(std::move(file_config)) {
  version_ = config_version(*file_config_);
}

void ConfigStore::get(std::function<void(HttpReply)> done) const {
  json body;
  {
    std::lock_guard lock(mu_);
    body = json{{"version", version_}, {"editable", !path_.empty()}, {"file", path_},
                {"config", redacted_config(*file_config_)}};
  }
  done(HttpReply{200, body.dump()});
}

void ConfigStore::put(Context& ctx, const std::string& admin, const std::string& body,
                      std::function<void(HttpReply)> done) {
  // One edit at a time, off the I/O threads: Argon2id takes tens of milliseconds.
  boost::asio::post(ctx.slow, [this, &ctx, admin, body, done = std::move(done)] {
    done(answer_put(ctx, admin, body));
  });
}

HttpReply ConfigStore::answer_put(Context& ctx, const std::string& admin, const std::string& body) {
  auto parsed = parse_json_body(body);
  if (!parsed) return config_error(400, "bad_request", parsed.error().message);
  const json& j = *parsed;
  JsonReader r(j, "");
  std::string request_id = r.string("request_id", true, 64);
  std::string base_version = r.string("base_version", true, 64);
  const json* edited = r.child("config", true);
  if (auto s = r.finish(); !s) return config_error(400, "bad_request", s.error().message);
  if (!edited->is_object()) return config_error(400, "bad_request", "/config: must be an object (the hall configuration)");

  std::lock_guard lock(mu_);
  for (const Done& d : recent_) {
    if (d.admin != admin || d.request_id != request_id) continue;
    // A retry after a lost answer gets the first answer; a reused id with other content does not.
    if (d.body == body) return d.reply;
    return config_error(422, "request_id_reused", "request id " + request_id + " was already used for another edit");
  }
  if (path_.empty())
    return config_error(409, "config_read_only",
                        "this server was started without a configuration file, so edits could not be saved");
  if (base_version != version_)
    return config_error(409, "stale_config",
                        "the configuration was changed by someone else since this page loaded it: reload and redo the edit");

  // Passwords: a new one is hashed here; none keeps the user's current hash.
  json c = *edited;
  if (auto users = c.find("users"); users != c.end() && users->is_array()) {
    for (std::size_t i = 0; i < users->size(); ++i) {
      json& u = (*users)[i];
      if (!u.is_object()) continue;  // parse_hall_config names it
      const std::string at = "/users/" + std::to_string(i);
      u.erase("password_set");
      if (u.contains("password_hash"))
        return config_error(400, "bad_config", at + "/password_hash: password hashes stay on the server: send \"password\" to set a new one",
                            at + "/password_hash");
      if (auto pw = u.find("password"); pw != u.end()) {
        if (!pw->is_string())
          return config_error(400, "bad_config", at + "/password: must be a string", at + "/password");
        std::string password = pw->get<std::string>();
        if (password.size() < kPasswordMin || password.size() > kPasswordMax)
          return config_error(400, "bad_config", at + "/password: must be 8 to 256 bytes long", at + "/password");
        u.erase("password");
        u["password_hash"] = hash_password(password);
        continue;
      }
      const UserConfig* before = nullptr;
      if (auto n = u.find("name"); n != u.end() && n->is_string()) before = file_config_->user(n->get<std::string>());
      if (!before)
        return config_error(400, "bad_config", at + "/password: a new user needs a password", at + "/password");
      u["password_hash"] = before->password_hash;
    }
  }
  auto next = parse_hall_config(c);
  if (!next) return config_error(400, "bad_config", next.error().message, path_of(next.error().message));
  auto file_config = std::make_shared<const HallConfig>(*next);
  HallConfig live_config = std::move(*next);
  if (overlay_) overlay_(live_config);
  auto live = std::make_shared<const HallConfig>(std::move(live_config));
  std::string text = hall_config_to_json(*file_config).dump(2) + "\n";
  std::string new_version = config_version(*file_config);
  const std::string old_version = version_;

  std::promise<Status> applied;
  auto outcome = applied.get_future();
  ctx.hall->reconfigure(
      live, [this, text] { return write_file_atomically(path_, text); },
      [&ctx, live, admin, old_version, new_version] {
        ctx.auth->reconfigure(live);
        if (ctx.reports) ctx.reports->reconfigure(live);
        std::fprintf(stderr, "hallq-server: configuration changed by %s: version %s -> %s\n", admin.c_str(),
                     old_version.c_str(), new_version.c_str());
      },
      [&applied](Status s) { applied.set_value(std::move(s)); });
  // The hall answers within one strand turn and one commit; only a stopping server is slower.
  if (outcome.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
    return config_error(503, "busy", "the server did not apply the change in time (stopping?): reload and check");
  Status s = outcome.get();
  if (!s) {
    const Error& e = s.error();
    if (e.code == ErrorCode::invalid_state) return config_error(409, "config_conflict", e.message, path_of(e.message));
    if (e.code == ErrorCode::busy) return config_error(503, "busy", e.message);
    return config_error(500, "config_not_saved", "the change was not applied because the file could not be written: " + e.message);
  }
  file_config_ = file_config;
  version_ = new_version;
  HttpReply reply{200, json{{"version", version_}, {"editable", true}, {"file", path_},
                            {"config", redacted_config(*file_config_)}}.dump()};
  recent_.push_back(Done{admin, request_id, body, reply});
  if (recent_.size() > kRecent) recent_.pop_front();
  return reply;
}

bool handle_config_api(Context& ctx, const HttpRequest& req, const std::vector<std::string_view>& parts,
                       std::function<void(HttpReply)>& done) {
  namespace http = boost::beast::http;
  if (parts.size() != 2 || parts[1] != "config") return false;
  const auto method = req.method();
  if (method != http::verb::get && method != http::verb::put) {
    done(config_error(400, "bad_request", "method not allowed here: use GET or PUT"));
    return true;
  }
  authed(ctx, req, done, [&](core::Actor actor) {
    if (actor.role != Role::admin) {
      done(config_error(403, "forbidden", actor.name + " may not see or change the configuration (administrators only)"));
    } else if (!ctx.config_store) {
      done(config_error(409, "config_read_only", "this server has no configuration store"));
    } else if (method == http::verb::get) {
      ctx.config_store->get(std::move(done));
    } else {
      ctx.config_store->put(ctx, actor.name, req.body(), std::move(done));
    }
  });
  return true;
}

}  // namespace hallq::net
