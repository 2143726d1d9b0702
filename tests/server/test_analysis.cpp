// The analyses over HTTP (POST /analysis/{kind} → job → results) and from the command line.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "geo/analysis/coverage.hpp"
#include "geo/analysis/run.hpp"
#include "geo/error.hpp"
#include "geo/store/store.hpp"
#include "server/server_fixture.hpp"

namespace {

using nlohmann::json;

// Polls a job until it has finished; returns its last state.
json wait_for(httplib::Client& client, const std::string& id) {
    for (int i = 0; i < 600; ++i) {
        auto res = client.Get("/jobs/" + id);
        EXPECT_TRUE(res);
        if (!res) return {};
        EXPECT_EQ(res->status, 200);
        const auto j = json::parse(res->body);
        if (j["status"] == "succeeded" || j["status"] == "failed") return j;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "job " << id << " did not finish in 30 s";
    return {};
}

TEST(Analysis, CoverageJobGivesTheSameAnswerAsTheLibrary) {
    auto& server = gridmap::test::demo_server();
    auto client = server.client();
    auto start = client.Post("/analysis/coverage", R"({"minutes": 10, "speed": 60, "mode": "euclidean", "buildings": "none"})",
                             "application/json");
    ASSERT_TRUE(start);
    ASSERT_EQ(start->status, 202) << start->body;
    const auto started = json::parse(start->body);
    const std::string id = started["id"];
    EXPECT_EQ(start->get_header_value("Location"), "http://127.0.0.1:" + std::to_string(server.port()) + "/jobs/" + id);
    EXPECT_EQ(started["kind"], "coverage");

    const auto done = wait_for(client, id);
    ASSERT_EQ(done["status"], "succeeded") << done.dump();
    EXPECT_DOUBLE_EQ(done["progress"].get<double>(), 1.0);
    EXPECT_EQ(done["links"].size(), 5u);

    auto result = client.Get("/jobs/" + id + "/result.json");
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200);
    const auto j = json::parse(result->body);
    auto store = geo::store::open_store(server.db(), false);
    geo::analysis::CircleDefinition ten;
    const auto direct = geo::analysis::coverage(*store, {}, ten);
    EXPECT_EQ(j["overall"]["households_total"], 28288);
    EXPECT_EQ(j["overall"]["households_covered"], direct.overall.households_covered);
    EXPECT_EQ(j["overall"]["buildings_covered"], direct.overall.buildings_covered);
    EXPECT_EQ(j["by_grid"].size(), 72u);
    EXPECT_FALSE(j.contains("uncovered_buildings"));

    auto csv = client.Get("/jobs/" + id + "/result.csv");
    EXPECT_EQ(csv->get_header_value("Content-Type"), "text/csv; charset=utf-8");
    EXPECT_EQ(csv->body.rfind("level,code,name,community,street,", 0), 0u);
    auto geojson = client.Get("/jobs/" + id + "/result.geojson");
    const auto fc = json::parse(geojson->body);
    EXPECT_EQ(fc["type"], "FeatureCollection");
    std::size_t uncovered = 0;
    for (const auto& f : fc["features"]) uncovered += f["properties"]["kind"] == "uncovered_building" ? 1 : 0;
    EXPECT_EQ(static_cast<std::int64_t>(uncovered), direct.overall.buildings_total - direct.overall.buildings_covered);

    auto png = client.Get("/jobs/" + id + "/result.png?width=800&height=600");
    ASSERT_EQ(png->status, 200);
    EXPECT_EQ(png->get_header_value("Content-Type"), "image/png");
    const auto size = gridmap::test::decode_png(png->body);
    EXPECT_EQ(size.width, 800);
    EXPECT_EQ(size.height, 600);
}

TEST(Analysis, EveryKindRunsAsAJob) {
    auto client = gridmap::test::demo_server().client();
    for (const char* kind : {"load", "siting", "norms"}) {
        auto start = client.Post(std::string("/analysis/") + kind, "{}", "application/json");
        ASSERT_TRUE(start);
        ASSERT_EQ(start->status, 202) << kind << ": " << start->body;
        const auto done = wait_for(client, json::parse(start->body)["id"]);
        ASSERT_EQ(done["status"], "succeeded") << kind << ": " << done.dump();
        auto result = client.Get(done["links"][1]["href"].get<std::string>().substr(done["links"][1]["href"].get<std::string>().find("/jobs/")));
        ASSERT_EQ(result->status, 200);
        EXPECT_EQ(json::parse(result->body)["analysis"], kind);
    }
}

TEST(Analysis, BadRequestsAreProblemsNotJobs) {
    auto client = gridmap::test::demo_server().client();
    struct Case {
        std::string path, body;
        int status;
        std::string says;
    };
    for (const auto& c : std::vector<Case>{
             {"/analysis/coverage", R"({"minutes": "ten"})", 400, "minutes must be a number"},
             {"/analysis/coverage", R"({"minutes": 10, "colour": "red"})", 400, "has no parameter"},
             {"/analysis/coverage", R"({"mode": "flying"})", 400, "euclidean or walking"},
             {"/analysis/coverage", R"({"minutes": 100000})", 400, "at most 240"},
             {"/analysis/coverage", "not json", 400, "not JSON"},
             {"/analysis/coverage", "[1, 2]", 400, "JSON object"},
             {"/analysis/coverage", R"({"stations": "no_such_layer"})", 404, "no_such_layer"},
             {"/analysis/teleport", "{}", 404, "no analysis named"},
             {"/analysis/siting", R"({"sites": 500})", 400, "sites"},
         }) {
        auto res = client.Post(c.path, c.body, "application/json");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, c.status) << c.path << " " << c.body << ": " << res->body;
        EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");
        EXPECT_NE(res->body.find(c.says), std::string::npos) << res->body;
    }
    auto unknown = client.Get("/jobs/999-0000000000000000");
    EXPECT_EQ(unknown->status, 404);
    auto unknown_result = client.Get("/jobs/999-0000000000000000/result.csv");
    EXPECT_EQ(unknown_result->status, 404);
}

TEST(Analysis, CirclesJobRegeneratesTheLayerAndItsTiles) {
    gridmap::test::DemoServer server;  // its own database: this test writes a layer
    auto client = server.client();
    auto start = client.Post("/analysis/circles", R"({"preset": 5})", "application/json");
    ASSERT_EQ(start->status, 202);
    const auto done = wait_for(client, json::parse(start->body)["id"]);
    ASSERT_EQ(done["status"], "succeeded") << done.dump();
    auto items = client.Get("/collections/service_circles/items?limit=100");
    ASSERT_EQ(items->status, 200);
    const auto fc = json::parse(items->body);
    EXPECT_EQ(fc["numberReturned"], 19);
    EXPECT_DOUBLE_EQ(fc["features"][0]["properties"]["radius_m"].get<double>(), 300.0);
    auto tile = client.Get("/tiles/service_circles.json");
    EXPECT_EQ(tile->status, 200);
}

TEST(AnalyzeCommand, WritesJsonAndRefusesBadInput) {
    auto& server = gridmap::test::demo_server();
    auto ok = gridmap::test::run({gridmap::test::gridmap_binary().string(), "analyze", "coverage", "--db", server.db(),
                                  "--preset", "10", "--buildings", "none"});
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    const auto j = json::parse(ok.out);
    EXPECT_DOUBLE_EQ(j["definition"]["radius_m"].get<double>(), 500.0);
    EXPECT_EQ(j["overall"]["households_total"], 28288);

    auto wrong_flag = gridmap::test::run({gridmap::test::gridmap_binary().string(), "analyze", "coverage", "--db",
                                          server.db(), "--capacity", "10"});
    EXPECT_EQ(wrong_flag.exit_code, 2);
    EXPECT_NE(wrong_flag.err.find("--capacity does not apply to coverage"), std::string::npos) << wrong_flag.err;

    auto bad_value = gridmap::test::run({gridmap::test::gridmap_binary().string(), "analyze", "load", "--db",
                                         server.db(), "--capacity", "lots"});
    EXPECT_EQ(bad_value.exit_code, 1);
    EXPECT_NE(bad_value.err.find("capacity must be a whole number"), std::string::npos) << bad_value.err;

    auto no_out = gridmap::test::run({gridmap::test::gridmap_binary().string(), "analyze", "norms", "--db",
                                      server.db(), "--format", "png"});
    EXPECT_EQ(no_out.exit_code, 2);
}

}  // namespace

namespace {

std::string started_job(httplib::Client& client, const std::string& kind, const std::string& body) {
    auto res = client.Post("/analysis/" + kind, body, "application/json");
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, 202) << res->body;
    return res->status == 202 ? json::parse(res->body)["id"].get<std::string>() : "";
}

std::string job_status(httplib::Client& client, const std::string& id) {
    auto res = client.Get("/jobs/" + id);
    return res && res->status == 200 ? json::parse(res->body)["status"].get<std::string>() : "";
}

TEST(Analysis, AFullQueueAnswers503WithRetryAfterAndJobsCanBeCancelled) {
    auto client = gridmap::test::demo_server().client();
    // One job runs, eight wait (the limit), the tenth is turned away.
    const std::string walk = R"({"mode": "walking", "buildings": "none"})";
    std::vector<std::string> ids;
    for (int i = 0; i < 9; ++i) ids.push_back(started_job(client, "coverage", walk));
    auto full = client.Post("/analysis/coverage", walk, "application/json");
    ASSERT_TRUE(full);
    EXPECT_EQ(full->status, 503) << full->body;
    EXPECT_FALSE(full->get_header_value("Retry-After").empty());
    EXPECT_EQ(full->get_header_value("Content-Type"), "application/problem+json");
    EXPECT_NE(json::parse(full->body)["detail"].get<std::string>().find("jobs are waiting"), std::string::npos)
        << full->body;

    // Cancelling a waiting job is immediate; its result is a 409 conflict, never a 500.
    auto cancelled = client.Delete("/jobs/" + ids.back());
    ASSERT_TRUE(cancelled);
    EXPECT_EQ(cancelled->status, 200) << cancelled->body;
    EXPECT_EQ(json::parse(cancelled->body)["status"], "cancelled");
    auto result = client.Get("/jobs/" + ids.back() + "/result.json");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 409);
    for (std::size_t i = 1; i + 1 < ids.size(); ++i) client.Delete("/jobs/" + ids[i]);

    // The running one stops at its next step.
    for (int i = 0; i < 400 && job_status(client, ids[0]) == "queued"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    auto stop = client.Delete("/jobs/" + ids[0]);
    ASSERT_TRUE(stop);
    EXPECT_TRUE(stop->status == 202 || stop->status == 204) << stop->status << stop->body;  // 204: it had finished
    std::string last;
    for (int i = 0; i < 600; ++i) {
        last = job_status(client, ids[0]);
        if (last != "running" && last != "queued") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (stop->status == 202) {
        EXPECT_EQ(last, "cancelled");
    }
    for (std::size_t i = 1; i < ids.size(); ++i) {
        EXPECT_EQ(job_status(client, ids[i]), "cancelled") << i;
    }

    // A finished job is forgotten on DELETE.
    auto forget = client.Delete("/jobs/" + ids.back());
    ASSERT_TRUE(forget);
    EXPECT_EQ(forget->status, 204);
    EXPECT_EQ(client.Get("/jobs/" + ids.back())->status, 404);
    // The queue takes work again.
    const std::string next = started_job(client, "coverage", R"({"mode": "euclidean", "buildings": "none"})");
    EXPECT_EQ(wait_for(client, next)["status"], "succeeded");
}

// The server's walkability setting rules its walking analyses and point query, as
// --walkability rules `gridmap analyze`: here a table that walks rail and road tunnels too.
TEST(Analysis, TheWalkabilitySettingRulesJobsAndThePointQuery) {
    gridmap::test::TempDir dir;
    std::filesystem::copy_file(gridmap::test::demo_server().db(), dir.path() / "demo.sqlite");
    const std::string table = R"({"excluded_classes": [], "excluded_name_parts": [], "exclude_road_tunnels": false})";
    std::ofstream(dir.path() / "walk-all.json") << table;
    gridmap::http::ServerConfig config;
    config.db = (dir.path() / "demo.sqlite").string();
    config.port = 0;
    config.open = true;
    config.access_log = false;
    config.walkability = (dir.path() / "walk-all.json").string();

    geo::analysis::CircleDefinition walking;
    walking.mode = geo::analysis::CircleMode::walking;
    geo::analysis::CircleDefinition walk_all = walking;
    walk_all.walkability = geo::analysis::load_walkability(table);
    geo::analysis::CoverageReport by_default, by_table;
    {
        auto store = geo::store::open_store(config.db, false);
        by_default = geo::analysis::coverage(*store, {}, walking);
        by_table = geo::analysis::coverage(*store, {}, walk_all);
    }
    ASSERT_NE(by_default.overall.buildings_covered, by_table.overall.buildings_covered);

    gridmap::test::ServerThread running(config);
    auto client = running.client();
    const std::string id = started_job(client, "coverage", R"({"mode": "walking", "buildings": "none"})");
    ASSERT_EQ(wait_for(client, id)["status"], "succeeded");
    const auto j = json::parse(client.Get("/jobs/" + id + "/result.json")->body);
    EXPECT_EQ(j["overall"]["buildings_covered"], by_table.overall.buildings_covered);
    EXPECT_EQ(j["overall"]["households_covered"], by_table.overall.households_covered);
    EXPECT_EQ(j["notes"][0], by_table.notes[0]);
    EXPECT_EQ(j["notes"][0].get<std::string>().rfind("walked 1089 of 1094 road features", 0), 0u) << j["notes"][0];


    // The point query walks by the same table: from this building on the Pudong riverside the
    // Bund's post office (station 19, a community service centre) is 817 m away through a road
    // tunnel under the river, and out of the query's 3 km reach on the built-in table.
    const auto walk_to_19 = [](httplib::Client& c) {
        const auto res = c.Get("/query/at?lon=121.491821&lat=31.241017");
        if (!res || res->status != 200) return json("no answer");
        const json here = json::parse(res->body);
        for (const auto& type : here["stations"]) {
            for (const auto& s : type["nearest"]) {
                if (s["fid"] == 19) return s["walking_distance_m"];
            }
        }
        return json("station 19 is not listed");
    };
    auto default_client = gridmap::test::demo_server().client();
    EXPECT_TRUE(walk_to_19(default_client).is_null()) << walk_to_19(default_client);
    EXPECT_NEAR(walk_to_19(client).get<double>(), 817.3, 0.05);

    // A table that does not parse stops the server at start, naming the setting.
    std::ofstream(dir.path() / "bad.json") << R"({"ferry_minutes": -3})";
    config.walkability = (dir.path() / "bad.json").string();
    try {
        gridmap::http::Server bad(config);
        ADD_FAILURE() << "a bad walkability file was accepted";
    } catch (const geo::Error& e) {
        EXPECT_NE(std::string(e.what()).find("ferry_minutes"), std::string::npos) << e.what();
    }
    config.walkability = (dir.path() / "missing.json").string();
    try {
        gridmap::http::Server missing(config);
        ADD_FAILURE() << "a missing walkability file was accepted";
    } catch (const geo::Error& e) {
        EXPECT_NE(std::string(e.what()).find("walkability: no file"), std::string::npos) << e.what();
    }
}

// The standards setting: norms jobs check the deployment's figures, as --standards does.
TEST(Analysis, TheStandardsSettingRulesNormsJobs) {
    gridmap::test::TempDir dir;
    std::filesystem::copy_file(gridmap::test::demo_server().db(), dir.path() / "demo.sqlite");
    std::ofstream(dir.path() / "strict.json") << R"({"grid": {"cell_households": {"min": 400, "max": 450}}})";
    gridmap::http::ServerConfig config;
    config.db = (dir.path() / "demo.sqlite").string();
    config.port = 0;
    config.open = true;
    config.access_log = false;
    config.standards = (dir.path() / "strict.json").string();
    gridmap::test::ServerThread running(config);
    auto client = running.client();
    auto default_client = gridmap::test::demo_server().client();
    const auto cells_out = [](httplib::Client& c) {
        const std::string id = started_job(c, "norms", "{}");
        EXPECT_EQ(wait_for(c, id)["status"], "succeeded");
        const auto res = c.Get("/jobs/" + id + "/result.json");
        return res && res->status == 200 ? json::parse(res->body)["totals"]["cells_out_of_range"].get<int>() : -1;
    };
    // The demo has one cell outside 300–500 households (data/README.md); far more outside 400–450.
    EXPECT_EQ(cells_out(default_client), 1);
    EXPECT_GT(cells_out(client), 30);

    std::ofstream(dir.path() / "bad.json") << R"({"grid": {"cell_households": {"min": "many"}}})";
    config.standards = (dir.path() / "bad.json").string();
    EXPECT_THROW(gridmap::http::Server bad(config), geo::Error);
}

}  // namespace
