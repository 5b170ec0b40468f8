#pragma once
// RunRecord <-> JSON, as the journal stores it (CBOR-encoded, so doubles, NaN and infinities survive
// exactly). Keys are the HDF5 attribute and dataset names; optional numbers are absent when unset.
#include <string>

#include <nlohmann/json.hpp>

#include "reports/file_info.hpp"
#include "reports/run_record.hpp"

namespace rb::reports {

nlohmann::json run_record_to_json(const RunRecord& record);
// `where` names the source in errors (rb::InputError(where, field, problem)).
RunRecord run_record_from_json(const nlohmann::json& j, const std::string& where);

nlohmann::json file_info_to_json(const FileInfo& info);
FileInfo file_info_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace rb::reports
