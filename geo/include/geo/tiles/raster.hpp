#pragma once

#include <string>
#include <vector>

#include "geo/store/store.hpp"
#include "geo/style/style.hpp"
#include "geo/tiles/tile.hpp"

namespace geo::tiles {

/// Renders the PNG tile `t` of the store's layers with `style` (the same MapLibre style the web
/// map uses): 256 × 256 pixels at `scale` 1, 512 × 512 at 2 (widths and radii doubled), 32-bit
/// RGBA, antialiased.
///
/// The style is evaluated at zoom max(0, z − 1): MapLibre's zoom counts 512-pixel tiles, so a
/// 256-pixel tile of level z shows the ground at MapLibre zoom z − 1, and a Leaflet or OpenLayers
/// map of these tiles looks like the MapLibre map at the same scale. Rules draw in style order
/// with their filter and minzoom/maxzoom; fill rules draw polygons (holes and multi-parts), line
/// rules lines and polygon outlines, circle rules points. A store layer is drawn only inside its
/// tile zoom range (zoom_range); style rules for layers the store lacks are skipped.
///
/// `layers` limits drawing to those store layers (background rules still draw); empty means
/// every layer the style draws. Returns an empty string when no feature was drawn (the caller
/// answers 204), even if the style has a background. Throws geo::Error: invalid_argument for an
/// invalid tile or a scale other than 1 or 2, not_found for a named layer the store lacks.
/// Features whose WKB is malformed are skipped. Keeps its buffers per thread.
std::string render_png(store::Store& store, const style::Style& style, const TileId& t, int scale,
                       const std::vector<std::string>& layers);

/// A fully transparent PNG tile, 256 × 256 at `scale` 1, 512 × 512 at 2: what raster clients
/// (QGIS, Leaflet) are sent where nothing is drawn, as they take a 204 for a broken image.
std::string transparent_png(int scale);

}  // namespace geo::tiles
