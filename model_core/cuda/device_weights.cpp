#include "model_core/cuda/device_weights.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "common/error.hpp"
#include "model_core/cuda/kernels.hpp"

namespace rb::cuda {
namespace {

enum class Kind { Matrix, Norm, Bias };

constexpr std::size_t align256(std::size_t bytes) { return (bytes + 255) / 256 * 256; }

// NF4 code book (bitsandbytes functional.py get_4bit_type("nf4")), for synthetic weights.
constexpr std::array<float, 16> kNf4 = {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
                                        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
                                        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f,
                                        0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
                                        0.7229568362236023f, 1.0f};

// Where one 4-bit part lives in the packed allocation (bytes), and its shape.
struct PackedPart {
  std::size_t codes = 0, scale = 0, zero = 0, bias = 0, g_idx = 0, end = 0;
  bool has_zero = false, has_bias = false, has_g_idx = false;
  int64_t groups = 0;
};

// One device tensor: its place in the allocations and the host tensors stacked in it.
struct Slot {
  std::string name;
  Kind kind = Kind::Matrix;
  int64_t cols = 0;
  std::size_t offset = 0;   // elements into the T storage (its full-precision parts)
  struct Part {
    const HostTensor* tensor;  // null for random weights
    std::string name;
    int64_t rows;
    bool packed = false;
    PackedPart where;
  };
  std::vector<Part> parts;
  bool any_packed() const {
    return std::any_of(parts.begin(), parts.end(), [](const Part& p) { return p.packed; });
  }
};

struct Layout {
  std::vector<Slot> slots;
  std::size_t total = 0;         // T elements
  std::size_t packed_bytes = 0;  // bytes of the 4-bit allocation
  bool tied = false;
};

PackedPart place_packed(Layout& L, int64_t rows, int64_t cols, int64_t groups, bool zero, bool bias, bool g_idx) {
  PackedPart p;
  p.groups = groups;
  auto take = [&](std::size_t bytes) {
    const std::size_t at = L.packed_bytes;
    L.packed_bytes += align256(bytes);
    return at;
  };
  p.codes = take(static_cast<std::size_t>(rows * ((cols + 1) / 2)));
  p.scale = take(groups * sizeof(float));
  p.has_zero = zero;
  p.has_bias = bias;
  p.has_g_idx = g_idx;
  if (zero) p.zero = take(groups * sizeof(float));
  if (bias) p.bias = take(groups * sizeof(float));
  if (g_idx) p.g_idx = take(cols * sizeof(int32_t));
  p.end = L.packed_bytes;
  return p;
}

// Every tensor the forward reads, in a fixed order; `w` (nullable) supplies host tensors; `rq`
// (nullable, only without `w`) makes every layer projection 4-bit (embeddings and LM head stay T).
Layout make_layout(const ModelConfig& c, const ModelWeights* w, const RandomQuant* rq) {
  if (c.mlp_bias) throw Error("CUDA backend: mlp_bias models are not supported");
  const int64_t H = c.num_heads, KV = c.num_kv_heads, D = c.head_dim, hid = c.hidden_size, ff = c.intermediate_size;
  Layout L;
  L.tied = c.tie_word_embeddings;
  if (w) L.tied = &w->lm_head(c) == &w->embed_tokens();
  using Part = Slot::Part;
  auto add = [&](std::string name, Kind kind, int64_t cols, std::vector<Part> parts, bool projection = false) {
    Slot s{std::move(name), kind, cols, L.total, std::move(parts)};
    int64_t dense = 0;
    for (Part& p : s.parts) {
      const quant::QuantizedMatrix* q = p.tensor && p.tensor->is_packed() ? p.tensor->packed.get() : nullptr;
      if (q) {
        p.packed = true;
        p.where = place_packed(L, q->rows, q->cols, q->groups(), !q->zero.empty(), !q->bias.empty(), !q->g_idx.empty());
      } else if (!w && rq && projection) {
        p.packed = true;
        p.where = place_packed(L, p.rows, cols, p.rows * cols / rq->group_size, !rq->nf4, false, false);
      } else {
        dense += p.rows * cols;
      }
    }
    L.total += (static_cast<std::size_t>(dense) + 127) / 128 * 128;  // 256-byte aligned starts
    L.slots.push_back(std::move(s));
  };
  auto one = [&](const HostTensor* t, const std::string& name, int64_t rows) { return std::vector<Part>{{t, name, rows}}; };
  add("model.embed_tokens.weight", Kind::Matrix, hid, one(w ? &w->embed_tokens() : nullptr, "model.embed_tokens.weight", c.vocab_size));
  if (!L.tied) add("lm_head.weight", Kind::Matrix, hid, one(w ? &w->lm_head(c) : nullptr, "lm_head.weight", c.vocab_size));
  add("model.norm.weight", Kind::Norm, hid, one(w ? &w->final_norm() : nullptr, "model.norm.weight", 1));
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerWeights lw{};
    if (w) lw = w->layer(c, i);
    add(p + "input_layernorm.weight", Kind::Norm, hid, one(lw.input_norm, p + "input_layernorm.weight", 1));
    add(p + "self_attn.qkv", Kind::Matrix, hid,
        {{lw.q_proj, p + "self_attn.q_proj.weight", H * D},
         {lw.k_proj, p + "self_attn.k_proj.weight", KV * D},
         {lw.v_proj, p + "self_attn.v_proj.weight", KV * D}},
        true);
    if (c.attention_bias)
      add(p + "self_attn.qkv_bias", Kind::Bias, 1,
          {{lw.q_bias, p + "self_attn.q_proj.bias", H * D},
           {lw.k_bias, p + "self_attn.k_proj.bias", KV * D},
           {lw.v_bias, p + "self_attn.v_proj.bias", KV * D}});
    add(p + "self_attn.o_proj.weight", Kind::Matrix, H * D, one(lw.o_proj, p + "self_attn.o_proj.weight", hid), true);
    add(p + "post_attention_layernorm.weight", Kind::Norm, hid, one(lw.post_norm, p + "post_attention_layernorm.weight", 1));
    add(p + "mlp.gate_up", Kind::Matrix, hid,
        {{lw.gate_proj, p + "mlp.gate_proj.weight", ff}, {lw.up_proj, p + "mlp.up_proj.weight", ff}}, true);
    add(p + "mlp.down_proj.weight", Kind::Matrix, ff, one(lw.down_proj, p + "mlp.down_proj.weight", hid), true);
  }
  return L;
}

QuantView view_of(const PackedPart& at, const uint8_t* base, int64_t rows, int64_t cols, const std::array<float, 16>& table,
                  int64_t group_size, int64_t g_idx_groups, bool round_fp16) {
  QuantView v;
  v.codes = base + at.codes;
  v.scale = reinterpret_cast<const float*>(base + at.scale);
  v.zero = at.has_zero ? reinterpret_cast<const float*>(base + at.zero) : nullptr;
  v.bias = at.has_bias ? reinterpret_cast<const float*>(base + at.bias) : nullptr;
  v.g_idx = at.has_g_idx ? reinterpret_cast<const int32_t*>(base + at.g_idx) : nullptr;
  std::copy(table.begin(), table.end(), v.table);
  v.rows = rows;
  v.cols = cols;
  v.group_size = group_size;
  v.groups_per_row = at.has_g_idx ? g_idx_groups : (group_size > 0 && cols % group_size == 0 ? cols / group_size : 0);
  v.round_to_fp16 = round_fp16;
  return v;
}

// `view(part)` gives the QuantView of a 4-bit part.
template <typename T, typename ViewFn>
DeviceWeights<T> bind(const ModelConfig& c, const Layout& L, DeviceBuffer<T> storage, DeviceBuffer<uint8_t> packed,
                      ViewFn view) {
  DeviceWeights<T> dw;
  dw.storage = std::move(storage);
  dw.packed = std::move(packed);
  const T* base = dw.storage.get();
  std::size_t k = 0;
  auto next_slot = [&]() -> const Slot& { return L.slots.at(k++); };
  auto next = [&]() { return base + next_slot().offset; };
  auto matrix = [&](int64_t* max_elems) {
    const Slot& s = next_slot();
    DeviceMatrix<T> m;
    m.cols = s.cols;
    for (const Slot::Part& p : s.parts) m.rows += p.rows;
    if (!s.any_packed()) {
      m.dense = base + s.offset;
      return m;
    }
    const T* dense = base + s.offset;
    for (const Slot::Part& p : s.parts) {
      typename DeviceMatrix<T>::Part part;
      part.rows = p.rows;
      if (p.packed) {
        part.quant = view(p, s.cols);
      } else {
        part.dense = dense;
        dense += p.rows * s.cols;
      }
      m.parts.push_back(part);
    }
    *max_elems = std::max(*max_elems, m.rows * m.cols);
    return m;
  };
  dw.embed = next();
  dw.lm_head = L.tied ? dw.embed : next();
  dw.final_norm = next();
  for (int64_t i = 0; i < c.num_layers; ++i) {
    DeviceLayer<T> d;
    d.input_norm = next();
    d.qkv = matrix(&dw.max_packed_elems);
    if (c.attention_bias) d.qkv_bias = next();
    d.o = matrix(&dw.max_packed_elems);
    d.post_norm = next();
    d.gate_up = matrix(&dw.max_packed_elems);
    d.down = matrix(&dw.max_packed_down_elems);
    dw.layers.push_back(std::move(d));
  }
  return dw;
}

void upload_packed(const quant::QuantizedMatrix& q, const PackedPart& at, uint8_t* dst, cudaStream_t stream) {
  auto put = [&](std::size_t offset, const void* src, std::size_t bytes) {
    if (bytes) CUDA_CHECK(cudaMemcpyAsync(dst + offset, src, bytes, cudaMemcpyHostToDevice, stream));
  };
  put(at.codes, q.codes.data(), q.codes.size());
  put(at.scale, q.scale.data(), q.scale.size() * sizeof(float));
  if (at.has_zero) put(at.zero, q.zero.data(), q.zero.size() * sizeof(float));
  if (at.has_bias) put(at.bias, q.bias.data(), q.bias.size() * sizeof(float));
  if (at.has_g_idx) put(at.g_idx, q.g_idx.data(), q.g_idx.size() * sizeof(int32_t));
  CUDA_CHECK(cudaStreamSynchronize(stream));  // host vectors are the caller's
}

}  // namespace

std::size_t device_weight_bytes(const ModelConfig& c, std::size_t elem_size, const ModelWeights* w, const RandomQuant* rq) {
  const Layout L = make_layout(c, w, w ? nullptr : rq);
  return L.total * elem_size + L.packed_bytes;
}

template <typename T>
DeviceWeights<T> upload_weights(const ModelConfig& c, const ModelWeights& w, cudaStream_t stream) {
  const Layout L = make_layout(c, &w, nullptr);
  DeviceBuffer<T> storage(L.total);
  DeviceBuffer<uint8_t> packed(L.packed_bytes);
  const int64_t staging_elems = int64_t{1} << 24;  // 64 MiB of fp32 staging
  DeviceBuffer<float> staging(staging_elems);
  for (const Slot& s : L.slots) {
    T* dst = storage.get() + s.offset;
    for (const Slot::Part& p : s.parts) {
      if (!p.tensor) throw InputError(w.source, p.name, "missing (required by the CUDA backend)");
      const int64_t numel = p.rows * s.cols;
      if (p.tensor->numel() != numel || p.tensor->stored_values() != numel)
        throw InputError(w.source, p.name,
                         "expected " + std::to_string(numel) + " elements, found " + std::to_string(p.tensor->numel()));
      if (p.packed) {
        p.tensor->packed->validate(w.source + ": " + p.name);
        upload_packed(*p.tensor->packed, p.where, packed.get(), stream);
        continue;
      }
      for (int64_t i = 0; i < numel; i += staging_elems) {
        const int64_t n = std::min(staging_elems, numel - i);
        CUDA_CHECK(cudaMemcpyAsync(staging.get(), p.tensor->data.data() + i, n * sizeof(float), cudaMemcpyHostToDevice,
                                   stream));
        convert_from_f32<T>(staging.get(), dst + i, n, stream);
        CUDA_CHECK(cudaStreamSynchronize(stream));  // staging is reused by the next chunk
      }
      dst += numel;
    }
  }
  const uint8_t* base = packed.get();
  return bind<T>(c, L, std::move(storage), std::move(packed), [&](const Slot::Part& p, int64_t cols) {
    const quant::QuantizedMatrix& q = *p.tensor->packed;
    return view_of(p.where, base, q.rows, cols, q.table, q.group_size, q.g_idx_groups, q.round_to_fp16);
  });
}

template <typename T>
DeviceWeights<T> random_weights(const ModelConfig& c, uint64_t seed, cudaStream_t stream, const RandomQuant* rq) {
  const Layout L = make_layout(c, nullptr, rq);
  DeviceBuffer<T> storage(L.total);
  DeviceBuffer<uint8_t> packed(L.packed_bytes);
  const float bound = 0.02f * std::sqrt(3.0f);  // uniform(-b, b) has std 0.02
  std::array<float, 16> table{};
  for (int i = 0; i < 16; ++i) table[i] = rq && rq->nf4 ? kNf4[i] : static_cast<float>(i);
  // Scales: NF4 values lie in [-1, 1], so absmax = bound; int4 (q - 8) * s spans [-8s, 7s].
  const float scale = rq && rq->nf4 ? bound : bound / 8.0f;
  std::vector<float> host_params;
  for (std::size_t k = 0; k < L.slots.size(); ++k) {
    const Slot& s = L.slots[k];
    T* dst = storage.get() + s.offset;
    int64_t dense_elems = 0;
    for (std::size_t j = 0; j < s.parts.size(); ++j) {
      const Slot::Part& p = s.parts[j];
      if (!p.packed) {
        dense_elems += p.rows * s.cols;
        continue;
      }
      fill_random_bytes(packed.get() + p.where.codes, p.rows * ((s.cols + 1) / 2), (seed * 1000003ull + k) * 8 + j,
                        stream);
      host_params.assign(static_cast<std::size_t>(p.where.groups), scale);
      CUDA_CHECK(cudaMemcpyAsync(packed.get() + p.where.scale, host_params.data(), host_params.size() * sizeof(float),
                                 cudaMemcpyHostToDevice, stream));
      CUDA_CHECK(cudaStreamSynchronize(stream));
      if (p.where.has_zero) {
        host_params.assign(static_cast<std::size_t>(p.where.groups), 8.0f);
        CUDA_CHECK(cudaMemcpyAsync(packed.get() + p.where.zero, host_params.data(), host_params.size() * sizeof(float),
                                   cudaMemcpyHostToDevice, stream));
        CUDA_CHECK(cudaStreamSynchronize(stream));
      }
    }
    if (s.kind == Kind::Norm)
      fill_value<T>(dst, dense_elems, 1.0f, stream);
    else
      fill_uniform<T>(dst, dense_elems, seed * 1000003ull + k, bound, stream);
  }
  CUDA_CHECK(cudaStreamSynchronize(stream));
  const uint8_t* base = packed.get();
  const int64_t group = rq ? rq->group_size : 0;
  return bind<T>(c, L, std::move(storage), std::move(packed), [&](const Slot::Part& p, int64_t cols) {
    return view_of(p.where, base, p.rows, cols, table, group, 0, false);
  });
}

template DeviceWeights<__nv_bfloat16> upload_weights<__nv_bfloat16>(const ModelConfig&, const ModelWeights&, cudaStream_t);
template DeviceWeights<__half> upload_weights<__half>(const ModelConfig&, const ModelWeights&, cudaStream_t);
template DeviceWeights<__nv_bfloat16> random_weights<__nv_bfloat16>(const ModelConfig&, uint64_t, cudaStream_t,
                                                                    const RandomQuant*);
template DeviceWeights<__half> random_weights<__half>(const ModelConfig&, uint64_t, cudaStream_t, const RandomQuant*);

}  // namespace rb::cuda
