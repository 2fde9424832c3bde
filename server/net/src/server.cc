#include "hallq/net/server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>

#include <sodium.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "config_api.h"
#include "sessions.h"

namespace hallq::net {

namespace asio = boost::asio;

namespace {
class RandomTicketIds final : public core::TicketIds {
 public:
  // 26 characters of base32 (lower case, URL-safe, readable). The first 8 are the time of issue
  // in milliseconds (since 2020, wrapping after 34 years) in an alphabet that sorts like the
  // numbers, the other 18 are 90 random bits: unguessable. Tickets issued one after another then
  // sit side by side in the journal's index of ids, so a burst of them dirties a few pages of
  // it, not one page each (the commit writes every dirtied page to the WAL).
  std::string next() override {
    static constexpr char kSorted[] = "234567abcdefghijklmnopqrstuvwxyz";  // ASCII order
    static constexpr std::int64_t kEpochMs = 1'577'836'800'000;            // 2020-01-01 UTC
    using namespace std::chrono;
    const auto ms = std::uint64_t(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() - kEpochMs);
    std::string id;
    id.reserve(26);
    for (int i = 7; i >= 0; --i) id.push_back(kSorted[(ms >> (5 * i)) & 31]);
    // 90 bits used, read 5 at a time. The random bytes come from a pool refilled 64 ids at a
    // time: one getrandom() call per ticket was 1 of the server's 5 system calls per ticket.
    if (used_ == sizeof pool_) {
      randombytes_buf(pool_, sizeof pool_);
      used_ = 0;
    }
    const unsigned char* bytes = pool_ + used_;
    used_ += kIdBytes;
    for (int i = 0; i < 18; ++i) {
      int bit = i * 5;
      int v = ((bytes[bit / 8] << 8 | bytes[bit / 8 + 1]) >> (11 - bit % 8)) & 31;
      id.push_back(kSorted[v]);
    }
    return id;
  }

 private:
  static constexpr std::size_t kIdBytes = 13;
  unsigned char pool_[kIdBytes * 64];
  std::size_t used_ = sizeof pool_;  // empty: filled on first use
};
}  // namespace

std::shared_ptr<core::TicketIds> random_ticket_ids() {
  if (sodium_init() < 0) return nullptr;
  return std::make_shared<RandomTicketIds>();
}

struct Server::Impl {
  // ctx is declared before io so it outlives it: destroying io destroys pending handlers, and
  // the sessions they own update ctx.metrics as they go. What lives on io (the hall's timer and
  // strand, the acceptor) is released first, in ~Impl.
  Context ctx;
  asio::io_context io;
  // Keeps io.run() going while stopping: with the acceptor closed and the timers cancelled, the
  // only work left may be answers the commit thread has yet to post, which asio cannot see.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  explicit Impl(int threads) : io(threads) {}
  ~Impl() {
    ctx.reports.reset();  // joins the report worker while io still exists for its answers
    listener.reset();
    ctx.hall.reset();
    ctx.ws_shards.clear();  // their strands belong to io
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

Result<std::unique_ptr<Server>> Server::create(ServerOptions options, std::shared_ptr<const HallConfig> config) {
  options.threads = std::max(1, options.threads);
  auto impl = std::make_unique<Impl>(options.threads);
  std::error_code fs_ec;
  std::filesystem::create_directories(options.data_dir, fs_ec);
  if (fs_ec) return make_error(ErrorCode::internal, "cannot create data directory " + options.data_dir + ": " + fs_ec.message());
  auto journal = storage::Journal::open(options.data_dir + "/hallq.sqlite");
  if (!journal) return journal.error();
  if (!options.ids) options.ids = random_ticket_ids();
  if (!options.ids) return make_error(ErrorCode::internal, "libsodium failed to initialise");

  Context& ctx = impl->ctx;
  ctx.options = options;
  for (int i = 0; i < options.threads; ++i) ctx.ws_shards.push_back(std::make_unique<WsShard>(impl->io));
  ctx.auth = std::make_unique<Auth>(config, Auth::Options{});
  HallOptions hall_options;
  hall_options.max_pending = options.max_pending_commands;
  hall_options.clock = options.clock;
  hall_options.clock_rate = options.clock_rate;
  auto hall = Hall::open(impl->io, config, std::move(*journal), *ctx.options.ids, hall_options, ctx.metrics);
  if (!hall) return hall.error();
  ctx.hall = std::move(*hall);
  // Logins outlive a restart: clerks at their windows are not sent back to the login page.
  if (auto s = ctx.auth->keep_sessions_in(options.data_dir + "/sessions.sqlite", ctx.hall->now()); !s) return s.error();
  ctx.reports = std::make_unique<reports::ReportService>(options.data_dir + "/hallq.sqlite", config);
  if (!options.config_path.empty()) {
    // The file as written, which the overlay (--always-open) may differ from.
    auto file_config = load_hall_config(options.config_path);
    if (!file_config) return file_config.error();
    ctx.config_store = std::make_unique<ConfigStore>(
        options.config_path, std::make_shared<const HallConfig>(std::move(*file_config)), options.config_overlay);
  } else {
    ctx.config_store = std::make_unique<ConfigStore>("", config, nullptr);
  }

  boost::system::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) return make_error(ErrorCode::bad_request, "--listen: \"" + options.host + "\" is not an IP address");
  impl->listener = std::make_shared<Listener>(impl->io, ctx, asio::ip::tcp::endpoint(address, options.port), ec);
  if (ec) {
    return make_error(ErrorCode::internal, "cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " + ec.message());
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::start() {
  impl_->ctx.hall->start();
  impl_->work.emplace(impl_->io.get_executor());
  impl_->listener->run();
  for (int i = 0; i < impl_->ctx.options.threads; ++i)
    impl_->threads.emplace_back([this] { impl_->io.run(); });
}

std::uint16_t Server::port() const { return impl_->listener->port(); }

void Server::stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  impl_->listener->close();
  impl_->ctx.stopping = true;
  // Everything acknowledged is already durable; this commits what is in flight and hands the
  // answers to their connections.
  impl_->ctx.hall->stop();
  impl_->ctx.slow.join();
  // The answers are queued on their connections' strands: wait until each is written (or its
  // client has gone), however busy the machine, but not forever.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (impl_->ctx.answers_owed.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  // Written means handed to the kernel; a moment more lets it leave before the sockets close.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->cv.notify_all();
}

void Server::wait() {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [this] { return impl_->stopped; });
}

}  // namespace hallq::net
