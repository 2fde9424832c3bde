// The bench's own WebSocket wire (server/bench/src/ws_frames.cc), checked against RFC 6455's
// examples and against Beast's server side on a real socket: the displays' and kiosks' figures
// are only as good as the frames they send and the frames they take apart.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <cstring>
#include <string>
#include <thread>

#include "ws_frames.h"

namespace hallq::test {
namespace {

namespace ws = bench::ws;
using boost::asio::ip::tcp;

std::string bytes(std::initializer_list<unsigned> list) {
  std::string s;
  for (unsigned b : list) s.push_back(char(b));
  return s;
}

TEST(WsFramesTest, AMaskedClientFrameIsTheRfcsExample) {
  // RFC 6455 5.7: "A single-frame masked text message", key 37 fa 21 3d.
  std::uint32_t key;
  const std::string key_bytes = bytes({0x37, 0xfa, 0x21, 0x3d});
  std::memcpy(&key, key_bytes.data(), 4);
  std::string out = "x";  // appends, keeping what is there
  ws::append_client_frame(out, 0x1, "Hello", key);
  EXPECT_EQ(out.substr(0, 1), "x");
  EXPECT_EQ(out.substr(1), bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(WsFramesTest, AZeroKeyLeavesThePayloadAsItIs) {
  std::string out;
  ws::append_client_frame(out, 0xA, "ping!");
  EXPECT_EQ(out, bytes({0x8a, 0x85, 0, 0, 0, 0}) + "ping!");
}

TEST(WsFramesTest, LengthsPast125And65535TakeTheLongerHeaders) {
  std::string out;
  ws::append_client_frame(out, 0x1, std::string(256, 'a'));
  EXPECT_EQ(out.substr(0, 4), bytes({0x81, 0xfe, 0x01, 0x00}));
  EXPECT_EQ(out.size(), 4 + 4 + 256u);
  out.clear();
  ws::append_client_frame(out, 0x1, std::string(65536, 'a'));
  EXPECT_EQ(out.substr(0, 10), bytes({0x81, 0xff, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(out.size(), 10 + 4 + 65536u);
}

TEST(WsFramesTest, ServerFramesAreTakenWholeOrNotAtAll) {
  const std::string two = bytes({0x81, 0x05}) + "Hello" + bytes({0x89, 0x00}) + bytes({0x81, 0x7e, 0x01});
  std::size_t at = 0;
  ws::Frame f;
  std::string why;
  ASSERT_EQ(ws::take_server_frame(two, at, 1024, f, why), ws::Take::ok);
  EXPECT_EQ(f.opcode, 0x1);
  EXPECT_EQ(f.payload, "Hello");
  ASSERT_EQ(ws::take_server_frame(two, at, 1024, f, why), ws::Take::ok);
  EXPECT_EQ(f.opcode, 0x9);
  EXPECT_EQ(f.payload, "");
  const std::size_t before = at;  // a 16-bit length with one of its two bytes here
  EXPECT_EQ(ws::take_server_frame(two, at, 1024, f, why), ws::Take::need_more);
  EXPECT_EQ(at, before);
  const std::string cut = bytes({0x81, 0x05}) + "Hel";
  at = 0;
  EXPECT_EQ(ws::take_server_frame(cut, at, 1024, f, why), ws::Take::need_more);
  EXPECT_EQ(at, 0u);
}

TEST(WsFramesTest, WhatHallQNeverSendsIsRefusedByName) {
  struct Case {
    std::string frame;
    std::string why;
  };
  const Case cases[] = {
      {bytes({0x81, 0x85, 1, 2, 3, 4}) + "abcde", "a masked frame from the server"},
      {bytes({0x01, 0x02}) + "ab", "a fragmented message"},
      {bytes({0x80, 0x02}) + "ab", "a fragmented message"},  // a continuation
      {bytes({0x81, 0x7e, 0x04, 0x01}), "a frame over 1024 bytes"},
  };
  for (const Case& c : cases) {
    std::size_t at = 0;
    ws::Frame f;
    std::string why;
    EXPECT_EQ(ws::take_server_frame(c.frame, at, 1024, f, why), ws::Take::bad) << c.why;
    EXPECT_EQ(why, c.why);
    EXPECT_EQ(at, 0u);
  }
}

// Beast accepts the upgrade and reads the masked and unmasked frames; the bench takes apart
// what Beast writes, a frame past 125 bytes among them.
TEST(WsFramesTest, BeastsServerSideAgrees) {
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const tcp::endpoint endpoint = acceptor.local_endpoint();
  std::vector<std::string> heard;
  const std::string long_text(300, 'z');
  std::thread server([&] {
    boost::beast::websocket::stream<tcp::socket> s(acceptor.accept());
    s.accept();
    for (int i = 0; i < 2; ++i) {
      boost::beast::flat_buffer b;
      s.read(b);
      heard.push_back(boost::beast::buffers_to_string(b.data()));
    }
    s.text(true);
    s.write(boost::asio::buffer(std::string("短")));
    s.write(boost::asio::buffer(long_text));
    s.close(boost::beast::websocket::close_code::going_away);
  });

  tcp::socket client(io);
  client.connect(endpoint);
  boost::asio::write(client, boost::asio::buffer(ws::upgrade_request(endpoint, "0123456789abcdef")));
  std::string in;
  char chunk[4096];
  std::size_t end;
  while ((end = in.find("\r\n\r\n")) == std::string::npos) in.append(chunk, client.read_some(boost::asio::buffer(chunk)));
  ASSERT_EQ(in.substr(0, 12), "HTTP/1.1 101") << in;
  in.erase(0, end + 4);
  std::string out;
  ws::append_client_frame(out, 0x1, "masked hello", 0x01020304);
  ws::append_client_frame(out, 0x1, "zero-key hello");
  boost::asio::write(client, boost::asio::buffer(out));

  std::vector<std::pair<int, std::string>> frames;  // copies: `in` grows under the views
  std::size_t at = 0;
  boost::system::error_code ec;
  while (frames.size() < 3 && !ec) {
    ws::Frame f;
    std::string why;
    const ws::Take took = ws::take_server_frame(in, at, 1024, f, why);
    ASSERT_NE(took, ws::Take::bad) << why;
    if (took == ws::Take::ok) {
      frames.emplace_back(f.opcode, std::string(f.payload));
      continue;
    }
    in.append(chunk, client.read_some(boost::asio::buffer(chunk), ec));
  }
  // Beast's close waits for the client's close in answer, then for the end of the stream.
  out.clear();
  ws::append_client_frame(out, 0x8, bytes({0x03, 0xe9}), 0xdeadbeef);
  boost::asio::write(client, boost::asio::buffer(out), ec);
  client.close();
  server.join();
  EXPECT_EQ(heard, (std::vector<std::string>{"masked hello", "zero-key hello"}));
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0], std::make_pair(0x1, std::string("短")));
  EXPECT_EQ(frames[1], std::make_pair(0x1, long_text));
  EXPECT_EQ(frames[2], std::make_pair(0x8, bytes({0x03, 0xe9})));  // 1001, going away
}

}  // namespace
}  // namespace hallq::test
