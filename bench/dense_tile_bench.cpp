// gridmap-dense-tile-bench: MVT tiles over a dense new town (issue 10), before and after thinning.
//
// Writes the town of tests/support/dense_town.hpp (side × side footprints 6–18 m wide on a 25 m
// lattice; side 448 gives 200,704) centred in the z12 tile of lon 114.3, lat 30.6, into --db
// (reused when it already holds the layer), then times the tiles at the town's centre at each
// --zooms level, each --runs times after one unmeasured render (warm SQLite cache):
//   after   geo::tiles::render_mvt(store, {"buildings"}, t, {}, style): this branch;
//   before  the rule render_mvt followed until issue 10, through the public encoder: features
//           read the same way, encode_mvt at a 64 units² area threshold, raised fourfold while
//           the tile is over k_max_tile_bytes (at most 8 times).
// Prints one Markdown row per zoom and way: median ms, min–max ms, bytes, features drawn and
// how many of them are coalesced squares (features without an id).
//
// Usage: gridmap-dense-tile-bench --db FILE [--side 448] [--runs 5] [--zooms 12,13,14]
//                                 [--style styles/gridmap.json]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <numbers>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <protozero/pbf_reader.hpp>

#include "geo/store/store.hpp"
#include "geo/style/style.hpp"
#include "geo/tiles/tile.hpp"
#include "geo/tiles/tile_source.hpp"
#include "support/dense_town.hpp"

namespace {

geo::tiles::TileId tile_at(double lon, double lat, int z) {
    const double n = std::ldexp(1.0, z);
    const double lat_r = lat * std::numbers::pi / 180.0;
    return {z, static_cast<std::uint32_t>(std::floor((lon + 180.0) / 360.0 * n)),
            static_cast<std::uint32_t>(
                std::floor((1.0 - std::asinh(std::tan(lat_r)) / std::numbers::pi) / 2.0 * n))};
}

// Features in the tile, and those without an id (coalesced squares).
std::pair<int, int> mvt_features(const std::string& data) {
    int n = 0, no_id = 0;
    protozero::pbf_reader tile{data};
    while (tile.next(3)) {
        protozero::pbf_reader layer = tile.get_message();
        while (layer.next(2)) {
            ++n;
            protozero::pbf_reader feature = layer.get_message();
            bool id = false;
            while (feature.next()) {
                id = id || feature.tag() == 1;
                feature.skip();
            }
            if (!id) ++no_id;
        }
    }
    return {n, no_id};
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The rule until issue 10, on the same store reads as render_mvt.
std::string render_before(geo::store::Store& store, const geo::tiles::TileId& t) {
    const geo::BBox b = geo::tiles::bounds_wgs84(t);
    const double m = 64.0 / 4096.0;
    geo::store::FeatureQuery q;
    q.bbox = geo::BBox{b.minx - (b.maxx - b.minx) * m, b.miny - (b.maxy - b.miny) * m,
                       b.maxx + (b.maxx - b.minx) * m, b.maxy + (b.maxy - b.miny) * m};
    q.bbox_exact = false;
    geo::tiles::MvtLayerInput in{"buildings", store.layer("buildings")->fields, {}};
    store.read_features("buildings", q, [&](const geo::Feature& f) {
        in.features.push_back(f);
        return true;
    });
    const std::vector<geo::tiles::MvtLayerInput> inputs{std::move(in)};
    geo::tiles::MvtOptions o;
    o.min_area_units = 64;
    std::string encoded = geo::tiles::encode_mvt(t, inputs, o);
    for (int round = 0; round < 8 && encoded.size() > geo::tiles::k_max_tile_bytes; ++round) {
        o.min_area_units *= 4;
        encoded = geo::tiles::encode_mvt(t, inputs, o);
    }
    return encoded;
}

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "gridmap-dense-tile-bench: %s\nUsage: gridmap-dense-tile-bench --db FILE [--side 448] "
                 "[--runs 5] [--zooms 12,13,14] [--style styles/gridmap.json]\n",
                 why);
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string db, style_path;
    int side = 448, runs = 5;
    std::vector<int> zooms{12, 13, 14};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage((a + " needs a value").c_str());
            return argv[++i];
        };
        if (a == "--db") db = value();
        else if (a == "--side") side = std::atoi(value().c_str());
        else if (a == "--runs") runs = std::atoi(value().c_str());
        else if (a == "--style") style_path = value();
        else if (a == "--zooms") {
            zooms.clear();
            const std::string list = value();
            for (std::size_t p = 0; p < list.size();) {
                std::size_t comma = list.find(',', p);
                if (comma == std::string::npos) comma = list.size();
                zooms.push_back(std::atoi(list.substr(p, comma - p).c_str()));
                p = comma + 1;
            }
        } else usage(("unknown option " + a).c_str());
    }
    if (db.empty()) usage("--db is required");
    if (side < 1 || runs < 1) usage("--side and --runs want positive numbers");
    try {
        auto store = geo::store::open_store(db, true);
        const geo::BBox z12 = geo::tiles::bounds_wgs84(tile_at(114.3, 30.6, 12));
        const double lon = (z12.minx + z12.maxx) / 2, lat = (z12.miny + z12.maxy) / 2;
        const auto layer = store->layer("buildings");
        if (!layer || layer->feature_count != static_cast<std::int64_t>(side) * side) {
            const auto started = std::chrono::steady_clock::now();
            gridmap::test::write_dense_town(*store, side, lon, lat);
            std::fprintf(stderr, "wrote %d buildings in %.1f s\n", side * side,
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        }
        std::optional<geo::style::Style> style;
        if (!style_path.empty()) style = geo::style::load_style_file(style_path);

        std::printf("| zoom | tile | way | median ms | min–max ms | bytes | features | of which coalesced |\n");
        std::printf("|---|---|---|---:|---:|---:|---:|---:|\n");
        for (const int z : zooms) {
            const geo::tiles::TileId t = tile_at(lon, lat, z);
            for (const bool after : {false, true}) {
                const auto render = [&] {
                    return after ? geo::tiles::render_mvt(*store, {"buildings"}, t, {}, style ? &*style : nullptr)
                                 : render_before(*store, t);
                };
                std::string bytes = render();
                std::vector<double> ms;
                for (int r = 0; r < runs; ++r) {
                    const auto started = std::chrono::steady_clock::now();
                    bytes = render();
                    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                                     .count());
                }
                const auto [mn, mx] = std::minmax_element(ms.begin(), ms.end());
                const auto [features, coalesced] = mvt_features(bytes);
                std::printf("| z%d | %d/%u/%u | %s | %.1f | %.1f–%.1f | %zu | %d | %d |\n", z, t.z, t.x, t.y,
                            after ? "after" : "before", median(ms), *mn, *mx, bytes.size(), features, coalesced);
                std::fflush(stdout);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gridmap-dense-tile-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
