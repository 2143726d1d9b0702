#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include <geos_c.h>
#include <gtest/gtest.h>

#include "capi/geos.hpp"
#include "geo/analysis/frame.hpp"
#include "geo/analysis/network.hpp"
#include "geo/error.hpp"

namespace {

using geo::analysis::LocalFrame;
using geo::analysis::Origin;
using geo::analysis::Reach;
using geo::analysis::RoadNetwork;
using geo::analysis::Snap;
using geo::analysis::XY;

constexpr double inf = std::numeric_limits<double>::infinity();
using Lines = std::vector<std::vector<XY>>;

// A 5 × 5 street grid of 100 m blocks (nodes at 0, 100, …, 400 on both axes), drawn as five
// east-west and five north-south lines of 400 m, so that every inner junction is a crossing
// the noder must find, and the edge ones are T junctions or shared corners.
Lines street_grid() {
    Lines lines;
    for (int i = 0; i <= 4; ++i) {
        lines.push_back({{0, 100.0 * i}, {400, 100.0 * i}});
        lines.push_back({{100.0 * i, 0}, {100.0 * i, 400}});
    }
    return lines;
}

double total_length(const Lines& lines) {
    double sum = 0;
    for (const auto& l : lines) {
        for (std::size_t i = 1; i < l.size(); ++i) sum += std::hypot(l[i].x - l[i - 1].x, l[i].y - l[i - 1].y);
    }
    return sum;
}

std::uint32_t node_at(const RoadNetwork& net, XY p, double tol = 1e-9) {
    for (std::uint32_t n = 0; n < net.node_count(); ++n) {
        const XY q = net.node(n);
        if (std::abs(q.x - p.x) <= tol && std::abs(q.y - p.y) <= tol) return n;
    }
    ADD_FAILURE() << "no node at " << p.x << "," << p.y;
    return 0;
}

Origin origin_at(const RoadNetwork& net, XY p, int id, double max_snap = 50) {
    const auto snap = net.snap(p, max_snap);
    EXPECT_TRUE(snap.has_value());
    return Origin{*snap, snap->distance_m, id};
}

TEST(RoadNetwork, NodesAStreetGridDrawnAsCrossingLines) {
    const RoadNetwork net = RoadNetwork::build(street_grid());
    const auto s = net.stats();
    EXPECT_EQ(s.nodes, 25u);
    EXPECT_EQ(s.edges, 40u);
    EXPECT_EQ(s.components, 1u);
    EXPECT_DOUBLE_EQ(s.total_length_km, 4.0);
    EXPECT_DOUBLE_EQ(s.largest_component_share, 1.0);
    for (std::uint32_t e = 0; e < net.edge_count(); ++e) {
        const auto edge = net.edge(e);
        EXPECT_DOUBLE_EQ(edge.length_m, 100.0);
        ASSERT_EQ(edge.geometry.size(), 2u);
        EXPECT_EQ(edge.geometry.front().x, net.node(edge.from).x);
        EXPECT_EQ(edge.geometry.front().y, net.node(edge.from).y);
        EXPECT_EQ(edge.geometry.back().x, net.node(edge.to).x);
        EXPECT_EQ(edge.geometry.back().y, net.node(edge.to).y);
    }
    for (int i = 0; i <= 4; ++i) {
        for (int j = 0; j <= 4; ++j) node_at(net, {100.0 * i, 100.0 * j});
    }
}

TEST(RoadNetwork, ReachFromAGridNodeGivesManhattanDistances) {
    const RoadNetwork net = RoadNetwork::build(street_grid());
    const XY centre{200, 200};
    const Origin o = origin_at(net, centre, 7);
    EXPECT_EQ(o.snap.distance_m, 0.0);
    const Reach r = net.reach({o}, 250);
    // Within 250 m: the centre (0 m), its 4 neighbours (100 m) and the 8 nodes at 200 m.
    EXPECT_EQ(r.reached_count(), 13u);
    for (int i = 0; i <= 4; ++i) {
        for (int j = 0; j <= 4; ++j) {
            const double manhattan = 100.0 * (std::abs(i - 2) + std::abs(j - 2));
            const std::uint32_t n = node_at(net, {100.0 * i, 100.0 * j});
            if (manhattan <= 250) {
                EXPECT_EQ(r.node_cost_m(n), manhattan) << i << "," << j;
                EXPECT_EQ(r.node_origin(n), 7);
            } else {
                EXPECT_EQ(r.node_cost_m(n), Reach::unreached) << i << "," << j;
                EXPECT_EQ(r.node_origin(n), -1);
            }
        }
    }
    // Unbounded, every node gets its Manhattan distance.
    const Reach all = net.reach({o}, inf);
    EXPECT_EQ(all.reached_count(), 25u);
    EXPECT_EQ(all.node_cost_m(node_at(net, {0, 0})), 400.0);
    EXPECT_EQ(all.node_cost_m(node_at(net, {400, 300})), 300.0);
}

TEST(RoadNetwork, ReachableLinesOfAGridNodeAt250Metres) {
    const RoadNetwork net = RoadNetwork::build(street_grid());
    const XY c{200, 200};
    const Lines lines = net.reachable_lines(origin_at(net, c, 1), 250);
    // By hand, with d(n) the Manhattan distance of a node from the centre:
    //  4 edges centre–(d 100), whole:                      4 × 100 = 400
    // 12 edges (d 100)–(d 200), whole (150 m left at 100): 12 × 100 = 1200
    // 16 edges (d 200)–(d 300), 50 m from the d 200 end:   16 × 50 = 800
    //    (the 8 nodes at d 300 inside the grid have 2 neighbours at d 200 each)
    // Nodes at d 300 and beyond are unreached; no other edge touches a reached node.
    // Total 400 + 1200 + 800 = 2400 m in 4 + 12 + 16 = 32 pieces.
    EXPECT_EQ(lines.size(), 32u);
    EXPECT_NEAR(total_length(lines), 2400.0, 1e-9);
    int partial_ends = 0;
    for (const auto& l : lines) {
        for (const XY& p : {l.front(), l.back()}) {
            const double manhattan = std::abs(p.x - c.x) + std::abs(p.y - c.y);
            EXPECT_LE(manhattan, 250 + 1e-9);
            if (std::abs(manhattan - 250) < 1e-9) {
                ++partial_ends;
                // A cut lies half-way along a block.
                EXPECT_TRUE(std::fmod(p.x, 100) == 50 || std::fmod(p.y, 100) == 50);
            }
        }
    }
    EXPECT_EQ(partial_ends, 16);
}

TEST(RoadNetwork, EdgeReachedFromBothEndsGivesTwoPieces) {
    // A(0,0) and B(150,0) joined by a straight 150 m street and by a 500 m detour
    // (0,0)→(0,175)→(150,175)→(150,0). From A with 200 m: B costs 150, so the detour is covered
    // 200 m from A (to (25,175)) and 50 m from B (to (150,50)); its middle is not.
    const Lines lines{{{0, 0}, {150, 0}}, {{0, 0}, {0, 175}, {150, 175}, {150, 0}}};
    const RoadNetwork net = RoadNetwork::build(lines);
    ASSERT_EQ(net.node_count(), 2u);
    ASSERT_EQ(net.edge_count(), 2u);
    const Lines reach = net.reachable_lines(origin_at(net, {0, 0}, 0), 200);
    ASSERT_EQ(reach.size(), 3u);
    EXPECT_NEAR(total_length(reach), 150 + 200 + 50, 1e-9);
    bool near_a = false, near_b = false;
    for (const auto& l : reach) {
        for (const XY& p : {l.front(), l.back()}) {
            if (std::abs(p.x - 25) < 1e-9 && std::abs(p.y - 175) < 1e-9) near_a = true;
            if (std::abs(p.x - 150) < 1e-9 && std::abs(p.y - 50) < 1e-9) near_b = true;
        }
    }
    EXPECT_TRUE(near_a);
    EXPECT_TRUE(near_b);
}

TEST(RoadNetwork, OriginInTheMiddleOfAnEdge) {
    Lines lines = street_grid();
    lines.push_back({{1000, 1000}, {1100, 1000}});  // a street of its own, far away
    const RoadNetwork net = RoadNetwork::build(lines);
    EXPECT_EQ(net.stats().components, 2u);
    EXPECT_NEAR(net.stats().largest_component_share, 4000.0 / 4100.0, 1e-12);

    // A station 10 m north of the street y = 0, between the junctions at x = 100 and 200.
    const Origin o = origin_at(net, {150, 10}, 3, 20);
    EXPECT_DOUBLE_EQ(o.snap.distance_m, 10);
    EXPECT_DOUBLE_EQ(o.snap.point.x, 150);
    EXPECT_DOUBLE_EQ(o.snap.point.y, 0);
    EXPECT_DOUBLE_EQ(o.snap.offset_m, 50);
    EXPECT_EQ(net.component(o.snap.edge), 0u);
    const Reach r = net.reach({o}, 1000);
    EXPECT_DOUBLE_EQ(r.node_cost_m(node_at(net, {100, 0})), 60);
    EXPECT_DOUBLE_EQ(r.node_cost_m(node_at(net, {200, 0})), 60);
    EXPECT_DOUBLE_EQ(r.node_cost_m(node_at(net, {0, 0})), 160);
    EXPECT_DOUBLE_EQ(r.node_cost_m(node_at(net, {200, 100})), 160);
    EXPECT_DOUBLE_EQ(r.node_cost_m(node_at(net, {400, 400})), 260 + 400);

    // A target on the same edge is reached straight along it, not through a junction.
    const auto same = net.snap({180, -5}, 20);
    ASSERT_TRUE(same);
    EXPECT_EQ(same->edge, o.snap.edge);
    int via = 0;
    EXPECT_DOUBLE_EQ(net.cost_to(r, *same, &via), 10 + 30);
    EXPECT_EQ(via, 3);
    // Elsewhere: through the nearer end of the target's edge.
    const auto other = net.snap({300, 130}, 50);
    ASSERT_TRUE(other);
    EXPECT_DOUBLE_EQ(net.cost_to(r, *other), 60 + 100 + 100 + 30);
    // Another component is never reached.
    const auto island = net.snap({1050, 1003}, 50);
    ASSERT_TRUE(island);
    EXPECT_EQ(net.component(island->edge), 1u);
    EXPECT_EQ(net.cost_to(r, *island, &via), inf);
    EXPECT_EQ(via, -1);
    EXPECT_EQ(net.node_count(), 27u);
    // Beyond the limit is unreached too.
    const Reach short_reach = net.reach({o}, 35);
    EXPECT_EQ(short_reach.reached_count(), 0u);
    EXPECT_EQ(net.cost_to(short_reach, *same), inf);
    EXPECT_DOUBLE_EQ(net.cost_to(net.reach({o}, 45), *same), 40);

    // The origin's own edge is covered around it: 50 − 10 = 40 m each way with a 50 m limit.
    const Lines around = net.reachable_lines(o, 50);
    ASSERT_EQ(around.size(), 1u);
    EXPECT_NEAR(total_length(around), 80, 1e-9);
}

TEST(RoadNetwork, NearestOriginWinsEachNode) {
    const RoadNetwork net = RoadNetwork::build(street_grid());
    const Reach r = net.reach({origin_at(net, {0, 0}, 1), origin_at(net, {400, 400}, 2)}, inf);
    EXPECT_EQ(r.node_origin(node_at(net, {100, 0})), 1);
    EXPECT_EQ(r.node_origin(node_at(net, {300, 400})), 2);
    EXPECT_EQ(r.node_cost_m(node_at(net, {400, 0})), 400);
    EXPECT_EQ(r.node_cost_m(node_at(net, {300, 300})), 200);
    // A start cost counts: the walk to the road.
    Origin far = origin_at(net, {0, 0}, 1);
    far.start_cost_m = 150;
    const Reach r2 = net.reach({far, origin_at(net, {400, 400}, 2)}, inf);
    EXPECT_EQ(r2.node_origin(node_at(net, {200, 200})), 2);
    EXPECT_EQ(r2.node_cost_m(node_at(net, {100, 0})), 250);
}

TEST(RoadNetwork, TJunctionSplitsTheThroughLine) {
    const RoadNetwork exact = RoadNetwork::build({{{0, 0}, {200, 0}}, {{100, 0}, {100, 100}}});
    EXPECT_EQ(exact.node_count(), 4u);
    EXPECT_EQ(exact.edge_count(), 3u);
    for (std::uint32_t e = 0; e < 3; ++e) EXPECT_DOUBLE_EQ(exact.edge(e).length_m, 100);
    // Drawn 0.3 m short of the street: still a junction.
    const RoadNetwork short_t = RoadNetwork::build({{{0, 0}, {200, 0}}, {{100, 0.3}, {100, 100}}});
    EXPECT_EQ(short_t.node_count(), 4u);
    EXPECT_EQ(short_t.edge_count(), 3u);
    EXPECT_EQ(short_t.stats().components, 1u);
    EXPECT_NEAR(short_t.stats().total_length_km * 1000, 299.7, 0.2);
    // Drawn 0.3 m past it (an overshoot): the stub is merged away.
    const RoadNetwork over = RoadNetwork::build({{{0, 0}, {200, 0}}, {{100, -0.3}, {100, 100}}});
    EXPECT_EQ(over.node_count(), 4u);
    EXPECT_EQ(over.edge_count(), 3u);
    // 3 m short: no junction.
    const RoadNetwork apart = RoadNetwork::build({{{0, 0}, {200, 0}}, {{100, 3}, {100, 100}}});
    EXPECT_EQ(apart.node_count(), 4u);
    EXPECT_EQ(apart.edge_count(), 2u);
    EXPECT_EQ(apart.stats().components, 2u);
}

TEST(RoadNetwork, CrossingAtAnXBecomesFourEdges) {
    const RoadNetwork net = RoadNetwork::build({{{0, 0}, {100, 100}}, {{0, 100}, {100, 0}}});
    EXPECT_EQ(net.node_count(), 5u);
    EXPECT_EQ(net.edge_count(), 4u);
    node_at(net, {50, 50}, 1e-9);
    for (std::uint32_t e = 0; e < 4; ++e) EXPECT_NEAR(net.edge(e).length_m, 50 * std::sqrt(2.0), 1e-9);
}

TEST(RoadNetwork, LineCrossingItselfIsNoded) {
    // (0,0)→(100,0)→(100,100)→(50,100)→(50,−50): the last segment crosses the first at (50,0).
    const RoadNetwork net =
        RoadNetwork::build({{{0, 0}, {100, 0}, {100, 100}, {50, 100}, {50, -50}}});
    EXPECT_EQ(net.node_count(), 3u);
    EXPECT_EQ(net.edge_count(), 3u);  // 50 m in, a 300 m loop, 50 m out
    std::vector<double> lengths;
    for (std::uint32_t e = 0; e < 3; ++e) lengths.push_back(net.edge(e).length_m);
    std::sort(lengths.begin(), lengths.end());
    EXPECT_DOUBLE_EQ(lengths[0], 50);
    EXPECT_DOUBLE_EQ(lengths[1], 50);
    EXPECT_DOUBLE_EQ(lengths[2], 300);
    EXPECT_DOUBLE_EQ(net.stats().total_length_km, 0.4);
}

TEST(RoadNetwork, NearCoincidentEndsMergeWithinTolerance) {
    const RoadNetwork close = RoadNetwork::build({{{0, 0}, {100, 0}}, {{100.3, 0.2}, {200, 0}}});
    EXPECT_EQ(close.node_count(), 3u);
    EXPECT_EQ(close.edge_count(), 2u);
    EXPECT_EQ(close.stats().components, 1u);
    const RoadNetwork apart = RoadNetwork::build({{{0, 0}, {100, 0}}, {{102, 0}, {200, 0}}});
    EXPECT_EQ(apart.node_count(), 4u);
    EXPECT_EQ(apart.stats().components, 2u);
    EXPECT_NEAR(apart.stats().largest_component_share, 100.0 / 198.0, 1e-12);
    // With a 3 m tolerance the 2 m gap closes.
    const RoadNetwork wide =
        RoadNetwork::build({{{0, 0}, {100, 0}}, {{102, 0}, {200, 0}}}, {.node_tolerance_m = 3});
    EXPECT_EQ(wide.node_count(), 3u);
    EXPECT_EQ(wide.stats().components, 1u);
}

TEST(RoadNetwork, SnapFindsTheNearestSegment) {
    Lines lines = street_grid();
    lines.push_back({{600, 50}, {650, 80}, {700, 20}, {900, 500}});
    const RoadNetwork net = RoadNetwork::build(lines);
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> coord(-300, 1200);
    for (int i = 0; i < 2000; ++i) {
        const XY p{coord(rng), coord(rng)};
        double brute = inf;
        for (std::uint32_t e = 0; e < net.edge_count(); ++e) {
            const auto g = net.edge(e).geometry;
            for (std::size_t k = 0; k + 1 < g.size(); ++k) {
                const XY a = g[k], b = g[k + 1];
                const double dx = b.x - a.x, dy = b.y - a.y;
                const double t = std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy), 0.0, 1.0);
                brute = std::min(brute, std::hypot(p.x - a.x - dx * t, p.y - a.y - dy * t));
            }
        }
        const auto s = net.snap(p, inf);
        ASSERT_TRUE(s);
        EXPECT_NEAR(s->distance_m, brute, 1e-9) << p.x << "," << p.y;
        EXPECT_NEAR(std::hypot(s->point.x - p.x, s->point.y - p.y), s->distance_m, 1e-9);
        EXPECT_GE(s->offset_m, 0);
        EXPECT_LE(s->offset_m, net.edge(s->edge).length_m);
        const auto limited = net.snap(p, 40);
        EXPECT_EQ(limited.has_value(), brute <= 40);
    }
}

TEST(RoadNetwork, RejectsInvalidInput) {
    EXPECT_THROW(RoadNetwork::build({}), geo::Error);
    EXPECT_THROW(RoadNetwork::build({{{1, 1}}, {{2, 2}, {2, 2}}}), geo::Error);
    EXPECT_THROW(RoadNetwork::build({{{0, 0}, {NAN, 1}}}), geo::Error);
    EXPECT_THROW(RoadNetwork::build({{{0, 0}, {1, 1}}}, {.node_tolerance_m = -1}), geo::Error);
    const RoadNetwork net = RoadNetwork::build({{{0, 0}, {100, 0}}, {{5, 5}}});
    EXPECT_EQ(net.stats().skipped_lines, 1u);
    const Origin o = origin_at(net, {50, 0}, 0);
    EXPECT_THROW(net.reach({o}, -1), geo::Error);
    EXPECT_THROW(net.reach({o}, NAN), geo::Error);
    Origin bad = o;
    bad.snap.edge = 99;
    EXPECT_THROW(net.reach({bad}, 100), geo::Error);
    bad = o;
    bad.start_cost_m = -5;
    EXPECT_THROW(net.reach({bad}, 100), geo::Error);
    EXPECT_THROW(net.snap({NAN, 0}, 10), geo::Error);
    EXPECT_THROW(net.snap({0, 0}, -1), geo::Error);
    const RoadNetwork grid = RoadNetwork::build(street_grid());
    EXPECT_THROW(grid.cost_to(net.reach({o}, 100), *grid.snap({0, 0}, 1)), geo::Error);
    const LocalFrame frame([] {
        geo::BBox b;
        b.extend(121.4, 31.1);
        b.extend(121.6, 31.3);
        return b;
    }());
    EXPECT_THROW(net.isochrone_wkb(o, 100, 0, frame), geo::Error);
}

// Isochrone polygons, checked with GEOS after a round trip through WKB.
class Isochrone : public ::testing::Test {
protected:
    static geo::BBox shanghai() {
        geo::BBox b;
        b.extend(121.4, 31.1);
        b.extend(121.6, 31.3);
        return b;
    }
    LocalFrame frame{shanghai()};
    geo::capi::GeosContext ctx;

    geo::capi::GeosGeom read(const std::vector<unsigned char>& wkb) {
        auto g = geo::capi::geos_from_wkb(ctx, wkb);
        EXPECT_TRUE(g) << ctx.last_error();
        return g;
    }
    double area_m2(const GEOSGeometry* lonlat) {
        geo::capi::GeosGeom metres(
            ctx.get(), GEOSGeom_transformXY_r(
                           ctx.get(), lonlat,
                           [](double* x, double* y, void* self) {
                               const XY m = static_cast<const LocalFrame*>(self)->to_metres(*x, *y);
                               *x = m.x;
                               *y = m.y;
                               return 1;
                           },
                           &frame));
        double area = 0;
        GEOSArea_r(ctx.get(), metres.get(), &area);
        return area;
    }
    bool contains(const GEOSGeometry* g, XY metres) {
        double lon = 0, lat = 0;
        frame.to_lonlat(metres, lon, lat);
        geo::capi::GeosGeom pt(ctx.get(), GEOSGeom_createPointFromXY_r(ctx.get(), lon, lat));
        return GEOSContains_r(ctx.get(), g, pt.get()) == 1;
    }
};

TEST_F(Isochrone, StraightStreetGivesAStadium) {
    const double length = 200, b = 50;
    const RoadNetwork net = RoadNetwork::build({{{-100, 0}, {100, 0}}});
    const Origin o = origin_at(net, {0, 20}, 9);
    const auto wkb = net.isochrone_wkb(o, 1000, b, frame);
    ASSERT_GE(wkb.size(), 9u);
    EXPECT_EQ(wkb[0], 1);
    EXPECT_EQ(wkb[1], 6);  // MultiPolygon
    const auto g = read(wkb);
    ASSERT_TRUE(g);
    EXPECT_EQ(GEOSisValid_r(ctx.get(), g.get()), 1);
    EXPECT_EQ(GEOSGetNumGeometries_r(ctx.get(), g.get()), 1);
    const double expected = 2 * b * length + std::numbers::pi * b * b;
    EXPECT_NEAR(area_m2(g.get()), expected, 0.01 * expected);
    EXPECT_TRUE(contains(g.get(), {0, 20}));
    EXPECT_TRUE(contains(g.get(), {-140, 0}));
    EXPECT_FALSE(contains(g.get(), {-160, 0}));

    // With 60 m: 40 m left after the 20 m walk to the street, so 80 m of street.
    const auto part = read(net.isochrone_wkb(o, 60, b, frame));
    const double part_expected = 2 * b * 80 + std::numbers::pi * b * b;
    EXPECT_NEAR(area_m2(part.get()), part_expected, 0.01 * part_expected);
}

TEST_F(Isochrone, GridIsochroneIsOneValidPolygonAroundTheOrigin) {
    const RoadNetwork net = RoadNetwork::build(street_grid());
    const Origin o = origin_at(net, {230, 215}, 1);
    const auto g = read(net.isochrone_wkb(o, 250, 50, frame));
    ASSERT_TRUE(g);
    EXPECT_EQ(GEOSisValid_r(ctx.get(), g.get()), 1);
    EXPECT_EQ(GEOSGetNumGeometries_r(ctx.get(), g.get()), 1);
    EXPECT_TRUE(contains(g.get(), {230, 215}));
    EXPECT_FALSE(contains(g.get(), {0, 0}));
    // The union of buffers cannot exceed the sum of stadiums, nor fall below one of them.
    const double a = area_m2(g.get());
    EXPECT_GT(a, 2 * 50 * 100);
    EXPECT_LT(a, 400 * 400 + 2 * 50 * 500);

    // Nothing reachable: a MultiPolygon with no polygons.
    Origin far = o;
    far.start_cost_m = 300;
    const auto empty = net.isochrone_wkb(far, 250, 50, frame);
    EXPECT_EQ(empty.size(), 9u);
    const auto eg = read(empty);
    ASSERT_TRUE(eg);
    EXPECT_EQ(GEOSisEmpty_r(ctx.get(), eg.get()), 1);
}

}  // namespace
