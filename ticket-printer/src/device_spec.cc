#include "hallq/printer/device_spec.h"

#include <algorithm>
#include <charconv>
#include <vector>

namespace hallq::printer {

namespace {

Error bad(const std::string& spec, const std::string& what) {
  return make_error(ErrorCode::bad_request,
                    "device \"" + spec + "\": " + what +
                        " (forms: serial:/dev/ttyUSB0[:BAUD[:rtscts|xonxoff|none]], usb:/dev/usb/lp0, "
                        "tcp:HOST[:PORT], file:PATH)");
}

std::optional<int> number(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

}  // namespace

std::string DeviceSpec::to_string() const {
  switch (kind) {
    case Kind::serial:
      return "serial:" + path + ":" + std::to_string(baud) + ":" +
             (flow == FlowControl::rtscts ? "rtscts" : flow == FlowControl::xonxoff ? "xonxoff" : "none");
    case Kind::usb: return "usb:" + path;
    case Kind::tcp: return "tcp:" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
    case Kind::file: return "file:" + path;
  }
  return {};
}

Result<DeviceSpec> parse_device_spec(const std::string& spec) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos) return bad(spec, "no kind: start with serial:, usb:, tcp: or file:");
  const std::string kind = spec.substr(0, colon);
  const std::string rest = spec.substr(colon + 1);
  DeviceSpec d;
  if (kind == "file") {
    if (rest.empty()) return bad(spec, "file: needs a path");
    d.kind = DeviceSpec::Kind::file;
    d.path = rest;
    return d;
  }
  if (kind == "usb") {
    if (rest.empty() || rest[0] != '/') return bad(spec, "usb: needs an absolute device path such as /dev/usb/lp0");
    if (rest.find(':') != std::string::npos) return bad(spec, "usb: takes only a device path, no options");
    d.kind = DeviceSpec::Kind::usb;
    d.path = rest;
    return d;
  }
  if (kind == "serial") {
    auto parts = split(rest, ':');
    if (parts[0].empty() || parts[0][0] != '/') return bad(spec, "serial: needs an absolute device path such as /dev/ttyUSB0");
    if (parts.size() > 3) return bad(spec, "serial: too many fields after the path");
    d.kind = DeviceSpec::Kind::serial;
    d.path = parts[0];
    if (parts.size() >= 2) {
      static const int rates[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600};
      auto b = number(parts[1]);
      if (!b || std::find(std::begin(rates), std::end(rates), *b) == std::end(rates))
        return bad(spec, "baud \"" + parts[1] + "\" is not one of 1200 2400 4800 9600 19200 38400 57600 115200 230400 460800 921600");
      d.baud = *b;
    }
    if (parts.size() == 3) {
      if (parts[2] == "rtscts") d.flow = FlowControl::rtscts;
      else if (parts[2] == "xonxoff") d.flow = FlowControl::xonxoff;
      else if (parts[2] == "none") d.flow = FlowControl::none;
      else return bad(spec, "flow control \"" + parts[2] + "\" is not rtscts, xonxoff or none");
    }
    return d;
  }
  if (kind == "tcp") {
    d.kind = DeviceSpec::Kind::tcp;
    std::string port;
    if (!rest.empty() && rest[0] == '[') {  // [v6]:port
      auto close = rest.find(']');
      if (close == std::string::npos) return bad(spec, "tcp: unclosed [ in an IPv6 address");
      d.host = rest.substr(1, close - 1);
      if (close + 1 < rest.size()) {
        if (rest[close + 1] != ':') return bad(spec, "tcp: expected :PORT after ]");
        port = rest.substr(close + 2);
        if (port.empty()) return bad(spec, "tcp: empty port after ':'");
      }
    } else {
      auto parts = split(rest, ':');
      if (parts.size() > 2) return bad(spec, "tcp: too many ':' (write an IPv6 address as [addr]:port)");
      d.host = parts[0];
      if (parts.size() == 2) {
        port = parts[1];
        if (port.empty()) return bad(spec, "tcp: empty port after ':'");
      }
    }
    if (d.host.empty()) return bad(spec, "tcp: needs a host");
    if (!port.empty()) {
      auto p = number(port);
      if (!p || *p < 1 || *p > 65535) return bad(spec, "tcp: port \"" + port + "\" is not 1 to 65535");
      d.port = *p;
    }
    return d;
  }
  return bad(spec, "unknown kind \"" + kind + "\"");
}

}  // namespace hallq::printer
