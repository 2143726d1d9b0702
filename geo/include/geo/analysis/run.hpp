#pragma once

// One way in to every analysis, shared by `gridmap analyze` and `POST /analysis/{kind}`: the
// same parameter names (CLI flags without "--", JSON keys over HTTP), the same checks, the
// same results.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "geo/analysis/coverage.hpp"
#include "geo/analysis/norms.hpp"
#include "geo/analysis/report.hpp"
#include "geo/analysis/siting.hpp"
#include "geo/store/store.hpp"

namespace geo::style {
struct Style;
}

namespace geo::analysis {

enum class AnalysisKind { coverage, load, siting, norms, circles };

std::string_view to_string(AnalysisKind kind) noexcept;
/// "coverage", "load", "siting", "norms" or "circles"; geo::Error (not_found) otherwise.
AnalysisKind analysis_kind_from(std::string_view text);

/// A parsed, checked analysis request.
struct AnalysisRequest {
    AnalysisKind kind = AnalysisKind::coverage;
    StationFilter stations;
    CircleDefinition circle;
    BuildingList buildings = BuildingList::uncovered;  ///< coverage: which buildings the JSON lists
    std::int64_t capacity_households = 0;              ///< load
    SitingOptions siting;
    NormsConfig norms = default_norms_config();
    bool write_circles = false;  ///< store the circles in `service_circles` (always for kind circles)
};

/// The parameters each kind takes, for help texts and the OpenAPI description:
/// name → one line of help.
const std::map<std::string, std::string>& analysis_parameters(AnalysisKind kind);

/// Reads parameters given as text (`minutes` = "10", `mode` = "walking", …). `norms_json`:
/// the text of a standards file (config/standards.json format) or "" for the defaults; the
/// `cell_min`… parameters override it. `walkability_json`: the text of a walkability file
/// (config/walkability.json format) or "" for the defaults, for walking mode. Throws geo::Error
/// (invalid_argument) naming the parameter for an unknown name or a bad value.
AnalysisRequest parse_analysis_request(AnalysisKind kind, const std::map<std::string, std::string>& params,
                                       const std::string& norms_json = "", const std::string& walkability_json = "");

/// The typed result of one analysis.
struct CirclesResult {
    CircleDefinition definition;
    StationFilter stations;
    std::vector<ServiceCircle> circles;
    bool written = false;
};
using AnalysisResult = std::variant<CoverageReport, LoadReport, SitingReport, NormsReport, CirclesResult>;

/// Runs the analysis (writing `service_circles` when asked). Throws geo::Error.
AnalysisResult run_analysis(store::Store& store, const AnalysisRequest& request, const Progress& progress = {});

nlohmann::ordered_json result_json(const AnalysisResult& result, const AnalysisRequest& request);
std::string result_csv(const AnalysisResult& result);
std::string result_geojson(const AnalysisResult& result);

/// A PNG map of the result over the base layers, with a title and a legend, for a report.
/// `width_px` × `height_px` (200…6000).
std::string result_png(store::Store& store, const style::Style& style, const AnalysisResult& result,
                       int width_px = 1600, int height_px = 1200);

}  // namespace geo::analysis
