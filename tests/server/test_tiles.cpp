// Vector tiles over HTTP, decoded back with GDAL's MVT driver and compared with the store.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

#include <cairo.h>
#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "geo/import/import.hpp"
#include "geo/tiles/tile.hpp"
#include "server/server_fixture.hpp"

namespace {

using nlohmann::json;

// Tiles by the point they hold, e.g. Lujiazui's towers around lon 121.4995, lat 31.2397 at z16.
geo::tiles::TileId tile_at(double lon, double lat, int z) {
    const double n = std::pow(2.0, z);
    const double lat_rad = lat * M_PI / 180.0;
    geo::tiles::TileId t;
    t.z = z;
    t.x = static_cast<std::uint32_t>((lon + 180.0) / 360.0 * n);
    t.y = static_cast<std::uint32_t>((1.0 - std::log(std::tan(lat_rad) + 1.0 / std::cos(lat_rad)) / M_PI) / 2.0 * n);
    return t;
}

std::string path_of(const std::string& layers, const geo::tiles::TileId& t, const std::string& ext = ".mvt") {
    return "/tiles/" + layers + "/" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y) + ext;
}

/// Feature counts per layer of an MVT blob, read by GDAL's MVT driver.
std::map<std::string, int> decode_counts(const std::string& blob, const geo::tiles::TileId& t,
                                         std::map<std::string, std::vector<std::string>>* names = nullptr) {
    GDALAllRegister();
    const std::string path = "/vsimem/gridmap_test_tile_" + std::to_string(t.z) + "_" + std::to_string(t.x) + ".mvt";
    VSILFILE* f = VSIFileFromMemBuffer(path.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(blob.data())),
                                       blob.size(), FALSE);
    VSIFCloseL(f);
    const std::string x = "X=" + std::to_string(t.x);
    const std::string y = "Y=" + std::to_string(t.y);
    const std::string z = "Z=" + std::to_string(t.z);
    const char* options[] = {x.c_str(), y.c_str(), z.c_str(), nullptr};
    const char* drivers[] = {"MVT", nullptr};
    GDALDatasetUniquePtr ds(static_cast<GDALDataset*>(
        GDALOpenEx(path.c_str(), GDAL_OF_VECTOR, drivers, options, nullptr)));
    std::map<std::string, int> counts;
    if (ds) {
        for (int i = 0; i < ds->GetLayerCount(); ++i) {
            OGRLayer* layer = ds->GetLayer(i);
            int n = 0;
            for (auto& feature : *layer) {
                ++n;
                if (names && feature->GetFieldIndex("name") >= 0 && feature->IsFieldSetAndNotNull(feature->GetFieldIndex("name"))) {
                    (*names)[layer->GetName()].push_back(feature->GetFieldAsString("name"));
                }
            }
            counts[layer->GetName()] = n;
        }
    }
    VSIUnlink(path.c_str());
    return counts;
}

TEST(Tiles, TileJson) {
    auto client = gridmap::test::demo_server().client();
    auto res = client.Get("/tiles/buildings.json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    const auto tj = json::parse(res->body);
    EXPECT_EQ(tj["tilejson"], "3.0.0");
    EXPECT_NE(tj["tiles"][0].get<std::string>().find("/tiles/buildings/{z}/{x}/{y}.mvt"), std::string::npos);
    EXPECT_NEAR(tj["bounds"][0].get<double>(), 121.4802, 1e-3);
    EXPECT_EQ(tj["vector_layers"][0]["id"], "buildings");
    EXPECT_TRUE(tj["vector_layers"][0]["fields"].contains("households"));
    EXPECT_EQ(tj["center"].size(), 3u);
    EXPECT_LE(tj["minzoom"].get<int>(), 12);
    auto all = client.Get("/tiles/all.json");
    ASSERT_TRUE(all);
    EXPECT_EQ(json::parse(all->body)["vector_layers"].size(), 4u);
}

TEST(Tiles, MvtMatchesTheStore) {
    auto client = gridmap::test::demo_server().client();
    const auto t = tile_at(121.4995, 31.2397, 16);
    auto res = client.Get(path_of("buildings,stations,roads", t));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/vnd.mapbox-vector-tile");
    EXPECT_LT(res->body.size(), 500u * 1024u);
    std::map<std::string, std::vector<std::string>> names;
    const auto counts = decode_counts(res->body, t, &names);
    ASSERT_TRUE(counts.contains("buildings")) << "layers: " << counts.size();
    EXPECT_GT(counts.at("buildings"), 10);
    EXPECT_TRUE(counts.contains("roads"));
    // Every building whose box meets the tile is in the store's answer for the same box.
    const auto b = geo::tiles::bounds_wgs84(t);
    char query[256];
    std::snprintf(query, sizeof query, "/collections/buildings/items?limit=1000&bbox=%.8f,%.8f,%.8f,%.8f", b.minx, b.miny,
                  b.maxx, b.maxy);
    auto items = client.Get(query);
    ASSERT_TRUE(items);
    const int in_store = json::parse(items->body)["numberMatched"];
    EXPECT_GE(counts.at("buildings"), in_store * 8 / 10);  // tiny ones may be dropped
    EXPECT_LE(counts.at("buildings"), in_store + 40);      // the buffer adds neighbours
    const auto& building_names = names["buildings"];
    EXPECT_NE(std::find(building_names.begin(), building_names.end(), "国金中心二期"), building_names.end())
        << "Chinese names decode from the tile";
    EXPECT_NE(std::find(building_names.begin(), building_names.end(), "Shanghai World Financial Center"),
              building_names.end());
}

TEST(Tiles, EmptyTileIs204AndBadCoordinatesAre400) {
    auto client = gridmap::test::demo_server().client();
    auto empty = client.Get(path_of("buildings", tile_at(10.0, 50.0, 14)));
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->status, 204);
    EXPECT_TRUE(empty->body.empty());
    for (const std::string path : {"/tiles/buildings/16/70000/1.mvt", "/tiles/buildings/16/1/65536.mvt",
                                   "/tiles/buildings/3/1/1.mvt", "/tiles/buildings/30/1/1.mvt",
                                   "/tiles/buildings/99999/1/1.mvt"}) {
        auto res = client.Get(path);
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->status, 400) << path << " " << res->body;
        EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json") << path;
    }
    auto unknown = client.Get("/tiles/nope/16/1/1.mvt");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
}

// A URL naming `buildings` 810 times (as many as fit in cpp-httplib's 8 KiB request line) used
// to read the layer 810 times — seconds and hundreds of MB — before its 400. The list is now
// checked before the store is asked anything: a layer that does not exist, named twice, is a
// 400 for the list, not a 404 for the layer.
TEST(Tiles, LayerListsAreCheckedBeforeTheStore) {
    auto client = gridmap::test::demo_server().client();
    client.set_url_encode(false);  // commas as they are, or the URL no longer fits
    std::string many;
    for (int i = 0; i < 810; ++i) many += (i ? ",buildings" : "buildings");
    const auto t = tile_at(121.4995, 31.2397, 12);
    const auto start = std::chrono::steady_clock::now();
    auto res = client.Get(path_of(many, t));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");
    EXPECT_NE(res->body.find("names 810 layers; at most 32"), std::string::npos) << res->body.substr(0, 300);
    EXPECT_LT(seconds, 1.0);

    const std::vector<std::pair<std::string, std::string>> refused = {
        {path_of("nope,nope", t), "more than once"},
        {path_of("nope,nope", t, ".png"), "more than once"},
        {"/tiles/nope,nope.json", "more than once"},
        {path_of("Buildings", t), "is not a layer name"},
        {path_of("all,nope", t), "stands alone"},
        {"/tiles/buildings/12/1/-1.mvt", "y must be"},
    };
    for (const auto& [path, detail] : refused) {
        auto r = client.Get(path);
        ASSERT_TRUE(r) << path;
        EXPECT_EQ(r->status, 400) << path << " " << r->body;
        EXPECT_NE(r->body.find(detail), std::string::npos) << path << " " << r->body;
    }
}

}  // namespace

namespace {

TEST(Tiles, CacheEtagGzipAndInvalidation) {
    gridmap::test::DemoServer server;  // its own database: this test replaces a layer
    auto client = server.client();
    const auto t = tile_at(121.4953, 31.2419, 16);  // 东方明珠: a survey point, no demo station
    auto first = client.Get(path_of("buildings,stations", t));
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status, 200);
    const std::string etag = first->get_header_value("ETag");
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(first->get_header_value("Cache-Control"), "public, max-age=60");
    auto buildings_only = client.Get(path_of("buildings", t));
    const std::string buildings_etag = buildings_only->get_header_value("ETag");

    auto again = client.Get(path_of("buildings,stations", t), {{"If-None-Match", etag}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);
    EXPECT_TRUE(again->body.empty());

    auto zipped = client.Get(path_of("buildings,stations", t), {{"Accept-Encoding", "gzip"}});
    ASSERT_TRUE(zipped);
    EXPECT_EQ(zipped->get_header_value("Content-Encoding"), "gzip");
    EXPECT_EQ(zipped->body, first->body) << "the client decompresses to the same tile";
    const std::string zipped_etag = zipped->get_header_value("ETag");
    EXPECT_NE(zipped_etag, etag) << "the gzip form is another representation";
    auto zipped_again = client.Get(path_of("buildings,stations", t),
                                   {{"Accept-Encoding", "gzip"}, {"If-None-Match", zipped_etag}});
    EXPECT_EQ(zipped_again->status, 304);

    // A tile first asked for with gzip is compressed as it is drawn.
    const geo::tiles::TileId next{t.z, t.x + 1, t.y};
    auto zipped_first = client.Get(path_of("buildings", next), {{"Accept-Encoding", "gzip"}});
    ASSERT_TRUE(zipped_first);
    ASSERT_EQ(zipped_first->status, 200);
    EXPECT_EQ(zipped_first->get_header_value("Content-Encoding"), "gzip");
    auto plain = client.Get(path_of("buildings", next));
    EXPECT_EQ(plain->get_header_value("Content-Encoding"), "");
    EXPECT_EQ(plain->body, zipped_first->body);

    // Replacing the stations changes exactly the tiles that show stations.
    {
        auto store = geo::store::open_store(server.db(), false);
        geo::import::ImportOptions options;
        options.path = gridmap::test::real_data("survey/sh_poi_4490_cpg936.shp").string();
        options.layer = "stations";
        geo::import::import_file(*store, options);
    }
    auto changed = client.Get(path_of("buildings,stations", t), {{"If-None-Match", etag}});
    ASSERT_TRUE(changed);
    EXPECT_EQ(changed->status, 200);
    EXPECT_NE(changed->get_header_value("ETag"), etag);
    auto unchanged = client.Get(path_of("buildings", t), {{"If-None-Match", buildings_etag}});
    ASSERT_TRUE(unchanged);
    EXPECT_EQ(unchanged->status, 304);

    auto metrics = client.Get("/metrics");
    EXPECT_NE(metrics->body.find("gridmap_tile_cache_requests_total{result=\"hit\"}"), std::string::npos);
}

}  // namespace

namespace {

TEST(Tiles, PngLooksLikeTheMap) {
    auto client = gridmap::test::demo_server().client();
    const auto t = tile_at(121.4995, 31.2397, 16);
    auto res = client.Get(path_of("all", t, ".png"));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "image/png");
    const auto png = gridmap::test::decode_png(res->body);
    EXPECT_EQ(png.width, 256);
    EXPECT_EQ(png.height, 256);
    EXPECT_GT(png.drawn, 256 * 256 / 20) << "buildings and roads cover a good share of Lujiazui";

    auto retina = client.Get(path_of("all", t, "@2x.png"));
    ASSERT_TRUE(retina);
    ASSERT_EQ(retina->status, 200);
    const auto big = gridmap::test::decode_png(retina->body);
    EXPECT_EQ(big.width, 512);
    EXPECT_EQ(big.height, 512);
    EXPECT_GT(big.drawn, png.drawn * 3);

    // Nothing to draw: a transparent image, which raster clients (QGIS, Leaflet) take where a
    // 204 is a broken image to them.
    for (const auto& [suffix, size] : {std::pair{".png", 256}, std::pair{"@2x.png", 512}}) {
        auto empty = client.Get(path_of("buildings", tile_at(10.0, 50.0, 14), suffix));
        ASSERT_TRUE(empty);
        EXPECT_EQ(empty->status, 200);
        EXPECT_EQ(empty->get_header_value("Content-Type"), "image/png");
        const auto blank = gridmap::test::decode_png(empty->body);
        EXPECT_EQ(blank.width, size);
        EXPECT_EQ(blank.height, size);
        EXPECT_EQ(blank.drawn, 0);
    }
    auto bad = client.Get("/tiles/buildings/16/70000/1.png");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    auto style = client.Get("/styles/gridmap.json");
    ASSERT_TRUE(style);
    EXPECT_EQ(style->status, 200);
    EXPECT_EQ(nlohmann::json::parse(style->body)["version"], 8);
}

}  // namespace

namespace {

TEST(Tiles, CompositeTileShowsTheLayersServedAtItsZoom) {
    auto client = gridmap::test::demo_server().client();
    // At z9 only the grid cells are served (buildings, roads and stations start at z10).
    const auto t = tile_at(121.50, 31.24, 9);
    auto all = client.Get(path_of("all", t));
    ASSERT_TRUE(all);
    ASSERT_EQ(all->status, 200) << all->body;
    const auto counts = decode_counts(all->body, t);
    EXPECT_TRUE(counts.contains("grid_cells"));
    EXPECT_FALSE(counts.contains("buildings"));
    auto single = client.Get(path_of("buildings", t));
    ASSERT_TRUE(single);
    EXPECT_EQ(single->status, 400);
    auto too_far_out = client.Get(path_of("all", tile_at(121.50, 31.24, 5)));
    ASSERT_TRUE(too_far_out);
    EXPECT_EQ(too_far_out->status, 400);
}

}  // namespace
