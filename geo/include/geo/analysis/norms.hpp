#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "geo/store/store.hpp"

namespace geo::analysis {

/// A floor-area standard for one kind of station.
struct Standard {
    std::string id;        ///< e.g. "police_room"; unique in a NormsConfig
    std::string title;     ///< English title
    std::string title_zh;  ///< Chinese title, e.g. "警务室"
    double min_floor_area_m2 = 0;
    /// Station `type` values this standard applies to (English codes and Chinese names). A
    /// station matches when its type equals one of them, ASCII letters compared without case and
    /// surrounding white space ignored. No type may appear under two standards.
    std::vector<std::string> types;
    std::string source;  ///< where the figure comes from (text for reports)
    std::string note;    ///< how the type list was chosen, when it needs saying
};

/// The norms to check. Household ranges are inclusive: a cell of exactly 300 or 500 passes.
struct NormsConfig {
    std::int64_t cell_min_households = 300, cell_max_households = 500;
    std::int64_t community_min_households = 1000, community_max_households = 3000;
    std::string cell_households_source, community_households_source;
    double min_defect_area_m2 = 1.0;  ///< overlaps/gaps smaller than this are slivers, not reported
    /// Overlaps/gaps whose mean width (2 · area / perimeter) is below this are slivers from
    /// coordinate rounding or reprojection, however long, and are not reported either.
    double min_defect_width_m = 0.1;
    /// Empty in a default-constructed config (every station is then "unknown type");
    /// default_norms_config() fills in the DESIGN.md table.
    std::vector<Standard> standards;
};

/// Reads a norms file (the format of config/standards.json). Keys left out keep their defaults;
/// a "standards" list, when present, replaces the whole default table. Throws geo::Error
/// (invalid_argument) naming the key for malformed JSON, unknown keys, wrong types, negative
/// or inverted ranges, duplicate ids, and a type listed under two standards.
NormsConfig load_norms_config(const std::string& json_text);

/// The defaults from the design brief, the same figures and type lists as config/standards.json.
NormsConfig default_norms_config();

/// A grid cell whose households fall outside [cell_min_households, cell_max_households].
struct CellFinding {
    std::int64_t fid = 0;
    std::string code, name, community, street;
    std::int64_t households = 0;
    std::optional<std::int64_t> population;
    std::string status;              ///< "below" or "above"
    std::vector<unsigned char> wkb;  ///< the cell's polygon, EPSG:4326 2D WKB
};

/// A community whose cells' households sum to outside the community range. Communities are
/// told apart by (street, community): the same name in two streets is two communities.
struct CommunityFinding {
    std::string name, street;
    std::int64_t cells = 0;
    std::int64_t households = 0;
    std::string status;  ///< "below" or "above"
};

/// Two grid cells whose interiors overlap by at least min_defect_area_m2 and min_defect_width_m.
struct Overlap {
    std::int64_t fid_a = 0, fid_b = 0;  ///< fid_a < fid_b
    std::string code_a, code_b;
    std::string community_a, community_b;
    double area_m2 = 0;              ///< geodesic area on the WGS 84 ellipsoid
    double mean_width_m = 0;         ///< 2 · area / perimeter
    std::vector<unsigned char> wkb;  ///< the overlap, EPSG:4326 2D WKB (polygon or multipolygon)
};

/// An area covered by no grid cell and enclosed by the cells of one community (a hole in the
/// union of its cells that no other cell fills), or — when `community` and `street` are empty
/// and `between_communities` is set — enclosed by the cells of several communities.
struct Gap {
    std::string community, street;
    bool between_communities = false;
    std::vector<std::string> bordering;  ///< "street/community" of the cells around a between-gap
    double area_m2 = 0;
    double mean_width_m = 0;         ///< 2 · area / perimeter
    std::vector<unsigned char> wkb;  ///< EPSG:4326 2D WKB polygon
};

/// A station whose floor area is below the minimum of its type's standard.
struct StationFinding {
    std::int64_t fid = 0;
    std::string name, type;
    double floor_area_m2 = 0;
    std::string standard_id;
    double min_floor_area_m2 = 0;
};

/// A station that cannot pass or fail: its type matches no standard, or its floor area is
/// missing (null, empty, not a number, or not above zero).
struct UncheckedStation {
    std::int64_t fid = 0;
    std::string name, type;
    std::optional<double> floor_area_m2;
    std::string standard_id;  ///< the matched standard ("" when the type matched none)
    std::string reason;       ///< "no type", "unknown type" or "no floor area"
};

struct NormsTotals {
    std::int64_t cells_checked = 0;            ///< cells with a households value
    std::int64_t cells_without_households = 0; ///< left out of the cell and community sums
    std::int64_t cells_without_community = 0;  ///< grouped under community "" (not size-checked)
    std::int64_t cells_invalid = 0;            ///< invalid polygons, repaired (GEOS MakeValid) for the topology check
    std::int64_t communities_checked = 0;
    std::int64_t stations_checked = 0;  ///< stations with a standard and a floor area
    std::int64_t stations_passed = 0;
};

/// What check_norms found. Lists are in a stable order (fid, or community then area).
struct NormsReport {
    NormsConfig config;  ///< the norms that were applied
    std::vector<CellFinding> cells;
    std::vector<CommunityFinding> communities;
    std::vector<Overlap> overlaps;
    std::vector<Gap> gaps;
    std::vector<StationFinding> stations;
    std::vector<UncheckedStation> unchecked_stations;
    NormsTotals totals;
    std::vector<std::string> notes;  ///< what was skipped and why (missing layers or fields, …)
    double seconds = 0;
};

/// Checks the layers `grid_cells` and `stations` of `store` against `config`. A missing layer
/// or field skips its checks with a note instead of failing. Cell households come from the
/// store (derived from the buildings when they exist). Areas are geodesic (WGS 84). The overlap
/// search runs on a second thread of its own (own GEOS context) while the calling thread finds
/// the gaps; `progress` (optional) is called on the calling thread only, with a non-decreasing
/// fraction in [0, 1] and a stage name. Throws geo::Error from the store, and invalid_argument
/// for a config that load_norms_config would reject.
NormsReport check_norms(store::Store& store, const NormsConfig& config,
                        const std::function<void(double fraction, std::string_view stage)>& progress = {});

/// The report as JSON: {"norms", "totals", "cells", "communities", "overlaps", "gaps",
/// "stations", "unchecked_stations", "notes", "seconds"}; geometries as GeoJSON objects.
nlohmann::json to_json(const NormsReport& report);

/// One row per finding (RFC 4180, UTF-8, no BOM, header row), the "kind" column first:
/// cell_households, community_households, overlap, gap, station_floor_area, station_unchecked.
/// Text that a spreadsheet would run as a formula gets a leading ' (io::CsvWriter).
std::string to_csv(const NormsReport& report);

/// A GeoJSON FeatureCollection (EPSG:4326) of the overlaps, gaps and out-of-range cells, each
/// with a "kind" property: "overlap", "gap" or "cell_households".
std::string to_geojson(const NormsReport& report);

}  // namespace geo::analysis
