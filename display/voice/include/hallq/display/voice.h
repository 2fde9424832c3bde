// The hall's voice: each call becomes a chime followed by the sentence in Mandarin (espeak-ng
// voice "cmn"), optionally again in a second language ("yue" or "en"). Announcements wait in a
// bounded queue and play one after another on their own thread: never cut off, never overlapped;
// a recall is simply announced again. Output goes to SDL audio or, for tests, to a WAV file.
// Thread-safety: announce() and wait_idle() may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hallq/result.h"

namespace hallq::display {

struct VoiceOptions {
  std::string voice = "cmn";        // espeak-ng voice of the first announcement
  std::string second_voice;         // "", "yue" or "en"
  std::string wav_path;             // non-empty: append to this WAV file instead of playing
  std::size_t queue_limit = 32;     // waiting announcements; beyond this the oldest are dropped
  int rate_wpm = 150;               // espeak speaking rate; halls prefer slow and clear
};

// Chime: a two-tone "ding-dong" at `sample_rate`, 16-bit mono.
std::vector<std::int16_t> make_chime(int sample_rate);

class Voice {
 public:
  static Result<std::unique_ptr<Voice>> open(const VoiceOptions& options);
  ~Voice();  // stops after the announcement being played; drops the queued ones

  // Queues "请 A012 号到 3 号窗口办理" (and the second language).
  void announce(const std::string& number, int window);
  // Blocks until the queue is empty and the last announcement finished (or timeout). For tests
  // and --screenshot runs that must not exit mid-sentence.
  bool wait_idle(int timeout_ms);
  int sample_rate() const;
  std::uint64_t spoken() const;  // announcements finished

 private:
  Voice();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hallq::display
