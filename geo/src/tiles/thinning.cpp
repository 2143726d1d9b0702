#include "tiles/thinning.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <utility>

#include "tiles/mvt_encoder.hpp"
#include "tiles/tile_geometry.hpp"

namespace geo::tiles::detail {

namespace {

// Every length and area below is in units of a 4096 extent, whatever the tile's extent.
constexpr double k_unit_extent = 4096.0;
// One pixel of a 512 px tile: the coalescing grid and the smallest square drawn.
constexpr double k_pixel = 8.0;
// A block of coalesced squares becomes one MultiPolygon feature: local enough for a client's
// feature index, few enough to cost nothing in headers.
constexpr double k_coalesce_block = 512.0;
constexpr int k_max_level = 18;

std::uint64_t mix(std::uint64_t h) noexcept {
    h += 0x9E3779B97F4A7C15ull;
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    return h ^ (h >> 31);
}

// A feature that may be dropped for density: where its whole (unclipped) geometry lies, so that
// neighbouring tiles put it in the same cell and rank it the same.
struct Candidate {
    std::uint32_t layer;
    std::uint32_t index;
    double cx;
    double cy;
    double size;    // the larger side of its box
    double weight;  // polygons: area drawn; lines: box size; points: 0
    std::uint64_t hash;
};

// A polygon too small to see, summed into the coverage of its cell.
struct Tiny {
    std::uint32_t layer;
    double x;
    double y;
    double area;
};

class Thinner {
  public:
    Thinner(const TileId& t, const std::vector<MvtLayerInput>& layers, const MvtOptions& options)
        : m_t(t), m_layers(layers), m_options(options), m_to_unit(k_unit_extent / options.extent) {
        MvtOptions everything = options;
        everything.min_area_units = 0;
        TileGeometry geometry{t, everything};
        for (std::uint32_t l = 0; l < layers.size(); ++l) {
            const auto& features = layers[l].features;
            for (std::uint32_t i = 0; i < features.size(); ++i) {
                const GeomType type = geometry.build(features[i].wkb);
                if (type == GeomType::none) continue;
                const BBox& b = geometry.raw_bounds();
                const double cx = (b.minx + b.maxx) * 0.5 * m_to_unit;
                const double cy = (b.miny + b.maxy) * 0.5 * m_to_unit;
                const double size = std::max(b.maxx - b.minx, b.maxy - b.miny) * m_to_unit;
                if (type == GeomType::polygon && geometry.largest_ring_area() < options.min_area_units) {
                    // A neighbouring tile coalesces what lies in its own square.
                    if (cx >= 0 && cx < k_unit_extent && cy >= 0 && cy < k_unit_extent) {
                        m_tiny.push_back({l, cx, cy, geometry.ring_area()});
                    }
                    continue;
                }
                const double weight = type == GeomType::polygon ? geometry.ring_area()
                                      : type == GeomType::linestring ? size
                                                                     : 0.0;
                const auto id = features[i].fid >= 0 ? static_cast<std::uint64_t>(features[i].fid)
                                                     : (std::uint64_t{1} << 63) | i;
                m_candidates.push_back({l, i, cx, cy, size, weight, mix(id)});
            }
        }
    }

    std::string encode(int level, const std::vector<std::vector<char>>* fields) {
        std::vector<LayerSelection> selections(m_layers.size());
        if (fields != nullptr) {
            for (std::size_t l = 0; l < selections.size() && l < fields->size(); ++l) {
                selections[l].fields = (*fields)[l];
            }
        }
        if (level > 0) select(level, selections);
        coalesce(k_pixel * std::ldexp(1.0, std::min(level / 2, 9)), selections);
        return encode_mvt_selected(m_t, m_layers, selections, m_options);
    }

  private:
    // Level ℓ keeps, of the features smaller than a cell, the 2 (odd ℓ) or 1 (even ℓ) largest
    // of each cell of 16·2^((ℓ−1)/2) units.
    void select(int level, std::vector<LayerSelection>& selections) const {
        const double cell = 16.0 * std::ldexp(1.0, (level - 1) / 2);
        const std::size_t per_cell = level % 2 == 1 ? 2 : 1;
        struct Ranked {
            std::uint32_t layer;
            std::int64_t cx;
            std::int64_t cy;
            const Candidate* c;
        };
        std::vector<Ranked> ranked;
        ranked.reserve(m_candidates.size());
        for (auto& s : selections) s.features.emplace();
        for (const Candidate& c : m_candidates) {
            if (c.size >= cell) {
                selections[c.layer].features->push_back(c.index);
                continue;
            }
            ranked.push_back({c.layer, static_cast<std::int64_t>(std::floor(c.cx / cell)),
                              static_cast<std::int64_t>(std::floor(c.cy / cell)), &c});
        }
        std::sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
            if (a.layer != b.layer) return a.layer < b.layer;
            if (a.cy != b.cy) return a.cy < b.cy;
            if (a.cx != b.cx) return a.cx < b.cx;
            if (a.c->weight != b.c->weight) return a.c->weight > b.c->weight;
            return a.c->hash < b.c->hash;
        });
        for (std::size_t i = 0; i < ranked.size();) {
            std::size_t j = i;
            while (j < ranked.size() && ranked[j].layer == ranked[i].layer && ranked[j].cx == ranked[i].cx &&
                   ranked[j].cy == ranked[i].cy) {
                if (j - i < per_cell) selections[ranked[j].layer].features->push_back(ranked[j].c->index);
                ++j;
            }
            i = j;
        }
        // The encoder draws in the store's order, so a tile reads the same whatever was dropped.
        for (auto& s : selections) std::sort(s.features->begin(), s.features->end());
    }

    // Sums the tiny polygons of each `grid`-sized cell and draws, row by row, a square of the
    // summed area (carried over from cells whose sum was under a pixel) around their centroid.
    void coalesce(double grid, std::vector<LayerSelection>& selections) const {
        if (m_tiny.empty()) return;
        const auto n = static_cast<std::size_t>(k_unit_extent / grid);
        struct Cell {
            double area = 0;
            double sx = 0;
            double sy = 0;
        };
        std::vector<Cell> cells;
        const double to_tile = 1.0 / m_to_unit;
        for (std::uint32_t l = 0; l < m_layers.size(); ++l) {
            cells.assign(n * n, Cell{});
            bool any = false;
            for (const Tiny& p : m_tiny) {
                if (p.layer != l) continue;
                const auto gx = std::min(n - 1, static_cast<std::size_t>(p.x / grid));
                const auto gy = std::min(n - 1, static_cast<std::size_t>(p.y / grid));
                Cell& c = cells[gy * n + gx];
                c.area += p.area;
                c.sx += p.x * p.area;
                c.sy += p.y * p.area;
                any = true;
            }
            if (!any) continue;
            const auto blocks_per_side = static_cast<std::size_t>(k_unit_extent / k_coalesce_block);
            std::map<std::size_t, TileShape> blocks;
            for (std::size_t gy = 0; gy < n; ++gy) {
                double carry = 0;
                for (std::size_t gx = 0; gx < n; ++gx) {
                    const Cell& c = cells[gy * n + gx];
                    if (c.area <= 0) continue;
                    const double total = c.area + carry;
                    if (total < k_pixel * k_pixel) {
                        carry = total;
                        continue;
                    }
                    const double side = std::min(std::sqrt(total), grid);
                    carry = total - side * side;
                    // Around the centroid, kept inside the cell.
                    const double x0 = gx * grid;
                    const double y0 = gy * grid;
                    const double left = std::clamp(c.sx / c.area - side / 2, x0, x0 + grid - side);
                    const double top = std::clamp(c.sy / c.area - side / 2, y0, y0 + grid - side);
                    const auto ix0 = static_cast<std::int32_t>(std::lround(left * to_tile));
                    const auto iy0 = static_cast<std::int32_t>(std::lround(top * to_tile));
                    const auto iside = std::max<std::int32_t>(1, static_cast<std::int32_t>(std::lround(side * to_tile)));
                    const std::size_t block =
                        static_cast<std::size_t>(y0 / k_coalesce_block) * blocks_per_side +
                        static_cast<std::size_t>(x0 / k_coalesce_block);
                    TileShape& shape = blocks[block];
                    const auto begin = static_cast<std::uint32_t>(shape.points.size());
                    shape.points.push_back({ix0, iy0});
                    shape.points.push_back({ix0 + iside, iy0});
                    shape.points.push_back({ix0 + iside, iy0 + iside});
                    shape.points.push_back({ix0, iy0 + iside});
                    shape.parts.push_back({begin, begin + 4});
                }
            }
            for (auto& [block, shape] : blocks) selections[l].extra.push_back(std::move(shape));
        }
    }

    TileId m_t;
    const std::vector<MvtLayerInput>& m_layers;
    MvtOptions m_options;
    double m_to_unit;
    std::vector<Candidate> m_candidates;
    std::vector<Tiny> m_tiny;
};

}  // namespace

std::string thin_tile(const TileId& t, const std::vector<MvtLayerInput>& layers,
                      const std::vector<std::vector<char>>& style_fields, const MvtOptions& options,
                      std::size_t budget_bytes, std::size_t plain_bytes) {
    Thinner thinner{t, layers, options};
    std::string tile;
    std::size_t size = plain_bytes;
    // Coalescing alone only adds to a tile that was over budget before.
    if (plain_bytes <= budget_bytes) {
        tile = thinner.encode(0, nullptr);
        if (tile.size() <= budget_bytes) return tile;
        size = tile.size();
    }
    const bool prunes = std::any_of(style_fields.begin(), style_fields.end(), [](const std::vector<char>& f) {
        return std::find(f.begin(), f.end(), 0) != f.end();
    });
    const std::vector<std::vector<char>>* fields = prunes ? &style_fields : nullptr;
    if (prunes) {
        tile = thinner.encode(0, fields);
        if (tile.size() <= budget_bytes) return tile;
        size = tile.size();
    }
    // Each level roughly halves what is drawn; skip the levels that cannot be enough.
    int level = 0;
    while (size > budget_bytes && level < k_max_level) {
        const double over = static_cast<double>(size) / static_cast<double>(budget_bytes);
        level = std::min(k_max_level, level + std::max(1, static_cast<int>(std::lround(std::log2(over)))));
        tile = thinner.encode(level, fields);
        size = tile.size();
    }
    return tile;
}

}  // namespace geo::tiles::detail
