#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "geo/tiles/tile.hpp"

namespace geo::tiles::detail {

/// Builds tile `t` of `layers` so that it reads as its data and fits in `budget_bytes`, for a
/// tile that does not when encoded as it is (too large, or most polygons too small to see).
/// In order, stopping at the first that fits:
///  1. polygons under options.min_area_units are coalesced: their areas are summed on a grid of
///     one-pixel cells (8 units at extent 4096) and drawn as squares of the summed area, at
///     least a pixel, carried along each row so the drawn area equals the coalesced one;
///  2. attributes whose `style_fields[layer][field]` flag is 0 are left out (an empty
///     style_fields, or an empty entry for a layer, keeps them all);
///  3. at density levels 1, 2, …: of the features smaller than a cell (16, 16, 32, 32, 64, …
///     units square, aligned with the tile, so cells nest across zooms) each cell keeps its 2,
///     then 1 largest (ties by a hash of the fid), and the coalescing grid grows twofold every
///     second level. Features as large as a cell are always kept.
/// `plain_bytes` is the size of the tile encoded as it is: when over budget, step 1 alone is not
/// tried (coalescing adds squares and removes nothing drawn). Returns the last attempt when even
/// the coarsest level is over budget.
std::string thin_tile(const TileId& t, const std::vector<MvtLayerInput>& layers,
                      const std::vector<std::vector<char>>& style_fields, const MvtOptions& options,
                      std::size_t budget_bytes, std::size_t plain_bytes);

}  // namespace geo::tiles::detail
