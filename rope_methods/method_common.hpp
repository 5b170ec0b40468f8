#pragma once
// Internal to rope_methods: what the method files share.
//  - Params: reads one method's JSON parameters, validates types and ranges, and rejects keys the
//    method does not know (with the nearest known key as a suggestion).
//  - MethodContext: the model's rotary settings after the JSON's own rope_theta /
//    partial_rotary_factor have been applied.
//  - torch_f32: the float32 arithmetic transformers' code performs, step by step, so that our
//    inv_freq equal what torch stores (see docs/ROPE_METHODS.md, "Numerics").
//  - one factory per method, defined in that method's file.
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rope_methods/rope_method.hpp"

namespace rb::rope::detail {

// Levenshtein distance, for "did you mean".
// The candidate nearest to `word` when it is plausibly a typo of it, else "".
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);
// Shortest round-trip text of a double ("4", "0.5", "1e-06").
std::string num(double v);

class Params {
 public:
  // `prefix` is the field path of this object ("rope." or "rope.base.").
  Params(const nlohmann::json& object, std::string method, std::string source, std::string prefix);

  const std::string& method() const { return method_; }
  bool has(const std::string& key) const;

  // Typed readers. Each call declares `key` as known to the method. A key that is absent or null
  // gives std::nullopt; a present value of the wrong type or a non-finite number throws.
  std::optional<double> number(const std::string& key, const std::string& allowed);
  std::optional<int64_t> integer(const std::string& key, const std::string& allowed);
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::vector<double>> number_list(const std::string& key, const std::string& allowed);
  std::optional<nlohmann::json> object(const std::string& key);

  // Required variants: absence is an error saying what the method needs.
  double required_number(const std::string& key, const std::string& allowed);
  int64_t required_integer(const std::string& key, const std::string& allowed);

  // A key the method accepts but does not use (listed by config() under "ignored").
  void ignore(const std::string& key);
  const std::vector<std::string>& ignored() const { return ignored_; }

  // Declares the keys the method accepts (besides rope_type/type/rope_theta/partial_rotary_factor).
  void declare(const std::vector<std::string>& keys);
  // Throws for the first key the method did not declare, suggesting the nearest declared one.
  void check_unknown_keys() const;

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;
  const std::string& source() const { return source_; }
  const std::string& prefix() const { return prefix_; }

 private:
  const nlohmann::json* lookup(const std::string& key);
  nlohmann::json object_;
  std::string method_, source_, prefix_;
  std::set<std::string> known_;
  std::vector<std::string> ignored_;
};

// Range checks whose message names the key, the value and what is allowed.
void require_at_least(const Params& p, const std::string& key, double value, double min);
void require_above(const Params& p, const std::string& key, double value, double min);

// The largest scaling factor a method accepts. Up to it, every fp32 quantity the methods compute
// stays a normal float for any rope_theta below 1e20 and any length below 1e7: inv_freq / factor
// (linear, yarn, llama3, compress), theta * factor^(d/(d-2)) with d >= 4 (ntk, dynamic) and
// factor * length (dynamic). Beyond it inv_freq underflows or overflows and the "perplexity" would
// be a number computed from zeros or infinities.
inline constexpr double kMaxRopeFactor = 1e6;
// value in [1, kMaxRopeFactor], else p.fail naming the bound.
void require_factor(const Params& p, const std::string& key, double value);

struct MethodContext {
  RopeModelInfo info;      // rope_theta / partial_rotary_factor as resolved from the JSON
  int64_t rotary_dim = 0;  // int(head_dim * partial_rotary_factor), even, >= 2
  std::string source;
};

// A method with a fixed name and resolved configuration.
class NamedMethod : public RopeMethod {
 public:
  NamedMethod(std::string name, nlohmann::json config) : name_(std::move(name)), config_(std::move(config)) {}
  std::string name() const override { return name_; }
  nlohmann::json config() const override { return config_; }

 private:
  std::string name_;
  nlohmann::json config_;
};

// A method whose numbers do not depend on the window length: identity positions, fixed inv_freq.
class StaticRope final : public NamedMethod {
 public:
  StaticRope(std::string name, nlohmann::json config, std::vector<float> inv_freq, float attention_scaling = 1.0f)
      : NamedMethod(std::move(name), std::move(config)), inv_freq_(std::move(inv_freq)),
        attention_scaling_(attention_scaling) {}
  RopeSchedule schedule(int64_t seq_len) const override;

 private:
  std::vector<float> inv_freq_;
  float attention_scaling_;
};

// The start of every config(): rope_type, rope_theta, rotary_dim, and the ignored keys if any.
nlohmann::json base_config(const std::string& type, const MethodContext& ctx, const Params& p);

// positions 0, 1, ..., seq_len-1 as float (what transformers' position_ids.float() gives).
std::vector<float> identity_positions(int64_t seq_len);
void check_seq_len(int64_t seq_len);  // seq_len >= 1, else rb::Error

namespace torch_f32 {
// torch: base ** (torch.arange(0, dim, 2).float() / dim) with a float32 base: powf(base, float(2i)/dim).
std::vector<float> pos_freqs(float base, int64_t dim);
// torch: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), i.e. reciprocal in float32 (times 1.0).
std::vector<float> inv_freq(float base, int64_t dim);
}  // namespace torch_f32

// Factories, one per method file.
using Factory = std::unique_ptr<RopeMethod> (*)(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_default(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_linear(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_dynamic(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_yarn(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_longrope(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_llama3(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_ntk(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_geometric(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_geo_100k(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_sigmoid(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_hybrid(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_random(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_compress(Params&, const MethodContext&);
std::unique_ptr<RopeMethod> make_qwen1(Params&, const MethodContext&);

// Builds the method named in `rope` (used by make_rope_method and by compress for its base).
std::unique_ptr<RopeMethod> build_method(const nlohmann::json& rope, const RopeModelInfo& info,
                                         const std::string& source, const std::string& prefix);

// sigmoid's band weight w_i = 1 / (1 + exp(-k (r_i - m))), r_i = i / (d/2 - 1); shared with hybrid.
double sigmoid_weight(int64_t i, int64_t half, double k, double m);

}  // namespace rb::rope::detail
