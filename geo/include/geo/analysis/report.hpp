#pragma once

// The analyses' results as planners take them away: JSON (the whole answer), CSV (one table)
// and GeoJSON (the places to look at). Numbers of households are whole; percentages have
// one decimal; distances are metres with one decimal; coordinates lon/lat (EPSG:4326). CSV
// is written by io::CsvWriter: text a spreadsheet would run as a formula gets a leading '.

#include <string>

#include <nlohmann/json.hpp>

#include "geo/analysis/coverage.hpp"
#include "geo/analysis/siting.hpp"

namespace geo::analysis {

/// Which buildings a coverage answer lists.
enum class BuildingList { none, uncovered, all };

/// {definition, stations, overall, by_grid, by_community, notes, buildings?}. Each totals
/// object has buildings_total, buildings_covered, households_total, households_covered,
/// population_total, population_covered and the three *_covered_pct.
nlohmann::ordered_json to_json(const CoverageReport& report, BuildingList buildings = BuildingList::uncovered);
/// One row per grid cell, then per community, then "overall" (column `level`).
std::string to_csv(const CoverageReport& report);
/// The uncovered buildings as points (their point on surface) with their nearest station and
/// distance, and the circles as polygons (`kind`: "uncovered_building" or "circle").
std::string to_geojson(const CoverageReport& report);

nlohmann::ordered_json to_json(const LoadReport& report);
/// One row per station.
std::string to_csv(const LoadReport& report);
/// The stations as points with their load.
std::string to_geojson(const LoadReport& report);

nlohmann::ordered_json to_json(const SitingReport& report);
/// One row per proposed site.
std::string to_csv(const SitingReport& report);
/// The proposed sites as points.
std::string to_geojson(const SitingReport& report);

/// 12.3 (one decimal) of part / whole as a percentage; 0 when whole is 0.
double percent(std::int64_t part, std::int64_t whole) noexcept;

}  // namespace geo::analysis
