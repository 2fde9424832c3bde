// The client's side of the WebSocket wire (RFC 6455), as the bench's epoll loops speak it: the
// upgrade request, client frames, and whole server frames taken off a buffer. The displays and
// the flat-out kiosks share it; neither wants Beast's per-message cost on the bench's side.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace hallq::bench::ws {

// "GET /ws" with the upgrade headers. `key` is the 16 raw bytes the server must echo hashed.
std::string upgrade_request(const boost::asio::ip::tcp::endpoint& server, std::string_view key);

// A client frame (FIN, one opcode) appended to `out`, its payload masked with `mask` (5.3). An
// all-zero key is a key like any other, and it spares the XOR over every byte.
void append_client_frame(std::string& out, std::uint8_t opcode, std::string_view payload, std::uint32_t mask = 0);

enum class Take { need_more, ok, bad };
struct Frame {
  int opcode = 0;
  std::string_view payload;  // into the buffer it was taken from
};

// One whole server frame at in[at], and `at` moved past it. HallQ masks nothing it sends and
// fragments nothing; anything else, or a payload over `max_payload`, is bad and `why` says how.
Take take_server_frame(std::string_view in, std::size_t& at, std::uint64_t max_payload, Frame& frame, std::string& why);

}  // namespace hallq::bench::ws
