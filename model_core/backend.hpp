#pragma once
// The seam between model code and compute. A backend scores whole windows: given token ids and
// the RoPE schedule for this window length, it returns for each position t < L-1 the log-prob of
// token t+1 and whether that token is the argmax (the greedy choice). The CPU reference backend
// and the CUDA backend implement it; tensor parallelism is a backend that splits heads and MLP
// columns over a group of ranks. Nothing above this interface branches on the backend.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model_core/model.hpp"
#include "rope_methods/rope_method.hpp"

namespace rb {

struct WindowScores {
  std::vector<float> logprob;    // L-1 entries: log p(token[t+1] | token[0..t])
  std::vector<uint8_t> is_argmax;  // L-1 entries: 1 if token[t+1] is the argmax of the logits at t
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // All windows in one call have the same length L = schedule.positions.size().
  virtual std::vector<WindowScores> score(const std::vector<std::span<const int32_t>>& windows,
                                          const rope::RopeSchedule& schedule) = 0;
  // How many windows of length L the backend prefers to batch into one call.
  virtual int64_t preferred_batch(int64_t length) const { (void)length; return 1; }
};

struct BackendOptions {
  std::string kind = "cpu";  // "cpu" or "cuda"
  int threads = 0;           // CPU: 0 = all cores
  int device = -1;           // CUDA: -1 = local rank
};

// The Model must outlive the backend.
std::unique_ptr<Backend> make_backend(const Model& model, const BackendOptions& opts);
std::unique_ptr<Backend> make_cpu_backend(const Model& model, const BackendOptions& opts);

}  // namespace rb
