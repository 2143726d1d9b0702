// Coverage, station load and siting: small districts laid out in metres whose answers can be
// counted by hand, and the demo district cross-checked against SpatiaLite's own geodesic
// distances.
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <ogr_geometry.h>

#include "capi/sqlite.hpp"
#include "geo/analysis/coverage.hpp"
#include "geo/analysis/frame.hpp"
#include "geo/analysis/report.hpp"
#include "geo/analysis/run.hpp"
#include "geo/analysis/siting.hpp"
#include "geo/error.hpp"
#include "geo/import/import.hpp"
#include "geo/store/store.hpp"
#include "support/test_support.hpp"

namespace {

using geo::analysis::CircleDefinition;
using geo::analysis::CircleMode;
using geo::analysis::LocalFrame;
using geo::analysis::XY;
using geo::store::NewLayer;
using geo::store::WriteMode;

// The test district: metres east and north of lon 121.5, lat 31.2.
const LocalFrame& frame() {
    static const LocalFrame f(geo::BBox{121.5, 31.2, 121.5, 31.2});
    return f;
}

std::pair<double, double> lonlat(XY m) {
    double lon = 0, lat = 0;
    frame().to_lonlat(m, lon, lat);
    return {lon, lat};
}

std::vector<unsigned char> wkb_of(const std::string& wkt) {
    OGRGeometry* g = nullptr;
    EXPECT_EQ(OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g), OGRERR_NONE) << wkt;
    std::vector<unsigned char> wkb(g->WkbSize());
    g->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
    OGRGeometryFactory::destroyGeometry(g);
    return wkb;
}

std::string coords(XY m) {
    const auto [lon, lat] = lonlat(m);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10f %.10f", lon, lat);
    return buf;
}

// A square of side 2·half metres around c, as WKT in lon/lat.
std::string square(XY c, double half) {
    return "MULTIPOLYGON (((" + coords({c.x - half, c.y - half}) + ", " + coords({c.x + half, c.y - half}) + ", " +
           coords({c.x + half, c.y + half}) + ", " + coords({c.x - half, c.y + half}) + ", " +
           coords({c.x - half, c.y - half}) + ")))";
}

struct Building {
    XY at;
    std::int64_t households;
    std::int64_t population;
};

void write_buildings(geo::store::Store& store, const std::vector<Building>& buildings) {
    NewLayer l{"buildings", "楼栋", "MULTIPOLYGON",
               {{"name", geo::FieldType::text, ""}, {"households", geo::FieldType::integer, ""},
                {"population", geo::FieldType::integer, ""}, {"grid_code", geo::FieldType::text, ""},
                {"pos_lon", geo::FieldType::real, ""}, {"pos_lat", geo::FieldType::real, ""}},
               "test", "EPSG:4326", "UTF-8"};
    auto w = store.write_layer(l, WriteMode::replace);
    int n = 0;
    for (const auto& b : buildings) {
        const auto [lon, lat] = lonlat(b.at);
        w->add({{std::string("楼") + std::to_string(++n), b.households, b.population, geo::Value{}, lon, lat},
                wkb_of(square(b.at, 5))});
    }
    w->commit();
}

void write_points(geo::store::Store& store, const std::string& layer, const std::vector<XY>& points,
                  const std::string& type = "社区服务站") {
    NewLayer l{layer, "服务站", "POINT", {{"name", geo::FieldType::text, ""}, {"type", geo::FieldType::text, ""}},
               "test", "EPSG:4326", "UTF-8"};
    auto w = store.write_layer(l, WriteMode::replace);
    int n = 0;
    for (const XY& p : points) w->add({{std::string("站") + std::to_string(++n), type}, wkb_of("POINT (" + coords(p) + ")")});
    w->commit();
}

// Cells: west (x < 1000) is A of community 甲, east is B of community 乙; 2 km tall.
void write_cells(geo::store::Store& store) {
    NewLayer l{"grid_cells", "网格", "MULTIPOLYGON",
               {{"code", geo::FieldType::text, ""}, {"name", geo::FieldType::text, ""},
                {"community", geo::FieldType::text, ""}, {"street", geo::FieldType::text, ""},
                {"households", geo::FieldType::integer, ""}, {"population", geo::FieldType::integer, ""}},
               "test", "EPSG:4326", "UTF-8"};
    auto w = store.write_layer(l, WriteMode::replace);
    auto rect = [](double x0, double x1) {
        return "MULTIPOLYGON (((" + coords({x0, -1000}) + ", " + coords({x1, -1000}) + ", " + coords({x1, 1000}) + ", " +
               coords({x0, 1000}) + ", " + coords({x0, -1000}) + ")))";
    };
    w->add({{std::string("A"), std::string("甲第1网格"), std::string("甲社区"), std::string("街道"), geo::Value{}, geo::Value{}},
            wkb_of(rect(-1000, 1000))});
    w->add({{std::string("B"), std::string("乙第1网格"), std::string("乙社区"), std::string("街道"), geo::Value{}, geo::Value{}},
            wkb_of(rect(1000, 3000))});
    w->commit();
}

CircleDefinition metres(double radius, CircleMode mode = CircleMode::euclidean) {
    CircleDefinition d;
    d.minutes = radius / 50;
    d.speed_m_per_min = 50;
    d.mode = mode;
    return d;
}

// One station at the origin; buildings 100, 400 and 700 m north of it and 1,500 m east.
// With a 500 m circle: the first two are covered, 10 + 20 of 10 + 20 + 40 + 30 households.
class HandDistrict : public ::testing::Test {
  protected:
    void SetUp() override {
        store = geo::store::open_store((dir / "d.sqlite").string(), true);
        write_cells(*store);
        write_buildings(*store, {{{0, 100}, 10, 25}, {{0, 400}, 20, 50}, {{0, 700}, 40, 100}, {{1500, 0}, 30, 70}});
        write_points(*store, "stations", {{0, 0}});
    }
    gridmap::test::TempDir dir;
    std::unique_ptr<geo::store::Store> store;
};

TEST_F(HandDistrict, EuclideanCoverageCountsByHand) {
    const auto r = geo::analysis::coverage(*store, {}, metres(500));
    EXPECT_EQ(r.station_count, 1u);
    EXPECT_EQ(r.overall.buildings_total, 4);
    EXPECT_EQ(r.overall.buildings_covered, 2);
    EXPECT_EQ(r.overall.households_total, 100);
    EXPECT_EQ(r.overall.households_covered, 30);
    EXPECT_EQ(r.overall.population_covered, 75);
    EXPECT_DOUBLE_EQ(geo::analysis::percent(r.overall.households_covered, r.overall.households_total), 30.0);

    ASSERT_EQ(r.by_grid.size(), 2u);
    EXPECT_EQ(r.by_grid[0].key, "A");
    EXPECT_EQ(r.by_grid[0].community, "甲社区");
    EXPECT_EQ(r.by_grid[0].totals.households_total, 70);
    EXPECT_EQ(r.by_grid[0].totals.households_covered, 30);
    EXPECT_EQ(r.by_grid[1].key, "B");
    EXPECT_EQ(r.by_grid[1].totals.households_covered, 0);
    ASSERT_EQ(r.by_community.size(), 2u);
    EXPECT_EQ(r.by_community[0].key, "乙社区");  // by key: 乙 (U+4E59) before 甲 (U+7532)
    EXPECT_EQ(r.by_community[0].totals.buildings_total, 1);

    // Distances to the nearest station, straight line, to a centimetre.
    ASSERT_EQ(r.buildings.size(), 4u);
    EXPECT_NEAR(r.buildings[2].distance_m, 700, 0.01);
    EXPECT_NEAR(r.buildings[3].distance_m, 1500, 0.01);
    EXPECT_FALSE(r.buildings[2].covered);

    // The JSON the CLI and HTTP give: the field names.
    const auto j = geo::analysis::to_json(r);
    for (const char* key : {"buildings_total", "buildings_covered", "households_total", "households_covered",
                            "population_total", "population_covered"}) {
        EXPECT_TRUE(j["overall"].contains(key)) << key;
        EXPECT_TRUE(j["by_grid"][0].contains(key)) << key;
        EXPECT_TRUE(j["by_community"][0].contains(key)) << key;
    }
    EXPECT_EQ(j["uncovered_buildings"].size(), 2u);
    const std::string csv = geo::analysis::to_csv(r);
    EXPECT_NE(csv.find("grid,A,甲第1网格,甲社区,街道,3,2,66.7,70,30,42.9"), std::string::npos) << csv;
    EXPECT_NE(csv.find("overall,,,,,4,2,50,100,30,30"), std::string::npos) << csv;
}

TEST_F(HandDistrict, CirclesAreWrittenAsALayer) {
    auto circles = geo::analysis::make_circles(*store, {}, metres(500));
    ASSERT_EQ(circles.size(), 1u);
    EXPECT_NEAR(circles[0].area_m2, M_PI * 500 * 500, 0.01 * M_PI * 500 * 500);
    const auto info = geo::analysis::write_circles(*store, circles, metres(500));
    EXPECT_EQ(info.name, "service_circles");
    EXPECT_EQ(info.feature_count, 1);
    // The layer answers bbox queries like any other: the circle reaches 500 m north, not 550.
    const auto [lon, lat_in] = lonlat({0, 490});
    const auto lat_out = lonlat({0, 550}).second;
    geo::store::FeatureQuery q;
    q.bbox = geo::BBox{lon, lat_in, lon, lat_in};
    EXPECT_EQ(store->count_features("service_circles", q), 1);
    q.bbox = geo::BBox{lon, lat_out, lon, lat_out};
    EXPECT_EQ(store->count_features("service_circles", q), 0);
}

TEST_F(HandDistrict, TypeFilterAndMissingLayers) {
    geo::analysis::StationFilter health{"stations", std::string("卫生服务站")};
    const auto none = geo::analysis::coverage(*store, health, metres(500));
    EXPECT_EQ(none.station_count, 0u);
    EXPECT_EQ(none.overall.households_covered, 0);
    EXPECT_EQ(none.buildings[0].nearest_station_fid, -1);

    try {
        geo::analysis::coverage(*store, {"no_such_layer", std::nullopt}, metres(500));
        FAIL();
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::not_found);
    }
    EXPECT_THROW(geo::analysis::coverage(*store, {"buildings", std::nullopt}, metres(500)), geo::Error);  // not points
    EXPECT_THROW(geo::analysis::coverage(*store, {}, metres(50000)), geo::Error);                       // not a walk
}

TEST_F(HandDistrict, LoadAssignsEveryBuildingToItsNearestStation) {
    write_points(*store, "stations", {{0, 0}, {1400, 0}});
    const auto r = geo::analysis::station_load(*store, {}, metres(500), 50);
    ASSERT_EQ(r.loads.size(), 2u);
    EXPECT_EQ(r.loads[0].buildings, 3);
    EXPECT_EQ(r.loads[0].households, 70);
    EXPECT_TRUE(r.loads[0].over_capacity);
    EXPECT_EQ(r.loads[1].households, 30);
    EXPECT_FALSE(r.loads[1].over_capacity);
    EXPECT_NEAR(r.loads[1].mean_distance_m, 100, 0.01);
    // Household-weighted: (10·100 + 20·400 + 40·700) / 70.
    EXPECT_NEAR(r.loads[0].mean_distance_m, (10 * 100 + 20 * 400 + 40 * 700) / 70.0, 0.01);
    EXPECT_NEAR(r.loads[0].max_distance_m, 700, 0.01);
}

TEST_F(HandDistrict, SitingPicksTheBiggestGainsAndProvesIt) {
    // Candidates: two that reach the 700 m building (40 households), one at the east building (30).
    write_points(*store, "plots", {{0, 800}, {0, 1000}, {1500, 100}}, "空地");
    geo::analysis::SitingOptions options;
    options.sites = 2;
    options.candidates = geo::analysis::CandidateSource::layer;
    options.candidate_layer = "plots";
    const auto r = geo::analysis::site_stations(*store, {}, metres(500), options);
    EXPECT_EQ(r.before.households_covered, 30);
    EXPECT_EQ(r.candidate_count, 3u);
    ASSERT_EQ(r.sites.size(), 2u);
    EXPECT_EQ(r.sites[0].candidate_name, "站1");  // the lowest of the two 40-household candidates
    EXPECT_EQ(r.sites[0].gain_households, 40);
    EXPECT_EQ(r.sites[0].households_covered_after, 70);
    EXPECT_EQ(r.sites[1].candidate_name, "站3");
    EXPECT_EQ(r.sites[1].gain_households, 30);
    EXPECT_DOUBLE_EQ(r.sites[1].households_covered_pct_after, 100.0);
    // After the first site the best two gains left are 30 and 0: the bound meets the answer.
    EXPECT_EQ(r.households_upper_bound, 100);
    EXPECT_DOUBLE_EQ(r.greedy_ratio_at_least, 1.0);

    // A lattice finds the same households.
    options.candidates = geo::analysis::CandidateSource::lattice;
    const auto lattice = geo::analysis::site_stations(*store, {}, metres(500), options);
    ASSERT_EQ(lattice.sites.size(), 2u);
    EXPECT_EQ(lattice.sites[0].gain_households + lattice.sites[1].gain_households, 70);
}

// Roads: a U from the station's corner east 1 km, north 200 m, back west 1 km. A building
// 210 m north of the station is close as the crow flies but 2.1 km away on foot.
class WalkingDistrict : public HandDistrict {
  protected:
    void SetUp() override {
        HandDistrict::SetUp();
        write_buildings(*store, {{{300, 10}, 10, 20}, {{100, 210}, 20, 40}, {{0, 800}, 5, 10}});
        write_points(*store, "stations", {{0, -10}});
        NewLayer l{"roads", "道路", "MULTILINESTRING", {{"name", geo::FieldType::text, ""}}, "test", "EPSG:4326", "UTF-8"};
        auto w = store->write_layer(l, WriteMode::replace);
        w->add({{std::string("南路")}, wkb_of("MULTILINESTRING ((" + coords({0, 0}) + ", " + coords({1000, 0}) + "))")});
        w->add({{std::string("东路")}, wkb_of("MULTILINESTRING ((" + coords({1000, 0}) + ", " + coords({1000, 200}) + "))")});
        w->add({{std::string("北路")}, wkb_of("MULTILINESTRING ((" + coords({1000, 200}) + ", " + coords({0, 200}) + "))")});
        w->commit();
    }
};

TEST_F(WalkingDistrict, WalkingDistanceFollowsTheStreets) {
    const auto walking = geo::analysis::coverage(*store, {}, metres(500, CircleMode::walking));
    ASSERT_EQ(walking.circles.size(), 1u);
    EXPECT_EQ(walking.circles[0].mode, CircleMode::walking);
    EXPECT_NEAR(walking.circles[0].snap_m, 10, 0.01);
    ASSERT_EQ(walking.buildings.size(), 3u);
    // 10 m onto the road, 300 m along it, 10 m off it.
    EXPECT_NEAR(walking.buildings[0].distance_m, 320, 0.05);
    EXPECT_TRUE(walking.buildings[0].covered);
    // 10 + 1000 + 200 + 900 + 10.
    EXPECT_NEAR(walking.buildings[1].distance_m, 2120, 0.05);
    EXPECT_FALSE(walking.buildings[1].covered);
    // 800 m north: the nearest road is 600 m away, past the 250 m a building may be from one.
    EXPECT_FALSE(std::isfinite(walking.buildings[2].distance_m));
    EXPECT_EQ(walking.buildings[2].unreachable, "no road within 250 m");
    EXPECT_FALSE(walking.buildings[2].covered);
    EXPECT_EQ(walking.buildings_unreachable, 1);
    EXPECT_TRUE(walking.buildings[0].unreachable.empty());
    EXPECT_EQ(walking.overall.households_covered, 10);

    const auto straight = geo::analysis::coverage(*store, {}, metres(500));
    EXPECT_TRUE(straight.buildings[1].covered);
    EXPECT_EQ(straight.overall.households_covered, 30);

    // The isochrone: 490 m of road either way is left after the 10 m snap, but the road runs
    // east only, so the reachable line is 490 m long: a 490 × 100 m band with round ends.
    const double expected = 490 * 100 + M_PI * 50 * 50;
    EXPECT_NEAR(walking.circles[0].area_m2, expected, 0.02 * expected);
}

TEST_F(WalkingDistrict, AStationFarFromTheRoadsFallsBackAndSaysSo) {
    write_points(*store, "stations", {{0, -10}, {5000, 5000}});
    const auto r = geo::analysis::coverage(*store, {}, metres(500, CircleMode::walking));
    ASSERT_EQ(r.circles.size(), 2u);
    EXPECT_EQ(r.circles[1].mode, CircleMode::euclidean);
    EXPECT_NE(r.circles[1].note.find("no road within 250 m"), std::string::npos);
    // What was walked, the station's fallback disc, and the building 600 m from any road.
    ASSERT_EQ(r.notes.size(), 3u);
    EXPECT_EQ(r.notes[0], "walked 3 of 3 road features") << r.notes[0];
    EXPECT_NE(r.notes[1].find("euclidean"), std::string::npos) << r.notes[1];
    EXPECT_NE(r.notes[2].find("1 buildings no station reaches on foot"), std::string::npos) << r.notes[2];
    // A station with no road near it serves no one on foot: its disc is a picture only.
    for (const auto& b : r.buildings) EXPECT_NE(b.nearest_station_fid, 2) << b.fid;
}

TEST_F(WalkingDistrict, CoveredMeansTheWalkIsWithinTheDistanceNotInsideThePicture) {
    // 45 m from the road at x = 480: inside the 50 m band the isochrone draws around the 490 m of
    // reachable road, but the walk is 10 + 480 + 45 = 535 m, over 500.
    write_buildings(*store, {{{480, 45}, 7, 14}, {{300, 10}, 10, 20}});
    const auto r = geo::analysis::coverage(*store, {}, metres(500, CircleMode::walking));
    ASSERT_EQ(r.buildings.size(), 2u);
    EXPECT_NEAR(r.buildings[0].distance_m, 535, 0.05);
    EXPECT_FALSE(r.buildings[0].covered);
    EXPECT_TRUE(r.buildings[1].covered);
    EXPECT_EQ(r.overall.households_covered, 10);
    // Load assigns by the same walk.
    const auto load = geo::analysis::station_load(*store, {}, metres(500, CircleMode::walking), 0);
    ASSERT_EQ(load.loads.size(), 1u);
    EXPECT_EQ(load.loads[0].buildings, 2);
    EXPECT_NEAR(load.loads[0].max_distance_m, 535, 0.05);
}

TEST_F(WalkingDistrict, ABuildingOnACutOffStreetIsUnreachableAndNeverCovered) {
    // A 100 m lane 400 m north of the streets, joined to none of them; the building is 5 m from
    // it and 195 m from the nearest station-connected road, but snaps to the nearer lane.
    NewLayer l{"roads", "道路", "MULTILINESTRING", {{"name", geo::FieldType::text, ""}}, "test", "EPSG:4326", "UTF-8"};
    auto w = store->write_layer(l, WriteMode::append);
    w->add({{std::string("断头巷")}, wkb_of("MULTILINESTRING ((" + coords({100, 400}) + ", " + coords({200, 400}) + "))")});
    w->commit();
    write_buildings(*store, {{{150, 395}, 8, 16}, {{300, 10}, 10, 20}});
    const auto r = geo::analysis::coverage(*store, {}, metres(5000, CircleMode::walking));
    ASSERT_EQ(r.buildings.size(), 2u);
    EXPECT_EQ(r.buildings[0].unreachable, "its street is cut off from every station's");
    EXPECT_FALSE(r.buildings[0].covered);
    EXPECT_EQ(r.buildings[0].nearest_station_fid, -1);
    EXPECT_TRUE(r.buildings[1].covered);
    EXPECT_EQ(r.buildings_unreachable, 1);
    EXPECT_EQ(r.overall.households_covered, 10);
}

// ---- the demo district ----------------------------------------------------------------------

class Demo : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        s_dir = new gridmap::test::TempDir;
        gridmap::test::import_demo(*s_dir / "demo.sqlite");
    }
    static void TearDownTestSuite() {
        delete s_dir;
        s_dir = nullptr;
    }
    static std::string db() { return (*s_dir / "demo.sqlite").string(); }
    static gridmap::test::TempDir* s_dir;
};
gridmap::test::TempDir* Demo::s_dir = nullptr;

TEST_F(Demo, EuclideanCoverageAgreesWithSpatialiteGeodesicDistances) {
    auto store = geo::store::open_store(db(), false);
    const double radius = 600;
    const auto r = geo::analysis::coverage(*store, {}, metres(radius));
    EXPECT_EQ(r.overall.buildings_total, 1450);
    EXPECT_EQ(r.overall.households_total, 28288);
    EXPECT_EQ(r.station_count, 19u);

    // Independently: SpatiaLite's ellipsoidal ST_Distance from each building's point on surface
    // to every station, in SQL.
    geo::capi::SpatialiteDb sql(db(), geo::capi::SpatialiteDb::Mode::read_only);
    geo::capi::Statement st(sql.get(),
                            "SELECT b.fid, b.households, min(ST_Distance(MakePoint(b.pos_lon, b.pos_lat, 4326), s.geom, 1))"
                            " FROM buildings b, stations s GROUP BY b.fid ORDER BY b.fid");
    std::map<std::int64_t, double> nearest;
    std::int64_t covered = 0, households = 0;
    while (st.step()) {
        nearest[st.column_int(0)] = st.column_double(2);
        if (st.column_double(2) <= radius) {
            ++covered;
            households += st.column_int(1);
        }
    }
    ASSERT_EQ(nearest.size(), 1450u);
    EXPECT_EQ(r.overall.buildings_covered, covered);
    EXPECT_EQ(r.overall.households_covered, households);
    for (const auto& b : r.buildings) {
        // The district plane is true to 1e-5: a centimetre over a few kilometres.
        ASSERT_NEAR(b.distance_m, nearest.at(b.fid), 0.02 + 1e-5 * nearest.at(b.fid)) << "building " << b.fid;
    }

    // Grids and communities add up to the whole.
    std::int64_t grid_households = 0, community_households = 0, grid_covered = 0;
    for (const auto& g : r.by_grid) {
        grid_households += g.totals.households_total;
        grid_covered += g.totals.households_covered;
    }
    for (const auto& c : r.by_community) community_households += c.totals.households_total;
    EXPECT_EQ(grid_households, 28288);
    EXPECT_EQ(community_households, 28288);
    EXPECT_EQ(grid_covered, r.overall.households_covered);
    EXPECT_EQ(r.by_grid.size(), 72u);
    EXPECT_EQ(r.by_community.size(), 14u);
}

TEST_F(Demo, WalkingCirclesLieWithinTheEuclideanOnes) {
    auto store = geo::store::open_store(db(), false);
    const auto walking = geo::analysis::coverage(*store, {}, metres(600, CircleMode::walking));
    const auto straight = geo::analysis::coverage(*store, {}, metres(600));
    EXPECT_GT(walking.overall.households_covered, 0);
    EXPECT_LT(walking.overall.households_covered, straight.overall.households_covered);
    std::size_t walked = 0;
    for (std::size_t i = 0; i < walking.buildings.size(); ++i) {
        const auto& w = walking.buildings[i];
        const auto& s = straight.buildings[i];
        ASSERT_EQ(w.fid, s.fid);
        // A walk is never shorter than the straight line from the same station set.
        if (std::isfinite(w.distance_m)) {
            ++walked;
            EXPECT_GE(w.distance_m + 0.01, s.distance_m) << "building " << w.fid;
        }
    }
    EXPECT_GT(walked, 1000u);
    for (const auto& c : walking.circles) EXPECT_LT(c.area_m2, M_PI * 650 * 650) << c.station_name;
}

TEST_F(Demo, EveryAnalysisRunsThroughTheSharedEntryPoint) {
    auto store = geo::store::open_store(db(), false);
    using geo::analysis::AnalysisKind;
    for (auto kind : {AnalysisKind::coverage, AnalysisKind::load, AnalysisKind::siting, AnalysisKind::norms}) {
        const auto request = geo::analysis::parse_analysis_request(kind, {});
        const auto result = geo::analysis::run_analysis(*store, request);
        const auto j = geo::analysis::result_json(result, request);
        EXPECT_EQ(j["analysis"], std::string(geo::analysis::to_string(kind)));
        EXPECT_FALSE(geo::analysis::result_csv(result).empty());
        const auto gj = nlohmann::json::parse(geo::analysis::result_geojson(result));
        EXPECT_EQ(gj["type"], "FeatureCollection");
    }
    EXPECT_THROW(geo::analysis::parse_analysis_request(AnalysisKind::coverage, {{"minutes", "ten"}}), geo::Error);
    EXPECT_THROW(geo::analysis::parse_analysis_request(AnalysisKind::load, {{"sites", "3"}}), geo::Error);
    EXPECT_THROW(geo::analysis::parse_analysis_request(AnalysisKind::coverage, {{"preset", "7"}}), geo::Error);
    const auto preset = geo::analysis::parse_analysis_request(AnalysisKind::coverage, {{"preset", "15"}});
    EXPECT_DOUBLE_EQ(preset.circle.radius_m(), 1000);
}

}  // namespace
