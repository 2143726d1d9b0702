// The fast WKB → GeoJSON writer used by the items route and export: its text must parse as
// JSON and say exactly what the OGR-based feature_json says, whatever the attribute text holds.
#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <ogr_geometry.h>

#include "geo/io/export.hpp"

namespace {

std::vector<unsigned char> wkb_of(const char* wkt) {
    OGRGeometry* g = nullptr;
    EXPECT_EQ(OGRGeometryFactory::createFromWkt(wkt, nullptr, &g), OGRERR_NONE);
    std::vector<unsigned char> wkb(g->WkbSize());
    g->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
    OGRGeometryFactory::destroyGeometry(g);
    return wkb;
}

geo::LayerInfo layer_with(std::initializer_list<const char*> names) {
    geo::LayerInfo info;
    info.name = "buildings";
    for (const char* n : names) info.fields.push_back(geo::Field{n, geo::FieldType::text, ""});
    return info;
}

nlohmann::json written(const geo::LayerInfo& info, const geo::Feature& f,
                       geo::io::OutputCrs crs = geo::io::OutputCrs::crs84) {
    std::string out;
    geo::io::append_feature_geojson(out, info, f, crs);
    return nlohmann::json::parse(out);  // throws, failing the test, on invalid JSON
}

TEST(GeojsonWriter, TextIsEscapedAndChineseKeptAsIs) {
    const auto info = layer_with({"名称", "note", "ctl"});
    geo::Feature f;
    f.fid = 7;
    f.values = {std::string("幸福小区3栋"), std::string("say \"hi\" \\ back\nnext\ttab"),
                std::string("a\x01z\x1f")};
    f.wkb = wkb_of("POINT (121.5 31.25)");
    std::string out;
    geo::io::append_feature_geojson(out, info, f, geo::io::OutputCrs::crs84);
    EXPECT_NE(out.find("\"名称\":\"幸福小区3栋\""), std::string::npos) << out;  // not \u-escaped
    EXPECT_NE(out.find("\\u0001"), std::string::npos) << out;

    const auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["id"], 7);
    EXPECT_EQ(j["properties"]["名称"], "幸福小区3栋");
    EXPECT_EQ(j["properties"]["note"], "say \"hi\" \\ back\nnext\ttab");
    EXPECT_EQ(j["properties"]["ctl"], "a\x01z\x1f");
    EXPECT_EQ(j["geometry"]["coordinates"], nlohmann::json::array({121.5, 31.25}));
}

TEST(GeojsonWriter, BytesThatAreNotUtf8BecomeReplacementCharacters) {
    const auto info = layer_with({"name"});
    geo::Feature f;
    // A lone GBK byte pair (\xd6\xd0 is 中 in GBK), a truncated sequence, an overlong '/', a
    // UTF-16 surrogate written as UTF-8.
    f.values = {std::string("a\xd6\xd0" "b\xe4\xb8" "c\xc0\xaf" "d\xed\xa0\x80" "e")};
    f.wkb = wkb_of("POINT (0 0)");
    const auto j = written(info, f);
    const std::string expected = "a\xef\xbf\xbd\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd"
                                 "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "e";
    EXPECT_EQ(j["properties"]["name"], expected);
}

TEST(GeojsonWriter, NumbersReadBackExactlyAndNonFiniteIsNull) {
    geo::LayerInfo info;
    info.fields = {geo::Field{"floors", geo::FieldType::integer, ""}, geo::Field{"area", geo::FieldType::real, ""},
                   geo::Field{"bad", geo::FieldType::real, ""}, geo::Field{"none", geo::FieldType::text, ""}};
    geo::Feature f;
    f.values = {std::int64_t{-9007199254740993}, 0.1 + 0.2, std::numeric_limits<double>::quiet_NaN(), std::monostate{}};
    f.wkb = wkb_of("POINT (1 2)");
    const auto j = written(info, f);
    EXPECT_EQ(j["properties"]["floors"].get<std::int64_t>(), -9007199254740993);
    EXPECT_EQ(j["properties"]["area"].get<double>(), 0.1 + 0.2);
    EXPECT_TRUE(j["properties"]["bad"].is_null());
    EXPECT_TRUE(j["properties"]["none"].is_null());
}

TEST(GeojsonWriter, SaysWhatFeatureJsonSays) {
    const auto info = layer_with({"名称"});
    geo::Feature f;
    f.fid = 3;
    f.values = {std::string("和平路12号")};
    f.wkb = wkb_of("MULTIPOLYGON (((121.5 31.2, 121.6 31.2, 121.6 31.3, 121.5 31.2), "
                   "(121.55 31.22, 121.58 31.22, 121.58 31.25, 121.55 31.22)))");
    for (auto crs : {geo::io::OutputCrs::crs84, geo::io::OutputCrs::epsg4326, geo::io::OutputCrs::epsg3857}) {
        const auto fast = written(info, f, crs);
        const auto reference = nlohmann::json::parse(geo::io::feature_json(info, f, crs).dump());
        EXPECT_EQ(fast["properties"], reference["properties"]);
        EXPECT_EQ(fast["geometry"]["type"], reference["geometry"]["type"]);
        const auto& a = fast["geometry"]["coordinates"][0][1];
        const auto& b = reference["geometry"]["coordinates"][0][1];
        ASSERT_EQ(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            EXPECT_NEAR(a[i][0].get<double>(), b[i][0].get<double>(), 0.01);
            EXPECT_NEAR(a[i][1].get<double>(), b[i][1].get<double>(), 0.01);
        }
    }
}

}  // namespace

namespace {

TEST(GeojsonWriter, CoordinatesHaveSevenDecimalsWithoutTrailingZeros) {
    geo::LayerInfo info;
    geo::Feature f;
    f.wkb = wkb_of("LINESTRING (121.5 31.25, -0.05 -12.00000004, 0.00000004 -0.00000006, 179.99999999 -89.1234567)");
    std::string out;
    geo::io::append_feature_geojson(out, info, f, geo::io::OutputCrs::crs84);
    EXPECT_NE(out.find("\"coordinates\":[[121.5,31.25],[-0.05,-12],[0,-0.0000001],[180,-89.1234567]]"), std::string::npos)
        << out;
}

}  // namespace
