#pragma once
#include <functional>
#include <span>
// The seam between the harness and compute. A backend scores whole windows: given token ids and
// the RoPE schedule(s) for this window length, it returns for each position t < L-1 the log-prob of
// token t+1 and whether that token is the argmax (the greedy choice). Every backend is built from a
// ModelDef (the model definition, for one shard) and runs the one decoder loop of
// model_core/decoder over its own DecoderOps; nothing above this interface branches on the backend.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model_core/model.hpp"
#include "model_core/model_def/model_def.hpp"
#include "rope_methods/rope_method.hpp"

namespace rb {

class Communicator;

struct WindowScores {
  std::vector<float> logprob;    // L-1 entries: log p(token[t+1] | token[0..t])
  std::vector<uint8_t> is_argmax;  // L-1 entries: 1 if token[t+1] is the argmax of the logits at t
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // All windows in one call have the same length L = schedules.length(). `schedules` holds one
  // schedule per RoPE of the model (ModelConfig::rope_schedule_count: Gemma-3's layer types), in the
  // order of ModelConfig::rope_by_layer_type; a RopeSchedule converts for every other model.
  virtual std::vector<WindowScores> score(const std::vector<std::span<const int32_t>>& windows,
                                          const rope::RopeSchedules& schedules) = 0;
  // How many windows of length L the backend prefers to batch into one call.
  virtual int64_t preferred_batch(int64_t length) const { (void)length; return 1; }
};

// Windows of one length that a run will score, known before its backend loads the weights:
// `windows` in all (0: at least a full batch, preferred_batch(length)).
struct ExpectedScores {
  int64_t length = 0;
  int64_t windows = 0;
};

struct BackendOptions {
  std::string kind = "cpu";  // "cpu" or "cuda"
  int threads = 0;           // CPU: 0 = all cores
  int device = -1;           // CUDA: -1 = local rank
  ShardSpec shard;           // this rank's share of a tensor-parallel group; 0 of 1: the whole model
  // The group's collectives when shard.size > 1 (not owned; outlives the backend). The CPU backend
  // takes an MPI one (model_core/parallel); the CUDA backend runs a whole model only, for now.
  Communicator* tensor_parallel = nullptr;
  // CPU backend only: called in every layer of every window with Q [L, heads * head_dim] and
  // K [L, kv_heads * head_dim] as the projections (and q/k norms) left them, before RoPE
  // (Q-ROAR's tail diagnostics, harness/qroar_diagnostics.hpp).
  std::function<void(int64_t layer, std::span<const float> q, std::span<const float> k)> qk_probe;
  // The score() calls the run will make, where it knows them: the CUDA backend builds their cuDNN
  // attention plans on a second thread while it uploads the weights, so the first window of each
  // length does not wait for cuDNN's run-time kernel compile. Other backends ignore it; a length
  // not listed is planned at its first call.
  std::vector<ExpectedScores> expected;
};

// A window length's RoPE schedules (e.g. a model's RoPE methods at that length).
using SchedulesAt = std::function<rope::RopeSchedules(int64_t length)>;

// Windows of different lengths, each scored exactly as it would be alone, in as few backend calls
// as that allows: a window whose own schedules (schedules_at(its length)) are a prefix of the
// longest window's (rope::is_prefix_of) is padded at its end, by repeating its last token, to the
// longest length and scored in one call with the others; any other window is scored alone at its
// own length. Each result has the window's own length (L - 1 entries). What it saves on the GPU is
// a cuDNN plan per length and a forward per window (docs/PERFORMANCE.md, "Passkey samples").
std::vector<WindowScores> score_padded(Backend& backend, const std::vector<std::span<const int32_t>>& windows,
                                       const SchedulesAt& schedules_at);

// The Model must outlive the backend (its weights may be views into the model's mapped files).
std::unique_ptr<Backend> make_backend(const Model& model, const BackendOptions& opts);
std::unique_ptr<Backend> make_cpu_backend(const Model& model, const BackendOptions& opts);

}  // namespace rb
