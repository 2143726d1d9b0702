// Readers during a replace, and GDAL's own OGC API – Features client reading every collection.
#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "geo/import/import.hpp"
#include "server/server_fixture.hpp"

namespace {

TEST(Concurrency, ReadersSeeTheOldOrTheNewLayerNeverAnError) {
    gridmap::test::DemoServer server;  // its own database: this test replaces a layer
    std::atomic<bool> done{false};
    std::atomic<int> requests{0};
    std::atomic<int> failures{0};
    std::atomic<int> saw_old{0};
    std::atomic<int> saw_new{0};
    std::vector<std::thread> readers;
    for (int i = 0; i < 4; ++i) {
        readers.emplace_back([&] {
            auto client = server.client();
            while (!done) {
                auto res = client.Get("/collections/stations/items?limit=1");
                ++requests;
                if (!res || res->status != 200) {
                    ++failures;
                    continue;
                }
                const int matched = nlohmann::json::parse(res->body)["numberMatched"];
                if (matched == 19) ++saw_old;
                else if (matched == 494) ++saw_new;
                else ++failures;
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    {
        auto store = geo::store::open_store(server.db(), false);
        // 494 survey points, then the 19 demo stations again, then the survey points.
        const std::string sources[] = {
            gridmap::test::real_data("survey/sh_poi_4490_cpg936.shp").string(),
            (std::filesystem::path(GRIDMAP_SOURCE_DIR) / "data/demo/stations.geojson").string()};
        for (int round = 0; round < 3; ++round) {
            geo::import::ImportOptions options;
            options.path = sources[round % 2];
            options.layer = "stations";
            geo::import::import_file(*store, options);
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
        }
    }
    done = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(failures, 0) << "of " << requests << " requests";
    EXPECT_GT(saw_old, 0);
    EXPECT_GT(saw_new, 0);
}

TEST(Concurrency, GdalOapifClientReadsEveryCollection) {
    const int port = gridmap::test::demo_server().port();
    GDALAllRegister();
    const std::string url = "OAPIF:http://127.0.0.1:" + std::to_string(port);
    const char* drivers[] = {"OAPIF", nullptr};
    GDALDatasetUniquePtr ds(static_cast<GDALDataset*>(
        GDALOpenEx(url.c_str(), GDAL_OF_VECTOR, drivers, nullptr, nullptr)));
    ASSERT_TRUE(ds) << CPLGetLastErrorMsg();
    std::map<std::string, GIntBig> counts;
    for (int i = 0; i < ds->GetLayerCount(); ++i) {
        OGRLayer* layer = ds->GetLayer(i);
        GIntBig n = 0;
        for (auto& feature : *layer) {
            (void)feature;
            ++n;
        }
        counts[layer->GetName()] = n;
    }
    EXPECT_EQ(counts["buildings"], 1450);
    EXPECT_EQ(counts["grid_cells"], 72);
    EXPECT_EQ(counts["roads"], 1094);
    EXPECT_EQ(counts["stations"], 19);
}

}  // namespace
