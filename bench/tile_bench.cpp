// gridmap-tile-bench: times MVT rendering in-process (no HTTP, no tile cache).
//
// Opens a Gridmap database, takes a block of distinct tiles around a centre point at each zoom
// (default 5 at z14, 10 at z15, 20 at z16 around lon 114.3, lat 30.6) and times
// geo::tiles::render_mvt(store, {layer}, tile[, style]) for each (with --style, as the server
// calls it: the style tells which attributes a tile over budget may leave out). Each tile gets one unmeasured render
// first (so SQLite's page cache is warm, as in a running server), then --runs measured renders;
// the figure per tile is its median, and per zoom the median over its tiles.
//
// Prints one Markdown table row per zoom on stdout, and with --tsv one tab-separated line:
//   z tiles median_ms min_ms max_ms median_features max_features median_kb max_kb median_in_box
// (median_in_box: features whose box meets the tile, without the buffer)
//
// Usage: gridmap-tile-bench --db FILE [--layer buildings] [--runs 5] [--lon 114.3] [--lat 30.6]
//                           [--tiles 14:5,15:10,16:20] [--tsv]
#include <algorithm>
#include <chrono>
#include <optional>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include <protozero/pbf_reader.hpp>

#include "geo/error.hpp"
#include "geo/store/store.hpp"
#include "geo/tiles/tile.hpp"
#include "geo/style/style.hpp"
#include "geo/tiles/raster.hpp"
#include "geo/tiles/tile_source.hpp"

namespace {

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The XYZ tile holding (lon, lat) at zoom z.
geo::tiles::TileId tile_at(double lon, double lat, int z) {
    const double n = std::ldexp(1.0, z);
    const double lat_r = lat * std::numbers::pi / 180.0;
    const auto x = static_cast<std::uint32_t>(std::floor((lon + 180.0) / 360.0 * n));
    const auto y = static_cast<std::uint32_t>(
        std::floor((1.0 - std::asinh(std::tan(lat_r)) / std::numbers::pi) / 2.0 * n));
    return {z, x, y};
}

// `count` distinct tiles in a near-square block centred on the centre tile.
std::vector<geo::tiles::TileId> block(const geo::tiles::TileId& c, int count) {
    std::vector<std::pair<int, int>> offsets;
    for (int r = 0; static_cast<int>(offsets.size()) < count; ++r) {
        offsets.clear();
        for (int dy = -r; dy <= r; ++dy)
            for (int dx = -r; dx <= r; ++dx) offsets.emplace_back(dx, dy);
    }
    // Nearest to the centre first, so the block is as compact as possible.
    std::stable_sort(offsets.begin(), offsets.end(), [](auto a, auto b) {
        return a.first * a.first + a.second * a.second < b.first * b.first + b.second * b.second;
    });
    offsets.resize(static_cast<std::size_t>(count));
    std::vector<geo::tiles::TileId> out;
    for (auto [dx, dy] : offsets)
        out.push_back({c.z, static_cast<std::uint32_t>(static_cast<int>(c.x) + dx),
                       static_cast<std::uint32_t>(static_cast<int>(c.y) + dy)});
    return out;
}

// Number of features in all layers of an MVT tile (Tile.layers = 3, Layer.features = 2).
int mvt_features(const std::string& data) {
    int n = 0;
    protozero::pbf_reader tile{data};
    while (tile.next(3)) {
        protozero::pbf_reader layer = tile.get_message();
        while (layer.next()) {
            if (layer.tag() == 2) ++n;
            layer.skip();
        }
    }
    return n;
}

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "gridmap-tile-bench: %s\nUsage: gridmap-tile-bench --db FILE [--layer buildings] "
                 "[--runs 5] [--lon 114.3] [--lat 30.6] [--tiles 14:5,15:10,16:20] [--tsv]\n",
                 why);
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string db, layer = "buildings", tiles_arg = "14:5,15:10,16:20", format = "mvt", style_path;
    int runs = 5;
    double lon = 114.3, lat = 30.6;
    bool tsv = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage((a + " needs a value").c_str());
            return argv[++i];
        };
        if (a == "--db") db = value();
        else if (a == "--layer") layer = value();
        else if (a == "--runs") runs = std::atoi(value().c_str());
        else if (a == "--lon") lon = std::atof(value().c_str());
        else if (a == "--lat") lat = std::atof(value().c_str());
        else if (a == "--tiles") tiles_arg = value();
        else if (a == "--tsv") tsv = true;
        else if (a == "--format") format = value();
        else if (a == "--style") style_path = value();
        else usage(("unknown option " + a).c_str());
    }
    if (db.empty()) usage("--db is required");
    if (runs < 1) usage("--runs wants a positive number");
    if (format != "mvt" && format != "png") usage("--format wants mvt or png");
    if (format == "png" && style_path.empty()) usage("--format png needs --style FILE");

    std::vector<std::pair<int, int>> plan;  // zoom, tile count
    for (std::size_t p = 0; p < tiles_arg.size();) {
        std::size_t comma = tiles_arg.find(',', p);
        if (comma == std::string::npos) comma = tiles_arg.size();
        const std::string item = tiles_arg.substr(p, comma - p);
        const auto colon = item.find(':');
        if (colon == std::string::npos) usage("--tiles wants z:count,z:count");
        plan.emplace_back(std::atoi(item.substr(0, colon).c_str()), std::atoi(item.substr(colon + 1).c_str()));
        p = comma + 1;
    }

    try {
        auto store = geo::store::open_store(db, false);
        const std::vector<std::string> layers{layer};
        std::optional<geo::style::Style> style;
        if (!style_path.empty()) style = geo::style::load_style_file(style_path);
        // MVT, or a 256 px PNG drawn with the style: the same tiles, the same store reads. An
        // MVT tile over budget is thinned with the style's help, as the server does, when given.
        auto render = [&](const geo::tiles::TileId& t) {
            return format == "png" ? geo::tiles::render_png(*store, *style, t, 1, layers)
                                   : geo::tiles::render_mvt(*store, layers, t, {}, style ? &*style : nullptr);
        };
        using clock = std::chrono::steady_clock;
        for (auto [z, count] : plan) {
            std::vector<double> tile_ms, features, kb, in_box;
            for (const auto& t : block(tile_at(lon, lat, z), count)) {
                std::string bytes = render(t);  // warm-up
                std::vector<double> ms;
                for (int r = 0; r < runs; ++r) {
                    const auto start = clock::now();
                    bytes = render(t);
                    ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
                }
                tile_ms.push_back(median(ms));
                geo::store::FeatureQuery q;
                q.bbox = geo::tiles::bounds_wgs84(t);
                q.bbox_exact = false;
                in_box.push_back(static_cast<double>(store->count_features(layer, q)));
                features.push_back(format == "mvt" ? mvt_features(bytes) : in_box.back());
                kb.push_back(static_cast<double>(bytes.size()) / 1024.0);
                std::fprintf(stderr, "   z%d/%u/%u  %.2f ms  %d features  %.1f KB\n", t.z, t.x, t.y,
                             tile_ms.back(), static_cast<int>(features.back()), kb.back());
            }
            const auto [mn, mx] = std::minmax_element(tile_ms.begin(), tile_ms.end());
            const double max_f = *std::max_element(features.begin(), features.end());
            const double max_kb = *std::max_element(kb.begin(), kb.end());
            if (tsv)
                std::printf("%d\t%d\t%.3f\t%.3f\t%.3f\t%.0f\t%.0f\t%.1f\t%.1f\t%.0f\n", z, count, median(tile_ms),
                            *mn, *mx, median(features), max_f, median(kb), max_kb, median(in_box));
            else
                std::printf("| z%d | %d | %.2f | %.2f–%.2f | %.0f | %.0f | %.1f | %.1f |\n", z, count,
                            median(tile_ms), *mn, *mx, median(features), max_f, median(kb), max_kb);
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gridmap-tile-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
