// Noding road lines into a graph, and the indexes a built network keeps.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/segment_grid.hpp"
#include "geo/analysis/network.hpp"
#include "geo/error.hpp"

namespace geo::analysis {

namespace {

using detail::SegmentGrid;

class UnionFind {
public:
    explicit UnionFind(std::size_t n) : m_parent(n) {
        std::iota(m_parent.begin(), m_parent.end(), std::uint32_t{0});
    }
    std::uint32_t add() {
        m_parent.push_back(static_cast<std::uint32_t>(m_parent.size()));
        return m_parent.back();
    }
    std::uint32_t find(std::uint32_t x) {
        std::uint32_t root = x;
        while (m_parent[root] != root) root = m_parent[root];
        while (m_parent[x] != root) {
            const std::uint32_t next = m_parent[x];
            m_parent[x] = root;
            x = next;
        }
        return root;
    }
    // The smaller index becomes the root, so results do not depend on the order of unions.
    void unite(std::uint32_t a, std::uint32_t b) {
        a = find(a);
        b = find(b);
        if (a == b) return;
        if (a < b) m_parent[b] = a;
        else m_parent[a] = b;
    }
    std::size_t size() const noexcept { return m_parent.size(); }

private:
    std::vector<std::uint32_t> m_parent;
};

double dist(XY a, XY b) { return std::hypot(a.x - b.x, a.y - b.y); }

// Parameter (0…1) of the point of segment ab nearest to p.
double project(XY p, XY a, XY b) {
    const double dx = b.x - a.x, dy = b.y - a.y;
    const double len2 = dx * dx + dy * dy;
    if (len2 <= 0) return 0;
    return std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0);
}

XY lerp(XY a, XY b, double t) { return {a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t}; }

double cross(XY o, XY a, XY b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

// Where a line is to be cut: at `param` = vertex index + fraction along the next segment.
struct Cut {
    std::uint32_t line;
    double param;
    std::uint32_t candidate;
};

class Noder {
public:
    // `crossing_cost`: per line, 0 for a line people walk, else what using the whole line costs
    // (a ferry: metres of walking the wait and the crossing are worth).
    Noder(const std::vector<std::vector<XY>>& lines, const std::vector<int>& levels,
          const std::vector<double>& crossing_cost, double tolerance)
        : m_lines(lines), m_levels(levels), m_crossing_cost(crossing_cost), m_tol(tolerance), m_uf(0) {
        m_first.reserve(lines.size() + 1);
        std::uint32_t n = 0;
        for (const auto& line : lines) {
            m_first.push_back(n);
            n += static_cast<std::uint32_t>(line.size());
        }
        m_first.push_back(n);
        m_uf = UnionFind(n);
        m_is_node.assign(n, 0);
        for (std::uint32_t i = 0; i < lines.size(); ++i) {
            m_is_node[m_first[i]] = 1;
            m_is_node[m_first[i + 1] - 1] = 1;
        }
    }

    void node_segments() {
        for (std::uint32_t i = 0; i < m_lines.size(); ++i) {
            for (std::uint32_t k = 0; k + 1 < m_lines[i].size(); ++k) m_segs.push_back({i, k});
        }
        std::vector<detail::Box> boxes(m_segs.size());
        for (std::size_t s = 0; s < m_segs.size(); ++s) {
            const XY a = point(m_segs[s], 0), b = point(m_segs[s], 1);
            boxes[s] = {std::min(a.x, b.x) - m_tol, std::min(a.y, b.y) - m_tol,
                        std::max(a.x, b.x) + m_tol, std::max(a.y, b.y) + m_tol};
        }
        const SegmentGrid grid = SegmentGrid::build(boxes);
        for (std::uint32_t c = 0; c < grid.cell_count(); ++c) {
            const auto items = grid.cell(c);
            for (std::size_t i = 0; i < items.size(); ++i) {
                for (std::size_t j = i + 1; j < items.size(); ++j) {
                    const detail::Box& bi = boxes[items[i]];
                    const detail::Box& bj = boxes[items[j]];
                    if (bi.maxx < bj.minx || bj.maxx < bi.minx || bi.maxy < bj.miny ||
                        bj.maxy < bi.miny) {
                        continue;
                    }
                    // A pair sharing several cells is handled in the one holding the lower-left
                    // corner of the boxes' overlap.
                    if (grid.cell_of(std::max(bi.minx, bj.minx), std::max(bi.miny, bj.miny)) != c) {
                        continue;
                    }
                    node_pair(items[i], items[j]);
                }
            }
        }
    }

    // Candidates closer than the tolerance become one node.
    void cluster() {
        std::vector<std::uint32_t> ids;
        for (std::uint32_t v = 0; v < m_is_node.size(); ++v) {
            if (m_is_node[v]) ids.push_back(v);
        }
        for (std::uint32_t e = 0; e < m_extra.size(); ++e) {
            ids.push_back(static_cast<std::uint32_t>(m_is_node.size()) + e);
        }
        const double cell = m_tol > 0 ? m_tol : 1e-9;
        const auto key = [](std::int64_t cx, std::int64_t cy) {
            return (static_cast<std::uint64_t>(cx) << 32) ^ static_cast<std::uint64_t>(cy & 0xFFFFFFFF);
        };
        std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> cells;
        cells.reserve(ids.size());
        for (std::uint32_t id : ids) {
            const XY p = position(id);
            const auto cx = static_cast<std::int64_t>(std::floor(p.x / cell));
            const auto cy = static_cast<std::int64_t>(std::floor(p.y / cell));
            for (std::int64_t dx = -1; dx <= 1; ++dx) {
                for (std::int64_t dy = -1; dy <= 1; ++dy) {
                    const auto it = cells.find(key(cx + dx, cy + dy));
                    if (it == cells.end()) continue;
                    for (std::uint32_t other : it->second) {
                        if (dist(p, position(other)) <= m_tol && may_join(id, other)) m_uf.unite(id, other);
                    }
                }
            }
            cells[key(cx, cy)].push_back(id);
        }
        m_candidates = std::move(ids);
    }

    // Splits every line at its candidates; appends nodes and edges to the network's columns.
    void emit(std::vector<XY>& nodes, std::vector<std::uint32_t>& edge_first,
              std::vector<XY>& points, std::vector<std::uint32_t>& from,
              std::vector<std::uint32_t>& to, std::vector<double>& length, std::vector<double>& cost,
              std::vector<char>& crossing) {
        // Node ids in order of first candidate, positions the mean of their cluster.
        std::vector<std::uint32_t> node_of(m_uf.size(), UINT32_MAX);
        std::vector<XY> sum;
        std::vector<double> count;
        for (std::uint32_t id : m_candidates) {
            const std::uint32_t root = m_uf.find(id);
            if (node_of[root] == UINT32_MAX) {
                node_of[root] = static_cast<std::uint32_t>(sum.size());
                sum.push_back({0, 0});
                count.push_back(0);
            }
            const std::uint32_t n = node_of[root];
            const XY p = position(id);
            sum[n].x += p.x;
            sum[n].y += p.y;
            count[n] += 1;
        }
        std::vector<XY> node_pos(sum.size());
        for (std::size_t n = 0; n < sum.size(); ++n) {
            node_pos[n] = {sum[n].x / count[n], sum[n].y / count[n]};
        }

        std::vector<Cut> cuts;
        cuts.reserve(m_candidates.size());
        for (std::uint32_t id : m_candidates) {
            if (id < m_is_node.size()) {
                const auto line = static_cast<std::uint32_t>(
                    std::upper_bound(m_first.begin(), m_first.end(), id) - m_first.begin() - 1);
                cuts.push_back({line, static_cast<double>(id - m_first[line]), id});
            } else {
                const Extra& e = m_extra[id - m_is_node.size()];
                cuts.push_back({e.line, e.param, id});
            }
        }
        std::sort(cuts.begin(), cuts.end(), [](const Cut& a, const Cut& b) {
            return a.line != b.line ? a.line < b.line : a.param < b.param;
        });

        // Nodes are numbered only when an edge uses them, so merged-away stubs leave no trace.
        std::vector<std::uint32_t> final_id(node_pos.size(), UINT32_MAX);
        const auto use_node = [&](std::uint32_t n) {
            if (final_id[n] == UINT32_MAX) {
                final_id[n] = static_cast<std::uint32_t>(nodes.size());
                nodes.push_back(node_pos[n]);
            }
            return final_id[n];
        };

        std::vector<XY> geometry;
        for (std::size_t c = 0; c < cuts.size();) {
            const std::uint32_t line = cuts[c].line;
            const auto& pts = m_lines[line];
            // A crossing's pieces share its cost by length (it is cut only at its ends, unless it
            // meets itself).
            double cost_per_m = 1;
            if (is_crossing(line)) {
                double line_len = 0;
                for (std::size_t i = 1; i < pts.size(); ++i) line_len += dist(pts[i - 1], pts[i]);
                cost_per_m = line_len > 0 ? m_crossing_cost[line] / line_len : 0;
            }
            std::size_t end = c;
            while (end < cuts.size() && cuts[end].line == line) ++end;
            std::uint32_t start_node = node_of[m_uf.find(cuts[c].candidate)];
            double start_param = cuts[c].param;
            for (std::size_t k = c + 1; k < end; ++k) {
                const std::uint32_t end_node = node_of[m_uf.find(cuts[k].candidate)];
                geometry.clear();
                geometry.push_back(node_pos[start_node]);
                const auto first_vertex = static_cast<std::size_t>(std::floor(start_param)) + 1;
                for (std::size_t v = first_vertex; static_cast<double>(v) < cuts[k].param; ++v) {
                    if (pts[v].x != geometry.back().x || pts[v].y != geometry.back().y) {
                        geometry.push_back(pts[v]);
                    }
                }
                const XY last = node_pos[end_node];
                if (last.x != geometry.back().x || last.y != geometry.back().y) {
                    geometry.push_back(last);
                }
                double len = 0;
                for (std::size_t i = 1; i < geometry.size(); ++i) {
                    len += dist(geometry[i - 1], geometry[i]);
                }
                // A stub between two cuts of one node is what merging left behind.
                const bool stub = start_node == end_node && len <= 2 * m_tol;
                if (!stub && geometry.size() >= 2) {
                    from.push_back(use_node(start_node));
                    to.push_back(use_node(end_node));
                    length.push_back(len);
                    cost.push_back(len * cost_per_m);
                    crossing.push_back(is_crossing(line) ? 1 : 0);
                    points.insert(points.end(), geometry.begin(), geometry.end());
                    edge_first.push_back(static_cast<std::uint32_t>(points.size()));
                } else if (!stub) {
                    // Two distinct nodes at one position: keep the link, zero length.
                    geometry.push_back(last);
                    from.push_back(use_node(start_node));
                    to.push_back(use_node(end_node));
                    length.push_back(0);
                    cost.push_back(0);
                    crossing.push_back(is_crossing(line) ? 1 : 0);
                    points.insert(points.end(), geometry.begin(), geometry.end());
                    edge_first.push_back(static_cast<std::uint32_t>(points.size()));
                }
                start_node = end_node;
                start_param = cuts[k].param;
            }
            c = end;
        }
    }

private:
    struct Seg {
        std::uint32_t line;
        std::uint32_t index;
    };
    struct Extra {
        std::uint32_t line;
        double param;
        XY p;
    };

    XY point(Seg s, std::uint32_t end) const { return m_lines[s.line][s.index + end]; }

    std::uint32_t line_of(std::uint32_t id) const {
        if (id < m_is_node.size()) {
            return static_cast<std::uint32_t>(std::upper_bound(m_first.begin(), m_first.end(), id) - m_first.begin() - 1);
        }
        return m_extra[id - m_is_node.size()].line;
    }

    // The first or last vertex of its line (a point inside a segment never is).
    bool is_line_end(std::uint32_t id) const {
        if (id >= m_is_node.size()) return false;
        const std::uint32_t line = line_of(id);
        return id == m_first[line] || id + 1 == m_first[line + 1];
    }

    bool is_crossing(std::uint32_t line) const { return m_crossing_cost[line] > 0; }

    // Two candidates may become one node when their lines lie on one level, or when either is
    // the end of its line: a bridge or tunnel joins the streets where it begins and ends. A
    // crossing (a ferry) joins only at its own ends.
    bool may_join(std::uint32_t a, std::uint32_t b) const {
        const std::uint32_t la = line_of(a), lb = line_of(b);
        if ((is_crossing(la) && !is_line_end(a)) || (is_crossing(lb) && !is_line_end(b))) return false;
        return m_levels[la] == m_levels[lb] || is_line_end(a) || is_line_end(b);
    }

    XY position(std::uint32_t id) const {
        if (id < m_is_node.size()) {
            const auto line = static_cast<std::uint32_t>(
                std::upper_bound(m_first.begin(), m_first.end(), id) - m_first.begin() - 1);
            return m_lines[line][id - m_first[line]];
        }
        return m_extra[id - m_is_node.size()].p;
    }

    std::uint32_t vertex(Seg s, std::uint32_t end) {
        const std::uint32_t v = m_first[s.line] + s.index + end;
        m_is_node[v] = 1;
        return v;
    }

    // A candidate at fraction t of segment s: its vertex when t is within the tolerance of
    // one, so that a touch near a vertex does not leave a sliver edge.
    std::uint32_t at(Seg s, double t, XY p) {
        const XY a = point(s, 0), b = point(s, 1);
        const double len = dist(a, b);
        if (t * len <= m_tol || t <= 0) return vertex(s, 0);
        if ((1 - t) * len <= m_tol || t >= 1) return vertex(s, 1);
        m_extra.push_back({s.line, s.index + t, p});
        return m_uf.add();
    }

    void node_pair(std::uint32_t i, std::uint32_t j) {
        const Seg a = m_segs[i], b = m_segs[j];
        if (a.line == b.line && (a.index + 1 == b.index || b.index + 1 == a.index)) return;
        const XY a0 = point(a, 0), a1 = point(a, 1), b0 = point(b, 0), b1 = point(b, 1);
        // Lines on different levels (a bridge over a street, a tunnel under it) meet only where
        // one of them ends: they cross without a junction. A crossing is on no level: its ends
        // join what they touch, and nothing joins it between them.
        const bool one_level = m_levels[a.line] == m_levels[b.line] && !is_crossing(a.line) && !is_crossing(b.line);
        bool touched = false;
        const auto touch = [&](Seg vs, std::uint32_t end, XY p, Seg other, XY o0, XY o1) {
            if (is_crossing(other.line)) return;
            if (!one_level) {
                const std::uint32_t v = m_first[vs.line] + vs.index + end;
                if (v != m_first[vs.line] && v + 1 != m_first[vs.line + 1]) return;
            }
            const double t = project(p, o0, o1);
            const XY q = lerp(o0, o1, t);
            if (dist(p, q) > m_tol) return;
            m_uf.unite(vertex(vs, end), at(other, t, q));
            touched = true;
        };
        touch(a, 0, a0, b, b0, b1);
        touch(a, 1, a1, b, b0, b1);
        touch(b, 0, b0, a, a0, a1);
        touch(b, 1, b1, a, a0, a1);

        const double d1 = cross(a0, a1, b0), d2 = cross(a0, a1, b1);
        const double d3 = cross(b0, b1, a0), d4 = cross(b0, b1, a1);
        const bool proper = ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) &&
                            ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
        if (!proper || !one_level) return;
        const double ta = d3 / (d3 - d4);
        const double tb = d1 / (d1 - d2);
        const XY x = lerp(a0, a1, ta);
        // Near a touch already recorded, the crossing is the same junction drawn a little off.
        if (touched && (dist(x, a0) <= m_tol || dist(x, a1) <= m_tol || dist(x, b0) <= m_tol ||
                        dist(x, b1) <= m_tol)) {
            return;
        }
        m_uf.unite(at(a, ta, x), at(b, tb, x));
    }

    const std::vector<std::vector<XY>>& m_lines;
    const std::vector<int>& m_levels;  // per line
    const std::vector<double>& m_crossing_cost;  // per line, 0 for a walked line
    double m_tol;
    std::vector<std::uint32_t> m_first;  // first vertex id of each line, then the total
    std::vector<char> m_is_node;         // per vertex id
    std::vector<Extra> m_extra;          // candidates inside segments, ids after the vertices
    std::vector<Seg> m_segs;
    UnionFind m_uf;
    std::vector<std::uint32_t> m_candidates;
};

}  // namespace

RoadNetwork RoadNetwork::build(const std::vector<std::vector<XY>>& lines,
                               const NetworkOptions& options) {
    return build_on_levels(lines, {}, options);
}

RoadNetwork RoadNetwork::build_on_levels(const std::vector<std::vector<XY>>& lines, const std::vector<int>& levels,
                                         const NetworkOptions& options, const std::vector<double>& crossing_cost_m) {
    if (!levels.empty() && levels.size() != lines.size()) {
        throw Error(Errc::invalid_argument, "road levels: " + std::to_string(levels.size()) + " given for " +
                                                std::to_string(lines.size()) + " lines");
    }
    if (!crossing_cost_m.empty() && crossing_cost_m.size() != lines.size()) {
        throw Error(Errc::invalid_argument, "crossing costs: " + std::to_string(crossing_cost_m.size()) +
                                                " given for " + std::to_string(lines.size()) + " lines");
    }
    for (const double c : crossing_cost_m) {
        if (!(c >= 0) || !std::isfinite(c)) {
            throw Error(Errc::invalid_argument, "a crossing cost must be a finite number ≥ 0 m");
        }
    }
    const double tol = options.node_tolerance_m;
    if (!(tol >= 0) || !std::isfinite(tol)) {
        throw Error(Errc::invalid_argument, "the node tolerance must be a finite number ≥ 0 m");
    }
    RoadNetwork net;
    net.m_stats.input_lines = lines.size();
    std::vector<std::vector<XY>> clean;
    std::vector<int> clean_levels;
    std::vector<double> clean_costs;
    clean.reserve(lines.size());
    clean_levels.reserve(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::vector<XY> line;
        line.reserve(lines[i].size());
        for (const XY& p : lines[i]) {
            if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
                throw Error(Errc::invalid_argument,
                            "road line " + std::to_string(i) + " has a NaN or infinite coordinate");
            }
            if (line.empty() || p.x != line.back().x || p.y != line.back().y) line.push_back(p);
        }
        if (line.size() < 2) {
            ++net.m_stats.skipped_lines;
            continue;
        }
        clean.push_back(std::move(line));
        clean_levels.push_back(levels.empty() ? 0 : levels[i]);
        clean_costs.push_back(crossing_cost_m.empty() ? 0 : crossing_cost_m[i]);
    }
    if (clean.empty()) {
        throw Error(Errc::invalid_argument,
                    "there are no road lines to build a network from (" +
                        std::to_string(lines.size()) + " given, none with two distinct points)");
    }

    Noder noder(clean, clean_levels, clean_costs, tol);
    noder.node_segments();
    noder.cluster();
    net.m_edge_first.push_back(0);
    noder.emit(net.m_nodes, net.m_edge_first, net.m_points, net.m_edge_from, net.m_edge_to,
               net.m_edge_length, net.m_edge_cost, net.m_edge_crossing);
    if (net.m_edge_length.empty()) {
        throw Error(Errc::invalid_argument,
                    "the road lines are all shorter than the node tolerance; no network remains");
    }
    net.finish();
    return net;
}

void RoadNetwork::finish() {
    const std::size_t n_nodes = m_nodes.size();
    const std::size_t n_edges = m_edge_length.size();

    m_adj_first.assign(n_nodes + 1, 0);
    for (std::size_t e = 0; e < n_edges; ++e) {
        ++m_adj_first[m_edge_from[e] + 1];
        ++m_adj_first[m_edge_to[e] + 1];
    }
    std::partial_sum(m_adj_first.begin(), m_adj_first.end(), m_adj_first.begin());
    m_adj.resize(m_adj_first.back());
    {
        std::vector<std::uint32_t> fill(m_adj_first.begin(), m_adj_first.end() - 1);
        for (std::uint32_t e = 0; e < n_edges; ++e) {
            m_adj[fill[m_edge_from[e]]++] = e;
            m_adj[fill[m_edge_to[e]]++] = e;
        }
    }

    UnionFind uf(n_nodes);
    for (std::size_t e = 0; e < n_edges; ++e) uf.unite(m_edge_from[e], m_edge_to[e]);
    std::vector<double> root_length(n_nodes, 0);
    double total = 0;
    for (std::size_t e = 0; e < n_edges; ++e) {
        if (m_edge_crossing[e]) {
            ++m_stats.crossings;
            continue;
        }
        root_length[uf.find(m_edge_from[e])] += m_edge_length[e];
        total += m_edge_length[e];
    }
    std::vector<std::uint32_t> roots;
    for (std::uint32_t v = 0; v < n_nodes; ++v) {
        if (uf.find(v) == v) roots.push_back(v);
    }
    std::stable_sort(roots.begin(), roots.end(), [&](std::uint32_t a, std::uint32_t b) {
        return root_length[a] > root_length[b];
    });
    std::vector<std::uint32_t> comp_of_root(n_nodes, 0);
    for (std::uint32_t c = 0; c < roots.size(); ++c) comp_of_root[roots[c]] = c;
    m_edge_component.resize(n_edges);
    for (std::size_t e = 0; e < n_edges; ++e) {
        m_edge_component[e] = comp_of_root[uf.find(m_edge_from[e])];
    }

    m_stats.nodes = n_nodes;
    m_stats.edges = n_edges;
    m_stats.components = roots.size();
    m_stats.total_length_km = total / 1000;
    m_stats.largest_component_share = total > 0 ? root_length[roots.front()] / total : 1.0;

    // Snapping grid over the segments of walked edges: nobody snaps onto a ferry.
    std::vector<detail::Box> boxes;
    std::vector<SegmentRef> refs;
    boxes.reserve(m_points.size());
    refs.reserve(m_points.size());
    for (std::uint32_t e = 0; e < n_edges; ++e) {
        if (m_edge_crossing[e]) continue;
        double offset = 0;
        for (std::uint32_t k = m_edge_first[e]; k + 1 < m_edge_first[e + 1]; ++k) {
            const XY a = m_points[k], b = m_points[k + 1];
            boxes.push_back({std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.x, b.x),
                             std::max(a.y, b.y)});
            refs.push_back({e, k - m_edge_first[e], offset});
            offset += dist(a, b);
        }
    }
    const SegmentGrid grid = SegmentGrid::build(boxes);
    m_grid_origin = {grid.minx, grid.miny};
    m_cell_m = grid.cell_m;
    m_grid_nx = grid.nx;
    m_grid_ny = grid.ny;
    m_cell_first = grid.first;
    m_cell_segments.resize(grid.items.size());
    for (std::size_t i = 0; i < grid.items.size(); ++i) m_cell_segments[i] = refs[grid.items[i]];
}

}  // namespace geo::analysis
