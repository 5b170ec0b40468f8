// Shared pieces of rope_methods: parameter reading and validation, "did you mean", and the
// float32 building blocks of transformers' inverse-frequency code.
#include "rope_methods/method_common.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/error.hpp"
#include "common/suggest.hpp"

namespace rb::rope::detail {

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  return rb::nearest_name(word, candidates);
}

std::string num(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}

Params::Params(const nlohmann::json& object, std::string method, std::string source, std::string prefix)
    : object_(object), method_(std::move(method)), source_(std::move(source)), prefix_(std::move(prefix)) {
  // Keys every method understands (handled by build_method before the factory runs).
  known_ = {"rope_type", "type", "rope_theta", "partial_rotary_factor"};
}

bool Params::has(const std::string& key) const {
  return object_.is_object() && object_.contains(key) && !object_.at(key).is_null();
}

const nlohmann::json* Params::lookup(const std::string& key) {
  known_.insert(key);
  if (!has(key)) return nullptr;
  return &object_.at(key);
}

void Params::fail(const std::string& key, const std::string& problem) const {
  throw rb::InputError(source_, prefix_ + key, problem);
}

std::optional<double> Params::number(const std::string& key, const std::string& allowed) {
  const nlohmann::json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) fail(key, "must be a number, got " + v->dump() + "; allowed: " + allowed);
  double d = v->get<double>();
  if (!std::isfinite(d)) fail(key, "must be finite, got " + num(d) + "; allowed: " + allowed);
  return d;
}

std::optional<int64_t> Params::integer(const std::string& key, const std::string& allowed) {
  const nlohmann::json* v = lookup(key);
  if (!v) return std::nullopt;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float()) {
    double d = v->get<double>();
    // 4096.0 is accepted as 4096 (configs written by Python sometimes carry floats).
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<int64_t>(d);
  }
  fail(key, "must be an integer, got " + v->dump() + "; allowed: " + allowed);
}

std::optional<bool> Params::boolean(const std::string& key) {
  const nlohmann::json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) fail(key, "must be true or false, got " + v->dump() + "; allowed: true, false");
  return v->get<bool>();
}

std::optional<std::vector<double>> Params::number_list(const std::string& key, const std::string& allowed) {
  const nlohmann::json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_array()) fail(key, "must be a list of numbers, got " + v->dump() + "; allowed: " + allowed);
  std::vector<double> out;
  out.reserve(v->size());
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& e = (*v)[i];
    if (!e.is_number() || !std::isfinite(e.get<double>()))
      fail(key, "element " + std::to_string(i) + " must be a finite number, got " + e.dump() + "; allowed: " + allowed);
    out.push_back(e.get<double>());
  }
  return out;
}

std::optional<nlohmann::json> Params::object(const std::string& key) {
  const nlohmann::json* v = lookup(key);
  if (!v) return std::nullopt;
  if (!v->is_object())
    fail(key, "must be an object such as {\"rope_type\": \"yarn\", \"factor\": 4}, got " + v->dump());
  return *v;
}

double Params::required_number(const std::string& key, const std::string& allowed) {
  auto v = number(key, allowed);
  if (!v) fail(key, "missing: " + method_ + " needs it; allowed: " + allowed);
  return *v;
}

int64_t Params::required_integer(const std::string& key, const std::string& allowed) {
  auto v = integer(key, allowed);
  if (!v) fail(key, "missing: " + method_ + " needs it; allowed: " + allowed);
  return *v;
}

void Params::ignore(const std::string& key) {
  known_.insert(key);
  if (object_.is_object() && object_.contains(key)) ignored_.push_back(key);
}

void Params::declare(const std::vector<std::string>& keys) { known_.insert(keys.begin(), keys.end()); }

void Params::check_unknown_keys() const {
  if (!object_.is_object()) return;
  const std::vector<std::string> known(known_.begin(), known_.end());
  std::string allowed;
  for (const auto& k : known)
    if (k != "type") allowed += (allowed.empty() ? "" : ", ") + k;
  for (const auto& [key, value] : object_.items()) {
    if (known_.count(key)) continue;
    if (key == "mrope_section" || key == "mrope_interleaved")
      fail(key, "multimodal RoPE (M-RoPE) is not supported; allowed keys for " + method_ + ": " + allowed);
    const std::string suggestion = nearest(key, known);
    fail(key, "unknown parameter for " + method_ + (suggestion.empty() ? "" : " (did you mean \"" + suggestion + "\"?)") +
                  "; allowed: " + allowed);
  }
}

void require_at_least(const Params& p, const std::string& key, double value, double min) {
  if (!(value >= min)) p.fail(key, num(value) + " is below " + num(min) + "; allowed: a number >= " + num(min));
}

void require_factor(const Params& p, const std::string& key, double value) {
  require_at_least(p, key, value, 1.0);
  if (value > kMaxRopeFactor)
    p.fail(key, num(value) + " is above " + num(kMaxRopeFactor) +
                    ", the largest factor whose fp32 inverse frequencies stay representable; allowed: a number in [1, " +
                    num(kMaxRopeFactor) + "]");
}

void require_above(const Params& p, const std::string& key, double value, double min) {
  if (!(value > min)) p.fail(key, num(value) + " is not above " + num(min) + "; allowed: a number > " + num(min));
}

nlohmann::json base_config(const std::string& type, const MethodContext& ctx, const Params& p) {
  nlohmann::json c;
  c["rope_type"] = type;
  c["rope_theta"] = ctx.info.rope_theta;
  c["rotary_dim"] = ctx.rotary_dim;
  if (!p.ignored().empty()) c["ignored"] = p.ignored();
  return c;
}

RopeSchedule StaticRope::schedule(int64_t seq_len) const {
  check_seq_len(seq_len);
  RopeSchedule s;
  s.inv_freq = inv_freq_;
  s.attention_scaling = attention_scaling_;
  s.positions = identity_positions(seq_len);
  return s;
}

std::vector<float> identity_positions(int64_t seq_len) {
  std::vector<float> positions(static_cast<std::size_t>(seq_len));
  for (int64_t t = 0; t < seq_len; ++t) positions[static_cast<std::size_t>(t)] = static_cast<float>(t);
  return positions;
}

void check_seq_len(int64_t seq_len) {
  if (seq_len < 1) throw rb::Error("RoPE schedule: seq_len must be >= 1, got " + std::to_string(seq_len));
}

namespace torch_f32 {

std::vector<float> pos_freqs(float base, int64_t dim) {
  std::vector<float> out;
  out.reserve(static_cast<std::size_t>(dim / 2));
  const float fdim = static_cast<float>(dim);
  for (int64_t i = 0; i < dim; i += 2) {
    const float exponent = static_cast<float>(i) / fdim;  // arange(...).float() / dim, in float32
    out.push_back(std::pow(base, exponent));              // float overload: powf
  }
  return out;
}

std::vector<float> inv_freq(float base, int64_t dim) {
  std::vector<float> out = pos_freqs(base, dim);
  for (float& v : out) v = 1.0f / v;  // Tensor.__rtruediv__: reciprocal() * 1.0
  return out;
}

}  // namespace torch_f32

double sigmoid_weight(int64_t i, int64_t half, double k, double m) {
  const double r = static_cast<double>(i) / static_cast<double>(half - 1);
  return 1.0 / (1.0 + std::exp(-k * (r - m)));
}

}  // namespace rb::rope::detail
