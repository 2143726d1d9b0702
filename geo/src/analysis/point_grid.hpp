#pragma once

// A uniform grid over points in a plane, for "nearest point" and "any point within r" among
// a few hundred stations or a few thousand candidate sites, asked for every building.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "geo/analysis/frame.hpp"

namespace geo::analysis::detail {

class PointGrid {
  public:
    /// `points` in metres; `cell_m` > 0, about the search radius.
    PointGrid(const std::vector<XY>& points, double cell_m) : m_points(points) {
        if (points.empty()) return;
        double minx = points[0].x, miny = points[0].y, maxx = minx, maxy = miny;
        for (const XY& p : points) {
            minx = std::min(minx, p.x), maxx = std::max(maxx, p.x);
            miny = std::min(miny, p.y), maxy = std::max(maxy, p.y);
        }
        // At most about a million cells, whatever the spread of the points.
        m_cell = std::max({cell_m, (maxx - minx) / 1000, (maxy - miny) / 1000, 1e-3});
        m_minx = minx;
        m_miny = miny;
        m_nx = static_cast<int>((maxx - minx) / m_cell) + 1;
        m_ny = static_cast<int>((maxy - miny) / m_cell) + 1;
        m_first.assign(static_cast<std::size_t>(m_nx) * static_cast<std::size_t>(m_ny) + 1, 0);
        for (const XY& p : points) ++m_first[index(column(p.x), row(p.y)) + 1];
        for (std::size_t i = 1; i < m_first.size(); ++i) m_first[i] += m_first[i - 1];
        m_items.resize(points.size());
        std::vector<std::uint32_t> next(m_first.begin(), m_first.end() - 1);
        for (std::uint32_t i = 0; i < points.size(); ++i) {
            m_items[next[index(column(points[i].x), row(points[i].y))]++] = i;
        }
    }

    /// The nearest point to `p` (lowest index on ties) and its distance; index −1 when empty.
    std::pair<std::int64_t, double> nearest(XY p) const {
        std::int64_t best = -1;
        double best_d2 = std::numeric_limits<double>::infinity();
        if (m_points.empty()) return {best, best_d2};
        const int cx = std::clamp(column(p.x), 0, m_nx - 1), cy = std::clamp(row(p.y), 0, m_ny - 1);
        // Distance from p to the clamped cell: a point outside the grid starts that far away.
        const double outside = std::hypot(std::max({m_minx - p.x, 0.0, p.x - (m_minx + m_nx * m_cell)}),
                                          std::max({m_miny - p.y, 0.0, p.y - (m_miny + m_ny * m_cell)}));
        const int rings = std::max(m_nx, m_ny);
        for (int r = 0; r <= rings; ++r) {
            visit_ring(cx, cy, r, [&](std::uint32_t i) {
                const double dx = m_points[i].x - p.x, dy = m_points[i].y - p.y;
                const double d2 = dx * dx + dy * dy;
                if (d2 < best_d2 || (d2 == best_d2 && i < best)) {
                    best_d2 = d2;
                    best = i;
                }
            });
            // Cells of ring r + 1 and beyond are at least r cells away, and no cell is nearer
            // than the grid's own edge.
            const double bound = std::max(outside, r * m_cell);
            if (best >= 0 && best_d2 <= bound * bound) break;
        }
        return {best, std::sqrt(best_d2)};
    }

    /// Calls visit(index, distance) for every point within `radius` of `p`.
    template <class Visit>
    void within(XY p, double radius, Visit&& visit) const {
        if (m_points.empty()) return;
        const int x0 = std::max(0, column(p.x - radius)), x1 = std::min(m_nx - 1, column(p.x + radius));
        const int y0 = std::max(0, row(p.y - radius)), y1 = std::min(m_ny - 1, row(p.y + radius));
        const double r2 = radius * radius;
        for (int y = y0; y <= y1; ++y) {
            for (int x = x0; x <= x1; ++x) {
                const std::size_t c = index(x, y);
                for (std::uint32_t k = m_first[c]; k < m_first[c + 1]; ++k) {
                    const std::uint32_t i = m_items[k];
                    const double dx = m_points[i].x - p.x, dy = m_points[i].y - p.y;
                    const double d2 = dx * dx + dy * dy;
                    if (d2 <= r2) visit(i, std::sqrt(d2));
                }
            }
        }
    }

  private:
    int column(double x) const { return static_cast<int>(std::floor((x - m_minx) / m_cell)); }
    int row(double y) const { return static_cast<int>(std::floor((y - m_miny) / m_cell)); }
    std::size_t index(int x, int y) const {
        return static_cast<std::size_t>(std::clamp(y, 0, m_ny - 1)) * static_cast<std::size_t>(m_nx) +
               static_cast<std::size_t>(std::clamp(x, 0, m_nx - 1));
    }
    template <class Visit>
    void visit_ring(int cx, int cy, int r, Visit&& visit) const {
        for (int y = cy - r; y <= cy + r; ++y) {
            if (y < 0 || y >= m_ny) continue;
            const bool edge_row = y == cy - r || y == cy + r;
            for (int x = cx - r; x <= cx + r; x += (edge_row || r == 0) ? 1 : 2 * r) {
                if (x < 0 || x >= m_nx) continue;
                const std::size_t c = index(x, y);
                for (std::uint32_t k = m_first[c]; k < m_first[c + 1]; ++k) visit(m_items[k]);
            }
        }
    }

    const std::vector<XY>& m_points;
    double m_cell = 1;
    double m_minx = 0;
    double m_miny = 0;
    int m_nx = 0;
    int m_ny = 0;
    std::vector<std::uint32_t> m_first;
    std::vector<std::uint32_t> m_items;
};

}  // namespace geo::analysis::detail
