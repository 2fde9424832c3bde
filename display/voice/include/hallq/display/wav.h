// A 16-bit mono PCM WAV file that stays valid after every append (the header's sizes are
// rewritten each time), so a test may read it while the display still runs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "hallq/result.h"

namespace hallq::display {

class WavWriter {
 public:
  static Result<std::unique_ptr<WavWriter>> create(const std::string& path, int sample_rate);
  ~WavWriter();
  Status append(const std::vector<std::int16_t>& samples);

 private:
  WavWriter() = default;
  void write_header();
  std::FILE* f_ = nullptr;
  int rate_ = 0;
  std::uint32_t samples_ = 0;
};

struct WavData {
  int sample_rate = 0;
  std::vector<std::int16_t> samples;
};
// Reads what WavWriter writes (16-bit mono PCM).
Result<WavData> read_wav(const std::string& path);

}  // namespace hallq::display
