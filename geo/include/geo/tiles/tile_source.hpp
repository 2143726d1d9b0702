#pragma once

#include <string>
#include <vector>

#include "geo/store/store.hpp"
#include "geo/style/style.hpp"
#include "geo/tiles/tile.hpp"

namespace geo::tiles {

/// The zoom levels at which a layer is served as tiles: below `min` a district-wide overview
/// would read every feature for nothing visible.
struct ZoomRange {
    int min = 0;
    int max = 22;
};

ZoomRange zoom_range(const LayerInfo& layer) noexcept;

/// The size budget of a tile from render_mvt, in bytes: a tile over it is thinned until it fits.
constexpr std::size_t k_max_tile_bytes = 500 * 1024;

/// Builds the MVT tile `t` of `layers` (each must exist and be served at t.z) from the store:
/// features whose box meets the tile plus its buffer, encoded by encode_mvt with polygons under
/// about one screen pixel (options.min_area_units, at least 64 units², i.e. a pixel of a 512 px
/// tile) left out. Such a tile is returned when it fits in k_max_tile_bytes and no more of its
/// polygons were too small to see than were drawn. Otherwise the tile is thinned so that it
/// still reads as its data and fits, stopping at the first step that is enough: tiny polygons
/// are coalesced into squares of the same total area, at least a pixel each, with no id or
/// attributes; with `style`, attributes that no rule of the style reads at zooms t.z to t.z + 1
/// are left out (ids stay); then the densest features are dropped evenly, each cell of a grid
/// aligned with the tile keeping its largest, the cells growing until the tile fits (features
/// as large as a cell always stay). Deterministic. Empty string when nothing is drawn. A composite
/// tile (several layers) holds those served at t.z. Throws geo::Error (not_found) for an
/// unknown layer, (invalid_argument) for a zoom outside the range of a single layer or of
/// every layer.
std::string render_mvt(store::Store& store, const std::vector<std::string>& layers, const TileId& t,
                       const MvtOptions& options = {}, const style::Style* style = nullptr);

}  // namespace geo::tiles
