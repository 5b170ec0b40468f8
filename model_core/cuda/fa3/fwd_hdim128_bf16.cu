// FlashAttention-3's causal forward for head_dim 128, bf16 (one kernel: no local window, softcap,
// varlen, paging, KV append, Qv, PackGQA, split or cluster; the template arguments of
// hopper/flash_fwd_launch_template.h's run_flash_fwd, in its order).
#include "flash_fwd_launch_template.h"

namespace rb::cuda::fa3 {

void forward_hdim128_bf16(Flash_fwd_params& params, cudaStream_t stream) {
  //           Arch, D, Dv, ClusterM, Element, ElementOut, causal, local, softcap, varlen, paged, appendkv, qv, packgqa, split, vcolmajor
  run_flash_fwd<90, 128, 128, 1, cutlass::bfloat16_t, cutlass::bfloat16_t, true, false, false, false, false, false, false, false, false, false>(
      params, stream);
}

}  // namespace rb::cuda::fa3
