// Tile paths: any bytes either parse into at most k_max_tile_layers distinct valid layer names
// and a tile that exists, or are refused with geo::Error (invalid_argument). A parsed path
// written out again parses to the same request.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "geo/schema.hpp"
#include "http/tile_path.hpp"

namespace {

using gridmap::fuzz::check;
namespace http = gridmap::http;

void check_list(const http::LayerList& list, std::string_view input) {
    check(list.all != !list.names.empty(), "a list is `all` or names layers", input);
    check(list.names.size() <= http::k_max_tile_layers, "a list is bounded", input);
    for (std::size_t i = 0; i < list.names.size(); ++i) {
        check(geo::schema::is_valid_layer_name(list.names[i]), "every name is a valid layer name",
              input);
        check(std::find(list.names.begin() + static_cast<std::ptrdiff_t>(i) + 1, list.names.end(),
                        list.names[i]) == list.names.end(),
              "no name twice", input);
    }
}

std::string written(const http::TilePath& p) {
    std::string out = "/tiles/";
    if (p.layers.all) out += "all";
    for (std::size_t i = 0; i < p.layers.names.size(); ++i)
        out += (i ? "," : "") + p.layers.names[i];
    out += "/" + std::to_string(p.tile.z) + "/" + std::to_string(p.tile.x) + "/" +
           std::to_string(p.tile.y);
    out += p.format == http::TileFormat::mvt ? ".mvt" : p.scale == 2 ? "@2x.png" : ".png";
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        check_list(http::parse_layer_list(text), text);
    } catch (const geo::Error& e) {
        gridmap::fuzz::check_refusal(e);
    }
    http::TilePath path;
    try {
        path = http::parse_tile_path(text);
    } catch (const geo::Error& e) {
        gridmap::fuzz::check_refusal(e);
        check(std::string_view(e.what()).size() < 400, "a refusal quotes the path, not copies it",
              e.what());
        return 0;
    }
    check_list(path.layers, text);
    check(geo::tiles::is_valid(path.tile), "the tile exists", text);
    check(path.scale == 1 || (path.scale == 2 && path.format == http::TileFormat::png),
          "only PNG has @2x", text);
    const std::string again_text = written(path);
    const http::TilePath again = http::parse_tile_path(again_text);
    check(written(again) == again_text, "a written tile path reads back the same", again_text);
    return 0;
}
