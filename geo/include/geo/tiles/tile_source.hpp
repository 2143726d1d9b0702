#pragma once

#include <string>
#include <vector>

#include "geo/store/store.hpp"
#include "geo/tiles/tile.hpp"

namespace geo::tiles {

/// The zoom levels at which a layer is served as tiles: below `min` a district-wide overview
/// would read every feature for nothing visible.
struct ZoomRange {
    int min = 0;
    int max = 22;
};

ZoomRange zoom_range(const LayerInfo& layer) noexcept;

/// Largest tile render_mvt returns, in bytes.
constexpr std::size_t k_max_tile_bytes = 500 * 1024;

/// Builds the MVT tile `t` of `layers` (each must exist and be served at t.z) from the store:
/// features whose box meets the tile plus its buffer, encoded by encode_mvt. Polygons under
/// about one screen pixel (options.min_area_units, at least 64 units², i.e. a pixel of a 512 px
/// tile) are left out; when the tile would still exceed k_max_tile_bytes (a district overview
/// at zoom 12 holds every building), the threshold is raised fourfold until it fits, so the
/// smallest features go first. Empty string when nothing is drawn. A composite tile (several
/// layers) holds those served at t.z. Throws geo::Error (not_found) for an unknown layer,
/// (invalid_argument) for a zoom outside the range of a single layer or of every layer.
std::string render_mvt(store::Store& store, const std::vector<std::string>& layers, const TileId& t,
                       const MvtOptions& options = {});

}  // namespace geo::tiles
