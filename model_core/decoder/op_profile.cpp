#include "model_core/decoder/op_profile.hpp"

#include <numeric>

namespace rb {

std::string_view op_class_name(OpClass c) {
  static constexpr std::array<std::string_view, kOpClassCount> kNames = {
      "embedding", "norm",     "qkv_proj",  "qk_norm", "rope",    "attention", "o_proj", "bias",
      "all_reduce", "gate_up_proj", "gated_act", "down_proj", "dequant", "lm_head", "copies", "setup"};
  const int i = static_cast<int>(c);
  return i >= 0 && i < kOpClassCount ? kNames[static_cast<size_t>(i)] : std::string_view("?");
}

double OpTimes::total_ms() const { return std::accumulate(ms.begin(), ms.end(), 0.0); }

namespace {
OpClass class_of(Proj p) {
  switch (p) {
    case Proj::QKV: return OpClass::QkvProj;
    case Proj::O: return OpClass::OProj;
    case Proj::GateUp: return OpClass::GateUpProj;
    case Proj::Down: return OpClass::DownProj;
  }
  return OpClass::QkvProj;
}
}  // namespace

void TimedDecoderOps::embedding() { inner_.embedding(); timer_.mark(OpClass::Embedding); }
void TimedDecoderOps::rms_norm(int64_t layer, TensorRole role) { inner_.rms_norm(layer, role); timer_.mark(OpClass::Norm); }
void TimedDecoderOps::add_rms_norm(int64_t layer, TensorRole role) {
  inner_.add_rms_norm(layer, role);
  timer_.mark(OpClass::Norm);
}
void TimedDecoderOps::norm_output(int64_t layer, TensorRole role, RowRange rows) {
  inner_.norm_output(layer, role, rows);
  timer_.mark(OpClass::Norm);
}
void TimedDecoderOps::linear(int64_t layer, Proj p, RowRange rows) {
  inner_.linear(layer, p, rows);
  timer_.mark(class_of(p));
}
void TimedDecoderOps::add_bias(int64_t layer, TensorRole role, Act out, RowRange rows) {
  inner_.add_bias(layer, role, out, rows);
  timer_.mark(OpClass::Bias);
}
void TimedDecoderOps::qk_norm(int64_t layer) { inner_.qk_norm(layer); timer_.mark(OpClass::QkNorm); }
void TimedDecoderOps::rope(int64_t schedule) { inner_.rope(schedule); timer_.mark(OpClass::Rope); }
void TimedDecoderOps::attention(int64_t window) { inner_.attention(window); timer_.mark(OpClass::Attention); }
void TimedDecoderOps::gated_act(RowRange rows) { inner_.gated_act(rows); timer_.mark(OpClass::GatedAct); }
void TimedDecoderOps::all_reduce_sum(Act a, RowRange rows) {
  inner_.all_reduce_sum(a, rows);
  timer_.mark(OpClass::AllReduce);
}
void TimedDecoderOps::lm_head_logprob() { inner_.lm_head_logprob(); timer_.mark(OpClass::LmHead); }

}  // namespace rb
