#include "model_core/cuda/device_weights.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>

#include <sys/mman.h>
#include <unistd.h>

#include "common/error.hpp"
#include "model_core/cuda/kernels.hpp"

namespace rb::cuda {
namespace {

enum class Kind { Matrix, Norm, Bias };
// What a slot is in DeviceWeights / DeviceLayer.
enum class Key {
  Embed, LmHead, FinalNorm, InputNorm, Qkv, QkvBias, QNorm, KNorm, O, OBias, PostAttnNorm, PostNorm, GateUp, GateUpBias,
  Down, DownBias, PostMlpNorm
};

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
  Key key = Key::Embed;
  int64_t layer = -1;
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

// Every tensor the forward reads, in a fixed order; `def` (nullable) supplies host tensors; `rq`
// (nullable, only without `def`) makes every layer projection 4-bit (embeddings and LM head stay T).
Layout make_layout(const ModelConfig& c, const ModelDef* def, const RandomQuant* rq) {
  using R = TensorRole;
  const int64_t H = def ? def->dims().heads : c.num_heads, KV = def ? def->dims().kv_heads : c.num_kv_heads;
  const int64_t D = c.head_dim, hid = c.hidden_size, ff = def ? def->dims().intermediate : c.intermediate_size;
  const int64_t vocab = def ? def->dims().vocab : c.vocab_size;
  Layout L;
  L.tied = def ? def->global(R::LmHead) == def->global(R::TokenEmbedding) : c.tie_word_embeddings;
  using Part = Slot::Part;
  auto add = [&](Key key, int64_t layer, std::string name, Kind kind, int64_t cols, std::vector<Part> parts,
                 bool projection = false) {
    Slot s{std::move(name), kind, key, layer, cols, L.total, std::move(parts)};
    int64_t dense = 0;
    for (Part& p : s.parts) {
      const quant::QuantizedMatrix* q = p.tensor && p.tensor->is_packed() ? p.tensor->packed.get() : nullptr;
      if (q) {
        p.packed = true;
        p.where = place_packed(L, q->rows, q->cols, q->groups(), !q->zero.empty(), !q->bias.empty(), !q->g_idx.empty());
      } else if (!def && rq && projection) {
        p.packed = true;
        p.where = place_packed(L, p.rows, cols, p.rows * cols / rq->group_size, !rq->nf4, false, false);
      } else {
        dense += p.rows * cols;
      }
    }
    L.total += (static_cast<std::size_t>(dense) + 127) / 128 * 128;  // 256-byte aligned starts
    L.slots.push_back(std::move(s));
  };
  auto global = [&](R role) { return def ? def->global(role) : nullptr; };
  auto at = [&](int64_t i, R role) { return def ? def->layer(i, role) : nullptr; };
  auto name = [&](int64_t i, R role) { return def ? def->name(i, role) : std::string(role_name(role)); };
  auto one = [&](const HostTensor* t, std::string n, int64_t rows) { return std::vector<Part>{{t, std::move(n), rows}}; };
  add(Key::Embed, -1, "model.embed_tokens.weight", Kind::Matrix, hid,
      one(global(R::TokenEmbedding), name(0, R::TokenEmbedding), def ? c.vocab_size : c.vocab_size));
  if (!L.tied) add(Key::LmHead, -1, "lm_head.weight", Kind::Matrix, hid, one(global(R::LmHead), name(0, R::LmHead), vocab));
  add(Key::FinalNorm, -1, "model.norm.weight", Kind::Norm, hid, one(global(R::FinalNorm), name(0, R::FinalNorm), 1));
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    // With a ModelDef, a bias slot exists when the model has the tensor; random weights have the
    // q/k/v bias of attention_bias models only.
    const bool qkv_bias = def ? at(i, R::QBias) != nullptr : c.attention_bias;
    add(Key::InputNorm, i, p + "input_layernorm.weight", Kind::Norm, hid, one(at(i, R::AttnNorm), name(i, R::AttnNorm), 1));
    add(Key::Qkv, i, p + "self_attn.qkv", Kind::Matrix, hid,
        {{at(i, R::Q), name(i, R::Q), H * D}, {at(i, R::K), name(i, R::K), KV * D}, {at(i, R::V), name(i, R::V), KV * D}},
        true);
    if (qkv_bias)
      add(Key::QkvBias, i, p + "self_attn.qkv_bias", Kind::Bias, 1,
          {{at(i, R::QBias), name(i, R::QBias), H * D},
           {at(i, R::KBias), name(i, R::KBias), KV * D},
           {at(i, R::VBias), name(i, R::VBias), KV * D}});
    if (def ? at(i, R::QNorm) != nullptr : c.qk_norm) {  // Qwen3, Gemma-3: [head_dim] each
      add(Key::QNorm, i, name(i, R::QNorm), Kind::Norm, D, one(at(i, R::QNorm), name(i, R::QNorm), 1));
      add(Key::KNorm, i, name(i, R::KNorm), Kind::Norm, D, one(at(i, R::KNorm), name(i, R::KNorm), 1));
    }
    add(Key::O, i, p + "self_attn.o_proj.weight", Kind::Matrix, H * D, one(at(i, R::O), name(i, R::O), hid), true);
    if (at(i, R::OBias)) add(Key::OBias, i, name(i, R::OBias), Kind::Bias, 1, one(at(i, R::OBias), name(i, R::OBias), hid));
    const bool sandwich = def ? at(i, R::PostAttnNorm) != nullptr : c.sandwich_norms;  // Gemma-3
    if (sandwich)
      add(Key::PostAttnNorm, i, name(i, R::PostAttnNorm), Kind::Norm, hid, one(at(i, R::PostAttnNorm), name(i, R::PostAttnNorm), 1));
    add(Key::PostNorm, i, name(i, R::MlpNorm), Kind::Norm, hid, one(at(i, R::MlpNorm), name(i, R::MlpNorm), 1));
    add(Key::GateUp, i, p + "mlp.gate_up", Kind::Matrix, hid,
        {{at(i, R::Gate), name(i, R::Gate), ff}, {at(i, R::Up), name(i, R::Up), ff}}, true);
    if (at(i, R::GateBias))
      add(Key::GateUpBias, i, p + "mlp.gate_up_bias", Kind::Bias, 1,
          {{at(i, R::GateBias), name(i, R::GateBias), ff}, {at(i, R::UpBias), name(i, R::UpBias), ff}});
    add(Key::Down, i, p + "mlp.down_proj.weight", Kind::Matrix, ff, one(at(i, R::Down), name(i, R::Down), hid), true);
    if (at(i, R::DownBias))
      add(Key::DownBias, i, name(i, R::DownBias), Kind::Bias, 1, one(at(i, R::DownBias), name(i, R::DownBias), hid));
    if (sandwich)
      add(Key::PostMlpNorm, i, name(i, R::PostMlpNorm), Kind::Norm, hid, one(at(i, R::PostMlpNorm), name(i, R::PostMlpNorm), 1));
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
  dw.layers.resize(static_cast<std::size_t>(c.num_layers));
  const T* base = dw.storage.get();
  auto matrix = [&](const Slot& s, int64_t* max_elems) {
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
  for (const Slot& s : L.slots) {
    const T* at = base + s.offset;
    DeviceLayer<T>* d = s.layer >= 0 ? &dw.layers[static_cast<std::size_t>(s.layer)] : nullptr;
    switch (s.key) {
      case Key::Embed: dw.embed = at; break;
      case Key::LmHead: dw.lm_head = at; break;
      case Key::FinalNorm: dw.final_norm = at; break;
      case Key::InputNorm: d->input_norm = at; break;
      case Key::Qkv: d->qkv = matrix(s, &dw.max_packed_elems); break;
      case Key::QkvBias: d->qkv_bias = at; break;
      case Key::QNorm: d->q_norm = at; break;
      case Key::KNorm: d->k_norm = at; break;
      case Key::O: d->o = matrix(s, &dw.max_packed_elems); break;
      case Key::OBias: d->o_bias = at; break;
      case Key::PostNorm: d->post_norm = at; break;
      case Key::PostAttnNorm: d->post_attn_norm = at; break;
      case Key::PostMlpNorm: d->post_mlp_norm = at; break;
      case Key::GateUp: d->gate_up = matrix(s, &dw.max_packed_elems); break;
      case Key::GateUpBias: d->gate_up_bias = at; break;
      case Key::Down: d->down = matrix(s, &dw.max_packed_down_elems); break;
      case Key::DownBias: d->down_bias = at; break;
    }
  }
  if (L.tied) dw.lm_head = dw.embed;
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

std::size_t device_weight_bytes(const ModelConfig& c, std::size_t elem_size, const ModelDef* def, const RandomQuant* rq) {
  const Layout L = make_layout(c, def, def ? nullptr : rq);
  return L.total * elem_size + L.packed_bytes;
}

namespace {

// Host -> device copies of full-precision tensors through two pinned buffers: while the device
// copies (and converts) one chunk, the host fills the other from the mapped file. Peak host memory
// is the two buffers, whatever the model's size; pages of a mapped file already sent are dropped
// from the process's resident set (they stay in the page cache).
template <typename T>
class Uploader {
 public:
  explicit Uploader(cudaStream_t stream) : stream_(stream) {
    for (int i = 0; i < 2; ++i) {
      CUDA_CHECK(cudaMallocHost(&pinned_[i], kUploadChunkBytes));
      CUDA_CHECK(cudaEventCreateWithFlags(&done_[i], cudaEventDisableTiming));
    }
    staging_.reset(2 * kUploadChunkBytes);
  }
  ~Uploader() {
    cudaStreamSynchronize(stream_);
    for (int i = 0; i < 2; ++i) {
      if (pinned_[i]) cudaFreeHost(pinned_[i]);
      if (done_[i]) cudaEventDestroy(done_[i]);
    }
  }
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // n elements of dtype `from` (F32, F16 or BF16) at `src` -> dst[0..n) in T.
  void put(const uint8_t* src, DType from, bool file_backed, int64_t n, T* dst) {
    const int64_t es = StoredBytes::element_size(from);
    const int64_t chunk = static_cast<int64_t>(kUploadChunkBytes) / es;
    const bool same = (from == DType::BF16 && std::is_same_v<T, __nv_bfloat16>) ||
                      (from == DType::F16 && std::is_same_v<T, __half>);
    for (int64_t i = 0; i < n; i += chunk) {
      const int64_t m = std::min(chunk, n - i);
      const std::size_t bytes = static_cast<std::size_t>(m * es);
      const int b = next_;
      next_ ^= 1;
      CUDA_CHECK(cudaEventSynchronize(done_[b]));  // the buffer's previous chunk has left
      const uint8_t* from_host = src + i * es;
      std::memcpy(pinned_[b], from_host, bytes);
      if (file_backed) drop_pages(from_host, bytes);
      if (same) {
        CUDA_CHECK(cudaMemcpyAsync(dst + i, pinned_[b], bytes, cudaMemcpyHostToDevice, stream_));
      } else {
        uint8_t* stage = staging_.get() + b * kUploadChunkBytes;
        CUDA_CHECK(cudaMemcpyAsync(stage, pinned_[b], bytes, cudaMemcpyHostToDevice, stream_));
        if (from == DType::F32)
          convert_from_f32<T>(reinterpret_cast<const float*>(stage), dst + i, m, stream_);
        else
          convert_from_16<T>(stage, from == DType::BF16, dst + i, m, stream_);
      }
      CUDA_CHECK(cudaEventRecord(done_[b], stream_));
    }
  }

  void finish() { CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  static void drop_pages(const uint8_t* p, std::size_t bytes) {
    static const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const std::uintptr_t b = (reinterpret_cast<std::uintptr_t>(p) + page - 1) / page * page;
    const std::uintptr_t e = (reinterpret_cast<std::uintptr_t>(p) + bytes) / page * page;
    if (e > b) madvise(reinterpret_cast<void*>(b), e - b, MADV_DONTNEED);  // a hint; failure changes nothing
  }

  cudaStream_t stream_;
  uint8_t* pinned_[2] = {nullptr, nullptr};
  cudaEvent_t done_[2] = {nullptr, nullptr};
  DeviceBuffer<uint8_t> staging_;
  int next_ = 0;
};

}  // namespace

template <typename T>
DeviceWeights<T> upload_weights(const ModelDef& def, cudaStream_t stream) {
  const ModelConfig& c = def.config();
  const std::string& source = def.source();
  const Layout L = make_layout(c, &def, nullptr);
  DeviceBuffer<T> storage(L.total);
  DeviceBuffer<uint8_t> packed(L.packed_bytes);
  Uploader<T> up(stream);
  for (const Slot& s : L.slots) {
    T* dst = storage.get() + s.offset;
    for (const Slot::Part& p : s.parts) {
      if (!p.tensor) throw InputError(source, p.name, "missing (required by the CUDA backend)");
      const int64_t numel = p.rows * s.cols;
      if (p.tensor->numel() != numel || p.tensor->stored_values() != numel)
        throw InputError(source, p.name,
                         "expected " + std::to_string(numel) + " elements, found " + std::to_string(p.tensor->numel()));
      if (p.packed) {
        p.tensor->packed->validate(source + ": " + p.name);
        upload_packed(*p.tensor->packed, p.where, packed.get(), stream);
        continue;
      }
      if (p.tensor->is_stored())
        up.put(p.tensor->stored->bytes, p.tensor->stored->dtype, p.tensor->stored->file_backed, numel, dst);
      else
        up.put(reinterpret_cast<const uint8_t*>(p.tensor->data.data()), DType::F32, false, numel, dst);
      dst += numel;
    }
  }
  up.finish();
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

template DeviceWeights<__nv_bfloat16> upload_weights<__nv_bfloat16>(const ModelDef&, cudaStream_t);
template DeviceWeights<__half> upload_weights<__half>(const ModelDef&, cudaStream_t);
template DeviceWeights<__nv_bfloat16> random_weights<__nv_bfloat16>(const ModelConfig&, uint64_t, cudaStream_t,
                                                                    const RandomQuant*);
template DeviceWeights<__half> random_weights<__half>(const ModelConfig&, uint64_t, cudaStream_t, const RandomQuant*);

}  // namespace rb::cuda
