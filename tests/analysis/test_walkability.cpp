// The pedestrian network: which road lines are walked (config/walkability.json), and lines on
// different levels crossing without a junction. Hand-built districts with distances worked out
// by hand, in metres.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <ogr_geometry.h>

#include "geo/analysis/coverage.hpp"
#include "geo/analysis/frame.hpp"
#include "geo/analysis/network.hpp"
#include "geo/analysis/walkability.hpp"
#include "geo/error.hpp"
#include "geo/store/store.hpp"
#include "support/test_support.hpp"

namespace {

using geo::analysis::CircleDefinition;
using geo::analysis::CircleMode;
using geo::analysis::LocalFrame;
using geo::analysis::Origin;
using geo::analysis::RoadNetwork;
using geo::analysis::Walkability;
using geo::analysis::XY;
using geo::store::NewLayer;
using geo::store::WriteMode;

constexpr double inf = std::numeric_limits<double>::infinity();

// ---- the network: levels --------------------------------------------------------------------

// Walking cost from one point to another over `net`, both snapped, snap distances included.
double walk(const RoadNetwork& net, XY from, XY to) {
    const auto a = net.snap(from, 50);
    const auto b = net.snap(to, 50);
    EXPECT_TRUE(a && b);
    if (!a || !b) return -1;
    const auto reach = net.reach({Origin{*a, a->distance_m, 0}}, inf);
    return net.cost_to(reach, *b) + b->distance_m;
}

bool has_node_at(const RoadNetwork& net, XY p) {
    for (std::uint32_t n = 0; n < net.node_count(); ++n) {
        if (std::hypot(net.node(n).x - p.x, net.node(n).y - p.y) < 1e-6) return true;
    }
    return false;
}

// Streets y = -100, 0 and 100 from x = 0 to 400, joined by a street x = 0; a bridge x = 200
// from the south street to the north one passes over the middle street.
std::vector<std::vector<XY>> bridge_district() {
    return {{{0, -100}, {400, -100}},
            {{0, 0}, {400, 0}},
            {{0, 100}, {400, 100}},
            {{0, -100}, {0, 100}},
            {{200, -100}, {200, 100}}};
}

TEST(Levels, ABridgeOverAStreetIsNoJunction) {
    const auto lines = bridge_district();
    const XY on_street{150, 0}, on_bridge{200, 60};

    // All on one level: the crossing at (200, 0) is a junction, 50 m east and 60 m up.
    const RoadNetwork flat = RoadNetwork::build(lines);
    EXPECT_TRUE(has_node_at(flat, {200, 0}));
    EXPECT_NEAR(walk(flat, on_street, on_bridge), 110, 1e-9);

    // The bridge on level 1: no junction under it, so the walk goes round by the west street:
    // 150 west, 100 north, 200 east, 40 down the bridge.
    const RoadNetwork levelled = RoadNetwork::build_on_levels(lines, {0, 0, 0, 0, 1});
    EXPECT_FALSE(has_node_at(levelled, {200, 0}));
    EXPECT_NEAR(walk(levelled, on_street, on_bridge), 490, 1e-9);
    // The bridge's ends still join the streets they land on (inside those streets' lines).
    EXPECT_TRUE(has_node_at(levelled, {200, 100}));
    EXPECT_TRUE(has_node_at(levelled, {200, -100}));
    EXPECT_EQ(levelled.stats().components, 1u);
    // From the bridge's foot on the south street, straight up it.
    EXPECT_NEAR(walk(levelled, {250, -100}, on_bridge), 50 + 160, 1e-9);
}

TEST(Levels, AnEndJoinsWhatItTouchesOnAnotherLevel) {
    // A tunnel (level −1) whose west end lies inside a street's line joins it; its middle,
    // passing under another street, does not.
    const std::vector<std::vector<XY>> lines = {
        {{0, -100}, {0, 100}},      // street, level 0
        {{0, 0}, {300, 0}},         // tunnel, level −1
        {{150, -100}, {150, 100}},  // street over the tunnel
    };
    const RoadNetwork net = RoadNetwork::build_on_levels(lines, {0, -1, 0});
    EXPECT_EQ(net.stats().components, 2u);  // the street over the tunnel stands alone
    EXPECT_NEAR(walk(net, {0, 50}, {250, 0}), 50 + 250, 1e-9);
    EXPECT_FALSE(has_node_at(net, {150, 0}));
}

// Streets y = 0 and y = 200 (x 0 to 100) with a ferry from (50, 0) to (50, 200) costing 300 m;
// a lane y = 100 runs under the ferry's route.
TEST(Crossings, AFerryJoinsOnlyAtItsEndsAndCostsItsTime) {
    const std::vector<std::vector<XY>> lines = {
        {{0, 0}, {100, 0}}, {{0, 200}, {100, 200}}, {{50, 0}, {50, 200}}, {{0, 100}, {100, 100}}};
    const RoadNetwork net = RoadNetwork::build_on_levels(lines, {}, {}, {0, 0, 300, 0});
    EXPECT_EQ(net.stats().crossings, 1u);
    EXPECT_NEAR(net.stats().total_length_km, 0.3, 1e-9);  // the ferry is not walked length
    EXPECT_FALSE(has_node_at(net, {50, 100}));
    // 40 along the south street, 300 across, 40 back along the north one.
    EXPECT_NEAR(walk(net, {10, 0}, {10, 200}), 380, 1e-9);
    // Nobody snaps onto the ferry: the nearest walked line is 50 m away.
    EXPECT_FALSE(net.snap({50, 150}, 30).has_value());
    // The lane under the ferry's route reaches nothing.
    const auto lane = net.snap({10, 100}, 1);
    ASSERT_TRUE(lane);
    const auto reach = net.reach({Origin{*lane, 0, 0}}, inf);
    EXPECT_EQ(net.cost_to(reach, *net.snap({10, 0}, 1)), inf);
    // The reachable ground of a walk from the south street leaves out the river.
    for (const auto& piece : net.reachable_lines(Origin{*net.snap({10, 0}, 1), 0, 0}, 1000)) {
        for (const XY& p : piece) EXPECT_TRUE(p.y == 0 || p.y == 200) << p.x << " " << p.y;
    }
    EXPECT_THROW(RoadNetwork::build_on_levels(lines, {}, {}, {0, 0, -1, 0}), geo::Error);
    EXPECT_THROW(RoadNetwork::build_on_levels(lines, {}, {}, {0, 300}), geo::Error);
}

TEST(Levels, LevelsMustMatchTheLines) {
    EXPECT_THROW(RoadNetwork::build_on_levels({{{0, 0}, {1, 0}}, {{0, 1}, {1, 1}}}, {0}),
                 geo::Error);
}

// ---- the table ------------------------------------------------------------------------------

geo::LayerInfo road_layer(const std::vector<std::string>& fields) {
    geo::LayerInfo l;
    l.name = "roads";
    for (const auto& f : fields) l.fields.push_back({f, geo::FieldType::text, f});
    return l;
}

geo::Feature road(std::vector<geo::Value> values) {
    geo::Feature f;
    f.values = std::move(values);
    return f;
}

TEST(Walkability, DefaultsExcludeRailFerriesExpresswaysTunnelsAndElevatedRoads) {
    const Walkability w = geo::analysis::default_walkability();
    const auto osm = road_layer({"name", "type", "kind_detail"});
    const auto judge = [&](const char* name, const char* kind, const char* detail) {
        return geo::analysis::judge_road(
            w, osm, road({std::string(name), std::string(kind), std::string(detail)}));
    };
    EXPECT_FALSE(judge("上海轨道交通10号线", "rail", "subway").walkable);
    EXPECT_FALSE(judge("外滩观光隧道", "rail", "funicular").walkable);
    EXPECT_FALSE(judge("东复线", "ferry", "").walkable);
    EXPECT_FALSE(judge("延安高架路", "major_road", "trunk").walkable);
    EXPECT_FALSE(judge("延安东路", "major_road", "trunk_link").walkable);
    const auto tunnel = judge("新建路隧道", "major_road", "secondary");
    EXPECT_FALSE(tunnel.walkable);
    EXPECT_EQ(tunnel.reason, "name 隧道");
    EXPECT_FALSE(judge("复兴东路隧道 (上层)", "major_road", "secondary").walkable);
    EXPECT_FALSE(judge("某某高架", "major_road", "primary").walkable);

    EXPECT_TRUE(judge("南京东路", "path", "pedestrian").walkable);
    EXPECT_TRUE(judge("", "path", "steps").walkable);
    EXPECT_TRUE(judge("", "path", "pier").walkable);
    EXPECT_TRUE(judge("", "path", "footway").walkable);
    EXPECT_TRUE(judge("外白渡桥", "major_road", "secondary").walkable);
    EXPECT_TRUE(judge("", "minor_road", "service").walkable);
    // A footway through a tunnel is an underpass: walked.
    EXPECT_TRUE(judge("人行隧道", "path", "footway").walkable);

    // Survey classes in Chinese, and surrounding spaces.
    const auto survey = road_layer({"道路名称", "道路等级"});
    const auto judge_zh = [&](const char* name, const char* cls) {
        return geo::analysis::judge_road(w, survey, road({std::string(name), std::string(cls)}));
    };
    EXPECT_TRUE(judge_zh("某路", "主干路").walkable);
    EXPECT_TRUE(judge_zh("某路", "次干路").walkable);
    EXPECT_TRUE(judge_zh("某路", "支路").walkable);
    EXPECT_TRUE(judge_zh("某弄", "街巷").walkable);
    EXPECT_TRUE(judge_zh("", "步行道").walkable);
    EXPECT_TRUE(judge_zh("", " 人行道 ").walkable);
    EXPECT_FALSE(judge_zh("中环路", "快速路").walkable);
    EXPECT_FALSE(judge_zh("", "轮渡").walkable);
    EXPECT_FALSE(judge_zh("", "轮渡").ferry);

    // With ferry_minutes set, a ferry is a timed crossing.
    Walkability ferries = w;
    ferries.ferry_minutes = 8;
    const auto ferry = geo::analysis::judge_road(ferries, survey, road({std::string("东金线"), std::string("轮渡")}));
    EXPECT_TRUE(ferry.walkable);
    EXPECT_TRUE(ferry.ferry);
}

TEST(Walkability, LevelsComeFromLayerBridgeAndTunnelFields) {
    const Walkability w = geo::analysis::default_walkability();
    const auto osm = road_layer({"type", "bridge", "tunnel", "layer"});
    const auto judge = [&](const char* type, const char* bridge, const char* tunnel,
                           geo::Value layer) {
        return geo::analysis::judge_road(
            w, osm, road({std::string(type), std::string(bridge), std::string(tunnel), layer}));
    };
    EXPECT_EQ(judge("secondary", "yes", "", {}).level, 1);
    EXPECT_EQ(judge("secondary", "viaduct", "", std::string("2")).level, 2);
    EXPECT_EQ(judge("secondary", "no", "", {}).level, 0);
    EXPECT_EQ(judge("footway", "", "yes", {}).level, -1);
    EXPECT_TRUE(judge("footway", "", "yes", {}).walkable);
    EXPECT_EQ(judge("footway", "", "yes", std::int64_t{-2}).level, -2);
    // A road in a tunnel is not walked; a building passage is no tunnel.
    EXPECT_FALSE(judge("secondary", "", "yes", {}).walkable);
    EXPECT_EQ(judge("secondary", "", "yes", {}).reason, "tunnel");
    EXPECT_TRUE(judge("service", "", "building_passage", {}).walkable);
    EXPECT_EQ(judge("service", "", "building_passage", {}).level, 0);

    const auto survey = road_layer({"道路等级", "桥梁", "隧道", "层"});
    const auto zh = [&](const char* bridge, const char* tunnel, const char* level) {
        return geo::analysis::judge_road(w, survey,
                                         road({std::string("支路"), std::string(bridge),
                                               std::string(tunnel), std::string(level)}));
    };
    EXPECT_EQ(zh("是", "否", "").level, 1);
    EXPECT_EQ(zh("否", "否", "").level, 0);
    EXPECT_EQ(zh("1", "", "3").level, 3);
    EXPECT_FALSE(zh("否", "是", "").walkable);
}

TEST(Walkability, TheConfigFileIsTheDefaultTable) {
    const auto text = gridmap::test::read_file(std::filesystem::path(GRIDMAP_SOURCE_DIR) /
                                               "config/walkability.json");
    const Walkability loaded = geo::analysis::load_walkability(text);
    const Walkability defaults = geo::analysis::default_walkability();
    EXPECT_EQ(loaded.class_fields, defaults.class_fields);
    EXPECT_EQ(loaded.name_fields, defaults.name_fields);
    EXPECT_EQ(loaded.pedestrian_classes, defaults.pedestrian_classes);
    EXPECT_EQ(loaded.walk_classes, defaults.walk_classes);
    EXPECT_EQ(loaded.excluded_classes, defaults.excluded_classes);
    EXPECT_EQ(loaded.walk_unknown_classes, defaults.walk_unknown_classes);
    EXPECT_EQ(loaded.excluded_name_parts, defaults.excluded_name_parts);
    EXPECT_EQ(loaded.exclude_road_tunnels, defaults.exclude_road_tunnels);
    EXPECT_EQ(loaded.level_fields, defaults.level_fields);
    EXPECT_EQ(loaded.bridge_fields, defaults.bridge_fields);
    EXPECT_EQ(loaded.tunnel_fields, defaults.tunnel_fields);
    EXPECT_EQ(loaded.ferry_classes, defaults.ferry_classes);
    EXPECT_EQ(loaded.ferry_minutes, defaults.ferry_minutes);
    EXPECT_EQ(loaded.ferry_boarding_m, defaults.ferry_boarding_m);
}

TEST(Walkability, AFileOverridesListsAndRejectsMistakes) {
    const Walkability w = geo::analysis::load_walkability(
        R"({"excluded_name_parts": ["高架"], "walk_unknown_classes": false})");
    EXPECT_EQ(w.excluded_name_parts, std::vector<std::string>{"高架"});
    EXPECT_FALSE(w.walk_unknown_classes);
    EXPECT_EQ(w.excluded_classes, geo::analysis::default_walkability().excluded_classes);
    EXPECT_THROW(geo::analysis::load_walkability(R"({"excluded_names": []})"), geo::Error);
    EXPECT_THROW(geo::analysis::load_walkability(R"({"walk_classes": "primary"})"), geo::Error);
    EXPECT_THROW(geo::analysis::load_walkability(R"({"excluded_classes": ["footway"]})"),
                 geo::Error);
    EXPECT_THROW(geo::analysis::load_walkability("{"), geo::Error);

    EXPECT_EQ(geo::analysis::load_walkability(R"({"ferry_minutes": 12.5})").ferry_minutes, 12.5);
    EXPECT_FALSE(geo::analysis::load_walkability(R"({"ferry_minutes": null})").ferry_minutes);
    EXPECT_THROW(geo::analysis::load_walkability(R"({"ferry_minutes": 0})"), geo::Error);
    EXPECT_THROW(geo::analysis::load_walkability(R"({"ferry_minutes": 1e9})"), geo::Error);
    EXPECT_THROW(geo::analysis::load_walkability(R"({"ferry_minutes": "8"})"), geo::Error);
    EXPECT_THROW(geo::analysis::load_walkability(R"({"ferry_boarding_m": -1})"), geo::Error);
    EXPECT_THROW(geo::analysis::load_walkability(R"({"ferry_classes": ["pier"]})"), geo::Error);
}

// The demo district as imported: its bridge, tunnel and layer fields (scripts/make-demo) reach
// the table, which walks 978 of its 1,094 road features, 5 of them bridges.
TEST(Walkability, TheDemoDistrictsRoadsAsImported) {
    gridmap::test::TempDir dir;
    const auto db = dir.path() / "demo.sqlite";
    gridmap::test::import_demo(db, {"roads"});
    auto store = geo::store::open_store(db.string(), false);
    const auto info = store->layer("roads");
    ASSERT_TRUE(info);
    const LocalFrame demo_frame(info->extent);
    const auto roads = geo::analysis::read_walkable_roads(*store, demo_frame, geo::analysis::default_walkability());
    EXPECT_EQ(roads.features, 1094u);
    EXPECT_EQ(roads.features - roads.excluded, 978u);
    EXPECT_EQ(roads.off_ground, 5u);
    const std::map<std::string, std::size_t> reasons = {{"name 隧道", 79}, {"class rail", 11}, {"name 地道", 11},
                                                        {"class trunk_link", 8}, {"class ferry", 5}, {"class trunk", 2}};
    EXPECT_EQ(roads.excluded_by_reason, reasons);
    EXPECT_EQ(geo::analysis::walkable_roads_note(roads, geo::analysis::default_walkability()),
              "walked 978 of 1094 road features (5 off the ground: no junction where they pass over or under); left "
              "out 116 (53.7 km): name 隧道 79, class rail 11, name 地道 11, class trunk_link 8, class ferry 5, class "
              "trunk 2");
}

// ---- whole analyses over a store ------------------------------------------------------------

const LocalFrame& frame() {
    static const LocalFrame f(geo::BBox{121.5, 31.2, 121.5, 31.2});
    return f;
}

std::string coords(XY m) {
    double lon = 0, lat = 0;
    frame().to_lonlat(m, lon, lat);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10f %.10f", lon, lat);
    return buf;
}

std::vector<unsigned char> wkb_of(const std::string& wkt) {
    OGRGeometry* g = nullptr;
    EXPECT_EQ(OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g), OGRERR_NONE) << wkt;
    std::vector<unsigned char> wkb(g->WkbSize());
    g->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
    OGRGeometryFactory::destroyGeometry(g);
    return wkb;
}

std::string line_wkt(const std::vector<XY>& pts) {
    std::string s = "MULTILINESTRING ((";
    for (std::size_t i = 0; i < pts.size(); ++i) s += (i ? ", " : "") + coords(pts[i]);
    return s + "))";
}

struct Road {
    std::string name, type, kind_detail;
    std::vector<XY> points;
};

class District : public ::testing::Test {
  protected:
    void SetUp() override { store = geo::store::open_store((dir / "d.sqlite").string(), true); }

    void roads(const std::vector<Road>& list) {
        NewLayer l{"roads",
                   "道路",
                   "MULTILINESTRING",
                   {{"name", geo::FieldType::text, ""},
                    {"type", geo::FieldType::text, ""},
                    {"kind_detail", geo::FieldType::text, ""}},
                   "test",
                   "EPSG:4326",
                   "UTF-8"};
        auto w = store->write_layer(l, WriteMode::replace);
        for (const auto& r : list)
            w->add({{r.name, r.type, r.kind_detail}, wkb_of(line_wkt(r.points))});
        w->commit();
    }
    void stations(const std::vector<XY>& points) {
        NewLayer l{
            "stations", "服务站",
            "POINT",    {{"name", geo::FieldType::text, ""}, {"type", geo::FieldType::text, ""}},
            "test",     "EPSG:4326",
            "UTF-8"};
        auto w = store->write_layer(l, WriteMode::replace);
        int n = 0;
        for (const XY& p : points) {
            w->add({{std::string("站") + std::to_string(++n), std::string("社区服务站")},
                    wkb_of("POINT (" + coords(p) + ")")});
        }
        w->commit();
    }
    // 10 m squares with 10 households each, anchored at their centres.
    void buildings(const std::vector<XY>& centres) {
        NewLayer l{"buildings",
                   "楼栋",
                   "MULTIPOLYGON",
                   {{"name", geo::FieldType::text, ""},
                    {"households", geo::FieldType::integer, ""},
                    {"pos_lon", geo::FieldType::real, ""},
                    {"pos_lat", geo::FieldType::real, ""}},
                   "test",
                   "EPSG:4326",
                   "UTF-8"};
        auto w = store->write_layer(l, WriteMode::replace);
        int n = 0;
        for (const XY& c : centres) {
            double lon = 0, lat = 0;
            frame().to_lonlat(c, lon, lat);
            const auto sq = [&](double dx, double dy) { return coords({c.x + dx, c.y + dy}); };
            w->add({{std::string("楼") + std::to_string(++n), std::int64_t{10}, lon, lat},
                    wkb_of("MULTIPOLYGON (((" + sq(-5, -5) + ", " + sq(5, -5) + ", " + sq(5, 5) +
                           ", " + sq(-5, 5) + ", " + sq(-5, -5) + ")))")});
        }
        w->commit();
    }
    // A walking circle of `radius` metres.
    static CircleDefinition walking(
        double radius, const Walkability& table = geo::analysis::default_walkability()) {
        CircleDefinition d;
        d.minutes = radius / 50;
        d.speed_m_per_min = 50;
        d.mode = CircleMode::walking;
        d.walkability = table;
        return d;
    }
    geo::analysis::CoverageReport run(const CircleDefinition& d) {
        return geo::analysis::coverage(*store, {}, d);
    }

    gridmap::test::TempDir dir;
    std::unique_ptr<geo::store::Store> store;
};

// A river between x = 300 and x = 700, crossed by the 新建路 road tunnel at y = 0 and by a
// bridge at y = 500; a bank street on either side.
TEST_F(District, ARoadTunnelUnderTheRiverIsNotWalked) {
    roads({{"西岸路", "minor_road", "residential", {{300, -500}, {300, 500}}},
           {"东岸路", "minor_road", "residential", {{700, -500}, {700, 500}}},
           {"新建路隧道", "major_road", "secondary", {{300, 0}, {700, 0}}},
           {"外白渡桥", "major_road", "secondary", {{300, 500}, {700, 500}}}});
    stations({{290, 0}});
    buildings({{710, 0}});

    // By the bridge: 10 onto the west bank, 500 north, 400 over, 500 south, 10 off.
    const auto r = run(walking(2000));
    ASSERT_EQ(r.buildings.size(), 1u);
    EXPECT_NEAR(r.buildings[0].distance_m, 1420, 0.05);
    EXPECT_EQ(r.buildings[0].nearest_station_fid, 1);

    // With the name rule switched off the tunnel is walked: 10 + 400 + 10.
    Walkability no_names = geo::analysis::default_walkability();
    no_names.excluded_name_parts.clear();
    EXPECT_NEAR(run(walking(2000, no_names)).buildings[0].distance_m, 420, 0.05);
}

// A subway line runs 40 m north of a street, crossing it at x = 100 and x = 900. A building 30 m
// north of the street lies 10 m from the subway.
TEST_F(District, ASubwayLineBesideAStreetIsNotWalked) {
    roads({{"南路", "minor_road", "residential", {{0, 0}, {1000, 0}}},
           {"上海轨道交通2号线",
            "rail",
            "subway",
            {{100, -100}, {100, 40}, {900, 40}, {900, -100}}}});
    stations({{500, -10}});
    buildings({{500, 30}});

    // Onto the street 10 m, along 0, off it 30 m.
    const auto r = run(walking(600));
    ASSERT_EQ(r.buildings.size(), 1u);
    EXPECT_NEAR(r.buildings[0].distance_m, 40, 0.05);
    EXPECT_TRUE(r.buildings[0].covered);

    // Were rail walked, the building would snap to the line 10 m away and the walk run 400 m
    // west along the street, 40 m up the line and 400 m back east: 10 + 400 + 40 + 400 + 10.
    Walkability rail_walked = geo::analysis::default_walkability();
    rail_walked.excluded_classes = {};
    rail_walked.excluded_name_parts.clear();  // 上海轨道交通 would exclude it by name too
    EXPECT_NEAR(run(walking(2000, rail_walked)).buildings[0].distance_m, 860, 0.05);
}

// A river between x = 300 and x = 700 with no bridge; piers 30 m long on either bank, and the
// 东金线 ferry stopping 5 m short of each.
TEST_F(District, AFerryIsATimedCrossingOnlyWhenTheTableSaysSo) {
    roads({{"西岸路", "minor_road", "residential", {{300, -500}, {300, 500}}},
           {"东岸路", "minor_road", "residential", {{700, -500}, {700, 500}}},
           {"", "path", "pier", {{300, 0}, {330, 0}}},
           {"", "path", "pier", {{670, 0}, {700, 0}}},
           {"东金线", "ferry", "", {{335, 0}, {665, 0}}}});
    stations({{290, 0}});
    buildings({{710, 0}});

    // By default ferries are left out: the east bank cannot be reached.
    const auto r = run(walking(2000));
    ASSERT_EQ(r.buildings.size(), 1u);
    EXPECT_FALSE(r.buildings[0].covered);
    EXPECT_FALSE(std::isfinite(r.buildings[0].distance_m));

    // As a 4-minute crossing at 50 m a minute: 10 onto the bank, 30 along the pier, 200 for the
    // boarding and the crossing, 30 along the other pier, 10 off.
    Walkability ferries = geo::analysis::default_walkability();
    ferries.ferry_minutes = 4;
    const auto by_ferry = run(walking(2000, ferries));
    EXPECT_NEAR(by_ferry.buildings[0].distance_m, 280, 0.05);
    EXPECT_TRUE(by_ferry.buildings[0].covered);

    // Piers beyond the boarding distance: the ferry leads nowhere.
    ferries.ferry_boarding_m = 4;
    EXPECT_FALSE(std::isfinite(run(walking(2000, ferries)).buildings[0].distance_m));
    const auto frame_roads = geo::analysis::read_walkable_roads(*store, frame(), ferries);
    EXPECT_EQ(frame_roads.ferries, 1u);
    EXPECT_EQ(frame_roads.ferry_ends_unconnected, 2u);
}

// A lane 300 m north of the main street joins it only through a road tunnel: without the
// tunnel it is a fragment, and its building can be reached from no station.
TEST_F(District, ABuildingOnACutOffFragmentIsUnreachable) {
    roads({{"主街", "minor_road", "residential", {{0, 0}, {1000, 0}}},
           {"人民路隧道", "major_road", "secondary", {{500, 0}, {500, 300}}},
           {"小弄", "minor_road", "service", {{400, 300}, {600, 300}}}});
    stations({{500, -10}});
    buildings({{200, 10}, {450, 310}});

    const auto r = run(walking(600));
    ASSERT_EQ(r.buildings.size(), 2u);
    EXPECT_NEAR(r.buildings[0].distance_m, 10 + 300 + 10, 0.05);
    EXPECT_EQ(r.buildings[0].nearest_station_fid, 1);
    EXPECT_TRUE(r.buildings[0].covered);
    EXPECT_FALSE(std::isfinite(r.buildings[1].distance_m));
    EXPECT_EQ(r.buildings[1].nearest_station_fid, -1);
    EXPECT_FALSE(r.buildings[1].covered);

    // Through the tunnel it would be 10 + 300 + 50 + 10.
    Walkability no_names = geo::analysis::default_walkability();
    no_names.excluded_name_parts.clear();
    EXPECT_NEAR(run(walking(600, no_names)).buildings[1].distance_m, 370, 0.05);
}

}  // namespace
