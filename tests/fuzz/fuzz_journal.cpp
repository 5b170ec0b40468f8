// Fuzz target: a results journal (RESULTS.h5.journal) with no .h5 beside it, read as `merge` and
// `report` read a killed sweep: damaged records become warnings, the rest become runs.
#include "fuzz_input.hpp"
#include "reports/results_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  rbfuzz::as_file("results.h5.journal", rbfuzz::bytes(data, size));
  rbfuzz::expect_clean([&] {
    const rb::reports::ResultsFile file = rb::reports::read_results_file((rbfuzz::scratch() / "results.h5").string());
    for (const auto& r : file.records) (void)r.config.dump();
  });
  return 0;
}
