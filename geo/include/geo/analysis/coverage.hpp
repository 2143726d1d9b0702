#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/analysis/walkability.hpp"
#include "geo/store/store.hpp"
#include "geo/types.hpp"

namespace geo::analysis {

/// Reports how far a long analysis has got: a fraction 0…1 of the whole and the stage's name.
using Progress = std::function<void(double fraction, std::string_view stage)>;

enum class CircleMode {
    euclidean,  ///< a disc of radius minutes × speed around the station
    walking,    ///< the streets reachable within minutes × speed, buffered (an isochrone)
};

std::string_view to_string(CircleMode mode) noexcept;
/// "euclidean" or "walking"; throws geo::Error (invalid_argument) otherwise.
CircleMode circle_mode_from(std::string_view text);

/// A service circle: a walk of `minutes` at `speed_m_per_min` from a station.
struct CircleDefinition {
    double minutes = 10;
    double speed_m_per_min = 60;  ///< GB 50180's distances imply about 60 m a minute
    CircleMode mode = CircleMode::euclidean;
    /// walking: how far either side of a reachable street a circle reaches, metres.
    double buffer_m = 50;
    /// walking: a station or building farther than this from every road is joined to the
    /// network by a straight line only this long at most; a station beyond it gets a
    /// euclidean circle instead (the result says which), a building is unreachable.
    double max_snap_m = 250;
    /// walking: which road lines are walked and on which level (config/walkability.json).
    Walkability walkability = default_walkability();

    double radius_m() const noexcept { return minutes * speed_m_per_min; }
    /// Throws geo::Error (invalid_argument) for non-positive or absurd values (a radius
    /// over 20 km, a buffer over 500 m).
    void validate() const;
};

/// The GB 50180-2018 life circles: 5 minutes → 300 m, 10 → 500 m, 15 → 1,000 m, as a
/// definition at 60 m a minute whose radius is exactly those distances. Other minutes throw
/// geo::Error (invalid_argument).
CircleDefinition gb50180_circle(int minutes);

/// Which stations a circle is drawn around: a points layer, optionally one value of its
/// `type` field.
struct StationFilter {
    std::string layer = "stations";
    std::optional<std::string> type;
};

/// A circle as drawn around one station. `wkb`: 2D ISO WKB MultiPolygon, EPSG:4326.
struct ServiceCircle {
    std::int64_t station_fid = 0;
    std::string station_name;
    std::string station_type;
    CircleMode mode = CircleMode::euclidean;  ///< what was drawn: walking may fall back
    std::string note;                         ///< why it fell back, "" otherwise
    double radius_m = 0;
    double snap_m = 0;   ///< walking: station to its nearest road
    double area_m2 = 0;
    std::vector<unsigned char> wkb;
};

/// The circles of every selected station (walking ones need a `roads` layer; without one,
/// every circle falls back to euclidean and says so). Throws geo::Error (not_found) for a
/// missing stations layer, (invalid_argument) for a layer that is not points or a bad
/// definition.
std::vector<ServiceCircle> make_circles(store::Store& store, const StationFilter& stations,
                                        const CircleDefinition& definition, const Progress& progress = {});

/// Replaces the `service_circles` layer with `circles` in one transaction (fields:
/// station_fid, station_name, station_type, mode, minutes, speed_m_per_min, radius_m,
/// snap_m, area_m2, note), so tiles, queries and styles show them at once.
LayerInfo write_circles(store::Store& store, const std::vector<ServiceCircle>& circles,
                        const CircleDefinition& definition);

/// Buildings, households and population, in all and inside at least one circle.
struct CoverageTotals {
    std::int64_t buildings_total = 0;
    std::int64_t buildings_covered = 0;
    std::int64_t households_total = 0;
    std::int64_t households_covered = 0;
    std::int64_t population_total = 0;
    std::int64_t population_covered = 0;
};

/// Totals for one grid cell or community. `key` is the grid code or the community name; a
/// building in no grid cell is counted under key "".
struct GroupCoverage {
    std::string key;
    std::string name;       ///< grid: the cell's name; community: the community name
    std::string community;
    std::string street;
    CoverageTotals totals;
};

/// One building as the analysis saw it: its point on surface, and the nearest selected
/// station by the analysis' distance (straight-line in euclidean mode, walking in walking
/// mode; infinity when none can be reached).
struct BuildingCoverage {
    std::int64_t fid = 0;
    std::string name;
    std::string address;
    std::string grid_code;
    std::int64_t households = 0;
    std::int64_t population = 0;
    double lon = 0;
    double lat = 0;
    bool covered = false;
    std::int64_t nearest_station_fid = -1;  ///< −1: none reachable
    double distance_m = 0;
    /// Walking mode: why no station reaches the building ("" when one does): no road within
    /// the snapping distance, or its street is cut off from every station's. Never covered.
    std::string unreachable;
};

struct CoverageReport {
    CircleDefinition definition;
    StationFilter stations;
    std::size_t station_count = 0;
    std::vector<ServiceCircle> circles;
    std::vector<std::string> notes;  ///< e.g. stations that fell back to euclidean
    CoverageTotals overall;
    std::vector<GroupCoverage> by_grid;       ///< by grid code
    std::vector<GroupCoverage> by_community;  ///< by community name
    std::vector<BuildingCoverage> buildings;  ///< every building, in fid order
    std::int64_t buildings_without_point = 0;  ///< no point on surface: left out of every count
    std::int64_t buildings_unreachable = 0;    ///< walking: no station reaches them (see BuildingCoverage)
};

/// Which buildings a station serves within the circle's distance, by one rule for coverage,
/// load and siting: a building counts as covered when its distance to the nearest station is at
/// most radius_m (minutes × speed). In euclidean mode that is the straight line from its point
/// on surface (the `pos_lon`, `pos_lat` fields the import derives) in the district's plane; in
/// walking mode the walk: from the point to the nearest road, along the network, and off it to
/// the station. The isochrone polygons are the picture of the circles, not the test. A building
/// no station reaches on foot (no road within max_snap_m, or its street cut off from every
/// station's) is reported with that reason and never covered; so is every building when a
/// station has no road near it (it serves no one on foot). Without a roads layer walking mode
/// falls back to discs, as notes say. Needs the `buildings`
/// layer; grid cells (for names and communities) and roads (walking) are used when present.
CoverageReport coverage(store::Store& store, const StationFilter& stations, const CircleDefinition& definition,
                        const Progress& progress = {});

/// One station's share of the district.
struct StationLoad {
    std::int64_t fid = 0;
    std::string name;
    std::string type;
    double lon = 0;
    double lat = 0;
    std::int64_t buildings = 0;
    std::int64_t households = 0;
    std::int64_t population = 0;
    double mean_distance_m = 0;  ///< household-weighted (building-weighted when no households)
    double max_distance_m = 0;
    bool over_capacity = false;
};

struct LoadReport {
    CircleDefinition definition;  ///< mode sets the distance; minutes and speed are not used
    StationFilter stations;
    std::int64_t capacity_households = 0;  ///< 0: no capacity check
    std::vector<StationLoad> loads;        ///< in station fid order
    CoverageTotals unassigned;             ///< buildings no station can reach (walking)
    std::vector<std::string> notes;
};

/// Assigns every building to its nearest selected station (straight-line, or walking over
/// the roads with no distance limit) and totals households and population per station;
/// stations serving more than `capacity_households` (when > 0) are flagged.
LoadReport station_load(store::Store& store, const StationFilter& stations, const CircleDefinition& definition,
                        std::int64_t capacity_households, const Progress& progress = {});

}  // namespace geo::analysis
