#include "hallq/display/voice.h"

#include <espeak-ng/speak_lib.h>

#include <SDL.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>

#include "hallq/display/announcement.h"
#include "hallq/display/wav.h"

namespace hallq::display {

namespace {

// espeak-ng is one global engine; its synth callback appends to this buffer (voice thread only).
std::vector<std::int16_t>* g_pcm = nullptr;

int on_samples(short* wav, int n, espeak_EVENT*) {
  if (wav && n > 0 && g_pcm) g_pcm->insert(g_pcm->end(), wav, wav + n);
  return 0;
}

void silence(std::vector<std::int16_t>& pcm, int rate, int ms) { pcm.insert(pcm.end(), std::size_t(rate) * ms / 1000, 0); }

}  // namespace

std::vector<std::int16_t> make_chime(int rate) {
  std::vector<std::int16_t> out;
  const double kPi = 3.14159265358979;
  for (auto [freq, ms] : {std::pair{659.25, 420}, std::pair{523.25, 650}}) {  // E5, C5: ding-dong
    const int n = rate * ms / 1000;
    for (int i = 0; i < n; ++i) {
      const double t = double(i) / rate;
      const double env = std::exp(-3.5 * t) * std::min(1.0, i / (0.005 * rate));
      const double v = 0.35 * env * (std::sin(2 * kPi * freq * t) + 0.3 * std::sin(4 * kPi * freq * t));
      out.push_back(std::int16_t(std::clamp(v, -1.0, 1.0) * 32000));
    }
  }
  return out;
}

struct Voice::Impl {
  // constant after open()
  VoiceOptions options;
  int rate = 22050;
  SDL_AudioDeviceID device = 0;
  std::unique_ptr<WavWriter> wav;

  // guarded by mutex
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::pair<std::string, int>> queue;
  bool busy = false;
  bool stopping = false;
  std::uint64_t spoken = 0;

  std::thread thread;

  std::vector<std::int16_t> speak(const std::string& voice, const std::string& text) {
    std::vector<std::int16_t> pcm;
    if (espeak_SetVoiceByName(voice.c_str()) != EE_OK) {
      std::cerr << "hallq-display: espeak-ng has no voice \"" << voice << "\"\n";
      return pcm;
    }
    espeak_SetParameter(espeakRATE, options.rate_wpm, 0);
    g_pcm = &pcm;
    // AUDIO_OUTPUT_SYNCHRONOUS: returns when the whole text is synthesised (no Synchronize:
    // with this library build it waits on the async fifo forever).
    espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, nullptr);
    g_pcm = nullptr;
    return pcm;
  }

  void play(const std::vector<std::int16_t>& pcm) {
    if (wav) {
      if (auto st = wav->append(pcm); !st) std::cerr << "hallq-display: " << st.error().message << "\n";
      return;
    }
    if (!device) return;
    SDL_QueueAudio(device, pcm.data(), Uint32(pcm.size() * 2));
    // Wait for the device to play it all: the next announcement starts after this one ends.
    while (SDL_GetQueuedAudioSize(device) > 0) {
      {
        std::lock_guard lock(mutex);
        if (stopping) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void run() {
    for (;;) {
      std::pair<std::string, int> item;
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (stopping) return;
        item = std::move(queue.front());
        queue.pop_front();
        busy = true;
      }
      std::vector<std::int16_t> pcm = make_chime(rate);
      silence(pcm, rate, 200);
      auto first = speak(options.voice, spoken_announcement(item.first, item.second, options.voice));
      pcm.insert(pcm.end(), first.begin(), first.end());
      if (!options.second_voice.empty()) {
        silence(pcm, rate, 400);
        auto second = speak(options.second_voice, spoken_announcement(item.first, item.second, options.second_voice));
        pcm.insert(pcm.end(), second.begin(), second.end());
      }
      silence(pcm, rate, 700);  // a pause before the next call, so two calls are two sentences
      play(pcm);
      {
        std::lock_guard lock(mutex);
        busy = false;
        ++spoken;
      }
      cv.notify_all();
    }
  }
};

Voice::Voice() : impl_(std::make_unique<Impl>()) {}

Result<std::unique_ptr<Voice>> Voice::open(const VoiceOptions& options) {
  std::unique_ptr<Voice> v(new Voice());
  Impl& s = *v->impl_;
  s.options = options;
  // One engine per process: espeak-ng is a global; initialising it again is not supported.
  static const int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
  if (rate <= 0) return make_error(ErrorCode::internal, "espeak-ng did not start (is espeak-ng-data installed?)");
  s.rate = rate;
  espeak_SetSynthCallback(on_samples);
  for (const std::string& name : {options.voice, options.second_voice})
    if (!name.empty() && espeak_SetVoiceByName(name.c_str()) != EE_OK)
      return make_error(ErrorCode::not_found, "espeak-ng has no voice \"" + name + "\" (try cmn, yue or en)");
  if (!options.wav_path.empty()) {
    auto w = WavWriter::create(options.wav_path, rate);
    if (!w) return w.error();
    s.wav = std::move(*w);
  } else {
    if (!SDL_WasInit(SDL_INIT_AUDIO) && SDL_InitSubSystem(SDL_INIT_AUDIO) != 0)
      return make_error(ErrorCode::internal, std::string("SDL audio: ") + SDL_GetError());
    SDL_AudioSpec want{}, have{};
    want.freq = rate;
    want.format = AUDIO_S16SYS;
    want.channels = 1;
    want.samples = 2048;
    s.device = SDL_OpenAudioDevice(nullptr, 0, &want, &have, 0);
    if (!s.device) return make_error(ErrorCode::internal, std::string("SDL_OpenAudioDevice: ") + SDL_GetError());
    SDL_PauseAudioDevice(s.device, 0);
    // Says which driver plays it (tests run SDL's "disk" driver and read back what it played).
    std::cerr << "hallq-display: voice through SDL audio driver " << (SDL_GetCurrentAudioDriver() ? SDL_GetCurrentAudioDriver() : "?")
              << " at " << have.freq << " Hz\n";
  }
  s.thread = std::thread([impl = &s] { impl->run(); });
  return v;
}

Voice::~Voice() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  if (impl_->device) SDL_CloseAudioDevice(impl_->device);
  // No espeak_Terminate(): with Debian's build it blocks joining its audio fifo thread. The
  // engine is initialised once per process (see open()) and lives as long as the process.
}

void Voice::announce(const std::string& number, int window) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->queue.size() >= impl_->options.queue_limit) {
      std::cerr << "hallq-display: voice queue full, dropping the call of " << impl_->queue.front().first << "\n";
      impl_->queue.pop_front();
    }
    impl_->queue.emplace_back(number, window);
  }
  impl_->cv.notify_all();
}

bool Voice::wait_idle(int timeout_ms) {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return impl_->queue.empty() && !impl_->busy; });
}

int Voice::sample_rate() const { return impl_->rate; }

std::uint64_t Voice::spoken() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->spoken;
}

}  // namespace hallq::display
