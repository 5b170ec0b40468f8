#pragma once
// The report's tidy CSV files (RFC 4180, UTF-8, "\n" line ends, header row; empty field = no value):
//   runs.csv     one row per run: every configuration field in its own column (nested objects
//                flattened with dots: windows.stride, rope.factor; lists as JSON), every metric,
//                status and error
//   passkey.csv  one row per passkey trial
//   windows.csv  one row per scored window (summed NLL, predictions)
// Numbers are written in the shortest form that reads back as the same double.
#include <string>

#include "reports/report_data.hpp"

namespace rb::reports {

std::string runs_csv(const ReportData& data);
std::string passkey_csv(const ReportData& data);
std::string windows_csv(const ReportData& data);

}  // namespace rb::reports
