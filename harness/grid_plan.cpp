#include "harness/grid_plan.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "datasets/source.hpp"
#include "datasets/windows.hpp"
#include "harness/grid_models.hpp"
#include "model_core/model.hpp"

namespace rb {

ModelSize model_size(const ModelConfig& c) {
  const int64_t h = c.hidden_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  const int64_t attention = h * q + 2 * h * kv + q * h;
  const int64_t mlp = 3 * h * c.intermediate_size;
  const int64_t embedding = c.vocab_size * h;
  ModelSize s;
  s.matmul_params = c.num_layers * (attention + mlp) + embedding;  // + the LM head
  s.params = embedding + c.num_layers * (attention + mlp + 2 * h) + h + (c.tie_word_embeddings ? 0 : embedding);
  if (c.attention_bias) s.params += c.num_layers * (q + 2 * kv);
  return s;
}

double forward_flops(const ModelConfig& c, int64_t length, int64_t windows) {
  const double L = static_cast<double>(length);
  // Attention: 4 FLOPs per query-key pair and feature (Q K^T and P V); a causal layer scores
  // L(L+1)/2 pairs, a sliding one (window W < L) W(W+1)/2 + (L - W) W, O(L * W).
  const auto pairs = [&](double window) {
    return window <= 0 || window >= L ? L * (L + 1) / 2 : window * (window + 1) / 2 + (L - window) * window;
  };
  const double sliding = static_cast<double>(c.sliding_layer_count());
  const double attention = 4.0 * static_cast<double>(c.hidden_size) *
                           ((static_cast<double>(c.num_layers) - sliding) * pairs(0) +
                            sliding * pairs(static_cast<double>(c.sliding_window)));
  const double per_window = 2.0 * static_cast<double>(model_size(c).matmul_params) * L + attention;
  return per_window * static_cast<double>(windows);
}

namespace {

std::filesystem::path cache_dir() {
  if (const char* dir = std::getenv("ROPEBATCH_CACHE")) return dir;
  if (const char* home = std::getenv("HOME")) return std::filesystem::path(home) / ".cache" / "ropebatch";
  return {};
}

bool per_document_for(const WindowSettings& w, bool source_default) {
  if (w.mode == "concatenated") return false;
  if (w.mode == "per-document") return true;
  return source_default;
}

}  // namespace

DatasetTokens tokenize_for_plan(const std::string& model_path, const std::string& dataset) {
  Model model = load_model(model_path, LoadOptions{.load_tokenizer = true, .load_weights = false});
  data::SourceOptions options;
  options.cache_dir = cache_dir();
  const data::Source source = data::load_source(dataset, options);
  DatasetTokens out{source.id, source.content_sha256, {}, source.per_document};
  for (const auto& doc : source.documents)
    out.document_lengths.push_back(model.tokenizer->encode_with_policy(doc, BosPolicy::Auto).size());
  return out;
}

int64_t forward_windows(const RunSpec& spec, int64_t windows) {
  if (std::find(spec.metrics.begin(), spec.metrics.end(), "passkey") != spec.metrics.end())
    windows += static_cast<int64_t>(spec.passkey.depths.size()) * spec.passkey.trials;
  return windows;
}

double run_cost(const RunSpec& spec, int64_t windows) {
  return forward_flops(grid_detail::grid_model_config(spec.model), spec.length, forward_windows(spec, windows));
}

Plan make_plan(const std::vector<RunSpec>& runs, bool tokenize) {
  Plan plan;
  plan.tokenized = tokenize;
  std::map<std::pair<std::string, std::string>, DatasetTokens> texts;
  for (const auto& spec : runs) {
    PlannedRun p{spec, {}, {}, {}, {}};
    if (tokenize) {
      const auto key = std::make_pair(spec.model, spec.dataset);
      auto it = texts.find(key);
      if (it == texts.end()) it = texts.emplace(key, tokenize_for_plan(spec.model, spec.dataset)).first;
      const DatasetTokens& text = it->second;
      data::WindowOptions w;
      w.length = static_cast<std::size_t>(spec.length);
      if (spec.windows.stride > 0) w.stride = static_cast<std::size_t>(spec.windows.stride);
      if (spec.windows.max_windows > 0) w.max_windows = static_cast<std::size_t>(spec.windows.max_windows);
      if (spec.windows.max_tokens > 0) w.max_tokens = static_cast<std::size_t>(spec.windows.max_tokens);
      w.per_document = per_document_for(spec.windows, text.per_document);
      const data::WindowPlan windows = data::plan_windows(text.document_lengths, w);
      p.windows = static_cast<int64_t>(windows.windows.size());
      p.predictions = static_cast<int64_t>(windows.scored_predictions);
      p.tokens = forward_windows(spec, *p.windows) * spec.length;
      p.flops = run_cost(spec, *p.windows);
    }
    plan.runs.push_back(std::move(p));
  }
  return plan;
}

std::string format_flops(double flops) {
  const char* units[] = {"FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP", "EFLOP"};
  int u = 0;
  while (flops >= 1000.0 && u < 6) {
    flops /= 1000.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g %s", flops, units[u]);
  return buf;
}

}  // namespace rb
