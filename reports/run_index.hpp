#pragma once
// Runs keyed by run_id in first-seen order; putting a run_id again replaces the earlier record
// (a later journal record supersedes the HDF5 file and earlier journal records).
#include <string>
#include <unordered_map>
#include <vector>

#include "reports/run_record.hpp"

namespace rb::reports {

class RunIndex {
 public:
  void put(RunRecord record) {
    const auto [it, inserted] = index_.try_emplace(record.run_id, records_.size());
    if (inserted)
      records_.push_back(std::move(record));
    else
      records_[it->second] = std::move(record);
  }
  const RunRecord* find(const std::string& run_id) const {
    const auto it = index_.find(run_id);
    return it == index_.end() ? nullptr : &records_[it->second];
  }
  const std::vector<RunRecord>& records() const { return records_; }

 private:
  std::vector<RunRecord> records_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace rb::reports
