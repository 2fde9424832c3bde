#include "hallq/display/wav.h"

#include <cstring>
#include <fstream>

namespace hallq::display {

namespace {
void put32(std::uint8_t* p, std::uint32_t v) { for (int i = 0; i < 4; ++i) p[i] = std::uint8_t(v >> (8 * i)); }
void put16(std::uint8_t* p, std::uint16_t v) { p[0] = std::uint8_t(v); p[1] = std::uint8_t(v >> 8); }
std::uint32_t get32(const std::uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | std::uint32_t(p[3]) << 24; }
std::uint16_t get16(const std::uint8_t* p) { return std::uint16_t(p[0] | p[1] << 8); }
}  // namespace

Result<std::unique_ptr<WavWriter>> WavWriter::create(const std::string& path, int sample_rate) {
  std::unique_ptr<WavWriter> w(new WavWriter());
  w->f_ = std::fopen(path.c_str(), "wb");
  if (!w->f_) return make_error(ErrorCode::internal, path + ": cannot create: " + std::strerror(errno));
  w->rate_ = sample_rate;
  w->write_header();
  return w;
}

WavWriter::~WavWriter() {
  if (f_) std::fclose(f_);
}

void WavWriter::write_header() {
  std::uint8_t h[44];
  std::memcpy(h, "RIFF", 4);
  put32(h + 4, 36 + samples_ * 2);
  std::memcpy(h + 8, "WAVEfmt ", 8);
  put32(h + 16, 16);
  put16(h + 20, 1);  // PCM
  put16(h + 22, 1);  // mono
  put32(h + 24, std::uint32_t(rate_));
  put32(h + 28, std::uint32_t(rate_) * 2);
  put16(h + 32, 2);
  put16(h + 34, 16);
  std::memcpy(h + 36, "data", 4);
  put32(h + 40, samples_ * 2);
  std::fseek(f_, 0, SEEK_SET);
  std::fwrite(h, 1, sizeof h, f_);
  std::fseek(f_, 0, SEEK_END);
}

Status WavWriter::append(const std::vector<std::int16_t>& samples) {
  std::vector<std::uint8_t> bytes(samples.size() * 2);
  for (std::size_t i = 0; i < samples.size(); ++i) put16(&bytes[2 * i], std::uint16_t(samples[i]));
  if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) return make_error(ErrorCode::internal, "WAV write failed");
  samples_ += std::uint32_t(samples.size());
  write_header();
  std::fflush(f_);
  return ok_status();
}

Result<WavData> read_wav(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (b.size() < 44 || std::memcmp(b.data(), "RIFF", 4) != 0 || std::memcmp(b.data() + 8, "WAVE", 4) != 0)
    return make_error(ErrorCode::bad_request, path + ": not a WAV file");
  WavData out;
  std::size_t p = 12;
  int bits = 0, channels = 0;
  while (p + 8 <= b.size()) {
    const std::uint32_t len = get32(&b[p + 4]);
    if (std::memcmp(&b[p], "fmt ", 4) == 0 && p + 24 <= b.size()) {
      channels = get16(&b[p + 10]);
      out.sample_rate = int(get32(&b[p + 12]));
      bits = get16(&b[p + 22]);
    } else if (std::memcmp(&b[p], "data", 4) == 0) {
      if (bits != 16 || channels != 1) return make_error(ErrorCode::bad_request, path + ": not 16-bit mono");
      const std::size_t n = std::min<std::size_t>(len, b.size() - p - 8) / 2;
      out.samples.resize(n);
      for (std::size_t i = 0; i < n; ++i) out.samples[i] = std::int16_t(get16(&b[p + 8 + 2 * i]));
      return out;
    }
    p += 8 + len + (len & 1);
  }
  return make_error(ErrorCode::bad_request, path + ": no data chunk");
}

}  // namespace hallq::display
