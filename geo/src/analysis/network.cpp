// Queries on a built road network: snapping, shortest paths, reachable parts.
#include "geo/analysis/network.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "geo/error.hpp"

namespace geo::analysis {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

double dist(XY a, XY b) { return std::hypot(a.x - b.x, a.y - b.y); }

bool by_edge(const Origin& a, const Origin& b) { return a.snap.edge < b.snap.edge; }

}  // namespace

EdgeView RoadNetwork::edge(std::uint32_t e) const {
    if (e >= m_edge_length.size()) {
        throw Error(Errc::invalid_argument, "edge " + std::to_string(e) + " does not exist");
    }
    const std::uint32_t first = m_edge_first[e];
    return {m_edge_from[e], m_edge_to[e], m_edge_length[e],
            std::span<const XY>(m_points.data() + first, m_edge_first[e + 1] - first), m_edge_cost[e],
            m_edge_crossing[e] != 0};
}

std::optional<Snap> RoadNetwork::snap(XY p, double max_distance_m) const {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
        throw Error(Errc::invalid_argument, "cannot snap a point with a NaN or infinite coordinate");
    }
    if (!(max_distance_m >= 0)) {
        throw Error(Errc::invalid_argument, "the snapping distance must be ≥ 0 m");
    }
    const auto fx = static_cast<std::int64_t>(std::floor((p.x - m_grid_origin.x) / m_cell_m));
    const auto fy = static_cast<std::int64_t>(std::floor((p.y - m_grid_origin.y) / m_cell_m));
    const std::int64_t nx = m_grid_nx, ny = m_grid_ny;
    const std::int64_t k_first =
        std::max({std::int64_t{0}, -fx, fx - (nx - 1), -fy, fy - (ny - 1)});
    const std::int64_t k_last = std::max({fx, nx - 1 - fx, fy, ny - 1 - fy});

    double best_d2 = inf;
    Snap best;
    const auto visit = [&](std::int64_t cx, std::int64_t cy) {
        const std::size_t c = static_cast<std::size_t>(cy * nx + cx);
        for (std::uint32_t i = m_cell_first[c]; i < m_cell_first[c + 1]; ++i) {
            const SegmentRef& s = m_cell_segments[i];
            const XY a = m_points[m_edge_first[s.edge] + s.index];
            const XY b = m_points[m_edge_first[s.edge] + s.index + 1];
            const double dx = b.x - a.x, dy = b.y - a.y;
            const double len2 = dx * dx + dy * dy;
            double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0;
            t = std::clamp(t, 0.0, 1.0);
            const XY q{a.x + dx * t, a.y + dy * t};
            const double d2 = (p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y);
            if (d2 < best_d2 || (d2 == best_d2 && s.edge < best.edge)) {
                best_d2 = d2;
                best.edge = s.edge;
                best.offset_m = std::min(s.offset_m + std::sqrt(len2) * t, m_edge_length[s.edge]);
                best.point = q;
            }
        }
    };
    for (std::int64_t k = k_first; k <= k_last; ++k) {
        if (static_cast<double>(k - 1) * m_cell_m > max_distance_m) break;
        for (std::int64_t cy = std::max<std::int64_t>(fy - k, 0);
             cy <= std::min<std::int64_t>(fy + k, ny - 1); ++cy) {
            const bool edge_row = cy == fy - k || cy == fy + k;
            if (edge_row) {
                for (std::int64_t cx = std::max<std::int64_t>(fx - k, 0);
                     cx <= std::min<std::int64_t>(fx + k, nx - 1); ++cx) {
                    visit(cx, cy);
                }
            } else {
                if (fx - k >= 0 && fx - k < nx) visit(fx - k, cy);
                if (k > 0 && fx + k >= 0 && fx + k < nx) visit(fx + k, cy);
            }
        }
        // Cells of the next ring are at least k cells away from p.
        if (best_d2 < inf && std::sqrt(best_d2) <= static_cast<double>(k) * m_cell_m) break;
    }
    if (best_d2 == inf) return std::nullopt;
    best.distance_m = std::sqrt(best_d2);
    if (best.distance_m > max_distance_m) return std::nullopt;
    return best;
}

Reach RoadNetwork::reach(const std::vector<Origin>& origins, double limit_m) const {
    if (!(limit_m >= 0)) {
        throw Error(Errc::invalid_argument, "the walking limit must be ≥ 0 m");
    }
    Reach r;
    r.m_limit_m = limit_m;
    r.m_cost.assign(m_nodes.size(), inf);
    r.m_origin.assign(m_nodes.size(), -1);
    r.m_origins = origins;
    std::stable_sort(r.m_origins.begin(), r.m_origins.end(), by_edge);

    using Item = std::pair<double, std::uint32_t>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
    const auto offer = [&](std::uint32_t node, double cost, int id) {
        if (cost <= limit_m && cost < r.m_cost[node]) {
            r.m_cost[node] = cost;
            r.m_origin[node] = id;
            heap.emplace(cost, node);
        }
    };
    for (const Origin& o : origins) {
        if (o.snap.edge >= m_edge_length.size()) {
            throw Error(Errc::invalid_argument,
                        "origin " + std::to_string(o.id) + " is snapped to an edge that does not exist");
        }
        if (!(o.start_cost_m >= 0) || !std::isfinite(o.start_cost_m) ||
            !std::isfinite(o.snap.offset_m)) {
            throw Error(Errc::invalid_argument,
                        "origin " + std::to_string(o.id) + " has a negative or non-finite start cost");
        }
        const double len = m_edge_length[o.snap.edge];
        const double offset = std::clamp(o.snap.offset_m, 0.0, len);
        offer(m_edge_from[o.snap.edge], o.start_cost_m + offset, o.id);
        offer(m_edge_to[o.snap.edge], o.start_cost_m + (len - offset), o.id);
    }
    while (!heap.empty()) {
        const auto [cost, node] = heap.top();
        heap.pop();
        if (cost > r.m_cost[node]) continue;
        ++r.m_reached;
        const int id = r.m_origin[node];
        for (std::uint32_t i = m_adj_first[node]; i < m_adj_first[node + 1]; ++i) {
            const std::uint32_t e = m_adj[i];
            const std::uint32_t other = m_edge_from[e] == node ? m_edge_to[e] : m_edge_from[e];
            offer(other, cost + m_edge_cost[e], id);
        }
    }
    return r;
}

double RoadNetwork::cost_to(const Reach& reach, const Snap& target, int* origin_id) const {
    if (reach.m_cost.size() != m_nodes.size()) {
        throw Error(Errc::invalid_argument, "the reach was computed on another road network");
    }
    if (target.edge >= m_edge_length.size()) {
        throw Error(Errc::invalid_argument, "the target is snapped to an edge that does not exist");
    }
    const double len = m_edge_length[target.edge];
    const double offset = std::clamp(target.offset_m, 0.0, len);
    const std::uint32_t a = m_edge_from[target.edge], b = m_edge_to[target.edge];
    double best = reach.m_cost[a] + offset;
    int best_id = reach.m_origin[a];
    if (const double via_b = reach.m_cost[b] + (len - offset); via_b < best) {
        best = via_b;
        best_id = reach.m_origin[b];
    }
    Origin key;
    key.snap.edge = target.edge;
    const auto [lo, hi] = std::equal_range(reach.m_origins.begin(), reach.m_origins.end(), key, by_edge);
    for (auto it = lo; it != hi; ++it) {
        const double along = it->start_cost_m + std::abs(std::clamp(it->snap.offset_m, 0.0, len) - offset);
        if (along < best) {
            best = along;
            best_id = it->id;
        }
    }
    if (!(best <= reach.m_limit_m)) {
        best = inf;
        best_id = -1;
    }
    if (origin_id) *origin_id = best_id;
    return best;
}

std::vector<std::vector<XY>> RoadNetwork::reachable_lines(const Origin& origin,
                                                          double limit_m) const {
    const Reach r = reach({origin}, limit_m);
    std::vector<std::vector<XY>> out;
    if (origin.start_cost_m > limit_m) return out;

    std::vector<std::uint32_t> edges{origin.snap.edge};
    for (std::uint32_t n = 0; n < m_nodes.size(); ++n) {
        if (r.m_cost[n] == inf) continue;
        edges.insert(edges.end(), m_adj.begin() + m_adj_first[n], m_adj.begin() + m_adj_first[n + 1]);
    }
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());

    std::vector<std::pair<double, double>> spans;
    for (const std::uint32_t e : edges) {
        if (m_edge_crossing[e]) continue;
        const double len = m_edge_length[e];
        spans.clear();
        if (const double ca = r.m_cost[m_edge_from[e]]; ca <= limit_m) {
            spans.emplace_back(0.0, std::min(len, limit_m - ca));
        }
        if (const double cb = r.m_cost[m_edge_to[e]]; cb <= limit_m) {
            spans.emplace_back(std::max(0.0, len - (limit_m - cb)), len);
        }
        if (e == origin.snap.edge) {
            const double s = std::clamp(origin.snap.offset_m, 0.0, len);
            const double budget = limit_m - origin.start_cost_m;
            spans.emplace_back(std::max(0.0, s - budget), std::min(len, s + budget));
        }
        std::sort(spans.begin(), spans.end());
        std::vector<std::pair<double, double>> merged;
        for (const auto& s : spans) {
            if (!merged.empty() && s.first <= merged.back().second) {
                merged.back().second = std::max(merged.back().second, s.second);
            } else {
                merged.push_back(s);
            }
        }
        const EdgeView view = edge(e);
        for (const auto& [t0, t1] : merged) {
            if (!(t1 > t0)) continue;  // a node reached exactly at the limit adds nothing
            if (t0 <= 0 && t1 >= len) {
                out.emplace_back(view.geometry.begin(), view.geometry.end());
                continue;
            }
            std::vector<XY> piece;
            double at = 0;
            for (std::size_t i = 0; i + 1 < view.geometry.size(); ++i) {
                const XY a = view.geometry[i], b = view.geometry[i + 1];
                const double seg = dist(a, b);
                const double end = at + seg;
                const auto point_at = [&](double t) {
                    const double f = seg > 0 ? std::clamp((t - at) / seg, 0.0, 1.0) : 0.0;
                    return XY{a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f};
                };
                if (piece.empty() && t0 <= end) piece.push_back(t0 <= 0 ? a : point_at(t0));
                if (!piece.empty()) {
                    if (t1 <= end || i + 2 == view.geometry.size()) {
                        piece.push_back(t1 >= len ? b : point_at(t1));
                        break;
                    }
                    piece.push_back(b);
                }
                at = end;
            }
            if (piece.size() >= 2) out.push_back(std::move(piece));
        }
    }
    return out;
}

}  // namespace geo::analysis
