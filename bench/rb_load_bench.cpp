// rb_load_bench: how long ropebatch takes from a Hugging Face checkpoint on disk to scores on the
// GPU, and how much host memory it needs on the way. Phases, each timed on its own:
//   load_model     map the safetensors files, read config.json, validate every tensor (no weight bytes read)
//   backend        ModelDef + upload to the device through the pinned staging buffers; told the
//                  windows to come (BackendOptions::expected), it builds their cuDNN plan meanwhile
//   first window   the first score() of a window of L tokens (buffers; the cuDNN plan with
//                  --no-plan-ahead)
//   steady window  the following windows of the same shape (median)
// Host memory: peak RSS (VmHWM, which counts the mapped file pages touched) and peak anonymous RSS
// (RssAnon, sampled every 10 ms: memory that is not the page cache).
//   rb_load_bench --model DIR [--length 32768] [--windows 3] [--no-plan-ahead]   prints one JSON object
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "model_core/backend.hpp"
#include "model_core/cuda/cuda_backend.hpp"
#include "model_core/model.hpp"

namespace {

double kib_field(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::atof(line.c_str() + std::string(key).size());
  return 0;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_dir;
  int64_t length = 32768, windows = 3;
  bool plan_ahead = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--no-plan-ahead") {
      plan_ahead = false;
      continue;
    }
    if (i + 1 >= argc) { std::cerr << "rb_load_bench: " << a << " needs a value\n"; return 2; }
    const char* v = argv[++i];
    if (a == "--model") model_dir = v;
    else if (a == "--length") length = std::atoll(v);
    else if (a == "--windows") windows = std::atoll(v);
    else { std::cerr << "rb_load_bench: unknown flag " << a << "\n"; return 2; }
  }
  if (model_dir.empty() || length < 2 || windows < 2) {
    std::cerr << "usage: rb_load_bench --model DIR [--length L] [--windows N>=2]\n";
    return 2;
  }
  std::atomic<bool> stop{false};
  std::atomic<double> peak_anon{0};
  std::thread sampler([&] {
    while (!stop) {
      peak_anon = std::max(peak_anon.load(), kib_field("RssAnon:"));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  nlohmann::json out;
  try {
    const auto t0 = std::chrono::steady_clock::now();
    const rb::Model model = rb::load_model(model_dir, rb::LoadOptions{.load_tokenizer = false});
    out["load_model_s"] = seconds_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    rb::BackendOptions bopts{"cuda", 0, -1};
    if (plan_ahead) bopts.expected.push_back({length, windows});  // scored one window per call
    auto backend = rb::make_cuda_backend(model, bopts);
    out["backend_s"] = seconds_since(t1);
    out["load_total_s"] = seconds_since(t0);
    out["rss_after_load_gib"] = kib_field("VmRSS:") / (1024.0 * 1024.0);
    std::mt19937 rng(1);
    std::vector<int32_t> tokens(static_cast<size_t>(length));
    rb::rope::RopeSchedule s;
    const int64_t half = model.config.rotary_dim() / 2;
    for (int64_t i = 0; i < half; ++i)
      s.inv_freq.push_back(static_cast<float>(1.0 / std::pow(model.config.rope_theta, 2.0 * i / (2.0 * half))));
    for (int64_t t = 0; t < length; ++t) s.positions.push_back(static_cast<float>(t));
    std::vector<double> times;
    for (int64_t w = 0; w < windows; ++w) {
      for (int32_t& t : tokens) t = static_cast<int32_t>(rng() % model.config.vocab_size);
      const auto tw = std::chrono::steady_clock::now();
      const auto scores = backend->score({std::span<const int32_t>(tokens)}, s);
      times.push_back(seconds_since(tw));
      if (scores.at(0).logprob.size() != static_cast<size_t>(length - 1)) throw std::runtime_error("short scores");
    }
    std::vector<double> steady(times.begin() + 1, times.end());
    std::sort(steady.begin(), steady.end());
    out["model"] = model_dir;
    out["length"] = length;
    out["plan_ahead"] = plan_ahead;
    out["first_window_s"] = times.front();
    out["steady_window_s"] = steady[steady.size() / 2];
    out["window_s"] = times;
    out["device"] = dynamic_cast<rb::CudaBackend&>(*backend).describe();
  } catch (const std::exception& e) {
    out["error"] = e.what();
  }
  stop = true;
  sampler.join();
  out["peak_rss_gib"] = kib_field("VmHWM:") / (1024.0 * 1024.0);
  out["peak_anon_rss_gib"] = peak_anon.load() / (1024.0 * 1024.0);
  std::cout << out.dump() << std::endl;
  return out.contains("error") ? 1 : 0;
}
