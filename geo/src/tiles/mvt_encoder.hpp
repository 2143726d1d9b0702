#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "geo/tiles/tile.hpp"
#include "tiles/tile_geometry.hpp"

namespace geo::tiles::detail {

/// What of one MvtLayerInput a tile draws: for thinning a tile that is over its size budget.
struct LayerSelection {
    /// Indices into MvtLayerInput::features, ascending; nullopt draws every feature.
    std::optional<std::vector<std::uint32_t>> features;
    /// One flag per field: 0 leaves the attribute out of every feature. Empty keeps them all.
    std::vector<char> fields;
    /// Polygons drawn after the selected features, without id or attributes (coalesced
    /// footprints), already in tile units: exterior rings only, positive area by the MVT formula,
    /// no repeated points.
    std::vector<TileShape> extra;
};

/// What an encoding dropped, for deciding whether a tile reads as the data it shows.
struct EncodeStats {
    std::size_t polygons_drawn = 0;
    /// Polygons left out only because every exterior ring was under options.min_area_units.
    std::size_t polygons_too_small = 0;
};

/// encode_mvt (same contract, same checks, same bytes when every selection is default) with
/// `selections` parallel to `layers` (or empty: draw everything); fills `stats` when given.
std::string encode_mvt_selected(const TileId& t, const std::vector<MvtLayerInput>& layers,
                                std::span<const LayerSelection> selections, const MvtOptions& options,
                                EncodeStats* stats = nullptr);

}  // namespace geo::tiles::detail
