// Import pipeline details: geometry repair, numbers written as text, derived grid links,
// GeoPackage input, field-name repair, archive limits.
#include <filesystem>
#include <fstream>
#include <set>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <ogrsf_frmts.h>
#include <geos_c.h>
#include <gtest/gtest.h>

#include "capi/geos.hpp"
#include "geo/error.hpp"
#include "geo/import/import.hpp"
#include "import/import_helpers.hpp"

namespace {

namespace fs = std::filesystem;
using gridmap::test::TempDir;
using gridmap::test::test_data;

geo::import::ImportReport import(geo::store::Store& store, const fs::path& path, const std::string& layer) {
    geo::import::ImportOptions options;
    options.path = path.string();
    options.layer = layer;
    return geo::import::import_file(store, options);
}

std::map<std::string, geo::Feature> features_by(geo::store::Store& store, const std::string& layer,
                                                const std::string& field) {
    const std::size_t col = gridmap::test::field_index(*store.layer(layer), field);
    std::map<std::string, geo::Feature> out;
    store.read_features(layer, {}, [&](const geo::Feature& f) {
        out[std::get<std::string>(f.values[col])] = f;
        return true;
    });
    return out;
}

std::size_t column(geo::store::Store& store, const std::string& layer, const std::string& field) {
    return gridmap::test::field_index(*store.layer(layer), field);
}

TEST(Pipeline, InvalidPolygonsAreRepairedAndCounted) {
    TempDir dir;
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    const auto r = import(*store, test_data("invalid_polygons.geojson"), "buildings");
    EXPECT_EQ(r.features_read, 6);
    EXPECT_EQ(r.imported, 4);
    EXPECT_EQ(r.repaired, 2);
    EXPECT_EQ(r.skipped, 2);
    EXPECT_EQ(r.skipped_by_reason.at("no geometry"), 1);
    EXPECT_EQ(r.skipped_by_reason.at("invalid polygon with no area left after repair"), 1);
    EXPECT_EQ(r.values_not_numbers, 1);  // "约五层"

    geo::capi::GeosContext ctx;
    const auto by_name = features_by(*store, "buildings", "name");
    ASSERT_EQ(by_name.size(), 4u);
    for (const auto& [name, f] : by_name) {
        auto g = geo::capi::geos_from_wkb(ctx, f.wkb);
        ASSERT_TRUE(g) << name;
        EXPECT_EQ(GEOSisValid_r(ctx.get(), g.get()), 1) << name;
        EXPECT_EQ(GEOSGeomTypeId_r(ctx.get(), g.get()), GEOS_MULTIPOLYGON) << name;
        EXPECT_EQ(GEOSHasZ_r(ctx.get(), g.get()), 0) << name;
    }
    const auto floors = column(*store, "buildings", "floors");
    EXPECT_EQ(std::get<std::int64_t>(by_name.at("蝴蝶结").values[floors]), 12);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(by_name.at("三维楼").values[floors]));
    // The bow-tie becomes its two triangles: together half the square's area.
    auto bowtie = geo::capi::geos_from_wkb(ctx, by_name.at("蝴蝶结").wkb);
    double area = 0;
    GEOSArea_r(ctx.get(), bowtie.get(), &area);
    EXPECT_NEAR(area, 0.5e-6, 1e-9);
    EXPECT_EQ(GEOSGetNumGeometries_r(ctx.get(), bowtie.get()), 2);
    EXPECT_TRUE(store->check().empty());
}

TEST(Pipeline, BuildingsKnowTheirGridCellAndCellsTheirTotals) {
    TempDir dir;
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    // Buildings first, then cells: the links are refreshed whichever layer changes.
    import(*store, test_data("buildings_links.geojson"), "buildings");
    import(*store, test_data("grid_links.geojson"), "grid_cells");

    const auto grid_code = column(*store, "buildings", "grid_code");
    const auto buildings = features_by(*store, "buildings", "name");
    EXPECT_EQ(std::get<std::string>(buildings.at("A").values[grid_code]), "310115005-001-01");
    EXPECT_EQ(std::get<std::string>(buildings.at("B").values[grid_code]), "310115005-001-01");
    EXPECT_EQ(std::get<std::string>(buildings.at("C (L-shaped, centroid outside)").values[grid_code]),
              "310115005-001-02");
    EXPECT_TRUE(std::holds_alternative<std::monostate>(buildings.at("D (outside every cell)").values[grid_code]));

    const auto cells = features_by(*store, "grid_cells", "code");
    const auto households = column(*store, "grid_cells", "households");
    const auto population = column(*store, "grid_cells", "population");
    EXPECT_EQ(std::get<std::int64_t>(cells.at("310115005-001-01").values[households]), 140);
    EXPECT_EQ(std::get<std::int64_t>(cells.at("310115005-001-01").values[population]), 340);
    EXPECT_EQ(std::get<std::int64_t>(cells.at("310115005-001-02").values[households]), 7);
    const auto worker = column(*store, "grid_cells", "worker");
    EXPECT_EQ(std::get<std::string>(cells.at("310115005-001-02").values[worker]), "网格员02");

    // Replacing the buildings keeps the totals current.
    geo::import::ImportOptions options;
    options.path = test_data("buildings_links.geojson").string();
    options.layer = "buildings";
    options.mode = geo::store::WriteMode::append;
    geo::import::import_file(*store, options);
    const auto doubled = features_by(*store, "grid_cells", "code");
    EXPECT_EQ(std::get<std::int64_t>(doubled.at("310115005-001-01").values[households]), 280);
}

TEST(Pipeline, GeoPackageImports) {
    TempDir dir;
    const std::string gpkg = (dir / "楼栋.gpkg").string();
    GDALAllRegister();
    GDALDatasetH src = GDALOpenEx(gridmap::test::source_path("data/osm/buildings_merged.geojson").c_str(),
                                  GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    ASSERT_TRUE(src);
    const char* argv[] = {"-f", "GPKG", "-nln", "服务设施", nullptr};
    GDALVectorTranslateOptions* options = GDALVectorTranslateOptionsNew(const_cast<char**>(argv), nullptr);
    GDALDatasetH out = GDALVectorTranslate(gpkg.c_str(), nullptr, 1, &src, options, nullptr);
    GDALVectorTranslateOptionsFree(options);
    ASSERT_TRUE(out);
    GDALClose(out);
    GDALClose(src);

    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    const auto r = import(*store, gpkg, "buildings");
    EXPECT_EQ(r.driver, "GPKG");
    EXPECT_EQ(r.imported, 1450);
    EXPECT_EQ(r.encoding, "UTF-8");
    EXPECT_EQ(r.crs, "EPSG:4326");
    EXPECT_EQ(store->layer("buildings")->feature_count, 1450);
}

TEST(Pipeline, CutChineseFieldNameIsRepairedAndMapped) {
    TempDir dir;
    const std::string shp = (dir / "stations.shp").string();
    GDALAllRegister();
    {
        GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("ESRI Shapefile");
        GDALDatasetUniquePtr ds(driver->Create(shp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        OGRSpatialReference srs;
        srs.importFromEPSG(4490);
        const char* options[] = {"ENCODING=UTF-8", nullptr};
        OGRLayer* layer = ds->CreateLayer("stations", &srs, wkbPoint, const_cast<char**>(options));
        CPLPushErrorHandler(CPLQuietErrorHandler);  // GDAL warns that it shortens the names
        OGRFieldDefn area("建筑面积平方米", OFTReal);  // 21 bytes in UTF-8: cut at 10
        layer->CreateField(&area);
        OGRFieldDefn name("名称", OFTString);
        layer->CreateField(&name);
        CPLPopErrorHandler();
        OGRFeature f(layer->GetLayerDefn());
        f.SetField(0, 180.5);
        f.SetField(1, "陆家嘴社区服务中心");
        OGRPoint p(121.5, 31.24);
        f.SetGeometry(&p);
        ASSERT_EQ(layer->CreateFeature(&f), OGRERR_NONE);
    }
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    const auto r = import(*store, shp, "stations");
    EXPECT_EQ(r.imported, 1);
    bool mapped = false;
    for (const auto& f : r.fields) {
        EXPECT_FALSE(f.target.empty());
        if (f.target == "floor_area_m2") {
            mapped = !f.source.empty() && std::string("建筑面积平方米").starts_with(f.source);
        }
    }
    EXPECT_TRUE(mapped) << "the cut name should still map to floor_area_m2";
    store->read_features("stations", {}, [&](const geo::Feature& f) {
        EXPECT_EQ(std::get<std::string>(f.values[0]), "陆家嘴社区服务中心");
        EXPECT_DOUBLE_EQ(std::get<double>(f.values[2]), 180.5);
        return true;
    });
}

TEST(Pipeline, ZipBombIsRefused) {
    TempDir dir;
    const std::string zip = (dir / "bomb.zip").string();
    {
        // 64 MB of zeros compresses to a few tens of kilobytes.
        VSILFILE* f = VSIFOpenL(("/vsizip/" + zip + "/big.dbf").c_str(), "wb");
        ASSERT_TRUE(f);
        std::vector<char> zeros(1 << 20, 0);
        for (int i = 0; i < 64; ++i) VSIFWriteL(zeros.data(), 1, zeros.size(), f);
        VSIFCloseL(f);
        const std::string shp = gridmap::test::real_data("survey/sh_poi_4490_cpg936.shp").string();
        ASSERT_EQ(CPLCopyFile(("/vsizip/" + zip + "/big.shp").c_str(), shp.c_str()), 0);
    }
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    try {
        import(*store, zip, "stations");
        FAIL() << "a zip bomb was accepted";
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::invalid_argument);
        EXPECT_NE(std::string(e.what()).find("zip bomb"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(store->layers().empty());
}

TEST(Pipeline, ArchiveWithSeveralDatasetsAsksWhichOne) {
    TempDir dir;
    const std::string zip = (dir / "two.zip").string();
    for (const char* stem : {"a", "b"}) {
        for (const char* ext : {".shp", ".shx", ".dbf", ".prj", ".cpg"}) {
            const std::string src = gridmap::test::real_data(std::string("survey/sh_poi_4490_cpg936") + ext).string();
            ASSERT_EQ(CPLCopyFile(("/vsizip/" + zip + "/" + stem + ext).c_str(), src.c_str()), 0);
        }
    }
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    EXPECT_THROW(import(*store, zip, "stations"), geo::Error);
    geo::import::ImportOptions options;
    options.path = zip;
    options.layer = "stations";
    options.source_layer = "b";
    EXPECT_EQ(geo::import::import_file(*store, options).imported, 494);
}

TEST(Pipeline, DuplicateAndReservedFieldNamesGetSuffixes) {
    TempDir dir;
    const fs::path json = dir / "dups.geojson";
    {
        std::ofstream out(json);
        out << R"({"type":"FeatureCollection","features":[{"type":"Feature",)"
            << R"("properties":{"fid":7,"geom":"x","Name":"a","名称":"b","select":1},)"
            << R"("geometry":{"type":"Point","coordinates":[121.5,31.2]}}]})";
    }
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    const auto r = import(*store, json, "things");
    EXPECT_EQ(r.imported, 1);
    std::set<std::string> names;
    const auto things = store->layer("things");
    for (const auto& f : things->fields) names.insert(f.name);
    EXPECT_TRUE(names.contains("fid_2"));
    EXPECT_TRUE(names.contains("geom_2"));
    EXPECT_TRUE(names.contains("Name"));
    EXPECT_TRUE(names.contains("名称"));
    EXPECT_TRUE(names.contains("select"));
}

TEST(Pipeline, CoreLayerOfTheWrongGeometryIsRefused) {
    TempDir dir;
    auto store = geo::store::open_store((dir / "g.sqlite").string(), true);
    try {
        import(*store, gridmap::test::source_path("data/osm/pois.geojson"), "buildings");
        FAIL();
    } catch (const geo::Error& e) {
        EXPECT_NE(std::string(e.what()).find("polygons"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(store->layers().empty());
}

}  // namespace
