#pragma once

// A dense new town for tile-thinning tests and benchmarks (issue 10): side × side buildings on a
// 25 m lattice, each footprint a rectangle 6–18 m wide and deep (uniformly distributed, from a
// hash of its index, so the same side gives the same town). Header-only so that bench/ can use
// it without the test support library.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <string>
#include <vector>

#include "geo/store/store.hpp"
#include "geo/types.hpp"

namespace gridmap::test {

struct DenseTown {
    geo::BBox bbox_wgs84;  ///< the lattice's outer edge
    double built_m2 = 0;   ///< sum of the footprints
    double ground_m2 = 0;  ///< the lattice's area
};

inline std::uint64_t town_hash(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/// Writes the town as layer "buildings" (name, address, floors, households, use) of `store`,
/// centred on (lon, lat).
inline DenseTown write_dense_town(geo::store::Store& store, int side, double lon, double lat) {
    constexpr double pitch_m = 25.0, min_w = 6.0, max_w = 18.0, radius = 6378137.0;
    const double m_lat = 180.0 / (std::numbers::pi * radius);
    const double m_lon = m_lat / std::cos(lat * std::numbers::pi / 180.0);
    const double half = side * pitch_m / 2;
    const double west = lon - half * m_lon, south = lat - half * m_lat;
    DenseTown town;
    town.bbox_wgs84 = {west, south, lon + half * m_lon, lat + half * m_lat};
    town.ground_m2 = 4 * half * half;

    geo::store::NewLayer layer;
    layer.name = "buildings";
    layer.title = "楼栋";
    layer.geometry_type = "MULTIPOLYGON";
    layer.fields = {{"name", geo::FieldType::text, "name"},
                    {"address", geo::FieldType::text, "address"},
                    {"floors", geo::FieldType::integer, "floors"},
                    {"households", geo::FieldType::integer, "households"},
                    {"use", geo::FieldType::text, "use"}};
    layer.source_file = "generated";
    layer.source_crs = "EPSG:4326";
    layer.encoding = "UTF-8";
    const auto width = [&](std::uint64_t i, std::uint64_t salt) {
        const double u = static_cast<double>(town_hash(i * 2 + salt) >> 11) / 9007199254740992.0;
        return min_w + u * (max_w - min_w);
    };
    auto writer = store.write_layer(layer, geo::store::WriteMode::replace);
    std::vector<unsigned char> wkb;
    const auto u32 = [&](std::uint32_t v) {
        for (int k = 0; k < 4; ++k) wkb.push_back(static_cast<unsigned char>(v >> (8 * k)));
    };
    const auto f64 = [&](double v) {
        unsigned char b[8];
        std::memcpy(b, &v, 8);
        wkb.insert(wkb.end(), b, b + 8);
    };
    for (int row = 0; row < side; ++row) {
        for (int col = 0; col < side; ++col) {
            const auto i = static_cast<std::uint64_t>(row) * static_cast<std::uint64_t>(side) + col;
            const double w = width(i, 0), d = width(i, 1);
            const double cx = (col + 0.5) * pitch_m, cy = (row + 0.5) * pitch_m;
            const double x0 = west + (cx - w / 2) * m_lon, x1 = west + (cx + w / 2) * m_lon;
            const double y0 = south + (cy - d / 2) * m_lat, y1 = south + (cy + d / 2) * m_lat;
            town.built_m2 += w * d;
            // MultiPolygon of one polygon of one closed ring, little-endian ISO WKB.
            wkb.clear();
            wkb.push_back(1), u32(6), u32(1), wkb.push_back(1), u32(3), u32(1), u32(5);
            f64(x0), f64(y0), f64(x1), f64(y0), f64(x1), f64(y1), f64(x0), f64(y1), f64(x0), f64(y0);
            const auto floors = static_cast<std::int64_t>(6 + town_hash(i) % 27);
            writer->add({{"新城" + std::to_string(row + 1) + "排" + std::to_string(col + 1) + "号楼",
                          "新城大道" + std::to_string(i + 1) + "号", floors, floors * 4,
                          std::string(i % 7 == 0 ? "商住" : "住宅")},
                         wkb});
        }
    }
    writer->commit();
    return town;
}

}  // namespace gridmap::test
