#pragma once
// The Q-ROAR diagnostics of a setting's runs (docs/QROAR.md), drawn from what each run stored in
// its configuration (`qroar.diagnostics`, copied from the scales file it used): per scales file,
// heatmaps of layers x bands for the interpolation pressure (diverging around 0) and for the
// tail-inflation ratios of q and k, quantized and full precision (diverging around 1, log scale).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/report_data.hpp"

namespace rb::reports {

struct QroarDiagnostics {
  std::string file;          // the scales file the runs used
  nlohmann::json diagnostics;  // {"pressure": {...}, "tail_inflation": {...}} as `ropebatch qroar` wrote them
};

// One entry per distinct scales file whose runs carry diagnostics, in the order of the setting's rows.
std::vector<QroarDiagnostics> qroar_diagnostics_of(const Setting& setting);

// "" when no run of the setting carries diagnostics.
std::string qroar_diagnostics_svg(const Setting& setting);

}  // namespace rb::reports
