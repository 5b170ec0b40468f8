#include "harness/tensor_parallel_check.hpp"

#include <set>
#include <string>

#include "common/error.hpp"
#include "harness/grid_models.hpp"
#include "harness/quant_label.hpp"
#include "model_core/model_def/model_def.hpp"

namespace rb::cli {

void check_tensor_parallel(const std::vector<RunSpec>& runs, int tp) {
  if (tp == 1) return;
  std::set<std::string> checked;  // model | quant
  for (const RunSpec& spec : runs) {
    if (!checked.insert(spec.model + "|" + spec.quant).second) continue;
    const ModelConfig& config = grid_detail::grid_model_config(spec.model);
    const ShardDims dims = shard_dims(config, ShardSpec{0, tp}, spec.model);
    const quant::QuantOptions quant = quant_from_label(spec.quant, spec.model, "quant");
    if (!quant.enabled()) continue;
    const int64_t group = quant.effective_group_size();
    const auto check = [&](const char* projection, int64_t features) {
      if (features % group != 0)
        throw InputError(spec.model, "--tp",
                         std::to_string(tp) + " ranks give " + projection + " " + std::to_string(features) +
                             " input features per rank, which would cut " + quant.label() + "'s groups of " +
                             std::to_string(group) + " weights; choose a --tp whose slices hold whole groups");
    };
    check("o_proj", dims.heads * config.head_dim);
    check("down_proj", dims.intermediate);
  }
}

}  // namespace rb::cli
