#pragma once

// The district as the analyses see it: stations and building anchor points in one metric
// plane, grid cells by code, and (for walking) the road network with everything snapped to it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "geo/analysis/coverage.hpp"
#include "geo/analysis/frame.hpp"
#include "geo/analysis/network.hpp"
#include "geo/store/store.hpp"

namespace geo::analysis::detail {

struct StationPoint {
    std::int64_t fid = 0;
    std::string name;
    std::string type;
    double lon = 0;
    double lat = 0;
    XY xy;
};

struct BuildingPoint {
    std::int64_t fid = 0;
    std::string name;
    std::string address;
    std::string grid_code;
    std::int64_t households = 0;
    std::int64_t population = 0;
    double lon = 0;
    double lat = 0;
    XY xy;
};

struct CellInfo {
    std::string name;
    std::string community;
    std::string street;
};

struct District {
    LocalFrame frame;
    std::vector<StationPoint> stations;
    std::vector<BuildingPoint> buildings;
    std::int64_t buildings_without_point = 0;
    std::map<std::string, CellInfo> cells;  ///< by grid code
};

/// Reads the selected stations, every building's anchor point and the grid cells. Throws
/// geo::Error: not_found for a missing stations or buildings layer, invalid_argument for a
/// stations layer that is not points or has no `type` field when a type is asked for.
District load_district(store::Store& store, const StationFilter& filter);

/// The stations of `filter` alone (for analyses that need no buildings), in `frame`.
std::vector<StationPoint> load_stations(store::Store& store, const StationFilter& filter, const LocalFrame& frame);

/// The road network in the district's plane with stations and buildings snapped to it.
struct Walk {
    RoadNetwork network;
    std::vector<std::optional<Snap>> station_snaps;   ///< by station index; nullopt: too far
    std::vector<std::optional<Snap>> building_snaps;  ///< by building index
    double max_snap_m = 0;                            ///< how far a snap may reach (the definition's)
    std::string roads_note;                           ///< what was walked (walkable_roads_note)
};

/// Builds the network from the `roads` layer; nullopt when there is no such layer or it
/// holds no usable line.
std::optional<Walk> load_walk(store::Store& store, const District& district, const CircleDefinition& definition);

/// Coverage of an already loaded district (see geo::analysis::coverage); `walk` may be null.
CoverageReport evaluate_coverage(const District& d, const Walk* walk, const StationFilter& stations,
                                 const CircleDefinition& definition, const Progress& progress);

/// Origins for a multi-source walk: each snapped station, id = its index in district.stations.
std::vector<Origin> station_origins(const Walk& walk);

}  // namespace geo::analysis::detail
