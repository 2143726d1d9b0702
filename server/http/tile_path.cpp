#include "http/tile_path.hpp"

#include <algorithm>
#include <cstdint>

#include "geo/error.hpp"
#include "geo/schema.hpp"
#include "geo/text/encoding.hpp"
#include "http/params.hpp"

namespace gridmap::http {

namespace {

[[noreturn]] void refuse(const std::string& message) {
    throw geo::Error(geo::Errc::invalid_argument, message);
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::int64_t parse_coordinate(const char* name, std::string_view text, std::int64_t max) {
    // parse_int alone would also take "+1" or " 1"; a path segment is digits only.
    if (!all_digits(text)) {
        refuse(std::string(name) + " must be a whole number from 0 to " + std::to_string(max) +
               ", not \"" + geo::text::printable(text) + "\"");
    }
    return parse_int(name, std::string(text), 0, max);
}

}  // namespace

LayerList parse_layer_list(std::string_view text) {
    // Counting before splitting keeps the cost of an absurd list to one pass over its bytes.
    const auto names_given =
        static_cast<std::size_t>(std::count(text.begin(), text.end(), ',')) + 1;
    if (names_given > k_max_tile_layers) {
        refuse("the tile path names " + std::to_string(names_given) + " layers; at most " +
               std::to_string(k_max_tile_layers) + " are allowed");
    }
    LayerList out;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        const std::string_view name = text.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (name.empty())
            refuse("the tile path has an empty layer name in \"" + geo::text::printable(text) + "\"");
        if (!geo::schema::is_valid_layer_name(name)) {
            refuse("\"" + geo::text::printable(name) +
                   "\" is not a layer name (1–63 characters of a–z, 0–9 and _, starting with a "
                   "letter)");
        }
        if (std::find(out.names.begin(), out.names.end(), name) != out.names.end()) {
            refuse("the tile path names layer \"" + std::string(name) + "\" more than once");
        }
        out.names.emplace_back(name);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    if (std::find(out.names.begin(), out.names.end(), "all") != out.names.end()) {
        if (out.names.size() > 1)
            refuse("\"all\" in a tile path stands alone, without other layer names");
        out.all = true;
        out.names.clear();
    }
    return out;
}

TilePath parse_tile_path(std::string_view path) {
    constexpr std::string_view prefix = "/tiles/";
    if (!path.starts_with(prefix)) refuse("a tile path starts with /tiles/");
    std::vector<std::string_view> parts;
    for (std::size_t start = prefix.size();;) {
        const std::size_t slash = path.find('/', start);
        parts.push_back(path.substr(
            start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
        if (slash == std::string_view::npos || parts.size() > 4) break;
        start = slash + 1;
    }
    if (parts.size() != 4)
        refuse("a tile path is /tiles/{layers}/{z}/{x}/{y}.mvt, .png or @2x.png");

    TilePath out;
    std::string_view y = parts[3];
    if (y.ends_with("@2x.png")) {
        out.format = TileFormat::png;
        out.scale = 2;
        y.remove_suffix(7);
    } else if (y.ends_with(".png")) {
        out.format = TileFormat::png;
        y.remove_suffix(4);
    } else if (y.ends_with(".mvt")) {
        y.remove_suffix(4);
    } else {
        refuse("a tile is asked for as {y}.mvt, {y}.png or {y}@2x.png");
    }
    out.layers = parse_layer_list(parts[0]);
    out.tile.z = static_cast<int>(parse_coordinate("z", parts[1], geo::tiles::k_max_zoom));
    const std::int64_t last = (std::int64_t{1} << out.tile.z) - 1;
    out.tile.x = static_cast<std::uint32_t>(parse_coordinate("x", parts[2], last));
    out.tile.y = static_cast<std::uint32_t>(parse_coordinate("y", y, last));
    return out;
}

}  // namespace gridmap::http
