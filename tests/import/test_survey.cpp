// The survey deliveries in tests/data/real/survey: CGCS2000 Gauss-Krüger and geographic
// shapefiles with GBK text marked three ways (or not at all) must import to the same places
// with the same Chinese names as the OSM originals.
#include <iconv.h>

#include <cmath>
#include <filesystem>
#include <map>

#include <cpl_conv.h>
#include <geos_c.h>
#include <gtest/gtest.h>

#include "capi/geos.hpp"
#include "geo/error.hpp"
#include "geo/import/import.hpp"
#include "import/import_helpers.hpp"

namespace {

namespace fs = std::filesystem;
using gridmap::test::real_data;
using gridmap::test::source_path;
using gridmap::test::TempDir;

struct Building {
    std::string name;  // "" when null
    std::vector<unsigned char> wkb;
};

/// osm_id → building, read from a layer holding the id in `id_field` and the name in "name".
std::map<std::string, Building> buildings_by_id(geo::store::Store& store, const std::string& layer,
                                                const std::string& id_field) {
    const auto info = store.layer(layer);
    std::size_t id_col = 0;
    std::size_t name_col = 0;
    for (std::size_t i = 0; i < info->fields.size(); ++i) {
        if (info->fields[i].name == id_field) id_col = i;
        if (info->fields[i].name == "name") name_col = i;
    }
    std::map<std::string, Building> out;
    store.read_features(layer, {}, [&](const geo::Feature& f) {
        std::string id = std::visit(
            [](const auto& x) -> std::string {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, std::string>) return x;
                else if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(x);
                else return "";
            },
            f.values[id_col]);
        const auto* name = std::get_if<std::string>(&f.values[name_col]);
        out[id] = {name ? *name : "", f.wkb};
        return true;
    });
    return out;
}

/// Whether UTF-8 text can be written in GBK (OSM names with other characters were written
/// with replacements when the survey files were made).
bool representable_in_gbk(const std::string& utf8) {
    iconv_t cd = iconv_open("GBK", "UTF-8");
    std::string in = utf8;
    std::string out(in.size() * 4 + 4, '\0');
    char* ip = in.data();
    char* op = out.data();
    std::size_t il = in.size();
    std::size_t ol = out.size();
    const bool ok = iconv(cd, &ip, &il, &op, &ol) != static_cast<std::size_t>(-1);
    iconv_close(cd);
    return ok;
}

/// Hausdorff distance between two EPSG:4326 geometries in metres (an upper bound: a degree
/// is at most 111.32 km along either axis).
double hausdorff_m(const geo::capi::GeosContext& ctx, const std::vector<unsigned char>& a,
                   const std::vector<unsigned char>& b) {
    auto ga = geo::capi::geos_from_wkb(ctx, a);
    auto gb = geo::capi::geos_from_wkb(ctx, b);
    double d = 1e9;
    if (ga && gb) GEOSHausdorffDistance_r(ctx.get(), ga.get(), gb.get(), &d);
    return d * 111320.0;
}

geo::import::ImportReport import(geo::store::Store& store, const fs::path& path,
                                 const std::string& layer) {
    geo::import::ImportOptions options;
    options.path = path.string();
    options.layer = layer;
    return geo::import::import_file(store, options);
}

class SurveyBuildings : public ::testing::TestWithParam<std::string> {};

TEST_P(SurveyBuildings, SamePlacesAndNamesAsTheOsmOriginals) {
    TempDir dir;
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    import(*store, source_path("data/osm/buildings_merged.geojson"), "osm");
    const fs::path shp = gridmap::test::copy_with_siblings(real_data("survey/" + GetParam() + ".shp"),
                                                          dir.path());
    const auto report = import(*store, shp, "buildings");
    EXPECT_EQ(report.features_read, 1450);
    EXPECT_EQ(report.imported, 1450);
    EXPECT_EQ(report.skipped, 0);
    EXPECT_EQ(report.encoding, "GB18030");
    EXPECT_EQ(store->layer("buildings")->feature_count, 1450);

    const auto originals = buildings_by_id(*store, "osm", "osm_id");
    const auto imported = buildings_by_id(*store, "buildings", "OSMID");
    ASSERT_EQ(originals.size(), 1450u);
    ASSERT_EQ(imported.size(), 1450u);
    geo::capi::GeosContext ctx;
    double worst_m = 0;
    int names_compared = 0;
    int names_equal = 0;
    for (const auto& [id, original] : originals) {
        auto it = imported.find(id);
        ASSERT_NE(it, imported.end()) << "building " << id << " is missing";
        worst_m = std::max(worst_m, hausdorff_m(ctx, original.wkb, it->second.wkb));
        if (!original.name.empty() && representable_in_gbk(original.name)) {
            ++names_compared;
            if (original.name == it->second.name) ++names_equal;
            else ADD_FAILURE() << id << ": " << original.name << " != " << it->second.name;
        }
    }
    EXPECT_LT(worst_m, 1.0) << "a building moved by more than 1 m";
    EXPECT_GT(names_compared, 200);
    EXPECT_EQ(names_equal, names_compared);
}

INSTANTIATE_TEST_SUITE_P(Survey, SurveyBuildings,
                         ::testing::Values("sh_bldg_4528_zone40_cpg", "sh_bldg_4549_cm120_ldid4d",
                                           "sh_bldg_4549_cm120_nocpg_noldid"));

TEST(Survey, EncodingAndCrsAreReportedWithTheirSource) {
    TempDir dir;
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    auto r = import(*store, real_data("survey/sh_bldg_4528_zone40_cpg.shp"), "a");
    EXPECT_EQ(r.encoding_source, ".cpg");
    EXPECT_EQ(r.crs, "EPSG:4528");
    EXPECT_EQ(r.crs_source, ".prj");
    r = import(*store, real_data("survey/sh_bldg_4549_cm120_ldid4d.shp"), "b");
    EXPECT_EQ(r.encoding_source, "DBF code page byte 0x4D");
    EXPECT_EQ(r.crs, "EPSG:4549");
    r = import(*store, real_data("survey/sh_bldg_4549_cm120_nocpg_noldid.shp"), "c");
    EXPECT_EQ(r.encoding_source, "detected");
    EXPECT_EQ(r.encoding, "GB18030");
}

TEST(Survey, PoisDecodeLikeTheOriginals) {
    TempDir dir;
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    const auto r = import(*store, real_data("survey/sh_poi_4490_cpg936.shp"), "stations");
    EXPECT_EQ(r.imported, 494);
    EXPECT_EQ(r.crs, "EPSG:4490");
    import(*store, source_path("data/osm/pois.geojson"), "pois");
    const auto originals = buildings_by_id(*store, "pois", "id");
    const auto imported = buildings_by_id(*store, "stations", "OSMID");
    EXPECT_EQ(store->layer("stations")->feature_count, 494);
    ASSERT_EQ(imported.size(), 493u);  // one OSM id appears twice among the POIs
    int equal = 0;
    for (const auto& [id, poi] : imported) {
        // A DBF pads text with blanks, so trailing blanks of the originals cannot survive.
        std::string name = originals.at(id).name;
        name.erase(name.find_last_not_of(' ') + 1);
        if (!name.empty() && representable_in_gbk(name)) {
            EXPECT_EQ(poi.name, name) << id;
            ++equal;
        }
    }
    EXPECT_GT(equal, 250);
    // 人民英雄纪念塔 is the first point: decoded text, and the place it stands.
    bool found = false;
    store->read_features("stations", {}, [&](const geo::Feature& f) {
        if (std::get<std::string>(f.values[0]) == "人民英雄纪念塔") found = true;
        return !found;
    });
    EXPECT_TRUE(found);
}

TEST(Survey, ZippedShapefileImports) {
    TempDir dir;
    const fs::path zip = dir / "楼栋.zip";
    // GDAL writes the archive: the test needs no zip tool.
    for (const char* ext : {".shp", ".shx", ".dbf", ".prj", ".cpg"}) {
        const std::string member = "/vsizip/" + zip.string() + "/survey/bldg" + ext;
        const std::string src = real_data(std::string("survey/sh_bldg_4528_zone40_cpg") + ext).string();
        ASSERT_EQ(CPLCopyFile(member.c_str(), src.c_str()), 0);
    }
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    const auto r = import(*store, zip, "buildings");
    EXPECT_EQ(r.imported, 1450);
    EXPECT_EQ(r.crs, "EPSG:4528");
    EXPECT_EQ(store->layer("buildings")->source_file, "楼栋.zip!survey/bldg.shp");
}

TEST(Survey, MissingPrjIsRefusedWithAGuess) {
    TempDir dir;
    const fs::path shp = gridmap::test::copy_with_siblings(
        real_data("survey/sh_bldg_4528_zone40_cpg.shp"), dir.path());
    fs::remove(dir / "sh_bldg_4528_zone40_cpg.prj");
    const std::string db = (dir / "g.sqlite").string();
    ASSERT_EQ(gridmap::test::gridmap({"import", real_data("survey/sh_poi_4490_cpg936.shp").string(),
                                      "--layer", "stations", "--db", db})
                  .exit_code,
              0);
    const auto before = gridmap::test::database_fingerprint(db);

    auto refused = gridmap::test::gridmap({"import", shp.string(), "--layer", "buildings", "--db", db});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("no .prj"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("--srs EPSG:4528"), std::string::npos) << refused.err;
    EXPECT_EQ(gridmap::test::database_fingerprint(db), before);

    auto given = gridmap::test::gridmap(
        {"import", shp.string(), "--layer", "buildings", "--db", db, "--srs", "EPSG:4528"});
    EXPECT_EQ(given.exit_code, 0) << given.err;
    auto store = geo::store::open_store(db, false);
    EXPECT_EQ(store->layer("buildings")->feature_count, 1450);
    EXPECT_NEAR(store->layer("buildings")->extent.minx, 121.4802, 0.001);
}

TEST(Survey, WrongEncodingGivenIsRefused) {
    TempDir dir;
    const std::string db = (dir / "g.sqlite").string();
    auto r = gridmap::test::gridmap({"import", real_data("survey/sh_poi_4490_cpg936.shp").string(),
                                     "--layer", "stations", "--db", db, "--encoding", "UTF-8"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("not valid UTF-8"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(db)) << "a refused first import left a database behind";
}

TEST(Survey, ReplaceAndAppend) {
    TempDir dir;
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    const auto poi = real_data("survey/sh_poi_4490_cpg936.shp");
    import(*store, poi, "stations");
    import(*store, poi, "stations");
    EXPECT_EQ(store->layer("stations")->feature_count, 494);
    geo::import::ImportOptions options;
    options.path = poi.string();
    options.layer = "stations";
    options.mode = geo::store::WriteMode::append;
    geo::import::import_file(*store, options);
    EXPECT_EQ(store->layer("stations")->feature_count, 988);
    EXPECT_TRUE(store->check().empty());
}

TEST(Survey, ReportJsonAndCliOptions) {
    TempDir dir;
    const std::string db = (dir / "g.sqlite").string();
    const std::string report = (dir / "report.json").string();
    auto r = gridmap::test::gridmap({"import", real_data("survey/sh_poi_4490_cpg936.shp").string(),
                                     "--layer", "stations", "--db", db, "--report", report,
                                     "--map", "type=类别"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto json = nlohmann::json::parse(gridmap::test::read_file(report));
    EXPECT_EQ(json["imported"], 494);
    EXPECT_EQ(json["encoding"]["name"], "GB18030");
    EXPECT_EQ(json["crs"]["code"], "EPSG:4490");
    bool mapped = false;
    for (const auto& f : json["fields"]) {
        if (f["target"] == "type" && f["source"] == "类别") mapped = true;
    }
    EXPECT_TRUE(mapped);

    EXPECT_EQ(gridmap::test::gridmap({"import", "x.shp", "--layer", "a", "--bogus"}).exit_code, 2);
    EXPECT_EQ(gridmap::test::gridmap({"import", "x.shp"}).exit_code, 2);
    EXPECT_EQ(gridmap::test::gridmap({"import", "--layer", "a"}).exit_code, 2);
    EXPECT_EQ(gridmap::test::gridmap({"import", "x.shp", "--layer", "a", "--mode", "merge"}).exit_code, 2);
    EXPECT_EQ(gridmap::test::gridmap({"nonsense"}).exit_code, 2);
    EXPECT_EQ(gridmap::test::gridmap({"export", "--layer", "stations", "--db", db, "--bbox", "1,2"}).exit_code, 2);
    for (const char* cmd : {"import", "layers", "export", "check"}) {
        auto help = gridmap::test::gridmap({cmd, "--help"});
        EXPECT_EQ(help.exit_code, 0);
        EXPECT_NE(help.out.find("usage: gridmap"), std::string::npos);
    }
    auto layers = gridmap::test::gridmap({"layers", "--db", db, "--json"});
    ASSERT_EQ(layers.exit_code, 0);
    const auto listed = nlohmann::json::parse(layers.out);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["feature_count"], 494);
    EXPECT_NEAR(listed[0]["extent"][0].get<double>(), 121.4813, 1e-3);

    auto csv = gridmap::test::gridmap({"export", "--layer", "stations", "--db", db, "--format", "csv",
                                       "--bbox", "121.486,31.244,121.488,31.245"});
    ASSERT_EQ(csv.exit_code, 0);
    EXPECT_NE(csv.out.find("人民英雄纪念塔"), std::string::npos);
    EXPECT_EQ(csv.out.find("东方明珠"), std::string::npos);
    auto geojson = gridmap::test::gridmap({"export", "--layer", "stations", "--db", db});
    ASSERT_EQ(geojson.exit_code, 0);
    EXPECT_EQ(nlohmann::json::parse(geojson.out)["features"].size(), 494u);
    EXPECT_EQ(gridmap::test::gridmap({"export", "--layer", "nope", "--db", db}).exit_code, 1);
}

}  // namespace

namespace {

// On a terminal the import draws a redrawn progress bar (carriage returns), not plain lines.
TEST(Survey, ProgressBarOnATerminal) {
    gridmap::test::TempDir dir;
    const std::string command = gridmap::test::gridmap_binary().string() + " import " +
                                gridmap::test::real_data("survey/sh_bldg_4528_zone40_cpg.shp").string() +
                                " --layer buildings --db " + (dir / "g.sqlite").string();
    // script(1) from util-linux runs the command on a pseudo-terminal.
    auto r = gridmap::test::run({"/usr/bin/script", "-qec", command, "/dev/null"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("\rimporting buildings ["), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("100%"), std::string::npos);
    EXPECT_EQ(r.out.find("importing buildings: 0%"), std::string::npos) << "plain lines on a terminal";
}

}  // namespace
