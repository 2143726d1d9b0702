#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "geo/crs/crs.hpp"
#include "geo/error.hpp"
#include "support/test_support.hpp"

namespace {

using gridmap::test::read_file;
using gridmap::test::real_data;

// A building corner at Lujiazui from sh_bldg_4528_zone40_cpg.shp, and its WGS 84 position
// as `cs2cs EPSG:4528 EPSG:4326` gives it.
constexpr double zone40_x = 40642201.1096035;
constexpr double zone40_y = 3458314.74260854;
constexpr double lujiazui_lon = 121.49259077;
constexpr double lujiazui_lat = 31.23793072;

// Runs `f` with stderr redirected, and returns what was written to it.
template <typename F>
std::string stderr_of(F&& f) {
    testing::internal::CaptureStderr();
    f();
    return testing::internal::GetCapturedStderr();
}

TEST(CrsIdentify, SurveyPrjFiles) {
    struct Case {
        std::string file;
        int epsg;
        bool geographic;
        std::string name;
    };
    const std::vector<Case> cases = {
        {"survey/sh_bldg_4528_zone40_cpg.prj", 4528, false,
         "CGCS2000 / 3-degree Gauss-Kruger zone 40"},
        {"survey/sh_bldg_4549_cm120_ldid4d.prj", 4549, false,
         "CGCS2000 / 3-degree Gauss-Kruger CM 120E"},
        {"survey/sh_bldg_4549_cm120_nocpg_noldid.prj", 4549, false,
         "CGCS2000 / 3-degree Gauss-Kruger CM 120E"},
        {"survey/sh_poi_4490_cpg936.prj", 4490, true, "China Geodetic Coordinate System 2000"},
    };
    for (const auto& c : cases) {
        const auto info = geo::crs::identify(read_file(real_data(c.file)));
        EXPECT_EQ(info.epsg, c.epsg) << c.file;
        EXPECT_EQ(info.definition, "EPSG:" + std::to_string(c.epsg)) << c.file;
        EXPECT_EQ(info.geographic, c.geographic) << c.file;
        EXPECT_EQ(info.name, c.name) << c.file;
    }
}

TEST(CrsIdentify, PrjWithUtf8Bom) {
    const std::string prj =
        read_file(real_data("malformed/gdal_autotest_shp/prjwithutf8bom.prj"));
    ASSERT_TRUE(prj.starts_with("\xEF\xBB\xBF"));
    geo::crs::CrsInfo info;
    EXPECT_EQ(stderr_of([&] { info = geo::crs::identify(prj); }), "");
    EXPECT_EQ(info.epsg, 4269);  // NAD83
    EXPECT_TRUE(info.geographic);
}

TEST(CrsIdentify, NonEquivalentDefinitionKeepsItsWkt) {
    // The zone 40 name with another false easting: the name alone must not give EPSG:4528.
    std::string prj = read_file(real_data("survey/sh_bldg_4528_zone40_cpg.prj"));
    const std::string false_easting = "40500000.0";
    prj.replace(prj.find(false_easting), false_easting.size(), "40600000.0");
    const auto info = geo::crs::identify(prj);
    EXPECT_EQ(info.epsg, std::nullopt);
    EXPECT_FALSE(info.geographic);
    EXPECT_TRUE(info.definition.starts_with("PROJCRS[")) << info.definition;

    // The definition works as a Transformer source: 100 km further east than zone 40.
    geo::crs::Transformer custom(info.definition);
    double xy[2] = {zone40_x + 100000, zone40_y};
    ASSERT_TRUE(custom.transform(xy, 1));
    EXPECT_NEAR(xy[0], lujiazui_lon, 1e-7);
    EXPECT_NEAR(xy[1], lujiazui_lat, 1e-7);
}

TEST(CrsIdentify, NotACrsThrowsQuietly) {
    for (const char* text : {"", "garbage", "PROJCS[\"broken\",GEOGCS[\"x\"", "/etc/passwd"}) {
        std::string err = stderr_of([&] {
            try {
                geo::crs::identify(text);
                ADD_FAILURE() << "no error for " << text;
            } catch (const geo::Error& e) {
                EXPECT_EQ(e.code(), geo::Errc::invalid_argument) << text;
                EXPECT_FALSE(std::string(e.what()).empty());
            }
        });
        EXPECT_EQ(err, "") << text;
    }
}

TEST(CrsFromUser, Spellings) {
    for (const char* text : {"EPSG:4528", "4528", "epsg:4528", " EPSG:4528\n"}) {
        const auto info = geo::crs::from_user(text);
        EXPECT_EQ(info.epsg, 4528) << text;
        EXPECT_EQ(info.definition, "EPSG:4528") << text;
        EXPECT_EQ(info.name, "CGCS2000 / 3-degree Gauss-Kruger zone 40") << text;
    }
    EXPECT_EQ(geo::crs::from_user("epsg:4490").epsg, 4490);
    EXPECT_TRUE(geo::crs::from_user("EPSG:4326").geographic);

    const auto utm = geo::crs::from_user("+proj=utm +zone=51 +datum=WGS84 +units=m +no_defs");
    EXPECT_EQ(utm.epsg, 32651);
}

TEST(CrsFromUser, BadValueHasHint) {
    for (const char* text : {"EPSG:999999", "not a crs", "4528x"}) {
        try {
            geo::crs::from_user(text);
            ADD_FAILURE() << "no error for " << text;
        } catch (const geo::Error& e) {
            EXPECT_EQ(e.code(), geo::Errc::invalid_argument) << text;
            EXPECT_NE(std::string(e.what()).find("EPSG:4528"), std::string::npos) << e.what();
        }
    }
}

TEST(CrsGuess, SurveyExtents) {
    const auto zone40 = geo::crs::guess_from_extent(40641020, 3457032, 40644904, 3459758);
    ASSERT_TRUE(zone40.has_value());
    EXPECT_EQ(zone40->epsg, 4528);
    EXPECT_NE(zone40->reason.find("40"), std::string::npos);

    const auto poi = geo::crs::guess_from_extent(121.4805, 31.2270, 121.5198, 31.2499);
    ASSERT_TRUE(poi.has_value());
    EXPECT_EQ(poi->epsg, 4490);
    EXPECT_FALSE(poi->reason.empty());

    // CM 120E without the zone prefix: the central meridian cannot be told from the numbers.
    EXPECT_EQ(geo::crs::guess_from_extent(641020, 3457032, 644904, 3459758), std::nullopt);
}

TEST(CrsGuess, Table) {
    struct Case {
        double minx, miny, maxx, maxy;
        std::optional<int> epsg;
    };
    const std::vector<Case> cases = {
        {25400000, 4000000, 25600000, 4100000, 4513},          // zone 25
        {45400000, 4000000, 45600000, 4100000, 4533},          // zone 45
        {39900000, 3000000, 40100000, 3100000, std::nullopt},  // spans two zones
        {46500000, 3000000, 46600000, 3100000, std::nullopt},  // zone 46 is no CGCS2000 zone
        {40500000, -10, 40600000, 3000000, std::nullopt},      // negative northing
        {2.29, 48.85, 2.36, 48.87, 4326},                      // Paris
        {-180, -90, 180, 90, 4326},
        {73, 3, 135, 54, 4490},
        {120, 30, 140, 40, 4326},  // reaches past China
        {500000, 0, 1e7, 1e7, std::nullopt},
        {std::numeric_limits<double>::quiet_NaN(), 0, 1, 1, std::nullopt},
        {10, 10, 5, 5, std::nullopt},  // min > max
    };
    for (const auto& c : cases) {
        const auto guess = geo::crs::guess_from_extent(c.minx, c.miny, c.maxx, c.maxy);
        EXPECT_EQ(guess ? std::optional(guess->epsg) : std::nullopt, c.epsg)
            << c.minx << " " << c.miny << " " << c.maxx << " " << c.maxy;
    }
}

TEST(CrsTransformer, Zone40ToWgs84) {
    geo::crs::Transformer to_wgs84("EPSG:4528");
    EXPECT_FALSE(to_wgs84.is_noop());
    double xy[2] = {zone40_x, zone40_y};
    ASSERT_TRUE(to_wgs84.transform(xy, 1));
    EXPECT_NEAR(xy[0], lujiazui_lon, 1e-7);
    EXPECT_NEAR(xy[1], lujiazui_lat, 1e-7);
}

TEST(CrsTransformer, PrefixedAndUnprefixedZonesAgree) {
    geo::crs::Transformer zone40("EPSG:4528");
    geo::crs::Transformer cm120("EPSG:4549");
    double a[4] = {zone40_x, zone40_y, zone40_x + 250.5, zone40_y - 120.25};
    double b[4] = {zone40_x - 40000000, zone40_y, zone40_x - 40000000 + 250.5, zone40_y - 120.25};
    ASSERT_TRUE(zone40.transform(a, 2));
    ASSERT_TRUE(cm120.transform(b, 2));
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(a[i], b[i], 1e-9) << i;
    EXPECT_GT(a[2], a[0]);  // east stays east
    EXPECT_LT(a[3], a[1]);  // south stays south
}

TEST(CrsTransformer, WktSourceFromPrj) {
    // PROJ reads the ESRI WKT of a .prj as it stands.
    geo::crs::Transformer from_prj(read_file(real_data("survey/sh_bldg_4528_zone40_cpg.prj")));
    double xy[2] = {zone40_x, zone40_y};
    ASSERT_TRUE(from_prj.transform(xy, 1));
    EXPECT_NEAR(xy[0], lujiazui_lon, 1e-7);
    EXPECT_NEAR(xy[1], lujiazui_lat, 1e-7);
}

TEST(CrsTransformer, Cgcs2000IsWgs84ToAMicrodegree) {
    geo::crs::Transformer t("EPSG:4490", "EPSG:4326");
    double xy[2] = {121.5, 31.24};
    ASSERT_TRUE(t.transform(xy, 1));
    EXPECT_NEAR(xy[0], 121.5, 1e-6);
    EXPECT_NEAR(xy[1], 31.24, 1e-6);
}

TEST(CrsTransformer, ToWebMercatorAndBack) {
    geo::crs::Transformer forward("EPSG:4326", "EPSG:3857");
    geo::crs::Transformer back("EPSG:3857", "EPSG:4326");
    double xy[2] = {lujiazui_lon, lujiazui_lat};
    ASSERT_TRUE(forward.transform(xy, 1));
    EXPECT_NEAR(xy[0], 13524493.34, 0.01);  // x is the easting despite EPSG:4326's lat,lon order
    EXPECT_NEAR(xy[1], 3663687.68, 0.01);
    ASSERT_TRUE(back.transform(xy, 1));
    EXPECT_NEAR(xy[0], lujiazui_lon, 1e-9);
    EXPECT_NEAR(xy[1], lujiazui_lat, 1e-9);
}

TEST(CrsTransformer, Noop) {
    geo::crs::Transformer same("EPSG:4326", "EPSG:4326");
    EXPECT_TRUE(same.is_noop());
    double xy[2] = {lujiazui_lon, lujiazui_lat};
    ASSERT_TRUE(same.transform(xy, 1));
    EXPECT_EQ(xy[0], lujiazui_lon);
    EXPECT_EQ(xy[1], lujiazui_lat);

    const std::string poi_prj = read_file(real_data("survey/sh_poi_4490_cpg936.prj"));
    EXPECT_TRUE(geo::crs::Transformer(poi_prj, "EPSG:4490").is_noop());
    EXPECT_TRUE(geo::crs::Transformer("OGC:CRS84", "EPSG:4326").is_noop());
    EXPECT_FALSE(geo::crs::Transformer("EPSG:4490", "EPSG:4326").is_noop());
}

TEST(CrsTransformer, FailedPointsReturnFalse) {
    geo::crs::Transformer t("EPSG:4326", "EPSG:3857");
    double beyond_pole[4] = {121.5, 31.2, 0.0, 95.0};
    EXPECT_FALSE(t.transform(beyond_pole, 2));
    double nan[2] = {std::nan(""), 1.0};
    EXPECT_FALSE(t.transform(nan, 1));
    EXPECT_TRUE(t.transform(nullptr, 0));
}

TEST(CrsTransformer, ManyPoints) {
    geo::crs::Transformer t("EPSG:4528");
    std::vector<double> xy;
    for (int i = 0; i < 10000; ++i) {
        xy.push_back(zone40_x);
        xy.push_back(zone40_y);
    }
    ASSERT_TRUE(t.transform(xy.data(), xy.size() / 2));
    for (std::size_t i = 0; i < xy.size(); i += 2) {
        ASSERT_NEAR(xy[i], lujiazui_lon, 1e-7);
        ASSERT_NEAR(xy[i + 1], lujiazui_lat, 1e-7);
    }
}

TEST(CrsTransformer, MovesKeepTheOperation) {
    geo::crs::Transformer a("EPSG:4528");
    geo::crs::Transformer b(std::move(a));
    geo::crs::Transformer c("EPSG:4326", "EPSG:4326");
    c = std::move(b);
    EXPECT_FALSE(c.is_noop());
    double xy[2] = {zone40_x, zone40_y};
    ASSERT_TRUE(c.transform(xy, 1));
    EXPECT_NEAR(xy[0], lujiazui_lon, 1e-7);
}

TEST(CrsTransformer, UnknownDefinitionThrowsQuietly) {
    const std::string err = stderr_of([] {
        EXPECT_THROW(geo::crs::Transformer("EPSG:999999"), geo::Error);
        EXPECT_THROW(geo::crs::Transformer("EPSG:4326", "not a crs"), geo::Error);
        EXPECT_THROW(geo::crs::Transformer("+proj=merc"), geo::Error);  // an operation, no CRS
    });
    EXPECT_EQ(err, "");
}

}  // namespace
