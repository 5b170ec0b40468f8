#pragma once
// `ropebatch merge OUT.h5 IN1.h5 IN2.h5 ...`: one results file from several (e.g. one per shard).
#include <string>
#include <vector>

namespace rb::cli {

int cmd_merge(const std::vector<std::string>& args);

}  // namespace rb::cli
