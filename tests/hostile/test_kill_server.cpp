// kill -9 of the server while an analysis job rewrites the service_circles layer, at points
// spread over the whole job: the database always passes `gridmap check`, every other layer is
// untouched, and service_circles holds either the earlier circles or the new ones — never a mix.
// (kill -9 during an import is tests/import/test_kill.cpp.)
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hostile/server_process.hpp"
#include "import/import_helpers.hpp"

namespace {

using gridmap::test::raw_exchange;
using Clock = std::chrono::steady_clock;

std::string post_json(const std::string& path, const std::string& body) {
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Starts an analysis and follows it until `until` says stop; returns its last status.
std::string run_job(int port, const std::string& kind, const std::string& body,
                    const std::function<bool(const nlohmann::json&)>& until) {
    const auto started = raw_exchange(port, post_json("/analysis/" + kind, body));
    EXPECT_EQ(started.status, 202) << started.body;
    const std::string location = started.header("Location");
    const std::string path = location.substr(location.find("/jobs/"));
    for (int i = 0; i < 6000; ++i) {
        const auto answer = raw_exchange(port, gridmap::test::get_request(path));
        if (answer.status != 200) return "";
        const auto job = nlohmann::json::parse(answer.body);
        if (until(job)) return job["status"];
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return "";
}

TEST(KillServer, DuringAnAnalysisThatRewritesALayer) {
    auto finished = [](const nlohmann::json& j) { return j["status"] != "queued" && j["status"] != "running"; };
    // Euclidean circles first, so that the walking job replaces a layer that exists.
    gridmap::test::TempDir dir;
    const std::string start_db = (dir / "start.sqlite").string();
    std::map<std::string, std::string> old_data;
    {
        gridmap::test::ServerProcess server;
        ASSERT_EQ(run_job(server.port(), "circles", R"({"mode": "euclidean"})", finished), "succeeded");
        ASSERT_EQ(server.terminate(), 0);
        old_data = gridmap::test::database_fingerprint(server.db());
        ASSERT_TRUE(old_data.contains("service_circles"));
        std::filesystem::copy_file(server.db(), start_db);
    }
    // What the walking job writes when it is left alone.
    std::map<std::string, std::string> new_data;
    {
        gridmap::test::ServerProcess server({}, start_db);
        ASSERT_EQ(run_job(server.port(), "circles", R"({"mode": "walking"})", finished), "succeeded");
        ASSERT_EQ(server.terminate(), 0);
        new_data = gridmap::test::database_fingerprint(server.db());
        ASSERT_NE(new_data.at("service_circles"), old_data.at("service_circles"));
    }
    // Kill points spread over the job: while it reads, builds the network, draws, writes.
    int killed_running = 0;
    for (const double fraction : {0.0, 0.3, 0.6, 0.9, 0.99, 1.0}) {
        gridmap::test::ServerProcess server({}, start_db);
        const std::string status = run_job(server.port(), "circles", R"({"mode": "walking"})", [&](const nlohmann::json& j) {
            return finished(j) || j["progress"].get<double>() >= fraction;
        });
        server.kill9();
        if (status == "running") ++killed_running;
        const auto check = gridmap::test::gridmap({"check", "--db", server.db()});
        EXPECT_EQ(check.exit_code, 0) << "killed at " << fraction << ": " << check.out << check.err;
        const auto after = gridmap::test::database_fingerprint(server.db());
        for (const auto& [layer, data] : old_data) {
            if (layer != "service_circles") {
                EXPECT_EQ(after.at(layer), data) << layer << " changed; killed at " << fraction;
            }
        }
        EXPECT_TRUE(after.at("service_circles") == old_data.at("service_circles") ||
                    after.at("service_circles") == new_data.at("service_circles"))
            << "service_circles is neither the old nor the new layer; killed at " << fraction;
        if (status == "succeeded") {
            EXPECT_EQ(after.at("service_circles"), new_data.at("service_circles"));
        }
    }
    EXPECT_GE(killed_running, 3) << "the kills should mostly land while the job runs";
}

}  // namespace
