#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "geo/types.hpp"

namespace geo::schema {

/// A column of a core layer. Imported columns are filled from a source field whose name
/// matches one of `aliases` (or from `--map`); derived columns are computed by Gridmap.
struct CoreField {
    std::string_view name;
    FieldType type;
    std::vector<std::string_view> aliases;  ///< source names matched case-insensitively
    bool derived = false;
    std::string_view meaning;
};

/// A layer whose minimal schema Gridmap relies on (buildings, grid_cells, stations, roads,
/// service_circles). Other attributes of an imported file are kept after these columns.
struct CoreLayer {
    std::string_view name;
    std::string_view title;          ///< Chinese title, e.g. "楼栋"
    std::string_view geometry_family;  ///< "polygon", "point" or "line"
    std::vector<CoreField> fields;
};

/// All core layers.
std::span<const CoreLayer> core_layers();

/// The core layer named `name`, or nullptr for a user layer.
const CoreLayer* core_layer(std::string_view name);

/// True when `name` can name a layer: 1–63 characters of a–z, 0–9 and '_', starting with a
/// letter, and not one of SpatiaLite's or Gridmap's own tables.
bool is_valid_layer_name(std::string_view name);

}  // namespace geo::schema
