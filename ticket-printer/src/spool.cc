#include "hallq/printer/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "hallq/json_codec.h"

namespace hallq::printer {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Error io_error(const std::string& what) { return make_error(ErrorCode::internal, what + ": " + std::strerror(errno)); }

// Ticket ids are the server's unguessable tokens; anything else is not used as a file name.
bool safe_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

json job_json(const SpoolJob& j) {
  return json{{"seq", j.seq},           {"ticket", to_json(j.ticket)},   {"lang", j.lang},
              {"reprint", j.reprint},   {"request_id", j.request_id},    {"created_at", j.created_at},
              {"attempts", j.attempts}, {"first_failure_at", j.first_failure_at},
              {"last_error", j.last_error}, {"failed", j.failed}};
}

std::optional<SpoolJob> job_from(const json& j) {
  if (!j.is_object()) return std::nullopt;
  try {
    SpoolJob s;
    s.seq = j.at("seq").get<std::uint64_t>();
    auto t = ticket_info_from_json(j.at("ticket"));
    if (!t) return std::nullopt;
    s.ticket = *t;
    s.lang = j.value("lang", "zh-CN");
    s.reprint = j.value("reprint", false);
    s.request_id = j.value("request_id", "");
    s.created_at = j.value("created_at", TimeMs{0});
    s.attempts = j.value("attempts", 0);
    s.first_failure_at = j.value("first_failure_at", TimeMs{0});
    s.last_error = j.value("last_error", "");
    s.failed = j.value("failed", false);
    return s;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// A spool file that is gone or torn (a crash mid-write) reads as nothing.
std::optional<json> read_json(const fs::path& p) {
  auto j = load_json_file(p.string());
  if (!j) return std::nullopt;
  return std::move(j).value();
}

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::string seq_name(std::uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%012llu.json", static_cast<unsigned long long>(seq));
  return buf;
}

}  // namespace

Result<std::unique_ptr<Spool>> Spool::open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "queue", ec);
  if (!ec) fs::create_directories(fs::path(dir) / "printed", ec);
  if (ec) return make_error(ErrorCode::internal, "spool " + dir + ": " + ec.message());
  std::unique_ptr<Spool> s(new Spool(dir));
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "printed")) {
    if (e.path().extension() != ".json") continue;  // a .tmp left by a crash: ignore
    auto j = read_json(e.path());
    if (!j || !j->is_object()) continue;
    Printed p;
    p.printed_at = j->value("printed_at", TimeMs{0});
    p.copies = j->value("copies", 0);
    if (j->contains("seqs")) p.seqs = (*j)["seqs"].get<std::vector<std::uint64_t>>();
    if (j->contains("request_ids")) p.request_ids = (*j)["request_ids"].get<std::vector<std::string>>();
    if (j->contains("ticket"))
      if (auto t = ticket_info_from_json((*j)["ticket"])) p.ticket = *t;
    s->printed_.emplace(e.path().stem().string(), std::move(p));
  }
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "queue")) {
    if (e.path().extension() != ".json") continue;
    auto j = read_json(e.path());
    auto job = j ? job_from(*j) : std::nullopt;
    if (!job) {
      // Unreadable (a disk problem): keep it aside for a person, never delete silently.
      fs::rename(e.path(), e.path().string() + ".bad", ec);
      continue;
    }
    s->next_seq_ = std::max(s->next_seq_, job->seq + 1);
    auto p = s->printed_.find(job->ticket.id);
    if (p != s->printed_.end() && std::count(p->second.seqs.begin(), p->second.seqs.end(), job->seq)) {
      fs::remove(e.path(), ec);  // printed; the crash came before the job file was removed
      continue;
    }
    s->jobs_.push_back(std::move(*job));
  }
  for (const auto& [id, p] : s->printed_)
    for (auto q : p.seqs) s->next_seq_ = std::max(s->next_seq_, q + 1);
  std::sort(s->jobs_.begin(), s->jobs_.end(), [](const SpoolJob& a, const SpoolJob& b) { return a.seq < b.seq; });
  return s;
}

Status Spool::write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("spool: create " + tmp);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      auto e = io_error("spool: write " + tmp);
      ::close(fd);
      return e;
    }
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0) {
    auto e = io_error("spool: fsync " + tmp);
    ::close(fd);
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("spool: rename " + tmp);
  fsync_dir(fs::path(path).parent_path());
  return ok_status();
}

Status Spool::write_job(const SpoolJob& j) {
  return write_file((fs::path(dir_) / "queue" / seq_name(j.seq)).string(), job_json(j).dump());
}

Status Spool::write_printed(const std::string& id, const Printed& p) {
  json j{{"printed_at", p.printed_at}, {"copies", p.copies}, {"seqs", p.seqs}, {"request_ids", p.request_ids}};
  if (p.ticket) j["ticket"] = to_json(*p.ticket);
  return write_file((fs::path(dir_) / "printed" / (id + ".json")).string(), j.dump());
}

Result<Enqueued> Spool::add_ticket(const TicketInfo& t, const std::string& lang, TimeMs now) {
  if (!safe_id(t.id)) return make_error(ErrorCode::bad_request, "ticket id \"" + t.id + "\" is not a plain token");
  std::lock_guard lock(mu_);
  if (printed_.count(t.id)) return Enqueued::duplicate;
  for (const auto& j : jobs_)
    if (j.ticket.id == t.id) return Enqueued::duplicate;
  SpoolJob j;
  j.seq = next_seq_++;
  j.ticket = t;
  j.ticket.reprint = false;
  j.lang = lang;
  j.created_at = now;
  if (auto s = write_job(j); !s) return s.error();
  jobs_.push_back(std::move(j));
  return Enqueued::queued;
}

Result<Enqueued> Spool::add_reprint(const TicketInfo& t, const std::string& lang, const std::string& request_id,
                                    TimeMs now) {
  if (!safe_id(t.id)) return make_error(ErrorCode::bad_request, "ticket id \"" + t.id + "\" is not a plain token");
  std::lock_guard lock(mu_);
  if (auto p = printed_.find(t.id); p != printed_.end() && !request_id.empty() &&
                                    std::count(p->second.request_ids.begin(), p->second.request_ids.end(), request_id))
    return Enqueued::duplicate;
  for (auto& j : jobs_) {
    if (j.ticket.id != t.id) continue;
    if (j.failed) {  // it never printed: put the original back, it is the reprint
      j.failed = false;
      j.attempts = 0;
      j.first_failure_at = 0;
      j.created_at = now;
      if (j.request_id.empty()) j.request_id = request_id;
      if (auto s = write_job(j); !s) return s.error();
      return Enqueued::requeued;
    }
    // Waiting already: the visitor gets one ticket from it; the same request retried is a no-op.
    if (!j.reprint || request_id.empty() || j.request_id == request_id || j.request_id.empty())
      return Enqueued::duplicate;
  }
  SpoolJob j;
  j.seq = next_seq_++;
  j.ticket = t;
  j.ticket.reprint = printed_.count(t.id) > 0;  // the "reprint" mark only on a second copy
  j.lang = lang;
  j.reprint = true;
  j.request_id = request_id;
  j.created_at = now;
  if (auto s = write_job(j); !s) return s.error();
  jobs_.push_back(std::move(j));
  return Enqueued::queued;
}

std::optional<SpoolJob> Spool::next() const {
  std::lock_guard lock(mu_);
  for (const auto& j : jobs_)
    if (!j.failed) return j;
  return std::nullopt;
}

Status Spool::mark_printed(const SpoolJob& job, TimeMs now) {
  std::lock_guard lock(mu_);
  Printed& p = printed_[job.ticket.id];
  p.printed_at = now;
  p.copies += 1;
  p.seqs.push_back(job.seq);
  p.ticket = job.ticket;
  p.ticket->reprint = false;
  if (!job.request_id.empty()) p.request_ids.push_back(job.request_id);
  // The record first: a crash after it and before the removal finds the job done on restart.
  if (auto s = write_printed(job.ticket.id, p); !s) return s;
  std::error_code ec;
  fs::remove(fs::path(dir_) / "queue" / seq_name(job.seq), ec);
  fsync_dir(fs::path(dir_) / "queue");
  jobs_.erase(std::remove_if(jobs_.begin(), jobs_.end(), [&](const SpoolJob& j) { return j.seq == job.seq; }),
              jobs_.end());
  return ok_status();
}

Result<bool> Spool::mark_attempt(const SpoolJob& job, const std::string& error, TimeMs now, TimeMs fail_after_ms) {
  std::lock_guard lock(mu_);
  for (auto& j : jobs_) {
    if (j.seq != job.seq) continue;
    j.attempts += 1;
    if (j.first_failure_at == 0) j.first_failure_at = now;
    j.last_error = error;
    const bool give_up = !j.failed && now - j.created_at >= fail_after_ms;
    if (give_up) j.failed = true;
    if (auto s = write_job(j); !s) return s.error();
    return give_up;
  }
  return false;
}

bool Spool::was_printed(const std::string& id) const {
  std::lock_guard lock(mu_);
  return printed_.count(id) > 0;
}

std::optional<TicketInfo> Spool::ticket(const std::string& id) const {
  std::lock_guard lock(mu_);
  for (const auto& j : jobs_)
    if (j.ticket.id == id) return j.ticket;
  if (auto p = printed_.find(id); p != printed_.end()) return p->second.ticket;
  return std::nullopt;
}

bool Spool::has_job_for(const std::string& id) const {
  std::lock_guard lock(mu_);
  return std::any_of(jobs_.begin(), jobs_.end(), [&](const SpoolJob& j) { return j.ticket.id == id; });
}

std::size_t Spool::waiting() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(jobs_.begin(), jobs_.end(), [](const SpoolJob& j) { return !j.failed; }));
}

std::vector<SpoolJob> Spool::jobs() const {
  std::lock_guard lock(mu_);
  return jobs_;
}

void Spool::prune(TimeMs now, TimeMs age_ms) {
  std::lock_guard lock(mu_);
  std::error_code ec;
  for (auto it = printed_.begin(); it != printed_.end();) {
    if (now - it->second.printed_at > age_ms) {
      fs::remove(fs::path(dir_) / "printed" / (it->first + ".json"), ec);
      it = printed_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->failed && now - it->created_at > age_ms) {
      fs::remove(fs::path(dir_) / "queue" / seq_name(it->seq), ec);
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace hallq::printer
