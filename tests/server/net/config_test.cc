// Live configuration editing against a real server (issue 5): GET/PUT /api/config over real
// sockets, with the hall file in a temp dir that the server rewrites, and the day's chart
// figures from /api/reports/day.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "server_fixture.h"

namespace hallq::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ConfigTest : public ServerFixture {
 protected:
  void SetUp() override {
    file_ = files_.path / "hall.json";
    std::filesystem::copy_file(std::string(HALLQ_TEST_DATA_DIR) + "/small-hall.json", file_);
  }
  // A server started the way hallq-server --config FILE starts: from the file, writing back to it.
  void start_from_file() {
    auto c = load_hall_config(file_.string());
    ASSERT_TRUE(c.ok()) << c.error().message;
    net::ServerOptions o;
    o.clock = clock_.fn();
    o.config_path = file_.string();
    start(o, std::make_shared<const HallConfig>(std::move(*c)));
  }
  void restart_from_file() {
    server_->stop();
    server_.reset();
    start_from_file();
  }
  json get_config(const std::string& token) {
    auto r = http().get("/api/config", token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  client::HttpResult put_config(const std::string& token, const json& config, const std::string& version,
                                const std::string& request_id) {
    json body{{"request_id", request_id}, {"base_version", version}, {"config", config}};
    return http().request("PUT", "/api/config", body.dump(), token);
  }
  std::string issue(const std::string& service, const std::string& request_id) {
    auto r = http().post("/api/tickets", {{"service", service}, {"request_id", request_id}}, kKioskToken);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["ticket"].value("number", "");
  }
  client::HttpResult window_op(const std::string& token, int window, const std::string& op, const std::string& id) {
    return http().post("/api/windows/" + std::to_string(window) + "/" + op, {{"request_id", id}}, token);
  }

  FakeClock clock_;
  TempDir files_;
  std::filesystem::path file_;
};

TEST_F(ConfigTest, RenamedWindowReachesDisplaysTheFileAndARestart) {
  start_from_file();
  auto admin = login("admin", "admin-pass");
  client::WsClient display;
  auto before = hello(display, kDisplayToken);
  ASSERT_EQ(before["windows"][0]["name"]["zh_cn"], "1号窗口");
  const std::string old_bytes = read_file(file_);
  // A visit at window 1, so that the day's report has a row that names it.
  issue("A", "rn-1");
  ASSERT_EQ(window_op(admin, 1, "call-next", "rn-2").status, 200);
  const auto window_1_in_report = [&] {
    auto rep = http().get("/api/reports/summary?from=2026-11-27&to=2026-11-27&by=window", admin);
    EXPECT_EQ(rep.status, 200) << rep.body;
    const json report = rep.json();
    for (const auto& g : report["groups"])
      if (g["key"] == "1") return g.value("name", std::string());
    return std::string("(no row for window 1)");
  };
  EXPECT_EQ(window_1_in_report(), "1号窗口");

  auto got = get_config(admin);
  // Hashes never leave the server; device tokens do (installers type them in).
  for (const auto& u : got["config"]["users"]) {
    EXPECT_FALSE(u.contains("password_hash")) << u.dump();
    EXPECT_TRUE(u["password_set"].get<bool>());
  }
  EXPECT_EQ(got["config"]["devices"][0]["token"], kKioskToken);

  json c = got["config"];
  c["windows"][0]["name"] = {{"zh_cn", "综合窗口一"}, {"en", "General 1"}};
  auto r = put_config(admin, c, got["version"], "cfg-1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.json()["version"], got["version"]);

  auto snap = display.receive_type("snapshot", 5s);
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ((*snap)["windows"][0]["name"]["zh_cn"], "综合窗口一");
  // Reports name it anew at once, not after a restart.
  EXPECT_EQ(window_1_in_report(), "综合窗口一");
  EXPECT_EQ((*snap)["windows"][0]["name"]["en"], "General 1");

  auto on_disk = load_hall_config(file_.string());
  ASSERT_TRUE(on_disk.ok()) << on_disk.error().message;
  EXPECT_EQ(on_disk->window(1)->name.zh_cn, "综合窗口一");
  EXPECT_EQ(on_disk->user("admin")->password_hash, config_->user("admin")->password_hash);
  EXPECT_EQ(read_file(file_.string() + ".bak"), old_bytes);

  restart_from_file();
  EXPECT_EQ(state(login("admin", "admin-pass"))["windows"][0]["name"]["zh_cn"], "综合窗口一");
  EXPECT_EQ(get_config(login("admin", "admin-pass"))["version"], r.json()["version"]);
}

TEST_F(ConfigTest, BadEditsAreRefusedWithThePathAndChangeNothing) {
  start_from_file();
  auto admin = login("admin", "admin-pass");
  auto got = get_config(admin);
  const std::string bytes = read_file(file_);
  struct Case {
    const char* what;
    std::function<void(json&)> edit;
    std::string path;
    std::string says;
  };
  const Case cases[] = {
      {"window with an unknown service", [](json& c) { c["windows"][1]["services"] = {"B", "Z"}; },
       "/windows/1/services/1", "Z"},
      {"duplicate window number", [](json& c) { c["windows"][2]["number"] = 1; }, "/windows/2/number", ""},
      {"short device token", [](json& c) { c["devices"][0]["token"] = "short"; }, "/devices/0/token", ""},
      {"new user without password",
       [](json& c) { c["users"].push_back({{"name", "wang"}, {"display_name", "王五"}, {"role", "clerk"}, {"windows", {1}}}); },
       "/users/3/password", "needs a password"},
      {"hash sent in", [](json& c) { c["users"][0]["password_hash"] = "$argon2id$x"; }, "/users/0/password_hash", ""},
      {"short password", [](json& c) { c["users"][1]["password"] = "short"; }, "/users/1/password", "8 to 256"},
  };
  int n = 0;
  for (const Case& k : cases) {
    json c = got["config"];
    k.edit(c);
    auto r = put_config(admin, c, got["version"], "bad-" + std::to_string(n++));
    EXPECT_EQ(r.status, 400) << k.what << ": " << r.body;
    EXPECT_EQ(r.json()["error"]["code"], "bad_config") << k.what;
    EXPECT_EQ(r.json()["error"]["path"], k.path) << k.what << ": " << r.body;
    EXPECT_NE(r.json()["error"]["message"].get<std::string>().find(k.says), std::string::npos) << r.body;
  }
  EXPECT_EQ(read_file(file_), bytes);
  EXPECT_FALSE(std::filesystem::exists(file_.string() + ".bak"));
  EXPECT_EQ(get_config(admin)["version"], got["version"]);
}

TEST_F(ConfigTest, EditsThatWouldStrandLiveWorkAreConflicts) {
  start_from_file();
  auto admin = login("admin", "admin-pass");
  auto zhang = login("zhang", "zhang-pass");
  auto number = issue("A", "k-1");
  ASSERT_EQ(window_op(zhang, 1, "call-next", "z-1").status, 200);
  issue("B", "k-2");  // waits
  auto got = get_config(admin);
  const std::string bytes = read_file(file_);

  json no_window_1 = got["config"];
  no_window_1["windows"].erase(0);
  for (auto& u : no_window_1["users"]) if (u["name"] == "zhang") u["windows"] = {2};
  for (auto& d : no_window_1["devices"]) if (d["id"] == "eval-1") d["window"] = 2;
  auto r = put_config(admin, no_window_1, got["version"], "c-1");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "config_conflict");
  EXPECT_NE(r.body.find("window 1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(number), std::string::npos) << r.body;

  json no_b = got["config"];
  no_b["services"].erase(1);
  no_b["windows"][0]["services"] = {"A"};
  no_b["windows"][1]["services"] = {"A"};
  r = put_config(admin, no_b, got["version"], "c-2");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("service B"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("B001"), std::string::npos) << r.body;

  json later_day = got["config"];
  later_day["rules"]["utc_offset_min"] = -600;
  r = put_config(admin, later_day, got["version"], "c-3");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("business day"), std::string::npos) << r.body;

  EXPECT_EQ(read_file(file_), bytes);
  EXPECT_EQ(state(admin)["windows"][0]["current"]["number"], number);
}

TEST_F(ConfigTest, TwoAdminsOnTheSameVersionTheSecondIsStale) {
  start_from_file();
  auto admin = login("admin", "admin-pass");
  auto got = get_config(admin);
  json a = got["config"], b = got["config"];
  a["notice"] = "first admin";
  b["notice"] = "second admin";
  auto first = put_config(admin, a, got["version"], "a-1");
  ASSERT_EQ(first.status, 200) << first.body;
  auto second = put_config(admin, b, got["version"], "b-1");
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_EQ(second.json()["error"]["code"], "stale_config");
  // A retry of the first (lost answer) gets the same answer, not a stale refusal.
  auto retry = put_config(admin, a, got["version"], "a-1");
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.json()["version"], first.json()["version"]);
  EXPECT_EQ(load_hall_config(file_.string())->notice, "first admin");
}

TEST_F(ConfigTest, RemovedDeviceIsRefusedAtOnceAndClerksMayNotEdit) {
  start_from_file();
  auto admin = login("admin", "admin-pass");
  auto zhang = login("zhang", "zhang-pass");
  EXPECT_EQ(http().get("/api/config", zhang).status, 403);
  EXPECT_EQ(http().get("/api/config").status, 401);
  auto got = get_config(admin);
  EXPECT_EQ(put_config(zhang, got["config"], got["version"], "z").status, 403);

  client::WsClient kiosk_ws;
  hello(kiosk_ws, kKioskToken);
  json c = got["config"];
  c["devices"].erase(0);  // kiosk-1
  ASSERT_EQ(put_config(admin, c, got["version"], "rm-kiosk").status, 200);
  auto r = http().post("/api/tickets", {{"service", "A"}, {"request_id", "after"}}, kKioskToken);
  EXPECT_EQ(r.status, 401) << r.body;
  // Its open WebSocket may no longer act either.
  ASSERT_TRUE(kiosk_ws.send({{"type", "command"}, {"command", "issue"}, {"service", "A"}, {"request_id", "ws-after"}}));
  auto result = kiosk_ws.receive_type("result", 5s);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ((*result)["status"], 401) << result->dump();
}

TEST_F(ConfigTest, NewUserWithPasswordCanLogInAndClerkWindowsChangeLive) {
  start_from_file();
  auto admin = login("admin", "admin-pass");
  auto zhang = login("zhang", "zhang-pass");
  auto got = get_config(admin);
  json c = got["config"];
  c["users"].push_back({{"name", "wang"}, {"display_name", "王五"}, {"role", "clerk"}, {"windows", {4}},
                        {"password", "wang-secret-1"}});
  for (auto& u : c["users"]) if (u["name"] == "zhang") u["windows"] = {2};
  auto r = put_config(admin, c, got["version"], "add-wang");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["config"]["users"][3]["password_set"].get<bool>());
  auto wang = login("wang", "wang-secret-1");
  EXPECT_EQ(window_op(wang, 4, "pause", "w-1").status, 200);
  // zhang's session goes on, with window 1 taken away.
  EXPECT_EQ(window_op(zhang, 1, "pause", "z-1").status, 403);
  EXPECT_EQ(window_op(zhang, 2, "pause", "z-2").status, 200);
  // And the file keeps the hash, never the password.
  EXPECT_EQ(read_file(file_).find("wang-secret-1"), std::string::npos);
}

TEST_F(ConfigTest, AFailedWriteChangesNothing) {
  start_from_file();
  auto admin = login("admin", "admin-pass");
  auto got = get_config(admin);
  // The directory goes away under the running server: the temp file cannot be created.
  std::filesystem::remove_all(files_.path);
  json c = got["config"];
  c["windows"][0]["name"] = "never";
  auto r = put_config(admin, c, got["version"], "w-1");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "config_not_saved");
  EXPECT_NE(r.body.find("No such file"), std::string::npos) << r.body;
  EXPECT_EQ(state(admin)["windows"][0]["name"]["zh_cn"], "1号窗口");
  EXPECT_EQ(get_config(admin)["version"], got["version"]);
}

TEST_F(ConfigTest, DayReportCountsEqualTicketsIssuedAndCompleted) {
  start_from_file();
  auto admin = login("admin", "admin-pass");
  auto zhang = login("zhang", "zhang-pass");
  for (int i = 0; i < 5; ++i) issue(i % 2 ? "B" : "A", "d-" + std::to_string(i));
  int done = 0;
  std::string first_done;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(window_op(zhang, 1, "call-next", "c-" + std::to_string(i)).status, 200);
    ASSERT_EQ(window_op(zhang, 1, "start", "s-" + std::to_string(i)).status, 200);
    clock_.advance_ms(6 * 60'000);
    auto f = window_op(zhang, 1, "complete", "f-" + std::to_string(i));
    ASSERT_EQ(f.status, 200) << f.body;
    if (first_done.empty()) first_done = f.json()["ticket"].value("id", "");
    ++done;
  }
  // A bad rating opens a follow-up: the visit's last journal event then names the ticket but
  // carries no ticket body, and the visit must still count.
  auto rated = http().post("/api/tickets/" + first_done + "/rating", {{"level", 2}, {"request_id", "v-1"}});
  ASSERT_EQ(rated.status, 200) << rated.body;
  auto day = state(admin)["business_day"].get<std::string>();
  auto r = http().get("/api/reports/day?date=" + day, admin);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.json();
  EXPECT_EQ(j["issued"], 5);
  EXPECT_EQ(j["completed"], done);
  int arrivals = 0, completions = 0;
  for (int n : j["arrivals"]) arrivals += n;
  for (int n : j["completions"]) completions += n;
  EXPECT_EQ(arrivals, 5);
  EXPECT_EQ(completions, done);
  // Issued at 10:00 hall time: quarter 40 of the day.
  EXPECT_EQ(j["arrivals"][40], 5);
  int service_count = 0;
  for (const auto& s : j["services"]) {
    service_count += s["count"].get<int>();
    EXPECT_EQ(s["mean_ms"], 6 * 60'000);
  }
  EXPECT_EQ(service_count, done);
  EXPECT_EQ(http().get("/api/reports/day?date=2026-02-30", admin).status, 400);
  EXPECT_EQ(http().get("/api/reports/day?date=" + day, zhang).status, 403);
}

// A big hall's configuration is larger than the 64 KiB every other body is held to: it has a
// limit of its own (1 MiB), and the other endpoints keep theirs.
TEST_F(ConfigTest, AWholeLargeHallFitsWhileOtherBodiesKeepTheirLimit) {
  start_from_file();
  auto admin = login("admin", "admin-pass");
  auto got = get_config(admin);
  json c = got["config"];
  const json model = c["windows"][0];
  for (int n = 200; n < 1000; ++n) {  // 800 more windows (numbers stop at 999), about 120 KiB of JSON
    json w = model;
    w["number"] = n;
    w["name"] = {{"zh_cn", std::to_string(n) + "号窗口（扩建大厅东区）"}, {"en", "Window " + std::to_string(n) + " (east wing)"}};
    c["windows"].push_back(w);
  }
  json body{{"request_id", "big-1"}, {"base_version", got["version"]}, {"config", c}};
  ASSERT_GT(body.dump().size(), 64u * 1024);
  auto r = http().request("PUT", "/api/config", body.dump(), admin);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(state(admin)["windows"].size(), c["windows"].size());

  const std::string padding(70 * 1024, 'x');
  auto big_ticket = http().post("/api/tickets", {{"service", "A"}, {"request_id", "pad"}, {"note", padding}}, kKioskToken);
  EXPECT_EQ(big_ticket.status, 413) << big_ticket.body.substr(0, 200);
}

}  // namespace
}  // namespace hallq::test
