#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/store/store.hpp"

// The grid worker's two questions: "what is here?" at a tapped point, and "where is it?" for
// a name, an address or a grid code. Both read the core layers (grid_cells, buildings,
// stations) through the public Store interface only, so they work on every backend.
//
// Text attributes that are NULL in the store come back as ""; integer attributes that are
// NULL (or not numbers) as nullopt. Coordinates are EPSG:4326 degrees (lon, lat).
namespace geo::analysis {
class WalkingNetwork;
}

namespace geo::query {

/// The grid cell (网格) holding a point.
struct HereCell {
    std::int64_t fid = 0;
    std::string code;  ///< street–community–grid, e.g. "310115005-001-01"
    std::string name;
    std::string community;  ///< 社区
    std::string street;     ///< 街道
    std::string worker;     ///< 网格员
    std::optional<std::int64_t> households;
    std::optional<std::int64_t> population;
    /// false when the store withheld the cell's detail from the caller (geo/access): the
    /// withheld members are empty, and answers leave out what access::policy does not make public.
    bool detail = true;
};

/// Withholds what access::policy("grid_cells") does not make public from `cell` (for cells
/// read before the caller was known, as in CellIndex); sets detail to false.
void withhold(HereCell& cell);

/// A building (楼栋) whose footprint covers the point.
struct HereBuilding {
    std::int64_t fid = 0;
    std::string name;
    std::string address;
    std::optional<std::int64_t> floors;
    std::optional<std::int64_t> households;
    std::optional<std::int64_t> population;
    std::string use;
    std::string grid_code;  ///< the cell holding the building's point on surface ("" when none)
    /// false when the store withheld the building's attributes from the caller (geo/access).
    bool detail = true;
};

/// A station (服务站) with its straight-line distance from the point.
struct NearStation {
    std::int64_t fid = 0;
    std::string name;
    std::string type;
    /// Geodesic distance on the WGS84 ellipsoid (Karney's algorithm, accurate to
    /// nanometres), in metres. Not a walking distance.
    double distance_m = 0;
    /// Over the roads layer, when the point query was given the walking network: onto the
    /// nearest road, along the roads and off again, in metres. nullopt without roads, for a
    /// point or station more than 250 m from every road, or beyond 3 km on foot.
    std::optional<double> walking_distance_m;
    double lon = 0;
    double lat = 0;
};

/// The nearest stations of one type, nearest first (ties by fid).
struct StationGroup {
    std::string type;  ///< the stations' `type` value; "" for stations without one
    std::vector<NearStation> nearest;
};

/// What Gridmap knows about one point.
struct Here {
    double lon = 0;
    double lat = 0;
    /// The cell covering the point (boundary included); on an edge shared by cells, the
    /// one with the lowest fid. nullopt outside every cell or without a grid_cells layer.
    std::optional<HereCell> cell;
    /// Buildings covering the point (boundary included), smallest footprint first, so that
    /// a building part comes before the building it belongs to.
    std::vector<HereBuilding> buildings;
    /// One group per station type in the layer, ordered by type.
    std::vector<StationGroup> stations;
    /// Which of grid_cells, buildings and stations the store lacks; their parts above are
    /// empty.
    std::vector<std::string> missing_layers;
};

/// Answers "what is here" at (`lon`, `lat`): the grid cell, the buildings there and, for
/// every station type, the `stations_per_type` nearest stations (fewer when the type has
/// fewer). The nearest stations are exact whatever the layer's size: the search widens a box
/// around the point until no station outside it can be nearer than the ones found.
/// @pre −180 ≤ lon ≤ 180, −90 ≤ lat ≤ 90, both finite; stations_per_type ≤ 100 (0 skips
///      the stations). Otherwise throws geo::Error(Errc::invalid_argument).
/// Store failures propagate as geo::Error.
/// With `walking` (the roads as a network), each station also gets its walking distance.
Here what_is_here(store::Store& store, double lon, double lat, std::size_t stations_per_type = 1,
                  const analysis::WalkingNetwork* walking = nullptr);

/// One search result.
struct SearchHit {
    std::string layer;  ///< "buildings", "stations" or "grid_cells"
    std::int64_t fid = 0;
    std::string field;    ///< the field that matched: name, address, code or community
    std::string text;     ///< that field's value
    std::string name;     ///< the feature's name, for display (may differ from `text`)
    bool prefix = false;  ///< the query matches at the start of `text`
    /// A point to show: a building's point on surface (pos_lon/pos_lat), a station's
    /// location, the centre of a cell's bounding box; NaN for a feature without geometry.
    double lon = 0;
    double lat = 0;
};

/// Finds buildings by name and address, stations by name and grid cells by code, name and
/// community. A feature matches when `q` occurs in one of those fields, comparing ASCII
/// letters case-insensitively and everything else (Chinese included) exactly; `%`, `_` and
/// `\` are plain characters. Hits starting with `q` come first, then shorter texts, then
/// buildings, stations, cells, then fid. Each feature appears once, for its best field: a
/// prefix match before a substring one, then the field listed first above.
/// To bound the work on very common queries, a layer with more than 1,000 matches has only
/// the first 1,000 in fid order ranked, plus up to 1,000 that start with `q`.
/// @pre after trimming blanks, `q` is valid UTF-8 of 1–64 characters; 1 ≤ limit ≤ 100.
///      Otherwise throws geo::Error(Errc::invalid_argument).
std::vector<SearchHit> search(store::Store& store, std::string_view q, std::size_t limit = 20);

}  // namespace geo::query
