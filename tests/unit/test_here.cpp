// "What is here" and search over the demo district: the cell, buildings and nearest stations
// a grid worker sees at a tap, checked against brute force; search by name, address and code.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <geodesic.h>
#include <gtest/gtest.h>

#include "geo/error.hpp"
#include "geo/import/import.hpp"
#include "geo/query/here.hpp"
#include "geo/store/store.hpp"
#include "support/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using geo::query::Here;
using geo::query::SearchHit;

std::size_t field_index(const geo::LayerInfo& info, const std::string& name) {
    for (std::size_t i = 0; i < info.fields.size(); ++i) {
        if (info.fields[i].name == name) return i;
    }
    ADD_FAILURE() << info.name << " has no field " << name;
    return 0;
}

std::string text(const geo::Feature& f, std::size_t i) {
    const auto* s = std::get_if<std::string>(&f.values.at(i));
    return s ? *s : std::string();
}

double little_double(const std::vector<unsigned char>& wkb, std::size_t at) {
    double v = 0;
    std::memcpy(&v, wkb.data() + at, 8);
    return v;
}

std::vector<unsigned char> point_wkb(double x, double y) {
    std::vector<unsigned char> wkb = {1, 1, 0, 0, 0};
    wkb.resize(21);
    std::memcpy(wkb.data() + 5, &x, 8);
    std::memcpy(wkb.data() + 13, &y, 8);
    return wkb;
}

double geodesic_m(double lon1, double lat1, double lon2, double lat2) {
    geod_geodesic g{};
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    double s12 = 0;
    geod_inverse(&g, lat1, lon1, lat2, lon2, &s12, nullptr, nullptr);
    return s12;
}

double haversine_m(double lon1, double lat1, double lon2, double lat2) {
    const double rad = std::numbers::pi / 180;
    const double a = std::pow(std::sin((lat2 - lat1) * rad / 2), 2) +
                     std::cos(lat1 * rad) * std::cos(lat2 * rad) *
                         std::pow(std::sin((lon2 - lon1) * rad / 2), 2);
    return 2 * 6371008.8 * std::asin(std::sqrt(a));
}

struct Station {
    std::int64_t fid;
    std::string type;
    double lon, lat;
};

std::vector<Station> all_stations(geo::store::Store& store) {
    const auto info = *store.layer("stations");
    const auto type = field_index(info, "type");
    std::vector<Station> out;
    store.read_features("stations", {}, [&](const geo::Feature& f) {
        out.push_back({f.fid, text(f, type), little_double(f.wkb, 5), little_double(f.wkb, 13)});
        return true;
    });
    return out;
}

// The k nearest of each type by computing every distance.
void expect_nearest_is_exact(geo::store::Store& store, const std::vector<Station>& stations,
                             double lon, double lat, std::size_t k) {
    std::map<std::string, std::vector<std::pair<double, std::int64_t>>> expected;
    for (const auto& s : stations) {
        expected[s.type].emplace_back(geodesic_m(lon, lat, s.lon, s.lat), s.fid);
    }
    const Here here = geo::query::what_is_here(store, lon, lat, k);
    ASSERT_EQ(here.stations.size(), expected.size()) << lon << ", " << lat;
    std::size_t g = 0;
    for (auto& [type, list] : expected) {
        std::sort(list.begin(), list.end());
        list.resize(std::min(list.size(), k));
        const auto& got = here.stations[g++];
        EXPECT_EQ(got.type, type);
        ASSERT_EQ(got.nearest.size(), list.size()) << type << " at " << lon << ", " << lat;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto& s = got.nearest[i];
            EXPECT_EQ(s.fid, list[i].second) << type << " #" << i << " at " << lon << ", " << lat;
            EXPECT_NEAR(s.distance_m, list[i].first, 1e-6);
            EXPECT_EQ(s.type, type);
            // Karney on the ellipsoid agrees with the mean-radius sphere to 0.6 %.
            EXPECT_NEAR(s.distance_m, haversine_m(lon, lat, s.lon, s.lat),
                        0.006 * s.distance_m + 1e-6);
        }
    }
}

class DemoDistrict : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        s_dir = std::make_unique<gridmap::test::TempDir>();
        s_store = geo::store::open_store((*s_dir / "demo.sqlite").string(), true);
        for (const std::string layer : {"grid_cells", "buildings", "stations"}) {
            geo::import::ImportOptions options;
            options.path =
                (fs::path(GRIDMAP_SOURCE_DIR) / "data/demo" / (layer + ".geojson")).string();
            options.layer = layer;
            geo::import::import_file(*s_store, options);
        }
    }
    static void TearDownTestSuite() {
        s_store.reset();
        s_dir.reset();
    }

    // The building named `name`: its fid, grid code and point on surface.
    struct Building {
        std::int64_t fid = 0;
        std::string grid_code;
        double lon = 0, lat = 0;
    };
    static Building building(const std::string& name) {
        const auto info = *s_store->layer("buildings");
        const auto grid_code = field_index(info, "grid_code");
        const auto pos_lon = field_index(info, "pos_lon"), pos_lat = field_index(info, "pos_lat");
        geo::store::FeatureQuery q;
        q.equals = {{"name", name}};
        Building b;
        s_store->read_features("buildings", q, [&](const geo::Feature& f) {
            b = {f.fid, text(f, grid_code), std::get<double>(f.values[pos_lon]),
                 std::get<double>(f.values[pos_lat])};
            return false;
        });
        EXPECT_NE(b.fid, 0) << name;
        return b;
    }

    static inline std::unique_ptr<gridmap::test::TempDir> s_dir;
    static inline std::unique_ptr<geo::store::Store> s_store;
};

TEST_F(DemoDistrict, PointInABuildingGivesItAndItsGridCell) {
    const Building ifc = building("国金中心二期");
    const Here here = geo::query::what_is_here(*s_store, ifc.lon, ifc.lat);
    EXPECT_EQ(here.lon, ifc.lon);
    EXPECT_TRUE(here.missing_layers.empty());
    ASSERT_FALSE(here.buildings.empty());
    const auto it = std::find_if(here.buildings.begin(), here.buildings.end(),
                                 [&](const auto& b) { return b.fid == ifc.fid; });
    ASSERT_NE(it, here.buildings.end());
    EXPECT_EQ(it->name, "国金中心二期");
    EXPECT_EQ(it->floors, 87);
    EXPECT_EQ(it->use, "office");
    EXPECT_EQ(it->grid_code, ifc.grid_code);

    ASSERT_TRUE(here.cell);
    EXPECT_EQ(here.cell->code, ifc.grid_code);
    EXPECT_TRUE(here.cell->code.starts_with("310115005-"));
    EXPECT_FALSE(here.cell->name.empty());
    EXPECT_FALSE(here.cell->community.empty());
    EXPECT_FALSE(here.cell->street.empty());
    EXPECT_FALSE(here.cell->worker.empty());
    EXPECT_TRUE(here.cell->households);

    // One group per type of the demo, each with its nearest station.
    ASSERT_EQ(here.stations.size(), 5u);
    for (const auto& group : here.stations) {
        ASSERT_EQ(group.nearest.size(), 1u) << group.type;
        EXPECT_GT(group.nearest[0].distance_m, 0);
        EXPECT_LT(group.nearest[0].distance_m, 5000) << group.type;
        EXPECT_FALSE(group.nearest[0].name.empty());
    }
}

TEST_F(DemoDistrict, NearestStationsMatchBruteForce) {
    const auto stations = all_stations(*s_store);
    ASSERT_EQ(stations.size(), 19u);
    const Building ifc = building("国金中心二期");
    std::vector<std::pair<double, double>> points = {
        {ifc.lon, ifc.lat}, {121.48918993, 31.23771427},  // the Huangpu
        {121.30, 31.10},                                  // 25 km away
        {116.40, 39.90},                                  // Beijing
        {-70.0, -33.0},                                   // across the globe
        {121.50, 89.99},  // near the pole: the widening falls back to the whole layer
    };
    for (int i = 0; i <= 4; ++i) {
        for (int j = 0; j <= 4; ++j) {
            points.emplace_back(121.4797 + i * (121.5214 - 121.4797) / 4,
                                31.2260 + j * (31.2514 - 31.2260) / 4);
        }
    }
    for (const auto& [lon, lat] : points) {
        for (std::size_t k : {1u, 3u}) expect_nearest_is_exact(*s_store, stations, lon, lat, k);
    }
    EXPECT_TRUE(geo::query::what_is_here(*s_store, ifc.lon, ifc.lat, 0).stations.empty());
}

TEST_F(DemoDistrict, RiverHasACellButNoBuilding) {
    // A vertex of the Huangpu's centre line (data/osm/water.geojson), off the Bund.
    const Here here = geo::query::what_is_here(*s_store, 121.48918993, 31.23771427);
    EXPECT_TRUE(here.buildings.empty());
    EXPECT_TRUE(here.cell) << "the grid covers the whole district box, river included";
}

TEST_F(DemoDistrict, OutsideTheDistrictHasNoCellButStations) {
    const Here here = geo::query::what_is_here(*s_store, 121.30, 31.10, 2);
    EXPECT_FALSE(here.cell);
    EXPECT_TRUE(here.buildings.empty());
    ASSERT_EQ(here.stations.size(), 5u);
    for (const auto& group : here.stations) {
        ASSERT_FALSE(group.nearest.empty());
        EXPECT_GT(group.nearest[0].distance_m, 15000);
    }
}

TEST_F(DemoDistrict, InvalidPointsThrow) {
    const double nan = std::nan("");
    const double inf = HUGE_VAL;
    for (auto [lon, lat] : std::vector<std::pair<double, double>>{
             {181, 31}, {-180.5, 31}, {121, 90.1}, {121, -91}, {nan, 31}, {121, nan}, {inf, 0}}) {
        try {
            geo::query::what_is_here(*s_store, lon, lat);
            ADD_FAILURE() << "no error for " << lon << ", " << lat;
        } catch (const geo::Error& e) {
            EXPECT_EQ(e.code(), geo::Errc::invalid_argument);
        }
    }
    EXPECT_NO_THROW(geo::query::what_is_here(*s_store, 180, -90));
    EXPECT_THROW(geo::query::what_is_here(*s_store, 121.5, 31.2, 101), geo::Error);
}

TEST_F(DemoDistrict, SearchFindsAChineseName) {
    const auto hits = geo::query::search(*s_store, "国金");
    ASSERT_FALSE(hits.empty());
    const Building ifc = building("国金中心二期");
    const auto it = std::find_if(hits.begin(), hits.end(), [](const SearchHit& h) {
        return h.layer == "buildings" && h.text == "国金中心二期";
    });
    ASSERT_NE(it, hits.end());
    EXPECT_EQ(it->fid, ifc.fid);
    EXPECT_EQ(it->field, "name");
    EXPECT_EQ(it->name, "国金中心二期");
    EXPECT_TRUE(it->prefix);
    EXPECT_EQ(it->lon, ifc.lon);
    EXPECT_EQ(it->lat, ifc.lat);
    // Blanks around the text, ASCII and ideographic, do not count.
    EXPECT_EQ(geo::query::search(*s_store, " \t国金\xE3\x80\x80").size(), hits.size());
}

TEST_F(DemoDistrict, SearchByGridCodePrefix) {
    std::size_t cells = 0;
    const auto info = *s_store->layer("grid_cells");
    const auto code = field_index(info, "code");
    s_store->read_features("grid_cells", {}, [&](const geo::Feature& f) {
        if (text(f, code).starts_with("310115005-001")) ++cells;
        return true;
    });
    ASSERT_GT(cells, 0u);

    const auto hits = geo::query::search(*s_store, "310115005-001", 100);
    ASSERT_EQ(hits.size(), cells);
    for (const auto& h : hits) {
        EXPECT_EQ(h.layer, "grid_cells");
        EXPECT_EQ(h.field, "code");
        EXPECT_TRUE(h.prefix);
        EXPECT_TRUE(h.text.starts_with("310115005-001"));
        // The centre of the cell's box lies in the cell.
        const Here here = geo::query::what_is_here(*s_store, h.lon, h.lat, 0);
        ASSERT_TRUE(here.cell);
        EXPECT_EQ(here.cell->code, h.text);
    }

    // The middle of a code matches too, after every code that starts with it.
    const auto mixed = geo::query::search(*s_store, "001-01", 100);
    ASSERT_FALSE(mixed.empty());
    for (const auto& h : mixed) EXPECT_NE(h.text.find("001-01"), std::string::npos);
    EXPECT_TRUE(std::is_partitioned(mixed.begin(), mixed.end(),
                                    [](const SearchHit& h) { return h.prefix; }));
}

TEST_F(DemoDistrict, SearchIsCaseInsensitiveForAsciiAndRanksPrefixFirst) {
    for (const char* q : {"world financial", "WORLD FINANCIAL", "World Financial"}) {
        const auto hits = geo::query::search(*s_store, q);
        ASSERT_EQ(hits.size(), 1u) << q;
        EXPECT_EQ(hits[0].text, "Shanghai World Financial Center");
        EXPECT_EQ(hits[0].layer, "buildings");
        EXPECT_FALSE(hits[0].prefix);
    }
    const auto hits = geo::query::search(*s_store, "world");
    std::vector<std::string> texts;
    for (const auto& h : hits) texts.push_back(h.text);
    EXPECT_EQ(texts, (std::vector<std::string>{"World Finance Tower", "Shanghai World Plaza",
                                               "Shanghai World Financial Center"}));
    ASSERT_FALSE(hits.empty());
    EXPECT_TRUE(hits[0].prefix);

    EXPECT_EQ(geo::query::search(*s_store, "world", 2).size(), 2u);
}

TEST_F(DemoDistrict, SearchTreatsLikeWildcardsAsText) {
    for (const char* q : {"%", "_", "\\", "国%", "%金"}) {
        for (const auto& h : geo::query::search(*s_store, q, 100)) {
            EXPECT_NE(h.text.find(q), std::string::npos) << q << " matched " << h.text;
        }
    }
    EXPECT_TRUE(geo::query::search(*s_store, "%").empty());
}

TEST_F(DemoDistrict, SearchRejectsBadInput) {
    for (const std::string& q : {std::string(), std::string("   "), std::string(65, 'a'),
                                 std::string("\xE3\x80\x80"), std::string("\xff\xfe")}) {
        try {
            geo::query::search(*s_store, q);
            ADD_FAILURE() << "no error for \"" << q << '"';
        } catch (const geo::Error& e) {
            EXPECT_EQ(e.code(), geo::Errc::invalid_argument);
        }
    }
    std::string chinese_64;
    for (int i = 0; i < 64; ++i) chinese_64 += "国";
    EXPECT_NO_THROW(geo::query::search(*s_store, chinese_64));
    EXPECT_THROW(geo::query::search(*s_store, "国金", 0), geo::Error);
    EXPECT_THROW(geo::query::search(*s_store, "国金", 101), geo::Error);
}

TEST(HereEmptyStore, MissingLayersAreAbsent) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "empty.sqlite").string(), true);
    const Here here = geo::query::what_is_here(*store, 121.5, 31.2, 3);
    EXPECT_FALSE(here.cell);
    EXPECT_TRUE(here.buildings.empty());
    EXPECT_TRUE(here.stations.empty());
    EXPECT_EQ(here.missing_layers,
              (std::vector<std::string>{"grid_cells", "buildings", "stations"}));
    EXPECT_TRUE(geo::query::search(*store, "国金").empty());
}

// Thousands of stations spread over 60 km, some without a type: the widening search must
// stay exact far from and near to them.
TEST(HereManyStations, NearestMatchesBruteForce) {
    gridmap::test::TempDir dir;
    auto store = geo::store::open_store((dir / "many.sqlite").string(), true);
    geo::store::NewLayer layer;
    layer.name = "stations";
    layer.title = "服务站";
    layer.geometry_type = "POINT";
    layer.fields = {{"name", geo::FieldType::text, "name"}, {"type", geo::FieldType::text, "type"}};
    layer.source_file = "synthetic";
    layer.source_crs = "EPSG:4326";
    layer.encoding = "UTF-8";
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> lon(121.2, 121.8), lat(31.0, 31.5);
    const std::vector<geo::Value> types = {std::string("police_room"),
                                           std::string("health_station"), std::monostate{},
                                           std::string("")};
    auto writer = store->write_layer(layer, geo::store::WriteMode::replace);
    for (int i = 0; i < 3000; ++i) {
        // The last type is rare: ten stations, all in one corner.
        const bool rare = i % 300 == 0;
        const double x = rare ? 121.79 - i * 1e-6 : lon(rng), y = rare ? 31.49 : lat(rng);
        writer->add({{std::string("站") + std::to_string(i),
                      rare ? geo::Value(std::string("elderly_room")) : types[i % types.size()]},
                     point_wkb(x, y)});
    }
    writer->commit();

    std::vector<Station> stations;
    store->read_features("stations", {}, [&](const geo::Feature& f) {
        const auto* t = std::get_if<std::string>(&f.values[1]);
        stations.push_back(
            {f.fid, t ? *t : std::string(), little_double(f.wkb, 5), little_double(f.wkb, 13)});
        return true;
    });
    std::uniform_real_distribution<double> near_lon(121.1, 121.9), near_lat(30.9, 31.6);
    for (int i = 0; i < 40; ++i) {
        const double x = near_lon(rng), y = near_lat(rng);
        for (std::size_t k : {1u, 4u}) expect_nearest_is_exact(*store, stations, x, y, k);
    }
    const Here here = geo::query::what_is_here(*store, 121.5, 31.25, 1);
    ASSERT_EQ(here.stations.size(), 4u);
    EXPECT_EQ(here.stations[0].type, "") << "NULL and '' types form one group";
}

}  // namespace
