// Small blocking clients for HallQ's HTTP API and WebSocket: used by hallqctl, the tests and
// tools. One connection each, kept alive; not thread-safe (one per thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace hallq::client {

struct HttpResult {
  int status = 0;          // 0: the request never got an answer (connection failed)
  std::string body;
  std::string error;       // transport error text when status == 0
  nlohmann::json json() const;  // the body parsed; null if it is not JSON
};

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Reconnects as needed. token "" sends no Authorization header.
  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::string& token = "");
  HttpResult get(const std::string& target, const std::string& token = "") { return request("GET", target, "", token); }
  HttpResult post(const std::string& target, const nlohmann::json& body, const std::string& token = "") {
    return request("POST", target, body.dump(), token);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class WsClient {
 public:
  WsClient();
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Connects to ws://host:port/ws. Returns an error text, or "" on success.
  std::string connect(const std::string& host, std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool send(const nlohmann::json& message);
  bool send_text(const std::string& text);
  // The next text message, parsed; nullopt on timeout or when the connection closed.
  std::optional<nlohmann::json> receive(std::chrono::milliseconds timeout);
  // Waits for a message of this "type" (skipping others); nullopt on timeout/close.
  std::optional<nlohmann::json> receive_type(const std::string& type, std::chrono::milliseconds timeout);
  bool is_open() const;
  // The close code the server sent, 0 if none (yet).
  int close_code() const;
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hallq::client
