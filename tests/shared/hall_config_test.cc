// Hall configuration: the shipped halls load and say what the project promises, everything
// round-trips, and each kind of mistake is rejected with the JSON path of the problem first.
#include "hallq/hall_config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

namespace hallq {
namespace {

using nlohmann::json;
using namespace nlohmann::literals;

const std::string kSamplePath = std::string(HALLQ_ASSETS_DIR) + "/halls/sample-county.json";
const std::string kSmallPath = std::string(HALLQ_TEST_DATA_DIR) + "/small-hall.json";

json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

// A file under the test temp dir that is removed again at the end of the scope.
class TempFile {
 public:
  TempFile(std::string_view name, std::string_view content)
      : path_(::testing::TempDir() + "hallq-" + std::to_string(::getpid()) + "-" +
              std::string(name)) {
    std::ofstream out(path_, std::ios::binary);
    out << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

TEST(HallConfigTest, SampleHallFitsTheBrief) {
  auto hall = load_hall_config(kSamplePath);
  ASSERT_TRUE(hall.ok()) << hall.error().message;
  const HallConfig& c = *hall;
  EXPECT_EQ(c.id, "sample-county");
  EXPECT_EQ(c.name.zh_cn, "某某县行政服务中心");
  EXPECT_EQ(c.name.in("zh-TW"), "某某縣行政服務中心");
  EXPECT_EQ(c.name.in("en"), "Sample County Administrative Service Centre");
  EXPECT_FALSE(c.notice.empty());

  EXPECT_GE(c.services.size(), 12u);
  EXPECT_GE(c.windows.size(), 24u);

  // Every service speaks all three languages, and Traditional is not a copy of Simplified.
  int differs = 0;
  for (const auto& s : c.services) {
    SCOPED_TRACE(s.code);
    EXPECT_FALSE(s.name.zh_tw.empty());
    EXPECT_FALSE(s.name.en.empty());
    EXPECT_FALSE(s.department.empty());
    EXPECT_FALSE(s.hours.empty());
    differs += s.name.zh_tw != s.name.zh_cn;
  }
  EXPECT_GE(differs, 10);

  // The one-window general counter, served by counters that take many services.
  const ServiceConfig* general = nullptr;
  for (const auto& s : c.services)
    if (s.name.zh_cn == "综合受理") general = &s;
  ASSERT_NE(general, nullptr);
  EXPECT_EQ(general->name.zh_tw, "綜合受理");
  int general_counters = 0;
  for (const auto& w : c.windows)
    if (!w.services.empty() && w.services.front() == general->code && w.services.size() >= 3)
      ++general_counters;
  EXPECT_GE(general_counters, 2);

  // The enterprise agent service (全程代办) exists and has windows.
  const ServiceConfig* agent = nullptr;
  for (const auto& s : c.services)
    if (s.name.zh_cn.find("代办") != std::string::npos) agent = &s;
  ASSERT_NE(agent, nullptr);
  EXPECT_NE(agent->name.zh_tw.find("代辦"), std::string::npos);
  int agent_windows = 0;
  for (const auto& w : c.windows)
    agent_windows += std::count(w.services.begin(), w.services.end(), agent->code) > 0;
  EXPECT_GE(agent_windows, 1);

  // Every service has a window; some windows serve two or three services.
  int multi = 0;
  for (const auto& s : c.services) {
    bool served = false;
    for (const auto& w : c.windows)
      served = served || std::count(w.services.begin(), w.services.end(), s.code) > 0;
    EXPECT_TRUE(served) << s.code;
  }
  for (const auto& w : c.windows) multi += w.services.size() >= 2 && w.services.size() <= 3;
  EXPECT_GE(multi, 5);

  // Devices.
  for (int k : {1, 2}) {
    const DeviceConfig* kiosk = c.device("kiosk-" + std::to_string(k));
    ASSERT_NE(kiosk, nullptr);
    EXPECT_EQ(kiosk->kind, DeviceKind::kiosk);
    EXPECT_EQ(kiosk->printer, "printer-" + std::to_string(k));
    ASSERT_NE(c.device(kiosk->printer), nullptr);
    EXPECT_EQ(c.device(kiosk->printer)->kind, DeviceKind::printer);
  }
  for (const char* id : {"board-1", "board-2"}) {
    const DeviceConfig* board = c.device(id);
    ASSERT_NE(board, nullptr) << id;
    EXPECT_EQ(board->kind, DeviceKind::display);
    EXPECT_EQ(board->layout, "board");
    EXPECT_EQ(board->window, 0);
  }
  for (int n = 1; n <= 6; ++n) {
    const DeviceConfig* strip = c.device("strip-" + std::to_string(n));
    ASSERT_NE(strip, nullptr) << n;
    EXPECT_EQ(strip->layout, "strip");
    EXPECT_EQ(strip->window, n);
    const DeviceConfig* eval = c.device("eval-" + std::to_string(n));
    ASSERT_NE(eval, nullptr) << n;
    EXPECT_EQ(eval->kind, DeviceKind::evaluator);
    EXPECT_EQ(eval->window, n);
  }
  for (const auto& d : c.devices) {
    EXPECT_GE(d.token.size(), 24u) << d.id;
    EXPECT_EQ(c.device_by_token(d.token), &d);
  }

  // Users: an admin and a dozen clerks who between them cover every window.
  ASSERT_NE(c.user("admin"), nullptr);
  EXPECT_EQ(c.user("admin")->role, Role::admin);
  std::set<int> staffed;
  std::set<std::string> hashes;
  int clerks = 0;
  for (const auto& u : c.users) {
    hashes.insert(u.password_hash);
    if (u.role != Role::clerk) continue;
    ++clerks;
    EXPECT_GE(u.windows.size(), 1u);
    EXPECT_LE(u.windows.size(), 3u);
    staffed.insert(u.windows.begin(), u.windows.end());
  }
  EXPECT_GE(clerks, 12);
  EXPECT_EQ(staffed.size(), c.windows.size());
  EXPECT_EQ(hashes.size(), c.users.size());  // every hash has its own salt

  std::set<std::string> reasons;
  for (const auto& p : c.rules.priority_reasons) reasons.insert(p.code);
  for (const char* r : {"elderly", "disabled", "military"}) EXPECT_TRUE(reasons.count(r)) << r;
  EXPECT_EQ(c.rules.utc_offset_min, 480);
}

TEST(HallConfigTest, SmallHallIsWhatTheIntegrationTestsExpect) {
  auto hall = load_hall_config(kSmallPath);
  ASSERT_TRUE(hall.ok()) << hall.error().message;
  const HallConfig& c = *hall;
  ASSERT_EQ(c.services.size(), 3u);
  EXPECT_EQ(c.services[0].code, "A");
  EXPECT_EQ(c.services[0].name.zh_cn, "综合受理");
  EXPECT_EQ(c.services[1].code, "B");
  EXPECT_EQ(c.services[1].name.zh_cn, "不动产登记");
  EXPECT_EQ(c.services[2].code, "C");
  for (const auto& s : c.services) {
    ASSERT_EQ(s.hours.size(), 1u);
    EXPECT_EQ(s.hours[0], (OpeningSpan{0, 24 * 60}));  // "00:00-24:00" is the whole day
  }

  ASSERT_EQ(c.windows.size(), 4u);
  EXPECT_EQ(c.window(1)->services, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(c.window(2)->services, (std::vector<std::string>{"B"}));
  EXPECT_EQ(c.window(3)->services, (std::vector<std::string>{"C", "A"}));
  EXPECT_EQ(c.window(4)->services, (std::vector<std::string>{"A"}));
  EXPECT_EQ(c.window(5), nullptr);

  struct DeviceFact {
    const char* token;
    const char* id;
    DeviceKind kind;
    int window;
  };
  for (const auto& f : {DeviceFact{"kiosk-token-0001-abcdef", "kiosk-1", DeviceKind::kiosk, 0},
                        DeviceFact{"printer-token-0001-abcdef", "printer-1", DeviceKind::printer, 0},
                        DeviceFact{"display-token-0001-abcdef", "board-1", DeviceKind::display, 0},
                        DeviceFact{"evaluator-token-0001-abcdef", "eval-1", DeviceKind::evaluator,
                                   1}}) {
    const DeviceConfig* d = c.device_by_token(f.token);
    ASSERT_NE(d, nullptr) << f.token;
    EXPECT_EQ(d->id, f.id);
    EXPECT_EQ(d->kind, f.kind);
    EXPECT_EQ(d->window, f.window);
  }
  EXPECT_EQ(c.device("kiosk-1")->printer, "printer-1");
  EXPECT_EQ(c.device_by_token("kiosk-token-0001-abcde"), nullptr);
  EXPECT_EQ(c.device_by_token("kiosk-token-0001-abcdeF"), nullptr);
  EXPECT_EQ(c.device_by_token(""), nullptr);

  ASSERT_NE(c.user("admin"), nullptr);
  EXPECT_EQ(c.user("admin")->role, Role::admin);
  EXPECT_TRUE(c.user("admin")->windows.empty());
  ASSERT_NE(c.user("zhang"), nullptr);
  EXPECT_EQ(c.user("zhang")->role, Role::clerk);
  EXPECT_EQ(c.user("zhang")->windows, (std::vector<int>{1, 2}));
  ASSERT_NE(c.user("li"), nullptr);
  EXPECT_EQ(c.user("li")->windows, (std::vector<int>{3, 4}));
  EXPECT_EQ(c.user("wang"), nullptr);

  EXPECT_EQ(c.rules.utc_offset_min, 480);
  EXPECT_EQ(c.rules.reset_hour, 0);
  EXPECT_EQ(c.rules.aging_min, 45);
  EXPECT_EQ(c.rules.kiosk_rate_per_min, 600);
  EXPECT_EQ(c.rules.clerk_rate_per_min, 600);
  ASSERT_EQ(c.rules.priority_reasons.size(), 2u);
  EXPECT_EQ(c.rules.priority_reasons[0].code, "elderly");
  EXPECT_EQ(c.rules.priority_reasons[1].code, "disabled");
}

// The passwords that the docs give for the shipped halls open them, and nothing else does.
TEST(HallConfigTest, DemoPasswordsMatchTheirHashes) {
  ASSERT_GE(sodium_init(), 0);
  auto verify = [](const UserConfig& u, const std::string& password) {
    return crypto_pwhash_str_verify(u.password_hash.c_str(), password.data(), password.size()) ==
           0;
  };
  auto small = load_hall_config(kSmallPath);
  ASSERT_TRUE(small.ok()) << small.error().message;
  EXPECT_TRUE(verify(*small->user("admin"), "admin-pass"));
  EXPECT_TRUE(verify(*small->user("zhang"), "zhang-pass"));
  EXPECT_TRUE(verify(*small->user("li"), "li-pass"));
  EXPECT_FALSE(verify(*small->user("li"), "zhang-pass"));

  auto sample = load_hall_config(kSamplePath);
  ASSERT_TRUE(sample.ok()) << sample.error().message;
  for (const auto& u : sample->users) {
    std::string password = u.role == Role::admin ? "admin-demo" : "clerk-demo";
    EXPECT_TRUE(verify(u, password)) << u.name;
  }
  EXPECT_FALSE(verify(*sample->user("admin"), "clerk-demo"));
}

TEST(HallConfigTest, RoundTripsExactly) {
  for (const auto& path : {kSamplePath, kSmallPath}) {
    SCOPED_TRACE(path);
    auto hall = load_hall_config(path);
    ASSERT_TRUE(hall.ok()) << hall.error().message;
    json j = hall_config_to_json(*hall);
    auto again = parse_hall_config(j);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(*again, *hall);
    EXPECT_EQ(hall_config_to_json(*again), j);
    // Nothing set in the file is lost on the way (the writer spells out defaults too).
    const json file = read_json(path);
    for (const auto& [key, value] : file.items()) EXPECT_TRUE(j.contains(key)) << key;
  }
}

TEST(HallConfigTest, OptionalFieldsTakeTheHeaderDefaults) {
  json j = R"({
    "id": "tiny",
    "name": "小厅",
    "services": [{"code": "A", "name": "综合受理"}],
    "windows": [{"number": 1, "services": ["A"]}],
    "users": [{"name": "admin", "display_name": "管理员", "role": "admin",
               "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"}]
  })"_json;
  auto hall = parse_hall_config(j);
  ASSERT_TRUE(hall.ok()) << hall.error().message;
  const ServiceConfig defaults;
  const ServiceConfig& s = hall->services[0];
  EXPECT_TRUE(s.hours.empty());
  EXPECT_EQ(s.daily_cap, defaults.daily_cap);
  EXPECT_EQ(s.number_digits, defaults.number_digits);
  EXPECT_EQ(s.wait_limit_min, defaults.wait_limit_min);
  EXPECT_EQ(s.service_limit_min, defaults.service_limit_min);
  EXPECT_EQ(s.expected_service_min, defaults.expected_service_min);
  EXPECT_EQ(s.name.in("zh-TW"), "综合受理");  // falls back to Simplified
  EXPECT_EQ(s.name.in("en"), "综合受理");
  EXPECT_EQ(hall->windows[0].idle_limit_min, 0);
  EXPECT_TRUE(hall->devices.empty());
  EXPECT_EQ(hall->rules, Rules{});
  EXPECT_EQ(hall->name.zh_cn, "小厅");

  auto again = parse_hall_config(hall_config_to_json(*hall));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *hall);
}

TEST(HallConfigTest, LocalizedTextFallsBackToSimplified) {
  LocalizedText t{"户籍", "戶籍", "Household Registration"};
  EXPECT_EQ(t.in("zh-CN"), "户籍");
  EXPECT_EQ(t.in("zh-TW"), "戶籍");
  EXPECT_EQ(t.in("en"), "Household Registration");
  EXPECT_EQ(t.in("fr"), "户籍");
  LocalizedText only{"户籍", "", ""};
  EXPECT_EQ(only.in("zh-TW"), "户籍");
  EXPECT_EQ(only.in("en"), "户籍");
}

struct Mutation {
  std::string what;
  std::function<void(json&)> apply;
  std::string path;  // the message must start with this path and a colon
};

std::vector<Mutation> mutations() {
  auto times = [](json value, int n) {
    json a = json::array();
    for (int i = 0; i < n; ++i) a.push_back(value);
    return a;
  };
  return {
      {"root is not an object", [](json& j) { j = json::array(); }, "/"},
      {"unknown top-level field", [](json& j) { j["colour"] = "red"; }, "/colour"},
      {"id missing", [](json& j) { j.erase("id"); }, "/id"},
      {"id with a space", [](json& j) { j["id"] = "small hall"; }, "/id"},
      {"name missing", [](json& j) { j.erase("name"); }, "/name"},
      {"name is a number", [](json& j) { j["name"] = 5; }, "/name"},
      {"name without zh_cn", [](json& j) { j["name"] = {{"zh_tw", "測試"}}; }, "/name/zh_cn"},
      {"name with empty zh_cn", [](json& j) { j["name"]["zh_cn"] = ""; }, "/name/zh_cn"},
      {"name in an unknown language", [](json& j) { j["name"]["fr"] = "salle"; }, "/name/fr"},
      {"notice too long", [](json& j) { j["notice"] = std::string(501, 'x'); }, "/notice"},
      {"services missing", [](json& j) { j.erase("services"); }, "/services"},
      {"services not an array", [](json& j) { j["services"] = json::object(); }, "/services"},
      {"no services", [](json& j) { j["services"] = json::array(); }, "/services"},
      {"101 services", [=](json& j) { j["services"] = times(j["services"][0], 101); },
       "/services"},
      {"service not an object", [](json& j) { j["services"][1] = "B"; }, "/services/1"},
      {"service code lower case", [](json& j) { j["services"][0]["code"] = "a"; },
       "/services/0/code"},
      {"service code three letters", [](json& j) { j["services"][0]["code"] = "ABC"; },
       "/services/0/code"},
      {"service code empty", [](json& j) { j["services"][0]["code"] = ""; }, "/services/0/code"},
      {"service code duplicated", [](json& j) { j["services"][2]["code"] = "A"; },
       "/services/2/code"},
      {"service unknown field", [](json& j) { j["services"][1]["colour"] = "red"; },
       "/services/1/colour"},
      {"service without name", [](json& j) { j["services"][1].erase("name"); },
       "/services/1/name"},
      {"number_digits 1", [](json& j) { j["services"][0]["number_digits"] = 1; },
       "/services/0/number_digits"},
      {"number_digits 6", [](json& j) { j["services"][0]["number_digits"] = 6; },
       "/services/0/number_digits"},
      {"daily_cap beyond the digits",
       [](json& j) {
         j["services"][0]["number_digits"] = 3;
         j["services"][0]["daily_cap"] = 1000;
       },
       "/services/0/daily_cap"},
      {"daily_cap negative", [](json& j) { j["services"][0]["daily_cap"] = -1; },
       "/services/0/daily_cap"},
      {"wait_limit_min 0", [](json& j) { j["services"][0]["wait_limit_min"] = 0; },
       "/services/0/wait_limit_min"},
      {"service_limit_min 0", [](json& j) { j["services"][1]["service_limit_min"] = 0; },
       "/services/1/service_limit_min"},
      {"expected_service_min as a string",
       [](json& j) { j["services"][1]["expected_service_min"] = "8"; },
       "/services/1/expected_service_min"},
      {"hours not an array", [](json& j) { j["services"][0]["hours"] = "08:30-12:00"; },
       "/services/0/hours"},
      {"hours element a number", [](json& j) { j["services"][0]["hours"] = {830}; },
       "/services/0/hours/0"},
      {"hours with one-digit hour", [](json& j) { j["services"][0]["hours"] = {"8:30-12:00"}; },
       "/services/0/hours/0"},
      {"hours past 24:00", [](json& j) { j["services"][0]["hours"] = {"00:00-24:01"}; },
       "/services/0/hours/0"},
      {"hours minute 60", [](json& j) { j["services"][0]["hours"] = {"08:60-12:00"}; },
       "/services/0/hours/0"},
      {"hours with the wrong separator",
       [](json& j) { j["services"][0]["hours"] = {"08:30~12:00"}; }, "/services/0/hours/0"},
      {"hours closing before opening",
       [](json& j) { j["services"][0]["hours"] = {"12:00-08:30"}; }, "/services/0/hours/0"},
      {"hours empty span", [](json& j) { j["services"][0]["hours"] = {"12:00-12:00"}; },
       "/services/0/hours/0"},
      {"hours overlapping",
       [](json& j) { j["services"][2]["hours"] = {"08:00-12:00", "11:00-13:00"}; },
       "/services/2/hours/1"},
      {"hours out of order",
       [](json& j) { j["services"][2]["hours"] = {"13:30-17:00", "08:30-12:00"}; },
       "/services/2/hours/1"},
      {"windows missing", [](json& j) { j.erase("windows"); }, "/windows"},
      {"no windows", [](json& j) { j["windows"] = json::array(); }, "/windows"},
      {"1000 windows", [=](json& j) { j["windows"] = times(j["windows"][0], 1000); }, "/windows"},
      {"window number 0", [](json& j) { j["windows"][0]["number"] = 0; }, "/windows/0/number"},
      {"window number 1000", [](json& j) { j["windows"][1]["number"] = 1000; },
       "/windows/1/number"},
      {"window number missing", [](json& j) { j["windows"][1].erase("number"); },
       "/windows/1/number"},
      {"window number duplicated", [](json& j) { j["windows"][3]["number"] = 2; },
       "/windows/3/number"},
      {"window serves an unknown service",
       [](json& j) { j["windows"][0]["services"] = {"A", "Z"}; }, "/windows/0/services/1"},
      {"window repeats a service", [](json& j) { j["windows"][2]["services"] = {"C", "A", "C"}; },
       "/windows/2/services/2"},
      {"window serves nothing", [](json& j) { j["windows"][0]["services"] = json::array(); },
       "/windows/0/services"},
      {"window services missing", [](json& j) { j["windows"][0].erase("services"); },
       "/windows/0/services"},
      {"window service not a string", [](json& j) { j["windows"][0]["services"] = {1}; },
       "/windows/0/services/0"},
      {"window idle limit negative", [](json& j) { j["windows"][0]["idle_limit_min"] = -1; },
       "/windows/0/idle_limit_min"},
      {"window unknown field", [](json& j) { j["windows"][3]["floor"] = 2; }, "/windows/3/floor"},
      {"devices not an array", [](json& j) { j["devices"] = json::object(); }, "/devices"},
      {"5001 devices", [=](json& j) { j["devices"] = times(j["devices"][1], 5001); }, "/devices"},
      {"device kind unknown", [](json& j) { j["devices"][2]["kind"] = "tv"; },
       "/devices/2/kind"},
      {"device id missing", [](json& j) { j["devices"][2].erase("id"); }, "/devices/2/id"},
      {"device id with a slash", [](json& j) { j["devices"][2]["id"] = "board/1"; },
       "/devices/2/id"},
      {"device token short", [](json& j) { j["devices"][0]["token"] = "short-token-123"; },
       "/devices/0/token"},
      {"device token with a space",
       [](json& j) { j["devices"][0]["token"] = "kiosk token 0001 abcdef"; }, "/devices/0/token"},
      {"device id duplicated", [](json& j) { j["devices"][3]["id"] = "board-1"; },
       "/devices/3/id"},
      {"device token duplicated",
       [](json& j) { j["devices"][3]["token"] = j["devices"][1]["token"]; }, "/devices/3/token"},
      {"kiosk printer unknown", [](json& j) { j["devices"][0]["printer"] = "printer-9"; },
       "/devices/0/printer"},
      {"kiosk printer is a display", [](json& j) { j["devices"][0]["printer"] = "board-1"; },
       "/devices/0/printer"},
      {"kiosk offers an unknown service", [](json& j) { j["devices"][0]["services"] = {"Q"}; },
       "/devices/0/services/0"},
      {"kiosk offers a service twice",
       [](json& j) { j["devices"][0]["services"] = {"A", "B", "A"}; }, "/devices/0/services/2"},
      {"kiosk with a window", [](json& j) { j["devices"][0]["window"] = 1; },
       "/devices/0/window"},
      {"printer with a layout", [](json& j) { j["devices"][1]["layout"] = "strip"; },
       "/devices/1/layout"},
      {"display with services", [](json& j) { j["devices"][2]["services"] = {"A"}; },
       "/devices/2/services"},
      {"display with a printer", [](json& j) { j["devices"][2]["printer"] = "printer-1"; },
       "/devices/2/printer"},
      {"display at an unknown window", [](json& j) { j["devices"][2]["window"] = 99; },
       "/devices/2/window"},
      {"evaluator without a window", [](json& j) { j["devices"][3].erase("window"); },
       "/devices/3/window"},
      {"evaluator at window 0", [](json& j) { j["devices"][3]["window"] = 0; },
       "/devices/3/window"},
      {"evaluator at an unknown window", [](json& j) { j["devices"][3]["window"] = 5; },
       "/devices/3/window"},
      {"users missing", [](json& j) { j.erase("users"); }, "/users"},
      {"5001 users", [=](json& j) { j["users"] = times(j["users"][1], 5001); }, "/users"},
      {"no admin", [](json& j) { j["users"].erase(0); }, "/users"},
      {"user role kiosk", [](json& j) { j["users"][1]["role"] = "kiosk"; }, "/users/1/role"},
      {"user name with a space", [](json& j) { j["users"][1]["name"] = "zhang san"; },
       "/users/1/name"},
      {"user name duplicated", [](json& j) { j["users"][2]["name"] = "zhang"; },
       "/users/2/name"},
      {"display_name missing", [](json& j) { j["users"][0].erase("display_name"); },
       "/users/0/display_name"},
      {"password stored in clear", [](json& j) { j["users"][0]["password_hash"] = "admin-pass"; },
       "/users/0/password_hash"},
      {"password hash argon2i",
       [](json& j) {
         j["users"][0]["password_hash"] = "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
       },
       "/users/0/password_hash"},
      {"clerk at an unknown window", [](json& j) { j["users"][1]["windows"] = {9}; },
       "/users/1/windows/0"},
      {"clerk window out of range", [](json& j) { j["users"][1]["windows"] = {1, 0}; },
       "/users/1/windows/1"},
      {"clerk window repeated", [](json& j) { j["users"][2]["windows"] = {3, 3}; },
       "/users/2/windows/1"},
      {"clerk without windows", [](json& j) { j["users"][1]["windows"] = json::array(); },
       "/users/1/windows"},
      {"clerk windows missing", [](json& j) { j["users"][1].erase("windows"); },
       "/users/1/windows"},
      {"admin with windows", [](json& j) { j["users"][0]["windows"] = {1}; },
       "/users/0/windows"},
      {"rules not an object", [](json& j) { j["rules"] = json::array(); }, "/rules"},
      {"rules unknown field", [](json& j) { j["rules"]["colour"] = "red"; }, "/rules/colour"},
      {"reset_hour 24", [](json& j) { j["rules"]["reset_hour"] = 24; }, "/rules/reset_hour"},
      {"utc_offset_min 841", [](json& j) { j["rules"]["utc_offset_min"] = 841; },
       "/rules/utc_offset_min"},
      {"utc_offset_min -721", [](json& j) { j["rules"]["utc_offset_min"] = -721; },
       "/rules/utc_offset_min"},
      {"enforce_opening_hours as a string",
       [](json& j) { j["rules"]["enforce_opening_hours"] = "yes"; },
       "/rules/enforce_opening_hours"},
      {"aging_min 0", [](json& j) { j["rules"]["aging_min"] = 0; }, "/rules/aging_min"},
      {"estimate_sample 0", [](json& j) { j["rules"]["estimate_sample"] = 0; },
       "/rules/estimate_sample"},
      {"kiosk_rate_per_min 0", [](json& j) { j["rules"]["kiosk_rate_per_min"] = 0; },
       "/rules/kiosk_rate_per_min"},
      {"clerk_rate_per_min 0", [](json& j) { j["rules"]["clerk_rate_per_min"] = 0; },
       "/rules/clerk_rate_per_min"},
      {"priority reason duplicated",
       [](json& j) { j["rules"]["priority_reasons"][1]["code"] = "elderly"; },
       "/rules/priority_reasons/1/code"},
      {"priority reason without a name",
       [](json& j) { j["rules"]["priority_reasons"][0].erase("name"); },
       "/rules/priority_reasons/0/name"},
      {"followup_working_days 0", [](json& j) { j["rules"]["followup_working_days"] = 0; },
       "/rules/followup_working_days"},
      {"followup_working_days 366", [](json& j) { j["rules"]["followup_working_days"] = 366; },
       "/rules/followup_working_days"},
      {"holidays not an array", [](json& j) { j["rules"]["holidays"] = "2026-10-01"; },
       "/rules/holidays"},
      {"holiday not a date", [](json& j) { j["rules"]["holidays"] = {"2026-10-01", "10/02"}; },
       "/rules/holidays/1"},
      {"holiday 30 February", [](json& j) { j["rules"]["holidays"] = {"2026-02-30"}; },
       "/rules/holidays/0"},
      {"holiday duplicated",
       [](json& j) { j["rules"]["holidays"] = {"2026-10-01", "2026-10-02", "2026-10-01"}; },
       "/rules/holidays/2"},
      {"too many holidays", [times](json& j) { j["rules"]["holidays"] = times("2026-10-01", 1001); },
       "/rules/holidays"},
      {"priority reason code too long",
       [](json& j) { j["rules"]["priority_reasons"][0]["code"] = std::string(33, 'x'); },
       "/rules/priority_reasons/0/code"},
      {"workdays empty", [](json& j) { j["rules"]["workdays"] = json::array(); }, "/rules/workdays"},
      {"workday 7", [](json& j) { j["rules"]["workdays"] = {1, 2, 7}; }, "/rules/workdays/2"},
      {"workday a name", [](json& j) { j["rules"]["workdays"] = {"Monday"}; }, "/rules/workdays/0"},
      {"workday duplicated", [](json& j) { j["rules"]["workdays"] = {1, 2, 1}; }, "/rules/workdays/2"},
      {"extra workday not a date", [](json& j) { j["rules"]["extra_workdays"] = {"2026-10-10", "Saturday"}; },
       "/rules/extra_workdays/1"},
      {"extra workday that is also a holiday",
       [](json& j) {
         j["rules"]["holidays"] = {"2026-10-01", "2026-10-10"};
         j["rules"]["extra_workdays"] = {"2026-10-10"};
       },
       "/rules/extra_workdays/0"},
      {"extra workday on a workday (a Thursday)", [](json& j) { j["rules"]["extra_workdays"] = {"2026-10-01"}; },
       "/rules/extra_workdays/0"},
  };
}

TEST(HallConfigTest, EachMistakeIsRejectedWithItsPath) {
  const json base = read_json(kSmallPath);
  // The mutations only mean something if the unmutated config is good.
  auto good = parse_hall_config(base);
  ASSERT_TRUE(good.ok()) << good.error().message;

  for (const auto& m : mutations()) {
    SCOPED_TRACE(m.what);
    json j = base;
    m.apply(j);
    auto hall = parse_hall_config(j);
    EXPECT_FALSE(hall.ok());
    if (hall.ok()) continue;  // report every case that slips through, not just the first
    EXPECT_EQ(hall.error().code, ErrorCode::bad_request);
    EXPECT_TRUE(starts_with(hall.error().message, m.path + ":"))
        << "message: " << hall.error().message << "\nexpected path: " << m.path;
  }
}

TEST(HallConfigTest, DuplicateMessagesPointBackAtTheFirst) {
  json j = read_json(kSmallPath);
  j["windows"][3]["number"] = 2;
  auto hall = parse_hall_config(j);
  ASSERT_FALSE(hall.ok());
  EXPECT_NE(hall.error().message.find("/windows/1"), std::string::npos) << hall.error().message;

  // A duplicated token is reported without echoing the secret.
  j = read_json(kSmallPath);
  j["devices"][3]["token"] = j["devices"][1]["token"];
  hall = parse_hall_config(j);
  ASSERT_FALSE(hall.ok());
  EXPECT_EQ(hall.error().message.find("printer-token-0001-abcdef"), std::string::npos)
      << hall.error().message;
}

TEST(HallConfigTest, SyntaxErrorNamesFileLineAndColumn) {
  // The bad token is on line 3; the column counts characters, not bytes.
  TempFile f("syntax.json", "{\n  \"id\": \"x\",\n  \"name\": \"某某\", oops\n}\n");
  auto hall = load_hall_config(f.path());
  ASSERT_FALSE(hall.ok());
  EXPECT_EQ(hall.error().code, ErrorCode::bad_request);
  const std::string& m = hall.error().message;
  EXPECT_TRUE(starts_with(m, f.path() + ":")) << m;
  EXPECT_NE(m.find("line 3, column 17"), std::string::npos) << m;

  TempFile truncated("truncated.json", "{\n  \"id\": \"x\",\n  \"services\": [\n");
  hall = load_hall_config(truncated.path());
  ASSERT_FALSE(hall.ok());
  EXPECT_NE(hall.error().message.find("line 4, column 1"), std::string::npos)
      << hall.error().message;
}

TEST(HallConfigTest, MissingFileNamesThePath) {
  const std::string path = ::testing::TempDir() + "hallq-no-such-dir/hall.json";
  auto hall = load_hall_config(path);
  ASSERT_FALSE(hall.ok());
  EXPECT_NE(hall.error().message.find(path), std::string::npos) << hall.error().message;
}

TEST(HallConfigTest, InvalidFileNamesFileThenJsonPath) {
  json j = read_json(kSmallPath);
  j["windows"][0]["services"] = {"A", "Z"};
  TempFile f("invalid.json", j.dump(2));
  auto hall = load_hall_config(f.path());
  ASSERT_FALSE(hall.ok());
  EXPECT_TRUE(starts_with(hall.error().message, f.path() + ": /windows/0/services/1:"))
      << hall.error().message;
}

TEST(HallConfigTest, DeviceKindNames) {
  EXPECT_EQ(to_string(DeviceKind::kiosk), "kiosk");
  EXPECT_EQ(to_string(DeviceKind::display), "display");
  EXPECT_EQ(to_string(DeviceKind::printer), "printer");
  EXPECT_EQ(to_string(DeviceKind::evaluator), "evaluator");
}

}  // namespace
}  // namespace hallq

namespace hallq {
namespace {

// 调休: the weekend days a hall works to make a public holiday longer. The messages say which
// rule the date collides with.
TEST(HallConfigTest, ExtraWorkdaysSayWhatTheyCollideWith) {
  EXPECT_EQ(weekday_of("2026-10-10"), 6);  // a Saturday
  EXPECT_EQ(weekday_of("2026-09-27"), 0);  // a Sunday
  EXPECT_EQ(weekday_of("2028-02-29"), 2);
  EXPECT_STREQ(weekday_name(4), "Thursday");

  json j = read_json(kSmallPath);
  j["rules"]["extra_workdays"] = {"2026-10-01"};
  auto on_a_workday = parse_hall_config(j);
  ASSERT_FALSE(on_a_workday.ok());
  EXPECT_EQ(on_a_workday.error().message,
            "/rules/extra_workdays/0: \"2026-10-01\" is a Thursday, already a working day (rules.workdays)");

  j["rules"]["holidays"] = {"2026-10-01", "2026-10-10"};
  j["rules"]["extra_workdays"] = {"2026-10-10"};
  auto also_a_holiday = parse_hall_config(j);
  ASSERT_FALSE(also_a_holiday.ok());
  EXPECT_EQ(also_a_holiday.error().message,
            "/rules/extra_workdays/0: duplicate day \"2026-10-10\" (first at /rules/holidays/1)");

  // The rule itself, as the engine, the kiosks and hallq-sim apply it.
  Rules rules;
  rules.holidays = {"2026-10-01"};
  rules.extra_workdays = {"2026-10-10"};
  EXPECT_EQ(day_off(rules, "2026-10-01"), "a holiday");  // a Thursday
  EXPECT_EQ(day_off(rules, "2026-10-02"), std::nullopt);
  EXPECT_EQ(day_off(rules, "2026-10-03"), "Saturday");
  EXPECT_EQ(day_off(rules, "2026-10-10"), std::nullopt);  // a Saturday worked

  // A hall that works Saturdays anyway has no use for a Saturday as an extra day.
  j["rules"].erase("holidays");
  j["rules"]["workdays"] = {1, 2, 3, 4, 5, 6};
  auto saturday_hall = parse_hall_config(j);
  ASSERT_FALSE(saturday_hall.ok());
  EXPECT_NE(saturday_hall.error().message.find("is a Saturday, already a working day"), std::string::npos)
      << saturday_hall.error().message;
}

TEST(HallConfigTest, FollowupRulesParseAndRoundTrip) {
  json j = read_json(kSmallPath);
  j["rules"]["followup_working_days"] = 10;
  j["rules"]["holidays"] = {"2026-10-01", "2028-02-29"};
  j["rules"]["extra_workdays"] = {"2026-09-27", "2026-10-10"};  // a Sunday and a Saturday (调休)
  auto hall = parse_hall_config(j);
  ASSERT_TRUE(hall.ok()) << hall.error().message;
  EXPECT_EQ(hall->rules.followup_working_days, 10);
  EXPECT_EQ(hall->rules.holidays, (std::vector<std::string>{"2026-10-01", "2028-02-29"}));
  EXPECT_EQ(hall->rules.extra_workdays, (std::vector<std::string>{"2026-09-27", "2026-10-10"}));
  auto again = parse_hall_config(hall_config_to_json(*hall));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *hall);
  EXPECT_EQ(Rules{}.followup_working_days, 15);  // the national rules' default
  EXPECT_TRUE(Rules{}.extra_workdays.empty());
  EXPECT_EQ(Rules{}.workdays, (std::vector<int>{1, 2, 3, 4, 5}));  // Monday to Friday

  // A hall open on Saturday mornings says so; the default is not written out.
  j["rules"].erase("extra_workdays");  // a Saturday among them would now be refused
  j["rules"]["workdays"] = {6, 1, 2, 3, 4, 5};
  auto saturdays = parse_hall_config(j);
  ASSERT_TRUE(saturdays.ok()) << saturdays.error().message;
  EXPECT_EQ(saturdays->rules.workdays, (std::vector<int>{6, 1, 2, 3, 4, 5}));
  EXPECT_EQ(hall_config_to_json(*saturdays)["rules"]["workdays"], json({6, 1, 2, 3, 4, 5}));
  EXPECT_FALSE(hall_config_to_json(*hall)["rules"].contains("workdays"));
  auto saturdays_again = parse_hall_config(hall_config_to_json(*saturdays));
  ASSERT_TRUE(saturdays_again.ok());
  EXPECT_EQ(*saturdays_again, *saturdays);
}

}  // namespace
}  // namespace hallq

namespace hallq {
namespace {
// One reading of "HH:MM-HH:MM" and one rule for "open now", shared by the config file, the
// server's refusal and the kiosk's greyed buttons.
TEST(HallConfigHours, SpansParseFormatAndAdmitMinutes) {
  ASSERT_EQ(parse_span("08:30-12:00"), (OpeningSpan{8 * 60 + 30, 12 * 60}));
  EXPECT_EQ(format_span(*parse_span("08:30-12:00")), "08:30-12:00");
  EXPECT_EQ(parse_span("00:00-24:00"), (OpeningSpan{0, 24 * 60}));
  for (const char* bad : {"", "8:30-12:00", "08:30~12:00", "12:00-08:30", "12:00-12:00", "08:60-12:00",
                          "00:00-24:01", "08:30-12:00 ", "0a:30-12:00"})
    EXPECT_EQ(parse_span(bad), std::nullopt) << bad;
  const std::vector<OpeningSpan> hours{*parse_span("08:30-12:00"), *parse_span("13:30-17:30")};
  struct Case {
    int minute;
    bool open;
  };
  for (Case c : {Case{8 * 60 + 29, false}, Case{8 * 60 + 30, true}, Case{11 * 60 + 59, true}, Case{12 * 60, false},
                 Case{13 * 60 + 30, true}, Case{17 * 60 + 30, false}, Case{0, false}})
    EXPECT_EQ(open_at(hours, c.minute), c.open) << format_clock(c.minute);
  EXPECT_TRUE(open_at({}, 3 * 60)) << "no hours: all day";
  EXPECT_EQ(format_hours(hours, ", "), "08:30-12:00, 13:30-17:30");
  EXPECT_EQ(format_hours(hours, "、"), "08:30-12:00、13:30-17:30");
  EXPECT_EQ(format_hours({}, ", "), "");
  // 2026-11-26T16:00Z is midnight in Beijing; the minute wraps at the local day, not UTC's.
  constexpr TimeMs kMidnightBeijing = 1795708800000;
  EXPECT_EQ(local_minute_of_day(480, kMidnightBeijing), 0);
  EXPECT_EQ(local_minute_of_day(480, kMidnightBeijing + 12 * 3600000 + 10 * 60000 + 59999), 12 * 60 + 10);
  EXPECT_EQ(local_minute_of_day(480, kMidnightBeijing - 60000), 24 * 60 - 1);
  EXPECT_EQ(local_minute_of_day(0, kMidnightBeijing), 16 * 60);
  EXPECT_EQ(local_minute_of_day(-300, 0), 19 * 60) << "before the epoch's day in New York";
}
}  // namespace
}  // namespace hallq
