#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "geo/analysis/frame.hpp"

namespace geo::analysis {

/// How road lines become a graph.
struct NetworkOptions {
    /// Vertices closer than this merge into one node, and a vertex this close to another line
    /// splits that line (a T junction drawn a little short or long). Metres, ≥ 0.
    double node_tolerance_m = 0.5;
};

/// Figures of a built network.
struct NetworkStats {
    std::size_t nodes = 0;
    std::size_t edges = 0;
    std::size_t components = 0;          ///< connected components (of edges; isolated nodes do not exist)
    std::size_t crossings = 0;           ///< edges that are timed crossings (ferries)
    double total_length_km = 0;          ///< of the walked edges (crossings not counted)
    double largest_component_share = 0;  ///< the largest component's share of total length, 0…1
    std::size_t input_lines = 0;
    std::size_t skipped_lines = 0;       ///< lines with fewer than two distinct points
};

/// An edge as stored: undirected, between nodes `from` and `to` (equal for a loop), with its
/// polyline in metres running from `from` to `to`.
struct EdgeView {
    std::uint32_t from;
    std::uint32_t to;
    double length_m;              ///< sum of the polyline's segment lengths
    std::span<const XY> geometry; ///< ≥ 2 points; first is node(from), last is node(to)
    double cost_m;                ///< what walking it costs: length_m, or a crossing's cost
    bool crossing;                ///< a timed crossing (a ferry): nobody snaps onto it
};

/// The nearest point of the network to a query point.
struct Snap {
    std::uint32_t edge = 0;
    double offset_m = 0;    ///< along the edge from its `from` node, 0…length_m
    XY point;               ///< the snapped point, metres
    double distance_m = 0;  ///< from the query point to `point`
};

/// A start of a walk: a snapped place, the cost already spent to get onto the network
/// (usually the snap distance), and the caller's id for it (e.g. a station's index).
struct Origin {
    Snap snap;
    double start_cost_m = 0;
    int id = 0;
};

class RoadNetwork;

/// Least costs from a set of origins to every node, bounded by a limit (see RoadNetwork::reach).
class Reach {
public:
    static constexpr double unreached = std::numeric_limits<double>::infinity();

    double limit_m() const noexcept { return m_limit_m; }
    std::size_t node_count() const noexcept { return m_cost.size(); }
    /// Least cost in metres to `node`, or `unreached` (infinity) beyond the limit.
    double node_cost_m(std::uint32_t node) const { return m_cost.at(node); }
    /// The id of the origin whose cost that is, or −1 when unreached.
    int node_origin(std::uint32_t node) const { return m_origin.at(node); }
    /// Number of nodes within the limit.
    std::size_t reached_count() const noexcept { return m_reached; }

private:
    friend class RoadNetwork;
    double m_limit_m = 0;
    std::size_t m_reached = 0;
    std::vector<double> m_cost;
    std::vector<int> m_origin;
    std::vector<Origin> m_origins;  // sorted by snap.edge, for walks along one edge
};

/// An undirected, routable road graph in a metric plane (a LocalFrame), for walking
/// distances. Lines are noded where they cross or touch: every proper crossing of two
/// segments (of two lines or of one line) becomes a node, vertices closer than
/// NetworkOptions::node_tolerance_m merge, and a vertex that close to another line's interior
/// splits it — all this between lines on one level. Lines on different levels (a bridge and
/// the street under it) meet only at their end points: an end of either line within the
/// tolerance of the other line joins it, and nothing else does, so they cross without a
/// junction. A timed crossing (a ferry) is a line on no level: its two ends join what they
/// touch, nothing joins it between them, nobody snaps onto it, and using it costs a fixed
/// amount instead of its length. Immutable once built; const member functions may be called
/// from many threads.
class RoadNetwork {
public:
    /// Builds the graph from polylines in metres. Consecutive repeated points are dropped and
    /// lines with fewer than two distinct points skipped (counted in stats()). Throws
    /// geo::Error (invalid_argument) for a NaN or infinite coordinate, a negative or NaN
    /// tolerance, or when no usable line remains.
    static RoadNetwork build(const std::vector<std::vector<XY>>& lines,
                             const NetworkOptions& options = {});
    /// The same with a level per line (0 the ground, 1 a bridge, −1 a tunnel …; empty: all on
    /// the ground) and a crossing cost per line (0: a line people walk; > 0: a timed crossing
    /// whose whole length costs that many metres of walking; empty: no crossings). Throws
    /// geo::Error (invalid_argument) also when the counts differ or a cost is negative or NaN.
    static RoadNetwork build_on_levels(const std::vector<std::vector<XY>>& lines, const std::vector<int>& levels,
                                       const NetworkOptions& options = {},
                                       const std::vector<double>& crossing_cost_m = {});

    NetworkStats stats() const noexcept { return m_stats; }
    std::size_t node_count() const noexcept { return m_nodes.size(); }
    std::size_t edge_count() const noexcept { return m_edge_length.size(); }
    XY node(std::uint32_t n) const { return m_nodes.at(n); }
    EdgeView edge(std::uint32_t e) const;
    /// Connected component of an edge (0 is the one with the most length).
    std::uint32_t component(std::uint32_t edge) const { return m_edge_component.at(edge); }

    /// The nearest point on any walked edge (not a crossing) within `max_distance_m` (may be infinity) of `p`
    /// (metres), or nullopt. Ties go to the lowest edge id. Throws geo::Error
    /// (invalid_argument) for a non-finite point or a negative/NaN distance.
    std::optional<Snap> snap(XY p, double max_distance_m) const;

    /// Multi-source Dijkstra: every node's least cost (metres) over all origins, where an
    /// origin reaches both ends of its edge at start_cost_m + the distance along the edge, and
    /// an edge costs its length (a crossing its fixed cost).
    /// Nodes costing more than `limit_m` (may be infinity) stay unreached. Throws geo::Error
    /// (invalid_argument) for a negative or NaN limit or start cost, or an edge id out of range.
    Reach reach(const std::vector<Origin>& origins, double limit_m) const;

    /// Least cost from the origins of `reach` to a snapped target: through either end of its
    /// edge, or straight along the edge from an origin on the same edge. The target's own snap
    /// distance is not included. Infinity when that exceeds reach.limit_m(); then
    /// `*origin_id` (when given) is −1, else the id of the origin.
    double cost_to(const Reach& reach, const Snap& target, int* origin_id = nullptr) const;

    /// The parts of the network within `limit_m` of one origin, as polylines in metres: whole
    /// edges that are within budget all along, and pieces cut exactly where the remaining
    /// budget runs out (an edge reached from both ends but not in its middle gives two
    /// pieces; the origin's own edge is covered around the origin). Pieces of zero length and
    /// crossings (the river a ferry crosses is not reachable ground) are left out; empty when
    /// the origin's start cost exceeds the limit.
    std::vector<std::vector<XY>> reachable_lines(const Origin& origin, double limit_m) const;

    /// The walking isochrone of one origin as a polygon: reachable_lines() buffered by
    /// `buffer_m` (round caps and joins, `quadrant_segments` per quarter circle) and unioned,
    /// converted to lon/lat through `frame` (the frame the lines were made in). Returns a
    /// valid 2D little-endian ISO WKB MultiPolygon in EPSG:4326 (lon, lat), with no polygons
    /// when nothing is reachable. Throws geo::Error (invalid_argument) for buffer_m ≤ 0 or
    /// NaN, (internal) when GEOS fails.
    std::vector<unsigned char> isochrone_wkb(const Origin& origin, double limit_m,
                                             double buffer_m, const LocalFrame& frame,
                                             int quadrant_segments = 8) const;

private:
    RoadNetwork() = default;  // only build() makes one

    struct SegmentRef {
        std::uint32_t edge;
        std::uint32_t index;   // the segment starts at geometry point `index`
        double offset_m;       // along the edge at the segment's start
    };

    void finish();  // adjacency, components, stats and the snapping grid from the edges

    std::vector<XY> m_nodes;
    // Edge e has points m_points[m_edge_first[e] … m_edge_first[e + 1]).
    std::vector<std::uint32_t> m_edge_first;
    std::vector<XY> m_points;
    std::vector<std::uint32_t> m_edge_from;
    std::vector<std::uint32_t> m_edge_to;
    std::vector<double> m_edge_length;
    std::vector<double> m_edge_cost;     // m_edge_length but for crossings
    std::vector<char> m_edge_crossing;   // 1 for a timed crossing
    std::vector<std::uint32_t> m_edge_component;
    // Adjacency in compressed rows: node n's incident edges are m_adj[m_adj_first[n] …).
    std::vector<std::uint32_t> m_adj_first;
    std::vector<std::uint32_t> m_adj;
    // Uniform grid over edge segments for snapping.
    XY m_grid_origin;
    double m_cell_m = 1;
    std::uint32_t m_grid_nx = 0;
    std::uint32_t m_grid_ny = 0;
    std::vector<std::uint32_t> m_cell_first;
    std::vector<SegmentRef> m_cell_segments;
    NetworkStats m_stats;
};

/// Buffers polylines in metres by `buffer_m` (round caps and joins) into one valid polygonal
/// area, converted to lon/lat through `frame`: 2D little-endian ISO WKB MultiPolygon in
/// EPSG:4326, with no polygons when `lines_m` is empty. The isochrone's last step, exposed for
/// callers that merge several origins' lines. Throws geo::Error as isochrone_wkb().
std::vector<unsigned char> buffer_lines_wkb(const std::vector<std::vector<XY>>& lines_m,
                                            double buffer_m, const LocalFrame& frame,
                                            int quadrant_segments = 8);

}  // namespace geo::analysis
