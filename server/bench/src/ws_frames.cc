#include "ws_frames.h"

#include <cstring>

namespace hallq::bench::ws {

namespace {
std::string base64(std::string_view in) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t v = std::uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= std::uint8_t(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= std::uint8_t(in[i + 2]);
    out.push_back(kDigits[(v >> 18) & 63]);
    out.push_back(kDigits[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kDigits[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < in.size() ? kDigits[v & 63] : '=');
  }
  return out;
}
}  // namespace

std::string upgrade_request(const boost::asio::ip::tcp::endpoint& server, std::string_view key) {
  return "GET /ws HTTP/1.1\r\nHost: " + server.address().to_string() + ":" + std::to_string(server.port()) +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: " + base64(key) + "\r\n\r\n";
}

void append_client_frame(std::string& out, std::uint8_t opcode, std::string_view payload, std::uint32_t mask) {
  const std::uint64_t n = payload.size();
  out.push_back(char(0x80 | opcode));  // FIN
  if (n < 126) {
    out.push_back(char(0x80 | n));
  } else if (n <= 0xffff) {
    out.push_back(char(0x80 | 126));
    out.push_back(char(n >> 8));
    out.push_back(char(n & 0xff));
  } else {
    out.push_back(char(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(char((n >> shift) & 0xff));
  }
  char key[4];
  std::memcpy(key, &mask, 4);
  out.append(key, 4);
  if (mask == 0) {
    out.append(payload);
    return;
  }
  const std::size_t start = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < n; ++i) out[start + i] = char(out[start + i] ^ key[i % 4]);
}

Take take_server_frame(std::string_view in, std::size_t& at, std::uint64_t max_payload, Frame& frame, std::string& why) {
  const std::string_view f = in.substr(at);
  if (f.size() < 2) return Take::need_more;
  const auto b0 = std::uint8_t(f[0]), b1 = std::uint8_t(f[1]);
  std::uint64_t n = b1 & 0x7f;
  std::size_t head = 2;
  if (n >= 126) {
    head = n == 126 ? 4 : 10;
    if (f.size() < head) return Take::need_more;
    n = 0;
    for (std::size_t i = 2; i < head; ++i) n = n << 8 | std::uint8_t(f[i]);
  }
  if (b1 & 0x80) {
    why = "a masked frame from the server";
    return Take::bad;
  }
  if (!(b0 & 0x80) || (b0 & 0x0f) == 0x0) {
    why = "a fragmented message";
    return Take::bad;
  }
  if (n > max_payload) {
    why = "a frame over " + std::to_string(max_payload) + " bytes";
    return Take::bad;
  }
  if (f.size() < head + n) return Take::need_more;
  frame.opcode = b0 & 0x0f;
  frame.payload = f.substr(head, std::size_t(n));
  at += head + std::size_t(n);
  return Take::ok;
}

}  // namespace hallq::bench::ws
