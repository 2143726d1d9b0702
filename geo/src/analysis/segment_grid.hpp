#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace geo::analysis::detail {

struct Box {
    double minx, miny, maxx, maxy;
};

/// A uniform grid of buckets over boxes (segments' extents), stored as compressed rows: box i
/// is listed in every cell its extent meets. The cell size follows the data: about the mean
/// box size, and never so small that there are many more cells than boxes.
struct SegmentGrid {
    double minx = 0;
    double miny = 0;
    double cell_m = 1;
    std::uint32_t nx = 1;
    std::uint32_t ny = 1;
    std::vector<std::uint32_t> first;  // nx * ny + 1
    std::vector<std::uint32_t> items;

    static SegmentGrid build(const std::vector<Box>& boxes) {
        SegmentGrid g;
        double maxx = 0, maxy = 0, extent_sum = 0;
        g.minx = g.miny = INFINITY;
        maxx = maxy = -INFINITY;
        for (const Box& b : boxes) {
            g.minx = std::min(g.minx, b.minx);
            g.miny = std::min(g.miny, b.miny);
            maxx = std::max(maxx, b.maxx);
            maxy = std::max(maxy, b.maxy);
            extent_sum += std::max(b.maxx - b.minx, b.maxy - b.miny);
        }
        if (boxes.empty()) {
            g.minx = g.miny = maxx = maxy = 0;
        }
        const double n = static_cast<double>(std::max<std::size_t>(boxes.size(), 1));
        const double w = maxx - g.minx, h = maxy - g.miny;
        double cell = std::max(extent_sum / n, 1e-3);
        // At most about two cells per box.
        cell = std::max(cell, std::sqrt(w * h / (2 * n)));
        const double max_cells = 2 * n + 1024;
        while ((w / cell + 1) * (h / cell + 1) > max_cells) cell *= 1.5;
        g.cell_m = cell;
        g.nx = static_cast<std::uint32_t>(w / cell) + 1;
        g.ny = static_cast<std::uint32_t>(h / cell) + 1;

        g.first.assign(static_cast<std::size_t>(g.nx) * g.ny + 1, 0);
        for (int pass = 0; pass < 2; ++pass) {
            std::vector<std::uint32_t> fill;
            if (pass == 1) {
                for (std::size_t c = 1; c < g.first.size(); ++c) g.first[c] += g.first[c - 1];
                g.items.resize(g.first.back());
                fill.assign(g.first.begin(), g.first.end() - 1);
            }
            for (std::uint32_t i = 0; i < boxes.size(); ++i) {
                const Box& b = boxes[i];
                const std::uint32_t c0 = g.col(b.minx), c1 = g.col(b.maxx);
                const std::uint32_t r0 = g.row(b.miny), r1 = g.row(b.maxy);
                for (std::uint32_t r = r0; r <= r1; ++r) {
                    for (std::uint32_t c = c0; c <= c1; ++c) {
                        const std::size_t cell_id = static_cast<std::size_t>(r) * g.nx + c;
                        if (pass == 0) ++g.first[cell_id + 1];
                        else g.items[fill[cell_id]++] = i;
                    }
                }
            }
        }
        return g;
    }

    std::uint32_t cell_count() const noexcept { return nx * ny; }
    std::span<const std::uint32_t> cell(std::uint32_t c) const {
        return {items.data() + first[c], items.data() + first[c + 1]};
    }
    std::uint32_t col(double x) const noexcept { return clamp_index((x - minx) / cell_m, nx); }
    std::uint32_t row(double y) const noexcept { return clamp_index((y - miny) / cell_m, ny); }
    std::uint32_t cell_of(double x, double y) const noexcept { return row(y) * nx + col(x); }

private:
    static std::uint32_t clamp_index(double v, std::uint32_t n) noexcept {
        if (!(v > 0)) return 0;
        if (v >= n - 1) return n - 1;
        return static_cast<std::uint32_t>(v);
    }
};

}  // namespace geo::analysis::detail
