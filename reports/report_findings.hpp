#pragma once
// The "Findings" section: statements that follow mechanically from the tables (which
// configuration is lowest at each length, how many beat the baseline, where a configuration's PPL
// rises above its shortest length's by more than the threshold, the best passkey accuracy, how many
// runs failed), each naming the table it comes from. No statement goes beyond the numbers.
#include <string>
#include <vector>

#include "reports/report_data.hpp"

namespace rb::reports {

// Markdown list items (without the leading "- "), in a fixed order.
std::vector<std::string> findings_markdown(const ReportData& data);

}  // namespace rb::reports
