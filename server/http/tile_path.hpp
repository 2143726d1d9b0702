#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "geo/tiles/tile.hpp"

namespace gridmap::http {

/// The most layers one tile path may name. A longer list is refused before the store is asked
/// anything, so that a URL naming a layer hundreds of times costs nothing.
constexpr std::size_t k_max_tile_layers = 32;

/// The layers a tile path names: `all`, or distinct layer names in the order given.
struct LayerList {
    bool all = false;                ///< `all`: every layer the store holds (names is empty)
    std::vector<std::string> names;  ///< 1 … k_max_tile_layers valid layer names, each once
};

enum class TileFormat { mvt, png };

/// What `/tiles/{layers}/{z}/{x}/{y}.mvt`, `….png` or `…@2x.png` asks for.
struct TilePath {
    LayerList layers;
    geo::tiles::TileId tile;  ///< z in 0 … k_max_zoom, x and y in 0 … 2^z − 1
    TileFormat format = TileFormat::mvt;
    int scale = 1;  ///< 2 for `@2x.png`
};

/// Parses the `{layers}` part of a tile or TileJSON path: comma-separated layer names (each
/// 1–63 characters of a–z, 0–9 and `_`, starting with a letter), at most k_max_tile_layers
/// of them and none twice, or `all` alone. Throws geo::Error (invalid_argument) with a message
/// for the user otherwise. Reads nothing but `text`.
LayerList parse_layer_list(std::string_view text);

/// Parses a whole tile path (as the router saw it, percent-decoding done). Throws geo::Error
/// (invalid_argument) for a malformed path, a bad layer list (see parse_layer_list) or a tile
/// outside the zoom's grid. Reads nothing but `path`; whether the layers exist is the caller's
/// question.
TilePath parse_tile_path(std::string_view path);

}  // namespace gridmap::http
