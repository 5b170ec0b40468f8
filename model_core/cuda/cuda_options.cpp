#include "model_core/cuda/cuda_options.hpp"

#include <cstdlib>
#include <string>

#include "common/error.hpp"

namespace rb::cuda {
namespace {
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// A 0/1 switch; unset is 0.
bool flag(const char* name) {
  const std::string v = env(name);
  if (v.empty() || v == "0") return false;
  if (v == "1") return true;
  throw InputError(name, "", "must be 0 or 1, got '" + v + "'");
}
int64_t positive(const char* name, const std::string& v) {
  char* end = nullptr;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  if (!end || *end != '\0' || n < 1) throw InputError(name, "", "must be a positive integer, got '" + v + "'");
  return n;
}
}  // namespace

CudaOptions cuda_options_from_env() {
  CudaOptions o;
  if (const std::string v = env("RB_CUDA_DTYPE"); !v.empty()) {
    if (v == "bf16" || v == "bfloat16") o.dtype = DTypeChoice::BF16;
    else if (v == "fp16" || v == "float16" || v == "half") o.dtype = DTypeChoice::FP16;
    else throw InputError("RB_CUDA_DTYPE", "", "must be bf16 or fp16, got '" + v + "'");
  }
  if (const std::string v = env("RB_CUDA_RESIDUAL"); !v.empty()) {
    if (v == "bf16" || v == "fp16" || v == "hf") o.hf_rounding = true;
    else if (v == "fp32") o.hf_rounding = false;
    else throw InputError("RB_CUDA_RESIDUAL", "", "must be bf16 (as transformers) or fp32, got '" + v + "'");
  }
  if (const std::string v = env("RB_CUDA_ATTN"); !v.empty()) {
    if (v == "auto") o.attention = AttnChoice::Auto;
    else if (v == "fa3") o.attention = AttnChoice::Fa3;
    else if (v == "cudnn") o.attention = AttnChoice::Cudnn;
    else if (v == "tc" || v == "tensor-core") o.attention = AttnChoice::TensorCore;
    else if (v == "simple") o.attention = AttnChoice::Simple;
    else throw InputError("RB_CUDA_ATTN", "", "must be auto, fa3, cudnn, tc or simple, got '" + v + "'");
  }
  o.attention_log = flag("RB_CUDA_ATTN_LOG");
  if (const std::string v = env("RB_CUDA_GEMM"); !v.empty()) {
    if (v == "cublas") o.gemm = GemmChoice::Cublas;
    else if (v == "lt") o.gemm = GemmChoice::Lt;
    else if (v == "tuned") o.gemm = GemmChoice::Tuned;
    else throw InputError("RB_CUDA_GEMM", "", "must be cublas, lt or tuned, got '" + v + "'");
  }
  o.gemm_log = flag("RB_CUDA_GEMM_LOG");
  if (const std::string v = env("RB_CUDA_BATCH_TOKENS"); !v.empty()) o.batch_tokens = positive("RB_CUDA_BATCH_TOKENS", v);
  if (const std::string v = env("RB_CUDA_MLP_ROWS"); !v.empty()) o.mlp_rows = positive("RB_CUDA_MLP_ROWS", v);
  if (const std::string v = env("RB_CUDA_LM_ROWS"); !v.empty()) o.lm_rows = positive("RB_CUDA_LM_ROWS", v);
  if (!env("RB_CUDA_GLU_TABLE").empty()) o.glu_table = flag("RB_CUDA_GLU_TABLE");
  return o;
}

std::string describe(const CudaOptions& o) {
  std::string s = o.dtype == DTypeChoice::BF16 ? "bf16" : "fp16";
  s += o.hf_rounding ? ", residual in activation dtype" : ", residual fp32";
  switch (o.attention) {
    case AttnChoice::Auto: s += ", attention auto"; break;
    case AttnChoice::Fa3: s += ", attention fa3"; break;
    case AttnChoice::Cudnn: s += ", attention cudnn"; break;
    case AttnChoice::TensorCore: s += ", attention tc"; break;
    case AttnChoice::Simple: s += ", attention simple"; break;
  }
  if (o.gemm != GemmChoice::Cublas) s += ", gemm " + to_string(o.gemm);
  if (o.mlp_rows > 0) s += ", MLP rows " + std::to_string(o.mlp_rows);
  if (o.lm_rows > 0) s += ", LM head rows " + std::to_string(o.lm_rows);
  if (!o.glu_table && o.hf_rounding) s += ", activation computed";
  return s;
}

}  // namespace rb::cuda
