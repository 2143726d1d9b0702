// Norm checks: cell and community sizes, overlaps and gaps between cells, station floor areas.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "geo/analysis/norms.hpp"
#include "geo/error.hpp"
#include "geo/import/import.hpp"
#include "geo/store/store.hpp"
#include "support/test_support.hpp"

namespace {

using geo::analysis::NormsConfig;
using geo::analysis::NormsReport;
using geo::store::FeatureRow;
using geo::store::NewLayer;
using geo::store::WriteMode;

constexpr double k_lon0 = 121.5, k_lat0 = 31.2;
constexpr double k_step = 0.001;  // degrees: the side of the test cells

// Area in m² of a lon/lat rectangle of dlon × dlat degrees at latitude `lat`, from the WGS 84
// radii of curvature — independent of the geodesic polygon area the checks use.
double rectangle_m2(double dlon, double dlat, double lat) {
    constexpr double a = 6378137.0, f = 1 / 298.257223563;
    const double e2 = f * (2 - f);
    const double phi = lat * M_PI / 180, s2 = std::sin(phi) * std::sin(phi);
    const double meridian = a * (1 - e2) / std::pow(1 - e2 * s2, 1.5);
    const double normal = a / std::sqrt(1 - e2 * s2);
    return meridian * normal * std::cos(phi) * (dlon * M_PI / 180) * (dlat * M_PI / 180);
}

// Byte by byte: GCC 12 at -O3 reports a false -Warray-bounds for range inserts here.
template <typename T>
void put(std::vector<unsigned char>& out, T v) {
    unsigned char bytes[sizeof v];
    std::memcpy(bytes, &v, sizeof v);
    for (const unsigned char b : bytes) out.push_back(b);
}
void put_double(std::vector<unsigned char>& out, double v) { put(out, v); }
void put_u32(std::vector<unsigned char>& out, std::uint32_t v) { put(out, v); }

// 2D little-endian WKB of a one-polygon MultiPolygon (the grid_cells layer type) with one ring
// given in steps from (k_lon0, k_lat0).
std::vector<unsigned char> ring_wkb(const std::vector<std::pair<double, double>>& ring) {
    std::vector<unsigned char> wkb;
    wkb.push_back(1);
    put_u32(wkb, 6);  // MultiPolygon
    put_u32(wkb, 1);
    wkb.push_back(1);
    put_u32(wkb, 3);  // Polygon
    put_u32(wkb, 1);
    put_u32(wkb, static_cast<std::uint32_t>(ring.size()));
    for (const auto& [x, y] : ring) {
        put_double(wkb, k_lon0 + x * k_step);
        put_double(wkb, k_lat0 + y * k_step);
    }
    return wkb;
}

// The rectangle [x0, x1] × [y0, y1] in steps, counter-clockwise.
std::vector<unsigned char> box_wkb(double x0, double y0, double x1, double y1) {
    return ring_wkb({{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}});
}

std::vector<unsigned char> point_wkb(double x, double y) {
    std::vector<unsigned char> wkb;
    wkb.push_back(1);
    put_u32(wkb, 1);
    put_double(wkb, x);
    put_double(wkb, y);
    return wkb;
}

struct TestCell {
    std::string code, community;
    geo::Value households;
    std::vector<unsigned char> wkb;
    std::string street = "测试街道";
};

void write_cells(geo::store::Store& store, const std::vector<TestCell>& cells) {
    NewLayer l;
    l.name = "grid_cells";
    l.title = "网格";
    l.geometry_type = "MULTIPOLYGON";
    l.fields = {{"code", geo::FieldType::text, ""},        {"name", geo::FieldType::text, ""},
                {"community", geo::FieldType::text, ""},   {"street", geo::FieldType::text, ""},
                {"households", geo::FieldType::integer, ""}, {"population", geo::FieldType::integer, ""}};
    auto writer = store.write_layer(l, WriteMode::replace);
    for (const auto& c : cells) {
        geo::Value community = c.community.empty() ? geo::Value{} : geo::Value(c.community);
        writer->add({{c.code, c.code + "网格", community, c.street, c.households, geo::Value{}}, c.wkb});
    }
    writer->commit();
}

struct TestStation {
    std::string name;
    geo::Value type, floor_area_m2;
};

void write_stations(geo::store::Store& store, const std::vector<TestStation>& stations) {
    NewLayer l;
    l.name = "stations";
    l.title = "服务站";
    l.geometry_type = "POINT";
    l.fields = {{"name", geo::FieldType::text, ""}, {"type", geo::FieldType::text, ""},
                {"floor_area_m2", geo::FieldType::real, ""}};
    auto writer = store.write_layer(l, WriteMode::replace);
    double x = k_lon0;
    for (const auto& s : stations) writer->add({{s.name, s.type, s.floor_area_m2}, point_wkb(x += 0.0001, k_lat0)});
    writer->commit();
}

class Norms : public ::testing::Test {
protected:
    std::unique_ptr<geo::store::Store> open() { return geo::store::open_store((m_dir / "norms.sqlite").string(), true); }
    NormsReport check(const NormsConfig& config = geo::analysis::default_norms_config()) {
        auto store = open();
        return geo::analysis::check_norms(*store, config);
    }
    gridmap::test::TempDir m_dir;
};

// ---- topology -----------------------------------------------------------------------------

TEST_F(Norms, OverlapOfTwoCellsIsMeasuredInSquareMetres) {
    // A and B share an edge (no overlap); C covers the east half of B.
    write_cells(*open(), {{"A", "甲社区", std::int64_t{400}, box_wkb(0, 0, 1, 1)},
                          {"B", "甲社区", std::int64_t{400}, box_wkb(1, 0, 2, 1)},
                          {"C", "甲社区", std::int64_t{400}, box_wkb(1.5, 0, 2.5, 1)}});
    const auto r = check();
    ASSERT_EQ(r.overlaps.size(), 1u);
    const auto& o = r.overlaps[0];
    EXPECT_EQ(o.code_a, "B");
    EXPECT_EQ(o.code_b, "C");
    EXPECT_LT(o.fid_a, o.fid_b);
    const double expected = rectangle_m2(0.5 * k_step, k_step, k_lat0 + 0.5 * k_step);  // ≈ 5,290 m²
    EXPECT_NEAR(o.area_m2, expected, expected * 0.01);
    EXPECT_FALSE(o.wkb.empty());
    EXPECT_TRUE(r.gaps.empty());
    EXPECT_EQ(r.totals.cells_checked, 3);

    const auto geojson = nlohmann::json::parse(geo::analysis::to_geojson(r));
    ASSERT_EQ(geojson["features"].size(), 1u);
    EXPECT_EQ(geojson["features"][0]["properties"]["kind"], "overlap");
    EXPECT_EQ(geojson["features"][0]["geometry"]["type"], "Polygon");
    const auto json = geo::analysis::to_json(r);
    EXPECT_EQ(json["totals"]["overlaps"], 1);
    EXPECT_EQ(json["overlaps"][0]["geometry"]["type"], "Polygon");
}

TEST_F(Norms, SliversBelowTheThresholdsAreNotReported) {
    // A 0.002-step (≈ 0.2 m) wide overlap along a 1-step (≈ 111 m) edge: ≈ 21 m², wide enough.
    write_cells(*open(), {{"A", "甲社区", std::int64_t{400}, box_wkb(0, 0, 1, 1)},
                          {"B", "甲社区", std::int64_t{400}, box_wkb(0.998, 0, 2, 1)}});
    auto r = check();
    ASSERT_EQ(r.overlaps.size(), 1u);
    EXPECT_NEAR(r.overlaps[0].mean_width_m, 0.19, 0.01);

    // 1e-5 of a step (≈ 1 mm) wide, 10 steps long: ≈ 1 m², a rounding sliver by its width.
    write_cells(*open(), {{"A", "甲社区", std::int64_t{400}, box_wkb(0, 0, 1, 10)},
                          {"B", "甲社区", std::int64_t{400}, box_wkb(0.99999, 0, 2, 10)}});
    auto config = geo::analysis::default_norms_config();
    config.min_defect_area_m2 = 0.5;
    EXPECT_TRUE(check(config).overlaps.empty());
    config.min_defect_width_m = 0;
    r = check(config);
    ASSERT_EQ(r.overlaps.size(), 1u);
    EXPECT_GT(r.overlaps[0].area_m2, 0.5);
    EXPECT_LT(r.overlaps[0].mean_width_m, 0.002);
    // And by its area alone.
    config.min_defect_area_m2 = 2;
    EXPECT_TRUE(check(config).overlaps.empty());
}

// Eight cells around a missing centre: a 3 × 3 block with a one-cell hole.
std::vector<TestCell> ring_of_cells(const std::string& community_of_east_half, const std::string& centre_community) {
    std::vector<TestCell> cells;
    for (int y = 0; y < 3; ++y) {
        for (int x = 0; x < 3; ++x) {
            const bool centre = x == 1 && y == 1;
            if (centre && centre_community.empty()) continue;
            const std::string community = centre ? centre_community : (x == 2 ? community_of_east_half : "乙社区");
            cells.push_back({"G" + std::to_string(y) + std::to_string(x), community, std::int64_t{400},
                             box_wkb(x, y, x + 1, y + 1)});
        }
    }
    return cells;
}

TEST_F(Norms, HoleInsideACommunityIsAGap) {
    write_cells(*open(), ring_of_cells("乙社区", ""));
    const auto r = check();
    EXPECT_TRUE(r.overlaps.empty());
    ASSERT_EQ(r.gaps.size(), 1u);
    const auto& g = r.gaps[0];
    EXPECT_EQ(g.community, "乙社区");
    EXPECT_EQ(g.street, "测试街道");
    EXPECT_FALSE(g.between_communities);
    const double expected = rectangle_m2(k_step, k_step, k_lat0 + 1.5 * k_step);  // ≈ 10,580 m²
    EXPECT_NEAR(g.area_m2, expected, expected * 0.01);

    const auto geojson = nlohmann::json::parse(geo::analysis::to_geojson(r));
    ASSERT_EQ(geojson["features"].size(), 1u);
    EXPECT_EQ(geojson["features"][0]["properties"]["kind"], "gap");
    EXPECT_EQ(geojson["features"][0]["properties"]["community"], "乙社区");
}

TEST_F(Norms, HoleBorderedByTwoCommunitiesIsAGapBetweenThem) {
    write_cells(*open(), ring_of_cells("丙社区", ""));
    const auto r = check();
    ASSERT_EQ(r.gaps.size(), 1u);
    EXPECT_TRUE(r.gaps[0].between_communities);
    EXPECT_EQ(r.gaps[0].community, "");
    EXPECT_EQ(r.gaps[0].bordering, (std::vector<std::string>{"测试街道/丙社区", "测试街道/乙社区"}));
}

TEST_F(Norms, EnclaveOfAnotherCommunityIsNoGap) {
    write_cells(*open(), ring_of_cells("乙社区", "丁社区"));
    const auto r = check();
    EXPECT_TRUE(r.gaps.empty());
    EXPECT_TRUE(r.overlaps.empty());
}

TEST_F(Norms, InvalidCellIsRepairedForTheTopologyCheck) {
    // A bow-tie (self-intersecting ring) next to a clean cell.
    const auto bowtie = ring_wkb({{2, 0}, {3, 1}, {3, 0}, {2, 1}, {2, 0}});
    write_cells(*open(), {{"A", "甲社区", std::int64_t{400}, box_wkb(0, 0, 1, 1)},
                          {"B", "甲社区", std::int64_t{400}, box_wkb(1, 0, 2, 1)},
                          {"X", "甲社区", std::int64_t{400}, bowtie}});
    const auto r = check();
    EXPECT_EQ(r.totals.cells_invalid, 1);
    EXPECT_TRUE(r.overlaps.empty());
    EXPECT_FALSE(r.notes.empty());
}

// ---- sizes --------------------------------------------------------------------------------

TEST_F(Norms, CellHouseholdBoundsAreInclusive) {
    write_cells(*open(), {{"c299", "甲社区", std::int64_t{299}, box_wkb(0, 0, 1, 1)},
                          {"c300", "甲社区", std::int64_t{300}, box_wkb(1, 0, 2, 1)},
                          {"c500", "甲社区", std::int64_t{500}, box_wkb(2, 0, 3, 1)},
                          {"c501", "甲社区", std::int64_t{501}, box_wkb(3, 0, 4, 1)},
                          {"none", "甲社区", geo::Value{}, box_wkb(4, 0, 5, 1)}});
    const auto r = check();
    ASSERT_EQ(r.cells.size(), 2u);
    EXPECT_EQ(r.cells[0].code, "c299");
    EXPECT_EQ(r.cells[0].status, "below");
    EXPECT_EQ(r.cells[0].households, 299);
    EXPECT_EQ(r.cells[0].community, "甲社区");
    EXPECT_FALSE(r.cells[0].wkb.empty());
    EXPECT_EQ(r.cells[1].code, "c501");
    EXPECT_EQ(r.cells[1].status, "above");
    EXPECT_EQ(r.totals.cells_checked, 4);
    EXPECT_EQ(r.totals.cells_without_households, 1);
    EXPECT_TRUE(r.communities.empty());  // 299 + 300 + 500 + 501 = 1,600
    EXPECT_EQ(r.totals.communities_checked, 1);
}

TEST_F(Norms, CommunityHouseholdBoundsAreInclusive) {
    // Communities are told apart by street too: 和平社区 in two streets is two communities.
    std::vector<TestCell> cells = {
        {"a1", "和平社区", std::int64_t{499}, box_wkb(0, 0, 1, 1), "东街道"},
        {"a2", "和平社区", std::int64_t{500}, box_wkb(1, 0, 2, 1), "东街道"},  // 999: below
        {"b1", "和平社区", std::int64_t{500}, box_wkb(0, 1, 1, 2), "西街道"},
        {"b2", "和平社区", std::int64_t{500}, box_wkb(1, 1, 2, 2), "西街道"},  // 1,000: passes
    };
    for (int i = 0; i < 6; ++i) cells.push_back({"c" + std::to_string(i), "大社区", std::int64_t{500}, box_wkb(i, 2, i + 1, 3)});
    for (int i = 0; i < 6; ++i) {
        cells.push_back({"d" + std::to_string(i), "更大社区", std::int64_t{i == 0 ? 501 : 500}, box_wkb(i, 3, i + 1, 4)});
    }
    cells.push_back({"lone", "", std::int64_t{300}, box_wkb(0, 4, 1, 5)});
    write_cells(*open(), cells);
    const auto r = check();
    EXPECT_EQ(r.totals.communities_checked, 4);
    EXPECT_EQ(r.totals.cells_without_community, 1);
    ASSERT_EQ(r.communities.size(), 2u);  // sorted by street, then name
    EXPECT_EQ(r.communities[0].name, "和平社区");
    EXPECT_EQ(r.communities[0].street, "东街道");
    EXPECT_EQ(r.communities[0].households, 999);
    EXPECT_EQ(r.communities[0].status, "below");
    EXPECT_EQ(r.communities[1].name, "更大社区");  // 3,001
    EXPECT_EQ(r.communities[1].status, "above");
    EXPECT_EQ(r.communities[1].households, 3001);
    EXPECT_EQ(r.communities[1].cells, 6);
    EXPECT_TRUE(r.gaps.empty());
    EXPECT_TRUE(r.overlaps.empty());
}

// ---- stations -----------------------------------------------------------------------------

TEST_F(Norms, StationsAgainstFloorAreaStandards) {
    auto store = open();
    write_stations(*store, {
                               {"甲站", std::string("社区服务站"), 149.0},
                               {"乙站", std::string("社区服务中心"), 150.0},
                               {"Centre A", std::string(" Community_Service_Centre "), 149.0},
                               {"Centre B", std::string("community_service_centre"), 150.0},
                               {"便利店", std::string("便利店"), 300.0},
                               {"警务室一", std::string("警务室"), geo::Value{}},
                               {"无类型", geo::Value{}, 100.0},
                               {"养老站", std::string("养老服务站"), 199.5},
                           });
    const auto r = geo::analysis::check_norms(*store, geo::analysis::default_norms_config());
    EXPECT_EQ(r.totals.stations_checked, 5);
    EXPECT_EQ(r.totals.stations_passed, 2);
    ASSERT_EQ(r.stations.size(), 3u);
    EXPECT_EQ(r.stations[0].name, "甲站");
    EXPECT_EQ(r.stations[0].standard_id, "community_service_centre");
    EXPECT_DOUBLE_EQ(r.stations[0].floor_area_m2, 149.0);
    EXPECT_DOUBLE_EQ(r.stations[0].min_floor_area_m2, 150.0);
    EXPECT_EQ(r.stations[1].name, "Centre A");
    EXPECT_EQ(r.stations[2].name, "养老站");
    EXPECT_EQ(r.stations[2].standard_id, "elderly_activity_room");

    ASSERT_EQ(r.unchecked_stations.size(), 3u);
    std::map<std::string, std::string> reason;
    for (const auto& s : r.unchecked_stations) reason[s.name] = s.reason;
    EXPECT_EQ(reason["便利店"], "unknown type");
    EXPECT_EQ(reason["警务室一"], "no floor area");
    EXPECT_EQ(reason["无类型"], "no type");
    EXPECT_EQ(r.unchecked_stations[1].standard_id, "police_room");
    // No grid_cells layer: skipped with a note, not an error.
    EXPECT_FALSE(r.notes.empty());
    EXPECT_EQ(r.totals.cells_checked, 0);
}

// ---- outputs ------------------------------------------------------------------------------

TEST_F(Norms, CsvHasOneRowPerFinding) {
    auto store = open();
    write_cells(*store, {{"=c299", "甲社区", std::int64_t{299}, box_wkb(0, 0, 1, 1)},
                         {"c300", "甲,社区", std::int64_t{300}, box_wkb(1, 0, 2, 1)}});
    write_stations(*store, {{"甲站", std::string("社区服务站"), 149.0}, {"乙站", std::string("x"), geo::Value{}}});
    const auto r = geo::analysis::check_norms(*store, geo::analysis::default_norms_config());
    const auto csv = geo::analysis::to_csv(r);
    ASSERT_TRUE(csv.starts_with("kind,fid,code,name,community,street,"));
    std::vector<std::string> lines;
    for (std::size_t at = 0, next; (next = csv.find("\r\n", at)) != std::string::npos; at = next + 2) {
        lines.push_back(csv.substr(at, next - at));
    }
    // cell 299, two communities below 1,000 (甲社区 299 and "甲,社区" 300), a station, an unchecked station
    ASSERT_EQ(lines.size(), 6u);
    EXPECT_TRUE(lines[1].starts_with("cell_households,1,'=c299,"));
    EXPECT_NE(csv.find("\"甲,社区\""), std::string::npos);
    EXPECT_TRUE(lines[4].starts_with("station_floor_area,1,,甲站,,,社区服务站,,,149,"));
    EXPECT_TRUE(lines[5].starts_with("station_unchecked,2,"));
    EXPECT_NE(lines[5].find("unknown type"), std::string::npos);
}

TEST_F(Norms, ProgressRunsFromZeroToOne) {
    write_cells(*open(), ring_of_cells("乙社区", ""));
    auto store = open();
    std::vector<double> fractions;
    geo::analysis::check_norms(*store, geo::analysis::default_norms_config(),
                               [&](double f, std::string_view stage) {
                                   EXPECT_FALSE(stage.empty());
                                   fractions.push_back(f);
                               });
    ASSERT_GE(fractions.size(), 3u);
    EXPECT_EQ(fractions.front(), 0.0);
    EXPECT_EQ(fractions.back(), 1.0);
    EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
}

// ---- configuration ------------------------------------------------------------------------

TEST(NormsConfig, CommittedFileIsTheDefault) {
    const auto text = gridmap::test::read_file(std::filesystem::path(GRIDMAP_SOURCE_DIR) / "config/standards.json");
    const auto loaded = geo::analysis::load_norms_config(text);
    const auto defaults = geo::analysis::default_norms_config();
    EXPECT_EQ(loaded.cell_min_households, 300);
    EXPECT_EQ(loaded.cell_max_households, 500);
    EXPECT_EQ(loaded.community_min_households, 1000);
    EXPECT_EQ(loaded.community_max_households, 3000);
    EXPECT_EQ(loaded.min_defect_area_m2, defaults.min_defect_area_m2);
    EXPECT_EQ(loaded.min_defect_width_m, defaults.min_defect_width_m);
    EXPECT_EQ(loaded.cell_households_source, defaults.cell_households_source);
    EXPECT_EQ(loaded.community_households_source, defaults.community_households_source);
    ASSERT_EQ(loaded.standards.size(), 6u);
    ASSERT_EQ(loaded.standards.size(), defaults.standards.size());
    for (std::size_t i = 0; i < loaded.standards.size(); ++i) {
        const auto& a = loaded.standards[i];
        const auto& b = defaults.standards[i];
        EXPECT_EQ(a.id, b.id);
        EXPECT_EQ(a.title, b.title);
        EXPECT_EQ(a.title_zh, b.title_zh);
        EXPECT_EQ(a.min_floor_area_m2, b.min_floor_area_m2) << a.id;
        EXPECT_EQ(a.types, b.types) << a.id;
        EXPECT_EQ(a.source, b.source) << a.id;
        EXPECT_EQ(a.note, b.note) << a.id;
    }
    // The design brief's figures.
    std::map<std::string, double> minimum;
    for (const auto& s : loaded.standards) minimum[s.id] = s.min_floor_area_m2;
    EXPECT_EQ(minimum, (std::map<std::string, double>{{"community_service_centre", 150},
                                                      {"health_service_station", 150},
                                                      {"police_room", 50},
                                                      {"elderly_activity_room", 200},
                                                      {"multipurpose_activity_room", 200},
                                                      {"outdoor_activity_space", 1000}}));
}

TEST(NormsConfig, PartialFileKeepsTheOtherDefaults) {
    const auto c = geo::analysis::load_norms_config(R"({"grid": {"cell_households": {"max": 600}}})");
    EXPECT_EQ(c.cell_min_households, 300);
    EXPECT_EQ(c.cell_max_households, 600);
    EXPECT_EQ(c.standards.size(), 6u);
}

TEST(NormsConfig, BadFilesAreRejectedWithTheKey) {
    const auto message_of = [](const std::string& text) -> std::string {
        try {
            geo::analysis::load_norms_config(text);
        } catch (const geo::Error& e) {
            EXPECT_EQ(e.code(), geo::Errc::invalid_argument) << text;
            return e.what();
        }
        ADD_FAILURE() << "accepted: " << text;
        return {};
    };
    EXPECT_NE(message_of(R"({"grid": {"cell_housholds": {"min": 1}}})").find("grid.cell_housholds"), std::string::npos);
    EXPECT_NE(message_of(R"({"standard": []})").find("standard"), std::string::npos);
    EXPECT_NE(message_of(R"({"standards": [{"id": "x", "min_floor_area_m2": 1, "types": ["a"], "minimum": 2}]})")
                  .find("minimum"),
              std::string::npos);
    EXPECT_NE(message_of("{not json").find("JSON"), std::string::npos);
    EXPECT_NE(message_of(R"({"grid": {"cell_households": {"min": 600, "max": 500}}})").find("cell_households"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"grid": {"cell_households": {"min": "300"}}})").find("grid.cell_households.min"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"standards": [{"id": "a", "min_floor_area_m2": 1, "types": ["警务室"]},
                                            {"id": "b", "min_floor_area_m2": 2, "types": [" 警务室"]}]})")
                  .find("警务室"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"standards": [{"id": "a", "min_floor_area_m2": -1, "types": ["x"]}]})").find("a"),
              std::string::npos);
    EXPECT_NE(message_of(R"({"standards": [{"id": "a", "min_floor_area_m2": 1}]})").find("types"), std::string::npos);
    EXPECT_NE(message_of("[]").find("object"), std::string::npos);
    EXPECT_NE(message_of(R"({"grid": {"min_defect_width_m": -0.1}})").find("min_defect_width_m"), std::string::npos);
}

// ---- the demo district --------------------------------------------------------------------

class DemoNorms : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new gridmap::test::TempDir;
        gridmap::test::import_demo(*s_dir / "demo.sqlite", {"grid_cells", "buildings", "stations"});
    }
    static void TearDownTestSuite() {
        delete s_dir;
        s_dir = nullptr;
    }
    static std::unique_ptr<geo::store::Store> open() {
        return geo::store::open_store((*s_dir / "demo.sqlite").string(), false);
    }
    static gridmap::test::TempDir* s_dir;
};
gridmap::test::TempDir* DemoNorms::s_dir = nullptr;

TEST_F(DemoNorms, ReportAgreesWithTheDistrict) {
    auto store = open();
    // What the cells say, read independently of the checks.
    const auto info = store->layer("grid_cells");
    ASSERT_TRUE(info);
    int i_code = -1, i_households = -1;
    for (std::size_t i = 0; i < info->fields.size(); ++i) {
        if (info->fields[i].name == "code") i_code = static_cast<int>(i);
        if (info->fields[i].name == "households") i_households = static_cast<int>(i);
    }
    ASSERT_GE(i_code, 0);
    ASSERT_GE(i_households, 0);
    std::set<std::string> below, above;
    std::int64_t cells = 0, min_h = 1 << 30, max_h = 0;
    store->read_features("grid_cells", {}, [&](const geo::Feature& f) {
        ++cells;
        const auto h = std::get<std::int64_t>(f.values[static_cast<std::size_t>(i_households)]);
        const auto code = std::get<std::string>(f.values[static_cast<std::size_t>(i_code)]);
        min_h = std::min(min_h, h);
        max_h = std::max(max_h, h);
        if (h < 300) below.insert(code);
        if (h > 500) above.insert(code);
        return true;
    });
    // data/README.md: 72 cells of 283–500 households, one below 300.
    EXPECT_EQ(cells, 72);
    EXPECT_EQ(min_h, 283);
    EXPECT_EQ(max_h, 500);
    EXPECT_EQ(below, (std::set<std::string>{"310101013-011-06"}));

    const auto r = geo::analysis::check_norms(*store, geo::analysis::default_norms_config());
    EXPECT_EQ(r.totals.cells_checked, 72);
    EXPECT_EQ(r.totals.cells_without_community, 0);
    EXPECT_EQ(r.totals.cells_invalid, 0);
    std::set<std::string> reported_below, reported_above;
    for (const auto& c : r.cells) (c.status == "below" ? reported_below : reported_above).insert(c.code);
    EXPECT_EQ(reported_below, below);
    EXPECT_EQ(reported_above, above);
    ASSERT_EQ(r.cells.size(), 1u);
    EXPECT_EQ(r.cells[0].households, 283);

    // 14 communities of 1,771–2,976 households; no gaps or overlaps.
    EXPECT_EQ(r.totals.communities_checked, 14);
    EXPECT_TRUE(r.communities.empty());
    EXPECT_TRUE(r.overlaps.empty());
    EXPECT_TRUE(r.gaps.empty());

    // OSM has no floor areas: all 19 stations have a standard but cannot be checked.
    EXPECT_EQ(r.totals.stations_checked, 0);
    EXPECT_TRUE(r.stations.empty());
    ASSERT_EQ(r.unchecked_stations.size(), 19u);
    std::map<std::string, int> by_standard;
    for (const auto& s : r.unchecked_stations) {
        EXPECT_EQ(s.reason, "no floor area") << s.name << " " << s.type;
        ++by_standard[s.standard_id];
    }
    EXPECT_EQ(by_standard, (std::map<std::string, int>{{"community_service_centre", 4},
                                                      {"health_service_station", 3},
                                                      {"police_room", 3},
                                                      {"multipurpose_activity_room", 2},
                                                      {"outdoor_activity_space", 7}}));

    const auto json = geo::analysis::to_json(r);
    EXPECT_EQ(json["totals"]["cells_out_of_range"], 1);
    EXPECT_EQ(json["totals"]["stations_unchecked"], 19);
    const auto geojson = nlohmann::json::parse(geo::analysis::to_geojson(r));
    EXPECT_EQ(geojson["type"], "FeatureCollection");
    ASSERT_EQ(geojson["features"].size(), 1u);
    EXPECT_EQ(geojson["features"][0]["properties"]["kind"], "cell_households");
    EXPECT_EQ(geojson["features"][0]["properties"]["code"], "310101013-011-06");
    EXPECT_EQ(geojson["features"][0]["geometry"]["type"], "MultiPolygon");  // as the store keeps cells
}

}  // namespace
