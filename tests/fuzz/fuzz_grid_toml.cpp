// Fuzz target: a grid .toml, parsed and checked as `ropebatch plan` and `run` do before any model
// is opened (keys, types, values, sweeps, baseline, RoPE methods).
#include "fuzz_input.hpp"
#include "harness/grid.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  rbfuzz::expect_clean([&] {
    (void)rb::parse_grid(std::string(rbfuzz::bytes(data, size)), "grid.toml", "/tmp");
  });
  return 0;
}
