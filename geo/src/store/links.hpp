#pragma once

#include "capi/sqlite.hpp"

namespace geo::store::detail {

/// Recomputes the derived links between buildings and grid cells inside the caller's
/// transaction: each building's grid_code (the cell that contains its point on surface;
/// the lowest fid wins on a shared edge) and each cell's households and population totals.
/// Does nothing unless both layers exist; a building outside every cell gets NULL.
void refresh_grid_links(capi::SpatialiteDb& db);

}  // namespace geo::store::detail
