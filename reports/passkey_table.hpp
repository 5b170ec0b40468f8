#pragma once
// The compound type of a run's passkey dataset: one row per (length, depth, trial).
#include <cstdint>
#include <string>
#include <vector>

#include "reports/hdf5_util.hpp"
#include "reports/run_record.hpp"

namespace rb::reports {

void write_passkey_dataset(hid_t run_group, const std::vector<PasskeyOutcome>& rows, const std::string& file);
std::vector<PasskeyOutcome> read_passkey_dataset(hid_t run_group, const std::string& file, const std::string& where);

}  // namespace rb::reports
